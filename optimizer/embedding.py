"""Embedders: parameter text to unit vectors, for the ε-net.

``HashedNgramEmbedder`` (``hashed``) is the offline default: no model, deterministic
across processes and machines (blake2b, not Python's salted ``hash``). ``CodeEmbedder``
(``code``) reads Python parameters as code: identifiers and literals normalised, AST
structure hashed, so a rename, a changed literal or a reformatting lands near the
original while a different edit does not; other parameters fall back to text n-grams.
``LiteLLMEmbedder`` uses any embedding model through ``polca.llm.LLMClient.embed``.

Each offline embedder carries the ε calibrated for it (``default_epsilon``): measured by
``benchmarks/search/calibrate_epsilon.py`` between near-duplicates and real different
edits (raw distances in ``benchmarks/search/epsilon_calibration.json``).
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from polca.parsing import parse_python

if TYPE_CHECKING:
    from polca.llm import LLMClient

_TOKEN = re.compile(r"\w+|[^\w\s]")
_BUILTINS = frozenset(dir(builtins))

# Calibrated by benchmarks/search/calibrate_epsilon.py (see epsilon_calibration.json).
HASHED_EPSILON = 0.1435
CODE_EPSILON = 0.1541
FALLBACK_EPSILON = 0.05  # an embedder without a calibration (e.g. a model's)


@runtime_checkable
class CalibratedEmbedder(Protocol):
    """Optional: an embedder that knows the ε-net radius calibrated for it."""

    @property
    def default_epsilon(self) -> float: ...


def resolve_epsilon(epsilon: float | None, embedder: object) -> float:
    """``epsilon`` when set, else the embedder's calibrated default (0.05 without one)."""
    if epsilon is not None:
        return float(epsilon)
    if isinstance(embedder, CalibratedEmbedder):
        return float(embedder.default_epsilon)
    return FALLBACK_EPSILON


def _add_hashed(vector: np.ndarray, feature: str, weight: float) -> None:
    """Add ``weight`` to the signed bucket of ``feature`` (blake2b: stable everywhere)."""
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    bucket = int.from_bytes(digest[:4], "little") % len(vector)
    vector[bucket] += weight if digest[4] & 1 else -weight


