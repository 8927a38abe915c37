"""How the LLM proposer reads what real models answer: the shapes a small model gives
(seen from SmolLM2-135M through llama.cpp), each read or refused with a counted reason."""

from __future__ import annotations

import dataclasses

import pytest

from polca.llm import LLMError
from polca.optimizer.contracts import Candidate, Evaluation, ProposalContext
from polca.optimizer.proposers import (
    ECHO,
    NO_OP,
    NO_VALUE,
    REFUSED,
    TOO_LONG,
    ask_for_child,
    build_prompt,
    failure_kind,
    fit_prompt,
    parse_answer,
)

CODE = "def f(xs):\n    return sum(xs)"
PARENT = Candidate({"code": "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total"})


def _context() -> ProposalContext:
    return ProposalContext("Make f faster.", num_proposals=1)


@pytest.mark.parametrize(
    "answer",
    [
        f"Here is a faster version:\n```python\n{CODE}\n```\nIt uses sum.",
        f"<reasoning>use sum</reasoning>\n```\n{CODE}\n```",
        f"Sure!\n```python\n{CODE}\n",  # the fence left open: cut off at max_tokens
        f"{CODE}\n",  # bare code, no fence
        f"The output of the function is: <pre><code>{CODE}</code></pre>",
        f'<param name="code">\n```python\n{CODE}\n```\n',  # the closing tag never came
        f'<param name="code">\n{CODE}',
    ],
)
def test_code_is_read_from_fenced_unfenced_and_cut_off_answers(answer: str) -> None:
    parsed = parse_answer(answer, ["code"])
    assert not parsed.error and parsed.params["code"].strip() == CODE


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("I think you should use a faster algorithm.", NO_VALUE),
        ("", NO_VALUE),
        ('The complete new value:\n<param name="code">\nTHE NEW VALUE\n</param>', ECHO),
        (f"## Current parameters\n<current name=\"code\">\n{CODE}\n</current>", ECHO),
    ],
)
def test_prose_and_echoed_prompts_are_unusable_with_their_kind(answer: str, kind: str) -> None:
    assert failure_kind(parse_answer(answer, ["code"]).error) == kind


def test_untagged_prose_is_not_taken_as_a_value_when_there_are_several_parameters() -> None:
    parsed = parse_answer(f"```\n{CODE}\n```", ["a", "b"])
    assert failure_kind(parsed.error) == NO_VALUE


def _ask_with(answers: list[str]):
    prompts: list[str] = []

    def ask(prompt: str, sample: int) -> str:
        prompts.append(prompt)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return ask, prompts


def test_an_answer_repeating_the_parent_is_a_no_op_not_a_candidate() -> None:
    ask, _ = _ask_with([f"```python\n{PARENT.params['code']}\n```"] * 2)
    child, reason = ask_for_child(ask, PARENT, "prompt", _context(), 0, origin="llm")
    assert child is None and failure_kind(reason) == NO_OP


def test_a_check_refusal_is_counted_as_refused() -> None:
    ask, _ = _ask_with(["```python\ndef f(:\n```"] * 2)
    child, reason = ask_for_child(ask, PARENT, "prompt", _context(), 0, origin="llm",
                                  check=lambda parsed: "the new code does not parse")
    assert child is None and failure_kind(reason) == REFUSED and "does not parse" in reason


LIMIT_ERROR = ("openai/smollm2: request failed: 400: ContextWindowExceededError: This model's maximum "
               "context length is 2048 tokens. However, you requested 3598 tokens (3398 in the "
               "messages, 200 in the completion).")


def _long_prompt() -> str:
    evaluations = [Evaluation(0.0, "slow line 4\n" * 400, instance_id=f"i{n}") for n in range(4)]
    return build_prompt(PARENT, evaluations, dataclasses.replace(_context(), summary="advice " * 500))


def test_a_prompt_too_long_for_the_context_is_trimmed_and_sent_again() -> None:
    prompt = _long_prompt()
    ask, prompts = _ask_with([LLMError(LIMIT_ERROR), f"```python\n{CODE}\n```"])
    child, reason = ask_for_child(ask, PARENT, prompt, _context(), 0, origin="llm")
    assert child is not None and child.params["code"] == CODE, reason
    assert len(prompts[1]) < len(prompt) * (2048 - 200) / 3398
    assert f'<current name="code">\n{PARENT.params["code"]}\n</current>' in prompts[1]
    assert prompts[1].rstrip().endswith(prompt.rstrip().rsplit("\n", 1)[-1])


def test_a_prompt_that_still_does_not_fit_is_counted_as_too_long() -> None:
    ask, _ = _ask_with([LLMError(LIMIT_ERROR), LLMError(LIMIT_ERROR)])
    child, reason = ask_for_child(ask, PARENT, _long_prompt(), _context(), 0, origin="llm")
    assert child is None and failure_kind(reason) == TOO_LONG


def test_fit_prompt_keeps_parameters_and_answer_format_whole() -> None:
    prompt = _long_prompt()
    short = fit_prompt(prompt, 2000)
    assert len(short) < 2600 and "## Answer format" in short and PARENT.params["code"] in short
