"""The simulated model: one edit decision, served to every contestant in its own format.

``SimulatedModel.edit(text, feedback)`` is the only place an edit is decided. With
probability ``p`` it makes an *informed* edit: a small step that raises the true quality
(it tries up to 20 local steps and keeps the first that helps; at a local optimum none
helps and it falls back to a random edit). Otherwise, when the prompt carried hints
("x2 too low") it follows one of them with probability ``hint_follow``, and else it makes
a random edit (one or two coordinates moved by a normal step of scale 0.25).

The prompt formats differ only in where the current text and the feedback sit and how
the reply must look; ``respond`` (OpenAI-style chat requests, used through the scripted
server) and ``reflect`` (GEPA's reflection_lm callable) recognise the format, read the
text and the feedback, call ``edit`` and format the reply. Summarizer prompts are
answered by ``summarize_best_so_far``: the simulated summarizer passes the hints of the
best candidate seen so far through.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from benchmarks.search.problems import PARAM_NAME, Landscape, format_params, parse_params

_HINT = re.compile(r"\bx(\d+) too (low|high)\b")
_FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.S)


def find_hints(feedback: str) -> list[tuple[int, int]]:
    """Every ``xI too low/high`` hint in ``feedback`` as (coordinate, +1 up / -1 down)."""
    return [(int(i), 1 if d == "low" else -1) for i, d in _HINT.findall(feedback)]


@dataclass(frozen=True)
class ModelSpec:
    """The simulated model's behaviour; the same for every contestant."""

    p: float = 0.3
    hint_follow: float = 0.5
    informed_tries: int = 20
    random_step: float = 0.25

    def __post_init__(self) -> None:
        for name in ("p", "hint_follow"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {value}")


class SimulatedModel:
    """A model that knows the landscape well enough to improve with probability ``p``.

    Thread-safe: contestants may ask concurrently; one lock orders the random draws.
    ``calls`` counts every answer: edits and summaries.
    """

    def __init__(self, landscape: Landscape, spec: ModelSpec, seed: int) -> None:
        self.landscape = landscape
        self.spec = spec
        self._rng = np.random.default_rng([seed, 1009])
        self._lock = threading.Lock()
        self.calls = 0

    def edit(self, text: str, feedback: str) -> str:
        """The edited candidate text. The one edit decision all contestants share."""
        try:
            x = parse_params(text, self.landscape.dims)
        except ValueError:
            x = np.array(self.landscape.seed_point)
        hints = [(i, d) for i, d in find_hints(feedback) if i < self.landscape.dims]
        with self._lock:
            self.calls += 1
            y = self._decide(x, hints)
            for _ in range(10):  # an edit that changes nothing is no proposal
                if not np.array_equal(y, np.round(x, 3)):
                    break
                y = self._random(x)
        return format_params(y)

    def _decide(self, x: np.ndarray, hints: Sequence[tuple[int, int]]) -> np.ndarray:
        if self._rng.random() < self.spec.p:
            better = self._informed(x)
            if better is not None:
                return better
        elif hints and self._rng.random() < self.spec.hint_follow:
            coord, direction = hints[int(self._rng.integers(len(hints)))]
            return self._step(x, coord, direction * self._rng.uniform(0.02, 0.2))
        return self._random(x)

    def _step(self, x: np.ndarray, coord: int, delta: float) -> np.ndarray:
        y = x.copy()
        y[coord] = np.clip(y[coord] + delta, 0.0, 1.0)
        return np.round(y, 3)

    def _informed(self, x: np.ndarray) -> np.ndarray | None:
        base = self.landscape.quality(np.round(x, 3))
        for _ in range(self.spec.informed_tries):
            coord = int(self._rng.integers(len(x)))
            delta = self._rng.choice([-1.0, 1.0]) * self._rng.uniform(0.02, 0.2)
            y = self._step(x, coord, delta)
            if self.landscape.quality(y) > base:
                return y
        return None

    def _random(self, x: np.ndarray) -> np.ndarray:
        y = x.copy()
        count = int(self._rng.integers(1, 3))
        for coord in self._rng.choice(len(x), size=count, replace=False):
            y[coord] += self._rng.normal(0.0, self.spec.random_step)
        return np.round(np.clip(y, 0.0, 1.0), 3)

    def reflect(self, prompt: str) -> str:
        """GEPA's ``reflection_lm``: the prompt in, the reply text out."""
        return self.answer(prompt)

    def respond(self, request: Mapping[str, Any]) -> str:
        """Reply to an OpenAI-style chat request (the scripted server's responder)."""
        return self.answer(request_text(request))

    def answer(self, prompt: str) -> str:
        """Recognise the prompt's format, make the edit, format the reply."""
        for fmt in PROMPT_FORMATS:
            if fmt.matches(prompt):
                text, feedback = fmt.read(prompt)
                if fmt.is_summary:
                    with self._lock:
                        self.calls += 1
                    return summarize_best_so_far(prompt)
                return fmt.reply(text, self.edit(text, feedback))
        raise ValueError(
            "the simulated model got a prompt in no known format "
            f"({[f.name for f in PROMPT_FORMATS]}); it begins: {prompt[:200]!r}"
        )


def request_text(request: Mapping[str, Any]) -> str:
    """All message contents of a chat request, system first, as one text."""
    parts: list[str] = []
    for message in request.get("messages", []):
        content = message.get("content", "")
        if isinstance(content, list):
            content = "\n".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
        parts.append(str(content))
    return "\n\n".join(parts)


def summarize_hints(feedback: str) -> str:
    """The distinct hints in ``feedback``, most frequent first, one ``- xI too ...`` line each."""
    counts: dict[str, int] = {}
    for coord, direction in find_hints(feedback):
        key = f"x{coord} too {'low' if direction > 0 else 'high'}"
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts, key=lambda k: -counts[k])
    if not ranked:
        return "No hints yet."
    return "\n".join(f"- {h}" for h in ranked)


