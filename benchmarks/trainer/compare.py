"""GRPO against PIPO at equal compute: two tasks, two learning rates, three seeds, CPU.

Tasks, each from an SFT warm start shared by both algorithms:

- ``toy``: single-digit addition (``run_benchmark.py``'s task), exact-answer reward;
- ``program``: one problem of the program domain's own exported data. The script runs
  ``polca optimize`` on ``examples/dedup_ids.py`` (offline: executable skills) into a fresh
  store, exports it with ``polca train export``, and trains on that row with the reward
  ``polca train rl`` uses (``ProgramReward``: the sandbox re-checks the completion against
  the original on the exported inputs, then measures the speedup, capped at 10). The tiny
  policy writes code line by line: its vocabulary is the lines of the problem's prompt,
  original and candidates. Rewards are cached by completion text (shared by every run),
  so both algorithms see the same reward for the same code and the sandbox runs once each.

Compute is matched two ways from the same runs. GRPO runs ``--grpo-extra`` more steps
than PIPO; "equal tokens" reads both at PIPO's last step (same batches, the same
generated tokens), "equal compute" reads GRPO at the step where its cumulative CPU time
(process time of TRL's training steps, one torch thread) reaches PIPO's total.

    nice python benchmarks/trainer/compare.py --out benchmarks/trainer/compare.json [--resume]
    python benchmarks/trainer/compare.py --report benchmarks/trainer/compare.json

The results file is rewritten after every run; ``--resume`` keeps its runs and does only
the missing ones.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import overhead  # noqa: F401  (times each training step in process CPU time: overhead.CPU_TIMES)
import torch
from datasets import Dataset
from run_benchmark import exact_answer_reward, rl_dataset, warm_start

from polca.trainer.export import read_jsonl
from polca.trainer.rewards import ProgramReward, RewardConfig, completion_text
from polca.trainer.tiny import TinyModelSpec
from polca.trainer.train import TrainConfig, train_rl, train_sft

log = logging.getLogger("benchmarks.trainer.compare")

ROOT = Path(__file__).resolve().parents[2]
TAIL = 10
SPECIAL = ("<pad>", "<unk>", "<s>", "</s>")


# ---------------------------------------------------------------- the program task


def export_program_task(work: Path, out: Path) -> Path:
    """``polca optimize`` on dedup_ids.py into a fresh store, then ``polca train export``."""
    source = work / "dedup_ids.py"
    shutil.copyfile(ROOT / "examples" / "dedup_ids.py", source)
    db, data = work / "runs.db", out / "program_task.jsonl"
    polca = [sys.executable, "-m", "polca"]
    subprocess.run([*polca, "optimize", str(source), "--db", str(db), "--budget-evals", "12"],
                   check=True, capture_output=True, text=True, cwd=work)
    subprocess.run([*polca, "train", "export", "--db", str(db), "--out", str(data), "--test-fraction", "0"],
                   check=True, capture_output=True, text=True, cwd=work)
    return data


def lines_of(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def line_tokenizer(texts: list[str]):
    """Word-level tokenizer whose words are whole lines (newline kept), joined back as-is."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = dict.fromkeys([*SPECIAL, *(line for text in texts for line in lines_of(text))])
    core = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[^\n]*\n|[^\n]+"), behavior="isolated")
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", unk_token="<unk>",
                                   bos_token="<s>", eos_token="</s>", padding_side="left")


def program_model(work: Path, row, spec: TinyModelSpec) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    texts = [row.prompt + "\n", row.code, *(c.code for c in row.candidates)]
    tokenizer = line_tokenizer(texts)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=spec.hidden_size, intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_hidden_layers, num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_attention_heads, max_position_embeddings=spec.max_position_embeddings,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=True,
    )
    torch.manual_seed(spec.seed)
    folder = work / "program-base"
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def sft_completions(row, count: int, seed: int) -> list[str]:
    """A partly competent policy's examples: mostly the original, some of the winner, and
    variants with one line dropped (most of them wrong)."""
    rng = random.Random(seed)
    original, winner = row.code, row.winners[0].code
    examples = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.15:
            examples.append(winner)
        elif draw < 0.65:
            examples.append(original)
        else:
            lines = lines_of(rng.choice([original, winner]))
            del lines[rng.randrange(1, len(lines))]
            examples.append("".join(lines))
    return examples


