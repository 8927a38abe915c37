"""``polca report``: a run drawn as a self-contained HTML page, and its text summary."""

from __future__ import annotations

import math
import re

import pytest
import typer
from typer.testing import CliRunner

from polca.cli import report as report_cli
from polca.optimizer.api import optimize
from polca.optimizer.executor import SerialExecutor
from polca.optimizer.proposers import ScriptedProposer
from polca.report import (
    lineage_graph,
    lineage_positions,
    load_report,
    render_html,
    score_curve,
    text_summary,
)
from polca.report_svg import SpeedupRow, speedup_chart, text_width
from polca.runs import FINAL_CHECK_KEY
from polca.store import CandidateRecord, EvaluationRecord, Store
from tests.test_optimizer_builders import WordsDomain, add_missing_word


@pytest.fixture
def engine_run(store_url: str) -> str:
    """A real POLCA run of the tiny words domain, checkpointed into the store."""
    with Store.open(store_url) as store:
        result = optimize(WordsDomain(), ScriptedProposer(add_missing_word), store=store,
                          executor=SerialExecutor(), batch_size=2, num_candidates=2,
                          num_proposals=2, num_pool=0, seed=3, max_iterations=4)
    return result.run_id


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        pass

    report_cli.register(root)
    return root


def _optimize_run(store: Store, target: str, path: str, scores: list[float]) -> str:
    """A stored `polca optimize` run of one target: a seed and one child with these scores."""
    run_id = store.create_run("polca", {}, name=f"optimize:{target}:{path}")
    seed = CandidateRecord(f"{target}-s", run_id, {"code": "a"}, "h1")
    child = CandidateRecord(f"{target}-c", run_id, {"code": "b"}, "h2", parents=[seed.id], origin="skill:x")
    evals = [EvaluationRecord(run_id, seed.id, ["0"], 1.0)]
    evals += [EvaluationRecord(run_id, child.id, [str(i)], s) for i, s in enumerate(scores)]
    store.write_iteration(run_id, iteration=1, candidates=[seed, child], evaluations=evals,
                          best_candidate_id=child.id)
    store.set_run_status(run_id, "finished")
    return run_id


def test_page_of_an_engine_run_has_every_lineage_edge_and_score(store_url: str, engine_run: str) -> None:
    with Store.open(store_url) as store:
        data = load_report(store, engine_run[:6])
    page = render_html(data)
    edges = set(re.findall(r'data-parent="(\w+)" data-child="(\w+)"', page))
    expected = {(p, c.id) for c in data.candidates for p in c.parents}
    assert expected and edges == expected
    assert len(re.findall(r'<circle class="node"', page)) == len(data.candidates)
    assert len(re.findall(r'<circle class="eval"', page)) == len(data.evaluations)
    for score in data.scores:
        assert f"{score.mean_score:.3f}" in page
    assert page.count("<tr") == len(data.candidates) + 1 + 8  # candidates, header, facts


def test_page_reaches_nothing_outside_itself(store_url: str, engine_run: str) -> None:
    with Store.open(store_url) as store:
        page = render_html(load_report(store, engine_run))
    assert "http" not in page and "//" not in page.replace("<!DOCTYPE", "")
    for needle in ("<script", "<link", "<img", "@import", "url("):
        assert needle not in page


def test_text_in_candidates_is_escaped(store_url: str) -> None:
    with Store.open(store_url) as store:
        run_id = store.create_run("polca", {}, name="<b>run</b>")
        evil = CandidateRecord("c1", run_id, {"text": "x"}, "h", origin="<script>", note="a & b")
        store.write_iteration(run_id, iteration=0, candidates=[evil],
                              evaluations=[EvaluationRecord(run_id, "c1", ["0"], 0.5)])
        page = render_html(load_report(store, run_id))
    assert "<script>" not in page and "&lt;script&gt;" in page and "a &amp; b" in page


def test_score_curve_keeps_the_best_mean_so_far(store_url: str, engine_run: str) -> None:
    with Store.open(store_url) as store:
        evaluations = store.evaluations(engine_run)
    curve = score_curve(evaluations)
    assert [p.evaluations for p in curve] == list(range(1, len(evaluations) + 1))
    assert [p.score for p in curve] == [e.score for e in evaluations]
    assert all(a.best_mean <= b.best_mean for a, b in zip(curve, curve[1:], strict=False))


