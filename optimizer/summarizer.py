"""The summarizer: turns past trials into advice for the next proposals.

Every ``summarize_every`` iterations the engine samples up to ``summary_sample_size``
candidates not summarized before and shows each one's parameters with one success and
one failure trajectory (its best- and worst-scoring evaluations) plus the current
summary. The answer's summary replaces the old one and reaches every later proposal
prompt under "Recommendations based on what worked".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from polca.optimizer import prompts
from polca.optimizer.contracts import Candidate, Evaluation

from polca.llm import LLMError, LLMUnavailable

if TYPE_CHECKING:
    from polca.llm import LLMClient

log = logging.getLogger(__name__)

_SUMMARY = re.compile(r"<summary>(.*?)</summary>", re.DOTALL)
_REASONING = re.compile(r"<reasoning>(.*?)</reasoning>", re.DOTALL)


@dataclass(frozen=True)
class SummarySample:
    """One candidate as the summarizer sees it."""

    candidate: Candidate
    mean_score: float
    success: Evaluation | None  # its best-scoring evaluation
    failure: Evaluation | None  # its worst-scoring one (None when it has a single score)


@dataclass(frozen=True)
class SummaryRequest:
    objective: str
    current_summary: str
    samples: tuple[SummarySample, ...]
    iteration: int = 0


@dataclass(frozen=True)
class SummaryResult:
    """The new summary; when ``ok`` is False, ``summary`` is the unchanged old one."""

    summary: str
    reasoning: str = ""
    ok: bool = True
    error: str = ""


@runtime_checkable
class Summarizer(Protocol):
    """Writes the advice that replaces the current summary.

    Invariant: never raises for a malformed model answer; returns ``ok=False`` with the
    old summary instead. Systemic faults (no model reachable) may raise.
    """

    def summarize(self, request: SummaryRequest) -> SummaryResult: ...


def build_summary_prompt(request: SummaryRequest) -> str:
    blocks = [_candidate_block(s) for s in request.samples]
    return prompts.SUMMARIZE_TEMPLATE.format(
        objective=request.objective,
        current_summary=request.current_summary.strip() or prompts.NO_SUMMARY_YET,
        candidates="\n\n".join(blocks),
    )


def _candidate_block(sample: SummarySample) -> str:
    params = "\n".join(
        prompts.CURRENT_PARAM.format(name=n, value=sample.candidate.params[n])
        for n in sorted(sample.candidate.params)
    )
    trajectories = [
        prompts.TRAJECTORY_BLOCK.format(
            kind=kind,
            instance=ev.instance_id,
            score=f"{ev.score:.4g}",
            feedback=ev.feedback or "(no feedback)",
        )
        for kind, ev in (("success", sample.success), ("failure", sample.failure))
        if ev is not None
    ]
    return prompts.SUMMARY_CANDIDATE.format(
        id=sample.candidate.id,
        mean_score=f"{sample.mean_score:.4g}",
        parameters=params,
        trajectories="\n".join(trajectories),
    )


class LLMSummarizer:
    """The summarizer of the paper, over ``polca.llm.LLMClient`` (``purpose="summarize"``)."""

    def __init__(self, client: LLMClient, *, model: str | None = None) -> None:
        self._client = client
        self.model = model

    def summarize(self, request: SummaryRequest) -> SummaryResult:
        prompt = build_summary_prompt(request)
        error = ""
        for attempt in range(2):
            text = prompt if attempt == 0 else prompt + prompts.RETRY_NOTE.format(error=error)
            try:
                answer = self._ask(text, request.iteration * 2 + attempt)
            except LLMUnavailable:
                raise
            except LLMError as exc:
                return SummaryResult(request.current_summary, ok=False, error=str(exc))
            match = _SUMMARY.search(answer)
            if match and match.group(1).strip():
                reasoning = _REASONING.search(answer)
                return SummaryResult(
                    match.group(1).strip(), reasoning.group(1).strip() if reasoning else ""
                )
            error = "no non-empty <summary>...</summary> block found"
            log.info("malformed summary (attempt %d): %s", attempt + 1, error)
        return SummaryResult(request.current_summary, ok=False, error=error)

    def _ask(self, prompt: str, sample: int) -> str:
        messages = [
            {"role": "system", "content": prompts.SUMMARIZE_SYSTEM},
            {"role": "user", "content": prompt},
        ]
        response = self._client.complete(
            messages, purpose="summarize", model=self.model, sample=sample
        )
        return response.text


def select_samples(
    pool: Sequence[tuple[Candidate, Sequence[Evaluation]]],
) -> tuple[SummarySample, ...]:
    """Build summarizer samples from (candidate, its evaluations) pairs."""
    samples = []
    for candidate, history in pool:
        if not history:
            continue
        ranked = sorted(history, key=lambda e: e.score)
        mean = sum(e.score for e in history) / len(history)
        failure = ranked[0] if len(ranked) > 1 else None
        samples.append(SummarySample(candidate, mean, ranked[-1], failure))
    return tuple(samples)
