"""Run the search benchmark and write its report. From the repository root::

    .venv/bin/python -m benchmarks.search.run

runs every contestant on every landscape (smooth, deceptive, heavy_tailed) at noise 0,
0.1 and 0.3 with 10 seeds and a budget of 400 instance evaluations, each run in its own
subprocess, two at a time. Raw
records go to ``benchmarks/search/results/raw/`` (one JSON per run; existing ones are
reused, ``--fresh`` reruns them), the aggregate to ``results/results.json``, curves to
``results/curves_<landscape>.png`` and the tables to ``benchmarks/search/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from benchmarks.search import report
from benchmarks.search.contestants import CONTESTANTS
from benchmarks.search.problems import LANDSCAPES, NOISE_LEVELS

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DEFAULT_OUT = HERE / "results"


@dataclass(frozen=True)
class Job:
    contestant: str
    landscape: str
    noise: float
    seed: int

    def path(self, raw_dir: Path) -> Path:
        return raw_dir / f"{self.contestant}__{self.landscape}__{self.noise:g}__{self.seed}.json"


def _run_job(job: Job, args: argparse.Namespace, raw_dir: Path) -> dict:
    out = job.path(raw_dir)
    if out.exists() and not args.fresh:
        return {**json.loads(out.read_text()), "reused": True}
    command = [
        sys.executable, "-m", "benchmarks.search.run_one",
        "--contestant", job.contestant, "--landscape", job.landscape,
        "--noise", str(job.noise), "--seed", str(job.seed), "--budget", str(args.budget),
        "--minibatch", str(args.minibatch), "--p", str(args.p), "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONPATH": str(REPO_ROOT)}
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=args.timeout_s, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not out.exists():
        tail = done.stderr.strip().splitlines()[-5:]
        log.warning("%s failed (exit %s): %s", job, done.returncode, " | ".join(tail))
        return {"spec": job.__dict__, "error": "\n".join(tail)}
    log.info("%s done in %.1f s", job, time.perf_counter() - started)
    return json.loads(out.read_text())


def _harness_wall_s(records: list[dict], out: Path, elapsed_s: float) -> float:
    """This invocation's wall time, or the last full run's when every record was reused."""
    previous = out / "results.json"
    if all(r.get("reused") for r in records) and previous.exists():
        return float(json.loads(previous.read_text())["settings"].get("harness_wall_s", elapsed_s))
    return elapsed_s


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="POLCA against GEPA and OpenEvolve, model fixed.")
    parser.add_argument("--contestants", nargs="+", default=list(CONTESTANTS), choices=list(CONTESTANTS))
    parser.add_argument("--landscapes", nargs="+", default=list(LANDSCAPES), choices=list(LANDSCAPES))
    parser.add_argument("--noises", nargs="+", type=float, default=list(NOISE_LEVELS))
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds FIRST..FIRST+N-1 (tune on seeds the report does not use, e.g. 100)")
    parser.add_argument("--budget", type=int, default=400, help="instance evaluations per run")
    parser.add_argument("--minibatch", type=int, default=5)
    parser.add_argument("--p", type=float, default=0.3, help="P(the simulated model's edit helps)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time")
    parser.add_argument("--timeout-s", type=float, default=600.0, help="per run")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--results-md", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--fresh", action="store_true", help="rerun runs that have a record")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parse_args(argv)
    raw_dir = args.out / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        Job(c, land, noise, seed)
        for land, noise, seed, c in itertools.product(
            args.landscapes, args.noises, range(args.first_seed, args.first_seed + args.seeds),
            args.contestants,
        )
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        records = list(pool.map(lambda job: _run_job(job, args, raw_dir), jobs))
    settings = {k: v for k, v in vars(args).items() if k not in ("out", "results_md")}
    settings["harness_wall_s"] = _harness_wall_s(records, args.out, time.perf_counter() - started)
    records = [{k: v for k, v in r.items() if k != "reused"} for r in records]
    summary = report.write_report(records, settings, args.out, args.results_md)
    log.info("wrote %s and %s", args.results_md, args.out / "results.json")
    log.info("%s", summary)


if __name__ == "__main__":
    main()
