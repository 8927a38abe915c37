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


def test_run_detail_shows_facts_config_best_candidates_and_usage(filled):
    with Store.open(filled["url"]) as store:
        detail = runs.load_run_detail(store, filled["busy"], top=5)
    drawn = _render(runs.run_detail(detail))
    for expected in ("speed [up] f", "finished", "skill:vec", '"budget": 20', "120 prompt"):
        assert expected in drawn


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
