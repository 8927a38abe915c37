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
from typing import Literal, NoReturn

import typer

from polca.cli.common import DB_HELP, config_from_flags, console, err_console, fail, raise_verbosity

train_app = typer.Typer(
    help="Export found solutions, fine-tune a policy (SFT, GRPO, PIPO) and serve it back.",
    no_args_is_help=True,
)



ReportTo = Literal["none", "tensorboard", "wandb"]
REPORT_TO_HELP = "Where to log training metrics: none, tensorboard (OUTPUT_DIR/runs) or wandb."
ALLOW_PICKLE_HELP = ("Also use inputs only a pickle can carry; loading a pickle runs its author's code "
                     "(in the sandbox), so pass this only for data you trust.")


def _fail(exc: Exception) -> NoReturn:
    fail(str(exc))


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


@train_app.command("export")
def export(
    out: str = typer.Option(..., "--out", help="JSONL file to write (one row per problem)."),
    domain: str = typer.Option("program", "--domain", help="program or kernel."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    test_fraction: float = typer.Option(0.2, "--test-fraction", help="Share of problems held out."),
    min_score: float = typer.Option(1.1, "--min-score", help="Least mean score of a winner."),
    allow_pickle: bool = typer.Option(False, "--allow-pickle", help=ALLOW_PICKLE_HELP),
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


@train_app.command("sft")
def sft(
    base_model: str = typer.Option(..., "--base-model", help="Local folder or hub name."),
    data: str = typer.Option(..., "--data", help="File written by `polca train export`."),
    output_dir: str = typer.Option("polca-sft", "--output-dir", help="Checkpoints and final model."),
    learning_rate: float = typer.Option(2e-5, "--lr", help="Learning rate."),
    max_steps: int = typer.Option(100, "--max-steps", help="Optimizer steps."),
    batch_size: int = typer.Option(8, "--batch-size", help="Examples per step per device."),
    lora: bool = typer.Option(False, "--lora", help="Train a LoRA adapter instead of all weights."),
    seed: int = typer.Option(0, "--seed"),
    resume: str = typer.Option(None, "--resume", help="Checkpoint folder to resume from."),
    report_to: ReportTo = typer.Option("none", "--report-to", help=REPORT_TO_HELP),
    verbose: int = typer.Option(0, "-v", "--verbose", count=True),
) -> None:
    """Supervised warm start on the verified winners (train split only)."""
    from polca.trainer.train import sft_from_data

    raise_verbosity(verbose)
    config = _config(
        base_model=base_model, output_dir=str(output_dir), learning_rate=learning_rate,
        max_steps=max_steps, batch_size=batch_size, num_generations=1, lora=lora, seed=seed,
        resume_from=resume, report_to=report_to,
    )
    try:
        _report(sft_from_data(config, str(data)))
    except (ValueError, ImportError, OSError) as exc:
        _fail(exc)


@train_app.command("rl")
def rl(
    base_model: str = typer.Option(..., "--base-model", help="Local folder or hub name."),
    data: str = typer.Option(..., "--data", help="File written by `polca train export`."),
    algo: str = typer.Option("pipo", "--algo", help="grpo or pipo."),
    output_dir: str = typer.Option("polca-rl", "--output-dir", help="Checkpoints and final model."),
    learning_rate: float = typer.Option(1e-5, "--lr", help="Learning rate."),
    max_steps: int = typer.Option(100, "--max-steps", help="Optimizer steps."),
    batch_size: int = typer.Option(8, "--batch-size", help="Completions per step per device."),
    num_generations: int = typer.Option(4, "--num-generations", help="Group size G."),
    max_completion_length: int = typer.Option(256, "--max-completion-length"),
    pipo_mode: str = typer.Option("added", "--pipo-mode", help="added (default) or separate."),
    pipo_window: int = typer.Option(8, "--pipo-window", help="K, batches in the baseline window."),
    lora: bool = typer.Option(False, "--lora", help="Train a LoRA adapter instead of all weights."),
    loss_type: Literal["grpo", "dapo", "dr_grpo", "bnpo"] = typer.Option(
        "dapo", "--loss-type", help="TRL's loss: grpo, dapo (TRL's default), dr_grpo or bnpo; PIPO composes with each."),
    use_vllm: bool = typer.Option(False, "--use-vllm", help="Generate with vLLM (gpu extra)."),
    vllm_mode: Literal["colocate", "server"] = typer.Option(
        "colocate", "--vllm-mode",
        help="colocate: vLLM inside the trainer; server: a `trl vllm-serve` server (`polca train serve MODEL --for-rl`)."),
    vllm_host: str = typer.Option("127.0.0.1", "--vllm-host", help="Server mode: the generation server's host."),
    vllm_port: int = typer.Option(8000, "--vllm-port", help="Server mode: the generation server's port."),
    allow_pickle: bool = typer.Option(False, "--allow-pickle", help=ALLOW_PICKLE_HELP),
    seed: int = typer.Option(0, "--seed"),
    resume: str = typer.Option(None, "--resume", help="Checkpoint folder to resume from."),
    report_to: ReportTo = typer.Option("none", "--report-to", help=REPORT_TO_HELP),
    verbose: int = typer.Option(0, "-v", "--verbose", count=True),
) -> None:
    """RL with verifiable rewards: GRPO, or GRPO with PIPO's closed-loop term."""
    from polca.trainer.train import rl_from_data

    raise_verbosity(verbose)
    config = _config(
        base_model=base_model, output_dir=str(output_dir), algo=algo, learning_rate=learning_rate,
        max_steps=max_steps, batch_size=batch_size, num_generations=num_generations,
        max_completion_length=max_completion_length, pipo_mode=pipo_mode, pipo_window=pipo_window,
        lora=lora, loss_type=loss_type, use_vllm=use_vllm, vllm_mode=vllm_mode,
        vllm_server_host=vllm_host, vllm_server_port=vllm_port, allow_pickle=allow_pickle,
        seed=seed, resume_from=resume, report_to=report_to,
    )
    try:
        _report(rl_from_data(config, str(data)))
    except (ValueError, ImportError, OSError) as exc:
        _fail(exc)


@train_app.command("tiny")
def tiny(
    out: str = typer.Argument(..., help="New folder for the model and its tokenizer."),
    hidden: int = typer.Option(128, "--hidden", help="Hidden size (the default gives about 330k parameters)."),
    max_positions: int = typer.Option(2048, "--max-positions", help="Longest prompt + completion, in tokens."),
    seed: int = typer.Option(0, "--seed"),
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


@train_app.command("merge")
def merge(
    adapter: str = typer.Argument(..., help="A LoRA adapter folder written by `polca train sft|rl --lora`."),
    out: str = typer.Option(..., "--out", help="New folder for the merged model."),
    base: str = typer.Option(None, "--base", help="Base model (default: the one the adapter records)."),
) -> None:
    """Fold a LoRA adapter into its base model's weights (peft merge_and_unload)."""
    from polca.trainer.adapters import merge_adapter

    try:
        folder = merge_adapter(adapter, out, base)
    except (ValueError, ImportError, OSError) as exc:
        _fail(exc)
    console.print(f"merged {adapter} -> {folder}")


@train_app.command("serve")
def serve(
    checkpoint: str = typer.Argument(..., help="A folder written by `polca train sft|rl` (a model or a LoRA adapter)."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    name: str = typer.Option(None, "--name", help="Served model name (default: folder name)."),
    base: str = typer.Option(None, "--base", help="An adapter's base model (default: the one it records)."),
    for_rl: bool = typer.Option(False, "--for-rl",
                                help="Start TRL's generation server for `polca train rl --vllm-mode server` instead."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the command; start nothing."),
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
