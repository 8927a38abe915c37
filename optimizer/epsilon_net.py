"""The ε-net: keeps the memory diverse by dropping children too close to what exists.

Every candidate's parameter text is embedded as a unit vector. A batch of children is
filtered greedily: repeatedly accept the child farthest from memory ∪ the current
explorers ∪ the children accepted so far, as long as that distance exceeds ε; the rest
are rejected unevaluated, which is where evaluation budget is saved. Distances are
Euclidean between unit vectors (in [0, 2]; ``d² = 2 - 2·cos``). ε = 0 accepts everything.

Memory is a pre-allocated float32 matrix that doubles when full; below
``index_threshold`` vectors a check is one exact matrix product. Past it, and when the
optional ``hnswlib`` is installed (``pip install 'polca[ann]'``), the net also maintains an
HNSW nearest-neighbour index (inner product on the unit vectors, vectors added as they
are remembered) and asks it for each child's nearest neighbour: under 5 ms against 100k
candidates where the exact product takes tens (benchmarks/search/epsilon_net_speed.json).
The index is approximate in one direction only: it may miss the nearest neighbour and
report a larger distance, so a near-duplicate may be evaluated, but a child is never
dropped for a neighbour that is not there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

INDEX_THRESHOLD = 10_000  # remembered vectors past which the HNSW index answers


@dataclass(frozen=True)
class NetDecision:
    """Which children (by position in the batch) were accepted, and every child's distance."""

    accepted: tuple[int, ...]
    rejected: tuple[int, ...]
    distances: tuple[float, ...]  # each child's distance to the net when it was decided


class EpsilonNet:
    """Unit vectors of every remembered candidate, and the greedy ε filter."""

    def __init__(
        self, epsilon: float, dim: int, initial_capacity: int = 1024,
        index_threshold: int | None = INDEX_THRESHOLD,
    ) -> None:  # fmt: skip
        if epsilon < 0:
            raise ValueError(f"epsilon={epsilon!r} must be >= 0 (0 turns the ε-net off).")
        self.epsilon = float(epsilon)
        self.dim = int(dim)
        self._matrix = np.zeros((max(1, initial_capacity), self.dim), dtype=np.float32)  # (cap, d)
        self._size = 0
        self.index_threshold = index_threshold  # None: always exact
        self._index: _HnswIndex | None = None
        self._index_tried = False

    def __len__(self) -> int:
        return self._size

    @property
    def vectors(self) -> np.ndarray:
        return self._matrix[: self._size]  # (n, d)

    def add(self, vectors: np.ndarray) -> None:
        """Remember rows of ``vectors`` (shape (m, d), unit norm)."""
        vectors = self._as_rows(vectors)
        needed = self._size + len(vectors)
        if needed > len(self._matrix):
            capacity = max(needed, 2 * len(self._matrix))
            grown = np.zeros((capacity, self.dim), dtype=np.float32)
            grown[: self._size] = self._matrix[: self._size]
            self._matrix = grown
        self._matrix[self._size : needed] = vectors
        self._size = needed
        if self._index is not None:
            self._index.add(vectors)
        elif (self.index_threshold is not None and needed >= self.index_threshold
              and not self._index_tried):
            self._index_tried = True
            self._index = _HnswIndex.build(self.vectors)

    @property
    def indexed(self) -> bool:
        """True when nearest neighbours come from the HNSW index."""
        return self._index is not None

    def distances_to_memory(self, vectors: np.ndarray) -> np.ndarray:
        """Each row's distance to its nearest remembered vector (inf when memory is empty)."""
        vectors = self._as_rows(vectors)
        if self._size == 0:
            return np.full(len(vectors), np.inf)
        if self._index is not None:
            return self._index.nearest_distance(vectors)
        return _nearest_distance(vectors, self.vectors)

    def filter(self, children: np.ndarray, explorers: np.ndarray | None = None) -> NetDecision:
        """Greedy farthest-first acceptance of ``children`` (m, d) against the net.

        ``explorers`` (k, d) are the candidates being explored this iteration, counted
        as part of the net even if not yet remembered. Nothing is added to memory here:
        the caller adds what it keeps.
        """
        children = self._as_rows(children)
        m = len(children)
        if m == 0:
            return NetDecision((), (), ())
        nearest = self.distances_to_memory(children)  # (m,)
        if self.epsilon == 0:
            return NetDecision(tuple(range(m)), (), tuple(float(d) for d in nearest))
        if explorers is not None and len(explorers):
            nearest = np.minimum(nearest, _nearest_distance(children, self._as_rows(explorers)))
        decided = np.zeros(m, dtype=bool)
        final = np.array(nearest, dtype=np.float64)
        accepted: list[int] = []
        while not decided.all():
            open_ = np.where(~decided, nearest, -np.inf)
            pick = int(np.argmax(open_))
            if not nearest[pick] > self.epsilon:
                break
            accepted.append(pick)
            decided[pick] = True
            final[pick] = nearest[pick]
            nearest = np.minimum(nearest, _nearest_distance(children, children[pick : pick + 1]))
        rejected = tuple(int(i) for i in np.flatnonzero(~decided))
        final[list(rejected)] = nearest[list(rejected)]
        return NetDecision(tuple(accepted), rejected, tuple(float(d) for d in final))

    def _as_rows(self, vectors: np.ndarray) -> np.ndarray:
        array = np.asarray(vectors, dtype=np.float32)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2 or array.shape[1] != self.dim:
            raise ValueError(
                f"embedding shape {array.shape} does not match the ε-net dimension {self.dim}; "
                "use one embedder for a whole run."
            )
        return array


def _nearest_distance(queries: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Distance from each query row (q, d) to its nearest reference row (r, d)."""
    cosines = queries @ references.T  # (q, r)
    best = cosines.max(axis=1).astype(np.float64)  # (q,)
    return np.sqrt(np.clip(2.0 - 2.0 * best, 0.0, None))


class _HnswIndex:
    """hnswlib over unit vectors (inner product), grown as vectors are remembered."""

    def __init__(self, index: Any) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> _HnswIndex | None:
        """An index of ``vectors`` (n, d), or None (numpy stays exact) without hnswlib."""
        try:
            import hnswlib
        except ImportError:
            log.info("hnswlib is not installed ('polca[ann]'); the ε-net stays exact")
            return None
        index = hnswlib.Index(space="ip", dim=vectors.shape[1])
        index.init_index(max_elements=2 * len(vectors), ef_construction=64, M=16)
        index.set_num_threads(1)  # evaluations own the cores; one thread is fast enough
        index.add_items(vectors)
        index.set_ef(48)  # recall against speed: see benchmarks/search/epsilon_net_speed.json
        return cls(index)

    def add(self, vectors: np.ndarray) -> None:
        needed = self._index.get_current_count() + len(vectors)
        if needed > self._index.get_max_elements():
            self._index.resize_index(2 * needed)
        self._index.add_items(vectors)

    def nearest_distance(self, queries: np.ndarray) -> np.ndarray:
        _, distances = self._index.knn_query(queries, k=1)  # (q, 1); hnswlib's ip is 1 - cos
        best = 1.0 - distances[:, 0].astype(np.float64)
        return np.sqrt(np.clip(2.0 - 2.0 * best, 0.0, None))
