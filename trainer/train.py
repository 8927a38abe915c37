"""SFT warm start and GRPO / PIPO reinforcement learning, on TRL.

``train_sft(config, dataset)`` and ``train_rl(config, dataset, reward_funcs)`` take
prepared datasets (the benchmark's toy task uses them directly); ``sft_from_data`` and
``rl_from_data`` build them from a ``polca train export`` file, only from problems on the
``train`` side of the split. The config is written as ``polca_train.json`` beside the
checkpoints; the final model and tokenizer are saved to ``output_dir``.

Models load with ``from_pretrained(base_model)``: a local folder, or a hub name where the
machine has access. ``lora=True`` trains a LoRA adapter (peft). ``use_vllm=True`` makes
TRL generate with vLLM (colocated), which needs the ``gpu`` extra.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from polca.trainer.export import ProblemRow, read_jsonl
from polca.trainer.pipo import PipoMode, PipoSettings
from polca.trainer.rewards import RewardConfig, domain_rewards

log = logging.getLogger(__name__)

Algo = Literal["grpo", "pipo"]
ALGOS: tuple[str, ...] = ("grpo", "pipo")
CONFIG_FILE = "polca_train.json"


@dataclass(frozen=True)
class TrainConfig:
    """One training job. ``max_steps`` counts optimizer steps; ``seed`` fixes everything."""

    base_model: str
    output_dir: str
    algo: Algo = "pipo"
    learning_rate: float = 1e-5
    max_steps: int = 100
    batch_size: int = 8
    num_generations: int = 4
    max_prompt_length: int = 1024
    max_completion_length: int = 256
    temperature: float = 1.0
    beta: float = 0.0
    seed: int = 0
    lora: bool = False
    lora_rank: int = 16
    use_vllm: bool = False
    pipo_window: int = 8
    pipo_lambda: float = 0.1
    pipo_mode: PipoMode = "added"
    save_steps: int = 50
    logging_steps: int = 1
    resume_from: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.algo not in ALGOS:
            raise ValueError(f"algo {self.algo!r} is unknown; choose one of {', '.join(ALGOS)}.")
        if self.batch_size % self.num_generations:
            raise ValueError(
                f"batch_size={self.batch_size} must be a multiple of num_generations="
                f"{self.num_generations} (whole groups per batch); e.g. batch_size=8, num_generations=4."
            )
        if self.max_steps < 1 or self.learning_rate <= 0:
            raise ValueError(
                f"max_steps must be >= 1 and learning_rate > 0, got {self.max_steps} and "
                f"{self.learning_rate}."
            )

    def pipo(self) -> PipoSettings | None:
        if self.algo != "pipo":
            return None
        return PipoSettings(self.pipo_window, self.pipo_lambda, self.pipo_mode)


@dataclass(frozen=True)
class TrainResult:
    """Where the model went, TRL's log history, wall time and (PIPO) the final window."""

    output_dir: str
    log_history: list[dict[str, Any]]
    train_runtime_s: float
    pipo_state: dict[str, Any] | None = None


def require_vllm() -> None:
    """Raise ImportError naming the ``gpu`` extra when vLLM is not installed."""
    if importlib.util.find_spec("vllm") is None:
        raise ImportError(
            "vLLM is not installed (needed by --use-vllm and `polca train serve`); it runs on "
            "CUDA machines: install it there with `pip install 'polca[gpu]'`."
        )


def _require_train_extra() -> None:
    if importlib.util.find_spec("trl") is None or importlib.util.find_spec("transformers") is None:
        raise ImportError(
            "training needs the `train` extra (transformers, trl, peft, accelerate); install it "
            "with `pip install 'polca[train]'`."
        )


def _use_cpu() -> bool:
    import torch

    return not torch.cuda.is_available()


def _save_config(config: TrainConfig, kind: str) -> None:
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / CONFIG_FILE).write_text(json.dumps({"kind": kind, **asdict(config)}, indent=2))


def load_config(output_dir: str | Path) -> dict[str, Any]:
    """The ``polca_train.json`` saved beside a training job's checkpoints."""
    path = Path(output_dir) / CONFIG_FILE
    if not path.is_file():
        raise ValueError(f"{path} does not exist; {output_dir} is not a `polca train` output folder.")
    return json.loads(path.read_text())


def load_tokenizer(base_model: str):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _peft_config(config: TrainConfig):
    if not config.lora:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_rank,
        lora_alpha=2 * config.lora_rank,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )


