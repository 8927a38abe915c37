"""Tiny builders shared by the optimizer tests: a word-collecting domain and edits.

The domain's goal: a text that contains every required word. Each instance is one word;
a candidate scores 1 on it when the word is in its text. Feedback names the word, so a
scripted proposer (or a scripted model) can act on it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

import numpy as np

from polca.optimizer.contracts import Candidate, Evaluation

WORDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")
_MISSING = re.compile(r"missing '(\w+)'")


class WordsDomain:
    """Deterministic; records every (candidate id, batch) it evaluates."""

    def __init__(self, words: Sequence[str] = WORDS, seed_text: str = "start", validation: bool = False):
        self.words = list(words)
        self.seed_text = seed_text
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self._lock = threading.Lock()
        self.validation = validation

    def seed(self) -> Candidate:
        return Candidate({"text": self.seed_text})

    def instances(self) -> list[str]:
        return list(self.words)

    def describe(self) -> str:
        return "Write a text that contains every required word."

    def evaluate(self, candidate: Candidate, batch: Sequence[str]) -> list[Evaluation]:
        with self._lock:
            self.calls.append((candidate.id, tuple(batch)))
        tokens = set(candidate.params["text"].split())
        return [
            Evaluation(1.0, f"contains '{w}'") if w in tokens else Evaluation(0.0, f"missing '{w}'")
            for w in batch
        ]


class PlainWordsDomain:
    """The same goal without recording: holds only plain data, so it pickles (process, Ray)."""

    def __init__(self, words: Sequence[str] = WORDS) -> None:
        self.words = list(words)

    def seed(self) -> Candidate:
        return Candidate({"text": "start"})

    def instances(self) -> list[str]:
        return list(self.words)

    def describe(self) -> str:
        return "Write a text that contains every required word."

    def evaluate(self, candidate: Candidate, batch: Sequence[str]) -> list[Evaluation]:
        tokens = set(candidate.params["text"].split())
        return [Evaluation(float(w in tokens), f"{'contains' if w in tokens else 'missing'} '{w}'")
                for w in batch]


class MeasuredWordsDomain(WordsDomain):
    """The same goal measured a batch at a time, as the program domain times one: one score
    (the share of the batch's words the text holds) per batch; ``calls`` holds each measurement."""

    def evaluate_batch(self, candidate: Candidate, batch: Sequence[str]) -> Evaluation:
        per_word = self.evaluate(candidate, batch)
        missing = "; ".join(e.feedback for e in per_word if e.score == 0.0)
        return Evaluation(sum(e.score for e in per_word) / len(per_word), missing or "contains every word")


class ValidatedWordsDomain(WordsDomain):
    """The same goal with a held-out validation set of different words."""

    def __init__(self, validation_words: Sequence[str] = ("eta", "theta", "iota"), **kwargs):
        super().__init__(**kwargs)
        self.validation_words = list(validation_words)

    def validation_instances(self) -> list[str]:
        return list(self.validation_words)


def add_missing_word(parent: Candidate, evaluations: Sequence[Evaluation], rng: np.random.Generator) -> dict[str, str]:
    """The scripted edit: append one word the feedback says is missing (else a filler)."""
    missing = [m.group(1) for e in evaluations if (m := _MISSING.search(e.feedback))]
    word = missing[int(rng.integers(len(missing)))] if missing else f"w{int(rng.integers(1000))}"
    return {"text": f"{parent.params['text']} {word}"}


def test_words_domain_scores_contained_words() -> None:
    domain = WordsDomain()
    scores = [e.score for e in domain.evaluate(Candidate({"text": "x alpha"}), ["alpha", "beta"])]
    assert scores == [1.0, 0.0]
