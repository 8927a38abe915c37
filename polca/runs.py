"""The run contract: what a stored run is, for every room that writes or reads one.

A run's ``kind`` says which domain it searched; its ``name`` says what, in a form each kind
owns; its state holds, beside the engine's own entries, the problem spec (what was
optimized and how a reward re-verifies a candidate) and the final verdict:

=========  ===================================  ==============================================
kind       name                                 written by
=========  ===================================  ==============================================
program    ``optimize:TARGET:PATH``             ``polca optimize`` (TARGET ``<script>`` for a script)
kernel     ``kernelbench:PROBLEM``              ``polca kernelbench run``
prompt     free                                 ``polca optimize-prompt``, ``polca.dspy.POLCA``
agent      free                                 ``polca optimize-agent``
polca      free                                 ``polca.optimize`` called on any other domain
=========  ===================================  ==============================================

A run's ``config`` is the engine config it was created with. A search that continues a
stored run (``polca optimize --resume``) runs with a larger budget than that; the config
each search ran with is kept in the state under :data:`SEARCH_CONFIG_KEY`, and
:func:`config_of` reads the one the run's latest search ran with.

Runs that older versions wrote for ``polca optimize`` have kind ``polca`` and an
``optimize:`` name; :func:`program_kind_of` reads them as program runs. Runs written by hand
for ``polca train export`` may carry the problem spec in ``config["problem"]`` instead of
the state; :func:`problem_of` reads both.

This module stands on floor 1: it knows the store's record types and nothing above them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from polca.store import RunRecord

RunKind = Literal["program", "kernel", "prompt", "agent", "polca"]
RUN_KINDS: tuple[str, ...] = get_args(RunKind)
TrainableKind = Literal["program", "kernel"]
TRAINABLE_KINDS: tuple[str, ...] = get_args(TrainableKind)

PROBLEM_KEY = "problem"  # the state entry holding the run's ProblemSpec
FINAL_CHECK_KEY = "final_check"  # the state entry holding the best candidate's final verdict
SEARCH_CONFIG_KEY = "search_config"  # the state entry holding the engine config the latest search ran with

PROGRAM_RUN_PREFIX = "optimize:"
KERNEL_RUN_PREFIX = "kernelbench:"
SCRIPT_TARGET = "<script>"  # the target name of a whole script
_LEGACY_KIND = "polca"  # what `polca optimize` runs were before they had a kind of their own


@dataclass(frozen=True)
class ProblemSpec:
    """What a run optimized, as export, rewards, report and resume read it.

    ``id`` is stable across runs of the same problem (runs with one id are one problem).
    ``task`` says what to do in words; ``code`` is the original. ``check`` tells a reward
    how to re-verify a candidate instead of trusting a stored score:

    - program: ``{"qualname": str | None, "inputs": [{"args": [...], "kwargs": {}} |
      {"stdin": str, "args": [...]}], "pickled_inputs": [base64 of pickled (args, kwargs)]}``;
      ``inputs`` hold safe data (:mod:`polca.sandbox.codec`), ``pickled_inputs`` only what a
      pickle alone can carry (loaded only where its user allows it)
    - kernel: ``{"problem_path": str, "level": int | None, "device": "cpu" | "cuda",
      "rules": str}``

    An empty ``check`` means the run can feed supervised training but not RL.
    """

    id: str
    task: str
    code: str = ""
    objective: str = "runtime"
    check: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"a problem spec needs a non-empty string id, got {self.id!r}")
        if not isinstance(self.check, dict):
            raise TypeError(f"problem {self.id!r}: check must be a dict, got {type(self.check).__name__}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProblemSpec:
        """Read a stored spec; a missing ``task`` gets the generic one, unknown keys are dropped."""
        if not isinstance(data.get("id"), str):
            raise ValueError(f"a stored problem spec has no string 'id': {dict(data)!r}")
        check = data.get("check") or {}
        return cls(
            id=data["id"],
            task=str(data.get("task") or "Make this code faster."),
            code=str(data.get("code") or ""),
            objective=str(data.get("objective") or "runtime"),
            check=dict(check) if isinstance(check, Mapping) else {},
        )


# ---------------------------------------------------------------- names


def program_run_name(target: str | None, path: str | Path) -> str:
    """The name of the run that optimizes ``target`` (``None``: the whole script) of ``path``."""
    return f"{PROGRAM_RUN_PREFIX}{target or SCRIPT_TARGET}:{Path(path).resolve()}"


def parse_program_run_name(name: str | None) -> tuple[str, str] | None:
    """``(target, path)`` of a ``polca optimize`` run's name, or ``None`` for any other name."""
    if not name or not name.startswith(PROGRAM_RUN_PREFIX):
        return None
    target, sep, path = name[len(PROGRAM_RUN_PREFIX):].partition(":")
    return (target, path) if sep and target and path else None


