"""Benchmark: the kernel evaluator on hand-written kernels for polca's own problems.

For every solution in ``--solutions`` (``NN_name.py``, matched to the built-in problem NN):

1. **Evaluation seconds per candidate**: the whole ``evaluate`` (guards, sandboxed worker,
   correctness, timing, re-check) with an empty compile cache (``cold``, the build
   included) and again with the cache it filled (``cached``).
2. **Timing repeatability**: the same cached kernel evaluated ``--repeats`` times (one
   seed, no shape variant, ``--trials`` timed trials each); spread = (max - min) / median
   of the ``--repeats`` medians, for the kernel and for PyTorch eager. Target: under 2%.
3. **fast_p of the hand-written set**: one evaluation per kernel with every seed and the
   torch.compile baseline; fast_0/1/1.5/2 against eager and torch.compile and the
   geometric mean, as ``polca kernelbench eval`` reports them.

Every raw number goes to ``--out`` (JSON); a Markdown summary goes to stdout.

    python benchmarks/kernels/bench_kernels.py --device cuda                  # on a GPU
    python benchmarks/kernels/bench_kernels.py --device cpu \\
        --solutions benchmarks/kernels/solutions_cpu --repeats 3             # dry run without one
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

from polca.kernels_bench import (
    EvalConfig,
    KernelResult,
    TimingConfig,
    builtin_problems_dir,
    evaluate,
    load_problems,
    report_dict,
    summarize,
)

HERE = Path(__file__).parent
SPREAD_TARGET = 0.02


def main() -> None:
    args = _arguments()
    problems = {p.problem_id: p for p in load_problems(builtin_problems_dir())}
    solutions = sorted(args.solutions.glob("[0-9]*_*.py"))
    if not solutions:
        raise SystemExit(f"{args.solutions} holds no NN_name.py solutions")
    started = time.perf_counter()
    rows = [_bench_one(problems[int(path.name.split("_", 1)[0])], path, args) for path in solutions]
    scored = [KernelResult.from_dict(row["scored"]) for row in rows]
    data = {
        "device": args.device, "machine": platform.node(), "python": platform.python_version(),
        "torch": _torch_version(), "gpu": _gpu_name(args.device), "trials": args.trials, "rules": args.rules,
        "repeats": args.repeats, "wall_s": time.perf_counter() - started, "kernels": rows,
        "report": report_dict(scored),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1), encoding="utf-8")
    print(_markdown(data, scored))
    print(f"\nraw numbers: {args.out}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--solutions", type=Path, default=HERE / "solutions")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--timeout-s", type=float, default=900.0)
    parser.add_argument("--rules", choices=("strict", "kernelbench"), default="strict",
                        help="rule set (polca.kernels_bench.rules); reported with every figure")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.repeats < 2:
        parser.error(f"--repeats {args.repeats}: a spread needs at least 2 repeats; use 10.")
    if args.out is None:
        args.out = HERE / "results" / f"{args.device}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    return args


def _bench_one(problem, path: Path, args: argparse.Namespace) -> dict:
    source = path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="polca-kernel-cache-") as cache_root:
        base = EvalConfig(device=args.device, timing=TimingConfig(warmup_trials=10, trials=args.trials),
                          compare_compile=False, timeout_s=args.timeout_s, cache_root=cache_root, rules=args.rules)
        cold = evaluate(problem, source, base)
        cached = evaluate(problem, source, base)
        quick = EvalConfig(**{**base.__dict__, "seeds": (0,), "shape_variants": False})
        repeats = [evaluate(problem, source, quick) for _ in range(args.repeats)]
        scored = evaluate(problem, source, EvalConfig(**{**base.__dict__, "compare_compile": True}))
    return {
        "problem": problem.key, "solution": path.name,
        "cold": cold.to_dict(), "cached": cached.to_dict(), "scored": scored.to_dict(),
        "repeat_kernel_medians_ms": _medians(repeats, "candidate_ms"),
        "repeat_eager_medians_ms": _medians(repeats, "reference_ms"),
        "repeat_failures": [r.reason for r in repeats if not r.correct],
    }


def _medians(results: list[KernelResult], name: str) -> list[float]:
    return [getattr(r, name).median_ms for r in results if r.correct and getattr(r, name) is not None]


def _spread(medians: list[float]) -> float | None:
    return (max(medians) - min(medians)) / statistics.median(medians) if len(medians) >= 2 else None


def _markdown(data: dict, scored: list[KernelResult]) -> str:
    lines = [
        f"device {data['device']} ({data['gpu']}), torch {data['torch']}, rules {data['rules']}, {data['trials']} timed trials, "
        f"{data['repeats']} repeats, {data['wall_s']:.0f} s in all",
        "",
        "| kernel | correct | cold eval s (compile s) | cached eval s | kernel spread | eager spread | vs eager | vs compile |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row, result in zip(data["kernels"], scored, strict=True):
        cold, cached = row["cold"], row["cached"]
        lines.append(
            f"| {row['problem']} | {result.correct}{' (awaits audit)' if result.needs_audit else ''} | {cold['wall_s']:.1f} ({cold['compile_s']:.1f}) | "
            f"{cached['wall_s']:.1f}{'' if cached['cache_hit'] else ' (miss)'} | "
            f"{_percent(_spread(row['repeat_kernel_medians_ms']))} | {_percent(_spread(row['repeat_eager_medians_ms']))} | "
            f"{_times(result.speedup('eager'))} | {_times(result.speedup('compile'))} |"
        )
    summary = summarize(scored)
    lines += ["", "| baseline | fast_0 | fast_1 | fast_1.5 | fast_2 | geomean |", "| --- | --- | --- | --- | --- | --- |"]
    for baseline, shares in summary.fast_p.items():
        cells = " | ".join(f"{share:.0%}" for share in shares.values())
        lines.append(f"| {baseline} | {cells} | {summary.geomean_speedup[baseline]:.2f}x |")
    lines.append(f"\nspread target: under {SPREAD_TARGET:.0%}")
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _torch_version() -> str:
    import torch

    return torch.__version__


def _gpu_name(device: str) -> str:
    import torch

    return torch.cuda.get_device_name(0) if device == "cuda" and torch.cuda.is_available() else "no GPU"


if __name__ == "__main__":
    main()
