"""How a program target is checked: the inputs it runs on and the original's behaviour on them.

Inputs come from, best first: calls captured by tracing a run of the script or of the
tests (:mod:`polca.sandbox.trace`); for scripts, runs with the given stdin and arguments;
and calls generated from the parameters' types (:mod:`.inputs`).

The original's behaviour on those inputs is the oracle, so it must be deterministic:
:func:`keep_deterministic` runs it twice in one process and drops the inputs where it
disagrees with itself (``random``, ``time``); scripts are also run in two processes with
different hash seeds, which catches output that depends on set ordering.

Two causes of a failed run are named for what they are, not as a fault of the file: a
module the file imports that is not installed where polca runs (:func:`missing_import`)
and tests that cannot run because pytest is not installed (:class:`PytestMissing`).
Every run takes its backend and limits from one ``SandboxConfig`` (:mod:`.isolation`).
"""

from __future__ import annotations

import ast
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from polca.config import SandboxConfig
from polca.optimizer.domains.program.isolation import (
    DEFAULT_SANDBOX,
    SELF_CHECK,
    TEST_SUITE,
    backend_of,
    limits_of,
)
from polca.optimizer.domains.program.targets import ProgramFile
from polca.parsing import parse_python
from polca.sandbox import RunSpec, run
from polca.sandbox.difftest import self_check
from polca.sandbox.target import InputItem, ScriptInput, Target
from polca.sandbox.trace import Captured, capture_calls, capture_calls_from_command

log = logging.getLogger(__name__)

TEST_RUNNER = "pytest"
"""The module tests run under, when traced for inputs and before ``--apply``."""

class UnsupportedSignature(ValueError):
    """Inputs cannot be generated for this function; the message says which parameter and why
    (the other ways to get inputs, tests or a script run, are for the caller to advise)."""


class PytestMissing(ValueError):
    """Tests were found or given but pytest cannot be imported where they run."""

    def __init__(self, how: str, tests: Sequence[Path]) -> None:
        names = ", ".join(str(t) for t in tests)
        super().__init__(f"tests {how} ({names}) but {TEST_RUNNER} is not installed in polca's environment: "
                         f"pip install {TEST_RUNNER}")


@dataclass(frozen=True)
class InputSet:
    """Inputs of one target, and how many came from each source (``traced``, ``generated``...)."""

    inputs: tuple[InputItem, ...]
    sources: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: InputSet) -> InputSet:
        sources = dict(self.sources)
        for name, count in other.sources.items():
            sources[name] = sources.get(name, 0) + count
        return InputSet(self.inputs + other.inputs, sources)


@dataclass(frozen=True)
class OracleCheck:
    """The inputs the original answers the same way every time, and what was dropped."""

    inputs: tuple[InputItem, ...]
    dropped: int
    status: str  # "ok", or the reason no input could be kept
    message: str = ""


# ---------------------------------------------------------------- captured inputs


def traced_calls(program: ProgramFile, qualnames: Sequence[str], *, stdin_texts: Sequence[str] = ("",),
                 args: Sequence[str] = (), sandbox: SandboxConfig = DEFAULT_SANDBOX,
                 max_calls: int = 20) -> Captured:
    """Calls of ``qualnames`` captured while the script runs once per stdin text."""
    calls, counts, message, status = [], {}, "", "ok"
    for stdin in stdin_texts:
        captured = capture_calls(program.source, list(qualnames), stdin=stdin, args=list(args),
                                 max_calls_per_function=max_calls, files=sibling_files(program),
                                 backend=backend_of(sandbox), limits=limits_of(sandbox, SELF_CHECK))
        calls.extend(captured.calls)
        counts.update(captured.counts)
        if captured.status != "ok":
            status, message = captured.status, captured.message
    return Captured(status=status, calls=tuple(calls), counts=counts, message=message)


