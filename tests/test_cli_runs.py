"""``polca runs list`` and ``polca runs show`` over a store on each backend."""

from __future__ import annotations

import io
import json

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from polca.cli import runs
from polca.store import CandidateRecord, EvaluationRecord, Store


@pytest.fixture
def app() -> typer.Typer:
    """A root app holding only ``runs``, as ``polca`` registers it."""
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        pass

    runs.register(root)
    return root


def _invoke(app: typer.Typer, *args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def filled(store_url: str) -> dict[str, str]:
    """A store with two runs: ``busy`` with three candidates and LLM calls, ``empty``."""
    with Store.open(store_url) as store:
        empty = store.create_run("prompt", {}, name="nothing yet")
        busy = store.create_run("program", {"budget": 20, "model": "m"}, name="speed [up] f")
        candidates = [
            CandidateRecord("seed", busy, {"code": "a"}, "h0"),
            CandidateRecord("kid1", busy, {"code": "b"}, "h1", ["seed"], "llm", iteration=1),
            CandidateRecord("kid2", busy, {"code": "c"}, "h2", ["seed"], "skill:vec", iteration=1),
        ]
        scores = [("seed", 1.0), ("kid1", 0.0), ("kid1", 1.0), ("kid2", 3.0), ("kid2", 2.0)]
        store.write_iteration(
            busy,
            iteration=1,
            candidates=candidates,
            evaluations=[EvaluationRecord(busy, c, ["b"], s, iteration=1) for c, s in scores],
            best_candidate_id="kid2",
        )
        store.record_llm_call(
            busy,
            purpose="propose",
            model="m",
            prompt_tokens=120,
            completion_tokens=30,
            cost_usd=0.0125,
            latency_s=0.5,
            cached=False,
            error=None,
        )
        store.set_run_status(busy, "finished")
    return {"url": store_url, "busy": busy, "empty": empty}


def test_list_json_has_counts_best_score_and_cost_newest_first(app, filled):
    result = _invoke(app, "runs", "list", "--db", filled["url"], "--json")
    assert result.exit_code == 0, result.output
    busy, empty = json.loads(result.output)
    assert (busy["id"], empty["id"]) == (filled["busy"], filled["empty"])
    assert (busy["status"], busy["candidates"], busy["evaluations"]) == ("finished", 3, 5)
    assert busy["best_score"] == pytest.approx(2.5) and busy["best_candidate_id"] == "kid2"
    assert busy["cost_usd"] == pytest.approx(0.0125)
    assert (empty["candidates"], empty["evaluations"], empty["best_score"]) == (0, 0, None)


def _render(renderable) -> str:
    out = Console(width=200, file=io.StringIO())
    out.print(renderable)
    return out.file.getvalue()


def test_list_prints_a_table_of_the_runs(app, filled):
    result = _invoke(app, "runs", "list", "--db", filled["url"])
    assert result.exit_code == 0, result.output
    assert filled["busy"] in result.output and filled["empty"] in result.output


def test_runs_table_shows_status_counts_best_score_and_cost(filled):
    with Store.open(filled["url"]) as store:
        records = store.list_runs()
        stats = store.run_stats([r.id for r in records])
    drawn = _render(runs.runs_table(records, stats))
    for expected in ("finished", "running", "speed [up] f", "2.500", "$0.0125"):
        assert expected in drawn


def test_show_json_has_config_best_candidates_and_usage(app, filled):
    prefix = filled["busy"][:8]
    result = _invoke(app, "runs", "show", prefix, "--db", filled["url"], "--json", "--top", "2")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["id"] == filled["busy"] and shown["config"] == {"budget": 20, "model": "m"}
    assert [(c["id"], c["mean_score"], c["evaluations"]) for c in shown["best_candidates"]] == [
        ("kid2", 2.5, 2),
        ("seed", 1.0, 1),
    ]
    assert shown["best_candidates"][0]["origin"] == "skill:vec"
    assert shown["llm_usage"] == {
        "calls": 1,
        "prompt_tokens": 120,
        "completion_tokens": 30,
        "cost_usd": 0.0125,
    }


def test_show_draws_the_run(app, filled):
    result = _invoke(app, "runs", "show", filled["busy"], "--db", filled["url"])
    assert result.exit_code == 0, result.output
    assert filled["busy"] in result.output and "kid2" in result.output


def test_run_detail_shows_facts_best_candidates_and_usage_and_the_config_last(filled):
    with Store.open(filled["url"]) as store:
        detail = runs.load_run_detail(store, filled["busy"], top=5)
    drawn = _render(runs.run_detail(detail))
    for expected in ("speed [up] f", "finished", "skill:vec", "120 prompt", "--config shows it"):
        assert expected in drawn
    assert '"budget": 20' not in drawn
    with_config = _render(runs.run_detail(detail, show_config=True))
    assert with_config.index('"budget": 20') > with_config.index("skill:vec")


def test_show_a_run_without_evaluations(app, filled):
    result = _invoke(app, "runs", "show", filled["empty"], "--db", filled["url"])
    assert result.exit_code == 0, result.output
    assert "No evaluations yet." in result.output


def test_show_unknown_run_is_a_one_line_error(app, filled):
    result = _invoke(app, "runs", "show", "zzzz", "--db", filled["url"])
    assert result.exit_code == 1
    assert "no run 'zzzz'" in result.output
    assert "Traceback" not in result.output


def test_missing_store_is_a_one_line_error_and_creates_nothing(app, tmp_path):
    path = tmp_path / "absent.db"
    result = _invoke(app, "runs", "list", "--db", str(path))
    assert result.exit_code == 1
    assert "no store at" in result.output
    assert not path.exists()


def test_db_defaults_to_polca_db_from_the_environment(app, filled, monkeypatch):
    monkeypatch.setenv("POLCA_DB", filled["url"])
    result = _invoke(app, "runs", "list", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 2


def test_list_on_an_empty_store_says_so(app, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    Store.open(url).close()
    result = _invoke(app, "runs", "list", "--db", url)
    assert result.exit_code == 0, result.output
    assert "No runs yet" in result.output


def test_list_in_a_narrow_terminal_keeps_every_name_and_figure_whole(app, filled):
    result = CliRunner().invoke(app, ["runs", "list", "--db", filled["url"]], terminal_width=80)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines), result.output
    for expected in (filled["busy"], "finished", "speed [up] f", "nothing yet", "2.500", "$0.0125"):
        assert any(expected in line for line in lines), (expected, result.output)
    assert "…" not in result.output


def test_show_keeps_a_long_origin_whole_in_a_narrow_terminal(app, store_url):
    origin = "skill:dedup-with-dict-fromkeys"
    with Store.open(store_url) as store:
        run = store.create_run("polca", {}, name="optimize:f:/tmp/f.py")
        kids = [CandidateRecord("seed", run, {"code": "a"}, "h0"),
                CandidateRecord("kid", run, {"code": "b"}, "h1", ["seed"], origin, iteration=1)]
        store.write_iteration(run, iteration=1, candidates=kids, best_candidate_id="kid",
                              evaluations=[EvaluationRecord(run, c, ["b"], s, iteration=1)
                                           for c, s in (("seed", 1.0), ("kid", 9.0))])
    result = CliRunner().invoke(app, ["runs", "show", run, "--db", store_url], terminal_width=80)
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    assert origin in "".join(line.split("│")[5].strip() for line in result.output.splitlines() if "│" in line)


ORIGINAL = '''def unique_ids(ids: list[int]) -> list[int]:
    out = []
    for i in ids:
        if i not in out:
            out.append(i)
    return out


def main():
    print(unique_ids([3, 1, 3]))
'''
FAST_FUNCTION = '''def unique_ids(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))
'''
IMPROVED = {"status": "improved", "verdict": "faster", "speedup": 3.21, "ci_low": 3.02, "ci_high": 3.4,
            "inputs_verified": 12, "before_s": 0.02, "after_s": 0.006, "message": "faster: speedup 3.210x"}


def _flat(text: str) -> str:
    """``text`` with line breaks and runs of spaces as single spaces: rich wraps long lines."""
    return " ".join(text.split())


def _program_run(store: Store, final: dict | None, best_code: str = FAST_FUNCTION) -> str:
    """A `polca optimize` run of `unique_ids` whose best child holds only the function."""
    from polca.runs import FINAL_CHECK_KEY

    run = store.create_run("program", {"num_candidates": 2}, name="optimize:unique_ids:/src/dedup.py")
    kids = [CandidateRecord("seed", run, {"code": ORIGINAL}, "h0"),
            CandidateRecord("fast", run, {"code": best_code}, "h1", ["seed"], "skill:dict-fromkeys", iteration=1)]
    state = {FINAL_CHECK_KEY: final} if final is not None else {}
    store.write_iteration(run, iteration=1, candidates=kids, best_candidate_id="fast", state=state,
                          evaluations=[EvaluationRecord(run, c, ["b"], s, iteration=1)
                                       for c, s in (("seed", 1.0), ("fast", 3.0))])
    store.set_run_status(run, "finished")
    return run


def test_show_of_an_improved_target_leads_with_verdict_interval_inputs_and_diff(app, store_url):
    with Store.open(store_url) as store:
        run = _program_run(store, IMPROVED)
    result = CliRunner().invoke(app, ["runs", "show", run, "--db", store_url])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "unique_ids in /src/dedup.py" in out
    assert "improved: 3.21x faster (95% CI 3.02x-3.40x), verified on 12 inputs" in _flat(out)
    assert "-        if i not in out:" in out and "+    return list(dict.fromkeys(ids))" in out
    assert " def main():" in out  # the diff is of the whole file, as --apply writes it
    assert out.index("verdict") < out.index("Best candidates") < out.index("--config shows it")
    assert "num_candidates" not in out


def test_show_config_puts_the_engine_settings_last(app, store_url):
    with Store.open(store_url) as store:
        run = _program_run(store, IMPROVED)
    out = CliRunner().invoke(app, ["runs", "show", run, "--db", store_url, "--config"]).output
    assert out.index("improved") < out.index("engine config") < out.index("num_candidates")


def test_show_of_a_target_without_gain_says_why(app, store_url):
    final = {"status": "no_gain", "verdict": "", "speedup": None, "ci_low": None, "ci_high": None,
             "inputs_verified": 4, "message": "the best candidate failed the final check: output differs"}
    with Store.open(store_url) as store:
        run = _program_run(store, final)
    out = _flat(CliRunner().invoke(app, ["runs", "show", run, "--db", store_url]).output)
    assert "no gain: the best candidate failed the final check: output differs (verified on 4 inputs)" in out


def test_show_of_a_run_without_final_check_says_it_was_not_checked(app, store_url):
    with Store.open(store_url) as store:
        run = _program_run(store, None)
    out = _flat(CliRunner().invoke(app, ["runs", "show", run, "--db", store_url]).output)
    assert "unchecked: no final check stored, best mean score 3.000 over 2 evaluations" in out


def test_show_of_a_kernel_run_gives_its_verdict(app, store_url):
    from polca.runs import FINAL_CHECK_KEY

    finals = {"correct": {"correct": True, "failure": "", "reason": "", "speedup": 2.5, "flags": []},
              "failed": {"correct": False, "failure": "mismatch", "reason": "max abs error 0.3", "speedup": None,
                         "flags": []}}
    with Store.open(store_url) as store:
        ids = {}
        for name, final in finals.items():
            run = ids[name] = store.create_run("kernel", {}, name=f"kernelbench:level1/{name}")
            kids = [CandidateRecord("seed", run, {"code": "class ModelNew: pass\n"}, "h0")]
            store.write_iteration(run, iteration=1, candidates=kids, best_candidate_id="seed",
                                  state={FINAL_CHECK_KEY: final})
    correct = CliRunner().invoke(app, ["runs", "show", ids["correct"], "--db", store_url]).output
    failed = CliRunner().invoke(app, ["runs", "show", ids["failed"], "--db", store_url]).output
    assert "correct: 2.50x vs PyTorch eager" in correct
    assert "failed (mismatch): max abs error 0.3" in failed


def test_show_json_holds_the_outcome_with_the_diff_and_the_final_check(app, store_url):
    with Store.open(store_url) as store:
        run = _program_run(store, IMPROVED)
    shown = json.loads(CliRunner().invoke(app, ["runs", "show", run, "--db", store_url, "--json"]).output)
    outcome = shown["outcome"]
    assert (outcome["verdict"], outcome["speedup"], outcome["ci_low"], outcome["ci_high"]) == (
        "improved", 3.21, 3.02, 3.4)
    assert outcome["inputs_verified"] == 12 and outcome["target"] == "unique_ids"
    assert "+    return list(dict.fromkeys(ids))" in outcome["diff"]
    assert outcome["original"]["code"] == ORIGINAL and "def main():" in outcome["best"]["code"]
    assert shown["final_check"] == IMPROVED and shown["config"] == {"num_candidates": 2}
