"""Serve a trained policy back to the optimizer through vLLM's OpenAI-compatible server.

``vllm_command`` builds the server's command line and ``optimize_hint`` the flags to pass
to ``polca optimize`` so that it proposes with the served policy. A full model folder is
served as it is; a LoRA adapter (``--lora``) is served on top of its base with vLLM's LoRA
support (``--enable-lora --lora-modules NAME=ADAPTER``), and requests name the adapter.
``trl_server_command`` builds the generation server that ``polca train rl --use-vllm
--vllm-mode server`` talks to (TRL's ``trl vllm-serve``, on GPUs the trainer does not use).
Starting a server needs the ``gpu`` extra (vLLM); building the commands does not.
"""

from __future__ import annotations

from pathlib import Path

from polca.trainer.adapters import adapter_base, adapter_config, is_adapter

# vLLM accepts these values of --max-lora-rank; an adapter needs one at least its rank.
VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)


def served_name(checkpoint: str | Path) -> str:
    """The model name the server announces: the checkpoint folder's name."""
    return Path(checkpoint).resolve().name or "policy"


def vllm_command(
    checkpoint: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    name: str | None = None,
    base: str | None = None,
    extra_args: tuple[str, ...] = (),
) -> list[str]:
    """``vllm serve CHECKPOINT ...`` for a model folder, or ``vllm serve BASE --enable-lora
    --lora-modules NAME=CHECKPOINT ...`` for an adapter (``base`` defaults to the one its
    config records)."""
    path = Path(checkpoint)
    _check_port(port)
    name = name or served_name(path)
    if is_adapter(path):
        return _adapter_command(path, host=host, port=port, name=name, base=base, extra_args=extra_args)
    _check_model_folder(path)
    return [
        "vllm", "serve", str(path),
        "--host", host,
        "--port", str(port),
        "--served-model-name", name,
        *extra_args,
    ]


def _adapter_command(path: Path, *, host: str, port: int, name: str, base: str | None,
                     extra_args: tuple[str, ...]) -> list[str]:
    base = base or adapter_base(path)
    if base is None:
        raise ValueError(f"{path} is a LoRA adapter whose config names no base model; pass --base.")
    rank = int(adapter_config(path).get("r", 16))
    limit = next((r for r in VLLM_LORA_RANKS if r >= rank), None)
    if limit is None:
        raise ValueError(f"{path} has LoRA rank {rank}; vLLM serves ranks up to {VLLM_LORA_RANKS[-1]}: "
                         "merge it first (`polca train merge`).")
    return [
        "vllm", "serve", base,
        "--host", host,
        "--port", str(port),
        "--enable-lora",
        "--lora-modules", f"{name}={path}",
        "--max-lora-rank", str(limit),
        *extra_args,
    ]


def trl_server_command(
    model: str | Path, *, host: str = "127.0.0.1", port: int = 8000, tensor_parallel_size: int = 1,
) -> list[str]:
    """``trl vllm-serve --model MODEL ...``: the generation server of RL's server mode."""
    _check_port(port)
    if is_adapter(model):
        raise ValueError(f"{model} is a LoRA adapter; TRL's generation server loads a full model: "
                         "merge it first (`polca train merge`), or pass its base model.")
    if Path(model).exists():
        _check_model_folder(Path(model))
    if tensor_parallel_size < 1:
        raise ValueError(f"tensor_parallel_size must be >= 1, got {tensor_parallel_size}.")
    return [
        "trl", "vllm-serve",
        "--model", str(model),
        "--host", host,
        "--port", str(port),
        "--tensor-parallel-size", str(tensor_parallel_size),
    ]


def _check_model_folder(path: Path) -> None:
    if not (path / "config.json").is_file():
        raise ValueError(
            f"{path} holds no config.json; pass a folder written by `polca train sft|rl` "
            "(its output dir or one of its checkpoint-N folders), or a LoRA adapter folder."
        )


def _check_port(port: int) -> None:
    if not 0 < port < 65536:
        raise ValueError(f"port must be in 1..65535, got {port}.")


def optimize_hint(name: str, *, host: str = "127.0.0.1", port: int = 8000) -> str:
    """The ``polca optimize`` flags that point the proposer at the served policy."""
    return f"--model hosted_vllm/{name} --api-base http://{host}:{port}/v1"


def rl_server_hint(model: str, *, host: str = "127.0.0.1", port: int = 8000) -> str:
    """The ``polca train rl`` flags that generate through the served model."""
    return (f"--base-model {model} --use-vllm --vllm-mode server --vllm-host {host} "
            f"--vllm-port {port}")
