"""PIPO on TRL's ``GRPOTrainer``: closed-loop policy improvement on top of GRPO.

``PipoGRPOTrainer`` is a ``trl.GRPOTrainer`` (so accelerate / DeepSpeed / FSDP launches
and vLLM generation keep working) through ``trainer.trl_seam.GRPOSeam``, whose hooks it
implements (it overrides none of TRL's private methods itself). It after each fresh generation batch, asks the PIPO
core (``trainer.pipo``) whether the previous update improved the policy and, once the
sliding window is full, adds one clipped-ratio policy-gradient term on the PREVIOUS batch
with coefficients ``r_hat_i = a_i * phi(xi_t)``. The previous batch is cached with the
log-probs of the policy that generated it.

Two modes (``PipoSettings.mode``):

- ``"added"`` (default): the PI loss is added to the base GRPO loss and both go through the
  same optimizer step, so it works wherever GRPO works, sharded or not.
- ``"separate"``: as in the paper, one extra optimizer step on the PI loss alone, at the
  same learning rate, before the base update. Single optimizer step per generation only
  (``gradient_accumulation_steps == 1``), and not under DeepSpeed / FSDP.

With ``pipo=None`` every override is a pass-through: training is bit-identical to plain
``GRPOTrainer`` for the same seed. Logged per step: ``pipo/xi``, ``pipo/phi``,
``pipo/xi_positive_share`` (so far), ``pipo/pi_loss``, ``pipo/active`` and
``pipo/overhead_s`` (the extra forward passes and, in separate mode, the extra step; the
PI term's share of the joint backward in added mode is not separable and not counted).
The window is saved in each checkpoint (``pipo_state.json``) and restored on resume.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import torch

from polca.trainer.pipo import (
    PipoSettings,
    RewardWindow,
    group_attribution,
    pi_loss,
    pi_signal,
    share_positive,
)
from polca.trainer.trl_seam import GRPOSeam

log = logging.getLogger(__name__)

PIPO_STATE_FILE = "pipo_state.json"
_BATCH_KEYS = ("prompt_ids", "prompt_mask", "completion_ids", "completion_mask")
_PREFIX = "pipo_prev_"


class PipoGRPOTrainer(GRPOSeam):
    """``GRPOTrainer`` plus PIPO's closed-loop term; ``pipo=None`` is plain GRPO."""

    def __init__(self, *args: Any, pipo: PipoSettings | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pipo = pipo
        self.pipo_window = RewardWindow(pipo.window) if pipo else None
        self.pipo_xis: list[float] = []
        self._pipo_previous: dict[str, torch.Tensor] | None = None
        self._pipo_rewards: torch.Tensor | None = None
        if pipo is not None:
            self._pipo_check_args(pipo)

    def _pipo_check_args(self, pipo: PipoSettings) -> None:
        if self.num_iterations != 1:
            raise ValueError(
                f"PIPO needs num_iterations=1 (one update per generation batch), got "
                f"{self.num_iterations}; set num_iterations=1 or train with algo 'grpo'."
            )
        if pipo.mode == "separate":
            sharded = self.is_deepspeed_enabled or self.is_fsdp_enabled
            if self.args.gradient_accumulation_steps != 1 or sharded:
                raise ValueError(
                    "PIPO mode 'separate' takes its own optimizer step, which needs "
                    "gradient_accumulation_steps=1 and no DeepSpeed/FSDP (got "
                    f"gradient_accumulation_steps={self.args.gradient_accumulation_steps}, "
                    f"sharded={sharded}); use mode 'added'."
                )

    # ------------------------------------------------------------------ generation side

    def rewards_scored(self, rewards_per_func: torch.Tensor) -> None:
        self._pipo_rewards = rewards_per_func

    def batch_generated(self, output: dict[str, Any]) -> dict[str, Any]:
        if self.pipo is None or not self.model.training:
            return output
        started = time.perf_counter()
        current = self._pipo_batch(output)
        rewards = self._pipo_batch_rewards()
        signal = pi_signal(self.pipo_window, float(rewards.mean()), self.pipo.negative_slope)
        self.pipo_window.push(float(rewards.mean()))
        attribution = group_attribution(rewards, self.num_generations)
        current["attribution"] = attribution[self._pipo_process_slice(len(current["prompt_ids"]))]
        active = self._pipo_attach_previous(output, signal)
        if self.pipo.mode == "separate" and "old_per_token_logps" not in output:
            output["old_per_token_logps"] = current["old_logps"]
        self._pipo_previous = current
        self._pipo_log_signal(signal, active, time.perf_counter() - started)
        return output

    def _pipo_batch(self, output: dict[str, Any]) -> dict[str, torch.Tensor]:
        """The batch's tensors and the generating policy's per-token log-probs (B, T)."""
        batch = {key: output[key] for key in _BATCH_KEYS}
        old = output.get("old_per_token_logps")
        if old is None:
            with torch.no_grad():
                old = self.sequence_logps(self.model, batch)
        batch["old_logps"] = old.detach()
        return batch

    def _pipo_batch_rewards(self) -> torch.Tensor:
        """Global per-completion rewards (N,) of the batch just scored, weights applied."""
        weights = self.reward_weights.to(self._pipo_rewards.device)
        rewards = (self._pipo_rewards * weights.unsqueeze(0)).nansum(dim=1)
        return torch.nan_to_num(rewards, nan=0.0).float().cpu()

    def _pipo_process_slice(self, local_size: int) -> slice:
        start = self.accelerator.process_index * local_size
        return slice(start, start + local_size)

    def _pipo_attach_previous(self, output: dict[str, Any], signal) -> bool:
        """Put the previous batch and its PI coefficients into ``output`` (split with it)."""
        previous = self._pipo_previous
        if signal is None or previous is None:
            return False
        if len(previous["prompt_ids"]) != len(output["prompt_ids"]):
            log.warning("PIPO: previous batch size differs from this one; no PI term this step")
            return False
        for key in (*_BATCH_KEYS, "old_logps"):
            output[_PREFIX + key] = previous[key]
        coefficients = previous["attribution"] * signal.phi
        output[_PREFIX + "coefficients"] = coefficients.to(previous["old_logps"].device)
        return True

    def _pipo_log_signal(self, signal, active: bool, overhead_s: float) -> None:
        metrics = self.train_metrics
        metrics["pipo/active"].append(float(active))
        metrics["pipo/overhead_s"].append(overhead_s)
        if signal is not None:
            self.pipo_xis.append(signal.xi)
            metrics["pipo/xi"].append(signal.xi)
            metrics["pipo/phi"].append(signal.phi)
        metrics["pipo/xi_positive_share"].append(share_positive(self.pipo_xis))

    # ---------------------------------------------------------------------- loss side

    def _pipo_pi_loss(self, model, inputs: dict[str, Any]) -> torch.Tensor:
        previous = {key: inputs[_PREFIX + key] for key in _BATCH_KEYS}
        logps = self.sequence_logps(model, previous)
        return pi_loss(
            logps,
            inputs[_PREFIX + "old_logps"],
            inputs[_PREFIX + "coefficients"],
            previous["completion_mask"],
            self.epsilon_low,
            self.epsilon_high,
        )

    def loss(self, model, inputs: dict[str, Any], grpo_loss: Callable[[], torch.Tensor]) -> torch.Tensor:
        if self.pipo is None or _PREFIX + "coefficients" not in inputs:
            return grpo_loss()
        started = time.perf_counter()
        if self.pipo.mode == "separate":
            self._pipo_separate_step(model, inputs)
            overhead_s = time.perf_counter() - started
            loss = grpo_loss()
        else:
            pi = self._pipo_pi_loss(model, inputs) / self.current_gradient_accumulation_steps
            self._pipo_log_pi_loss(pi)
            overhead_s = time.perf_counter() - started
            loss = grpo_loss() + pi
        self.train_metrics["pipo/overhead_s"][-1] += overhead_s
        return loss

    def _pipo_separate_step(self, model, inputs: dict[str, Any]) -> None:
        """One optimizer step on the PI loss alone, at the current learning rate."""
        pi = self._pipo_pi_loss(model, inputs)
        self._pipo_log_pi_loss(pi)
        self.accelerator.backward(pi)
        if self.args.max_grad_norm:
            self.accelerator.clip_grad_norm_(model.parameters(), self.args.max_grad_norm)
        self.optimizer.step()
        self.optimizer.zero_grad()

    def _pipo_log_pi_loss(self, pi: torch.Tensor) -> None:
        value = self.accelerator.gather(pi.detach().reshape(1)).mean().item()
        self.train_metrics["pipo/pi_loss"].append(value)

    # ---------------------------------------------------------------------- checkpoints

    def pipo_state(self) -> dict[str, Any]:
        """The window and the xi history, as written to ``pipo_state.json``."""
        return {"window": self.pipo_window.state(), "xis": list(self.pipo_xis)}

    def checkpoint_saved(self, folder: str) -> None:
        if self.pipo is None:
            return
        with open(os.path.join(folder, PIPO_STATE_FILE), "w") as handle:
            json.dump(self.pipo_state(), handle)

    def checkpoint_loaded(self, folder: str) -> None:
        if self.pipo is None:
            return
        path = os.path.join(folder, PIPO_STATE_FILE)
        if not os.path.exists(path):
            log.warning("PIPO: %s has no %s; the window starts empty", folder, PIPO_STATE_FILE)
            return
        with open(path) as handle:
            state = json.load(handle)
        self.pipo_window = RewardWindow.from_state(state["window"])
        self.pipo_xis = [float(x) for x in state["xis"]]