def traced_test_calls(program: ProgramFile, tests: Path, qualnames: Sequence[str], *,
                      sandbox: SandboxConfig = DEFAULT_SANDBOX, max_calls: int = 20) -> Captured:
    """Calls of ``qualnames`` captured while pytest runs ``tests`` against the file.

    A run that fails because pytest cannot be imported has status ``error`` and a message
    for which :func:`is_pytest_missing` holds.
    """
    files = {**sibling_files(program), tests.name: tests.read_text(encoding="utf-8")}
    module = program.module_name
    names = [f"{module}:{q}" for q in qualnames]
    command = ("python", "-m", TEST_RUNNER, "-q", "-p", "no:cacheprovider", tests.name)
    return capture_calls_from_command(command, names, max_calls_per_function=max_calls, files=files,
                                      backend=backend_of(sandbox), limits=limits_of(sandbox, TEST_SUITE))


def is_pytest_missing(message: str) -> bool:
    """Whether a run's message says that the test runner module could not be imported."""
    return _missing_module(message) == TEST_RUNNER


def missing_import(message: str, program: ProgramFile) -> str | None:
    """What to do when ``message`` (a failed run of ``program``) is a ModuleNotFoundError for
    a module the file imports; None for any other failure."""
    name = _missing_module(message)
    top = (name or "").partition(".")[0]
    if not top or top not in _imported_modules(program.source):
        return None
    if (program.path.parent / top).is_dir():
        return (f"{program.path.name} imports {top}, a package in its folder; polca copies only the single-file "
                f"modules next to the file into the sandbox, so install {top} (pip install -e . in your "
                "project's environment) and install polca into that environment too")
    return (f"{program.path.name} imports {top}, which is not installed in the environment polca runs in "
            f"({sys.prefix}); install polca into your project's environment (or pip install {top} there)")


def _missing_module(message: str) -> str | None:
    found = re.search(r"No module named '?([\w.]+)'?", message)
    return found.group(1) if found else None


def sibling_files(program: ProgramFile) -> dict[str, str]:
    """The file itself (under its module name) and the Python files next to it that it imports."""
    files = {f"{program.module_name}.py": program.source}
    imported = _imported_modules(program.source)
    for path in sorted(program.path.parent.glob("*.py")):
        if path.stem in imported and path.resolve() != program.path.resolve():
            files.setdefault(path.name, path.read_text(encoding="utf-8", errors="replace"))
    return files


MAX_CALLER_FILES = 50
MAX_CALLER_BYTES = 500_000


def caller_files(program: ProgramFile) -> dict[str, str]:
    """The other Python files of the file's folder (its package) that import it, by name:
    their literal calls of its functions say the parameters' types. Test files are not
    callers (their calls are traced when they run: :func:`discover_tests`). At most
    :data:`MAX_CALLER_FILES`, each under :data:`MAX_CALLER_BYTES` (a generated table is no caller)."""
    module, found = program.module_name, {}
    for path in sorted(program.path.parent.glob("*.py")):
        if len(found) >= MAX_CALLER_FILES:
            break
        if path.resolve() == program.path.resolve() or path.stat().st_size > MAX_CALLER_BYTES or _is_test(path):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "import" in text and re.search(rf"\b{re.escape(module)}\b", text):  # which calls are its: the analysis reads
            found[path.name] = text
    return found


def _is_test(path: Path) -> bool:
    return path.name.startswith("test_") or path.stem.endswith("_test") or path.name == "conftest.py"


