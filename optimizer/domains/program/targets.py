"""What to optimize in a Python file: loading it, finding its functions, splicing candidates.

Everything here reads source text with :mod:`ast`; nothing imports or runs the user's
file on the host. A file is a *script* when it does work at import (top-level calls or
loops, or an ``if __name__ == "__main__":`` block); otherwise it is a *module* whose
functions are called by tests or with generated inputs.

A candidate for a function target is a whole module text. :func:`merge_candidate` keeps
from it only the target's definition, its private helpers (``_`` functions that only the
target reaches, whose changes are checked through the target) and the top-level
statements it added (imports, new constants, new helpers), so a change to any other
existing function can never slip into a result without being checked.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from polca.config import SandboxConfig
from polca.optimizer.domains.program.isolation import (
    DEFAULT_SANDBOX,
    SELF_CHECK,
    backend_of,
    limits_of,
)
from polca.parsing import parse_python

log = logging.getLogger(__name__)

FileKind = Literal["module", "script"]
_QUIET_TOP_LEVEL = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                    ast.Assign, ast.AnnAssign, ast.Pass)


@dataclass(frozen=True)
class Param:
    """One parameter of a function: its name, kind and annotation (source text or "")."""

    name: str
    annotation: str = ""
    kind: Literal["positional", "keyword", "varargs", "varkw"] = "positional"
    has_default: bool = False


@dataclass(frozen=True)
class FunctionInfo:
    """A function or method found in the file (``qualname`` like ``solve`` or ``Grid.step``)."""

    qualname: str
    first_line: int  # first decorator's line, 1-based
    last_line: int
    params: tuple[Param, ...]
    is_method: bool
    is_async: bool = False

    @property
    def name(self) -> str:
        return self.qualname.rpartition(".")[2]


@dataclass(frozen=True)
class ProgramFile:
    """A Python file read and parsed: its text, kind and functions."""

    path: Path
    source: str
    kind: FileKind
    functions: tuple[FunctionInfo, ...]

    @property
    def module_name(self) -> str:
        return self.path.stem if self.path.stem.isidentifier() else "target_module"

    def function(self, qualname: str) -> FunctionInfo:
        """The function named ``qualname``; an unknown name raises listing the choices."""
        for info in self.functions:
            if info.qualname == qualname:
                return info
        known = ", ".join(f.qualname for f in self.functions) or "none"
        raise ValueError(
            f"function {qualname!r} is not defined in {self.path}; functions found: {known}. "
            "Pass --function with one of these names (methods as Class.method)."
        )


def load_program(path: str | Path) -> ProgramFile:
    """Read and parse ``path``; a missing file, a non-Python file or a syntax error raises ValueError."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path} does not exist; pass the path of a Python file, e.g. examples/dedup_ids.py")
    if not path.is_file() or path.suffix != ".py":
        raise ValueError(f"{path} is not a Python file; polca optimize takes a .py file")
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text ({exc.reason}); save it as UTF-8 Python source") from exc
    tree = parse_source(source, str(path))
    return ProgramFile(path=path, source=source, kind=file_kind(tree), functions=tuple(find_functions(tree)))


def parse_source(source: str, filename: str = "<candidate>") -> ast.Module:
    """Parse ``source``; a syntax error raises ValueError naming the line."""
    try:
        return parse_python(source, filename=filename)
    except SyntaxError as exc:
        raise ValueError(
            f"{filename} has a syntax error at line {exc.lineno}: {exc.msg}; fix it so the file runs with python"
        ) from exc


def file_kind(tree: ast.Module) -> FileKind:
    """``script`` when the file does work at import (or has a ``__main__`` block), else ``module``."""
    for node in tree.body:
        if _is_main_guard(node):
            return "script"
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # docstring
        if not isinstance(node, _QUIET_TOP_LEVEL):
            return "script"
    return "module"


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    names = [node.test.left, *node.test.comparators]
    return any(isinstance(n, ast.Name) and n.id == "__name__" for n in names)


