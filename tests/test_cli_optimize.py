"""``polca optimize``: the flow through the CLI, writing rules, a scripted model, and bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from polca.cli import app
from polca.cli.common import recording_llm
from polca.config import Config
from polca.events import EventBus
from polca.optimizer.domains.program import (
    FallbackSummarizer,
    ProposerChain,
    default_program_proposer,
    default_program_summarizer,
)
from polca.optimizer.events import RunStarted
from polca.store import Store
from tests.fixtures.cli import installed_polca as _installed_polca

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
QUICK = ["--budget-evals", "3", "--size", "300"]

COMMON = '''def count_common(a: list[int], b: list[int]) -> int:
    """How many items of a also occur in b."""
    total = 0
    for x in a:
        if x in b:
            total += 1
    return total
'''
COMMON_FAST = '''def count_common(a: list[int], b: list[int]) -> int:
    """How many items of a also occur in b."""
    lookup = set(b)
    total = 0
    for x in a:
        if x in lookup:
            total += 1
    return total
'''


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Each test runs in its own folder, so the default store and cache land there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLCA_LLM_MAX_RETRIES", "0")
    monkeypatch.setenv("POLCA_LLM_BACKOFF_BASE_S", "0.01")


@pytest.fixture
def dedup(tmp_path):
    path = tmp_path / "dedup_ids.py"
    shutil.copyfile(EXAMPLES / "dedup_ids.py", path)
    return path


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _files(folder: Path) -> set[str]:
    """Everything in ``folder``: files and folders (a ``.polca/`` or ``.hypothesis/`` counts)."""
    return {p.name for p in folder.iterdir()}


# ---------------------------------------------------------------- the flow


def test_the_table_and_diff_are_shown_and_nothing_is_written(dedup, tmp_path):
    result = runner.invoke(app, ["optimize", str(dedup), *QUICK])
    assert result.exit_code == 0, result.output
    assert "unique_ids" in result.output and "improved" in result.output
    assert "+    out = list(dict.fromkeys(ids))" in result.output
    assert "--apply" in result.output
    assert dedup.read_text() == (EXAMPLES / "dedup_ids.py").read_text()
    assert not (tmp_path / "dedup_ids.py.orig").exists()


def test_json_output_carries_every_figure(dedup):
    result = runner.invoke(app, ["optimize", str(dedup), *QUICK, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (target,) = data["targets"]
    assert data["improved"] and data["applied_to"] is None
    assert target["status"] == "improved" and target["speedup"] >= 1.10 and target["ci_low"] > 1.0
    assert target["origins"] == ["skill:dedup-with-dict-fromkeys"]
    assert "dict.fromkeys" in data["diff"]


def test_apply_keeps_a_backup_and_writes_the_verified_change(dedup, tmp_path):
    original = dedup.read_text()
    result = runner.invoke(app, ["optimize", str(dedup), *QUICK, "--apply"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dedup_ids.py.orig").read_text() == original
    assert "dict.fromkeys" in dedup.read_text()


def test_output_writes_elsewhere_and_leaves_the_file_alone(dedup, tmp_path):
    target = tmp_path / "fast.py"
    result = runner.invoke(app, ["optimize", str(dedup), *QUICK, "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert "dict.fromkeys" in target.read_text()
    assert "dict.fromkeys" not in dedup.read_text()


def test_apply_refuses_when_the_file_changed_during_the_run(dedup, tmp_path, monkeypatch):
    import polca.cli.optimize as command

    real = command.optimize_plan

    def edited_meanwhile(*args, **kwargs):
        report = real(*args, **kwargs)
        dedup.write_text(dedup.read_text() + "\n# edited by hand\n")
        return report

    monkeypatch.setattr(command, "optimize_plan", edited_meanwhile)
    result = runner.invoke(app, ["optimize", str(dedup), *QUICK, "--apply"])
    assert result.exit_code == 1
    assert "changed while polca ran" in result.output
    assert "dict.fromkeys" not in dedup.read_text()
    assert not (tmp_path / "dedup_ids.py.orig").exists()


def test_apply_refuses_when_the_tests_fail_with_the_change(dedup, tmp_path):
    _write(tmp_path, "test_dedup.py", "import dedup_ids\n\n\ndef test_is_the_loop():\n"
                                      "    assert 'fromkeys' not in open(dedup_ids.__file__).read()\n")
    result = runner.invoke(app, ["optimize", str(dedup), *QUICK, "--apply"])
    assert result.exit_code == 1
    assert "tests fail with the optimized file" in result.output
    assert "dict.fromkeys" not in dedup.read_text()


def test_resume_continues_a_stored_run(dedup):
    first = runner.invoke(app, ["optimize", str(dedup), *QUICK, "--json"])
    run_id = json.loads(first.stdout)["targets"][0]["run_id"]
    again = runner.invoke(app, ["optimize", str(dedup), *QUICK, "--json", "--resume", run_id])
    assert again.exit_code == 0, again.output
    (target,) = json.loads(again.stdout)["targets"]
    assert target["run_id"] == run_id and target["status"] == "improved"


def test_resume_of_an_unknown_run_is_an_error_and_creates_no_store(dedup, tmp_path):
    _fails([str(dedup), "--resume", "nosuchrun"], "no store at", tmp_path)
    Store.open("sqlite:///.polca/polca.db").close()
    _fails([str(dedup), "--resume", "nosuchrun"], "no run", tmp_path)


def test_a_scripted_model_proposes_a_rewrite_that_is_verified_and_reported(tmp_path, scripted_llm):
    path = _write(tmp_path, "common.py", COMMON)

    def answer(body):
        prompt = body["messages"][-1]["content"]
        if "<summary>" in prompt:
            return "<reasoning>sets help</reasoning><summary>Use a set for membership tests.</summary>"
        return f'<reasoning>b is searched linearly; a set makes it O(1)</reasoning><param name="code">{COMMON_FAST}</param>'

    server = scripted_llm(answer)
    result = runner.invoke(app, ["optimize", str(path), *QUICK, "--model", "openai/scripted",
                                 "--api-base", server.api_base, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (target,) = data["targets"]
    assert target["status"] == "improved" and target["speedup"] >= 1.10
    # the offered change is the model's rewrite or the membership rule's equivalent one
    assert "+    lookup = set(b)" in data["diff"] or "+    b_set = set(b)" in data["diff"]
    prompts = [r["messages"][-1]["content"] for r in server.chat_requests]
    assert any("count_common" in p and "## Optimization skills" in p for p in prompts)
    with Store.open("sqlite:///.polca/polca.db") as store:
        assert store.run_stats([target["run_id"]])[target["run_id"]].llm_calls >= 1
        # the model's answer became a candidate of the search, beside the rules' children
        assert any("lookup = set(b)" in c.payload["code"] for c in store.candidates(target["run_id"]))


def test_the_default_wiring_is_skills_offline_and_adds_the_model_with_one(scripted_llm, llm_config):
    offline = default_program_proposer(None)
    assert isinstance(offline, ProposerChain) and len(offline._active()) == 1
    assert default_program_summarizer(None) is None
    server = scripted_llm(["an answer"])
    events = EventBus()
    with Store.open("sqlite:///wiring.db") as store:
        run_id = store.create_run("polca", {}, name="optimize:f:/x.py")
        config = Config(llm=replace(llm_config, model="openai/scripted", api_base=server.api_base))
        llm = recording_llm(config, store, events)
        assert len(default_program_proposer(llm)._active()) == 2
        assert isinstance(default_program_summarizer(llm), FallbackSummarizer)
        events.emit(RunStarted(run_id=run_id, seed_id="s", resumed_at_iteration=0, max_evaluations=None,
                               max_iterations=None, max_proposals=None))
        llm.complete("hello", purpose="test")
        assert [c.run_id for c in store.llm_calls(run_id)] == [run_id]


def test_an_unreachable_model_falls_back_to_skills_with_a_warning(dedup):
    result = runner.invoke(app, ["optimize", str(dedup), *QUICK, "--model", "openai/absent",
                                 "--api-base", "http://127.0.0.1:9/v1"])
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "model unavailable" in result.output
    assert "improved" in result.output


def test_no_fallback_makes_an_unreachable_model_an_error(dedup):
    result = runner.invoke(app, ["optimize", str(dedup), *QUICK, "--model", "openai/absent",
                                 "--api-base", "http://127.0.0.1:9/v1", "--no-fallback"])
    assert result.exit_code == 1
    assert "--no-fallback" in result.output
    assert dedup.read_text() == (EXAMPLES / "dedup_ids.py").read_text()


# ---------------------------------------------------------------- bad input


def _fails(args: list[str], expected: str, folder: Path) -> None:
    before = _files(folder)
    result = runner.invoke(app, ["optimize", *args])
    assert result.exit_code == 1, result.output
    assert "error:" in result.output and expected in result.output, result.output
    assert "Traceback" not in result.output
    assert _files(folder) - before <= set(), f"files written: {_files(folder) - before}"


def test_a_missing_file(tmp_path):
    _fails([str(tmp_path / "nope.py")], "does not exist", tmp_path)


def test_a_file_that_is_not_python(tmp_path):
    _fails([str(_write(tmp_path, "data.csv", "a,b\n"))], "not a Python file", tmp_path)


def test_a_syntax_error(tmp_path):
    _fails([str(_write(tmp_path, "broken.py", "def f(:\n"))], "syntax error at line 1", tmp_path)


def test_an_unknown_function(dedup, tmp_path):
    _fails([str(dedup), "--function", "fast_ids"], "functions found: unique_ids", tmp_path)


def test_an_import_with_a_failing_side_effect(tmp_path):
    path = _write(tmp_path, "setup.py", "CONFIG = open('/nonexistent/config.ini').read()\n\n\n"
                                        "def f(xs: list[int]) -> int:\n    return len(xs)\n")
    _fails([str(path), *QUICK], "cannot run", tmp_path)


def test_a_script_that_fails_on_its_workload(tmp_path):
    path = _write(tmp_path, "crash.py", "import sys\n\nn = int(sys.stdin.read())\nprint(n)\n")
    _fails([str(path), *QUICK], "fails when run with the given stdin/args", tmp_path)


def test_non_deterministic_code_is_detected_and_excluded(tmp_path):
    path = _write(tmp_path, "dice.py", "import random\n\n\ndef roll(xs: list[int]) -> int:\n"
                                       "    return sum(xs) + int(random.random() * 10**9)\n")
    _fails([str(path), *QUICK], "non-deterministic", tmp_path)


def test_script_output_in_set_order_is_non_deterministic(tmp_path):
    path = _write(tmp_path, "words.py", "import sys\n\nfor w in set(sys.stdin.read().split()):\n    print(w)\n")
    stdin = _write(tmp_path, "in.txt", "alpha beta gamma delta epsilon zeta eta theta iota kappa\n")
    _fails([str(path), "--stdin", str(stdin), *QUICK], "hash seed", tmp_path)


def test_a_function_that_never_runs_under_the_workload(tmp_path):
    path = _write(tmp_path, "tool.py", "import sys\n\n\ndef used(n):\n    return n\n\n\ndef unused(n):\n"
                                       "    return n\n\n\nif __name__ == '__main__':\n    print(used(3))\n")
    _fails([str(path), "--function", "unused", *QUICK], "never runs", tmp_path)


def test_nothing_to_check_against_says_what_to_provide(tmp_path):
    path = _write(tmp_path, "plain.py", "def f(xs):\n    return xs\n")  # nothing tells what xs is
    _fails([str(path), *QUICK], "--tests", tmp_path)


def test_apply_and_output_together_are_refused(dedup, tmp_path):
    _fails([str(dedup), "--apply", "--out", str(tmp_path / "x.py")], "give one of them", tmp_path)


def test_a_model_without_a_provider_is_a_one_line_error(dedup, tmp_path):
    _fails([str(dedup), "--model", "gpt-4o-mini"], "did you mean 'openai/gpt-4o-mini'", tmp_path)


def test_output_into_a_missing_folder_is_refused_before_the_search(dedup, tmp_path):
    _fails([str(dedup), "--out", str(tmp_path / "absent" / "fast.py")], "existing folder", tmp_path)


def test_a_count_below_one_is_a_usage_error_naming_the_flag(dedup):
    result = runner.invoke(app, ["optimize", str(dedup), "--top", "0"])
    assert result.exit_code == 2 and "--top" in result.output, result.output


def test_a_missing_file_hint_names_a_bundled_example(tmp_path):
    _fails([str(tmp_path / "nope.py")], "examples/dedup_ids.py", tmp_path)
    assert (EXAMPLES / "dedup_ids.py").is_file()


def _drawn(renderable, width: int) -> str:
    import io

    from rich.console import Console

    out = Console(width=width, file=io.StringIO())
    out.print(renderable)
    return out.file.getvalue()


@pytest.mark.parametrize("width", [80, 160])
def test_the_targets_keep_whole_names_and_figures_at_any_width(width):
    from polca.cli.render_optimize import render_targets
    from polca.optimizer.domains.program import ProgramReport, TargetReport

    target = TargetReport("unique_ids", "improved", "faster", inputs_verified=9, input_sources={"generated": 9},
                          before_s=0.0112, after_s=0.000158, speedup=70.94, ci_low=70.79, ci_high=70.96,
                          origins=("skill:dedup-with-dict-fromkeys",))
    drawn = _drawn(render_targets(ProgramReport("dedup_ids.py", "a", "b", (target,))), width)
    assert all(len(line) <= width for line in drawn.splitlines())
    for whole in ("skill:dedup-with-dict-fromkeys", "70.94x (70.79-70.96)", "9 (9 generated)", "11.2 ms"):
        assert whole in drawn, (whole, drawn)


def test_a_store_that_cannot_open_is_one_line_saying_where_it_is_set(dedup, tmp_path, monkeypatch):
    monkeypatch.setenv("POLCA_DB", f"sqlite:///{tmp_path}/absent/polca.db")
    _fails([str(dedup)], "POLCA_DB", tmp_path)
    result = runner.invoke(app, ["optimize", str(dedup)])
    assert result.output.count("cannot open") == 1, result.output


def test_a_typo_in_pyproject_names_the_file_it_came_from(dedup, tmp_path):
    pyproject = _write(tmp_path, "pyproject.toml", '[tool.polca.llm]\nmodle = "openai/gpt-4o-mini"\n')
    _fails([str(dedup)], "['modle'] in config section 'llm'", tmp_path)
    result = runner.invoke(app, ["optimize", str(dedup)])
    assert str(pyproject) in result.output.replace("\n", ""), result.output


def test_apply_never_overwrites_an_earlier_backup(dedup, tmp_path):
    original = dedup.read_text()
    (tmp_path / "dedup_ids.py.orig").write_text("# the true original\n")
    result = runner.invoke(app, ["optimize", str(dedup), *QUICK, "--apply"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dedup_ids.py.orig").read_text() == "# the true original\n"
    assert (tmp_path / "dedup_ids.py.orig.1").read_text() == original


def test_a_script_reading_stdin_without_stdin_gets_a_hint(tmp_path):
    path = _write(tmp_path, "count.py", "import sys\n\nprint(len(sys.stdin.read().split()))\n")
    result = runner.invoke(app, ["optimize", str(path), *QUICK])
    assert "reads stdin but no --stdin was given" in result.output, result.output
    with_stdin = runner.invoke(app, ["optimize", str(path), "--stdin", str(_write(tmp_path, "in.txt", "a b\n")),
                                     *QUICK])
    assert "reads stdin" not in with_stdin.output, with_stdin.output


def test_an_import_missing_from_polcas_environment_is_one_line_and_writes_nothing(tmp_path):
    path = _write(tmp_path, "uses_it.py", "import polca_absent_package\n\n\ndef f(xs: list[int]) -> int:\n"
                                          "    return len(xs)\n")
    _fails([str(path), *QUICK], "imports polca_absent_package, which is not installed in the environment "
                                "polca runs in", tmp_path)


# ---------------------------------------------------------------- flags and config


def _captured_options(monkeypatch) -> list:
    """Replaces the search by one that records the options it was given and finds nothing."""
    import polca.cli.optimize as command
    from polca.optimizer.domains.program import ProgramReport

    seen = []

    def record(path, options, config, resume, *, quiet):
        seen.append((options, [p.read_text() for p in options.stdin]))
        source = Path(path).read_text()
        return ProgramReport(str(path), source, source, ())

    monkeypatch.setattr(command, "_search", record)
    return seen


def test_flags_win_over_env_over_pyproject_over_defaults(dedup, tmp_path, monkeypatch):
    seen = _captured_options(monkeypatch)
    _write(tmp_path, "pyproject.toml", "[tool.polca.optimize]\ntop = 2\nbudget_evals = 11\n"
                                       "[tool.polca.search]\nepsilon = 0.3\n[tool.polca.sandbox]\nmemory_mb = 900\n")
    monkeypatch.setenv("POLCA_OPTIMIZE_BUDGET_EVALS", "12")
    monkeypatch.setenv("POLCA_OPTIMIZE_SIZE", "13")
    result = runner.invoke(app, ["optimize", str(dedup), "--size", "14", "--sandbox", "local"])
    assert result.exit_code == 0, result.output
    ((options, _),) = seen
    assert (options.top, options.budget_evals, options.size, options.seed) == (2, 12, 14, 0)
    assert options.search.epsilon == 0.3 and options.search.rounds == 5
    assert (options.sandbox.backend, options.sandbox.memory_mb) == ("local", 900)


def test_stdin_dash_is_polcas_own_stdin(tmp_path, monkeypatch):
    seen = _captured_options(monkeypatch)
    path = _write(tmp_path, "count.py", "import sys\n\nprint(len(sys.stdin.read().split()))\n")
    other = _write(tmp_path, "in.txt", "from a file\n")
    result = runner.invoke(app, ["optimize", str(path), "--stdin", "-", "--stdin", str(other)], input="a b c\n")
    assert result.exit_code == 0, result.output
    ((options, texts),) = seen
    assert texts == ["a b c\n", "from a file\n"] and options.stdin[1] == other
    assert not options.stdin[0].exists()  # a temporary copy, removed afterwards
    assert _files(tmp_path) == {"count.py", "in.txt"}
    twice = runner.invoke(app, ["optimize", str(path), "--stdin", "-", "--stdin", "-"], input="x\n")
    assert twice.exit_code == 1 and "more than once" in twice.output


def test_the_help_lists_the_sandbox_choices_and_shows_examples():
    result = runner.invoke(app, ["optimize", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "auto|local|docker|none" in result.output and "<str>  Where" not in result.output
    assert "polca optimize examples/dedup_ids.py" in result.output
    assert "[tool.polca.optimize]" in result.output and "--out" in result.output and "--output" not in result.output


# ---------------------------------------------------------------- the installed command




def test_the_installed_command_optimizes_a_file_outside_the_checkout(tmp_path_factory):
    folder = tmp_path_factory.mktemp("elsewhere")
    shutil.copyfile(EXAMPLES / "dedup_ids.py", folder / "dedup_ids.py")
    env = {**os.environ, "POLCA_OPTIMIZE_BUDGET_EVALS": "8", "POLCA_OPTIMIZE_SIZE": "300",
           "POLCA_OPTIMIZE_FINAL_ROUNDS": "8", "POLCA_SEARCH_ROUNDS": "3", "POLCA_SEARCH_WARMUP": "0"}
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    done = subprocess.run([_installed_polca(), "optimize", "dedup_ids.py", "--json"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    (target,) = json.loads(done.stdout)["targets"]
    assert target["name"] == "unique_ids" and target["status"] == "improved" and target["speedup"] >= 1.10
    assert target["inputs_verified"] == 9 and target["inputs_heldout"] > 0 and target["heldout_passed"] is True
    assert {p.name for p in folder.iterdir()} == {"dedup_ids.py", ".polca"}  # the store, and nothing else
