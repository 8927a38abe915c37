"""Input capture by tracing: record the real arguments of chosen functions while a program runs.

The program (a script with its stdin and argv, or a test command such as
``python -m pytest tests/``) runs in the sandbox's worker under a ``sys.setprofile`` hook.
When a chosen function is entered, its arguments are pickled on the spot (the pickle is the
deep copy: later mutation by the program cannot change it). Captures are capped per
function and in total bytes; arguments that cannot be pickled are skipped and counted.
By default only outermost calls are kept, so a recursive function yields the calls the
program made, not every level of the recursion.

A function is named by its qualified name (``"solve"``, ``"Grid.step"``,
``"outer.<locals>.inner"``), optionally prefixed with the module it lives in
(``"mypkg.util:solve"``); the script itself is module ``__main__``. Payloads are pickled
``(args, kwargs)`` bytes, ready for :func:`polca.sandbox.difftest.compare` and
:func:`polca.sandbox.measure.measure`; the host never unpickles them.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from polca.sandbox.target import run_worker
from polca.sandbox.types import BackendName, Limits

logger = logging.getLogger(__name__)

TraceStatus = Literal["ok", "error", "timeout", "sandbox_error"]
_SCRIPT_FILE = "polca_traced_script.py"


@dataclass(frozen=True)
class CapturedCall:
    """One call of ``function``: its arguments as pickled ``(args, kwargs)``."""

    function: str
    payload: bytes


@dataclass(frozen=True)
class FunctionCounts:
    """What happened to the calls of one function: seen = captured + all the skipped kinds.

    ``nested`` recursive calls inside a captured call are not counted as seen.
    """

    seen: int = 0
    captured: int = 0
    unpicklable: int = 0
    over_cap: int = 0
    over_bytes: int = 0


@dataclass(frozen=True)
class Captured:
    """Captured calls in program order, per-function counts, and how the program ended.

    ``status == "error"`` means the program itself failed (exception, non-zero exit); the
    calls made before that are still here. Other non-ok statuses mean nothing came back.
    """

    status: TraceStatus
    calls: tuple[CapturedCall, ...]
    counts: Mapping[str, FunctionCounts]
    message: str = ""

    def payloads(self, function: str) -> list[bytes]:
        """The payloads of one function, in call order (inputs for compare / measure)."""
        return [c.payload for c in self.calls if c.function == function]

    @property
    def total_bytes(self) -> int:
        return sum(len(c.payload) for c in self.calls)


@dataclass(frozen=True)
class _TraceOptions:
    functions: tuple[str, ...]
    max_calls_per_function: int
    max_bytes: int
    outermost_only: bool
    files: Mapping[str, str | bytes] = field(default_factory=dict)


def capture_calls(
    script_path_or_source: str | Path,
    functions: Sequence[str],
    *,
    stdin: str | None = None,
    args: Sequence[str] = (),
    max_calls_per_function: int = 100,
    max_bytes: int = 8_000_000,
    outermost_only: bool = True,
    files: Mapping[str, str | bytes] | None = None,
    backend: BackendName = "auto",
    limits: Limits | None = None,
) -> Captured:
    """Run a script (a ``Path``, or source text) under the tracer and return the captured calls.

    ``files`` are placed next to the script (modules it imports, data it reads).
    """
    source = _script_source(script_path_or_source)
    options = _options(functions, max_calls_per_function, max_bytes, outermost_only, files)
    job = {"script": _SCRIPT_FILE, "module": None, "args": list(args), "stdin": stdin or ""}
    return _trace(job, {**options.files, _SCRIPT_FILE: source}, options, backend, limits)


def capture_calls_from_command(
    command: Sequence[str],
    functions: Sequence[str],
    *,
    stdin: str | None = None,
    max_calls_per_function: int = 100,
    max_bytes: int = 8_000_000,
    outermost_only: bool = True,
    files: Mapping[str, str | bytes] | None = None,
    backend: BackendName = "auto",
    limits: Limits | None = None,
) -> Captured:
    """Trace a Python command such as ``("python", "-m", "pytest", "-q", "tests")``.

    The command must be ``python -m MODULE ...`` or ``python SCRIPT ...``; it runs inside
    the worker's interpreter so the tracer sees every call. ``files`` is the project the
    command needs (sources and tests), relative path -> content.
    """
    options = _options(functions, max_calls_per_function, max_bytes, outermost_only, files)
    job = _command_job(tuple(command))
    job["stdin"] = stdin or ""
    return _trace(job, dict(options.files), options, backend, limits)


def _trace(job: dict, files: dict, options: _TraceOptions, backend: BackendName, limits: Limits | None) -> Captured:
    job.update({"mode": "trace", "functions": list(options.functions), "outermost_only": options.outermost_only,
                "max_calls_per_function": options.max_calls_per_function, "max_bytes": options.max_bytes})
    run_limits = limits or Limits()
    # base64 grows payloads by a third; the answer line must fit in the captured stdout.
    needed = options.max_bytes * 4 // 3 + 1_000_000
    if run_limits.max_output_bytes < needed:
        run_limits = replace(run_limits, max_output_bytes=needed)
    reply = run_worker(job, files, backend=backend, limits=run_limits)
    if reply.answer is None:
        status: TraceStatus = reply.failure_status
        logger.info("tracing %s: %s", status, reply.failure_message())
        return Captured(status=status, calls=(), counts={}, message=reply.failure_message())
    answer = reply.answer
    calls = tuple(CapturedCall(c["function"], base64.b64decode(c["payload"])) for c in answer.get("calls", ()))
    counts = {name: FunctionCounts(**c) for name, c in answer.get("counts", {}).items()}
    status = "ok" if answer.get("status") == "ok" else "error"
    return Captured(status=status, calls=calls, counts=counts, message=answer.get("message", ""))


def _script_source(script: str | Path) -> str:
    if isinstance(script, Path):
        if not script.is_file():
            raise ValueError(f"script {str(script)!r} does not exist; pass a Path to a .py file or the source text")
        return script.read_text(encoding="utf-8")
    if not isinstance(script, str):
        raise TypeError(f"script must be a pathlib.Path or source text (str), got {type(script).__name__}")
    return script


def _command_job(command: tuple[str, ...]) -> dict:
    interpreter = Path(command[0]).name if command else ""
    if len(command) < 2 or not interpreter.startswith("python"):
        raise ValueError(
            f"command {command!r} must start with a Python interpreter, like ('python', '-m', 'pytest', 'tests')"
        )
    if command[1] == "-m":
        if len(command) < 3:
            raise ValueError(f"command {command!r} names no module after -m")
        return {"module": command[2], "script": None, "args": list(command[3:])}
    if command[1].startswith("-"):
        raise ValueError(f"command {command!r}: only 'python -m MODULE ...' or 'python SCRIPT ...' can be traced")
    return {"module": None, "script": command[1], "args": list(command[2:])}


def _options(functions, max_calls, max_bytes, outermost_only, files) -> _TraceOptions:
    if isinstance(functions, str) or not functions:
        raise ValueError(f"functions must be a non-empty list of names such as ['solve'], got {functions!r}")
    for name in functions:
        qualname = name.rpartition(":")[2]
        if not all(part.isidentifier() or part == "<locals>" for part in qualname.split(".")):
            raise ValueError(f"function name {name!r} must be a qualified name like 'f', 'Cls.m' or 'pkg.mod:f'")
    if max_calls < 1 or max_bytes < 1:
        raise ValueError(f"max_calls_per_function={max_calls} and max_bytes={max_bytes} must both be >= 1")
    return _TraceOptions(tuple(functions), max_calls, max_bytes, outermost_only, dict(files or {}))
