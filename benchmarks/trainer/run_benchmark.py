"""GRPO vs PIPO on a toy verifiable task a tiny model learns on a CPU.

Task: single-digit addition, ``"3 + 4 ="`` -> ``"7"`` (tokens are whitespace-separated
characters, so ``"1 2"`` is 12); reward 1.0 for the exact answer, else 0.0. A tiny random
Llama (~330k parameters, ``polca.trainer.tiny``) is first fine-tuned (SFT) from scratch
on a share of the answers until it is partly competent; then GRPO and PIPO each run from
that same checkpoint, with the same steps, at a normal and an aggressive learning rate,
for several seeds. Every raw number goes to ``results.json``; ``report.py`` draws the
table and the curves.

    .venv/bin/python benchmarks/trainer/run_benchmark.py --out benchmarks/trainer
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import time
from pathlib import Path

import torch
from datasets import Dataset

from polca.trainer.tiny import TinyModelSpec, build_tiny_model
from polca.trainer.train import TrainConfig, load_tokenizer, train_rl, train_sft

log = logging.getLogger("benchmarks.trainer")


def prompt_of(a: int, b: int) -> str:
    return f"{a} + {b} ="


def answer_of(a: int, b: int) -> str:
    return " ".join(str(a + b))


PAIRS = [(a, b) for a in range(10) for b in range(10)]


def exact_answer_reward(completions, answer, **_) -> list[float]:
    """1.0 when the completion is exactly the answer (spaces ignored), else 0.0."""
    return [float(c.replace(" ", "") == a.replace(" ", "")) for c, a in zip(completions, answer, strict=True)]


def greedy_accuracy(model_dir: str) -> float:
    """Share of all 100 problems the model answers exactly with greedy decoding."""
    from transformers import AutoModelForCausalLM

    tokenizer = load_tokenizer(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    batch = tokenizer([prompt_of(a, b) for a, b in PAIRS], return_tensors="pt", padding=True)
    with torch.no_grad():
        out = model.generate(**batch, max_new_tokens=3, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    texts = tokenizer.batch_decode(out[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)
    answers = [answer_of(a, b) for a, b in PAIRS]
    return sum(exact_answer_reward(texts, answers)) / len(PAIRS)


def sft_dataset(share: float, seed: int) -> Dataset:
    chosen = random.Random(seed).sample(PAIRS, int(share * len(PAIRS)))
    return Dataset.from_list([{"prompt": prompt_of(a, b), "completion": " " + answer_of(a, b)} for a, b in chosen])


def rl_dataset() -> Dataset:
    return Dataset.from_list([{"prompt": prompt_of(a, b), "answer": answer_of(a, b)} for a, b in PAIRS])


def _no_save() -> dict:
    return {"save_strategy": "no"}


def warm_start(work: Path, args) -> str:
    spec = TinyModelSpec(hidden_size=args.hidden, intermediate_size=2 * args.hidden)
    base = build_tiny_model(work / "base", spec=spec)
    config = TrainConfig(
        base_model=str(base), output_dir=str(work / "sft"), learning_rate=args.sft_lr,
        max_steps=args.sft_steps, batch_size=32, num_generations=1, seed=0,
        max_prompt_length=8, max_completion_length=4, extra=_no_save(),
    )
    result = train_sft(config, sft_dataset(args.sft_share, seed=0))
    log.info("SFT: %.1f s, greedy accuracy %.2f", result.train_runtime_s, greedy_accuracy(config.output_dir))
    return config.output_dir


def rl_run(sft_dir: str, work: Path, algo: str, lr: float, seed: int, args) -> dict:
    out = work / f"{algo}-lr{lr:g}-s{seed}"
    config = TrainConfig(
        base_model=sft_dir, output_dir=str(out), algo=algo, learning_rate=lr,
        max_steps=args.rl_steps, batch_size=args.batch_size, num_generations=args.generations,
        max_prompt_length=8, max_completion_length=3, temperature=1.0, seed=seed,
        extra={**_no_save(), "lr_scheduler_type": "constant"},
    )
    result = train_rl(config, rl_dataset(), [exact_answer_reward])
    steps = [h for h in result.log_history if "reward" in h]
    return {
        "algo": algo, "lr": lr, "seed": seed, "runtime_s": result.train_runtime_s,
        "reward": [h["reward"] for h in steps],
        "step_time_s": [h["step_time"] for h in steps],
        "pipo_overhead_s": [h.get("pipo/overhead_s", 0.0) for h in steps],
        "xis": (result.pipo_state or {}).get("xis", []),
        "greedy_accuracy": greedy_accuracy(str(out)),
        "tokens_seen": steps[-1].get("num_tokens", 0.0) if steps else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/trainer")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--lrs", type=float, nargs="+", default=[3e-4, 1e-3])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--sft-steps", type=int, default=70)
    parser.add_argument("--sft-lr", type=float, default=5e-3)
    parser.add_argument("--sft-share", type=float, default=1.0)
    parser.add_argument("--rl-steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sft_dir = warm_start(work, args)
        sft_accuracy = greedy_accuracy(sft_dir)
        runs = []
        for lr in args.lrs:
            for seed in range(args.seeds):
                for algo in ("grpo", "pipo"):
                    runs.append(rl_run(sft_dir, work, algo, lr, seed, args))
                    log.info("%s lr=%g seed=%d: final acc %.2f", algo, lr, seed, runs[-1]["greedy_accuracy"])
    payload = {
        "task": "single-digit addition, exact-answer reward", "args": vars(args),
        "sft_greedy_accuracy": sft_accuracy, "torch_threads": torch.get_num_threads(),
        "wall_s": time.perf_counter() - started, "runs": runs,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(payload, indent=1))
    log.info("wrote %s in %.0f s", out / "results.json", payload["wall_s"])


if __name__ == "__main__":
    main()
