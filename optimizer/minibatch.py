"""Minibatches: epoch-shuffled sampling without replacement, seeded and resumable.

Each epoch is a fresh permutation of the instance indices drawn from ``(seed, epoch)``,
so the sampler's whole state is two integers (``epoch``, ``position``) that a checkpoint
can store. A batch never spans two epochs: when fewer than ``batch_size`` indices remain,
the next epoch starts (every index is still used equally often in expectation).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class MinibatchSampler:
    """Draws batches of indices into ``range(num_instances)``."""

    def __init__(self, num_instances: int, batch_size: int, seed: int, stream: int = 0) -> None:
        if num_instances < 1:
            raise ValueError(
                "the domain offers no instances to draw minibatches from; "
                "instances() must return at least one instance."
            )
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r} must be at least 1.")
        self.num_instances = num_instances
        self.batch_size = min(batch_size, num_instances)
        self._seed = seed
        self._stream = stream  # separates the training and validation samplers
        self.epoch = 0
        self.position = 0
        self._order = self._permutation(0)

    def next(self) -> list[int]:
        """The next batch of ``batch_size`` distinct indices."""
        if self.position + self.batch_size > self.num_instances:
            self.epoch += 1
            self.position = 0
            self._order = self._permutation(self.epoch)
        batch = self._order[self.position : self.position + self.batch_size]
        self.position += self.batch_size
        return [int(i) for i in batch]

    def state(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "position": self.position}

    def restore(self, state: dict[str, Any]) -> None:
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])
        self._order = self._permutation(self.epoch)

    def _permutation(self, epoch: int) -> np.ndarray:
        rng = np.random.default_rng([self._seed, self._stream, epoch])
        return rng.permutation(self.num_instances)