def kernel_run_name(problem_key: str) -> str:
    """The name of the run that searches kernels for the problem ``problem_key``."""
    return f"{KERNEL_RUN_PREFIX}{problem_key}"


def parse_kernel_run_name(name: str | None) -> str | None:
    """The problem key of a ``polca kernelbench run`` run's name, or ``None``."""
    if not name or not name.startswith(KERNEL_RUN_PREFIX):
        return None
    return name[len(KERNEL_RUN_PREFIX):] or None


# ---------------------------------------------------------------- reading


def kind_of(run: RunRecord) -> str:
    """The run's domain, reading runs of older versions (kind ``polca``, an ``optimize:`` name)
    as program runs."""
    if run.kind == _LEGACY_KIND and parse_program_run_name(run.name) is not None:
        return "program"
    return run.kind


def problem_of(run: RunRecord) -> ProblemSpec | None:
    """The run's problem spec: from its state, else ``config["problem"]``; for a program run
    without either (older versions), one made from its name, with no check."""
    for holder in (run.state, run.config):
        stored = holder.get(PROBLEM_KEY) if isinstance(holder, Mapping) else None
        if isinstance(stored, Mapping) and isinstance(stored.get("id"), str):
            return ProblemSpec.from_dict(stored)
    named = parse_program_run_name(run.name)
    if named is not None and kind_of(run) == "program":
        target, path = named
        return ProblemSpec(id=f"{target}:{path}", task=program_task(target))
    return None


def config_of(run: RunRecord) -> dict[str, Any]:
    """The engine config the run's latest search ran with: the state's entry, else the
    config the run was created with (runs that were never resumed, older runs)."""
    ran = run.state.get(SEARCH_CONFIG_KEY) if isinstance(run.state, Mapping) else None
    return dict(ran) if isinstance(ran, Mapping) else dict(run.config or {})


def final_check_of(run: RunRecord) -> dict[str, Any] | None:
    """The final verdict kept in the run's state, if the run got one."""
    final = run.state.get(FINAL_CHECK_KEY) if isinstance(run.state, Mapping) else None
    return dict(final) if isinstance(final, Mapping) else None


def program_task(target: str) -> str:
    """The task of a program problem, in words."""
    if target == SCRIPT_TARGET:
        return "Make this script faster without changing what it prints."
    return f"Make `{target}` faster without changing what it computes or prints."


# ---------------------------------------------------------------- writing


def state_with_outcome(
    state: Mapping[str, Any], problem: ProblemSpec, final_check: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``state`` with the problem spec and the final verdict added; the engine's entries stay."""
    new = {**state, PROBLEM_KEY: problem.to_dict()}
    if final_check is not None:
        new[FINAL_CHECK_KEY] = dict(final_check)
    return new


def state_with_search_config(state: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """``state`` with the engine config a search ran with (see :func:`config_of`)."""
    return {**state, SEARCH_CONFIG_KEY: dict(config)}
