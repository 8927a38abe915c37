"""Micro-benchmark: how long the ε-net takes to filter a batch of children.

Fills an ``EpsilonNet`` with N random unit vectors (N up to 100k, dimension 256, the
default embedder's) and times ``filter`` on a batch of 8 children and ``add`` of one
vector, with repeats; keeps every raw timing and the median in a JSON file.

    python -m benchmarks.search.epsilon_net_speed [--out benchmarks/search/epsilon_net_speed.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from polca.optimizer.epsilon_net import EpsilonNet

SIZES = (1_000, 10_000, 100_000)
DIM = 256
CHILDREN = 8
REPEATS = 15


def _unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = rng.normal(size=(n, DIM)).astype(np.float32)  # (n, d)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def measure(size: int, rng: np.random.Generator) -> dict:
    net = EpsilonNet(epsilon=0.05, dim=DIM)
    net.add(_unit_rows(rng, size))
    filter_s, add_s = [], []
    for _ in range(REPEATS):
        children = _unit_rows(rng, CHILDREN)
        started = time.perf_counter()
        net.filter(children)
        filter_s.append(time.perf_counter() - started)
        one = _unit_rows(rng, 1)
        started = time.perf_counter()
        net.add(one)
        add_s.append(time.perf_counter() - started)
    return {
        "memory_size": size,
        "filter_median_ms": statistics.median(filter_s) * 1e3,
        "add_median_ms": statistics.median(add_s) * 1e3,
        "filter_s": filter_s,
        "add_s": add_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".json"))
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = [measure(size, rng) for size in SIZES]
    report = {
        "benchmark": "epsilon_net_speed",
        "dim": DIM,
        "children_per_filter": CHILDREN,
        "repeats": REPEATS,
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "processor": platform.processor() or platform.machine()},
        "results": rows,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for row in rows:
        print(f"N={row['memory_size']:>7}: filter {row['filter_median_ms']:.2f} ms, "
              f"add {row['add_median_ms']:.3f} ms (median of {REPEATS})")


if __name__ == "__main__":
    main()
