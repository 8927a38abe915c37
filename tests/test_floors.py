"""The house's floors (DESIGN.md): a room imports only from its own floor or below.

Every Python file of the library is parsed (nothing is imported) and every ``import`` in
it, at the top, inside a function or under ``TYPE_CHECKING``, is checked against the
floor of the module it names. A new module must be given a floor in ``FLOORS`` below.
"""

from __future__ import annotations

import ast
import re
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Module prefix -> floor, as DESIGN.md draws them. The longest matching prefix wins.
FLOORS: dict[str, int] = {
    "polca.config": 0,
    "polca.parsing": 0,
    "polca.sandbox": 1,
    "polca.events": 1,
    "polca.llm": 1,
    "polca.store": 1,
    "polca.runs": 1,
    "polca.testing": 1,
    "polca.skills": 2,
    "polca.kernels_bench": 2,
    "polca.optimizer": 2,
    "polca.optimizer.domains": 3,
    "polca.trainer": 3,
    "polca.cli": 4,
    "polca.report": 4,
    "polca.report_svg": 4,
    "polca.dspy": 4,
    "polca.__main__": 4,
}
# `polca` itself is a face on floor 4, but only the package: `polca.x` needs its own entry.
TOP = "polca"
TOP_FLOOR = 4
ENGINE, DOMAINS, SANDBOX = "polca.optimizer", "polca.optimizer.domains", "polca.sandbox"


@dataclass(frozen=True)
class Import:
    """One import of a polca module: where it stands and what it names."""

    path: str
    line: int
    importer: str
    target: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.target}"


def rooms() -> dict[str, str]:
    """Folder (relative to the root) -> package, from pyproject.toml's package-dir."""
    package_dir = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    return {folder: package for package, folder in package_dir.items()}


def library_files() -> dict[str, Path]:
    """Module name -> file for every Python file in the rooms, data folders included.

    A skill's ``rule.py`` or a KernelBench problem is not an importable module, but it runs
    inside its room, so its imports obey that room's floor.
    """
    files = {}
    for folder, package in rooms().items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            files[".".join((package, *parts))] = path
    return files


def floor_of(module: str) -> int | None:
    """The floor of ``module``, or None when FLOORS gives it none."""
    if module == TOP:
        return TOP_FLOOR
    matches = [prefix for prefix in FLOORS if module == prefix or module.startswith(prefix + ".")]
    return FLOORS[max(matches, key=len)] if matches else None


def imports_of(module: str, source: str, path: str, modules: set[str]) -> Iterator[Import]:
    """The polca modules that ``source`` (the text of ``module``) imports, anywhere in it."""
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            # `from polca.optimizer import events` names a module; `from x import f`, x.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target == TOP or target.startswith(TOP + "."):
                yield Import(path, node.lineno, module, target)


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*anchor, *([node.module] if node.module else [])])


def all_imports() -> list[Import]:
    files = library_files()
    found = []
    for module, path in files.items():
        source = path.read_text(encoding="utf-8")
        found.extend(imports_of(module, source, str(path.relative_to(ROOT)), set(files)))
    return found


def up_a_floor(found: list[Import]) -> list[str]:
    """One line per import that names a module on a higher floor than its importer's."""
    problems = []
    for imp in found:
        own, theirs = floor_of(imp.importer), floor_of(imp.target)
        if own is not None and theirs is not None and theirs > own:
            problems.append(f"{imp} (floor {own} imports floor {theirs})")
    return problems


def test_every_library_module_has_a_floor() -> None:
    missing = [module for module in library_files() if floor_of(module) is None]
    assert not missing, f"no floor for {missing}: add them to FLOORS in tests/test_floors.py"


def test_no_import_runs_up_a_floor() -> None:
    problems = up_a_floor(all_imports())
    assert not problems, "imports that run up a floor:\n" + "\n".join(problems)


def test_the_engine_never_imports_a_domain() -> None:
    problems = [
        str(imp) for imp in all_imports()
        if _inside(imp.importer, ENGINE) and not _inside(imp.importer, DOMAINS) and _inside(imp.target, DOMAINS)
    ]
    assert not problems, "the engine imports a domain:\n" + "\n".join(problems)


def test_the_sandbox_imports_nothing_else_of_polca() -> None:
    problems = [
        str(imp) for imp in all_imports() if _inside(imp.importer, SANDBOX) and not _inside(imp.target, SANDBOX)
    ]
    assert not problems, "the sandbox imports polca outside itself (not even config):\n" + "\n".join(problems)


def test_every_polca_import_names_a_module_of_the_library() -> None:
    modules = set(library_files())
    stale = [str(imp) for imp in all_imports() if imp.target not in modules]
    assert not stale, "imports of modules that do not exist:\n" + "\n".join(stale)


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("polca.sandbox.x", "from polca.cli import main", ["floor 1 imports floor 4"]),
        ("polca.llm", "def f():\n    from polca.optimizer import engine", ["floor 1 imports floor 2"]),
        ("polca.skills.x", "if TYPE_CHECKING:\n    import polca.trainer.grpo", ["floor 2 imports floor 3"]),
        ("polca.optimizer.engine", "from .domains import prompt", ["floor 2 imports floor 3"]),
        ("polca.store", "from polca import __version__", ["floor 1 imports floor 4"]),
        ("polca.optimizer.domains.x", "from polca.optimizer.engine import Engine", []),
        ("polca.trainer.x", "from polca.config import LLMConfig", []),
    ],
)
def test_the_check_catches_an_import_up_a_floor(module, source, expected) -> None:
    modules = {"polca.cli", "polca.optimizer.engine", "polca.optimizer.domains.prompt", "polca.trainer.grpo"}
    found = list(imports_of(module, source, f"{module.replace('.', '/')}.py", modules))
    problems = up_a_floor(found)
    assert [p.rpartition("(")[2].rstrip(")") for p in problems] == expected
    assert all(p.startswith(f"{module.replace('.', '/')}.py:") for p in problems)


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# ------------------------------------------------------------------- the README's rooms


def readme_rooms() -> set[str]:
    """The folders the first column of the README's architecture table names."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Architecture\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([\w.-]+)/`", section, flags=re.MULTILINE))


def test_the_readme_architecture_table_lists_every_room_of_the_library() -> None:
    missing = set(rooms()) - readme_rooms()
    assert not missing, f"README.md's architecture table misses {sorted(missing)}"


def test_the_readme_architecture_table_lists_every_top_level_folder() -> None:
    try:
        tracked = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked top-level folders are unknown")
    folders = {name.split("/", 1)[0] for name in tracked if "/" in name and not name.startswith(".")}
    missing = folders - readme_rooms()
    assert not missing, f"README.md's architecture table misses {sorted(missing)}"