def test_lineage_layout_puts_each_generation_below_its_parents(store_url: str, engine_run: str) -> None:
    with Store.open(store_url) as store:
        candidates = store.candidates(engine_run)
    graph = lineage_graph(candidates)
    positions = lineage_positions(graph)
    assert set(positions) == {c.id for c in candidates}
    for parent, child in graph.edges:
        assert positions[parent][1] < positions[child][1]
    assert all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y in positions.values())


def test_optimize_runs_of_one_file_give_per_target_speedups(store_url: str) -> None:
    with Store.open(store_url) as store:
        _optimize_run(store, "other_file_fn", "/elsewhere/b.py", [9.0])
        _optimize_run(store, "parse", "/src/a.py", [1.5, 2.5])
        last = _optimize_run(store, "<script>", "/src/a.py", [1.2])
        data = load_report(store, last)
    speedups = {t.name: t.speedup for t in data.targets}
    assert speedups == {"parse": 2.0, "<script>": 1.2}
    page = render_html(data)
    assert "2.00x" in page and "1.20x" in page and "&lt;script&gt;" in page
    assert "target parse: best mean speedup 2.000" in text_summary(data)


def test_a_stored_final_check_replaces_the_search_score(store_url: str) -> None:
    final = {"status": "improved", "verdict": "faster", "speedup": 1.8, "ci_low": 1.6, "ci_high": 1.9,
             "inputs_verified": 9, "before_s": 0.02, "after_s": 0.011, "message": "faster: speedup 1.800x"}
    with Store.open(store_url) as store:
        searched = _optimize_run(store, "<script>", "/src/a.py", [3.0])
        timed = _optimize_run(store, "parse", "/src/a.py", [1.5, 2.5])
        state = {**store.get_run(timed).state, FINAL_CHECK_KEY: final}
        store.write_iteration(timed, iteration=1, state=state)
        data = load_report(store, timed)
    by_name = {t.name: t for t in data.targets}
    parse, script = by_name["parse"], by_name["<script>"]
    assert (parse.final, parse.speedup, parse.ci_low, parse.ci_high) == (True, 1.8, 1.6, 1.9)
    assert (parse.verdict, parse.status, parse.inputs_verified) == ("faster", "improved", 9)
    assert (script.final, script.speedup, script.run_id) == (False, 3.0, searched)
    text = text_summary(data)
    assert "target parse: improved; final speedup 1.800x (95% CI 1.600-1.900), faster; 9 inputs verified" in text
    assert "target <script>: best mean speedup 3.000 over 2 evaluations (search score" in text
    assert "1.80x" in render_html(data)


def test_a_final_check_without_timing_says_why(store_url: str) -> None:
    final = {"status": "no_gain", "verdict": "", "speedup": None, "ci_low": None, "ci_high": None,
             "inputs_verified": 9, "message": "no candidate beat the original"}
    with Store.open(store_url) as store:
        run_id = _optimize_run(store, "parse", "/src/a.py", [2.5])
        store.write_iteration(run_id, iteration=1, state={FINAL_CHECK_KEY: final})
        data = load_report(store, run_id)
    (target,) = data.targets
    assert target.final and target.speedup is None
    assert "target parse: no_gain; not re-timed: no candidate beat the original; 9 inputs" in text_summary(data)


def test_cli_writes_the_page_and_says_where(app: typer.Typer, store_url: str, engine_run: str, tmp_path) -> None:
    out = tmp_path / "run.html"
    result = CliRunner().invoke(app, ["report", engine_run, "--html", str(out), "--db", store_url])
    assert result.exit_code == 0, result.output
    assert engine_run in result.output and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_without_html_prints_a_short_summary(app: typer.Typer, store_url: str, engine_run: str) -> None:
    result = CliRunner().invoke(app, ["report", engine_run, "--db", store_url])
    assert result.exit_code == 0, result.output
    assert f"run {engine_run}" in result.output and "best candidate" in result.output


