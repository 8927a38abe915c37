"""``polca.optimize_anything``: a GEPA ``optimize_anything`` call, run by POLCA."""

from __future__ import annotations

import re

import pytest

import polca
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.proposers import ScriptedProposer

WORDS = ["alpha", "beta", "gamma", "delta"]
_MISSING = re.compile(r"Missing: (\w+)")


def _add_missing(parent, evaluations, rng) -> dict[str, str]:
    """Append a word the side information says is missing."""
    name = next(iter(parent.params))
    missing = [m.group(1) for e in evaluations for m in _MISSING.finditer(e.feedback)]
    word = missing[int(rng.integers(len(missing)))] if missing else "filler"
    return {name: f"{parent.params[name]} {word}"}


def test_gepa_quick_start_shape_single_task() -> None:
    """GEPA's quick example: a str seed, ``evaluate(candidate) -> score`` plus side info,
    an objective and ``GEPAConfig(engine=EngineConfig(max_metric_calls=...))``."""
    oa = pytest.importorskip("gepa.optimize_anything")
    seen: list[object] = []

    def evaluate(candidate: str):
        seen.append(candidate)
        missing = [w for w in WORDS if w not in candidate.split()]
        return 1 - len(missing) / len(WORDS), {"Missing": " ".join(missing[:1]) or "nothing"}

    result = polca.optimize_anything(
        seed_candidate="start",
        evaluator=evaluate,
        objective="Write a text that contains every required word.",
        config=oa.GEPAConfig(engine=oa.EngineConfig(max_metric_calls=40)),
        proposer=ScriptedProposer(_add_missing),
    )
    assert isinstance(result.best_candidate, str) and all(isinstance(c, str) for c in seen)
    assert result.best_score == 1.0 and set(WORDS) <= set(result.best_candidate.split())
    assert len(seen) == result.result.evaluations <= 40


def test_gepa_multi_task_and_generalization_shapes() -> None:
    """A dict seed, ``evaluate(candidate, example) -> (score, side_info)``, dataset and valset."""
    calls: list[tuple[str, str]] = []

    def evaluate(candidate: dict[str, str], example: dict[str, str]):
        calls.append((candidate["prompt"], example["word"]))
        hit = example["word"] in candidate["prompt"].split()
        side = {"Input": example["word"], "scores": {"hit": float(hit)}}
        if not hit:
            side["Feedback"] = f"Missing: {example['word']}"
        return float(hit), side

    dataset = [{"word": w} for w in WORDS[:3]]
    valset = [{"word": w} for w in WORDS[:3]]
    result = polca.optimize_anything(
        {"prompt": "start"}, evaluator=evaluate, dataset=dataset, valset=valset,
        config=OptimizerConfig(batch_size=2, seed=3), max_metric_calls=60,
        proposer=ScriptedProposer(_add_missing),
    )
    assert isinstance(result.best_candidate, dict) and result.best_score == 1.0
    assert result.result.evaluations == len(calls) <= 60


def test_a_raising_evaluator_is_a_failed_evaluation_not_a_crash() -> None:
    def evaluate(candidate: str) -> float:
        if "bad" in candidate:
            raise RuntimeError("boom")
        return float(len(candidate.split()))

    result = polca.optimize_anything(
        "seed", evaluator=evaluate, max_metric_calls=12, num_pool=0,
        proposer=ScriptedProposer(lambda parent, evs, rng: {"current_candidate": "bad seed"}),
    )
    assert result.best_candidate == "seed"


def test_bad_calls_say_what_to_pass() -> None:
    with pytest.raises(ValueError, match="seedless"):
        polca.optimize_anything(None, evaluator=lambda c: 0.0)
    with pytest.raises(TypeError, match="OptimizerConfig or a gepa GEPAConfig"):
        polca.optimize_anything("x", evaluator=lambda c: 0.0, config={"max_metric_calls": 3})
