"""``polca train``: distil the optimizer's verified winners into a policy model.

The loop: ``polca optimize`` fills the store -> ``polca train export`` writes a dataset ->
``polca train sft`` / ``polca train rl`` fine-tune a policy (``--lora``: an adapter, which
``polca train merge`` folds into its base) -> ``polca train serve`` serves it and prints
the flags that point ``polca optimize`` at it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import typer

from polca.cli.common import (
    DB_HELP,
    Quiet,
    Verbose,
    config_from_flags,
    console,
    err_console,
    examples,
    fail,
)
from polca.runs import TrainableKind

train_app = typer.Typer(
    help="Export found solutions, fine-tune a policy (SFT, GRPO, PIPO) and serve it back.",
    epilog=examples(
        "polca train export --db runs.db --out data.jsonl",
        "polca train rl --base-model sft --data data.jsonl --out policy",
    ),
    no_args_is_help=True,
)

# polca.trainer.train.Algo and polca.trainer.pipo.PipoMode, which import torch: --help must
# not. A test keeps the copies equal.
Algo = Literal["grpo", "pipo"]
PipoMode = Literal["added", "separate"]

BaseModel = Annotated[str, typer.Option("--base-model", help="Local folder or hub name.")]
Data = Annotated[str, typer.Option("--data", help="File written by `polca train export`.")]
LearningRate = Annotated[float, typer.Option("--lr", help="Learning rate.")]
MaxSteps = Annotated[int, typer.Option("--max-steps", help="Optimizer steps.")]
Lora = Annotated[bool, typer.Option("--lora", help="Train a LoRA adapter instead of all weights.")]
Seed = Annotated[int, typer.Option("--seed", help="Seed of data order, sampling and initialisation.")]
Resume = Annotated[str | None, typer.Option("--resume", help="Checkpoint folder to resume from.")]


ReportTo = Literal["none", "tensorboard", "wandb"]
LossType = Literal["grpo", "dapo", "dr_grpo", "bnpo"]  # TRL 1.16's GRPOConfig.loss_type values PIPO composes with
VllmMode = Literal["colocate", "server"]
ReportToOption = Annotated[ReportTo, typer.Option(
    "--report-to", help="Where to log training metrics: none, tensorboard (OUT/runs) or wandb.")]
AllowPickle = Annotated[bool, typer.Option(
    "--allow-pickle", help="Also use inputs only a pickle can carry; loading a pickle runs its author's code "
                           "(in the sandbox), so pass this only for data you trust.")]


def _fail(exc: Exception) -> NoReturn:
    fail(str(exc))


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


@train_app.command("export", epilog=examples(
    "polca train export --out data.jsonl",
    "polca train export --db runs.db --domain kernel --out kernels.jsonl --min-score 1.5"))
def export(
    out: Annotated[str, typer.Option("--out", help="JSONL file to write (one row per problem).")],
    domain: Annotated[TrainableKind, typer.Option("--domain", help="Which runs to export.")] = "program",
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    test_fraction: Annotated[float, typer.Option("--test-fraction", help="Share of problems held out.")] = 0.2,
    min_score: Annotated[float, typer.Option("--min-score", help="Least mean score of a winner.")] = 1.1,
    allow_pickle: AllowPickle = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Export prompts, verified winners and every scored candidate from the store as JSONL.

    Inputs are written as safe data; those only a pickle can carry are dropped and counted
    unless --allow-pickle."""
    from polca.store import Store, StoreError
    from polca.trainer.export import export_rows, write_jsonl

    if not Path(out).parent.is_dir():
        fail(f"--out {out}: folder {Path(out).parent} does not exist; create it or pick another path")
    url = db or config_from_flags().store.url
    try:
        with Store.open(url, create=False) as store:
            rows = export_rows(store, domain, test_fraction=test_fraction, min_score=min_score,
                               allow_pickle=allow_pickle)
    except (StoreError, ValueError) as exc:
        _fail(exc)
    if not rows:
        recorder = "polca optimize" if domain == "program" else "polca kernelbench run"
        fail(f"no {domain} runs in the store {url}; nothing was written. `{recorder}` records them.")
    write_jsonl(rows, out)
    test = sum(row.split == "test" for row in rows)
    winners = sum(len(row.winners) for row in rows if row.split == "train")
    console.print(
        f"wrote {len(rows)} problems ({len(rows) - test} train, {test} test), "
        f"{winners} train winners -> {out}"
    )
    _report_pickles(rows, allow_pickle)


