"""Micro-benchmark: how long the ε-net takes to filter a batch of children.

Fills an ``EpsilonNet`` with N unit vectors (N up to 100k, dimension 256, the default
embedder's) drawn as a search's memory looks: families of variants around 1,000 random
ancestors (each a random unit vector plus noise of norm about 0.7) and times ``filter`` on a batch of 8 children and ``add`` of one
vector, with repeats, on both paths: ``exact`` (the float32 matrix product) and
``index`` (the HNSW index the net maintains past ``INDEX_THRESHOLD`` vectors; needs
hnswlib). Half of each batch of children are near-duplicates of remembered vectors
(noise 0.002 per coordinate before normalising: about 0.03 away, inside ε = 0.05), half
random. ``agreement`` is the share of children the net decides as the exact product
would (dropped or kept); ``near_recall`` the share of near-duplicates the index finds. Keeps every raw timing and the median in a JSON file.

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

from polca.optimizer.epsilon_net import INDEX_THRESHOLD, EpsilonNet, _nearest_distance

SIZES = (1_000, 10_000, 100_000)
DIM = 256
CHILDREN = 8
REPEATS = 15


def _unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = rng.normal(size=(n, DIM)).astype(np.float32)  # (n, d)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _memory(rng: np.random.Generator, n: int) -> np.ndarray:
    ancestors = _unit_rows(rng, 1_000)
    rows = ancestors[rng.integers(0, len(ancestors), n)]
    rows = rows + (0.7 / np.sqrt(DIM)) * rng.normal(size=rows.shape).astype(np.float32)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)  # (n, d)


def _children(rng: np.random.Generator, memory: np.ndarray) -> np.ndarray:
    near = memory[rng.choice(len(memory), CHILDREN // 2)]
    near = near + 0.002 * rng.normal(size=near.shape).astype(np.float32)
    rows = np.vstack([near / np.linalg.norm(near, axis=1, keepdims=True),
                      _unit_rows(rng, CHILDREN - len(near))])
    return rows.astype(np.float32)  # (CHILDREN, d)


def measure(size: int, rng: np.random.Generator, path: str) -> dict:
    threshold = None if path == "exact" else INDEX_THRESHOLD
    memory = _memory(rng, size)
    net = EpsilonNet(epsilon=0.05, dim=DIM, index_threshold=threshold)
    started = time.perf_counter()
    net.add(memory)
    build_s = time.perf_counter() - started
    filter_s, add_s, agree, near_found = [], [], [], []
    for _ in range(REPEATS):
        children = _children(rng, memory)
        started = time.perf_counter()
        net.filter(children)
        filter_s.append(time.perf_counter() - started)
        exact = _nearest_distance(children, net.vectors) <= net.epsilon
        reported = net.distances_to_memory(children) <= net.epsilon
        agree += [bool(x) for x in reported == exact]
        near_found += [bool(x) for x in reported[: CHILDREN // 2]]
        one = _unit_rows(rng, 1)
        started = time.perf_counter()
        net.add(one)
        add_s.append(time.perf_counter() - started)
    return {
        "path": path,
        "indexed": net.indexed,
        "memory_size": size,
        "build_s": build_s,
        "agreement": sum(agree) / len(agree),
        "near_recall": sum(near_found) / len(near_found),
        "filter_median_ms": statistics.median(filter_s) * 1e3,
        "filter_min_ms": min(filter_s) * 1e3,  # the least disturbed by other work on the machine
        "add_median_ms": statistics.median(add_s) * 1e3,
        "filter_s": filter_s,
        "add_s": add_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".json"))
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = [measure(size, rng, path) for path in ("exact", "index") for size in SIZES]
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
        print(f"{row['path']:5s} N={row['memory_size']:>7}: filter {row['filter_median_ms']:.2f} ms "
              f"(min {row['filter_min_ms']:.2f}), "
              f"add {row['add_median_ms']:.3f} ms (median of {REPEATS}), agreement {row['agreement']:.2f}, near recall {row['near_recall']:.2f}, "
              f"indexed {row['indexed']}, build {row['build_s']:.1f} s")


if __name__ == "__main__":
    main()
