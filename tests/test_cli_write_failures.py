"""``polca optimize --apply`` / ``--out`` when the write fails: one line on stderr, exit 1,
the diff still shown, no stray backup or temporary file; a backup keeps the file's mode.

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
from tests.test_cli_optimize import EXAMPLES, QUICK, _installed_polca

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
