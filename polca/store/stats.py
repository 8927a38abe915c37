"""Aggregates over many rows at once: mean scores, LLM usage and run counts.

Each function runs inside a session the ``Store`` opened and returns plain data grouped
by run id, so one query serves a whole list of runs (``polca runs list``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from polca.store.records import CandidateScore, RunStats
from polca.store.schema import CandidateRow, EvaluationRow, LLMCallRow


def no_usage() -> dict[str, Any]:
    """The usage totals of a run without model calls."""
    return {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0}


def scores_by_run(session: Session, run_ids: list[str]) -> dict[str, list[CandidateScore]]:
    """Each evaluated candidate's mean score and number of measurements, by run (an exact
    score, known by definition, is in the mean but measured nothing); runs without
    evaluations are absent."""
    query = (
        select(
            EvaluationRow.run_id,
            EvaluationRow.candidate_id,
            func.avg(EvaluationRow.score),
            func.sum(case((EvaluationRow.exact, 0), else_=1)),
        )
        .where(EvaluationRow.run_id.in_(run_ids))
        .group_by(EvaluationRow.run_id, EvaluationRow.candidate_id)
    )
    scores: dict[str, list[CandidateScore]] = {}
    for run_id, candidate_id, mean, evaluations in session.execute(query):
        scores.setdefault(run_id, []).append(CandidateScore(candidate_id, float(mean), int(evaluations)))
    return scores


def usage_by_run(session: Session, run_ids: list[str | None]) -> dict[str | None, dict[str, Any]]:
    """Model-call totals (as ``no_usage`` has them), by run; None: calls outside runs.

    Runs without calls are absent.
    """
    known = [r for r in run_ids if r is not None]
    where = LLMCallRow.run_id.in_(known)
    if None in run_ids:
        where = where | LLMCallRow.run_id.is_(None)
    query = (
        select(
            LLMCallRow.run_id,
            func.count(),
            func.sum(LLMCallRow.prompt_tokens),
            func.sum(LLMCallRow.completion_tokens),
            func.sum(LLMCallRow.cost_usd),
        )
        .where(where)
        .group_by(LLMCallRow.run_id)
    )
    return {
        run_id: {
            "calls": calls,
            "prompt_tokens": int(prompt or 0),
            "completion_tokens": int(completion or 0),
            "cost_usd": float(cost or 0.0),
        }
        for run_id, calls, prompt, completion, cost in session.execute(query)
    }


def candidate_counts(session: Session, run_ids: list[str]) -> dict[str, int]:
    """The number of candidates of each run; runs without candidates are absent."""
    query = (
        select(CandidateRow.run_id, func.count())
        .where(CandidateRow.run_id.in_(run_ids))
        .group_by(CandidateRow.run_id)
    )
    return dict(session.execute(query).all())


def run_stats_from(
    run_id: str,
    candidates: int,
    scores: list[CandidateScore],
    best_candidate_id: str | None,
    usage: dict[str, Any],
) -> RunStats:
    """One run's ``RunStats`` from its counts, scores and usage."""
    means = {s.candidate_id: s.mean_score for s in scores}
    if best_candidate_id in means:
        best_score: float | None = means[best_candidate_id]
    else:
        best_score = max(means.values(), default=None)
    return RunStats(
        run_id=run_id,
        candidates=candidates,
        evaluations=sum(s.evaluations for s in scores),
        best_score=best_score,
        llm_calls=usage["calls"],
        cost_usd=usage["cost_usd"],
    )
