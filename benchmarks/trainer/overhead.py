"""PIPO's cost per step against GRPO, side by side, on tiny models on a CPU.

Each repeat runs every variant once, interleaved (GRPO, PIPO added, PIPO separate, and
``pipo-before``: this repository's PIPO before the fused pass, emulated: a no-grad pass for
the generating policy's log-probs and the PI term's own pass over every previous row), from
the same starting model, for the same steps and seed; the window is K = 2, so the PI term
is on from step 3, and only steps 4.. are timed. A step's time is the process CPU time of
TRL's ``training_step`` (generation, rewards, loss and backward; one torch thread), which
other jobs on a shared machine barely move; TRL's wall-clock ``step_time`` is kept too. A
repeat's ratio is PIPO's median step time over GRPO's; the table gives the median ratio
over repeats and its range. Three settings:

- ``toy``: the benchmark's task (single-digit addition after an SFT warm start), 3-token
  completions, exact-answer reward: uniform groups (all right or all wrong) have PI
  coefficient 0 and skip the PI pass;
- ``dense-short``: a random model, 3-token completions, a reward that varies with the
  text, so every previous completion takes part: the worst case;
- ``dense-long``: the same with 32-token completions, where generation weighs as it does
  in real use (code completions are hundreds of tokens).

The training pass runs as TRL configures it by default (bf16 autocast, gradient
checkpointing: the forward is recomputed in the backward); ``--fp32`` trains in float32
without checkpointing instead, for both algorithms alike.

    nice python benchmarks/trainer/overhead.py --out benchmarks/trainer/overhead.json
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path

import torch
from datasets import Dataset
from run_benchmark import exact_answer_reward, rl_dataset, warm_start

from polca.trainer import grpo
from polca.trainer.grpo import _BATCH_KEYS, _PREFIX, PipoGRPOTrainer
from polca.trainer.tiny import TinyModelSpec, build_tiny_model
from polca.trainer.train import TrainConfig, train_rl

log = logging.getLogger("benchmarks.trainer.overhead")

VARIANTS = (("grpo", "added"), ("pipo", "added"), ("pipo", "separate"), ("pipo", "before"))
TIMED_FROM = 3  # index of the first timed step (0-based): the PI term is on from step 3


CPU_TIMES: list[float] = []


def _cpu_timed(step):
    def training_step(self, *args, **kwargs):
        started = time.process_time()
        output = step(self, *args, **kwargs)
        CPU_TIMES.append(time.process_time() - started)
        return output
    return training_step


PipoGRPOTrainer.training_step = _cpu_timed(PipoGRPOTrainer.training_step)


class PipoBefore(PipoGRPOTrainer):
    """PIPO as it was before the fused pass: a no-grad pass over each fresh batch for the
    generating policy's log-probs, and a pass of its own over every previous row."""

    def batch_generated(self, output):
        output = super().batch_generated(output)
        if self.pipo is not None and self.model.training:
            with torch.no_grad():
                self.sequence_logps(self.model, {key: output[key] for key in _BATCH_KEYS})
        return output

    def scoring_along(self, extra):
        return super().scoring_along(None)

    def _pipo_rows(self, inputs):
        rows = super()._pipo_rows(inputs)
        return None if rows is None else torch.arange(len(inputs[_PREFIX + "coefficients"]))


def text_reward(completions, **_) -> list[float]:
    """Varies with the text, so groups are almost never uniform (every row takes part)."""
    return [(sum(map(ord, c)) % 7) / 7 for c in completions]


def settings(work: Path, args) -> dict[str, dict]:
    sft = warm_start(work, args)
    random_model = str(build_tiny_model(work / "random", spec=TinyModelSpec(hidden_size=args.hidden,
                                                                           intermediate_size=2 * args.hidden)))
    prompts = Dataset.from_list([{"prompt": f"{i % 10} + {i // 10} ="} for i in range(100)])
    return {
        "toy": {"model": sft, "dataset": rl_dataset(), "reward": exact_answer_reward, "completion": 3},
        "dense-short": {"model": random_model, "dataset": prompts, "reward": text_reward, "completion": 3},
        "dense-long": {"model": random_model, "dataset": prompts, "reward": text_reward, "completion": 32},
    }


def one_run(setting: dict, algo: str, mode: str, out: Path, args) -> dict:
    grpo.PipoGRPOTrainer = PipoBefore if mode == "before" else PipoGRPOTrainer  # train_rl imports it per call
    config = TrainConfig(
        base_model=setting["model"], output_dir=str(out), algo=algo,
        pipo_mode="added" if mode == "before" else mode, pipo_window=2,
        learning_rate=args.lr, max_steps=args.steps, batch_size=args.batch_size,
        num_generations=args.generations, max_prompt_length=8,
        max_completion_length=setting["completion"], temperature=1.0, seed=args.seed,
        extra={"save_strategy": "no", "lr_scheduler_type": "constant", **training_pass(args)},
    )
    started = time.perf_counter()
    CPU_TIMES.clear()
    result = train_rl(config, setting["dataset"], [setting["reward"]])
    steps = [h for h in result.log_history if "step_time" in h]
    return {
        "algo": algo, "mode": mode, "wall_s": time.perf_counter() - started,
        "train_runtime_s": result.train_runtime_s,
        "step_cpu_s": list(CPU_TIMES),
        "step_time_s": [h["step_time"] for h in steps],
        "pi_rows": [h.get("pipo/pi_rows", 0.0) for h in steps],
        "active": [h.get("pipo/active", 0.0) for h in steps],
        "completion_length": [h.get("completions/mean_length", 0.0) for h in steps],
    }


