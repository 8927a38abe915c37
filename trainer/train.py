"""SFT warm start and GRPO / PIPO reinforcement learning, on TRL.

``train_sft(config, dataset)`` and ``train_rl(config, dataset, reward_funcs)`` take
prepared datasets (the benchmark's toy task uses them directly); ``sft_from_data`` and
``rl_from_data`` build them from a ``polca train export`` file, only from problems on the
``train`` side of the split. The config is written as ``polca_train.json`` beside the
checkpoints; the final model and tokenizer are saved to ``output_dir``.

Models load with ``from_pretrained(base_model)``: a local folder, or a hub name where the
machine has access. ``lora=True`` trains a LoRA adapter (peft). ``use_vllm=True`` makes
TRL generate with vLLM, which needs the ``gpu`` extra: ``vllm_mode="colocate"`` inside the
trainer's processes, ``"server"`` through a ``trl vllm-serve`` server on other GPUs
(``polca train serve MODEL --for-rl`` prints its command).

Before any model loads, :func:`check_schedule` refuses a combination of data rows, batch
size, group size and steps that would train nothing (TRL drops incomplete prompt batches,
so a step needs whole batches of prompts) or would leave most of the data unseen, and says
which numbers to change.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

from polca.trainer.export import ProblemRow, loadable_rows, read_jsonl
from polca.trainer.pipo import LOSS_TYPES, LossType, PipoMode, PipoSettings
from polca.trainer.rewards import KernelReward, RewardConfig, domain_rewards

log = logging.getLogger(__name__)

Algo = Literal["grpo", "pipo"]
ALGOS: tuple[str, ...] = get_args(Algo)
ReportTo = Literal["none", "tensorboard", "wandb"]
REPORT_TO: tuple[str, ...] = get_args(ReportTo)
VllmMode = Literal["colocate", "server"]
VLLM_MODES: tuple[str, ...] = get_args(VllmMode)
CONFIG_FILE = "polca_train.json"
MIN_DATA_SEEN = 0.5  # the least share of the data rows a job's steps must reach


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
    loss_type: LossType = "dapo"
    report_to: ReportTo = "none"
    use_vllm: bool = False
    vllm_mode: VllmMode = "colocate"
    vllm_server_host: str = "127.0.0.1"
    vllm_server_port: int = 8000
    allow_pickle: bool = False
    pipo_window: int = 8
    pipo_lambda: float = 0.1
    pipo_mode: PipoMode = "added"
    save_steps: int = 50
    logging_steps: int = 1
    resume_from: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value, choices in (
            ("algo", self.algo, ALGOS), ("loss_type", self.loss_type, LOSS_TYPES),
            ("report_to", self.report_to, REPORT_TO), ("vllm_mode", self.vllm_mode, VLLM_MODES),
        ):
            if value not in choices:
                raise ValueError(f"{name} {value!r} is unknown; choose one of {', '.join(choices)}.")
        if self.num_generations < 1 or self.batch_size < 1:
            raise ValueError(
                f"batch_size and num_generations must be >= 1, got {self.batch_size} and {self.num_generations}."
            )
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
    steps: int = 0
    dropped_inputs: int = 0


def require_vllm() -> None:
    """Raise ImportError naming the ``gpu`` extra when vLLM is not installed."""
    if importlib.util.find_spec("vllm") is None:
        raise ImportError(
            "vLLM is not installed (needed by --use-vllm and `polca train serve`); it runs on "
            "CUDA machines: install it there with `pip install 'polca[gpu]'`."
        )


@dataclass(frozen=True)
class Schedule:
    """How a job's steps meet its data: rows, rows one step takes, optimizer steps.

    ``rows_per_step`` counts prompts (RL: completions / group size) or examples (SFT),
    over all processes and accumulation steps; ``whole_batches`` is True where TRL drops
    a batch that is not full (RL's prompt sampler), so ``rows < rows_per_step`` trains nothing.
    """

    kind: Literal["sft", "rl"]
    rows: int
    rows_per_step: int
    steps: int
    whole_batches: bool

    @property
    def rows_seen(self) -> int:
        """Distinct rows the steps reach (all of them once the steps cover an epoch)."""
        reach = self.steps * self.rows_per_step
        if self.whole_batches:
            per_epoch = self.rows - self.rows % self.rows_per_step
            return self.rows if reach >= per_epoch and self.rows_per_step <= self.rows else min(reach, per_epoch)
        return min(reach, self.rows)


def schedule_of(config: TrainConfig, kind: Literal["sft", "rl"], rows: int, processes: int | None = None) -> Schedule:
    """The schedule of ``config`` on ``rows`` data rows with ``processes`` (default: the
    launcher's ``WORLD_SIZE``, else 1) processes."""
    processes = processes or int(os.environ.get("WORLD_SIZE", "1"))
    accumulation = int(config.extra.get("gradient_accumulation_steps", 1))
    per_step = config.batch_size * processes * accumulation
    if kind == "rl":
        return Schedule("rl", rows, per_step // config.num_generations, config.max_steps, True)
    return Schedule("sft", rows, per_step, config.max_steps, bool(config.extra.get("dataloader_drop_last")))


def check_schedule(config: TrainConfig, kind: Literal["sft", "rl"], rows: int, processes: int | None = None,
                   what: str = "rows") -> Schedule:
    """Raise ValueError, naming the numbers to change, when the job would train nothing
    or see less than half of its ``rows``; return the schedule otherwise."""
    schedule = schedule_of(config, kind, rows, processes)
    if kind == "rl" and config.num_generations < 2:
        raise ValueError(
            f"--num-generations {config.num_generations}: GRPO compares completions within a group, so a "
            "group needs at least 2; use --num-generations 4 (or more)."
        )
    step = _step_words(config, schedule, processes)
    if schedule.whole_batches and rows < schedule.rows_per_step:
        raise ValueError(
            f"nothing would train: the data holds {rows} {what}, but one step takes {schedule.rows_per_step} "
            f"of them ({step}) and TRL drops an incomplete batch. {_smaller_batch(config, kind, rows, processes)}"
        )
    if schedule.rows_seen < MIN_DATA_SEEN * rows:
        needed = math.ceil(MIN_DATA_SEEN * rows / schedule.rows_per_step)
        raise ValueError(
            f"most of the data would be dropped: {config.max_steps} steps x {schedule.rows_per_step} "
            f"{what} a step ({step}) reach {schedule.rows_seen} of the {rows} {what}. Raise --max-steps to "
            f"{needed} or more (one pass over the data: {math.ceil(rows / schedule.rows_per_step)}), or "
            "raise --batch-size."
        )
    return schedule


def _smaller_batch(config: TrainConfig, kind: str, rows: int, processes: int | None) -> str:
    """The advice for data smaller than one step: the largest batch that fits, in whole groups."""
    sharing = (processes or int(os.environ.get("WORLD_SIZE", "1"))) * int(config.extra.get("gradient_accumulation_steps", 1))
    group = config.num_generations if kind == "rl" else 1
    largest = rows * group // sharing
    largest -= largest % group
    if largest < 1:
        return f"Even --batch-size {group} needs more: use fewer processes or accumulation steps, or add data."
    return f"Lower --batch-size to {largest} or less, or add data (export more problems)."


def _step_words(config: TrainConfig, schedule: Schedule, processes: int | None) -> str:
    processes = processes or int(os.environ.get("WORLD_SIZE", "1"))
    parts = [f"--batch-size {config.batch_size}"]
    if processes > 1:
        parts.append(f"x {processes} processes")
    accumulation = int(config.extra.get("gradient_accumulation_steps", 1))
    if accumulation > 1:
        parts.append(f"x {accumulation} accumulation steps")
    if schedule.kind == "rl":
        parts.append(f"/ --num-generations {config.num_generations}")
    return " ".join(parts)


def _require_report_backend(report_to: str) -> None:
    if report_to == "tensorboard" and not any(
        importlib.util.find_spec(name) for name in ("tensorboard", "tensorboardX")
    ):
        raise ImportError(
            "--report-to tensorboard needs tensorboard; install it with `pip install 'polca[train]'` "
            "(or `pip install tensorboard`)."
        )
    if report_to == "wandb" and importlib.util.find_spec("wandb") is None:
        raise ImportError("--report-to wandb needs wandb; install it with `pip install wandb` and log in.")


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
        "report_to": config.report_to,
        "use_cpu": _use_cpu(),
        "disable_tqdm": True,
        **config.extra,
    }


def _check_before_loading(config: TrainConfig, kind: Literal["sft", "rl"], dataset: Any, what: str) -> None:
    _require_train_extra()
    _require_report_backend(config.report_to)
    if hasattr(dataset, "__len__"):
        check_schedule(config, kind, len(dataset), what=what)


def grpo_args(config: TrainConfig) -> dict[str, Any]:
    """The ``trl.GRPOConfig`` keyword arguments of ``config`` (built without vLLM installed)."""
    args = {
        "num_generations": config.num_generations,
        "max_completion_length": config.max_completion_length,
        "temperature": config.temperature,
        "beta": config.beta,
        "loss_type": config.loss_type,
        "use_vllm": config.use_vllm,
        "vllm_mode": config.vllm_mode,
        **_common_args(config),
    }
    if config.use_vllm and config.vllm_mode == "server":
        args.update(vllm_server_host=config.vllm_server_host, vllm_server_port=config.vllm_server_port)
    return args


def train_sft(config: TrainConfig, dataset: Any) -> TrainResult:
    """Supervised fine-tuning on prompt/completion pairs (loss on completions only)."""
    _check_before_loading(config, "sft", dataset, "examples")
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
    _check_before_loading(config, "rl", dataset, "prompts")
    if config.use_vllm:
        require_vllm()
    from trl import GRPOConfig

    from polca.trainer.grpo import PipoGRPOTrainer

    _save_config(config, "rl")
    args = GRPOConfig(**grpo_args(config))
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
        steps=trainer.state.global_step,
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
    dataset = _dataset(sft_records(rows), "verified winners", data_path)
    check_schedule(config, "sft", len(dataset), what=f"verified winners of {data_path}'s train split")
    return train_sft(config, dataset)


def rl_from_data(config: TrainConfig, data_path: str, rewards: RewardConfig | None = None) -> TrainResult:
    """RL on a data file's train-split problems; pickled inputs only with ``config.allow_pickle``
    (otherwise dropped, counted in ``TrainResult.dropped_inputs``)."""
    rows, dropped = loadable_rows(read_jsonl(data_path), allow_pickle=config.allow_pickle)
    domains = sorted({row.domain for row in rows})
    if len(domains) != 1:
        raise ValueError(f"{data_path} mixes domains {domains}; export one domain per file.")
    dataset = _dataset(rl_records(rows), "problems with a check (see trainer.export)", data_path)
    check_schedule(config, "rl", len(dataset), what=f"train-split problems with a check in {data_path}")
    reward_funcs = domain_rewards(domains[0], rewards or RewardConfig(), allow_pickle=config.allow_pickle)
    _check_reward_devices(reward_funcs, rows)
    return replace(train_rl(config, dataset, reward_funcs), dropped_inputs=dropped)


def _check_reward_devices(reward_funcs: list, rows: list) -> None:
    """Resolve every kernel check's device now, so a run recorded on a GPU fails before the
    model loads on a machine without one, not at the first completion that holds code."""
    for reward in reward_funcs:
        if isinstance(reward, KernelReward):
            for device in {row.check.get("device") for row in rows if row.check}:
                reward.device_for({"device": device})