def _common_args(config: TrainConfig) -> dict[str, Any]:
    return {
        "output_dir": config.output_dir,
        "learning_rate": config.learning_rate,
        "max_steps": config.max_steps,
        "per_device_train_batch_size": config.batch_size,
        "seed": config.seed,
        "logging_steps": config.logging_steps,
        "save_steps": config.save_steps,
        "report_to": "none",
        "use_cpu": _use_cpu(),
        "disable_tqdm": True,
        **config.extra,
    }


def train_sft(config: TrainConfig, dataset: Any) -> TrainResult:
    """Supervised fine-tuning on prompt/completion pairs (loss on completions only)."""
    _require_train_extra()
    from trl import SFTConfig, SFTTrainer

    _save_config(config, "sft")
    args = SFTConfig(max_length=config.max_prompt_length + config.max_completion_length, **_common_args(config))
    trainer = SFTTrainer(
        model=config.base_model,
        args=args,
        train_dataset=dataset,
        processing_class=load_tokenizer(config.base_model),
        peft_config=_peft_config(config),
    )
    return _run(trainer, config, pipo=False)


def train_rl(config: TrainConfig, dataset: Any, reward_funcs: Sequence[Callable[..., Any]]) -> TrainResult:
    """GRPO, or GRPO with PIPO (``config.algo``), on prompts with verifiable rewards."""
    _require_train_extra()
    if config.use_vllm:
        require_vllm()
    from polca.trainer.grpo import PipoGRPOTrainer
    from trl import GRPOConfig

    _save_config(config, "rl")
    args = GRPOConfig(
        num_generations=config.num_generations,
        max_completion_length=config.max_completion_length,
        temperature=config.temperature,
        beta=config.beta,
        use_vllm=config.use_vllm,
        vllm_mode="colocate",
        **_common_args(config),
    )
    trainer = PipoGRPOTrainer(
        model=config.base_model,
        reward_funcs=list(reward_funcs),
        args=args,
        train_dataset=dataset,
        processing_class=load_tokenizer(config.base_model),
        peft_config=_peft_config(config),
        pipo=config.pipo(),
    )
    return _run(trainer, config, pipo=config.algo == "pipo")


def _run(trainer: Any, config: TrainConfig, *, pipo: bool) -> TrainResult:
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=config.resume_from)
    runtime_s = time.perf_counter() - started
    trainer.save_model(config.output_dir)
    trainer.processing_class.save_pretrained(config.output_dir)
    log.info("trained %d steps in %.1f s -> %s", trainer.state.global_step, runtime_s, config.output_dir)
    return TrainResult(
        output_dir=config.output_dir,
        log_history=list(trainer.state.log_history),
        train_runtime_s=runtime_s,
        pipo_state=trainer.pipo_state() if pipo else None,
    )


def sft_records(rows: Sequence[ProblemRow]) -> list[dict[str, str]]:
    """Prompt/completion pairs: every verified winner of every train-split problem."""
    return [
        {"prompt": row.prompt, "completion": f"```python\n{winner.code.rstrip()}\n```"}
        for row in rows
        if row.split == "train"
        for winner in row.winners
    ]


def rl_records(rows: Sequence[ProblemRow]) -> list[dict[str, str]]:
    """One prompt per train-split problem that has a check (what rewards re-verify with)."""
    return [
        {"prompt": row.prompt, "code": row.code, "check": json.dumps(row.check), "problem_id": row.problem_id}
        for row in rows
        if row.split == "train" and row.check
    ]


def _dataset(records: list[dict[str, str]], what: str, data_path: str):
    from datasets import Dataset

    if not records:
        raise ValueError(
            f"{data_path} holds no {what} on the train split; export more runs (or lower "
            "--min-score in `polca train export`)."
        )
    return Dataset.from_list(records)


def sft_from_data(config: TrainConfig, data_path: str) -> TrainResult:
    rows = read_jsonl(data_path)
    return train_sft(config, _dataset(sft_records(rows), "verified winners", data_path))


def rl_from_data(config: TrainConfig, data_path: str, rewards: RewardConfig | None = None) -> TrainResult:
    rows = read_jsonl(data_path)
    domains = sorted({row.domain for row in rows})
    if len(domains) != 1:
        raise ValueError(f"{data_path} mixes domains {domains}; export one domain per file.")
    dataset = _dataset(rl_records(rows), "problems with a check (see trainer.export)", data_path)
    return train_rl(config, dataset, domain_rewards(domains[0], rewards or RewardConfig()))
