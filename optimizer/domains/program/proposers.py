"""Proposers for programs: executable skills or a model given skills, several asked in turn.

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

The skills proposer (:class:`SkillsProposer`) writes children rewritten by executable skills,
or by a model given skills.

Offline (no ``llm``), a child is the parent's ``param`` text rewritten by a subset of
the executable rules that change it. The applicable rules (at most ``max_skills``:
first the skills the run's summary ranks as having raised the score, then the ones
whose triggers match most, last those it ranks as having lowered it; see
:func:`polca.optimizer.summarizer.skill_preferences`) define an ordered list of subsets: all of
them together, then each alone, then pairs, and so on. Before them comes the
composition to a fixpoint (:func:`compose_rules`): rules applied one after another, each
re-checked on the code the ones before it wrote, so a rule that applies only after
another's rewrite is found (kept only when it adds such a rule). Each call hands out the
next ``num_proposals`` of these that give new code, and the next call on the same parent
continues where the last stopped, so a search keeps exploring. A child's origin is
``skill:<id>`` or ``skill:<id>+<id>+...``; its note names the skills. When no rule
changes the parent there are no children (logged at debug level).

Before each target the run hands the proposers its :class:`TargetFacts`
(:func:`hand_facts`): the runtime types the oracle's inputs had, which every
``apply_rule`` receives, and the hot lines, by which rules whose triggers match there are
tried first (:func:`rank_rules`, below the summary's preferences). A proposer can also say
that it has nothing at all for some code (:func:`offline_verdict`), so the run stops
such a target at once instead of re-timing the original.

With a model, each child comes from one prompt carrying the skills Stage II retrieval
ranks best (:class:`polca.skills.retrieval.SkillRetriever`): their Steps, Pitfalls and
Before/After examples, the parent's feedback and the summarizer's advice, answered in
the engine's tagged format (:func:`polca.optimizer.proposers.parse_answer`). An unusable
answer is retried once, then counted as a failed proposal with its reason; after three
failed proposals in a row the model is set aside (``ModelSetAside``, an
``LLMUnavailable``, so ``ProposerChain`` drops it with one note and the executable
skills carry on). Only ``LLMUnavailable`` propagates.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from polca.llm import LLMUnavailable
from polca.optimizer import prompts
from polca.optimizer.contracts import (
    Candidate,
    Evaluation,
    ProposalContext,
    ProposalOutcome,
    Proposer,
    propose_outcome,
)
from polca.optimizer.proposers import ParsedAnswer, UnusableStreak, ask_for_child, build_prompt
from polca.optimizer.summarizer import Summarizer, SummaryRequest, SummaryResult, skill_preferences
from polca.parsing import parse_python
from polca.skills.apply import rule_subsets
from polca.skills.diagnosis import diagnose
from polca.skills.model import Skill
from polca.skills.registry import SkillRegistry, build_registry
from polca.skills.retrieval import SkillRetriever
from polca.skills.rules import Observed, apply_rule, apply_rules

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

    def take_facts(self, facts: TargetFacts) -> None:
        for member in self._active():
            hand_facts(member, facts)

    def offline_verdict(self, source: str, relevant: Relevant | None = None) -> OfflineVerdict:
        verdicts = [offline_verdict(member, source, relevant) for member in self._active()]
        if not all(v.nothing for v in verdicts):
            return SOMETHING
        return OfflineVerdict(True, tuple(dict.fromkeys(i for v in verdicts for i in v.model_would_try)))

    def _ask(self, member: Proposer, parent: Candidate, evaluations: Sequence[Evaluation],
             context: ProposalContext) -> ProposalOutcome:
        try:
            return propose_outcome(member, parent, evaluations, context)
        except LLMUnavailable as exc:
            with self._lock:
                if member not in self._members:  # another explorer's ask set it aside first
                    return ProposalOutcome((), (f"model unavailable: {exc}",))
                if not self._fallback or len(self._members) == 1:
                    raise
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
                             fallback: bool = True, library: Library = None) -> ProposerChain:
    """Executable skills always; with ``llm``, also the model prompted with retrieved skills.

    ``model`` overrides the client's model for proposals; ``fallback`` lets the search go
    on with the skills alone when the model is unreachable (see :class:`ProposerChain`);
    ``library``: the skills both use (default: the built-in library).
    """
    registry = as_registry(library)
    members: list[Proposer] = [SkillsProposer(library=registry)]
    if llm is not None:
        members.append(SkillsProposer(library=registry, llm=llm, model=model))
    return ProposerChain(members, fallback=fallback)


def default_program_summarizer(llm: LLMClient | None, *, model: str | None = None,
                               fallback: bool = True) -> FallbackSummarizer | None:
    """The LLM summarizer over ``llm`` (kept as it was when the model is unreachable and
    ``fallback`` is on); None without a model, so the search runs without a summary."""
    from polca.optimizer.summarizer import LLMSummarizer

    return FallbackSummarizer(LLMSummarizer(llm, model=model), fallback=fallback) if llm is not None else None


# ---------------------------------------------------------------- what a target tells its proposers


@dataclass(frozen=True)
class TargetFacts:
    """What the run knows about a target beyond its code: the runtime types the oracle's
    inputs had (qualified function name -> parameter -> type, as rules read them) and
    the target's most executed lines (1-based line numbers of the file)."""

    observed: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    hot_lines: frozenset[int] = frozenset()