def training_pass(args) -> dict:
    """TRL's defaults (bf16 autocast, gradient checkpointing), or fp32 without recomputation."""
    return {"bf16": False, "gradient_checkpointing": False} if args.fp32 else {}


def median_step(run: dict, key: str = "step_cpu_s") -> float:
    return statistics.median(run[key][TIMED_FROM:])


def summarise(runs: list[dict], repeats: int) -> dict:
    """Per setting and variant: median step time, ratio to GRPO per repeat, median and range."""
    summary: dict[str, dict] = {}
    for setting in dict.fromkeys(r["setting"] for r in runs):
        mine = [r for r in runs if r["setting"] == setting]
        grpo = {r["repeat"]: median_step(r) for r in mine if r["algo"] == "grpo"}
        for algo, mode in VARIANTS:
            chosen = [r for r in mine if (r["algo"], r["mode"]) == (algo, mode)]
            ratios = [median_step(r) / grpo[r["repeat"]] for r in chosen]
            wall = {r["repeat"]: median_step(r, "step_time_s") for r in mine if r["algo"] == "grpo"}
            wall_ratios = [median_step(r, "step_time_s") / wall[r["repeat"]] for r in chosen]
            summary[f"{setting}/{algo}-{mode}"] = {
                "repeats": len(chosen),
                "median_step_s": statistics.median(median_step(r) for r in chosen),
                "median_wall_step_s": statistics.median(median_step(r, "step_time_s") for r in chosen),
                "wall_ratio_median": statistics.median(wall_ratios),
                "ratio_median": statistics.median(ratios),
                "ratio_min": min(ratios), "ratio_max": max(ratios),
                "pi_rows_median": statistics.median(x for r in chosen for x in r["pi_rows"][TIMED_FROM:]),
                "completion_length": statistics.fmean(x for r in chosen for x in r["completion_length"]),
            }
    return summary


def table(summary: dict, batch_size: int) -> str:
    lines = [
        "| setting | variant | median step (CPU) | vs GRPO (median of repeats) | range over repeats | "
        f"wall-clock vs GRPO | previous rows in the PI pass (of {batch_size}) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, s in summary.items():
        setting, variant = key.split("/")
        overhead = "-" if variant.startswith("grpo") else f"{100 * (s['ratio_median'] - 1):+.0f}%"
        spread = "-" if variant.startswith("grpo") else (
            f"{100 * (s['ratio_min'] - 1):+.0f}% .. {100 * (s['ratio_max'] - 1):+.0f}%")
        rows = "-" if variant.startswith("grpo") else f"{s['pi_rows_median']:.0f}"
        wall = "-" if variant.startswith("grpo") else f"{100 * (s['wall_ratio_median'] - 1):+.0f}%"
        lines.append(f"| {setting} ({s['completion_length']:.1f} tokens) | {variant} | "
                     f"{1000 * s['median_step_s']:.0f} ms | {overhead} | {spread} | {wall} | {rows} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/trainer/overhead.json")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--settings", nargs="+", default=["toy", "dense-short", "dense-long"])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--sft-steps", type=int, default=70)
    parser.add_argument("--sft-lr", type=float, default=5e-3)
    parser.add_argument("--sft-share", type=float, default=1.0)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--fp32", action="store_true",
                        help="train in float32 without gradient checkpointing (TRL's defaults: bf16 autocast, "
                             "checkpointing), which shrinks the training pass on a CPU")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        chosen = {name: s for name, s in settings(work, args).items() if name in args.settings}
        for repeat in range(args.repeats):
            for name, setting in chosen.items():
                for algo, mode in VARIANTS:
                    run = one_run(setting, algo, mode, work / f"{name}-{algo}-{mode}-{repeat}", args)
                    runs.append({"setting": name, "repeat": repeat, **run})
                    log.info("%s %s-%s repeat %d: median step %.1f ms", name, algo, mode, repeat,
                             1000 * median_step(run))
    summary = summarise(runs, args.repeats)
    payload = {"args": vars(args), "torch_threads": torch.get_num_threads(), "timed_from_step": TIMED_FROM + 1,
               "wall_s": time.perf_counter() - started, "summary": summary, "runs": runs}
    Path(args.out).write_text(json.dumps(payload, indent=1))
    print(table(summary, args.batch_size))


if __name__ == "__main__":
    main()
