"""The held-out judge: does a changed file behave like the original on the held-out inputs?

Both files run in polca's sandbox worker (``polca.sandbox.difftest.compare``) on the
held-out inputs of a suite target or a trap: return values (floats within 1e-9), raised
exceptions (type and message), arguments after the call (a receiver or list the function
mutates) and stdout must agree. Placeholders in the inputs (objects of the target's module)
are built from the ORIGINAL module, loaded on this side under the module name the worker
gives both files, and pickled by reference to it; each side unpickles them against its own
classes.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from benchmarks.heldout.values import load_module, resolve
from polca.sandbox.difftest import DiffReport, compare
from polca.sandbox.target import Call, ScriptInput, Target, encode_inputs
from polca.sandbox.types import Limits

VerdictStatus = Literal["equal", "wrong", "unjudged"]
_MODULES_LOCK = threading.Lock()


class Judged(Protocol):
    """What the judge needs of a suite target or a trap."""

    @property
    def path(self) -> Path: ...

    @property
    def function(self) -> str | None: ...

    def heldout_items(self) -> list[Any]: ...


@dataclass(frozen=True)
class Verdict:
    """``equal``: no held-out input tells them apart; ``wrong``: one does (or the change does
    not load); ``unjudged``: the comparison could not run (the original failed, a time-out)."""

    status: VerdictStatus
    feedback: str
    inputs: int


def encoded_heldout(target: Judged) -> list[bytes]:
    """The target's held-out inputs, pickled as the sandbox worker expects them."""
    items = target.heldout_items()
    if target.function is None:
        return encode_inputs([ScriptInput(stdin=text) for text in items], script=True)
    name = target.path.stem
    with _MODULES_LOCK:
        module = load_module(target.path, name)
        previous = sys.modules.get(name)
        sys.modules[name] = module
        try:
            calls = [Call(args=tuple(resolve(args, module))) for args in items]
            return encode_inputs(calls, script=False)
        finally:
            if previous is None:
                del sys.modules[name]
            else:
                sys.modules[name] = previous


def judge(target: Judged, original_source: str, changed_source: str, *, timeout_s: float = 120.0) -> Verdict:
    """Compare ``changed_source`` with ``original_source`` on ``target``'s held-out inputs."""
    inputs = encoded_heldout(target)
    name = target.path.stem
    report = compare(Target(original_source, target.function, module_name=name),
                     Target(changed_source, target.function, module_name=name),
                     inputs, limits=Limits(timeout_s=timeout_s, memory_mb=4096))
    return _verdict(report, len(inputs))


def _verdict(report: DiffReport, n_inputs: int) -> Verdict:
    if report.status == "ok":
        status: VerdictStatus = "equal" if report.equal else "wrong"
        return Verdict(status, report.feedback, n_inputs)
    if report.status == "error" and report.failed_side == "candidate":
        return Verdict("wrong", f"the changed file fails to load: {report.message}", n_inputs)
    return Verdict("unjudged", f"{report.status} ({report.failed_side or 'both sides'}): {report.message}",
                   n_inputs)