def _report_pickles(rows, allow_pickle: bool) -> None:
    dropped = sum(row.dropped_inputs for row in rows)
    kept = sum(len(row.check.get("pickled_inputs", [])) for row in rows)
    if dropped:
        problems = sum(row.dropped_inputs > 0 for row in rows)
        console.print(f"dropped {dropped} inputs of {problems} problems that only a pickle can carry "
                      "(--allow-pickle keeps them)")
    if kept and allow_pickle:
        console.print(f"kept {kept} pickled inputs (--allow-pickle); `polca train rl` loads them only "
                      "with --allow-pickle too")


def _config(**values):
    from polca.trainer.train import TrainConfig

    try:
        return TrainConfig(**values)
    except ValueError as exc:
        _fail(exc)


def _report(result) -> None:
    if result.dropped_inputs:
        console.print(f"dropped {result.dropped_inputs} pickled inputs of the data (--allow-pickle uses them)")
    console.print(f"trained {result.steps} steps in {result.train_runtime_s:.1f} s -> {result.output_dir}")
    if result.pipo_state is not None:
        xis = result.pipo_state["xis"]
        share = sum(x > 0 for x in xis) / len(xis) if xis else 0.0
        console.print(f"PIPO: {len(xis)} closed-loop steps, share with xi > 0: {share:.2f}")


@train_app.command("sft", epilog=examples(
    "polca train sft --base-model Qwen/Qwen2.5-Coder-0.5B-Instruct --data data.jsonl --out sft",
    "polca train sft --base-model ./base --data data.jsonl --out sft --lora --max-steps 200"))
