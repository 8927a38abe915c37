"""Proposers for programs: several proposers asked in turn, with a fallback when a model is gone.

``polca optimize`` always proposes with executable skills and adds the LLM proposer when
a model is given. :class:`ProposerChain` splits each request among its members; when a
member raises ``LLMUnavailable`` (no key, server down) and ``fallback`` is on, it is
dropped with a warning recorded in ``notes`` and the others carry on.

The proposers of ``polca optimize`` are built here, so every caller builds the same
search: :func:`default_program_proposer` and :func:`default_program_summarizer`::

    llm = recording_llm(config, store, events)  # polca.cli.common; or None, offline
    proposer = default_program_proposer(llm, fallback=True)
    summarizer = default_program_summarizer(llm, fallback=True)
    optimize_file(path, options, proposer=proposer, llm=llm, summarizer=summarizer, store=store, events=events)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from polca.optimizer.contracts import (
    Candidate,
    Evaluation,
    ProposalContext,
    ProposalOutcome,
    Proposer,
    propose_outcome,
)
from polca.optimizer.summarizer import Summarizer, SummaryRequest, SummaryResult

from polca.llm import LLMUnavailable

if TYPE_CHECKING:
    from polca.llm import LLMClient

log = logging.getLogger(__name__)


class ProposerChain:
    """Asks each member for a share of ``num_proposals`` children (at least one each).

    Invariants (the Proposer contract): at most ``context.num_proposals`` children, each
    with ``parents == (parent.id,)``. ``LLMUnavailable`` propagates only when ``fallback``
    is off or no member is left.
    """

    def __init__(self, proposers: Sequence[Proposer], *, fallback: bool = True) -> None:
        if not proposers:
            raise ValueError("ProposerChain needs at least one proposer, e.g. [SkillsProposer()]")
        for proposer in proposers:
            if not isinstance(proposer, Proposer):
                raise TypeError(f"{type(proposer).__name__} has no propose(parent, evaluations, context)")
        self._members = list(proposers)
        self._fallback = fallback
        self._lock = threading.Lock()
        self.notes: list[str] = []

    def propose(self, parent: Candidate, evaluations: Sequence[Evaluation],
                context: ProposalContext) -> list[Candidate]:
        return list(self.propose_with_report(parent, evaluations, context).children)

    def propose_with_report(self, parent: Candidate, evaluations: Sequence[Evaluation],
                            context: ProposalContext) -> ProposalOutcome:
        children: list[Candidate] = []
        failures: list[str] = []
        seen = {parent.hash}
        members = self._active()
        for position, member in enumerate(members):
            left = context.num_proposals - len(children)
            if left <= 0:
                break
            wanted = -(-left // (len(members) - position))  # a fair share, the rest to later members
            outcome = self._ask(member, parent, evaluations, replace(context, num_proposals=wanted))
            failures.extend(outcome.failures)
            for child in outcome.children:
                if child.hash not in seen and len(children) < context.num_proposals:
                    seen.add(child.hash)
                    children.append(child)
        return ProposalOutcome(tuple(children), tuple(failures))

    def _active(self) -> list[Proposer]:
        with self._lock:
            return list(self._members)

    def _ask(self, member: Proposer, parent: Candidate, evaluations: Sequence[Evaluation],
             context: ProposalContext) -> ProposalOutcome:
        try:
            return propose_outcome(member, parent, evaluations, context)
        except LLMUnavailable as exc:
            with self._lock:
                if not self._fallback or len(self._members) == 1:
                    raise
                if member in self._members:
                    self._members.remove(member)
                    note = f"model unavailable ({exc}); continuing with the other proposers"
                    self.notes.append(note)
                    log.info(note)
            return ProposalOutcome((), (f"model unavailable: {exc}",))


class FallbackSummarizer:
    """A summarizer that keeps the old summary when its model is unavailable and ``fallback`` is on.

    Without a reachable model the search still runs on executable skills; the advice just
    stops changing. The first failure is recorded in ``notes``.
    """

    def __init__(self, inner: Summarizer, *, fallback: bool = True) -> None:
        self._inner = inner
        self._fallback = fallback
        self.notes: list[str] = []

    def summarize(self, request: SummaryRequest) -> SummaryResult:
        try:
            return self._inner.summarize(request)
        except LLMUnavailable as exc:
            if not self._fallback:
                raise
            if not self.notes:
                self.notes.append(f"summarizer model unavailable ({exc}); the summary is left as it was")
                log.info(self.notes[0])
            return SummaryResult(request.current_summary, ok=False, error=str(exc))


def default_program_proposer(llm: LLMClient | None, *, model: str | None = None,
                             fallback: bool = True) -> ProposerChain:
    """Executable skills always; with ``llm``, also the model prompted with retrieved skills.

    ``model`` overrides the client's model for proposals; ``fallback`` lets the search go
    on with the skills alone when the model is unreachable (see :class:`ProposerChain`).
    """
    from polca.optimizer.domains.skills_proposer import SkillsProposer

    members: list[Proposer] = [SkillsProposer()]
    if llm is not None:
        members.append(SkillsProposer(llm=llm, model=model))
    return ProposerChain(members, fallback=fallback)


def default_program_summarizer(llm: LLMClient | None, *, model: str | None = None,
                               fallback: bool = True) -> FallbackSummarizer | None:
    """The LLM summarizer over ``llm`` (kept as it was when the model is unreachable and
    ``fallback`` is on); None without a model, so the search runs without a summary."""
    from polca.optimizer.summarizer import LLMSummarizer

    return FallbackSummarizer(LLMSummarizer(llm, model=model), fallback=fallback) if llm is not None else None

