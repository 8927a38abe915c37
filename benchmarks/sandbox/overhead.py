"""Overhead of one sandboxed run of ``python -c pass`` over a bare subprocess, per backend.

Each round runs the bare subprocess and every backend once, in a shuffled order, so
drift in machine load hits all of them alike; the figure per backend is the median of
its samples minus the median of the bare ones. Raw samples go to the JSON file.

    .venv/bin/python benchmarks/sandbox/overhead.py --repeats 50 --out benchmarks/sandbox/overhead.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from polca.sandbox import RunSpec, SandboxUnavailable, host_support, run

COMMAND = (sys.executable, "-c", "pass")
GOAL_LOCAL_MS = 20.0


def bare() -> float:
    started = time.perf_counter()
    subprocess.run(COMMAND, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    return time.perf_counter() - started


def sandboxed(backend: str) -> float:
    started = time.perf_counter()
    result = run(RunSpec(command=COMMAND), backend=backend)
    elapsed = time.perf_counter() - started
    if result.status != "ok":
        raise RuntimeError(f"{backend}: {result.status}: {result.message}")
    return elapsed


def available_backends() -> list[str]:
    backends = ["none", "local"]
    try:
        run(RunSpec(command=COMMAND), backend="docker")
        backends.append("docker")
    except SandboxUnavailable as exc:
        logging.warning("skipping docker: %s", exc)
    return backends


def measure(repeats: int, seed: int) -> dict:
    rng = random.Random(seed)
    loadavg_before = os.getloadavg()
    backends = available_backends()
    samples: dict[str, list[float]] = {name: [] for name in ["bare", *backends]}
    for name in samples:  # warm-up: imports, probes, page cache
        bare() if name == "bare" else sandboxed(name)
    for _ in range(repeats):
        order = list(samples)
        rng.shuffle(order)
        for name in order:
            samples[name].append(bare() if name == "bare" else sandboxed(name))
    bare_median = statistics.median(samples["bare"])
    summary = {
        name: {
            "median_ms": statistics.median(values) * 1e3,
            "overhead_ms": (statistics.median(values) - bare_median) * 1e3,
            "p90_ms": sorted(values)[int(0.9 * (len(values) - 1))] * 1e3,
            "min_ms": min(values) * 1e3,
        }
        for name, values in samples.items()
    }
    return {
        "command": list(COMMAND),
        "repeats": repeats,
        "seed": seed,
        "goal_local_overhead_ms": GOAL_LOCAL_MS,
        "machine": {
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "loadavg_before": loadavg_before,
        },
        "local_protections": list(host_support().protections(network=False)),
        "summary": summary,
        "samples_s": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("overhead.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    data = measure(args.repeats, args.seed)
    data["machine"]["loadavg_after"] = os.getloadavg()
    args.out.write_text(json.dumps(data, indent=2) + "\n")
    for name, row in data["summary"].items():
        sys.stdout.write(
            f"{name:8s} median {row['median_ms']:7.2f} ms  overhead {row['overhead_ms']:7.2f} ms"
            f"  min {row['min_ms']:7.2f} ms\n"
        )


if __name__ == "__main__":
    main()
