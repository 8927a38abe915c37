"""SFT, GRPO and PIPO end to end on a tiny random Llama with a local tokenizer (CPU)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("trl")

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

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
    outcome = train_rl(rl, _prompts(4), [text_reward])
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


def test_the_recorded_log_probs_are_the_generating_policys(tiny, tmp_path) -> None:
    # With lr 0 the policy never moves, so the log-probs the base loss recorded for the
    # batch must equal a fresh pass over it (rows were shuffled and split on the way).
    trainer = _trainer(tiny, tmp_path, pipo=PipoSettings(window=2), max_steps=2, learning_rate=0.0,
                       gradient_accumulation_steps=2, per_device_train_batch_size=4)
    trainer.train()
    batch = trainer._pipo_batch
    assert bool(batch["recorded"].all())
    with torch.no_grad():
        fresh = trainer.sequence_logps(trainer.model, batch)
    mask = batch["completion_mask"].bool()
    torch.testing.assert_close(batch["old_logps"][mask], fresh[mask], atol=1e-5, rtol=1e-5)


def _rows(tokenizer, prompts: list[str], completions: list[str]) -> dict[str, torch.Tensor]:
    prompt = tokenizer(prompts, return_tensors="pt", padding=True, padding_side="left")
    completion = tokenizer(completions, return_tensors="pt", padding=True, padding_side="right")
    return {"prompt_ids": prompt["input_ids"], "prompt_mask": prompt["attention_mask"],
            "completion_ids": completion["input_ids"], "completion_mask": completion["attention_mask"]}


@pytest.mark.parametrize("wider", ["base", "extra"])
def test_extra_rows_in_the_base_pass_score_as_in_a_pass_of_their_own(tiny, tmp_path, wider) -> None:
    # float32: GRPOConfig autocasts to bf16 by default, whose rounding depends on the shapes.
    trainer = _trainer(tiny, tmp_path, pipo=PipoSettings(window=2), bf16=False)
    tokenizer = trainer.processing_class
    short, long = (["1 + 2 ="], ["3 4"]), (["1 2 + 3 4 + 5 ="], ["4 6 + 1 1"])
    base = _rows(tokenizer, *(long if wider == "base" else short))
    extra = _rows(tokenizer, *(short if wider == "base" else long))
    ids = torch.cat([base["prompt_ids"], base["completion_ids"]], dim=1)
    mask = torch.cat([base["prompt_mask"], base["completion_mask"]], dim=1)
    keep = base["completion_ids"].size(1)
    with trainer.scoring_along(extra) as along:
        logps, entropies, _ = trainer._get_per_token_logps_and_entropies(
            trainer.model, ids, mask, keep, compute_entropy=True)
    alone, alone_entropies, _ = trainer._get_per_token_logps_and_entropies(
        trainer.model, ids, mask, keep, compute_entropy=True)
    torch.testing.assert_close(logps, alone, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(entropies, alone_entropies, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(along.base_logps, alone.detach())
    on_its_own = trainer.sequence_logps(trainer.model, extra)
    torch.testing.assert_close(along.logps, on_its_own, atol=1e-5, rtol=1e-5)
    assert along.logps.requires_grad


def test_previous_rows_in_the_base_pass_train_like_a_pass_of_their_own(tiny, tmp_path) -> None:
    from polca.trainer.trl_seam import GRPOSeam

    # Three steps: the third is the first with a PI term. float32 and SGD, so that rounding
    # in near-zero gradient entries is not blown up to lr-sized steps as Adam would.
    options = {"max_steps": 3, "optim": "sgd", "bf16": False}
    fused = _trainer(tiny, tmp_path / "fused", pipo=PipoSettings(window=2), **options)
    fused.train()
    apart = _trainer(tiny, tmp_path / "apart", pipo=PipoSettings(window=2), **options)
    apart.scoring_along = lambda extra: GRPOSeam.scoring_along(apart, None)
    apart.train()
    assert _logged(fused, "pipo/active")[-1] == 1.0
    assert _logged(fused, "pipo/pi_loss") == pytest.approx(_logged(apart, "pipo/pi_loss"), abs=1e-6)
    theirs = dict(apart.model.named_parameters())
    for name, param in fused.model.named_parameters():
        torch.testing.assert_close(param, theirs[name], atol=1e-6, rtol=1e-5, msg=name)


def _passes_per_step(trainer) -> list[tuple[int, int]]:
    """(model calls with gradients, backward passes) of each training step of ``trainer``."""
    steps: list[tuple[int, int]] = []
    calls, backwards = [], []
    trainer.model.register_forward_pre_hook(lambda module, args: calls.append(torch.is_grad_enabled()))
    backward, training_step = trainer.accelerator.backward, trainer.training_step

    def counted_backward(loss, **kwargs):
        backwards.append(1)
        return backward(loss, **kwargs)

    def counted_step(*args, **kwargs):
        calls.clear()
        backwards.clear()
        output = training_step(*args, **kwargs)
        steps.append((sum(calls), len(backwards)))
        return output

    trainer.accelerator.backward, trainer.training_step = counted_backward, counted_step
    return steps


def test_the_pi_term_in_added_mode_takes_no_pass_of_its_own(tiny, tmp_path) -> None:
    # The previous rows join the base loss's one forward pass and the PI loss is added
    # to the base loss before its one backward: a step with the term makes exactly the
    # passes a GRPO step makes. `separate` mode takes a pass and a backward of its own.
    counted = {}
    for name, pipo in [("grpo", None), ("added", PipoSettings(window=2)),
                       ("separate", PipoSettings(window=2, mode="separate"))]:
        trainer = _trainer(tiny, tmp_path / name, pipo=pipo, max_steps=3)
        counted[name] = _passes_per_step(trainer)
        trainer.train()
        assert pipo is None or _logged(trainer, "pipo/active") == [0.0, 0.0, 1.0]
    assert counted["added"] == counted["grpo"] == [(1, 1)] * 3
    assert counted["separate"][-1] == (2, 2)


def test_rows_with_a_zero_coefficient_skip_the_pi_pass(tiny, tmp_path) -> None:
    trainer = _trainer(tiny, tmp_path, pipo=PipoSettings(window=2), max_steps=4)
    trainer.train()
    rows = _logged(trainer, "pipo/pi_rows")
    assert rows and all(1 <= r <= 8 for r in rows)


@pytest.mark.parametrize("mode", ["added", pytest.param("separate", marks=pytest.mark.slow)])
def test_a_resumed_run_has_the_losses_of_an_uninterrupted_one(tiny, tmp_path, mode) -> None:
    def losses(trainer) -> dict[int, float]:
        return {h["step"]: h["loss"] for h in trainer.state.log_history if "loss" in h}

    settings = PipoSettings(window=2, mode=mode)
    whole = _trainer(tiny, tmp_path / "whole", pipo=settings, max_steps=6, save_strategy="steps", save_steps=3)
    whole.train()
    assert (tmp_path / "whole" / "checkpoint-3" / "pipo_batch-0.pt").is_file()
    resumed = _trainer(tiny, tmp_path / "whole", pipo=settings, max_steps=6)
    resumed.train(resume_from_checkpoint=str(tmp_path / "whole" / "checkpoint-3"))
    after = [h for h in resumed.state.log_history if h.get("step", 0) > 3 and "pipo/active" in h]
    assert after[0]["pipo/active"] == 1.0  # the restored previous batch is used at once
    def after_checkpoint(trainer) -> dict[int, float]:
        return {step: loss for step, loss in losses(trainer).items() if step > 3}

    assert len(after_checkpoint(resumed)) == 3
    assert after_checkpoint(resumed) == pytest.approx(after_checkpoint(whole), abs=1e-7)


@pytest.mark.parametrize("loss_type", ["grpo", "dr_grpo", pytest.param("bnpo", marks=pytest.mark.slow)])
def test_trls_loss_types_compose_with_pipo(tiny, tmp_path, loss_type) -> None:
    trainer = _trainer(tiny, tmp_path, pipo=PipoSettings(window=2), max_steps=3, loss_type=loss_type)
    assert trainer.loss_type == loss_type
    before = _snapshot(trainer.model)
    trainer.train()
    _assert_all_changed(before, trainer.model)
    assert _logged(trainer, "pipo/active")[-1] == 1.0 and len(_logged(trainer, "pipo/pi_loss")) == 1


def test_pipo_refuses_a_loss_type_it_does_not_compose_with(tiny, tmp_path) -> None:
    with pytest.raises(ValueError, match="PIPO composes with loss_type grpo, dapo, bnpo, dr_grpo"):
        _trainer(tiny, tmp_path, pipo=PipoSettings(), loss_type="sapo")


def test_the_loss_type_reaches_trls_config(tmp_path) -> None:
    from polca.trainer.train import grpo_args

    config = TrainConfig(base_model="m", output_dir=str(tmp_path), loss_type="dr_grpo")
    assert GRPOConfig(**grpo_args(config)).loss_type == "dr_grpo"
    with pytest.raises(ValueError, match="loss_type 'ppo' is unknown"):
        TrainConfig(base_model="m", output_dir=str(tmp_path), loss_type="ppo")


@pytest.mark.parametrize("mode", ["colocate", "server"])
def test_vllm_modes_build_trls_config_without_vllm(tmp_path, mode) -> None:
    from polca.trainer.train import grpo_args

    config = TrainConfig(base_model="m", output_dir=str(tmp_path), use_vllm=True, vllm_mode=mode,
                         vllm_server_host="10.0.0.7", vllm_server_port=8123)
    args = GRPOConfig(**grpo_args(config))
    assert args.use_vllm and args.vllm_mode == mode
    if mode == "server":
        assert (args.vllm_server_host, args.vllm_server_port) == ("10.0.0.7", 8123)
    else:
        assert "vllm_server_host" not in grpo_args(config)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed")
def test_server_mode_without_vllm_names_the_gpu_extra(tiny, tmp_path) -> None:
    config = TrainConfig(base_model=tiny, output_dir=str(tmp_path), use_vllm=True, vllm_mode="server")
    with pytest.raises(ImportError, match=r"polca\[gpu\]"):
        train_rl(config, _prompts(), [text_reward])


def test_schedules_that_train_nothing_or_skip_most_data_are_refused(monkeypatch) -> None:
    from polca.trainer.train import check_schedule

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    config = TrainConfig(base_model="m", output_dir="o", batch_size=8, num_generations=4, max_steps=10)
    assert check_schedule(config, "rl", 20).rows_per_step == 2
    with pytest.raises(ValueError, match="nothing would train.*holds 1 rows.*Lower --batch-size to 4"):
        check_schedule(config, "rl", 1)
    with pytest.raises(ValueError, match=r"x 2 processes.*Lower --batch-size to 4 or less"):
        check_schedule(config, "rl", 3, processes=2)
    with pytest.raises(ValueError, match="Even --batch-size 4 needs more: use fewer processes"):
        check_schedule(config, "rl", 1, processes=8)
    with pytest.raises(ValueError, match="reach 20 of the 100 rows. Raise --max-steps to 25"):
        check_schedule(config, "rl", 100)
    accumulated = TrainConfig(base_model="m", output_dir="o", batch_size=8, num_generations=4, max_steps=10,
                              extra={"gradient_accumulation_steps": 5})
    assert check_schedule(accumulated, "rl", 100).rows_per_step == 10
    assert check_schedule(config, "sft", 3).rows_seen == 3  # SFT keeps a last partial batch
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert check_schedule(config, "rl", 80).rows_per_step == 8
