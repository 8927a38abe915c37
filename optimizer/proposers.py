"""Proposers: the LLM proposer (tagged answer format) and a scripted one.

``LLMProposer`` builds one prompt per child from the objective, the parent's parameters,
its scores and feedback on the current minibatch, and the summarizer's advice (see
``prompts.py`` for the exact layout), and reads the tagged answer. A malformed answer is
retried once with a note saying what was wrong; a second malformed answer, or a model
call that fails after the client's own retries, is a failed proposal, never a crash.
Only ``LLMUnavailable`` (no model reachable at all) propagates.

Real models answer otherwise than asked, so reading is lenient where it is safe:

- a ``<param>`` block cut off before ``</param>`` (generation ran to ``max_tokens``) is
  read to the end of the answer;
- with one parameter, an answer without tags is read from its last Markdown fence (closed
  or left open) or HTML ``<pre>``/``<code>`` block, or taken whole when it parses as Python;
- an answer that echoes the prompt (its placeholders or section headers) or repeats the
  parent's value is unusable, never a candidate.

Every failed proposal's reason starts with one of ``FAILURE_KINDS``, then ``": "`` and the
details, so runs can count them by kind (:func:`failure_kind`). A prompt the server
refuses as longer than its context is trimmed (skills, feedback, advice first; see
:func:`fit_prompt`) to the size the server's error implies and sent once more.
"""

from __future__ import annotations

import html
import inspect
import logging
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from polca.llm import LLMError, LLMUnavailable
from polca.optimizer import prompts
from polca.optimizer.contracts import Candidate, Evaluation, ProposalContext, ProposalOutcome
from polca.optimizer.evaluation import instance_ids
from polca.parsing import parse_python

if TYPE_CHECKING:
    from polca.llm import LLMClient

log = logging.getLogger(__name__)

_PARAM = re.compile(r'<param\s+name\s*=\s*"([^"]+)"\s*>(.*?)</param>', re.DOTALL)
_OPEN_PARAM = re.compile(r'<param\s+name\s*=\s*"([^"]+)"\s*>(.*)\Z', re.DOTALL)
_REASONING = re.compile(r"<reasoning>(.*?)(?:</reasoning>|\Z)", re.DOTALL)
_FENCE = re.compile(r"\A```[\w+-]*\n(.*?)\n?```\Z", re.DOTALL)
_FENCED_BLOCK = re.compile(r"```[\w+.-]*[ \t]*\n(.*?)(?:\n?```|\Z)", re.DOTALL)
_HTML_BLOCK = re.compile(r"<pre>\s*<code[^>]*>(.*?)(?:</code>|</pre>|\Z)|<code[^>]*>(.*?)(?:</code>|\Z)",
                         re.DOTALL)
_PLACEHOLDERS = ("THE NEW VALUE", "NEW VALUE")
_PROMPT_MARKERS = ("## Current parameters", "## Answer format", "<current name=", "## Feedback on the",
                   "## Objective")

NO_VALUE = "no value found"
UNKNOWN_NAME = "unknown parameter"
ECHO = "echoes the prompt"
NO_OP = "repeats the parent"
REFUSED = "refused"
CALL_FAILED = "model call failed"
TOO_LONG = "prompt too long"
FAILURE_KINDS = (NO_VALUE, UNKNOWN_NAME, ECHO, NO_OP, REFUSED, CALL_FAILED, TOO_LONG)


def failure_kind(reason: str) -> str:
    """The kind a failed proposal's reason starts with (the text before the first ``": "``)."""
    return reason.split(": ", 1)[0]


@dataclass(frozen=True)
class ParsedAnswer:
    """What a tagged answer said; ``error`` is empty when it could be used."""

    params: Mapping[str, str]
    reasoning: str = ""
    error: str = ""