class CachedReward:
    """``ProgramReward`` memoised by completion text (the sandbox runs once per text)."""

    __name__ = "program_reward"

    def __init__(self, reward: ProgramReward, cache: dict[str, float]) -> None:
        self.reward, self.cache = reward, cache

    def __call__(self, completions, code, check, **_) -> list[float]:
        texts = [completion_text(c) for c in completions]
        fresh = sorted({t for t in texts if t not in self.cache})
        if fresh:
            index = {t: i for i, t in enumerate(texts)}
            scores = self.reward([texts[index[t]] for t in fresh], [code[index[t]] for t in fresh],
                                 [check[index[t]] for t in fresh])
            self.cache.update(zip(fresh, scores, strict=True))
        return [self.cache[t] for t in texts]


def program_setup(work: Path, out: Path, args, cache: dict[str, float]) -> dict:
    data = export_program_task(work, out)
    (row,) = read_jsonl(data)
    spec = TinyModelSpec(hidden_size=args.hidden, intermediate_size=2 * args.hidden, max_position_embeddings=128)
    base = program_model(work, row, spec)
    prompt = row.prompt + "\n"
    pairs = Dataset.from_list([{"prompt": prompt, "completion": c}
                               for c in sft_completions(row, args.program_sft_rows, seed=0)])
    sft = TrainConfig(base_model=str(base), output_dir=str(work / "program-sft"), learning_rate=args.sft_lr,
                      max_steps=args.program_sft_steps, batch_size=16, num_generations=1, seed=0,
                      max_prompt_length=64, max_completion_length=16, extra={"save_strategy": "no"})
    train_sft(sft, pairs)
    item = {"prompt": prompt, "code": row.code, "check": json.dumps(row.check)}
    reward = ProgramReward(RewardConfig(max_workers=2, timeout_s=20.0, measure_rounds=3, min_sample_s=0.002))
    # One problem: each step's prompts are copies of it, as many as the longest run uses.
    copies = round(args.program_steps * args.grpo_extra) * args.program_batch // args.generations
    return {"model": sft.output_dir, "dataset": Dataset.from_list([item] * copies), "reward": CachedReward(reward, cache),
            "completion": 16, "batch_size": args.program_batch, "problem_id": row.problem_id}


# ---------------------------------------------------------------- runs