@runtime_checkable
class FactsReader(Protocol):
    """A proposer that reads :class:`TargetFacts`; the run hands them over before each target."""

    def take_facts(self, facts: TargetFacts) -> None: ...


@dataclass(frozen=True)
class OfflineVerdict:
    """Whether a proposer has nothing at all to propose for some code (``nothing``), and the
    skills a model would be given for it instead (``model_would_try``, by trigger)."""

    nothing: bool
    model_would_try: tuple[str, ...] = ()


SOMETHING = OfflineVerdict(False)


Relevant = Callable[[str], bool]
"""Whether a rewritten text changes what is searched (for a function target: that function)."""


@runtime_checkable
class OfflineExhaustible(Protocol):
    """A proposer that can tell, without proposing, that it has nothing for ``source``:
    ``nothing`` only when no call of ``propose`` on a parent with that code can give a
    child that ``relevant`` accepts (no model in use, no rule changes what matters)."""

    def offline_verdict(self, source: str, relevant: Relevant | None = None) -> OfflineVerdict: ...


def hand_facts(proposer: Proposer, facts: TargetFacts) -> None:
    """Give ``facts`` to ``proposer`` when it reads them; others are left as they are."""
    if isinstance(proposer, FactsReader):
        proposer.take_facts(facts)


def offline_verdict(proposer: Proposer, source: str, relevant: Relevant | None = None) -> OfflineVerdict:
    """What ``proposer`` says of ``source`` (children that ``relevant`` rejects count as
    none); one that cannot tell (a model, a scripted proposer) is taken to have something."""
    if not isinstance(proposer, OfflineExhaustible):
        return SOMETHING
    return proposer.offline_verdict(source, relevant)


# ---------------------------------------------------------------- the skills proposer
Library = SkillRegistry | Iterable[Skill] | Path | str | None


def as_registry(library: Library) -> SkillRegistry:
    """A registry from a registry, skills, a library folder, or None (the built-in library)."""
    if library is None:
        return build_registry()
    if isinstance(library, SkillRegistry):
        return library
    if isinstance(library, str | Path):
        return build_registry(library)
    return SkillRegistry(library)


def applicable_rules(
    registry: SkillRegistry, source: str, limit: int, prefer: dict[str, float] | None = None,
    observed: Observed | None = None, hot: Collection[int] = (),
) -> list[Skill]:
    """Executable skills whose rule changes ``source`` (given the ``observed`` runtime
    types), at most ``limit``, in the order of :func:`rank_rules`: ``prefer`` (skill id ->
    the mean score change it brought in this run) first, then skills whose triggers match
    a ``hot`` line, then by most trigger matches."""
    hits = {skill.id: count for skill, count in registry.triggered_by(source)}
    ranked = rank_rules(registry.with_rules(), hits, prefer or {},
                        hot_skill_ids(registry, source, hot))
    found = []
    for skill in ranked:
        if len(found) >= limit:
            break
        if apply_rule(skill, source, observed).changed:
            found.append(skill)
    return found


