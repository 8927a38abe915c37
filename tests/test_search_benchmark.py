"""The search benchmark's problems, simulated model, prompt formats and report.

The end-to-end smoke run of every contestant is marked slow (``-m slow``).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gepa.strategies.instruction_proposal import InstructionProposalSignature
from openevolve.config import PromptConfig
from openevolve.prompt.sampler import PromptSampler
from openevolve.utils.code_utils import apply_diff

from benchmarks.search import report
from benchmarks.search.model import ModelSpec, SimulatedModel, find_hints
from benchmarks.search.outcome import RunSpec, best_by_mean_trace
from benchmarks.search.problems import (
    PARAM_NAME,
    ProblemSpec,
    SyntheticProblem,
    format_params,
    get_landscape,
    parse_params,
)
from polca.optimizer.contracts import Candidate, Evaluation, ProposalContext
from polca.optimizer.proposers import build_prompt, parse_answer
from polca.optimizer.summarizer import SummaryRequest, build_summary_prompt, select_samples

REPO_ROOT = Path(__file__).resolve().parents[1]


def _problem(landscape: str = "smooth", noise: float = 0.0, seed: int = 0) -> SyntheticProblem:
    return SyntheticProblem(ProblemSpec(landscape, noise, seed))


def _model(p: float = 0.3, seed: int = 0, landscape: str = "smooth") -> SimulatedModel:
    return SimulatedModel(get_landscape(landscape), ModelSpec(p=p), seed)


# ---- problems ----------------------------------------------------------------------------


def test_params_text_round_trips_and_clips():
    text = format_params([0.1234, 0.5, 1.0, 0.0])
    assert text == "x0 = 0.123\nx1 = 0.500\nx2 = 1.000\nx3 = 0.000"
    assert parse_params(text, 4).tolist() == [0.123, 0.5, 1.0, 0.0]
    assert parse_params("x0 = 2\nx1 = -1\nx2 = .5\nx3 = 1e-1", 4).tolist() == [1.0, 0.0, 0.5, 0.1]


def test_unreadable_params_name_the_missing_coordinate():
    with pytest.raises(ValueError, match="x2"):
        parse_params("x0 = 0.1\nx1 = 0.2\nx3 = 0.4", 4)


def test_true_quality_peaks_at_the_optimum_and_the_seed_starts_low():
    smooth, deceptive = get_landscape("smooth"), get_landscape("deceptive")
    heavy = get_landscape("heavy_tailed")
    assert smooth.quality(np.array([0.8, 0.3, 0.7, 0.2])) == pytest.approx(1.0)
    assert deceptive.quality(np.array([0.75, 0.2, 0.8, 0.25])) == pytest.approx(1.0)
    assert deceptive.quality(np.array([0.2, 0.75, 0.25, 0.7])) == pytest.approx(0.65)
    assert heavy.quality(np.array([0.8, 0.3, 0.7, 0.2, 0.6, 0.35, 0.75, 0.25])) == pytest.approx(1.0)
    for landscape in (smooth, deceptive, heavy):
        assert 0.2 < landscape.quality(np.array(landscape.seed_point)) < 0.5


def test_deceptive_trap_is_a_local_optimum_for_single_coordinate_steps():
    landscape = get_landscape("deceptive")
    trap = np.array([0.2, 0.75, 0.25, 0.7])
    for coord in range(4):
        for delta in np.linspace(-0.2, 0.2, 21):
            moved = trap.copy()
            moved[coord] = np.clip(moved[coord] + delta, 0, 1)
            assert landscape.quality(moved) <= 0.65 + 1e-9


def test_noise_zero_scores_are_the_true_quality():
    problem = _problem(noise=0.0)
    seed = problem.seed()
    scores = [e.score for e in problem.evaluate(seed, problem.instances())]
    assert scores == pytest.approx([problem.true_quality(seed.params)] * len(scores))


def test_noisy_scores_are_unbiased_with_the_stated_spread():
    problem = _problem(noise=0.3)
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(200):
        text = format_params(rng.random(4))
        truth = problem.true_quality(text)
        errors += [problem.evaluate_text(text, i).score - truth for i in problem.instances()]
    assert np.mean(errors) == pytest.approx(0.0, abs=0.02)
    assert np.std(errors) == pytest.approx(0.3, rel=0.05)


def test_heavy_tailed_noise_keeps_the_spread_and_throws_outliers():
    """Student-t(3) noise: unbiased, the stated standard deviation, and far more scores
    beyond four deviations than Gaussian noise gives (6e-5 of them)."""
    problem = _problem("heavy_tailed", noise=0.1)
    assert problem.landscape.dims == 8
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(400):
        text = format_params(rng.random(8))
        truth = problem.true_quality(text)
        errors += [problem.evaluate_text(text, i).score - truth for i in problem.instances()]
    errors = np.array(errors)
    assert errors.mean() == pytest.approx(0.0, abs=0.005)
    assert errors.std() == pytest.approx(0.1, rel=0.1)
    assert np.mean(np.abs(errors) > 0.4) > 1e-3


def test_the_instance_part_of_the_noise_repeats_and_the_fresh_part_does_not():
    problem = _problem(noise=0.3)
    text = problem.seed().params[PARAM_NAME]
    first = np.array([problem.evaluate_text(text, "i3").score for _ in range(2000)])
    second = np.array([problem.evaluate_text(text, "i4").score for _ in range(2000)])
    assert first.std() == pytest.approx(0.3 / math.sqrt(2), rel=0.1)
    assert abs(first.mean() - second.mean()) > 0.01


def test_an_unreadable_candidate_fails_as_data():
    problem = _problem()
    [evaluation] = problem.evaluate(Candidate({PARAM_NAME: "nonsense"}), ["i0"])
    assert evaluation.status == "failed" and evaluation.score == 0.0
    assert "x0" in evaluation.feedback


def test_noise_free_hints_point_uphill():
    problem = _problem(noise=0.0)
    text = problem.seed().params[PARAM_NAME]
    x = parse_params(text, 4)
    for instance in problem.instances():
        [(coord, direction)] = find_hints(problem.evaluate_text(text, instance).feedback)
        moved = x.copy()
        moved[coord] += 0.01 * direction
        assert problem.landscape.quality(moved) > problem.landscape.quality(x)


def test_problem_spec_rejects_bad_values():
    with pytest.raises(ValueError, match="unknown landscape 'flat'"):
        ProblemSpec("flat", 0.1, 0)
    with pytest.raises(ValueError, match="noise must be in"):
        ProblemSpec("smooth", 1.5, 0)
    with pytest.raises(ValueError, match="below two minibatches"):
        RunSpec("greedy", ProblemSpec("smooth", 0.1, 0), budget_evals=6, minibatch=5)


# ---- the simulated model -------------------------------------------------------------------


def test_an_always_informed_model_always_improves_away_from_the_optimum():
    model, landscape = _model(p=1.0), get_landscape("smooth")
    text = format_params(landscape.seed_point)
    for _ in range(8):  # far from the optimum, where a step of at least 0.02 can help
        child = model.edit(text, "")
        assert landscape.quality(parse_params(child, 4)) > landscape.quality(parse_params(text, 4))
        text = child


def test_every_edit_changes_the_text_and_is_reproducible_per_seed():
    text = format_params([0.0, 0.0, 1.0, 1.0])
    first, second, other = _model(p=0.0, seed=3), _model(p=0.0, seed=3), _model(p=0.0, seed=4)
    edits = [first.edit(text, "i0: hint: x0 too low") for _ in range(20)]
    assert all(edit != text for edit in edits)
    assert edits == [second.edit(text, "i0: hint: x0 too low") for _ in range(20)]
    assert edits != [other.edit(text, "i0: hint: x0 too low") for _ in range(20)]


def test_model_spec_rejects_a_probability_outside_zero_one():
    with pytest.raises(ValueError, match="p must be a probability"):
        ModelSpec(p=1.2)


def test_an_unknown_prompt_format_is_an_error():
    with pytest.raises(ValueError, match="no known format"):
        _model().answer("Hello there")


def _gepa_prompt(text: str, feedback: str) -> str:
    records = [{"Inputs": {"instance": "i0"}, "Generated Outputs": "score 0.4", "Feedback": feedback}]
    return InstructionProposalSignature.prompt_renderer(
        {"current_instruction_doc": text, "dataset_with_feedback": records}
    )


def _polca_prompt(text: str, feedback: str, summary: str = "") -> str:
    parent = Candidate({PARAM_NAME: text})
    evaluations = [Evaluation(0.4, feedback, instance_id="i0")]
    return build_prompt(parent, evaluations, ProposalContext(objective="maximise", summary=summary))


def _openevolve_prompt(text: str, feedback: str) -> str:
    prompt = PromptSampler(PromptConfig()).build_prompt(
        current_program=text,
        program_metrics={"combined_score": 0.4},
        top_programs=[{"id": "a", "code": format_params([0.9] * 4), "metrics": {"combined_score": 0.9}}],
        program_artifacts={"feedback": feedback},
    )
    return prompt["system"] + "\n\n" + prompt["user"]


def test_every_format_gets_the_same_edit_for_the_same_text_and_feedback():
    text, feedback = format_params([0.1, 0.9, 0.1, 0.9]), "i0: score 0.4; hint: x2 too low"
    expected = _model(seed=5).edit(text, feedback)

    gepa_reply = _model(seed=5).reflect(_gepa_prompt(text, feedback))
    assert InstructionProposalSignature.output_extractor(gepa_reply)["new_instruction"] == expected

    polca_reply = _model(seed=5).answer(_polca_prompt(text, feedback))
    assert parse_answer(polca_reply, [PARAM_NAME]).params[PARAM_NAME] == expected

    oe_reply = _model(seed=5).answer(_openevolve_prompt(text, feedback))
    assert apply_diff(text, oe_reply) == expected


def test_respond_reads_an_openai_chat_request():
    text, feedback = format_params([0.1, 0.9, 0.1, 0.9]), "i0: score 0.4; hint: x2 too low"
    request = {"model": "simulated", "messages": [
        {"role": "system", "content": "You improve parameters."},
        {"role": "user", "content": _polca_prompt(text, feedback)},
    ]}  # fmt: skip
    reply = _model(seed=5).respond(request)
    assert parse_answer(reply, [PARAM_NAME]).params[PARAM_NAME] == _model(seed=5).edit(text, feedback)


def test_polca_proposals_see_the_summary_hints():
    text = format_params([0.1, 0.9, 0.1, 0.9])
    prompt = _polca_prompt(text, "i0: score 0.4", summary="best mean so far: 0.5\n- x3 too high")
    p_text, feedback = text, prompt.split("## Feedback on the current minibatch", 1)[1]
    assert find_hints(feedback) == [(3, -1)]
    assert parse_answer(_model(seed=1).answer(prompt), [PARAM_NAME]).params[PARAM_NAME] != p_text


def _summary_prompt(current: str, scored: list[tuple[float, str]]) -> str:
    pool = [
        (Candidate({PARAM_NAME: format_params([s] * 4)}), [Evaluation(s, fb, instance_id="i0")])
        for s, fb in scored
    ]
    return build_summary_prompt(SummaryRequest("maximise", current, select_samples(pool)))


def test_the_simulated_summarizer_keeps_the_best_candidates_hints():
    prompt = _summary_prompt("", [(0.3, "i0: hint: x0 too low"), (0.6, "i0: hint: x1 too high")])
    reply = _model().answer(prompt)
    summary = reply.split("<summary>")[1].split("</summary>")[0]
    assert "best mean so far: 0.6" in summary and "x1 too high" in summary
    assert "x0 too low" not in summary

    worse = _model().answer(_summary_prompt(summary.strip(), [(0.5, "i0: hint: x2 too low")]))
    assert "x1 too high" in worse and "x2 too low" not in worse


# ---- harness pieces ------------------------------------------------------------------------


def test_best_by_mean_trace_follows_the_leader_by_mean():
    log = [(1, "a", 0.5), (2, "b", 0.9), (3, "b", 0.0), (4, "a", 0.5)]
    assert [(p.evals, p.text) for p in best_by_mean_trace(log)] == [(1, "a"), (2, "b"), (3, "a")]


def _record(contestant: str, trace: list[list[float]], final: float) -> dict:
    spec = {"contestant": contestant, "budget_evals": 100, "problem": {"landscape": "smooth", "noise": 0.1}}
    return {"spec": spec, "trace": trace, "returned_true_quality": final, "seed_true_quality": 0.2,
            "evals_used": 100, "llm_calls": 10, "wall_s": 1.0}  # fmt: skip


def test_curves_step_through_the_trace_and_end_at_the_returned_best():
    grid = [0, 25, 50, 75, 100]
    record = _record("polca", [[20, 0.4], [60, 0.7]], final=0.65)
    assert report.curve(record, grid) == [0.2, 0.4, 0.4, 0.7, 0.65]
    assert report.evals_to_reach([0.2, 0.4, 0.4, 0.7, 0.65], grid, 0.5) == 75
    assert report.evals_to_reach([0.2, 0.4], grid[:2], 0.5) is None


def test_report_writes_tables_json_and_plots(tmp_path):
    records = [
        _record("polca", [[20, 0.4], [50, 0.8]], 0.8),
        _record("greedy", [[10, 0.5]], 0.6),
        {"spec": {"contestant": "gepa"}, "error": "boom"},
    ]
    settings = {"budget": 100, "seeds": 1, "minibatch": 5, "p": 0.3, "jobs": 1,
                "landscapes": ["smooth"], "noises": [0.1], "contestants": ["polca", "greedy", "gepa"]}  # fmt: skip
    verdicts = report.write_report(records, settings, tmp_path / "results", tmp_path / "RESULTS.md")
    text = (tmp_path / "RESULTS.md").read_text()
    assert "| greedy | 0.600 [0.600, 0.600] | 50 (50%) |" in text
    assert "noise 0.1, smooth, vs greedy: met" in verdicts
    assert "Met in 1 of 1 comparisons" in text
    assert "1 failed" in text and (tmp_path / "results" / "curves_smooth.png").stat().st_size > 0
    payload = json.loads((tmp_path / "results" / "results.json").read_text())
    assert len(payload["records"]) == 3 and math.isclose(payload["cells"][0]["final_median"], 0.6)


def test_the_report_counts_what_the_epsilon_net_saved_and_names_its_command(tmp_path):
    records = [{**_record("polca", [[20, 0.4]], 0.5), "notes": "rejected=2 child=300 explorer=40 final=60"},
               {**_record("polca", [[20, 0.4]], 0.5), "notes": "rejected=0 child=320 explorer=20 final=60"},
               {**_record("polca_no_epsilon_net", [[20, 0.4]], 0.5), "notes": "rejected=0 child=340"},
               _record("greedy", [[10, 0.5]], 0.6)]  # fmt: skip
    lines = report.spend_lines(records, ["polca", "polca_no_epsilon_net", "greedy"], minibatch=5)
    assert lines[2:] == ["| polca | 0.1 | 1.0 | 5.0 | 30 | 310 | 60 |",
                         "| polca_no_epsilon_net | 0.1 | 0.0 | 0.0 | 0 | 340 | 0 |"]  # fmt: skip
    settings = {"seeds": 3, "contestants": ["polca", "greedy"], "budget": 400}
    command = report.reproduce_command(settings, tmp_path / "out", tmp_path / "R.md")
    assert "--contestants polca greedy" in command and "--seeds 3" in command
    assert "--budget" not in command and f"--out {tmp_path / 'out'}" in command


def test_rebuilding_the_report_keeps_the_hand_written_discussion(tmp_path):
    records = [_record("polca", [[20, 0.4]], 0.5), _record("gepa", [[20, 0.3]], 0.4)]
    settings = {"budget": 100, "seeds": 1, "minibatch": 5, "p": 0.3, "jobs": 1,
                "landscapes": ["smooth"], "noises": [0.1], "contestants": ["polca", "gepa"]}  # fmt: skip
    results_md = tmp_path / "RESULTS.md"
    report.write_report(records, settings, tmp_path / "results", results_md)
    results_md.write_text(results_md.read_text() + "\n## Discussion\n\nPOLCA wins here.\n")
    report.write_report(records, settings, tmp_path / "results", results_md)
    assert results_md.read_text().count("## Discussion\n\nPOLCA wins here.") == 1


@pytest.mark.slow
def test_every_contestant_runs_end_to_end_on_a_tiny_budget(tmp_path):
    command = [
        sys.executable, "-m", "benchmarks.search.run", "--landscapes", "smooth", "--noises", "0.1",
        "--seeds", "1", "--budget", "100", "--out", str(tmp_path / "results"),
        "--results-md", str(tmp_path / "RESULTS.md"), "--timeout-s", "120",
    ]  # fmt: skip
    subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True, timeout=600)
    payload = json.loads((tmp_path / "results" / "results.json").read_text())
    records = payload["records"]
    assert not [r for r in records if "error" in r], records
    assert {r["spec"]["contestant"] for r in records} == {
        "polca", "polca_no_epsilon_net", "polca_no_summarizer", "polca_fixed_reevaluation",
        "polca_spread_expansion", "greedy", "gepa", "openevolve",
    }  # fmt: skip
    for record in records:
        assert 0 < record["evals_used"] <= 100 and record["llm_calls"] > 0, record
        assert 0.0 <= record["returned_true_quality"] <= 1.0
        assert "failed" not in record["notes"], record