def _imported_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(parse_python(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.partition(".")[0])
    return names


def discover_tests(program: ProgramFile) -> list[Path]:
    """pytest files next to the file or in a ``tests/`` folder beside or above it that import it."""
    module = program.module_name
    folders = [program.path.parent, program.path.parent / "tests", program.path.parent.parent / "tests"]
    found = []
    for folder in folders:
        for path in sorted(folder.glob("test_*.py")) if folder.is_dir() else ():
            text = path.read_text(encoding="utf-8", errors="replace")
            if f"import {module}" in text or f"from {module} import" in text:
                found.append(path)
    return found


def script_inputs(stdin_texts: Sequence[str], args: Sequence[str]) -> InputSet:
    """One script run per stdin text, all with the same arguments."""
    inputs = tuple(ScriptInput(stdin=text, args=tuple(args)) for text in stdin_texts)
    return InputSet(inputs, {"script runs": len(inputs)})


# ---------------------------------------------------------------- determinism


def keep_deterministic(target: Target, inputs: Sequence[InputItem], *,
                       sandbox: SandboxConfig = DEFAULT_SANDBOX) -> OracleCheck:
    """The inputs on which the original agrees with itself (same process, run twice).

    When it disagrees on half of the inputs or more, none is kept: the function is
    non-deterministic and the inputs where two runs agreed most likely agreed by chance.
    Inputs that cannot be built (a generated instance its own class refuses) are dropped
    apart from that count; when no other input is left the status is ``unusable``.
    """
    report = self_check(target, list(inputs), backend=backend_of(sandbox), limits=limits_of(sandbox, SELF_CHECK))
    if report.status != "ok":
        return OracleCheck((), len(inputs), report.status, report.message or report.feedback)
    unbuilt = [m for o in report.outcomes for m in o.mismatches if m.check == "input"]
    usable = len(inputs) - len(unbuilt)
    kept = tuple(inputs[o.index] for o in report.outcomes if o.equal)
    dropped = len(inputs) - len(kept)
    if dropped:
        log.info("%s: dropped %d of %d inputs where the original disagrees with itself (%d could not be built)",
                 target.qualname or "script", dropped, len(inputs), len(unbuilt))
    if unbuilt and not usable:
        message = (f"none of the {len(inputs)} inputs could be built ({unbuilt[0].got}); give tests (--tests) "
                   "or a script run whose calls can be captured")
        return OracleCheck((), dropped, "unusable", " ".join(message.split()))
    if (dropped - len(unbuilt)) * 2 >= usable:
        # Agreement on the rest is likely luck (two equal random draws), not determinism.
        message = (f"the original gives different results when run twice on {dropped - len(unbuilt)} of "
                   f"{usable} inputs")
        return OracleCheck((), dropped, "nondeterministic", message)
    return OracleCheck(kept, dropped, "ok")


def script_hash_stable(source: str, item: ScriptInput, *, sandbox: SandboxConfig = DEFAULT_SANDBOX) -> bool:
    """Whether the script prints the same under two hash seeds (set/dict-of-str ordering)."""
    outputs = []
    for seed in ("1", "2"):
        spec = RunSpec(python_source=source, stdin=item.stdin, args=tuple(item.args),
                       env={"PYTHONHASHSEED": seed}, limits=limits_of(sandbox))
        result = run(spec, backend_of(sandbox))
        outputs.append((result.status, result.stdout))
    return outputs[0] == outputs[1]


def run_tests_against(program: ProgramFile, source: str, tests: Sequence[Path], *,
                      sandbox: SandboxConfig = DEFAULT_SANDBOX, how: str = "found") -> tuple[bool, str]:
    """Run the pytest files ``tests`` in the sandbox with ``source`` in place of the file.

    Returns (passed, one line on what happened). No tests is a pass. Raises PytestMissing
    (``how``: "found" or "given", for its message) when pytest cannot be imported there.
    """
    if not tests:
        return True, "no tests to run"
    files = {**sibling_files(program), f"{program.module_name}.py": source}
    files.update({Path(t).name: Path(t).read_text(encoding="utf-8") for t in tests})
    command = (sys.executable, "-m", TEST_RUNNER, "-q", "-p", "no:cacheprovider", *(Path(t).name for t in tests))
    result = run(RunSpec(command=command, files=files, limits=limits_of(sandbox, TEST_SUITE)), backend_of(sandbox))
    if not result.ok and is_pytest_missing(result.stderr.decode("utf-8", "replace")):
        raise PytestMissing(how, [Path(t) for t in tests])
    tail = result.stdout.decode("utf-8", "replace").strip().splitlines()[-1:] or [result.message]
    return result.ok, tail[0]