class PromptFormat(Protocol):
    """Where one contestant's prompt keeps the text and feedback, and how it wants replies."""

    name: str
    is_summary: bool

    def matches(self, prompt: str) -> bool: ...

    def read(self, prompt: str) -> tuple[str, str]: ...

    def reply(self, old_text: str, new_text: str) -> str: ...


@dataclass(frozen=True)
class GepaReflectionFormat:
    """GEPA's reflection prompt: text in the first fence, feedback in the second."""

    name: str = "gepa"
    is_summary: bool = False

    def matches(self, prompt: str) -> bool:
        return "I provided an assistant with the following instructions" in prompt

    def read(self, prompt: str) -> tuple[str, str]:
        blocks = _FENCE.findall(prompt)
        return (blocks[0] if blocks else ""), (blocks[1] if len(blocks) > 1 else "")

    def reply(self, old_text: str, new_text: str) -> str:
        return f"Here is the improved instruction.\n```\n{new_text}\n```"


@dataclass(frozen=True)
class OpenEvolveFormat:
    """OpenEvolve's prompt: artifacts before the history, the program under '# Current Program'."""

    name: str = "openevolve"
    is_summary: bool = False

    def matches(self, prompt: str) -> bool:
        return "\n# Current Program\n" in prompt

    def read(self, prompt: str) -> tuple[str, str]:
        head, _, program = prompt.rpartition("\n# Current Program\n")
        feedback = head.split("# Program Evolution History")[0]
        blocks = _FENCE.findall(program)
        return (blocks[0] if blocks else ""), feedback

    def reply(self, old_text: str, new_text: str) -> str:
        return openevolve_diff(old_text, new_text)


def openevolve_diff(old_text: str, new_text: str) -> str:
    """SEARCH/REPLACE blocks turning ``old_text`` into ``new_text`` line by line."""
    old_lines = old_text.strip("\n").splitlines()
    new_lines = new_text.strip("\n").splitlines()
    blocks = [
        f"<<<<<<< SEARCH\n{a}\n=======\n{b}\n>>>>>>> REPLACE"
        for a, b in zip(old_lines, new_lines, strict=False)
        if a != b
    ]
    if not blocks:
        return f"```\n{new_text}\n```"
    return "I change these parameters.\n\n" + "\n\n".join(blocks)


_POLCA_CURRENT = re.compile(r'<current name="([^"]+)">\n(.*?)\n</current>', re.S)
_POLCA_CANDIDATE = re.compile(r'<candidate id="[^"]*" mean_score="([^"]+)">(.*?)</candidate>', re.S)
_BEST_SO_FAR = re.compile(r"best mean so far: ([-+0-9.eE]+|nan)")


@dataclass(frozen=True)
class PolcaProposalFormat:
    """POLCA's proposal prompt (``optimizer/prompts.py``): tagged params, feedback, advice."""

    name: str = "polca"
    is_summary: bool = False

    def matches(self, prompt: str) -> bool:
        return "## Current parameters" in prompt and "## Feedback on the current minibatch" in prompt

    def read(self, prompt: str) -> tuple[str, str]:
        params = dict(_POLCA_CURRENT.findall(prompt.split("## Feedback on the current minibatch")[0]))
        feedback = prompt.split("## Feedback on the current minibatch", 1)[1]
        return params.get(PARAM_NAME, ""), feedback.split("## Answer format")[0]

    def reply(self, old_text: str, new_text: str) -> str:
        return (
            "<reasoning>Move the parameters the feedback points at.</reasoning>\n"
            f'<param name="{PARAM_NAME}">\n{new_text}\n</param>'
        )


@dataclass(frozen=True)
class PolcaSummaryFormat:
    """POLCA's summarizer prompt: candidates with their mean scores and trajectories.

    The simulated summarizer keeps the hints of the best candidate seen so far: it
    replaces the current advice when a shown candidate's mean beats the best mean the
    current advice records.
    """

    name: str = "polca-summary"
    is_summary: bool = True

    def matches(self, prompt: str) -> bool:
        return "## Candidates tried" in prompt and "<summary>" in prompt

    def read(self, prompt: str) -> tuple[str, str]:
        return "", prompt

    def reply(self, old_text: str, new_text: str) -> str:
        return new_text


def summarize_best_so_far(prompt: str) -> str:
    """The simulated summarizer's answer to POLCA's summary prompt."""
    current = prompt.split("## Current summary", 1)[-1].split("## Candidates tried", 1)[0].strip()
    recorded = _BEST_SO_FAR.search(current)
    best_mean = float(recorded.group(1)) if recorded else float("-inf")
    shown = [(float(m), body) for m, body in _POLCA_CANDIDATE.findall(prompt)]
    best = max(shown, key=lambda item: item[0], default=None)
    if best is None or not best[0] > best_mean:
        summary = current if recorded else "No advice yet."
    else:
        summary = f"best mean so far: {best[0]:.4g}\n" + summarize_hints(best[1])
    return f"<reasoning>Keep the hints of the best candidate.</reasoning>\n<summary>\n{summary}\n</summary>"


PROMPT_FORMATS: list[PromptFormat] = [
    PolcaSummaryFormat(),
    PolcaProposalFormat(),
    GepaReflectionFormat(),
    OpenEvolveFormat(),
]