def find_functions(tree: ast.Module) -> list[FunctionInfo]:
    """Top-level functions and methods of top-level classes, in file order."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(_info(node, node.name, is_method=False))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found.append(_info(item, f"{node.name}.{item.name}", is_method=True))
    return found


def _info(node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, *, is_method: bool) -> FunctionInfo:
    return FunctionInfo(qualname=qualname, first_line=_first_line(node), last_line=node.end_lineno or node.lineno,
                        params=_params(node.args), is_method=is_method,
                        is_async=isinstance(node, ast.AsyncFunctionDef))


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _params(args: ast.arguments) -> tuple[Param, ...]:
    def text(a: ast.arg) -> str:
        return ast.unparse(a.annotation) if a.annotation is not None else ""

    positional = [*args.posonlyargs, *args.args]
    n_defaults = len(args.defaults)
    params = [Param(a.arg, text(a), "positional", i >= len(positional) - n_defaults)
              for i, a in enumerate(positional)]
    if args.vararg:
        params.append(Param(args.vararg.arg, text(args.vararg), "varargs", True))
    params.extend(Param(a.arg, text(a), "keyword", d is not None)
                  for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True))
    if args.kwarg:
        params.append(Param(args.kwarg.arg, text(args.kwarg), "varkw", True))
    return tuple(params)


def function_text(source: str, qualname: str) -> str:
    """The source lines of ``qualname``'s definition (decorators included)."""
    info = _locate(parse_source(source), qualname)
    if info is None:
        raise ValueError(f"function {qualname!r} is not defined in this source")
    lines = source.splitlines(keepends=True)
    return "".join(lines[info.first_line - 1 : info.last_line])


def _locate(tree: ast.Module, qualname: str) -> FunctionInfo | None:
    return next((f for f in find_functions(tree) if f.qualname == qualname), None)


def merge_candidate(original: str, candidate: str, qualname: str) -> str:
    """``original`` with ``qualname`` and its private helpers taken from ``candidate``, plus what it added.

    A *private helper* of the target is a top-level function of the original whose name
    starts with ``_``, that the target reaches (directly or through other private helpers)
    and that nothing else in the file reaches except through the target
    (:func:`private_helpers`). Its changes are verified through the target, so they are
    kept; a change to any other existing definition is dropped. Added imports go after the
    original's last top-level import; other added statements (constants, helper functions
    with new names) go just before the target's definition. Raises ValueError when the
    candidate does not parse or lacks the target.
    """
    tree_o, tree_c = parse_source(original), parse_source(candidate)
    target_o, target_c = _locate(tree_o, qualname), _locate(tree_c, qualname)
    if target_c is None:
        raise ValueError(f"the candidate no longer defines {qualname!r}; keep its name and signature")
    if target_o is None:
        raise ValueError(f"function {qualname!r} is not defined in the original source")
    lines_o, lines_c = original.splitlines(keepends=True), candidate.splitlines(keepends=True)
    replacements = {target_o.first_line - 1: (target_o.last_line, _span(lines_c, target_c))}
    replacements.update(_changed_helpers(tree_o, tree_c, lines_c, qualname))
    imports, others = _added_statements(tree_o, tree_c, lines_c, target_c)
    inserts: dict[int, list[str]] = {}
    if imports:
        cut = _after_last_import(tree_o)
        if not any(isinstance(n, ast.Import | ast.ImportFrom) for n in tree_o.body) and cut:
            imports = ["\n", *imports]  # a blank line between the docstring and the first import
        inserts[cut] = imports
    if others:
        inserts.setdefault(target_o.first_line - 1, []).extend([*others, "\n"])
    return _ensure_newline(_splice(lines_o, replacements, inserts))


def _span(lines: Sequence[str], info: FunctionInfo) -> str:
    return _ensure_newline("".join(lines[info.first_line - 1 : info.last_line]))


