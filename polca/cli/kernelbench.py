"""``polca kernelbench``: optimize and evaluate KernelBench CUDA kernels."""

from __future__ import annotations

from pathlib import Path

import typer

from polca.cli.common import not_available

kernelbench_app = typer.Typer(
    help="Optimize KernelBench problems with POLCA and score kernels with a hardened evaluator.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(kernelbench_app, name="kernelbench")


@kernelbench_app.command("run")
def run(
    level: int = typer.Option(1, "--level", help="KernelBench level (1-4)."),
    problems: str = typer.Option(None, "--problems", help="Problem ids, e.g. 1-10,17."),
    kernelbench_dir: Path = typer.Option(None, "--kernelbench-dir", help="A local KernelBench checkout."),
) -> None:
    """Search faster kernels for KernelBench problems on the GPUs at hand."""
    not_available("kernelbench run")


@kernelbench_app.command("eval")
def evaluate(
    solutions_dir: Path = typer.Argument(..., help="Folder of ModelNew solution files."),
) -> None:
    """Score existing kernel solutions: correctness, speedups, fast_p."""
    not_available("kernelbench eval")
