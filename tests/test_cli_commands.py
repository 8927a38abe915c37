"""What every ``polca`` command shares: -v/-q, help without ``<bool>``, choices, examples.

The commands are found by walking the app, so a new command that lacks any of these fails
here without anyone adding it to a list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import get_args

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from polca.cli import app, kernelbench, skills, train
from polca.cli.common import Quiet, Verbose, err_console, fail, warn

runner = CliRunner()
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200"}

def _walk(command, words: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    yield words, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _walk(sub, (*words, name))


ALL = list(_walk(get_command(app)))
LEAVES = [(words, cmd) for words, cmd in ALL if not getattr(cmd, "commands", None)]
ids = [" ".join(words) or "polca" for words, _ in ALL]
leaf_ids = [" ".join(words) for words, _ in LEAVES]


def test_the_walk_finds_every_command():
    names = set(leaf_ids)
    assert {"optimize", "runs show", "train rl", "kernelbench eval", "skills apply", "report"} <= names
    assert len(LEAVES) >= 19


@pytest.mark.parametrize(("words", "command"), LEAVES, ids=leaf_ids)
def test_every_command_takes_verbose_and_quiet(words, command):
    opts = {opt: param for param in command.params for opt in getattr(param, "opts", [])}
    assert {"-v", "--verbose", "-q", "--quiet"} <= set(opts), f"polca {' '.join(words)} lacks -v/-q"
    assert opts["-v"].count and opts["-q"].is_flag
    assert opts["-v"].callback is not None and opts["-q"].callback is not None  # they apply themselves


def _help(words: tuple[str, ...]) -> str:
    result = runner.invoke(app, [*words, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(("words", "command"), ALL, ids=ids)
def test_help_shows_no_type_beside_a_flag(words, command):
    text = _help(words)
    assert "<bool>" not in text, text
    assert not re.search(r"--verbose\s+-v\s+<int>", text), text


@pytest.mark.parametrize(("words", "command"), LEAVES, ids=leaf_ids)
def test_every_command_help_shows_an_example(words, command):
    lines = [line.strip(" │") for line in _help(words).splitlines()]
    shown = [line for line in lines if line.startswith(f"polca {words[0]}")]
    assert shown, f"`polca {' '.join(words)} --help` shows no example line"


@pytest.mark.parametrize(("words", "option", "choices"), [
    (("run",), "--sandbox", "auto|local|docker|none"),
    (("kernelbench", "run"), "--device", "cuda|cpu"),
    (("kernelbench", "run"), "--executor", "thread|ray"),
    (("kernelbench", "eval"), "--sandbox", "auto|local|docker|none"),
    (("skills", "mine"), "--miner", "ast|llm"),
    (("skills", "export"), "--format", "agent-skills"),
    (("train", "export"), "--domain", "program|kernel"),
    (("train", "rl"), "--algo", "grpo|pipo"),
    (("train", "rl"), "--pipo-mode", "added|separate"),
])
def test_an_option_with_fixed_values_lists_them(words, option, choices):
    line = next(line for line in _help(words).splitlines() if f"{option} " in line)
    assert f"<{choices}>" in line, line


def test_an_unknown_choice_is_refused_with_the_choices():
    result = runner.invoke(app, ["train", "rl", "--base-model", "m", "--data", "d", "--algo", "ppo"], env=WIDE)
    assert result.exit_code == 2
    assert "'ppo' is not one of 'grpo', 'pipo'" in " ".join(result.output.replace("│", " ").split())


def test_the_cli_copies_of_library_choices_match_the_library():
    pytest.importorskip("torch")
    from polca.optimizer.domains.kernel_run import KernelExecutorName
    from polca.skills.export import ExportFormat
    from polca.trainer.pipo import PipoMode
    from polca.trainer.train import Algo

    assert get_args(train.Algo) == get_args(Algo)
    assert get_args(train.PipoMode) == get_args(PipoMode)
    assert get_args(kernelbench.KernelExecutor) == get_args(KernelExecutorName)
    from polca.kernels_bench.rules import RULE_SETS, RuleSetName

    assert get_args(kernelbench.RuleSetName) == get_args(RuleSetName) and set(RULE_SETS) == set(get_args(RuleSetName))
    assert get_args(skills.ExportFormat) == get_args(ExportFormat)


# ---------------------------------------------------------------- -v / -q in action


@pytest.fixture
def probe() -> typer.Typer:
    """A root like polca's with one command that warns, logs, and fails on request."""
    root = typer.Typer()

    @root.callback()
    def _root(verbose: Verbose = 0, quiet: Quiet = False) -> None:
        pass

    @root.command()
    def speak(boom: bool = False, verbose: Verbose = 0, quiet: Quiet = False) -> None:
        log = logging.getLogger("polca.probe")
        log.info("an info line")
        log.debug("a debug line")
        warn("a warning line")
        err_console.print("a progress line")
        log.error("a logged error")
        typer.echo("the result")
        if boom:
            fail("a clear error")

    return root


def _speak(root: typer.Typer, *args: str):
    return runner.invoke(root, list(args))


def test_by_default_warnings_and_progress_show_but_not_info(probe):
    out = _speak(probe, "speak").output
    assert "a warning line" in out and "a progress line" in out and "the result" in out
    assert "an info line" not in out


@pytest.mark.parametrize("args", [["speak", "-v"], ["-v", "speak"]])
def test_v_after_or_before_the_command_adds_info(probe, args):
    out = _speak(probe, *args).output
    assert "an info line" in out and "a debug line" not in out


def test_vv_adds_debug(probe):
    assert "a debug line" in _speak(probe, "speak", "-vv").output


@pytest.mark.parametrize("args", [["speak", "-q", "--boom"], ["-q", "speak", "--boom"]])
def test_q_leaves_errors_and_results_only(probe, args):
    result = _speak(probe, *args)
    assert result.exit_code == 1
    out = result.output
    assert "the result" in out and "a clear error" in out and "a logged error" in out
    for silenced in ("a warning line", "a progress line", "an info line"):
        assert silenced not in out


def test_q_ends_with_the_command(probe):
    _speak(probe, "speak", "-q")
    assert not err_console.quiet
    assert "a warning line" in _speak(probe, "speak").output


def test_v_and_q_together_is_one_clear_error(probe):
    result = _speak(probe, "-v", "speak", "-q")
    assert result.exit_code == 1
    assert "-v and -q contradict each other" in result.output
    assert "Traceback" not in result.output


def test_real_commands_take_q(tmp_path):
    result = runner.invoke(app, ["runs", "list", "-q", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no store at" in result.output
    result = runner.invoke(app, ["-q", "skills", "list", "--json"])
    assert result.exit_code == 0 and result.output.lstrip().startswith("[")
