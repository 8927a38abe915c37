#!/usr/bin/env python3
"""CI: static tools resolve every ``polca.*`` module of an editable install.

The root folders (``optimizer/``, ``sandbox/``, ...) install as ``polca.*`` sub-packages
through ``[tool.setuptools.package-dir]``. Setuptools' default editable install finds them
with an import hook that only the interpreter runs; static tools such as mypy see no
``polca`` at all. The strict mode builds a tree of links that they follow. This check makes that install in a
throwaway virtual environment, writes a file importing every module the distribution ships
(listed from pyproject.toml), and runs mypy on it from a folder outside the checkout. It
fails on an import mypy cannot resolve or will not analyze (``import-not-found``,
``import-untyped``); other type errors are not its business.

    python .ci/check_imports.py                  # strict editable install: must pass
    python .ci/check_imports.py --mode default   # the default install: shows the failure

Needs mypy in the running interpreter (the ``dev`` extra) and pip's index for the build
backend. Exit status 0 when every import resolves, 1 otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT_CODES = ("[import-not-found]", "[import-untyped]")
# Analyze polca's own modules (silently: their type errors are not this check's business)
# and skip third-party ones, which the throwaway environment does not have and which
# would take mypy minutes (torch, transformers).
MYPY_INI = """\
[mypy]
follow_imports = skip
incremental = False

[mypy-polca,polca.*]
follow_imports = silent
"""


def shipped_modules(root: Path) -> list[str]:
    """Every module of the packages pyproject.toml lists, through its package-dir map."""
    setuptools = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders: dict[str, str] = setuptools["package-dir"]
    modules = []
    for package in setuptools["packages"]:
        base = max((name for name in folders if package == name or package.startswith(name + ".")), key=len)
        folder = root / folders[base] / package[len(base) + 1 :].replace(".", "/")
        for path in sorted(folder.glob("*.py")):
            modules.append(package if path.stem == "__init__" else f"{package}.{path.stem}")
    return modules


def editable_install(where: Path, mode: str) -> Path:
    """A fresh virtual environment with this checkout installed editable; its python."""
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    command = [str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT)]
    if mode != "default":
        command += ["--config-settings", f"editable_mode={mode}"]
    subprocess.run(command, check=True)
    return python


def import_errors(python: Path, modules: list[str], workdir: Path) -> list[str]:
    """mypy's unresolved-import lines for a file importing ``modules``, run in ``workdir``."""
    probe = workdir / "import_every_module.py"
    probe.write_text("".join(f"import {module}\n" for module in modules))
    (workdir / "mypy.ini").write_text(MYPY_INI)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini",
         "--python-executable", str(python), probe.name],
        cwd=workdir, capture_output=True, text=True,
    )
    if result.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        raise RuntimeError(f"mypy failed with status {result.returncode}: {result.stderr.strip()}")
    return [line for line in result.stdout.splitlines() if line.endswith(IMPORT_CODES)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="strict", choices=("strict", "compat", "lenient", "default"),
                        help="setuptools editable_mode to install with (default: strict)")
    args = parser.parse_args(argv)
    modules = shipped_modules(ROOT)
    with tempfile.TemporaryDirectory(prefix="polca-imports-") as tmp:
        python = editable_install(Path(tmp) / "venv", args.mode)
        outside = Path(tmp) / "outside"
        outside.mkdir()
        errors = import_errors(python, modules, outside)
    if errors:
        print(f"mypy reports {len(errors)} unresolved import(s) among the {len(modules)} polca "
              f"modules (editable_mode={args.mode}):", file=sys.stderr)
        print("\n".join(errors), file=sys.stderr)
        return 1
    print(f"mypy resolves all {len(modules)} polca modules (editable_mode={args.mode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
