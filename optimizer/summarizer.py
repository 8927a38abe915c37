"""The summarizer: turns past trials into advice for the next proposals.

Every ``summarize_every`` iterations the engine samples up to ``summary_sample_size``
candidates not summarized before and shows each one's parameters with one success and
one failure trajectory (its best- and worst-scoring evaluations) plus the current
summary. The answer's summary replaces the old one and reaches every later proposal
prompt under "Recommendations based on what worked".

``HistorySummarizer`` needs no model: from the run's lineage (every evaluated child with
its parent) it says which origins, skills and edit kinds raised or lowered the score
and why children failed, and ends with a ``Skill ranking`` line the skills proposer
orders its rewrites by (:func:`skill_preferences`). ``LLMSummarizer`` shows the same
digest to the model beside the sampled trajectories.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from polca.llm import LLMError, LLMUnavailable
from polca.optimizer import prompts
from polca.optimizer.contracts import Candidate, Evaluation
from polca.optimizer.embedding import structure_of

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
class LineageRecord:
    """One evaluated child beside its parent: what the offline digest is computed from."""

    child: Candidate
    parent: Candidate
    child_mean: float
    parent_mean: float
    failures: tuple[str, ...] = ()  # feedback of the child's evaluations with status != ok


@dataclass(frozen=True)
class SummaryRequest:
    objective: str
    current_summary: str
    samples: tuple[SummarySample, ...]
    iteration: int = 0
    lineage: tuple[LineageRecord, ...] = ()  # every evaluated child of the run so far


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
    digest = history_digest(request.lineage)
    if digest:
        blocks.append("<run_statistics>\n" + digest + "\n</run_statistics>")
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


def pick_samples(
    entries: Sequence[object], summarized: set[str], size: int, rng: np.random.Generator
) -> list[object]:
    """Up to ``size`` evaluated entries not summarized before, drawn by ``rng``, in memory order."""
    pool = [e for e in entries if e.history and e.candidate.id not in summarized]  # type: ignore[attr-defined]
    if not pool:
        return []
    chosen = rng.choice(len(pool), size=min(size, len(pool)), replace=False)
    return [pool[i] for i in sorted(chosen)]


def summary_request(
    objective: str, previous: str, entries: Sequence[object], summarized: set[str], size: int,
    rng: np.random.Generator, iteration: int,
) -> tuple[SummaryRequest, tuple[str, ...]] | None:
    """The next summary's request from memory's ``entries`` and the ids of the candidates it
    samples (up to ``size`` not summarized before, see ``pick_samples``); None when none is new."""
    picked = pick_samples(entries, summarized, size, rng)
    if not picked:
        return None
    histories = [(e.candidate, [t.evaluation for t in e.history]) for e in picked]  # type: ignore[attr-defined]
    request = SummaryRequest(objective, previous, select_samples(histories), iteration, lineage(entries))
    return request, tuple(e.candidate.id for e in picked)  # type: ignore[attr-defined]


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


# ---- the offline summary -----------------------------------------------------------

_RANKING = re.compile(r"^Skill ranking \(best first\): (.*)$", re.M)
_RANKED = re.compile(r"([\w.-]+) ([+-]\d+(?:\.\d+)?)")


def lineage(entries: Iterable[object]) -> tuple[LineageRecord, ...]:
    """Lineage records from queue entries (``candidate``, ``history``, ``mean``) whose
    first parent is among them and both are evaluated."""
    by_id = {e.candidate.id: e for e in entries}  # type: ignore[attr-defined]
    records = []
    for entry in by_id.values():
        child = entry.candidate  # type: ignore[attr-defined]
        parent = by_id.get(child.parents[0]) if child.parents else None
        if parent is None or not entry.history or not parent.history:  # type: ignore[attr-defined]
            continue
        failures = tuple(t.evaluation.feedback for t in entry.history  # type: ignore[attr-defined]
                         if t.evaluation.status != "ok")
        records.append(LineageRecord(child, parent.candidate, entry.mean, parent.mean, failures))
    return tuple(records)


def edit_kind(parent: Candidate, child: Candidate) -> str:
    """``tweak`` (code whose normalised structure is unchanged: renames, literals, format),
    ``rewrite`` (code whose structure changed), ``text edit`` (a non-code parameter)."""
    changed = [n for n in child.params if child.params[n] != parent.params.get(n)]
    kinds = set()
    for name in changed:
        before, after = _structure(parent.params.get(name, "")), _structure(child.params[name])
        if before is None or after is None:
            kinds.add("text edit")
        else:
            kinds.add("tweak" if before == after else "rewrite")
    return "+".join(sorted(kinds)) or "no change"


@functools.lru_cache(maxsize=4096)  # each candidate's code is read once, not every update
def _structure(value: str) -> tuple[str, ...] | None:
    return structure_of(value)


def _credits(record: LineageRecord) -> list[str]:
    """The origins a child's score change is credited to: each skill of ``skill:a+b``."""
    origin = record.child.origin
    if origin.startswith("skill:"):
        return ["skill:" + part for part in origin[len("skill:"):].split("+") if part]
    return [origin]