def parse_answer(text: str, names: Sequence[str]) -> ParsedAnswer:
    """Read ``<reasoning>`` and ``<param name=...>`` blocks; unknown names are an error.

    Lenient where it is safe (see the module docstring): an unclosed last ``<param>`` is
    read to the end; with exactly one name, an untagged answer gives its fenced, HTML or
    whole-Python value. ``error`` starts with one of ``FAILURE_KINDS``.
    """
    found: dict[str, str] = {}
    for name, value in _PARAM.findall(text):
        found[name.strip()] = _unwrap(value)
    tail = _OPEN_PARAM.search(_PARAM.sub("", text))
    if tail and tail.group(1).strip() not in found:
        found[tail.group(1).strip()] = _unwrap(tail.group(2))
    match = _REASONING.search(text)
    reasoning = match.group(1).strip() if match else ""
    if not found and len(names) == 1:
        value = _untagged_value(_REASONING.sub("", text))
        if value is not None:
            found[names[0]] = value
    if not found and _echoes_prompt(text):
        return ParsedAnswer({}, reasoning, f"{ECHO}: the answer repeats the prompt's sections")
    if not found:
        return ParsedAnswer({}, reasoning, f'{NO_VALUE}: no <param name="..."> block found')
    unknown = sorted(set(found) - set(names))
    if unknown:
        return ParsedAnswer(
            {}, reasoning,
            f"{UNKNOWN_NAME}: unknown parameter name(s) {unknown}; the names are {sorted(names)}",
        )
    echoed = [name for name, value in found.items() if _echoes_prompt(value)]
    if echoed:
        return ParsedAnswer({}, reasoning, f"{ECHO}: the new {echoed[0]} repeats the prompt's "
                                           "placeholder or sections instead of a new value")
    return ParsedAnswer(found, reasoning)


def _unwrap(value: str) -> str:
    stripped = value.strip("\n")
    fenced = _FENCE.match(stripped.strip())
    if fenced:
        return fenced.group(1)
    inner = _FENCED_BLOCK.search(stripped)
    if inner and stripped.lstrip().startswith("```"):
        return inner.group(1).strip("\n")  # an opening fence left open: cut off mid-answer
    return stripped


def _untagged_value(text: str) -> str | None:
    """The value of an answer without tags: its longest fenced or HTML code block, else the
    whole answer when it parses as Python; None when there is nothing code-like."""
    blocks = [b for b in _FENCED_BLOCK.findall(text) if b.strip()]
    if not blocks:
        blocks = [a or b for a, b in _HTML_BLOCK.findall(text) if (a or b).strip()]
        blocks = [html.unescape(b) for b in blocks]
    if blocks:
        return max(blocks, key=len).strip("\n")
    stripped = text.strip()
    if stripped and "\n" in stripped and _is_python(stripped):
        return stripped
    return None