def test_cli_unknown_run_is_one_error_line(app: typer.Typer, store_url: str, engine_run: str) -> None:
    result = CliRunner().invoke(app, ["report", "nosuchrun", "--db", store_url])
    assert result.exit_code == 1
    assert "no run 'nosuchrun'" in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_missing_store_or_folder_is_an_error(app: typer.Typer, tmp_path, store_url: str,
                                                 engine_run: str) -> None:
    missing = CliRunner().invoke(app, ["report", "abc", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    bad_out = CliRunner().invoke(app, ["report", engine_run, "--db", store_url,
                                       "--html", str(tmp_path / "no" / "x.html")])
    assert bad_out.exit_code == 1 and "does not exist" in bad_out.output


def test_cli_html_into_a_folder_is_one_error_line(app: typer.Typer, tmp_path, store_url: str,
                                                  engine_run: str) -> None:
    result = CliRunner().invoke(app, ["report", engine_run, "--db", store_url, "--html", str(tmp_path)])
    assert result.exit_code == 1 and "it is a folder" in result.output, result.output


def test_the_text_summary_counts_one_input_in_the_singular(store_url: str) -> None:
    final = {"status": "improved", "verdict": "faster", "speedup": 12.8, "ci_low": 12.2, "ci_high": 13.1,
             "inputs_verified": 1, "message": "faster"}
    with Store.open(store_url) as store:
        run_id = _optimize_run(store, "hops", "/src/bfs.py", [12.0])
        store.write_iteration(run_id, iteration=1, state={FINAL_CHECK_KEY: final})
        data = load_report(store, run_id)
    assert "final speedup 12.800x (95% CI 12.200-13.100), faster; 1 input verified," in text_summary(data)


# ---------------------------------------------------------------- the page leads with the verdict

SLOW_FILE = "def parse(xs):\n    out = []\n    for x in xs:\n        out = out + [x]\n    return out\n\n\ndef main():\n    pass\n"
FAST_PARSE = "def parse(xs):\n    return list(xs)\n"
IMPROVED = {"status": "improved", "verdict": "faster", "speedup": 41.5, "ci_low": 38.25, "ci_high": 44.75,
            "inputs_verified": 9, "message": "faster: speedup 41.500x"}


def _timed_run(store: Store, target: str, final: dict | None, code: str = FAST_PARSE,
               path: str = "/src/a.py") -> str:
    run_id = store.create_run("program", {}, name=f"optimize:{target}:{path}")
    seed = CandidateRecord(f"{target}-seed", run_id, {"code": SLOW_FILE}, "h1")
    best = CandidateRecord(f"{target}-best", run_id, {"code": code}, "h2", parents=[seed.id], origin="skill:x")
    evals = [EvaluationRecord(run_id, seed.id, ["0"], 1.0), EvaluationRecord(run_id, best.id, ["0"], 40.0)]
    store.write_iteration(run_id, iteration=1, candidates=[seed, best], evaluations=evals,
                          best_candidate_id=best.id, state={FINAL_CHECK_KEY: final} if final else {})
    return run_id


def _ticks(page: str) -> dict[float, float]:
    return {float(v): float(x) for v, x in re.findall(r'class="tick" data-value="([\d.e+-]+)" x="([\d.]+)"', page)}


def test_the_page_leads_with_the_verdict_the_interval_and_the_diff(store_url: str) -> None:
    with Store.open(store_url) as store:
        page = render_html(load_report(store, _timed_run(store, "parse", IMPROVED)))
    verdict = page.index("<strong>Improved</strong>: 41.50x faster (95% CI 38.25x-44.75x), verified on 9 inputs")
    diff = page.index('<pre class="diff">')
    assert verdict < diff < page.index("Speedup per target") < page.index("Score against evaluations")
    assert '<span class="del">-        out = out + [x]</span>' in page
    assert '<span class="add">+    return list(xs)</span>' in page
    assert '<span class="same">'  + " def main():</span>" in page  # the whole file, as --apply writes it
    assert "<details><summary>The best candidate in full</summary>" in page


@pytest.mark.parametrize(("final", "words"), [
    ({"status": "no_gain", "speedup": None, "ci_low": None, "ci_high": None, "inputs_verified": 3,
      "message": "the best candidate failed the final check: output differs"},
     "<strong>No gain</strong>: the best candidate failed the final check: output differs (verified on 3 inputs)"),
    (None, "<strong>Not checked</strong>: no final check stored, best mean score 40.000 over 2 evaluations"),
])
def test_the_page_says_why_there_is_no_gain(store_url: str, final, words) -> None:
    with Store.open(store_url) as store:
        page = render_html(load_report(store, _timed_run(store, "parse", final)))
    assert words in page


def test_the_speedup_axis_is_logarithmic_with_whiskers_for_intervals(store_url: str) -> None:
    with Store.open(store_url) as store:
        _timed_run(store, "other", None)  # a sibling target with a search score only: no interval
        page = render_html(load_report(store, _timed_run(store, "parse", IMPROVED)))
    chart = page[page.index('aria-label="per-target speedups"'):]
    chart = chart[:chart.index("</svg>")]
    ticks = _ticks(chart)
    assert {1.0, 10.0, 100.0} <= set(ticks)
    assert ticks[10.0] - ticks[1.0] == pytest.approx(ticks[100.0] - ticks[10.0], abs=0.2)
    assert ticks[2.0] - ticks[1.0] == pytest.approx(
        (ticks[10.0] - ticks[1.0]) * math.log10(2), abs=0.2)
    whiskers = re.findall(r'class="whisker" data-low="([\d.]+)" data-high="([\d.]+)"', chart)
    assert whiskers == [("38.25", "44.75")]
    lows = re.findall(r'<g class="whisker"[^>]*><line x1="([\d.]+)" y1="[\d.]+" x2="([\d.]+)"', chart)
    (x_low, x_high), = lows
    decade = ticks[100.0] - ticks[10.0]
    assert float(x_low) == pytest.approx(ticks[10.0] + decade * math.log10(3.825), abs=0.2)
    assert float(x_high) == pytest.approx(ticks[10.0] + decade * math.log10(4.475), abs=0.2)


def test_no_label_of_the_speedup_chart_leaves_the_drawing() -> None:
    rows = [SpeedupRow("Parser.parse_every_line_of_the_input_file", 0.62, 0.55, 0.7, note="0.62x (0.55-0.70) no gain"),
            SpeedupRow("f", 412.3, 380.2, 450.9, gain=True, note="412.30x (380.20-450.90) improved"),
            SpeedupRow("g", None, note="no gain: not re-timed")]
    chart = speedup_chart(rows)
    width = float(re.search(r'<svg width="([\d.]+)"', chart).group(1))
    for row in rows:
        x = float(re.search(rf'<text class="name" x="([\d.]+)"[^>]*>{re.escape(row.name)}<', chart).group(1))
        assert x - text_width(row.name) >= 0  # right-aligned at x
        x = float(re.search(rf'<text class="figure" x="([\d.]+)"[^>]*>{re.escape(row.note)}<', chart).group(1))
        assert x + text_width(row.note) <= width
    for value, x in _ticks(chart).items():
        half = text_width(f"{value:g}x") / 2
        assert half <= x <= width - half


def test_a_kernel_runs_page_gives_its_verdict(store_url: str) -> None:
    final = {"correct": True, "failure": "", "reason": "", "speedup": 2.5, "flags": []}
    with Store.open(store_url) as store:
        run_id = store.create_run("kernel", {}, name="kernelbench:1_relu")
        seed = CandidateRecord("k", run_id, {"code": "class ModelNew: pass\n"}, "h")
        store.write_iteration(run_id, iteration=1, candidates=[seed], best_candidate_id="k",
                              evaluations=[EvaluationRecord(run_id, "k", ["0"], 2.5)],
                              state={FINAL_CHECK_KEY: final})
        page = render_html(load_report(store, run_id))
    assert "<strong>Correct</strong>: 2.50x vs PyTorch eager" in page
    assert "2.50x correct" in page
    with Store.open(store_url) as store:
        summary = text_summary(load_report(store, run_id))
    assert f"target kernelbench:1_relu: correct; final speedup 2.500x; 1 evaluations (run {run_id})" in summary


def test_the_page_of_an_optimize_run_reaches_nothing_outside_itself(store_url: str) -> None:
    with Store.open(store_url) as store:
        page = render_html(load_report(store, _timed_run(store, "parse", IMPROVED)))
    for needle in ("<script", "<link", "<img", "@import", "url(", "http"):
        assert needle not in page