def one_run(task: dict, algo: str, lr: float, seed: int, steps: int, out: Path, args) -> dict:
    config = TrainConfig(
        base_model=task["model"], output_dir=str(out), algo=algo, learning_rate=lr, max_steps=steps,
        batch_size=task["batch_size"], num_generations=args.generations, max_prompt_length=64,
        max_completion_length=task["completion"], temperature=1.0, seed=seed,
        extra={"save_strategy": "no", "lr_scheduler_type": "constant"},
    )
    overhead.CPU_TIMES.clear()
    started = time.perf_counter()
    result = train_rl(config, task["dataset"], [task["reward"]])
    steps_logged = [h for h in result.log_history if "reward" in h]
    return {
        "algo": algo, "lr": lr, "seed": seed, "wall_s": time.perf_counter() - started,
        "reward": [h["reward"] for h in steps_logged],
        "step_cpu_s": list(overhead.CPU_TIMES),
        "step_time_s": [h["step_time"] for h in steps_logged],
        "tokens": [h.get("num_tokens", 0.0) for h in steps_logged],
        "xis": (result.pipo_state or {}).get("xis", []),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/trainer/compare.json")
    parser.add_argument("--report", help="Only print the tables of this results file.")
    parser.add_argument("--resume", action="store_true", help="Keep the runs already in --out; do the rest.")
    parser.add_argument("--tasks", nargs="+", default=["toy", "program"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--toy-lrs", type=float, nargs="+", default=[3e-4, 1e-3])
    parser.add_argument("--program-lrs", type=float, nargs="+", default=[1e-3, 3e-3])
    parser.add_argument("--toy-steps", type=int, default=80)
    parser.add_argument("--program-steps", type=int, default=30)
    parser.add_argument("--grpo-extra", type=float, default=1.3, help="GRPO's steps as a multiple of PIPO's.")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--sft-steps", type=int, default=70)
    parser.add_argument("--sft-lr", type=float, default=5e-3)
    parser.add_argument("--sft-share", type=float, default=1.0)
    parser.add_argument("--program-sft-rows", type=int, default=64)
    parser.add_argument("--program-sft-steps", type=int, default=40)
    parser.add_argument("--program-batch", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.report:
        print(tables(json.loads(Path(args.report).read_text())))
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    out_file = Path(args.out).resolve()
    started = time.perf_counter()
    payload: dict = {"args": vars(args), "runs": [], "reward_cache": {}, "complete": False}
    if args.resume and out_file.exists():
        payload = {**json.loads(out_file.read_text()), "args": vars(args), "complete": False}
        payload["wall_before_s"] = payload.get("wall_s", 0.0)
    done = {(r["task"], r["algo"], r["lr"], r["seed"]) for r in payload["runs"]}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in args.tasks:
            lrs = args.toy_lrs if name == "toy" else args.program_lrs
            wanted = {(name, algo, lr, seed) for lr in lrs for seed in range(args.seeds) for algo in ("pipo", "grpo")}
            if wanted <= done:
                continue
            if name == "toy":
                task = {"model": warm_start(work, args), "dataset": rl_dataset(), "reward": exact_answer_reward,
                        "completion": 3, "batch_size": args.batch_size}
                lrs, steps = args.toy_lrs, args.toy_steps
            else:
                task = program_setup(work, out_file.parent, args, payload["reward_cache"])
                payload["program_problem"] = task["problem_id"]
                lrs, steps = args.program_lrs, args.program_steps
            for lr in lrs:
                for seed in range(args.seeds):
                    for algo, count in (("pipo", steps), ("grpo", round(steps * args.grpo_extra))):
                        if (name, algo, lr, seed) in done:
                            continue
                        run = one_run(task, algo, lr, seed, count, work / f"{name}-{algo}-{lr:g}-{seed}", args)
                        payload["runs"].append({"task": name, **run})
                        payload["wall_s"] = payload.get("wall_before_s", 0.0) + time.perf_counter() - started
                        out_file.write_text(json.dumps(payload, separators=(",", ":")))  # what it got so far
                        log.info("%s %s lr=%g seed=%d: last-%d reward %.3f (%.0f s so far)", name, algo, lr,
                                 seed, TAIL, statistics.fmean(run["reward"][-TAIL:]), payload["wall_s"])
    payload["complete"] = True
    out_file.write_text(json.dumps(payload, separators=(",", ":")))
    print(tables(payload))


# ---------------------------------------------------------------- the tables


def moving_average(values: list[float], width: int = TAIL) -> list[float]:
    return [statistics.fmean(values[max(0, i - width + 1): i + 1]) for i in range(len(values))]


def budget_step(grpo: dict, pipo: dict, how: str) -> int:
    """How many GRPO steps fit PIPO's budget: its steps, or its cumulative CPU time."""
    steps = len(pipo["reward"])
    if how == "tokens":
        return steps
    spent, total = 0.0, sum(pipo["step_cpu_s"][:steps])
    for index, cpu in enumerate(grpo["step_cpu_s"]):
        spent += cpu
        if spent >= total:
            return index + 1
    return len(grpo["step_cpu_s"])


def at_budget(rewards: list[float], steps: int) -> dict:
    kept = rewards[:steps]
    smooth = moving_average(kept)
    return {"final": statistics.fmean(kept[-TAIL:]), "drop": max(smooth) - smooth[-1], "auc": statistics.fmean(kept)}


def summarise(payload: dict) -> list[dict]:
    rows = []
    runs = payload["runs"]
    for task in dict.fromkeys(r["task"] for r in runs):
        for lr in dict.fromkeys(r["lr"] for r in runs if r["task"] == task):
            pairs = []
            for seed in sorted({r["seed"] for r in runs if r["task"] == task and r["lr"] == lr}):
                pick = {r["algo"]: r for r in runs if (r["task"], r["lr"], r["seed"]) == (task, lr, seed)}
                if {"grpo", "pipo"} <= set(pick):
                    pairs.append((pick["grpo"], pick["pipo"]))
            if not pairs:
                continue
            for how in ("tokens", "compute"):
                grpo = [at_budget(g["reward"], budget_step(g, p, how)) for g, p in pairs]
                pipo = [at_budget(p["reward"], len(p["reward"])) for _, p in pairs]
                capped = how == "compute" and any(
                    sum(g["step_cpu_s"]) < sum(p["step_cpu_s"][: len(p["reward"])]) for g, p in pairs)
                rows.append({
                    "task": task, "lr": lr, "budget": how, "seeds": len(pairs), "grpo_capped": capped,
                    "grpo_steps": statistics.fmean(budget_step(g, p, how) for g, p in pairs),
                    "pipo_steps": statistics.fmean(len(p["reward"]) for _, p in pairs),
                    "grpo_final": [x["final"] for x in grpo], "pipo_final": [x["final"] for x in pipo],
                    "grpo_drop": max(x["drop"] for x in grpo), "pipo_drop": max(x["drop"] for x in pipo),
                    "grpo_auc": statistics.fmean(x["auc"] for x in grpo),
                    "pipo_auc": statistics.fmean(x["auc"] for x in pipo),
                    "pipo_wins": sum(p["final"] > g["final"] for g, p in zip(grpo, pipo, strict=True)),
                    "grpo_step_cpu_s": statistics.median(t for g, _ in pairs for t in g["step_cpu_s"][1:]),
                    "pipo_step_cpu_s": statistics.median(t for _, p in pairs for t in p["step_cpu_s"][1:]),
                })
    return rows


def _mean_sd(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.3f} ± {sd:.3f}"


def tables(payload: dict) -> str:
    lines = [
        "| task | lr | budget | GRPO steps | PIPO steps | GRPO final reward | PIPO final reward | "
        "PIPO better (seeds) | GRPO worst-seed drop | PIPO worst-seed drop | GRPO AUC | PIPO AUC | "
        "step CPU time GRPO / PIPO |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in summarise(payload):
        lines.append(
            f"| {r['task']} | {r['lr']:g} | equal {r['budget']} | {r['grpo_steps']:.0f}{' (all it ran)' if r['grpo_capped'] else ''} | "
            f"{r['pipo_steps']:.0f} | "
            f"{_mean_sd(r['grpo_final'])} | {_mean_sd(r['pipo_final'])} | {r['pipo_wins']}/{r['seeds']} | "
            f"{r['grpo_drop']:.3f} | {r['pipo_drop']:.3f} | {r['grpo_auc']:.3f} | {r['pipo_auc']:.3f} | "
            f"{1000 * r['grpo_step_cpu_s']:.0f} / {1000 * r['pipo_step_cpu_s']:.0f} ms |"
        )
    if any(r["grpo_capped"] for r in summarise(payload)):
        lines.append("\n(all it ran): on some seeds GRPO's whole run cost less CPU time than PIPO's, so GRPO is read "
                     "at its last step, short of equal compute.")
    if not payload.get("complete"):
        lines.append(f"\nIncomplete: {len(payload['runs'])} runs recorded.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