def _is_python(text: str) -> bool:
    try:
        parse_python(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _echoes_prompt(value: str) -> bool:
    stripped = value.strip()
    return stripped in _PLACEHOLDERS or any(marker in value for marker in _PROMPT_MARKERS)


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
        num_instances=sum(max(1, len(instance_ids(e.instance_id))) for e in evaluations),
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
    """One child from a model: ``ask(prompt, sample)``, parse, and on an unusable answer
    (malformed, echoing the prompt, repeating the parent, or one ``check`` refuses with a
    reason) ask once more with the reason appended.

    Returns the child, or None and why not (starting with one of ``FAILURE_KINDS``). A
    model that cannot be reached raises ``LLMUnavailable``; any other model error is a
    failed proposal. A prompt the server finds too long for its context is trimmed to
    fit (:func:`fit_prompt`) and sent again; that resend is not one of the two attempts.
    """
    error = ""
    attempt, resized = 0, False
    while attempt < 2:
        text = prompt if attempt == 0 else prompt + prompts.RETRY_NOTE.format(error=error)
        sample = (context.iteration * context.num_proposals + index) * 2 + attempt
        try:
            answer = ask(text, sample)
        except LLMUnavailable:
            raise
        except LLMError as exc:
            budget = None if resized else _chars_that_fit(str(exc), len(text))
            if budget is None:
                kind = TOO_LONG if _CONTEXT.search(str(exc)) else CALL_FAILED
                return None, f"{kind}: {exc}"
            prompt, resized = fit_prompt(prompt, budget), True
            log.info("prompt trimmed to %d characters to fit the model's context", len(prompt))
            continue
        parsed = parse_answer(answer, list(parent.params))
        error = parsed.error or _no_op(parsed, parent) or _refused(check(parsed))
        if not error:
            params = {**parent.params, **parsed.params}
            return Candidate(params, (parent.id,), origin, note=parsed.reasoning), ""
        log.info("unusable proposal (attempt %d): %s", attempt + 1, error)
        attempt += 1
    return None, f"{error} (twice)"


def _no_op(parsed: ParsedAnswer, parent: Candidate) -> str:
    if all(parent.params.get(name, "").strip() == value.strip() for name, value in parsed.params.items()):
        return f"{NO_OP}: the answer gives {sorted(parsed.params)} unchanged"
    return ""


def _refused(reason: str) -> str:
    return f"{REFUSED}: {reason}" if reason else ""


_CONTEXT = re.compile(r"maximum context length is (\d+)|context (?:length|window)|n_ctx", re.IGNORECASE)
_REQUESTED = re.compile(r"\((\d+) in the messages, (\d+|None) in the completion\)")


def _chars_that_fit(error: str, prompt_chars: int) -> int | None:
    """How many prompt characters fit the context a server's error reports; None when the
    error is not about context length or names no limit."""
    limit = _CONTEXT.search(error)
    if not limit or not limit.group(1):
        return None
    requested = _REQUESTED.search(error)
    completion = int(requested.group(2)) if requested and requested.group(2).isdigit() else 0
    message_tokens = int(requested.group(1)) if requested else max(1, prompt_chars // 4)
    chars_per_token = prompt_chars / max(1, message_tokens)
    room = int(limit.group(1)) - completion
    # a margin for the system message and the tokenizer's unevenness across the prompt
    return max(0, int(room * chars_per_token * 0.85) - 300)


_TRIM_ORDER = ("## Optimization skills", "## Feedback on the", "## Recommendations", "## Objective")
_TRIMMED = "\n[... trimmed to fit the model's context]\n"


def fit_prompt(prompt: str, max_chars: int) -> str:
    """``prompt`` cut to about ``max_chars``: the skills, feedback, advice and objective
    sections are shortened, in that order; the current parameters and the answer format
    are kept whole. Returns the shortest it can make when even that does not fit."""
    sections = re.split(r"(?m)^(?=## )", prompt)
    excess = len(prompt) - max_chars
    for title in _TRIM_ORDER:
        if excess <= 0:
            break
        for position, section in enumerate(sections):
            if not section.startswith(title):
                continue
            head, _, body = section.partition("\n")
            keep = max(0, len(body) - excess - len(_TRIMMED))
            if keep < len(body):
                sections[position] = f"{head}\n{body[:keep]}{_TRIMMED}\n"
                excess -= len(section) - len(sections[position])
    return "".join(sections)


class ModelSetAside(LLMUnavailable):
    """A model whose answers kept being unusable: set aside so other proposers carry on."""


class UnusableStreak:
    """Counts failed proposals in a row; from ``limit`` on the model is set aside.

    Call ``check()`` before asking the model (it raises ``ModelSetAside`` once ``limit``
    proposals in a row failed, so a ``ProposerChain`` drops the model with one note and the
    skills go on) and ``record(reason)`` after each proposal ("" when it gave a child).
    """

    def __init__(self, limit: int = 3) -> None:
        if limit < 1:
            raise ValueError(f"limit = {limit} must be at least 1; the default is 3")
        self.limit = limit
        self._count = 0
        self._last = ""
        self._lock = threading.Lock()

    def record(self, reason: str) -> None:
        with self._lock:
            self._count = self._count + 1 if reason else 0
            self._last = reason or self._last

    def check(self) -> None:
        with self._lock:
            if self._count >= self.limit:
                raise ModelSetAside(f"{self._count} proposals in a row were unusable (last: "
                                    f"{self._last[:160]}); the model is set aside")


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