def _ngrams(tokens: Sequence[str], up_to: int) -> Counter[str]:
    grams: Counter[str] = Counter()
    for n in range(1, up_to + 1):
        grams.update(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        out = np.zeros_like(vector)
        out[0] = 1.0
        return out
    return vector / norm


def _hashed_counts(grams: Counter[str], dim: int, prefix: str = "") -> np.ndarray:
    vector = np.zeros(dim, dtype=np.float64)
    for gram, count in grams.items():
        _add_hashed(vector, prefix + gram, 1.0 + math.log(count))
    return vector


class HashedNgramEmbedder:
    """Token uni- and bigrams hashed into ``dim`` signed buckets, log-scaled, unit norm.

    Two texts that differ by one token land close (a near-duplicate); texts that share
    little land far apart. Empty text maps to a fixed unit vector.
    """

    default_epsilon = HASHED_EPSILON

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
        return _unit(_hashed_counts(_ngrams(_TOKEN.findall(text), self.ngram), self.dim))


class CodeEmbedder:
    """Python parameters as normalised code; other parameters as text n-grams.

    A parameter is code when it parses and holds more than a bare name or literal. Its
    vector mixes two hashed channels: **structure** (uni- to trigrams of the depth-first
    sequence of AST node types, local identifiers replaced by their role and literals by
    their type, builtins and attribute names kept because they name the API used) with
    weight ``sqrt(1 - exact_weight²)``, and **exact** (the raw identifiers and literal
    values) with ``exact_weight``. A rename, a changed literal or a reformatting changes
    only the small exact channel; a different edit changes the structure. Parameters are
    embedded separately (features prefixed by their name) and summed; rows are unit norm.
    """

    default_epsilon = CODE_EPSILON

    def __init__(self, dim: int = 256, ngram: int = 3, exact_weight: float = 0.15) -> None:
        if dim < 8:
            raise ValueError(f"dim={dim!r} is too small for hashed features; use 64 or more.")
        if not 0.0 <= exact_weight < 1.0:
            raise ValueError(f"exact_weight={exact_weight!r} must lie in [0, 1), e.g. 0.15.")
        self.dim, self.ngram, self.exact_weight = dim, ngram, exact_weight
        self._text = HashedNgramEmbedder(dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)  # (n, d)
        for row, text in enumerate(texts):
            out[row] = _unit(sum((self._param(name, value) for name, value in _params(text)),
                                 np.zeros(self.dim)))
        return out

    def _param(self, name: str, value: str) -> np.ndarray:
        tree = _as_code(value)
        if tree is None:
            return _unit(_hashed_counts(_ngrams(_TOKEN.findall(value), 2), self.dim, name + ":"))
        structure, exact = _code_tokens(tree)
        vector = math.sqrt(1.0 - self.exact_weight**2) * _unit(
            _hashed_counts(_ngrams(structure, self.ngram), self.dim, name + ":s:"))
        if exact:
            vector = vector + self.exact_weight * _unit(
                _hashed_counts(Counter(exact), self.dim, name + ":e:"))
        return _unit(vector)


def structure_of(value: str) -> tuple[str, ...] | None:
    """The normalised structure tokens of Python code (None: not code). Equal for a
    rename, a changed literal or a reformatting."""
    tree = _as_code(value)
    return None if tree is None else tuple(_code_tokens(tree)[0])


def _params(text: str) -> Iterator[tuple[str, str]]:
    """(name, value) of each parameter in ``Candidate.text()`` form (``## name`` headers)."""
    parts = re.split(r"^## (\S+)\n", text, flags=re.M)
    if len(parts) < 3 or parts[0].strip():
        yield "", text
        return
    for index in range(1, len(parts) - 1, 2):
        yield parts[index], parts[index + 1]


def _as_code(value: str) -> ast.Module | None:
    try:
        tree = parse_python(value)
    except (SyntaxError, ValueError):
        return None
    trivial = (ast.Module, ast.Expr, ast.Name, ast.Constant, ast.Load)
    return tree if any(not isinstance(n, trivial) for n in ast.walk(tree)) else None


def _code_tokens(tree: ast.AST) -> tuple[list[str], list[str]]:
    """Depth-first structure tokens (normalised) and the exact identifiers and literals."""
    structure: list[str] = []
    exact: list[str] = []

    def visit(node: ast.AST) -> None:
        structure.append(_structure_token(node))
        for raw in _raw_names(node):
            exact.append(raw)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.expr_context):
                visit(child)

    visit(tree)
    return structure, exact


def _structure_token(node: ast.AST) -> str:
    kind = type(node).__name__
    if isinstance(node, ast.Name):
        return f"Name:{node.id}" if node.id in _BUILTINS else "Name"
    if isinstance(node, ast.Attribute):
        return f"Attribute:{node.attr}"
    if isinstance(node, ast.Constant):
        return f"Constant:{type(node.value).__name__}"
    if isinstance(node, ast.alias):
        return f"alias:{node.name}"
    if isinstance(node, ast.BinOp | ast.UnaryOp | ast.BoolOp | ast.AugAssign):
        return f"{kind}:{type(node.op).__name__}"
    if isinstance(node, ast.Compare):
        return "Compare:" + ",".join(type(op).__name__ for op in node.ops)
    return kind


def _raw_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Constant):
        return [repr(node.value)]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    return []


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


EMBEDDERS: dict[str, Callable[[], HashedNgramEmbedder | CodeEmbedder]] = {
    "hashed": HashedNgramEmbedder,
    "code": CodeEmbedder,
}


def make_embedder(name: str) -> HashedNgramEmbedder | CodeEmbedder:
    """The offline embedder registered as ``name``; unknown names raise listing the choices."""
    try:
        return EMBEDDERS[name]()
    except KeyError:
        raise ValueError(f"unknown embedder {name!r}; choose one of {sorted(EMBEDDERS)}") from None
