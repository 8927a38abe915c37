"""Proposers: the LLM proposer (tagged answer format) and a scripted one.

``LLMProposer`` builds one prompt per child from the objective, the parent's parameters,
its scores and feedback on the current minibatch, and the summarizer's advice (see
``prompts.py`` for the exact layout), and reads the tagged answer. A malformed answer is
retried once with a note saying what was wrong; a second malformed answer, or a model
call that fails after the client's own retries, is a failed proposal, never a crash.
Only ``LLMUnavailable`` (no model reachable at all) propagates.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from polca.optimizer import prompts
from polca.optimizer.contracts import Candidate, Evaluation, ProposalContext, ProposalOutcome

from polca.llm import LLMError, LLMUnavailable

if TYPE_CHECKING:
    from polca.llm import LLMClient

log = logging.getLogger(__name__)

_PARAM = re.compile(r'<param\s+name\s*=\s*"([^"]+)"\s*>(.*?)</param>', re.DOTALL)
_REASONING = re.compile(r"<reasoning>(.*?)</reasoning>", re.DOTALL)
_FENCE = re.compile(r"\A```[\w+-]*\n(.*?)\n?```\Z", re.DOTALL)


@dataclass(frozen=True)
class ParsedAnswer:
    """What a tagged answer said; ``error`` is empty when it could be used."""

    params: Mapping[str, str]
    reasoning: str = ""
    error: str = ""


def parse_answer(text: str, names: Sequence[str]) -> ParsedAnswer:
    """Read ``<reasoning>`` and ``<param name=...>`` blocks; unknown names are an error."""
    found: dict[str, str] = {}
    for name, value in _PARAM.findall(text):
        found[name.strip()] = _unwrap(value)
    match = _REASONING.search(text)
    reasoning = match.group(1).strip() if match else ""
    if not found:
        return ParsedAnswer({}, reasoning, 'no <param name="..."> block found')
    unknown = sorted(set(found) - set(names))
    if unknown:
        return ParsedAnswer(
            {}, reasoning, f"unknown parameter name(s) {unknown}; the names are {sorted(names)}"
        )
    return ParsedAnswer(found, reasoning)


def _unwrap(value: str) -> str:
    stripped = value.strip("\n")
    fenced = _FENCE.match(stripped.strip())
    return fenced.group(1) if fenced else stripped


def build_prompt(parent: Candidate, evaluations: Sequence[Evaluation], context: ProposalContext) -> str:
    """The proposal prompt, laid out as documented in ``prompts.py``."""
    names = sorted(parent.params)
    scores = [e.score for e in evaluations]
    mean = math.fsum(scores) / len(scores) if scores else float("nan")
    summary = (
        prompts.SUMMARY_SECTION.format(summary=context.summary) if context.summary.strip() else ""
    )
    return prompts.PROPOSE_TEMPLATE.format(
        objective=context.objective,
        parameters=_parameters_block(parent.params),
        mean_score=f"{mean:.4g}",
        num_instances=len(evaluations),
        feedback="\n".join(_feedback_block(e) for e in evaluations),
        summary_section=summary,
        answer_format=prompts.ANSWER_FORMAT.format(example_name=names[0], names=", ".join(names)),
    )


def _parameters_block(params: Mapping[str, str]) -> str:
    return "\n".join(
        prompts.CURRENT_PARAM.format(name=name, value=params[name]) for name in sorted(params)
    )


def _feedback_block(evaluation: Evaluation) -> str:
    return prompts.FEEDBACK_BLOCK.format(
        instance=evaluation.instance_id,
        score=f"{evaluation.score:.4g}",
        status=evaluation.status,
        feedback=evaluation.feedback or "(no feedback)",
    )


class LLMProposer:
    """Children from any litellm model through ``polca.llm.LLMClient``."""

    def __init__(
        self,
        client: LLMClient,
        *,
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._client = client
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens

    def propose(
        self, parent: Candidate, evaluations: Sequence[Evaluation], context: ProposalContext
    ) -> list[Candidate]:
        return list(self.propose_with_report(parent, evaluations, context).children)

    def propose_with_report(
        self, parent: Candidate, evaluations: Sequence[Evaluation], context: ProposalContext
    ) -> ProposalOutcome:
        prompt = build_prompt(parent, evaluations, context)
        children: list[Candidate] = []
        failures: list[str] = []
        for index in range(context.num_proposals):
            child, failure = self._one_child(parent, prompt, context, index)
            if child is not None:
                children.append(child)
            else:
                failures.append(failure)
        return ProposalOutcome(tuple(children), tuple(failures))

    def _one_child(
        self, parent: Candidate, prompt: str, context: ProposalContext, index: int
    ) -> tuple[Candidate | None, str]:
        return ask_for_child(self._ask, parent, prompt, context, index, origin="llm")

    def _ask(self, prompt: str, sample: int) -> str:
        messages = [
            {"role": "system", "content": prompts.PROPOSE_SYSTEM},
            {"role": "user", "content": prompt},
        ]
        response = self._client.complete(
            messages,
            purpose="propose",
            model=self.model,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            sample=sample,
        )
        return response.text


def ask_for_child(
    ask: Callable[[str, int], str],
    parent: Candidate,
    prompt: str,
    context: ProposalContext,
    index: int,
    *,
    origin: str,
    check: Callable[[ParsedAnswer], str] = lambda parsed: "",
) -> tuple[Candidate | None, str]:
    """One child from a model: ``ask(prompt, sample)``, parse, and on a malformed answer
    (or one ``check`` refuses with a reason) ask once more with the reason appended.

    Returns the child, or None and why not. A model that cannot be reached raises
    ``LLMUnavailable``; any other model error is a failed proposal.
    """
    error = ""
    for attempt in range(2):
        text = prompt if attempt == 0 else prompt + prompts.RETRY_NOTE.format(error=error)
        sample = (context.iteration * context.num_proposals + index) * 2 + attempt
        try:
            answer = ask(text, sample)
        except LLMUnavailable:
            raise
        except LLMError as exc:
            return None, f"model call failed: {exc}"
        parsed = parse_answer(answer, list(parent.params))
        error = parsed.error or check(parsed)
        if not error:
            params = {**parent.params, **parsed.params}
            return Candidate(params, (parent.id,), origin, note=parsed.reasoning), ""
        log.info("malformed proposal (attempt %d): %s", attempt + 1, error)
    return None, f"malformed answer twice: {error}"


EditFn = Callable[[Candidate, Sequence[Evaluation], np.random.Generator], Mapping[str, str]]


class ScriptedProposer:
    """Applies ``fn(parent, evaluations, rng) -> new params`` once per requested child.

    ``rng`` is seeded from the context's per-call seed and the child's index, so a run
    with a deterministic ``fn`` is reproducible even when parents are proposed for
    concurrently.
    """

    def __init__(self, fn: EditFn, origin: str = "scripted") -> None:
        try:
            inspect.signature(fn).bind(None, (), None)
        except TypeError as exc:
            raise TypeError(
                f"ScriptedProposer needs fn(parent, evaluations, rng) -> params; {fn!r} "
                f"does not accept three positional arguments ({exc})."
            ) from None
        self._fn = fn
        self.origin = origin

    def propose(
        self, parent: Candidate, evaluations: Sequence[Evaluation], context: ProposalContext
    ) -> list[Candidate]:
        children = []
        for index in range(context.num_proposals):
            rng = np.random.default_rng([context.seed, index])
            params = dict(self._fn(parent, evaluations, rng))
            children.append(Candidate(params, (parent.id,), self.origin))
        return children
