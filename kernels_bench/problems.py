"""KernelBench-format problems: loading, selection by level and id, and importing.

A problem is one Python file that defines ``Model`` (an ``nn.Module``), ``get_inputs()``
(the forward arguments) and ``get_init_inputs()`` (the constructor arguments). Its file
name is ``NN_name.py``; ``NN`` is the problem id. Problems come from either

- a KernelBench checkout: ``DIR/KernelBench/level{1..4}/NN_name.py``, or
- a plain directory of problem files (``DIR/NN_name.py``), such as the small set shipped
  with polca (:func:`builtin_problems_dir`).

A problem file may also define ``ALLOWED_TORCH_CALLS``, a literal tuple of dotted names
(``("torch.nn.functional.conv2d",)``) that a candidate may call despite the guards' ban on
PyTorch compute (see :mod:`polca.kernels_bench.guards`). It is read from the syntax tree,
never by running the file.
"""

from __future__ import annotations

import ast
import importlib.util
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from polca.parsing import parse_python

logger = logging.getLogger(__name__)

LEVELS = (1, 2, 3, 4)
# KernelBench level 4 names models with hyphens and dots: 3_EleutherAI-gpt-neo-2p7B_bs32_seq256.py.
_FILE_NAME = re.compile(r"^(\d+)_([A-Za-z0-9_.\-]+)\.py$")
_REQUIRED = ("Model", "get_inputs", "get_init_inputs")


@dataclass(frozen=True)
class Problem:
    """One KernelBench-format problem file, read but not executed."""

    problem_id: int
    name: str
    level: int | None  # None for a plain directory of problems
    path: Path
    source: str
    allowed_torch_calls: frozenset[str] = frozenset()
    shrunk: bool = False  # the source's size constants were scaled down (polca.kernels_bench.shrink)

    @property
    def key(self) -> str:
        """A stable, readable identifier such as ``level1/19_relu`` or ``19_relu``."""
        stem = f"{self.problem_id}_{self.name}"
        return stem if self.level is None else f"level{self.level}/{stem}"


def builtin_problems_dir() -> Path:
    """The directory of polca's own small problems (elementwise, reduction, matmul, ...)."""
    return Path(__file__).with_name("problems")


def parse_id_spec(spec: str) -> tuple[int, ...]:
    """Parse ``"1-10,17"`` into sorted unique ids ``(1, 2, ..., 10, 17)``.

    The rule: comma-separated positive integers or inclusive ranges ``A-B`` with A <= B.
    """
    ids: set[int] = set()
    parts = [part.strip() for part in spec.split(",")]
    if not spec.strip() or any(not part for part in parts):
        raise ValueError(_spec_error(spec, "it has an empty item"))
    for part in parts:
        match = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if match is None:
            raise ValueError(_spec_error(spec, f"{part!r} is neither a number nor a range A-B"))
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if low < 1 or high < low:
            raise ValueError(_spec_error(spec, f"{part!r} needs 1 <= A <= B"))
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


def _spec_error(spec: str, why: str) -> str:
    return (
        f"problem selection {spec!r} is invalid: {why}. Use comma-separated ids and inclusive "
        "ranges of positive integers, such as '1-10,17'."
    )


def load_problems(
    root: str | Path, level: int | None = None, ids: str | tuple[int, ...] | None = None
) -> tuple[Problem, ...]:
    """Load problems from a KernelBench checkout or a plain directory, sorted by id.

    ``root`` holding ``KernelBench/level{N}/`` is a checkout: ``level`` is then required.
    Otherwise ``root`` is a directory of ``NN_name.py`` files and ``level`` must be None.
    ``ids`` is a spec such as ``"1-10,17"`` or a tuple of ids; None selects every problem.
    Raises ValueError for a missing directory, a wrong level, an id that does not exist or
    a file that is not a KernelBench problem.
    """
    directory = problem_directory(Path(root), level)
    paths = problem_files(directory)
    wanted = parse_id_spec(ids) if isinstance(ids, str) else ids
    if wanted is None:
        wanted = tuple(paths)
    missing = [i for i in wanted if i not in paths]
    if missing:
        raise ValueError(
            f"problem ids {missing} do not exist in {directory}; it holds ids "
            f"{_ranges(sorted(paths))}. Pick ids from that list."
        )
    # Only the selected files are parsed, so one broken file elsewhere in a checkout does not
    # stop a user from running the problems they asked for.
    return tuple(read_problem(paths[i], level) for i in sorted(set(wanted)))


