"""Serve a trained policy back to the optimizer through vLLM's OpenAI-compatible server.

``vllm_command`` builds the server's command line and ``optimize_hint`` the flags to pass
to ``polca optimize`` so that it proposes with the served policy. Starting the server
needs the ``gpu`` extra (vLLM); building the command does not.
"""

from __future__ import annotations

from pathlib import Path


def served_name(checkpoint: str | Path) -> str:
    """The model name the server announces: the checkpoint folder's name."""
    return Path(checkpoint).resolve().name or "policy"


def vllm_command(
    checkpoint: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    name: str | None = None,
    extra_args: tuple[str, ...] = (),
) -> list[str]:
    """``vllm serve CHECKPOINT --host H --port P --served-model-name NAME ...``."""
    path = Path(checkpoint)
    if not (path / "config.json").is_file():
        raise ValueError(
            f"{path} holds no config.json; pass a folder written by `polca train sft|rl` "
            "(its output dir or one of its checkpoint-N folders)."
        )
    if not 0 < port < 65536:
        raise ValueError(f"port must be in 1..65535, got {port}.")
    return [
        "vllm", "serve", str(path),
        "--host", host,
        "--port", str(port),
        "--served-model-name", name or served_name(path),
        *extra_args,
    ]


def optimize_hint(name: str, *, host: str = "127.0.0.1", port: int = 8000) -> str:
    """The ``polca optimize`` flags that point the proposer at the served policy."""
    return f"--model hosted_vllm/{name} --api-base http://{host}:{port}/v1"
