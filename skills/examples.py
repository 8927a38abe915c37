"""Drive a skill's before/after example: generate inputs, run it, measure it.

The convention every operator example follows (checked by :mod:`polca.skills.model`):

- A function example: ``before.py`` and ``after.py`` both define ``solve(...)``;
  ``before.py`` also defines ``make_input(size: int, rng: random.Random) -> (args,
  kwargs)`` and ``BENCH_SIZE``, the size at which the speedup is measured.
- A stdin-script example: both define ``main()`` (called under ``if __name__ ==
  "__main__"``), reading ``sys.stdin`` and writing ``sys.stdout``; ``before.py`` defines
  ``make_stdin(size: int, rng: random.Random) -> str`` and ``BENCH_SIZE``. Scripts read
  text with ``sys.stdin.read()``/``readline()``: no ``sys.stdin.buffer``, because the
  sandbox feeds stdin as text.

:func:`run_in_process` executes example code in this process: only for trusted code such
as the built-in library. Untrusted code (mined skills, model output) goes through
:func:`measure_example`, which runs in the sandbox.
"""

from __future__ import annotations

import contextlib
import copy
import io
import random
import sys
import types
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from polca.sandbox.measure import MeasureResult, measure
from polca.sandbox.target import Call, ScriptInput, Target
from polca.sandbox.types import BackendName
from polca.skills.model import Measured, Skill, write_measured


@dataclass(frozen=True)
class ExampleInput:
    """One input of an example: call arguments, or stdin text for a script example."""

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    stdin: str | None = None

    @property
    def is_script(self) -> bool:
        return self.stdin is not None


def _require_example(skill: Skill) -> tuple[Path, Path]:
    if skill.before_path is None or skill.after_path is None:
        raise ValueError(f"skill {skill.id!r} has no before.py/after.py example to run")
    return skill.before_path, skill.after_path


def load_module(source: str, name: str, filename: str = "<example>") -> types.ModuleType:
    """Execute ``source`` as a fresh module called ``name`` (not added to sys.modules)."""
    module = types.ModuleType(name)
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


def load_before(skill: Skill) -> types.ModuleType:
    before, _ = _require_example(skill)
    return load_module(before.read_text(), f"{skill.id.replace('-', '_')}_before", str(before))


def load_after(skill: Skill) -> types.ModuleType:
    _, after = _require_example(skill)
    return load_module(after.read_text(), f"{skill.id.replace('-', '_')}_after", str(after))


def is_script_example(skill: Skill) -> bool:
    before, _ = _require_example(skill)
    return "def make_stdin(" in before.read_text()


def bench_size(skill: Skill) -> int:
    """The input size at which the example's speedup is measured (``BENCH_SIZE``)."""
    value = getattr(load_before(skill), "BENCH_SIZE", None)
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"{skill.id}: before.py must set BENCH_SIZE to a non-negative int, got {value!r}")
    return value


def make_example_input(before: types.ModuleType, size: int, seed: int) -> ExampleInput:
    """One input of ``size`` from the generator in the loaded ``before`` module."""
    rng = random.Random(seed)
    if hasattr(before, "make_stdin"):
        return ExampleInput(stdin=before.make_stdin(size, rng))
    args, kwargs = before.make_input(size, rng)
    return ExampleInput(args=tuple(args), kwargs=dict(kwargs))


def run_in_process(module: types.ModuleType, item: ExampleInput) -> Any:
    """Run a trusted example module on one input: ``solve``'s result, or a script's stdout.

    Arguments are deep-copied first, so a ``solve`` that mutates them cannot affect the
    next run.
    """
    if not item.is_script:
        return module.solve(*copy.deepcopy(item.args), **copy.deepcopy(item.kwargs))
    out = io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(item.stdin)
    try:
        with contextlib.redirect_stdout(out):
            module.main()
    finally:
        sys.stdin = saved
    return out.getvalue()


def _target(source: str, skill: Skill, side: str, script: bool) -> Target:
    name = f"{skill.id.replace('-', '_')}_{side}"
    return Target(source=source, qualname=None if script else "solve", module_name=name)


def measure_example(
    skill: Skill,
    *,
    size: int | None = None,
    seed: int = 0,
    backend: BackendName = "auto",
    min_sample_s: float = 0.05,
    rounds: int = 20,
    source_after: str | None = None,
) -> MeasureResult:
    """Measure after.py (or ``source_after``) against before.py in the sandbox.

    One input of ``size`` (default ``BENCH_SIZE``) drawn with ``seed``; the verdict and
    interval come from :func:`polca.sandbox.measure.measure` (B over A, above 1 is faster).
    """
    before, after = _require_example(skill)
    script = is_script_example(skill)
    item = make_example_input(load_before(skill), bench_size(skill) if size is None else size, seed)
    payload = ScriptInput(stdin=item.stdin) if script else Call(args=item.args, kwargs=item.kwargs)
    return measure(
        _target(before.read_text(), skill, "before", script),
        _target(source_after if source_after is not None else after.read_text(), skill, "after", script),
        [payload],
        backend=backend,
        min_sample_s=min_sample_s,
        rounds=rounds,
        seed=seed,
    )


def measured_from(result: MeasureResult, size: int, previous: Measured | None = None) -> Measured:
    """Figures for ``measured.json`` from a finished measurement, keeping task figures."""
    if result.status != "ok" or result.speedup is None:
        raise ValueError(f"measurement did not finish ({result.describe()}); nothing to record")
    return Measured(
        example_speedup_median=result.speedup,
        example_size=size,
        task_speedups_median=dict(previous.task_speedups_median) if previous else {},
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
        python_version=".".join(map(str, sys.version_info[:3])),
    )


def measure_and_record(skill: Skill, **options: Any) -> tuple[MeasureResult, Measured | None]:
    """Measure the example (see :func:`measure_example`) and, when the measurement
    finished, write its figures to the skill's ``measured.json``; task figures already
    recorded there are kept."""
    size = options.pop("size", None)
    size = bench_size(skill) if size is None else size
    result = measure_example(skill, size=size, **options)
    if result.status != "ok":
        return result, None
    measured = measured_from(result, size, skill.measured())
    write_measured(skill, measured)
    return result, measured