def rank_rules(skills: Iterable[Skill], hits: Mapping[str, int], prefer: Mapping[str, float],
               hot_ids: Collection[str]) -> list[Skill]:
    """``skills`` in the order they are tried: those ``prefer`` shows helping, best first;
    then the rest, those matching a hot line (``hot_ids``) first, then by most trigger
    ``hits`` (skill id -> matches); those ``prefer`` shows hurting last. Ties go by id."""

    def order(skill: Skill) -> tuple[int, float, int, int, str]:
        change = prefer.get(skill.id, 0.0)
        group = 0 if change > 0 else (2 if skill.id in prefer else 1)
        return (group, -change, skill.id not in hot_ids, -hits.get(skill.id, 0), skill.id)

    return sorted(skills, key=order)


_LINE = re.compile(r"^- line (\d+) \(", re.MULTILINE)


def hot_line_numbers(note: str) -> frozenset[int]:
    """The line numbers of a hot-lines note (``- line N (K times): text``, as
    :func:`polca.optimizer.domains.program.targets.hot_lines` writes it)."""
    return frozenset(int(n) for n in _LINE.findall(note))


def hot_skill_ids(registry: SkillRegistry, source: str, hot: Collection[int]) -> set[str]:
    """Skills with a trigger matching on one of the ``hot`` lines of ``source``; without hot
    lines, on a line where the diagnosis finds an anti-pattern."""
    lines = set(hot) or {f.line for f in diagnose(source).findings}
    if not lines:
        return set()
    starts = [0]
    for index, char in enumerate(source):
        if char == "\n":
            starts.append(index + 1)
    found = set()
    for skill, _ in registry.triggered_by(source):
        for pattern in skill.triggers:
            if any(_line_of(starts, m.start()) in lines for m in re.finditer(pattern, source, re.MULTILINE)):
                found.add(skill.id)
                break
    return found


def _line_of(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)


MAX_COMPOSE_STEPS = 6
"""The most rules one composed child applies in sequence (each unlocked by the ones before)."""


def compose_rules(rules: Sequence[Skill], source: str, observed: Observed | None = None,
                  max_steps: int = MAX_COMPOSE_STEPS) -> tuple[str, tuple[str, ...]]:
    """Apply rules one after another to a fixpoint: each step applies the first of ``rules``
    not yet used that changes the current code (to code that parses), so a rule that
    applies only after another's rewrite is found. Stops when none changes it or after
    ``max_steps``. Returns the code and the ids applied, in order."""
    used: list[str] = []
    for _ in range(max_steps):
        for skill in rules:
            if skill.id in used:
                continue
            outcome = apply_rule(skill, source, observed)
            if outcome.changed and _parses(outcome.code):
                source = outcome.code
                used.append(skill.id)
                break
        else:
            break
    return source, tuple(used)


def _parses(code: str) -> bool:
    try:
        parse_python(code)
    except SyntaxError:
        return False
    return True


