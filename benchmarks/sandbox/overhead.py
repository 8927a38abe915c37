"""Overhead of one sandboxed run of ``python -c pass`` over a bare subprocess, per backend.

Each round runs the bare subprocess and every backend once, in a shuffled order, so
drift in machine load hits all of them alike; the figure per backend is the median of
its samples minus the median of the bare ones. Raw samples go to the JSON file.

    .venv/bin/python benchmarks/sandbox/overhead.py --repeats 50 --breakdown
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import logging
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from polca.sandbox import Backend, LocalBackend, RunSpec, SandboxUnavailable, host_support, run
from polca.sandbox.limits import CgroupSupport

COMMAND = (sys.executable, "-c", "pass")
GOAL_LOCAL_MS = 20.0


def bare() -> float:
    started = time.perf_counter()
    subprocess.run(COMMAND, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    return time.perf_counter() - started


def sandboxed(backend: str | Backend) -> float:
    started = time.perf_counter()
    result = run(RunSpec(command=COMMAND), backend=backend)
    elapsed = time.perf_counter() - started
    if result.status != "ok":
        raise RuntimeError(f"{backend}: {result.status}: {result.message}")
    return elapsed


def breakdown_backends() -> dict[str, Backend]:
    """The local backend with one layer removed at a time, to attribute its cost.

    ``local-no-launcher`` has every protection but starts each run directly, moving it
    into its cgroups on the critical path (the backend before prepared launchers).
    """
    full = host_support()
    no_cgroups = CgroupSupport(0, None, None)
    return {
        "local-no-launcher": LocalBackend(full, prestart=False),
        "local-no-cgroups": LocalBackend(dataclasses.replace(full, cgroups=no_cgroups)),
        "local-no-bwrap": LocalBackend(dataclasses.replace(full, bwrap=None, unshare=None)),
        "local-rlimits-only": LocalBackend(dataclasses.replace(full, bwrap=None, unshare=None, cgroups=no_cgroups)),
    }


def available_backends() -> list[str]:
    backends = ["none", "local"]
    try:
        run(RunSpec(command=COMMAND), backend="docker")
        backends.append("docker")
    except SandboxUnavailable as exc:
        logging.warning("skipping docker: %s", exc)
    return backends


def measure(repeats: int, seed: int, breakdown: bool) -> dict:
    rng = random.Random(seed)
    loadavg_before = os.getloadavg()
    runners: dict[str, Callable[[], float]] = {"bare": bare}
    runners.update({name: functools.partial(sandboxed, name) for name in available_backends()})
    if breakdown:
        runners.update({name: functools.partial(sandboxed, b) for name, b in breakdown_backends().items()})
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for runner in runners.values():  # warm-up: imports, probes, page cache
        runner()
    for _ in range(repeats):
        order = list(runners)
        rng.shuffle(order)
        for name in order:
            samples[name].append(runners[name]())
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
    parser.add_argument("--breakdown", action="store_true", help="also time local with layers removed")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    data = measure(args.repeats, args.seed, args.breakdown)
    data["machine"]["loadavg_after"] = os.getloadavg()
    args.out.write_text(json.dumps(data, indent=2) + "\n")
    for name, row in data["summary"].items():
        sys.stdout.write(
            f"{name:18s} median {row['median_ms']:7.2f} ms  overhead {row['overhead_ms']:7.2f} ms"
            f"  min {row['min_ms']:7.2f} ms\n"
        )


if __name__ == "__main__":
    main()
