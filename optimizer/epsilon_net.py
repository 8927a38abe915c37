"""The ε-net: keeps the memory diverse by dropping children too close to what exists.

Every candidate's parameter text is embedded as a unit vector. A batch of children is
filtered greedily: repeatedly accept the child farthest from memory ∪ the current
explorers ∪ the children accepted so far, as long as that distance exceeds ε; the rest
are rejected unevaluated, which is where evaluation budget is saved. Distances are
Euclidean between unit vectors (in [0, 2]; ``d² = 2 - 2·cos``). ε = 0 accepts everything.

Memory is a pre-allocated float32 matrix that doubles when full, so a check against
100k candidates is one matrix product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NetDecision:
    """Which children (by position in the batch) were accepted, and every child's distance."""

    accepted: tuple[int, ...]
    rejected: tuple[int, ...]
    distances: tuple[float, ...]  # each child's distance to the net when it was decided


class EpsilonNet:
    """Unit vectors of every remembered candidate, and the greedy ε filter."""

    def __init__(self, epsilon: float, dim: int, initial_capacity: int = 1024) -> None:
        if epsilon < 0:
            raise ValueError(f"epsilon={epsilon!r} must be >= 0 (0 turns the ε-net off).")
        self.epsilon = float(epsilon)
        self.dim = int(dim)
        self._matrix = np.zeros((max(1, initial_capacity), self.dim), dtype=np.float32)  # (cap, d)
        self._size = 0

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

    def distances_to_memory(self, vectors: np.ndarray) -> np.ndarray:
        """Each row's distance to its nearest remembered vector (inf when memory is empty)."""
        vectors = self._as_rows(vectors)
        if self._size == 0:
            return np.full(len(vectors), np.inf)
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