class SkillsProposer:
    """Proposer of children rewritten by executable skills (offline) or by a model with skills.

    Invariants (the Proposer contract): at most ``context.num_proposals`` children, each
    with ``parents == (parent.id,)`` and code different from the parent's; never raises
    for a rule or an answer that fails. A parent without ``param`` raises ValueError.
    """

    def __init__(
        self,
        *,
        library: Library = None,
        llm: LLMClient | None = None,
        model: str | None = None,
        param: str = "code",
        max_skills: int = 6,
    ) -> None:
        if max_skills < 1:
            raise ValueError(f"max_skills = {max_skills} must be at least 1; the default is 6")
        self.registry = as_registry(library)
        self._llm = llm
        self.model = model
        self.param = param
        self.max_skills = max_skills
        self._cursors: dict[str, int] = {}
        self._facts = TargetFacts()
        self._stage2: SkillRetriever | None = None
        self._lock = threading.Lock()
        self._streak = UnusableStreak()

    def take_facts(self, facts: TargetFacts) -> None:
        """Read the observed types and hot lines of the target searched next."""
        with self._lock:
            self._facts = facts

    def offline_verdict(self, source: str, relevant: Relevant | None = None) -> OfflineVerdict:
        """Offline, nothing when no executable rule, alone or composed, rewrites ``source``
        into code ``relevant`` accepts; the skills whose triggers match it are those a
        model would be shown."""
        if self._llm is not None:
            return SOMETHING
        rules, observed = self.registry.with_rules(), self._facts.observed
        codes = [o.code for o in (apply_rule(s, source, observed) for s in rules) if o.changed]
        if codes:
            codes.append(compose_rules(rules, source, observed, max_steps=self.max_skills)[0])
        if any(relevant is None or relevant(code) for code in codes):
            return SOMETHING
        return OfflineVerdict(True, tuple(skill.id for skill, _ in self.registry.triggered_by(source)))

    def propose(
        self, parent: Candidate, evaluations: Sequence[Evaluation], context: ProposalContext
    ) -> list[Candidate]:
        return list(self.propose_with_report(parent, evaluations, context).children)

    def propose_with_report(
        self, parent: Candidate, evaluations: Sequence[Evaluation], context: ProposalContext
    ) -> ProposalOutcome:
        source = self._source(parent)
        if self._llm is not None:
            return self._with_model(parent, source, evaluations, context)
        prefer = skill_preferences(context.summary)
        return ProposalOutcome(tuple(self._offline(parent, source, context.num_proposals, prefer)))

    def _source(self, parent: Candidate) -> str:
        if self.param not in parent.params:
            raise ValueError(
                f"SkillsProposer(param={self.param!r}) got a candidate with parameters "
                f"{sorted(parent.params)}; pass param= naming the one that holds the code"
            )
        return parent.params[self.param]

    def _offline(
        self, parent: Candidate, source: str, wanted: int, prefer: dict[str, float]
    ) -> list[Candidate]:
        facts = self._facts
        rules = applicable_rules(self.registry, source, self.max_skills, prefer, facts.observed, facts.hot_lines)
        if not rules or wanted <= 0:
            log.debug("no executable skill changes candidate %s", parent.id)
            return []
        # First the composition to a fixpoint (kept only when it applies a rule the others'
        # rewrites unlocked); then all the applicable rules together, each alone, pairs, ...
        subsets = [(), *rule_subsets(len(rules))]
        start = self._advance(parent.hash, len(subsets))
        children: list[Candidate] = []
        seen = {source}
        steps = 0
        while steps < len(subsets) and len(children) < wanted:
            subset = subsets[(start + steps) % len(subsets)]
            steps += 1
            if subset:
                child = self._child(parent, source, [rules[i] for i in subset], seen)
            else:
                child = self._composed(parent, source, rules, seen)
            if child is not None:
                children.append(child)
        with self._lock:
            self._cursors[parent.hash] = (start + steps) % len(subsets)
        return children

    def _advance(self, key: str, total: int) -> int:
        with self._lock:
            return self._cursors.get(key, 0) % total

    def _composed(self, parent: Candidate, source: str, rules: list[Skill], seen: set[str]) -> Candidate | None:
        """The child where rules apply one after another, each re-checked on the code the
        ones before it wrote (the applicable rules first, then every other rule), at most
        ``max_skills`` of them."""
        chosen = {s.id for s in rules}
        others = [s for s in self.registry.with_rules() if s.id not in chosen]
        code, used = compose_rules([*rules, *others], source, self._facts.observed, max_steps=self.max_skills)
        if set(used) <= chosen:
            return None  # nothing unlocked: the subset of all applicable rules gives this child
        return self._made(parent, code, list(used), seen)

    def _child(
        self, parent: Candidate, source: str, chosen: list[Skill], seen: set[str]
    ) -> Candidate | None:
        code, outcomes = apply_rules(chosen, source, self._facts.observed)
        return self._made(parent, code, [o.skill_id for o in outcomes if o.changed], seen)

    def _made(self, parent: Candidate, code: str, used: list[str], seen: set[str]) -> Candidate | None:
        if not used or code in seen or not _parses(code):
            return None
        seen.add(code)
        params = {**parent.params, self.param: code}
        note = "rewritten by executable skills: " + ", ".join(used)
        return Candidate(params, (parent.id,), "skill:" + "+".join(used), note=note)

    def _with_model(
        self,
        parent: Candidate,
        source: str,
        evaluations: Sequence[Evaluation],
        context: ProposalContext,
    ) -> ProposalOutcome:
        chosen = retrieve_for_prompt(self._retriever(), source, self.max_skills)
        prompt = skills_prompt(parent, evaluations, context, chosen)
        origin = "skill:" + "+".join(s.id for s in chosen) if chosen else "llm"
        children: list[Candidate] = []
        failures: list[str] = []
        for index in range(context.num_proposals):
            self._streak.check()
            child, failure = self._model_child(parent, prompt, context, index, origin)
            if child is not None:
                children.append(child)
            else:
                failures.append(failure)
            self._streak.record(failure)
        return ProposalOutcome(tuple(children), tuple(failures))

    def _retriever(self) -> SkillRetriever:
        with self._lock:
            if self._stage2 is None:
                self._stage2 = SkillRetriever(self.registry)
            return self._stage2

    def _model_child(
        self, parent: Candidate, prompt: str, context: ProposalContext, index: int, origin: str
    ) -> tuple[Candidate | None, str]:
        def parses(parsed: ParsedAnswer) -> str:
            code = parsed.params.get(self.param, "")
            return "" if _parses(code) else f"the new {self.param} does not parse"

        return ask_for_child(self._ask, parent, prompt, context, index, origin=origin, check=parses)

    def _ask(self, prompt: str, sample: int) -> str:
        messages = [
            {"role": "system", "content": prompts.PROPOSE_SYSTEM + SKILLS_SYSTEM_NOTE},
            {"role": "user", "content": prompt},
        ]
        response = self._llm.complete(messages, purpose="propose", model=self.model, sample=sample)
        return response.text