def problem_directory(root: Path, level: int | None) -> Path:
    """The directory holding the problem files for ``root`` and ``level``."""
    if not root.is_dir():
        raise ValueError(f"problem directory {root} does not exist; pass a KernelBench checkout or a folder of NN_name.py files.")
    checkout = root / "KernelBench"
    if not checkout.is_dir():
        if level is not None:
            raise ValueError(
                f"level={level} needs a KernelBench checkout ({root}/KernelBench/level{level}/), but {root} "
                "is a plain directory of problems; drop the level or point at the checkout."
            )
        return root
    if level not in LEVELS:
        raise ValueError(f"{root} is a KernelBench checkout, so a level is required: one of {LEVELS}, got {level!r}.")
    directory = checkout / f"level{level}"
    if not directory.is_dir():
        raise ValueError(f"{directory} does not exist; this checkout has no level {level}.")
    return directory


def problem_files(directory: Path) -> dict[int, Path]:
    """The ``NN_name.py`` files of ``directory`` by problem id, sorted by id; nothing is parsed.

    Other ``.py`` files are skipped with a logged warning. Raises ValueError when two files
    share an id or when there is no problem file at all.
    """
    paths: dict[int, Path] = {}
    for path in sorted(directory.iterdir()):
        match = _FILE_NAME.match(path.name)
        if match is None or not path.is_file():
            if path.suffix == ".py" and not path.name.startswith("_"):
                logger.warning("skipping %s: a problem file is named NN_name.py", path)
            continue
        problem_id = int(match.group(1))
        if problem_id in paths:
            raise ValueError(
                f"{directory} has two problems with id {problem_id}: "
                f"{paths[problem_id].name} and {path.name}; rename one."
            )
        paths[problem_id] = path
    if not paths:
        raise ValueError(f"{directory} holds no problem files named NN_name.py.")
    return dict(sorted(paths.items()))


def read_problem(path: str | Path, level: int | None = None) -> Problem:
    """Read one ``NN_name.py`` problem file and check that it defines what KernelBench needs."""
    path = Path(path)
    match = _FILE_NAME.match(path.name)
    if match is None:
        raise ValueError(f"problem file {path.name!r} must be named NN_name.py, such as '19_relu.py'.")
    source = path.read_text(encoding="utf-8")
    try:
        tree = parse_python(source, filename=str(path))
    except SyntaxError as exc:
        raise ValueError(f"problem file {path} is not valid Python: {exc}") from exc
    defined = {node.name for node in tree.body if isinstance(node, ast.ClassDef | ast.FunctionDef)}
    missing = [name for name in _REQUIRED if name not in defined]
    if missing:
        raise ValueError(f"problem file {path} does not define {', '.join(missing)}; a KernelBench problem defines {', '.join(_REQUIRED)}.")
    return Problem(
        problem_id=int(match.group(1)),
        name=match.group(2),
        level=level,
        path=path,
        source=source,
        allowed_torch_calls=_allowed_calls(tree, path),
    )


def _allowed_calls(tree: ast.Module, path: Path) -> frozenset[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "ALLOWED_TORCH_CALLS" for target in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError as exc:
                raise ValueError(f"{path}: ALLOWED_TORCH_CALLS must be a literal tuple of strings.") from exc
            if not isinstance(value, tuple | list) or not all(isinstance(item, str) for item in value):
                raise ValueError(f"{path}: ALLOWED_TORCH_CALLS must be a tuple of dotted names, got {value!r}.")
            return frozenset(value)
    return frozenset()


def _ranges(ids: list[int]) -> str:
    spans: list[str] = []
    start = previous = None
    for i in [*ids, None]:
        if start is not None and i == previous + 1:
            previous = i
            continue
        if start is not None:
            spans.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = i
    return ",".join(spans)


def import_source(source: str, module_name: str, path: str = "<source>") -> ModuleType:
    """Execute ``source`` as a fresh module (trusted problem code or a guarded candidate).

    The module is registered in ``sys.modules`` while it runs, so dataclasses and pickling
    inside it work, and removed afterwards.
    """
    spec = importlib.util.spec_from_loader(module_name, loader=None, origin=path)
    module = importlib.util.module_from_spec(spec)
    module.__file__ = path
    sys.modules[module_name] = module
    try:
        exec(compile(source, path, "exec"), module.__dict__)
    finally:
        sys.modules.pop(module_name, None)
    return module
