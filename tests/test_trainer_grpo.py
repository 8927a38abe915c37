"""SFT, GRPO and PIPO end to end on a tiny random Llama with a local tokenizer (CPU)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("trl")

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from polca.trainer.grpo import PIPO_STATE_FILE, PipoGRPOTrainer  # noqa: E402
from polca.trainer.pipo import PipoSettings  # noqa: E402
from polca.trainer.tiny import build_tiny_model  # noqa: E402
from polca.trainer.train import (  # noqa: E402
    CONFIG_FILE,
    TrainConfig,
    load_config,
    load_tokenizer,
    train_rl,
    train_sft,
)
from transformers import AutoModelForCausalLM  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> str:
    return str(build_tiny_model(tmp_path_factory.mktemp("tiny")))


def text_reward(completions, **_) -> list[float]:
    """A deterministic reward that varies with the text, so groups are rarely uniform."""
    return [(sum(map(ord, c)) % 7) / 7 for c in completions]


def _prompts(n: int = 64) -> Dataset:
    return Dataset.from_list([{"prompt": f"{i % 10} + {i // 10 % 10} ="} for i in range(n)])


def _args(out: Path, **overrides) -> GRPOConfig:
    values = {
        "output_dir": str(out), "per_device_train_batch_size": 8, "num_generations": 4,
        "max_completion_length": 4, "max_steps": 2, "learning_rate": 1e-2, "report_to": "none",
        "logging_steps": 1, "use_cpu": True, "seed": 7, "save_strategy": "no", "disable_tqdm": True,
        **overrides,
    }
    return GRPOConfig(**values)


def _trainer(tiny: str, out: Path, pipo: PipoSettings | None, cls=PipoGRPOTrainer, **overrides):
    kwargs = {"pipo": pipo} if cls is PipoGRPOTrainer else {}
    return cls(
        model=tiny, reward_funcs=text_reward, args=_args(out, **overrides), train_dataset=_prompts(),
        processing_class=load_tokenizer(tiny), **kwargs,
    )


def _snapshot(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def _assert_all_changed(before: dict[str, torch.Tensor], model) -> None:
    after = dict(model.named_parameters())
    unchanged = [n for n, p in before.items() if torch.equal(p, after[n].detach())]
    assert not unchanged, f"parameters did not change: {unchanged}"


def _logged(trainer, key: str) -> list[float]:
    return [h[key] for h in trainer.state.log_history if key in h]


def test_grpo_step_changes_every_trainable_parameter(tiny, tmp_path) -> None:
    trainer = _trainer(tiny, tmp_path, pipo=None, max_steps=1)
    before = _snapshot(trainer.model)
    trainer.train()
    _assert_all_changed(before, trainer.model)


def test_pipo_off_is_bit_identical_to_plain_grpo(tiny, tmp_path) -> None:
    plain = _trainer(tiny, tmp_path / "grpo", pipo=None, cls=GRPOTrainer)
    plain.train()
    ours = _trainer(tiny, tmp_path / "ours", pipo=None)
    ours.train()
    theirs = dict(plain.model.named_parameters())
    for name, param in ours.model.named_parameters():
        assert torch.equal(param, theirs[name]), name


@pytest.mark.parametrize("mode", ["added", "separate"])
def test_pipo_adds_the_pi_term_once_the_window_is_full(tiny, tmp_path, mode) -> None:
    trainer = _trainer(tiny, tmp_path, pipo=PipoSettings(window=2, mode=mode), max_steps=5)
    before = _snapshot(trainer.model)
    trainer.train()
    _assert_all_changed(before, trainer.model)
    assert _logged(trainer, "pipo/active")[:2] == [0.0, 0.0]
    assert len(_logged(trainer, "pipo/xi")) == len(trainer.pipo_xis) >= 2
    assert len(_logged(trainer, "pipo/pi_loss")) >= 1
    assert all(o >= 0 for o in _logged(trainer, "pipo/overhead_s"))
    shares = _logged(trainer, "pipo/xi_positive_share")
    assert all(0.0 <= s <= 1.0 for s in shares)
    assert len(trainer.pipo_window) == 2


def test_pipo_rejects_several_updates_per_generation(tiny, tmp_path) -> None:
    with pytest.raises(ValueError, match="num_iterations=1"):
        _trainer(tiny, tmp_path, pipo=PipoSettings(), num_iterations=2)


def test_separate_mode_rejects_gradient_accumulation(tiny, tmp_path) -> None:
    with pytest.raises(ValueError, match="gradient_accumulation_steps=1"):
        _trainer(tiny, tmp_path, pipo=PipoSettings(mode="separate"), gradient_accumulation_steps=2)


@pytest.mark.parametrize("bad", [{"mode": "both"}, {"negative_slope": 2.0}, {"window": 1}])
def test_pipo_settings_reject_bad_values(bad) -> None:
    with pytest.raises(ValueError):
        PipoSettings(**bad)


def test_resume_restores_the_pipo_window(tiny, tmp_path) -> None:
    first = _trainer(tiny, tmp_path, pipo=PipoSettings(window=3), max_steps=4, save_strategy="steps", save_steps=4)
    first.train()
    saved = json.loads((tmp_path / "checkpoint-4" / PIPO_STATE_FILE).read_text())
    assert saved == first.pipo_state()
    assert len(saved["window"]["means"]) == 3
    resumed = _trainer(tiny, tmp_path, pipo=PipoSettings(window=3), max_steps=5)
    resumed.train(resume_from_checkpoint=str(tmp_path / "checkpoint-4"))
    assert resumed.pipo_window.means[:2] == saved["window"]["means"][1:]
    assert resumed.pipo_xis[: len(saved["xis"])] == saved["xis"]
    assert len(resumed.pipo_xis) == len(saved["xis"]) + 1


def test_lora_steps_change_every_lora_parameter(tiny, tmp_path) -> None:
    from peft import LoraConfig

    trainer = PipoGRPOTrainer(
        model=tiny, reward_funcs=text_reward, args=_args(tmp_path, max_steps=3),
        train_dataset=_prompts(), processing_class=load_tokenizer(tiny),
        peft_config=LoraConfig(r=4, target_modules="all-linear", task_type="CAUSAL_LM"),
        pipo=PipoSettings(window=2),
    )
    before = _snapshot(trainer.model)
    assert before and all("lora" in name for name in before)
    trainer.train()
    _assert_all_changed(before, trainer.model)


def test_sft_then_rl_through_the_config_api(tiny, tmp_path) -> None:
    sft = TrainConfig(base_model=tiny, output_dir=str(tmp_path / "sft"), learning_rate=1e-2,
                      max_steps=1, batch_size=4, num_generations=1, extra={"save_strategy": "no"})
    pairs = Dataset.from_list([{"prompt": "1 + 2 =", "completion": " 3"}] * 8)
    result = train_sft(sft, pairs)
    assert load_config(result.output_dir)["kind"] == "sft"
    before = AutoModelForCausalLM.from_pretrained(tiny).state_dict()
    tuned = AutoModelForCausalLM.from_pretrained(result.output_dir).state_dict()
    assert any(not torch.equal(before[k], tuned[k]) for k in before)
    rl = TrainConfig(base_model=result.output_dir, output_dir=str(tmp_path / "rl"), algo="pipo",
                     learning_rate=1e-2, max_steps=2, batch_size=8, num_generations=4,
                     max_completion_length=4, pipo_window=2, extra={"save_strategy": "no"})
    outcome = train_rl(rl, _prompts(), [text_reward])
    saved = json.loads((tmp_path / "rl" / CONFIG_FILE).read_text())
    assert saved["algo"] == "pipo" and saved["kind"] == "rl"
    assert outcome.pipo_state is not None and len(outcome.pipo_state["window"]["means"]) == 2


def test_train_config_rejects_partial_groups() -> None:
    with pytest.raises(ValueError, match="multiple of num_generations"):
        TrainConfig(base_model="m", output_dir="o", batch_size=6, num_generations=4)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed")
def test_use_vllm_without_vllm_names_the_gpu_extra(tiny, tmp_path) -> None:
    config = TrainConfig(base_model=tiny, output_dir=str(tmp_path), use_vllm=True)
    with pytest.raises(ImportError, match=r"polca\[gpu\]"):
        train_rl(config, _prompts(), [text_reward])
