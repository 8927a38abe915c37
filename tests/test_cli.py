import subprocess
import sys

import pytest
from typer.testing import CliRunner

from polca import __version__
from polca.cli import app

runner = CliRunner()

SUBCOMMANDS = [
    ["optimize"],
    ["optimize-prompt"],
    ["optimize-agent"],
    ["run"],
    ["kernelbench"],
    ["kernelbench", "run"],
    ["kernelbench", "eval"],
    ["skills"],
    ["skills", "list"],
    ["skills", "show"],
    ["skills", "validate"],
    ["skills", "mine"],
    ["skills", "apply"],
    ["skills", "export"],
    ["train"],
    ["train", "export"],
    ["train", "sft"],
    ["train", "rl"],
    ["train", "serve"],
    ["runs"],
    ["runs", "list"],
    ["runs", "show"],
    ["report"],
]


def test_root_help_lists_every_subcommand():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("optimize", "optimize-prompt", "optimize-agent", "run", "kernelbench", "skills",
                 "train", "runs", "report"):
        assert name in result.output


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=" ".join)
def test_each_subcommand_answers_help(words):
    result = runner.invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_version_prints_the_installed_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"polca {__version__}"


def test_console_script_is_installed():
    out = subprocess.run(
        [sys.executable, "-m", "polca", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("polca ")


@pytest.mark.parametrize(("verbose", "shown"), [(0, 1), (2, 2)])
def test_a_recurring_warning_shows_once_unless_verbose(capsys, verbose, shown):
    import logging

    from polca.cli.common import apply_verbosity

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        apply_verbosity(verbose, quiet=False)
        log = logging.getLogger("polca.optimizer.engine")
        log.warning("summary not updated at iteration %d: %s", 1, "no API key")
        log.warning("summary not updated at iteration %d: %s", 2, "no API key")
        assert capsys.readouterr().err.count("summary not updated") == shown
    finally:
        root.handlers[:], root.level = saved


def test_train_export_of_a_store_without_runs_of_the_domain_writes_nothing(tmp_path):
    from polca.store import Store

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    Store.open(url).close()
    out = tmp_path / "data.jsonl"
    result = runner.invoke(app, ["train", "export", "--db", url, "--domain", "kernel", "--out", str(out)])
    assert result.exit_code == 1 and "polca kernelbench run" in result.output, result.output
    assert not out.exists()


def test_train_export_into_a_missing_folder_is_one_line(tmp_path):
    out = tmp_path / "absent" / "data.jsonl"
    result = runner.invoke(app, ["train", "export", "--out", str(out)])
    assert result.exit_code == 1 and "does not exist" in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("words", [["optimize"], ["kernelbench", "run"], ["optimize-prompt"], ["runs", "list"],
                                   ["report"], ["train", "export"]])
def test_every_db_option_says_it_takes_a_sqlite_path_and_polca_db(words):
    result = runner.invoke(app, [*words, "--help"])
    text = " ".join(result.output.replace("│", " ").split())
    assert "a SQLite path (default: POLCA_DB" in text, result.output


_TORCH_PROBE = """
import sys
from polca.cli import main
for argv in {argvs!r}:
    sys.argv = ["polca", *argv]
    try:
        main()
    except SystemExit as exc:
        assert not exc.code, (argv, exc.code)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers", "trl", "matplotlib"))
print("HEAVY", heavy)
"""


def _heavy_modules_after(argvs: list[list[str]], cwd) -> str:
    """Run polca in a fresh interpreter and report which heavy modules it imported: the dev
    environment has torch installed, so only sys.modules says whether the path needs it."""
    out = subprocess.run([sys.executable, "-c", _TORCH_PROBE.format(argvs=argvs)], cwd=cwd,
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


def test_help_of_every_command_imports_no_torch(tmp_path):
    argvs = [[*words, "--help"] for words in SUBCOMMANDS]
    assert _heavy_modules_after(argvs, tmp_path) == "HEAVY []"


def test_the_base_optimize_path_imports_no_torch(tmp_path):
    (tmp_path / "tiny.py").write_text(
        'def total(xs: list[int]) -> int:\n    """The sum of xs."""\n    s = 0\n'
        "    for x in xs:\n        s += x\n    return s\n")
    argv = ["optimize", "tiny.py", "--db", f"sqlite:///{tmp_path / 'runs.db'}", "--budget-evals", "2",
            "--size", "10", "-q"]
    assert _heavy_modules_after([argv], tmp_path) == "HEAVY []"
