"""``polca train``: distil the optimizer's verified winners into a policy model."""

from __future__ import annotations

import typer

from polca.cli.common import not_available

train_app = typer.Typer(
    help="Export found solutions, fine-tune a policy (SFT, GRPO, PIPO) and serve it back.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


@train_app.command("export")
def export() -> None:
    """Export prompts and verified winners from the store as JSONL."""
    not_available("train export")


@train_app.command("sft")
def sft() -> None:
    """Supervised warm start on the verified winners."""
    not_available("train sft")


@train_app.command("rl")
def rl() -> None:
    """RL with verifiable rewards (GRPO, or GRPO with PIPO)."""
    not_available("train rl")


@train_app.command("serve")
def serve() -> None:
    """Serve a trained checkpoint through an OpenAI-compatible server."""
    not_available("train serve")
