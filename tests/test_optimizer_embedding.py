"""Embedders and the ε-net: near-duplicates of code fall inside the calibrated ε."""

from __future__ import annotations

import numpy as np
import pytest

from polca.optimizer.config import OptimizerConfig
from polca.optimizer.contracts import Candidate
from polca.optimizer.embedding import (
    CodeEmbedder,
    HashedNgramEmbedder,
    LiteLLMEmbedder,
    make_embedder,
    resolve_epsilon,
)
from polca.optimizer.epsilon_net import EpsilonNet

LOOP = '''def total_size(items):
    """Sum the sizes."""
    total = 0
    for item in items:
        if item.size > 10:
            total += item.size
    return total
'''
NEAR = {
    "rename": LOOP.replace("total =", "acc =").replace("total +=", "acc +=").replace("return total", "return acc"),
    "literal": LOOP.replace("> 10", "> 12"),
    "reformat": LOOP.replace("    total = 0\n", "    total=0  # start\n\n"),
}
REAL = {
    "comprehension": 'def total_size(items):\n    """Sum the sizes."""\n'
                     "    return sum(i.size for i in items if i.size > 10)\n",
    "early exit": LOOP.replace("    for item in items:\n", "    if not items:\n        return 0\n"
                               "    for item in items:\n"),
}


def _distance(embedder, a: str, b: str) -> float:
    va, vb = embedder.embed([Candidate({"code": a}).text(), Candidate({"code": b}).text()])
    return float(np.linalg.norm(va - vb))


@pytest.mark.parametrize("kind", sorted(NEAR))
def test_code_near_duplicates_fall_inside_the_calibrated_epsilon(kind: str) -> None:
    embedder = CodeEmbedder()
    assert _distance(embedder, LOOP, NEAR[kind]) <= embedder.default_epsilon


@pytest.mark.parametrize("kind", sorted(REAL))
def test_real_code_edits_fall_outside_it(kind: str) -> None:
    embedder = CodeEmbedder()
    assert _distance(embedder, LOOP, REAL[kind]) > embedder.default_epsilon


def test_non_code_parameters_fall_back_to_text_ngrams() -> None:
    code, text = CodeEmbedder(), HashedNgramEmbedder()
    base = "Answer the question in one short paragraph and cite the source you used."
    close, far = base.replace("short", "brief"), "List three facts, then give a one-word verdict."
    assert 0 < _distance(code, base, close) < _distance(code, base, far)
    assert _distance(text, base, close) < _distance(text, base, far)
    rows = code.embed(["x = 1", "", "## a\nfoo\n\n## b\ndef f():\n    return 1\n"])
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)


def test_embedders_by_name_and_their_epsilon() -> None:
    assert isinstance(make_embedder("code"), CodeEmbedder)
    with pytest.raises(ValueError, match=r"\['code', 'hashed'\]"):
        make_embedder("bert")
    with pytest.raises(ValueError, match="embedder='bert' is unknown"):
        OptimizerConfig(embedder="bert")
    assert resolve_epsilon(None, CodeEmbedder()) == CodeEmbedder.default_epsilon
    assert resolve_epsilon(0.3, CodeEmbedder()) == 0.3
    assert resolve_epsilon(None, LiteLLMEmbedder(client=None, model="m")) == 0.05  # type: ignore[arg-type]


def _rows(rng: np.random.Generator, n: int, dim: int = 32) -> np.ndarray:
    rows = rng.normal(size=(n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_past_the_threshold_the_index_decides_as_the_exact_net() -> None:
    pytest.importorskip("hnswlib")
    rng = np.random.default_rng(0)
    memory = _rows(rng, 300)
    exact, indexed = EpsilonNet(0.2, 32, index_threshold=None), EpsilonNet(0.2, 32, index_threshold=100)
    for net in (exact, indexed):
        net.add(memory[:150])
        net.add(memory[150:])
    assert indexed.indexed and not exact.indexed
    near = memory[:4] + 0.01 * rng.normal(size=(4, 32)).astype(np.float32)
    children = np.vstack([near / np.linalg.norm(near, axis=1, keepdims=True), _rows(rng, 4)])
    assert indexed.filter(children).rejected == exact.filter(children).rejected == (0, 1, 2, 3)
