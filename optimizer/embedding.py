"""Embedders: parameter text to unit vectors, for the ε-net.

``HashedNgramEmbedder`` is the offline default: no model, deterministic across processes
and machines (blake2b, not Python's salted ``hash``). ``LiteLLMEmbedder`` uses any
embedding model through ``polca.llm.LLMClient.embed``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from polca.llm import LLMClient

_TOKEN = re.compile(r"\w+|[^\w\s]")


class HashedNgramEmbedder:
    """Token uni- and bigrams hashed into ``dim`` signed buckets, log-scaled, unit norm.

    Two texts that differ by one token land close (a near-duplicate); texts that share
    little land far apart. Empty text maps to a fixed unit vector.
    """

    def __init__(self, dim: int = 256, ngram: int = 2) -> None:
        if dim < 8:
            raise ValueError(f"dim={dim!r} is too small for hashed n-grams; use 64 or more.")
        if ngram < 1:
            raise ValueError(f"ngram={ngram!r} must be at least 1.")
        self.dim = dim
        self.ngram = ngram

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)  # (n, d)
        for row, text in enumerate(texts):
            out[row] = self._one(text)
        return out

    def _one(self, text: str) -> np.ndarray:
        tokens = _TOKEN.findall(text)
        grams: Counter[str] = Counter()
        for n in range(1, self.ngram + 1):
            grams.update(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        vector = np.zeros(self.dim, dtype=np.float64)
        for gram, count in grams.items():
            digest = hashlib.blake2b(gram.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            sign = 1.0 if digest[4] & 1 else -1.0
            vector[bucket] += sign * (1.0 + math.log(count))
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0] = 1.0
            return vector
        return vector / norm


class LiteLLMEmbedder:
    """Any litellm embedding model via ``LLMClient.embed``; rows normalised to unit length."""

    def __init__(self, client: LLMClient, model: str) -> None:
        if not model:
            raise ValueError("LiteLLMEmbedder needs a model name, e.g. 'openai/text-embedding-3-small'.")
        self._client = client
        self.model = model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = np.asarray(self._client.embed(list(texts), model=self.model), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)  # (n, 1)
        return vectors / np.where(norms == 0, 1.0, norms)
