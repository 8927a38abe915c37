"""How a program target is checked: the inputs it runs on and the original's behaviour on them.

Inputs come from, best first: calls captured by tracing a run of the script or of the
tests (:mod:`polca.sandbox.trace`); for scripts, runs with the given stdin and arguments;
and calls generated from the type hints, a few small ones drawn with Hypothesis (edge
cases: empty, zero, negative) and a few large ones scaled by ``size`` for timing.

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
import contextlib
import logging
import os
import random
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polca.config import SandboxConfig
from polca.optimizer.domains.program.isolation import (
    DEFAULT_SANDBOX,
    SELF_CHECK,
    TEST_SUITE,
    backend_of,
    limits_of,
)
from polca.optimizer.domains.program.targets import FunctionInfo, Param, ProgramFile
from polca.sandbox import RunSpec, run
from polca.sandbox.difftest import self_check
from polca.sandbox.target import Call, InputItem, ScriptInput, Target
from polca.sandbox.trace import Captured, capture_calls, capture_calls_from_command

log = logging.getLogger(__name__)

TEST_RUNNER = "pytest"
"""The module tests run under, when traced for inputs and before ``--apply``."""

MAX_SCALAR_INT = 20
"""Largest generated value of a top-level ``int`` parameter: such integers often set a
recursion depth or a loop count, where a large value would never finish."""


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


# ---------------------------------------------------------------- generated inputs


def generated_calls(info: FunctionInfo, *, size: int, count_small: int = 6, count_large: int = 3,
                    seed: int = 0) -> list[Call]:
    """Calls built from ``info``'s type hints: small Hypothesis examples and large random ones.

    Raises UnsupportedSignature for methods, unannotated parameters or unknown types.
    """
    makers = _param_makers(info)
    calls = [Call(args=tuple(v)) for v in _hypothesis_examples(info, count_small, seed)]
    rng = random.Random(seed)
    for _ in range(count_large):
        calls.append(Call(args=tuple(make(rng, size) for make in makers)))
    return calls


Maker = Callable[[random.Random, int], Any]


def _param_makers(info: FunctionInfo) -> list[Maker]:
    if info.is_method:
        raise UnsupportedSignature(f"{info.qualname} is a method; its inputs need an instance")
    makers = []
    for param in info.params:
        if param.kind != "positional" or param.has_default:
            continue
        if not param.annotation:
            raise UnsupportedSignature(
                f"parameter {param.name!r} of {info.qualname} has no type hint; add one (e.g. list[int])")
        makers.append(_top_level_maker(param, info))
    return makers


def _top_level_maker(param: Param, info: FunctionInfo) -> Maker:
    node = _annotation_node(param, info)
    if isinstance(node, ast.Name) and node.id == "int":
        return lambda rng, size: rng.randint(min(size, MAX_SCALAR_INT) // 2, min(size, MAX_SCALAR_INT))
    if isinstance(node, ast.Name) and node.id == "str":
        return lambda rng, size: " ".join(_word(rng, size) for _ in range(size))
    return _maker(node, param, info)


def _annotation_node(param: Param, info: FunctionInfo) -> ast.expr:
    node = ast.parse(param.annotation, mode="eval").body
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # T | None
        node = node.right if _is_none(node.left) else node.left
    if isinstance(node, ast.Subscript) and _name(node.value) == "Optional":
        node = node.slice
    return node


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


_SCALARS: dict[str, Maker] = {
    "int": lambda rng, size: rng.randint(-size, size),
    "float": lambda rng, size: rng.uniform(-size, size),
    "bool": lambda rng, size: rng.random() < 0.5,
    "str": lambda rng, size: _word(rng, size),
    "bytes": lambda rng, size: _word(rng, size).encode(),
}
_SEQUENCES = {"list": list, "List": list, "Sequence": list, "Iterable": list, "set": set, "Set": set,
              "frozenset": frozenset, "tuple": tuple, "Tuple": tuple}


def _maker(node: ast.expr, param: Param, info: FunctionInfo) -> Maker:
    name = _name(node.value if isinstance(node, ast.Subscript) else node)
    if name in _SCALARS and not isinstance(node, ast.Subscript):
        return _SCALARS[name]
    if isinstance(node, ast.Subscript) and name in _SEQUENCES:
        return _sequence_maker(node, name, param, info)
    if isinstance(node, ast.Subscript) and name in ("dict", "Dict", "Mapping"):
        key, value = (_maker(e, param, info) for e in node.slice.elts)
        return lambda rng, size: {key(rng, size): value(rng, size) for _ in range(size)}
    raise UnsupportedSignature(
        f"cannot generate inputs for parameter {param.name!r}: {param.annotation} of {info.qualname}; "
        "supported hints: int, float, bool, str, bytes and list/tuple/set/dict of them")


def _sequence_maker(node: ast.Subscript, name: str, param: Param, info: FunctionInfo) -> Maker:
    elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    kind = _SEQUENCES[name]
    if kind is tuple and not (len(elts) == 2 and isinstance(elts[1], ast.Constant) and elts[1].value is ...):
        parts = [_maker(e, param, info) for e in elts]
        return lambda rng, size: tuple(p(rng, size) for p in parts)
    element = _maker(elts[0], param, info)
    return lambda rng, size: kind(element(rng, size) for _ in range(size))


def _word(rng: random.Random, size: int) -> str:
    """A word from a vocabulary of about ``size / 8`` words, so words repeat as in real text."""
    index = rng.randrange(max(1, size // 8))
    letters = "abcdefghijklmnopqrstuvwxyz"
    word = ""
    while True:
        word += letters[index % 26]
        index //= 26
        if index == 0:
            return word


def _hypothesis_examples(info: FunctionInfo, count: int, seed: int) -> list[list[Any]]:
    """``count`` argument lists drawn by Hypothesis from the hints, reproducibly.

    Without Hypothesis installed there are none (logged): the large random inputs remain.
    """
    try:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st
    except ImportError:
        log.warning("hypothesis is not installed (pip install hypothesis): no small edge-case inputs for %s",
                    info.qualname)
        return []

    params = [p for p in info.params if p.kind == "positional" and not p.has_default]
    strategy = st.tuples(*(_top_level_strategy(_annotation_node(p, info), st) for p in params))
    found: list[list[Any]] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(values):
        if len(found) < count:
            found.append(list(values))

    with _hypothesis_storage_outside_cwd():
        collect()
    return found


@contextlib.contextmanager
def _hypothesis_storage_outside_cwd() -> Iterator[None]:
    """Hypothesis caches data (its unicode tables) under ``./.hypothesis`` unless told
    otherwise; polca leaves the user's folder as it was, so that cache goes to a temporary
    folder, unless ``HYPOTHESIS_STORAGE_DIRECTORY`` names one."""
    from hypothesis import configuration

    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    previous = vars(configuration).get("__hypothesis_home_directory")
    configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "polca-hypothesis")
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)


def _top_level_strategy(node: ast.expr, st: Any) -> Any:
    if isinstance(node, ast.Name) and node.id == "int":
        return st.integers(-2, MAX_SCALAR_INT)
    return _strategy(node, st)


def _strategy(node: ast.expr, st: Any) -> Any:
    name = _name(node.value if isinstance(node, ast.Subscript) else node)
    scalars = {"int": st.integers(-50, 50), "float": st.floats(-1e3, 1e3, allow_nan=False),
               "bool": st.booleans(), "str": st.text("abc ", max_size=8), "bytes": st.binary(max_size=8)}
    if name in scalars and not isinstance(node, ast.Subscript):
        return scalars[name]
    if isinstance(node, ast.Subscript) and name in ("dict", "Dict", "Mapping"):
        key, value = (_strategy(e, st) for e in node.slice.elts)
        return st.dictionaries(key, value, max_size=6)
    elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    kind = _SEQUENCES[name]
    if kind is tuple and not (len(elts) == 2 and isinstance(elts[1], ast.Constant)):
        return st.tuples(*(_strategy(e, st) for e in elts))
    return st.lists(_strategy(elts[0], st), max_size=8).map(kind)


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


def _imported_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
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
    """
    report = self_check(target, list(inputs), backend=backend_of(sandbox), limits=limits_of(sandbox, SELF_CHECK))
    if report.status != "ok":
        return OracleCheck((), len(inputs), report.status, report.message or report.feedback)
    kept = tuple(inputs[o.index] for o in report.outcomes if o.equal)
    dropped = len(inputs) - len(kept)
    if dropped:
        log.info("%s: dropped %d of %d inputs where the original disagrees with itself",
                 target.qualname or "script", dropped, len(inputs))
    if dropped * 2 >= len(inputs):
        # Agreement on the rest is likely luck (two equal random draws), not determinism.
        message = f"the original gives different results when run twice on {dropped} of {len(inputs)} inputs"
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
