"""``polca optimize`` never ends in a traceback. ``--apply`` / ``--out`` when the write fails:
one line on stderr, exit 1, the diff still shown, no stray backup or temporary file; a
backup keeps the file's mode. Files with the AST shapes real code has end in the table, or
in one line when they cannot be optimized.

The command runs as the installed ``polca`` console script from a folder outside the
checkout. Tests run as root here, and chmod does not stop root from writing, so an
unwritable file or folder is made with ``chattr +i`` (skipped where that is not allowed).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from polca.cli import app
from tests.fixtures.cli import installed_polca as _installed_polca
from tests.test_cli_optimize import EXAMPLES, QUICK

runner = CliRunner()
ENV = {"POLCA_OPTIMIZE_BUDGET_EVALS": "8", "POLCA_OPTIMIZE_SIZE": "300", "POLCA_OPTIMIZE_FINAL_ROUNDS": "8",
       "POLCA_SEARCH_ROUNDS": "3", "POLCA_SEARCH_WARMUP": "0"}


@pytest.fixture
def folder(tmp_path_factory) -> Path:
    """A folder outside the checkout holding a copy of the bundled dedup example."""
    place = tmp_path_factory.mktemp("elsewhere")
    shutil.copyfile(EXAMPLES / "dedup_ids.py", place / "dedup_ids.py")
    yield place
    for path in [place, *place.rglob("*")]:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


def _polca(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **ENV}
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    return subprocess.run([_installed_polca(), "optimize", "dedup_ids.py", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


def _immutable(path: Path) -> None:
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed; root can write through any chmod")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not allowed here ({done.stderr.strip()})")


def _one_error_line(done: subprocess.CompletedProcess, *expected: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and all(word in errors[0] for word in expected), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "dict.fromkeys" in done.stdout  # the diff is still shown


def _stray(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} - {"dedup_ids.py", ".polca"}


def test_apply_to_an_unwritable_file_is_one_line_and_leaves_no_backup(folder):
    _immutable(folder / "dedup_ids.py")
    done = _polca(folder, "--apply")
    _one_error_line(done, "could not write", "dedup_ids.py", "nothing was written")
    assert _stray(folder) == set()
    assert "dict.fromkeys" not in (folder / "dedup_ids.py").read_text()


def test_apply_in_an_unwritable_folder_is_one_line_and_leaves_nothing(folder):
    (folder / ".polca").mkdir()  # the store's folder exists before the folder is locked
    _immutable(folder)
    done = _polca(folder, "--apply")
    _one_error_line(done, "could not write")
    assert _stray(folder) == set() and "dict.fromkeys" not in (folder / "dedup_ids.py").read_text()


def test_output_under_proc_is_one_line(folder):
    done = _polca(folder, "--out", "/proc/polca-optimized.py")
    _one_error_line(done, "could not write", "/proc/polca-optimized.py")
    assert _stray(folder) == set()


def test_a_backup_keeps_the_files_mode_and_the_file_keeps_it_too(folder):
    path = folder / "dedup_ids.py"
    original = path.read_text()
    path.chmod(0o640)
    done = _polca(folder, "--apply")
    assert done.returncode == 0, done.stderr
    backup = folder / "dedup_ids.py.orig"
    assert backup.read_text() == original and "dict.fromkeys" in path.read_text()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o640 and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert _stray(folder) == {"dedup_ids.py.orig"}


def test_a_file_with_crlf_line_endings_is_applied_and_keeps_them(folder):
    path = folder / "dedup_ids.py"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    done = _polca(folder, "--apply")
    assert done.returncode == 0, done.stderr
    written = path.read_bytes()
    assert b"dict.fromkeys" in written and b"\r\n" in written and b"\n" not in written.replace(b"\r\n", b"")


def test_apply_through_a_symlink_changes_the_file_it_points_to_and_keeps_the_link(folder):
    real = folder / "real"
    real.mkdir()
    (folder / "dedup_ids.py").rename(real / "dedup_ids.py")
    (folder / "dedup_ids.py").symlink_to(real / "dedup_ids.py")
    done = _polca(folder, "--apply")
    assert done.returncode == 0, done.stderr
    assert (folder / "dedup_ids.py").is_symlink()
    assert "dict.fromkeys" in (real / "dedup_ids.py").read_text()
    assert (real / "dedup_ids.py.orig").is_file()  # the backup sits beside the real file


@pytest.mark.parametrize("make", ["directory", "under-a-file"])
def test_an_output_path_that_cannot_be_a_file_is_refused_in_one_line(folder, make):
    out = folder / "fast.py"
    if make == "directory":
        out.mkdir()
    else:
        (folder / "plain").write_text("")
        out = folder / "plain" / "fast.py"
    done = _polca(folder, "--out", str(out))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("error:")] == [
        f"error: --out {out} must be a file in an existing folder; create the folder or pick another path."]


def test_a_file_edited_during_the_run_is_one_line_with_the_diff_and_no_backup(tmp_path, monkeypatch):
    import polca.cli.optimize as command

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "dedup_ids.py"
    shutil.copyfile(EXAMPLES / "dedup_ids.py", path)
    real = command.optimize_plan

    def edited_meanwhile(*args, **kwargs):
        report = real(*args, **kwargs)
        path.write_text(path.read_text() + "\n# edited by hand\n")
        return report

    monkeypatch.setattr(command, "optimize_plan", edited_meanwhile)
    result = runner.invoke(app, ["optimize", str(path), *QUICK, "--apply"])
    assert result.exit_code == 1, result.output
    assert "changed while polca ran" in result.output and "dict.fromkeys" in result.output
    assert {p.name for p in tmp_path.iterdir()} == {"dedup_ids.py", ".polca"}


def test_an_output_folder_that_turns_into_a_directory_during_the_run_is_one_line(tmp_path, monkeypatch):
    import polca.cli.optimize as command

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "dedup_ids.py"
    shutil.copyfile(EXAMPLES / "dedup_ids.py", path)
    out = tmp_path / "fast.py"
    real = command.optimize_plan

    def directory_meanwhile(*args, **kwargs):
        report = real(*args, **kwargs)
        out.mkdir()
        return report

    monkeypatch.setattr(command, "optimize_plan", directory_meanwhile)
    result = runner.invoke(app, ["optimize", str(path), *QUICK, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "could not write" in result.output and "dict.fromkeys" in result.output
    assert {p.name for p in tmp_path.iterdir()} == {"dedup_ids.py", ".polca", "fast.py"} and out.is_dir()


# ---------------------------------------------------------------- odd shapes, never a traceback

FAST = ["--budget-evals", "1", "--size", "50"]

SHAPES = {
    "match_stmt": 'def kind(x: int) -> str:\n    out = ""\n    for _ in range(50):\n        match x % 3:\n            case 0:\n                out = "zero"\n            case 1:\n                out = "one"\n            case _:\n                out = "many"\n    return out\n',
    "walrus": 'def firsts(xs: list[int]) -> list[int]:\n    out = []\n    for x in xs:\n        if (y := x * 2) > 10:\n            out.append(y)\n    return out\n',
    "nested_class": 'class Outer:\n    class Inner:\n        def total(self, xs: list[int]) -> int:\n            t = 0\n            for x in xs:\n                t += x\n            return t\n\n\ndef use(xs: list[int]) -> int:\n    return Outer.Inner().total(xs)\n',
    "async_def": 'import asyncio\n\n\nasync def fetch(n: int) -> int:\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n\n\ndef run(n: int) -> int:\n    return asyncio.run(fetch(n))\n',
    "deco_args": 'import functools\n\n\ndef repeat(times):\n    def wrap(fn):\n        @functools.wraps(fn)\n        def inner(*a, **k):\n            for _ in range(times - 1):\n                fn(*a, **k)\n            return fn(*a, **k)\n        return inner\n    return wrap\n\n\n@repeat(2)\ndef squares(xs: list[int]) -> list[int]:\n    return [x * x for x in xs]\n',
    "lambda_default": 'def apply_all(xs: list[int], f=lambda v: v + 1) -> list[int]:\n    out = []\n    for x in xs:\n        out.append(f(x))\n    return out\n',
    "star_args": 'def total(*nums: int, **weights: int) -> int:\n    s = 0\n    for n in nums:\n        s += n\n    for w in weights.values():\n        s += w\n    return s\n',
    "posonly": 'def scale(xs: list[int], /, factor: int = 2, *, offset: int = 0) -> list[int]:\n    out = []\n    for x in xs:\n        out.append(x * factor + offset)\n    return out\n',
    "global_stmt": 'COUNT = 0\n\n\ndef bump(xs: list[int]) -> int:\n    global COUNT\n    for x in xs:\n        COUNT += 1\n    return len(xs)\n',
    "generator": 'def evens(xs: list[int]):\n    for x in xs:\n        if x % 2 == 0:\n            yield x\n',
    "slots": 'class Point:\n    __slots__ = ("x", "y")\n\n    def __init__(self, x: int, y: int) -> None:\n        self.x = x\n        self.y = y\n\n    def norm1(self) -> int:\n        return abs(self.x) + abs(self.y)\n\n\ndef total(points: list[int]) -> int:\n    return sum(Point(p, p).norm1() for p in points)\n',
    "builtin_name": 'def sum(xs: list[int]) -> int:\n    t = 0\n    for x in xs:\n        t = t + x\n    return t\n\n\ndef max(xs: list[int]) -> int:\n    best = xs[0] if xs else 0\n    for x in xs:\n        if x > best:\n            best = x\n    return best\n',
}
# Files that cannot be optimized: one line each, saying why.
REFUSED = {
    "empty": (b"", "no functions found"),
    "syntax-error-only": (b"def broken(:\n    pass\n", "syntax error at line 1"),
    "non-utf8": (b"def f(x):\n    return '\xff\xfe'\n", "not UTF-8"),
    "exits-at-import": (b"import sys\n\n\ndef f(xs: list[int]) -> int:\n    return len(xs)\n\n\nsys.exit(3)\n",
                        "exited with status 3"),
}


@pytest.fixture
def quick(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, value in {"POLCA_OPTIMIZE_FINAL_ROUNDS": "4", "POLCA_SEARCH_ROUNDS": "3",
                        "POLCA_SEARCH_WARMUP": "0"}.items():
        monkeypatch.setenv(name, value)


def _no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


# Three shapes run by default; every shape under -m slow (each is a whole optimize run).
_DEFAULT_SHAPES = {"async_def", "match_stmt", "slots"}


@pytest.mark.parametrize("name", [n if n in _DEFAULT_SHAPES else pytest.param(n, marks=pytest.mark.slow)
                                  for n in sorted(SHAPES)])
def test_an_odd_shape_ends_in_the_table(tmp_path, quick, name):
    path = tmp_path / f"{name}.py"
    path.write_text(SHAPES[name])
    result = runner.invoke(app, ["optimize", str(path), *FAST])
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "polca optimize" in result.output and ("unchanged" in result.output or "Nothing was written" in result.output)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_file_that_cannot_be_optimized_is_one_line(tmp_path, quick, name):
    data, reason = REFUSED[name]
    path = tmp_path / "odd.py"
    path.write_bytes(data)
    result = runner.invoke(app, ["optimize", str(path), *FAST])
    _no_traceback(result)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 1 and len(errors) == 1 and reason in errors[0], result.output