@dataclass(frozen=True)
class _Effect:
    name: str
    deltas: tuple[float, ...]
    failures: tuple[str, ...]

    @property
    def mean(self) -> float:
        return math.fsum(self.deltas) / len(self.deltas)

    def line(self) -> str:
        better = sum(d > 0 for d in self.deltas)
        text = (f"{self.name} ({self.mean:+.3g} mean change over {len(self.deltas)} children, "
                f"{better} better than their parent")
        if self.failures:
            reason, count = Counter(self.failures).most_common(1)[0]
            text += f"; {len(self.failures)} failed evaluations, most often: {_short(reason)!r}"
            text += f" ({count}x)" if count > 1 else ""
        return text + ")"


def _effects(records: Sequence[LineageRecord], key) -> list[_Effect]:
    deltas: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, list[str]] = defaultdict(list)
    for record in records:
        for name in key(record):
            deltas[name].append(record.child_mean - record.parent_mean)
            failures[name].extend(record.failures)
    effects = [_Effect(n, tuple(d), tuple(failures[n])) for n, d in deltas.items()]
    return sorted(effects, key=lambda e: (-e.mean, e.name))


def history_digest(records: Sequence[LineageRecord]) -> str:
    """What raised and lowered the score in this run, and why children failed ("" if nothing)."""
    if not records:
        return ""
    origins = _effects(records, _credits)
    kinds = _effects(records, lambda r: [edit_kind(r.parent, r.child)])
    raised = [e.line() for e in origins if e.mean > 0]
    lowered = [e.line() for e in origins if e.mean <= 0]
    lines = [f"From {len(records)} evaluated children of this run:"]
    lines.append("Raised the score: " + ("; ".join(raised) if raised else "nothing yet"))
    lines.append("Lowered or kept the score: " + ("; ".join(lowered) if lowered else "nothing"))
    lines.append("By edit kind: " + "; ".join(f"{k.name} {k.mean:+.3g} (n={len(k.deltas)})"
                                                for k in kinds))
    reasons = Counter(f for r in records for f in r.failures)
    if reasons:
        lines.append("Why children failed: " + "; ".join(
            f"{_short(reason)!r} ({count}x)" for reason, count in reasons.most_common(3)))
    skills = [e for e in origins if e.name.startswith("skill:")]
    if skills:
        lines.append("Skill ranking (best first): " + ", ".join(
            f"{e.name[len('skill:'):]} {e.mean:+.3g}" for e in skills))
    return "\n".join(lines)


def skill_preferences(summary: str) -> dict[str, float]:
    """Skill id -> mean score change, read from a summary's ``Skill ranking`` line."""
    match = _RANKING.search(summary or "")
    if not match:
        return {}
    return {skill: float(delta) for skill, delta in _RANKED.findall(match.group(1))}


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class HistorySummarizer:
    """The summarizer without a model: the run's own lineage, digested (``history_digest``).

    Invariant (the Summarizer contract): never raises; with no evaluated child yet it
    returns ``ok=False`` and the current summary unchanged.
    """

    def summarize(self, request: SummaryRequest) -> SummaryResult:
        digest = history_digest(request.lineage)
        if not digest:
            return SummaryResult(request.current_summary, ok=False, error="no evaluated child yet")
        return SummaryResult(digest, reasoning="computed offline from the run's lineage")