def _splice(lines: Sequence[str], replacements: dict[int, tuple[int, str]], inserts: dict[int, list[str]]) -> str:
    """``lines`` with ``replacements`` (0-based start -> (end line, text)) and ``inserts`` (before index)."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        out.extend(inserts.get(index, []))
        if index in replacements:
            end, text = replacements[index]
            out.append(text)
            index = end
        else:
            out.append(lines[index])
            index += 1
    out.extend(inserts.get(len(lines), []))
    return "".join(out)


def private_helpers(tree: ast.Module, qualname: str) -> set[str]:
    """Names of the target's private helpers in ``tree`` (see :func:`merge_candidate`).

    Top-level functions named ``_...`` that the target reaches by name, directly or
    through other such helpers, and that no other top-level statement (another function,
    a class, module-level code, another method of the target's class) reaches without
    going through the target. A helper shared with other code is not one: a change to it
    would change that code unchecked.
    """
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    target = _target_node(tree, qualname)
    if target is None:
        return set()
    private = {name for name in functions if name.startswith("_") and name != qualname}
    reached = _reach(_names_used(target), functions, private)
    others: set[str] = set()
    for node in tree.body:
        if node is target or (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in reached):
            continue
        others |= _names_used(node, skip=target)
    return reached - _reach(others - {qualname}, functions, set(functions) - {qualname})


def _target_node(tree: ast.Module, qualname: str) -> ast.AST | None:
    scope: list[ast.stmt] = tree.body
    node: ast.AST | None = None
    for part in qualname.split("."):
        node = next((n for n in scope if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                     and n.name == part), None)
        if node is None:
            return None
        scope = node.body
    return node


def _names_used(node: ast.AST, skip: ast.AST | None = None) -> set[str]:
    """Names read anywhere under ``node``, leaving out the subtree ``skip``."""
    if node is skip:
        return set()
    names = {node.id} if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) else set()
    for child in ast.iter_child_nodes(node):
        names |= _names_used(child, skip)
    return names


def _reach(start: set[str], functions: dict[str, ast.AST], through: set[str]) -> set[str]:
    """The names in ``through`` reached from ``start``, following the bodies of ``functions``."""
    reached: set[str] = set()
    pending = [name for name in start if name in through]
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending.extend(n for n in _names_used(functions[name]) if n in through and n not in reached)
    return reached


def _changed_helpers(tree_o: ast.Module, tree_c: ast.Module, lines_c: Sequence[str],
                     qualname: str) -> dict[int, tuple[int, str]]:
    """Replacements (0-based start -> (end line, text)) for the private helpers the candidate changed."""
    replacements = {}
    for name in sorted(private_helpers(tree_o, qualname)):
        helper_o, helper_c = _locate(tree_o, name), _locate(tree_c, name)
        if helper_o is None or helper_c is None:
            continue  # a helper the candidate dropped stays as it was
        replacements[helper_o.first_line - 1] = (helper_o.last_line, _span(lines_c, helper_c))
    return replacements


def _added_statements(tree_o: ast.Module, tree_c: ast.Module, lines_c: Sequence[str],
                      target_c: FunctionInfo) -> tuple[list[str], list[str]]:
    known_imports = {ast.unparse(n) for n in tree_o.body if isinstance(n, ast.Import | ast.ImportFrom)}
    bound = _top_level_names(tree_o)
    imports, others = [], []
    for node in tree_c.body:
        if node.lineno >= target_c.first_line and (node.end_lineno or node.lineno) <= target_c.last_line:
            continue
        text = _ensure_newline("".join(lines_c[_first_line(node) - 1 : node.end_lineno]))
        if isinstance(node, ast.Import | ast.ImportFrom):
            if ast.unparse(node) not in known_imports:
                imports.append(text)
        elif _binds_only_new_names(node, bound):
            others.append(text)
    return imports, others


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        names.update(_bound_names(node))
    return names


def _bound_names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _binds_only_new_names(node: ast.stmt, bound: set[str]) -> bool:
    names = _bound_names(node)
    return bool(names) and not names & bound


def _after_last_import(tree: ast.Module) -> int:
    ends = [n.end_lineno or n.lineno for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    if ends:
        return max(ends)
    first = tree.body[0] if tree.body else None
    is_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    return (first.end_lineno or 0) if is_docstring else 0


def _ensure_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


# ---------------------------------------------------------------- ranking by profile

_PROFILED_FILE = "polca_profiled.py"
_PROFILE_MARKER = "@@polca-profile@@"
_PROFILER = f'''
import cProfile, io, json, os, pstats, runpy, sys
answer = os.dup(1)
sys.argv = [{_PROFILED_FILE!r}, *json.loads(sys.argv[1])]
sys.stdout = io.StringIO()
profile = cProfile.Profile()
status = "ok"
try:
    profile.runcall(runpy.run_path, {_PROFILED_FILE!r}, run_name="__main__")
except SystemExit as exc:
    status = "ok" if exc.code in (None, 0) else f"exited with status {{exc.code!r}}"
except BaseException as exc:
    status = f"{{type(exc).__name__}}: {{exc}}"
stats = pstats.Stats(profile).stats
rows = [[line, name, nc, ct] for (file, line, name), (cc, nc, tt, ct, callers) in stats.items()
        if file.endswith({_PROFILED_FILE!r})]
os.write(answer, ("{_PROFILE_MARKER}" + json.dumps({{"status": status, "rows": rows}}) + "\\n").encode())
'''


@dataclass(frozen=True)
class FunctionProfile:
    """Cumulative time and call count of one function under the workload."""

    qualname: str
    calls: int
    cumulative_s: float


@dataclass(frozen=True)
class ProfileResult:
    """Functions of the file that ran, hottest first; ``status`` is "ok" or why the run failed."""

    status: str
    functions: tuple[FunctionProfile, ...]

    def calls_of(self, qualname: str) -> int:
        return next((f.calls for f in self.functions if f.qualname == qualname), 0)


def profile_script(program: ProgramFile, *, stdin: str = "", args: Sequence[str] = (),
                   sandbox: SandboxConfig = DEFAULT_SANDBOX) -> ProfileResult:
    """Run the script once under ``cProfile`` in the sandbox and rank its functions."""
    import json

    from polca.sandbox import RunSpec, run

    spec = RunSpec(python_source=_PROFILER, files={_PROFILED_FILE: program.source}, stdin=stdin,
                   args=(json.dumps(list(args)),), limits=limits_of(sandbox, SELF_CHECK))
    result = run(spec, backend_of(sandbox))
    for line in reversed(result.stdout.decode("utf-8", "replace").splitlines()):
        if line.startswith(_PROFILE_MARKER):
            answer = json.loads(line[len(_PROFILE_MARKER):])
            return ProfileResult(answer["status"], _rank(program, answer["rows"]))
    return ProfileResult(f"the profiled run gave no answer: {result.message}", ())


def _rank(program: ProgramFile, rows: Sequence[Sequence]) -> tuple[FunctionProfile, ...]:
    totals: dict[str, list[float]] = {}
    for line, name, calls, cumulative_s in rows:
        info = next((f for f in program.functions if f.first_line <= line <= f.last_line and f.name == name), None)
        if info is not None:
            entry = totals.setdefault(info.qualname, [0, 0.0])
            entry[0] += calls
            entry[1] += cumulative_s
    ranked = [FunctionProfile(q, int(c), float(s)) for q, (c, s) in totals.items()]
    return tuple(sorted(ranked, key=lambda f: (-f.cumulative_s, f.qualname)))


# ---------------------------------------------------------------- hot lines

_HOT_JOB = "polca_hot.json"
_HOT_MARKER = "@@polca-hot@@"
_LINE_COUNTER = f'''
import base64, collections, importlib, io, json, os, pickle, sys
answer = os.dup(1)
job = json.load(open({_HOT_JOB!r}))
sys.path.insert(0, os.getcwd())
sys.stdout = io.StringIO()
module = importlib.import_module(job["module"])
target = module
for part in job["qualname"].split("."):
    target = getattr(target, part)
counts = collections.Counter()
def tracer(frame, event, arg):
    if frame.f_code.co_filename != module.__file__:
        return None
    if event == "line":
        counts[frame.f_lineno] += 1
    return tracer
for payload in job["payloads"]:
    try:
        args, kwargs = pickle.loads(base64.b64decode(payload))
        sys.settrace(tracer)
        target(*args, **kwargs)
    except Exception:
        pass
    finally:
        sys.settrace(None)
os.write(answer, ("{_HOT_MARKER}" + json.dumps(counts.most_common(job["top"])) + "\\n").encode())
'''


def hot_lines(source: str, qualname: str, payloads: Sequence[bytes], *, module_name: str = "target_module",
              top: int = 6, sandbox: SandboxConfig = DEFAULT_SANDBOX) -> str:
    """The most executed lines of the file while ``qualname`` runs on ``payloads`` (pickled
    ``(args, kwargs)``), one per line as ``line N (K times): text``; "" when it cannot tell."""
    import base64
    import json

    from polca.sandbox import RunSpec, run

    job = {"module": module_name, "qualname": qualname, "top": top,
           "payloads": [base64.b64encode(p).decode("ascii") for p in payloads]}
    files = {f"{module_name}.py": source, _HOT_JOB: json.dumps(job)}
    result = run(RunSpec(python_source=_LINE_COUNTER, files=files, limits=limits_of(sandbox)), backend_of(sandbox))
    lines = source.splitlines()
    for row in reversed(result.stdout.decode("utf-8", "replace").splitlines()):
        if row.startswith(_HOT_MARKER):
            counts = json.loads(row[len(_HOT_MARKER):])
            return "\n".join(f"- line {n} ({k} times): {lines[n - 1].strip()}" for n, k in counts if n <= len(lines))
    return ""