SKILLS_SYSTEM_NOTE = (
    " The optimization skills listed in the prompt are proven slow-to-fast transformations;"
    " apply those whose preconditions hold and keep the program's behaviour and public"
    " functions unchanged."
)


def retrieve_for_prompt(retriever: SkillRetriever, source: str, limit: int) -> list[Skill]:
    """Skills for a model prompt, by Stage II retrieval (applicable rules, triggers, BM25)."""
    return [r.skill for r in retriever.retrieve(source, limit=limit)]


def skill_block(skill: Skill) -> str:
    """One skill as the prompt shows it: name, description, Steps and the example."""
    parts = [f'<skill id="{skill.id}" name="{skill.name}">', skill.description]
    for title in ("Steps", "Pitfalls", "Before-After example"):
        try:
            parts.append(f"### {title}\n{skill.section(title).strip()}")
        except KeyError:
            continue
    parts.append("</skill>")
    return "\n".join(parts)


def skills_prompt(
    parent: Candidate,
    evaluations: Sequence[Evaluation],
    context: ProposalContext,
    chosen: Sequence[Skill],
) -> str:
    """The engine's proposal prompt with a ``## Optimization skills`` section before the answer format."""
    base = build_prompt(parent, evaluations, context)
    if not chosen:
        return base
    section = "## Optimization skills that may apply\n" + "\n\n".join(skill_block(s) for s in chosen)
    head, marker, tail = base.rpartition("## Answer format")
    return f"{head}{section}\n\n{marker}{tail}"
