"""The TRL seam refuses a GRPOTrainer whose private methods are not the ones it hooks into."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

pytest.importorskip("trl")

from trl import GRPOTrainer  # noqa: E402

from polca.trainer.grpo import PipoGRPOTrainer  # noqa: E402
from polca.trainer.trl_seam import (  # noqa: E402
    SUPPORTED_TRL,
    IncompatibleTRL,
    check_grpo_trainer,
    seam_mismatches,
)

ROOT = Path(__file__).resolve().parent.parent


class NewLossArgument(GRPOTrainer):
    """A TRL whose ``_compute_loss`` grew a parameter that TRL would pass."""

    def _compute_loss(self, model, inputs, num_items_in_batch):
        raise AssertionError("never called")


class NarrowerLogps(GRPOTrainer):
    """A TRL whose log-prob helper no longer takes ``batch_size``."""

    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep):
        raise AssertionError("never called")


class HookClash(GRPOTrainer):
    """A TRL that defines a name GRPOSeam uses for a hook."""

    def loss(self):
        raise AssertionError("never called")


def test_the_installed_trl_has_the_private_api_the_seam_expects() -> None:
    assert seam_mismatches(GRPOTrainer) == []
    check_grpo_trainer(GRPOTrainer)


def test_a_changed_override_signature_raises_naming_the_version_and_the_range() -> None:
    with pytest.raises(IncompatibleTRL) as caught:
        check_grpo_trainer(NewLossArgument)
    message = str(caught.value)
    assert f"TRL {version('trl')}" in message
    assert f"trl{SUPPORTED_TRL}" in message
    assert "_compute_loss(self, model, inputs, num_items_in_batch) is not (self, model, inputs)" in message
    assert "\n" not in message


def test_a_called_method_that_lost_a_parameter_is_a_mismatch() -> None:
    [problem] = seam_mismatches(NarrowerLogps)
    assert problem.startswith("_get_per_token_logps_and_entropies(") and "batch_size" in problem


def test_a_removed_method_is_a_mismatch() -> None:
    class Bare:
        pass

    problems = seam_mismatches(Bare)
    assert "_generate_and_score_completions is gone" in problems
    assert len(problems) == 7


def test_a_trl_name_equal_to_a_hook_is_a_mismatch() -> None:
    assert seam_mismatches(HookClash) == ["loss now exists in TRL and clashes with GRPOSeam's"]


def test_the_trainer_checks_trl_before_it_builds_anything(monkeypatch) -> None:
    monkeypatch.setattr(GRPOTrainer, "_compute_loss", NewLossArgument._compute_loss)
    with pytest.raises(IncompatibleTRL, match="_compute_loss"):
        PipoGRPOTrainer(model="no-such-model", reward_funcs=[])


def test_the_supported_range_is_the_train_extras() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    [trl] = [requirement for requirement in extras["train"] if requirement.startswith("trl")]
    assert trl == f"trl{SUPPORTED_TRL}"
