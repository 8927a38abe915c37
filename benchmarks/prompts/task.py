"""The benchmark's task: one DSPy program, its data, its metric and its scripted task model.

The program is ``dspy.Predict("question -> answer")`` over sums of two numbers. Its
instruction is a task sentence followed by four *cue lines* ``xI = V`` (how strongly the
instruction asks for each of four behaviours, 0 to 1). The scripted task model, served
over HTTP by ``ScriptedServer`` and reached through DSPy's ChatAdapter and litellm,
answers a question correctly with probability ``quality(x)``, the search benchmark's
landscape (``benchmarks.search.problems``) at the instruction's cue vector, decided by a
hash of (question, cues): deterministic, so a better instruction really scores better
and re-running an instruction gives the same answers.

The metric is a GEPA-style feedback metric: exact match, and a feedback text with one
hint ``xI too low/high`` read from the instruction found in the trace (noisy: flipped
with probability ``HINT_NOISE``), as the search benchmark's problems give. This compares
search strategies under one simulated world, not model quality.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import dspy
import numpy as np

from benchmarks.search.problems import Landscape, format_params, numeric_gradient, parse_params

HEADER = "Answer the arithmetic question with the number only.\nCue strengths (0 = absent, 1 = strong):"
HINT_NOISE = 0.1
_QUESTION = re.compile(r"\[\[ ## question ## \]\]\n(.*?)(?:\n\n|\Z)", re.S)
_OBJECTIVE = "your objective is:"


def instruction(x: Sequence[float]) -> str:
    """The instruction text carrying the cue vector ``x``."""
    return f"{HEADER}\n{format_params(x)}"


def with_header(cue_lines: str) -> str:
    """A proposer's cue lines made into a whole instruction again."""
    return f"{HEADER}\n{cue_lines.strip()}"


def cues(text: str, landscape: Landscape) -> np.ndarray | None:
    """The cue vector an instruction carries, or None when it carries no readable one."""
    try:
        return parse_params(text, landscape.dims)
    except ValueError:
        return None


def true_quality(text: str, landscape: Landscape) -> float:
    """The task model's exact accuracy under ``text`` (0 for an unreadable instruction)."""
    x = cues(text, landscape)
    return 0.0 if x is None else landscape.quality(np.round(x, 3))


def unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from ``parts``."""
    blob = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "little") / 2**64


def make_examples(count: int, seed: int, split: str) -> list[dspy.Example]:
    """``count`` sum questions, different per (seed, split)."""
    rng = np.random.default_rng([seed, sum(map(ord, split))])
    pairs = rng.integers(10, 99, size=(count, 2))
    return [dspy.Example(question=f"{a} + {b}", answer=str(a + b)).with_inputs("question") for a, b in pairs]


class TaskModel:
    """The scripted task model: a ScriptedServer responder for ``question -> answer`` requests."""

    def __init__(self, landscape: Landscape) -> None:
        self.landscape = landscape

    def __call__(self, body: Mapping[str, Any]) -> str:
        messages = body.get("messages") or []
        system, user = str(messages[0].get("content", "")), str(messages[-1].get("content", ""))
        question = _QUESTION.search(user)
        if _OBJECTIVE not in system or question is None:
            raise ValueError("not a DSPy question -> answer request")
        text = system.split(_OBJECTIVE, 1)[1]
        x = cues(text, self.landscape)
        quality = 0.0 if x is None else self.landscape.quality(np.round(x, 3))
        q = question.group(1).strip()
        right = str(sum(int(n) for n in q.split(" + ")))
        key = "none" if x is None else format_params(x)
        answer = right if unit("answer", q, key) < quality else str(int(right) + 1)
        return f"[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"


class FeedbackMetric:
    """Exact match, with a cue hint in the feedback (GEPA's five-argument form)."""

    def __init__(self, landscape: Landscape) -> None:
        self.landscape = landscape

    def __call__(self, gold: dspy.Example, pred: Any, trace: Any = None, pred_name: Any = None,
                 pred_trace: Any = None) -> dspy.Prediction:
        right = str(getattr(pred, "answer", "")).strip() == gold.answer
        verdict = "correct" if right else f"wrong: expected {gold.answer}, got {getattr(pred, 'answer', '')!r}"
        text = _instruction_in(pred_trace) or _instruction_in(trace)
        hint = self.hint(text, gold.question) if text else ""
        return dspy.Prediction(score=float(right), feedback=f"{verdict}; hint: {hint}" if hint else verdict)

    def hint(self, text: str, question: str) -> str:
        """``xI too low/high`` for one coordinate picked by hash, flipped with HINT_NOISE."""
        x = cues(text, self.landscape)
        if x is None:
            return "write the cue lines as 'xI = 0.123'"
        coord = int(unit("coord", text, question) * self.landscape.dims)
        slope = numeric_gradient(self.landscape.quality, x)[coord]
        if abs(slope) < 1e-6:
            return f"x{coord} looks fine"
        up = (slope > 0) != (unit("flip", text, question) < HINT_NOISE)
        return f"x{coord} too {'low' if up else 'high'}"


def _instruction_in(trace: Any) -> str:
    for step in reversed(list(trace or [])):
        predictor = step[0] if isinstance(step, tuple | list) else None
        signature = getattr(predictor, "signature", None)
        if signature is not None:
            return signature.instructions
    return ""