def sft(
    base_model: BaseModel,
    data: Data,
    out: Annotated[str, typer.Option("--out", help="Folder for the checkpoints and the final model.")] = "polca-sft",
    learning_rate: LearningRate = 2e-5,
    max_steps: MaxSteps = 100,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Examples per step per device.")] = 8,
    lora: Lora = False,
    seed: Seed = 0,
    resume: Resume = None,
    report_to: ReportToOption = "none",
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Supervised warm start on the verified winners (train split only)."""
    from polca.trainer.train import sft_from_data

    config = _config(
        base_model=base_model, output_dir=str(out), learning_rate=learning_rate,
        max_steps=max_steps, batch_size=batch_size, num_generations=1, lora=lora, seed=seed,
        resume_from=resume, report_to=report_to,
    )
    try:
        _report(sft_from_data(config, str(data)))
    except (ValueError, ImportError, OSError) as exc:
        _fail(exc)


@train_app.command("rl", epilog=examples(
    "polca train rl --base-model sft --data data.jsonl --out policy",
    "polca train rl --base-model sft --data data.jsonl --algo grpo --out grpo --use-vllm"))
def rl(
    base_model: BaseModel,
    data: Data,
    algo: Annotated[Algo, typer.Option("--algo", help="grpo, or pipo: GRPO with PIPO's closed-loop term.")] = "pipo",
    out: Annotated[str, typer.Option("--out", help="Folder for the checkpoints and the final model.")] = "polca-rl",
    learning_rate: LearningRate = 1e-5,
    max_steps: MaxSteps = 100,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Completions per step per device.")] = 8,
    num_generations: Annotated[int, typer.Option("--num-generations", help="Group size G.")] = 4,
    max_completion_length: Annotated[int, typer.Option(
        "--max-completion-length", help="Most tokens per completion.")] = 256,
    pipo_mode: Annotated[PipoMode, typer.Option(
        "--pipo-mode", help="How PIPO's term joins the GRPO loss.")] = "added",
    pipo_window: Annotated[int, typer.Option("--pipo-window", help="K, batches in the baseline window.")] = 8,
    lora: Lora = False,
    loss_type: Annotated[LossType, typer.Option(
        "--loss-type", help="TRL's loss (dapo is TRL's default); PIPO composes with each.")] = "dapo",
    use_vllm: Annotated[bool, typer.Option("--use-vllm", help="Generate with vLLM (gpu extra).")] = False,
    vllm_mode: Annotated[VllmMode, typer.Option(
        "--vllm-mode", help="colocate: vLLM inside the trainer; server: a `trl vllm-serve` server "
                            "(`polca train serve MODEL --for-rl`).")] = "colocate",
    vllm_host: Annotated[str, typer.Option("--vllm-host", help="Server mode: the generation server's host.")] = "127.0.0.1",
    vllm_port: Annotated[int, typer.Option("--vllm-port", help="Server mode: the generation server's port.")] = 8000,
    allow_pickle: AllowPickle = False,
    device: Annotated[str | None, typer.Option(
        "--device", help="Kernel data: where rewards run the candidates' kernels (cpu, cuda, cuda:N); "
                         "default: the device each run was recorded on.")] = None,
    seed: Seed = 0,
    resume: Resume = None,
    report_to: ReportToOption = "none",
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """RL with verifiable rewards: GRPO, or GRPO with PIPO's closed-loop term."""
    from polca.trainer.rewards import RewardConfig
    from polca.trainer.train import rl_from_data

    config = _config(
        base_model=base_model, output_dir=str(out), algo=algo, learning_rate=learning_rate,
        max_steps=max_steps, batch_size=batch_size, num_generations=num_generations,
        max_completion_length=max_completion_length, pipo_mode=pipo_mode, pipo_window=pipo_window,
        lora=lora, loss_type=loss_type, use_vllm=use_vllm, vllm_mode=vllm_mode,
        vllm_server_host=vllm_host, vllm_server_port=vllm_port, allow_pickle=allow_pickle,
        seed=seed, resume_from=resume, report_to=report_to,
    )
    try:
        _report(rl_from_data(config, str(data), RewardConfig(device=device)))
    except (ValueError, ImportError, OSError) as exc:
        _fail(exc)


@train_app.command("tiny", epilog=examples("polca train tiny tiny-model"))
def tiny(
    out: Annotated[str, typer.Argument(help="New folder for the model and its tokenizer.")],
    hidden: Annotated[int, typer.Option("--hidden", help="Hidden size (the default gives about 330k parameters).")] = 128,
    max_positions: Annotated[int, typer.Option("--max-positions", help="Longest prompt + completion, in tokens.")] = 2048,
    seed: Seed = 0,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Write a tiny random Llama with a local tokenizer: try the whole loop on a CPU in minutes.

    Its vocabulary is digits and a few symbols (other words are <unk>): it trains, it does
    not learn to write code."""
    from polca.trainer.tiny import TinyModelSpec, build_tiny_model

    spec = TinyModelSpec(hidden_size=hidden, intermediate_size=2 * hidden, max_position_embeddings=max_positions,
                         seed=seed)
    try:
        folder = build_tiny_model(out, spec=spec)
    except (ValueError, ImportError, OSError) as exc:
        _fail(exc)
    console.print(f"tiny model -> {folder}")


@train_app.command("merge", epilog=examples("polca train merge policy --out policy-merged"))
def merge(
    adapter: Annotated[str, typer.Argument(help="A LoRA adapter folder written by `polca train sft|rl --lora`.")],
    out: Annotated[str, typer.Option("--out", help="New folder for the merged model.")],
    base: Annotated[str | None, typer.Option("--base", help="Base model (default: the one the adapter records).")] = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Fold a LoRA adapter into its base model's weights (peft merge_and_unload)."""
    from polca.trainer.adapters import merge_adapter

    try:
        folder = merge_adapter(adapter, out, base)
    except (ValueError, ImportError, OSError) as exc:
        _fail(exc)
    console.print(f"merged {adapter} -> {folder}")


@train_app.command("serve", epilog=examples(
    "polca train serve policy --port 8000", "polca train serve policy --dry-run",
    "polca train serve sft --for-rl --dry-run"))
def serve(
    checkpoint: Annotated[str, typer.Argument(help="A folder written by `polca train sft|rl` (a model or a LoRA adapter).")],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    name: Annotated[str | None, typer.Option("--name", help="Served model name (default: folder name).")] = None,
    base: Annotated[str | None, typer.Option("--base", help="An adapter's base model (default: the one it records).")] = None,
    for_rl: Annotated[bool, typer.Option(
        "--for-rl", help="Start TRL's generation server for `polca train rl --vllm-mode server` instead.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the command; start nothing.")] = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Serve a trained checkpoint through vLLM's OpenAI-compatible server (gpu extra)."""
    from polca.trainer.serve import (
        optimize_hint,
        rl_server_hint,
        served_name,
        trl_server_command,
        vllm_command,
    )
    from polca.trainer.train import require_vllm

    try:
        if for_rl:
            command = trl_server_command(checkpoint, host=host, port=port)
            hint = f"then train with it: polca train rl {rl_server_hint(checkpoint, host=host, port=port)} ..."
        else:
            command = vllm_command(checkpoint, host=host, port=port, name=name, base=base)
            hint_flags = optimize_hint(name or served_name(checkpoint), host=host, port=port)
            hint = f"then optimize with the policy: polca optimize FILE {hint_flags}"
    except ValueError as exc:
        _fail(exc)
    console.print(" ".join(command), highlight=False, soft_wrap=True)
    err_console.print(hint, highlight=False, soft_wrap=True)
    if dry_run:
        return
    try:
        require_vllm()
    except ImportError as exc:
        _fail(exc)
    raise typer.Exit(subprocess.call(command, env=os.environ.copy()))
