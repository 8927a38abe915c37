"""One contestant run in this process, its record written as JSON.

The harness starts this module once per run (OpenEvolve installs signal handlers and
forks workers, and every run should start from clean global state)::

    python -m benchmarks.search.run_one --contestant gepa --landscape smooth \\
        --noise 0.1 --seed 0 --budget 400 --out run.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.search.contestants import CONTESTANTS, run_contestant  # noqa: E402
from benchmarks.search.model import ModelSpec  # noqa: E402
from benchmarks.search.outcome import RunSpec  # noqa: E402
from benchmarks.search.problems import LANDSCAPES, ProblemSpec  # noqa: E402


def parse_spec(argv: list[str] | None = None) -> tuple[RunSpec, Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contestant", required=True, choices=sorted(CONTESTANTS))
    parser.add_argument("--landscape", required=True, choices=sorted(LANDSCAPES))
    parser.add_argument("--noise", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--budget", type=int, required=True, help="instance evaluations")
    parser.add_argument("--minibatch", type=int, default=5)
    parser.add_argument("--num-instances", type=int, default=20)
    parser.add_argument("--p", type=float, default=ModelSpec.p, help="P(informed edit)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    problem = ProblemSpec(args.landscape, args.noise, args.seed, args.num_instances)
    spec = RunSpec(args.contestant, problem, args.budget, ModelSpec(p=args.p), args.minibatch)
    return spec, args.out


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    spec, out = parse_spec(argv)
    record = run_contestant(spec)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record))


if __name__ == "__main__":
    main()
