"""PIPO on TRL's ``GRPOTrainer``: closed-loop policy improvement on top of GRPO.

``PipoGRPOTrainer`` is a ``trl.GRPOTrainer`` (so accelerate / DeepSpeed / FSDP launches
and vLLM generation keep working) through ``trainer.trl_seam.GRPOSeam``, whose hooks it
implements (it overrides none of TRL's private methods itself). After each fresh
generation batch it asks the PIPO core (``trainer.pipo``) whether the previous update
improved the policy and, once the sliding window is full, adds one clipped-ratio
policy-gradient term on the PREVIOUS batch with coefficients ``r_hat_i = a_i * phi(xi_t)``.

What it costs, and why no more: the ratio's denominator is the log-prob of each previous
completion under the policy that generated it, which is exactly what the base GRPO loss
computed (detached) when it trained on that batch, so it is recorded there, not recomputed
(TRL's own ``old_per_token_logps`` is used when TRL computed it: vLLM, several updates per
generation). The numerator needs the current policy on the previous completions: one
forward and backward of those rows, the term's real cost. Only rows with a non-zero
coefficient take part (uniform groups have attribution 0 and add nothing), and in
``added`` mode they ride in the base loss's own forward pass (``GRPOSeam.scoring_along``):
one model call, one graph, one backward.

Two modes (``PipoSettings.mode``):

- ``"added"`` (default): the PI loss is added to the base GRPO loss and both go through the
  same optimizer step, so it works wherever GRPO works, sharded or not.
- ``"separate"``: as in the paper, one extra optimizer step on the PI loss alone, at the
  same learning rate, before the base update (which then needs the generating policy's
  log-probs of the fresh batch: one no-grad pass on steps with a PI term). Single
  optimizer step per generation only (``gradient_accumulation_steps == 1``), and not under
  DeepSpeed / FSDP.

The PI loss aggregates tokens like TRL's ``loss_type`` (``trainer.pipo.LOSS_AGGREGATION``:
GRPO per sequence, DAPO/BNPO per token, Dr. GRPO over a constant length).

With ``pipo=None`` every override is a pass-through: training is bit-identical to plain
``GRPOTrainer`` for the same seed. Logged per step: ``pipo/xi``, ``pipo/phi``,
``pipo/xi_positive_share`` (so far), ``pipo/pi_loss``, ``pipo/active``, ``pipo/pi_rows``
(previous completions that took part) and ``pipo/overhead_s`` (the work PIPO can time on
its own: bookkeeping, unfused passes and, in separate mode, the extra step; the share of a
fused pass is not separable and not counted). Each checkpoint holds the window
(``pipo_state.json``) and each process's previous batch (``pipo_batch-RANK.pt``, tensors
only); a resume restores both, so it continues with the same losses as an uninterrupted run.
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
    aggregation_for,
    group_attribution,
    pi_loss,
    pi_signal,
    share_positive,
)
from polca.trainer.trl_seam import GRPOSeam

log = logging.getLogger(__name__)

PIPO_STATE_FILE = "pipo_state.json"
PIPO_BATCH_FILE = "pipo_batch-{rank}.pt"
_BATCH_KEYS = ("prompt_ids", "prompt_mask", "completion_ids", "completion_mask")
_CACHED_KEYS = (*_BATCH_KEYS, "old_logps", "attribution", "recorded")
_PREFIX = "pipo_prev_"
_ROW = "pipo_row"  # each row's index in its generation batch, to record its log-probs


class PipoGRPOTrainer(GRPOSeam):
    """``GRPOTrainer`` plus PIPO's closed-loop term; ``pipo=None`` is plain GRPO."""

    def __init__(self, *args: Any, pipo: PipoSettings | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pipo = pipo
        self.pipo_window = RewardWindow(pipo.window) if pipo else None
        self.pipo_xis: list[float] = []
        # The batch being trained on (the next step's previous batch): tensors of this
        # process's rows, its attribution, and the generating policy's log-probs, recorded
        # row by row as the loss computes them.
        self._pipo_batch: dict[str, torch.Tensor] | None = None
        self._pipo_rewards: torch.Tensor | None = None
        if pipo is not None:
            self._pipo_check_args(pipo)
            self._pipo_aggregation = aggregation_for(self.loss_type)

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
        rewards = self._pipo_batch_rewards()
        signal = pi_signal(self.pipo_window, float(rewards.mean()), self.pipo.negative_slope)
        self.pipo_window.push(float(rewards.mean()))
        active = self._pipo_attach_previous(output, signal)
        local = len(output["prompt_ids"])
        attribution = group_attribution(rewards, self.num_generations)[self._pipo_process_slice(local)]
        self._pipo_batch = self._pipo_new_batch(output, attribution, active)
        output[_ROW] = torch.arange(local, device=output["prompt_ids"].device)
        self._pipo_log_signal(signal, active, time.perf_counter() - started)
        return output

    def _pipo_new_batch(self, output: dict[str, Any], attribution: torch.Tensor, active: bool) -> dict[str, torch.Tensor]:
        """This batch's rows; the generating policy's log-probs come from TRL when it
        computed them, else they are recorded by the loss (``_pipo_record``)."""
        batch = {key: output[key] for key in _BATCH_KEYS}
        completion = batch["completion_ids"]
        batch["attribution"] = attribution.to(completion.device)
        old = output.get("old_per_token_logps")
        if old is None and active and self.pipo.mode == "separate":
            # The PI step moves the policy before the base loss runs, so the base loss
            # needs the generating policy's log-probs of this batch from before it.
            with torch.no_grad():
                old = self.sequence_logps(self.model, batch)
            output["old_per_token_logps"] = old
        recorded = old is not None
        if old is None:
            old = torch.zeros(completion.shape, dtype=torch.float32, device=completion.device)
        batch["old_logps"] = old.detach()
        batch["recorded"] = torch.full((len(completion),), recorded, device=completion.device)
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
        previous = self._pipo_batch
        if signal is None or previous is None:
            return False
        if len(previous["prompt_ids"]) != len(output["prompt_ids"]):
            log.warning("PIPO: previous batch size differs from this one; no PI term this step")
            return False
        if not bool(previous["recorded"].all()):
            log.warning("PIPO: the previous batch's log-probs were not all recorded; no PI term this step")
            return False
        for key in (*_BATCH_KEYS, "old_logps"):
            output[_PREFIX + key] = previous[key]
        output[_PREFIX + "coefficients"] = previous["attribution"] * signal.phi
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

    def loss(self, model, inputs: dict[str, Any], grpo_loss: Callable[[], torch.Tensor]) -> torch.Tensor:
        if self.pipo is None:
            return grpo_loss()
        rows = self._pipo_rows(inputs)
        if self.pipo.mode == "separate":
            return self._pipo_separate_loss(model, inputs, rows, grpo_loss)
        extra = None if rows is None else {key: inputs[_PREFIX + key][rows] for key in _BATCH_KEYS}
        with self.scoring_along(extra) as along:
            loss = grpo_loss()
        started = time.perf_counter()
        self._pipo_record(inputs, along.base_logps)
        if rows is None:
            return loss
        pi = self._pipo_pi_loss(model, inputs, rows, along.logps) / self.current_gradient_accumulation_steps
        self._pipo_log_pi_loss(pi, rows)
        self.train_metrics["pipo/overhead_s"][-1] += time.perf_counter() - started
        return loss + pi

    def _pipo_rows(self, inputs: dict[str, Any]) -> torch.Tensor | None:
        """Indices (k,) of this micro-batch's previous completions with a non-zero PI
        coefficient; None without a PI term. A zero coefficient adds nothing to the loss,
        so those rows skip the forward pass. At least one row takes part, so that every
        process's PI term has a graph (DDP reduces gradients over all of them)."""
        coefficients = inputs.get(_PREFIX + "coefficients")
        if coefficients is None:
            return None
        rows = torch.nonzero(coefficients).view(-1)
        return rows if rows.numel() else torch.zeros(1, dtype=torch.long, device=coefficients.device)

    def _pipo_record(self, inputs: dict[str, Any], base_logps: torch.Tensor | None) -> None:
        """Keep the base pass's log-probs of its rows: the generating policy's, for the next step."""
        batch = self._pipo_batch
        if batch is None or base_logps is None or _ROW not in inputs or not self.model.training:
            return
        rows = inputs[_ROW]
        pending = ~batch["recorded"][rows]
        if bool(pending.any()):
            batch["old_logps"][rows[pending]] = base_logps[pending].float()
            batch["recorded"][rows[pending]] = True

    def _pipo_pi_loss(self, model, inputs: dict[str, Any], rows: torch.Tensor, along: torch.Tensor | None) -> torch.Tensor:
        """The PI loss on this micro-batch's previous completions; rows outside ``rows``
        stay at the generating policy's log-probs (ratio 1, coefficient 0: no term)."""
        old = inputs[_PREFIX + "old_logps"]  # (M, T)
        if along is None:
            along = self.sequence_logps(model, {key: inputs[_PREFIX + key][rows] for key in _BATCH_KEYS})
        logps = old.index_put((rows,), along.to(old.dtype))  # (M, T), grad through the k rows
        return pi_loss(
            logps, old, inputs[_PREFIX + "coefficients"], inputs[_PREFIX + "completion_mask"],
            self.epsilon_low, self.epsilon_high, self._pipo_aggregation, self.max_completion_length,
        )

    def _pipo_separate_loss(self, model, inputs, rows, grpo_loss) -> torch.Tensor:
        if rows is not None:
            started = time.perf_counter()
            self._pipo_separate_step(model, inputs, rows)
            self.train_metrics["pipo/overhead_s"][-1] += time.perf_counter() - started
        with self.scoring_along(None) as along:
            loss = grpo_loss()
        self._pipo_record(inputs, along.base_logps)
        return loss

    def _pipo_separate_step(self, model, inputs: dict[str, Any], rows: torch.Tensor) -> None:
        """One optimizer step on the PI loss alone, at the current learning rate."""
        pi = self._pipo_pi_loss(model, inputs, rows, None)
        self._pipo_log_pi_loss(pi, rows)
        self.accelerator.backward(pi)
        if self.args.max_grad_norm:
            self.accelerator.clip_grad_norm_(model.parameters(), self.args.max_grad_norm)
        self.optimizer.step()
        self.optimizer.zero_grad()

    def _pipo_log_pi_loss(self, pi: torch.Tensor, rows: torch.Tensor) -> None:
        value = self.accelerator.gather(pi.detach().reshape(1)).mean().item()
        self.train_metrics["pipo/pi_loss"].append(value)
        self.train_metrics["pipo/pi_rows"].append(float(rows.numel()))

    # ---------------------------------------------------------------------- checkpoints

    def pipo_state(self) -> dict[str, Any]:
        """The window and the xi history, as written to ``pipo_state.json``."""
        return {"window": self.pipo_window.state(), "xis": list(self.pipo_xis)}

    def checkpoint_saved(self, folder: str) -> None:
        if self.pipo is None:
            return
        if self.args.should_save:
            with open(os.path.join(folder, PIPO_STATE_FILE), "w") as handle:
                json.dump(self.pipo_state(), handle)
        if self._pipo_batch is not None:
            batch = {key: value.detach().cpu() for key, value in self._pipo_batch.items()}
            torch.save(batch, os.path.join(folder, self._pipo_batch_file()))

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
        self._pipo_batch = self._pipo_load_batch(os.path.join(folder, self._pipo_batch_file()))

    def _pipo_batch_file(self) -> str:
        return PIPO_BATCH_FILE.format(rank=self.accelerator.process_index)

    def _pipo_load_batch(self, path: str) -> dict[str, torch.Tensor] | None:
        if not os.path.exists(path):
            log.warning("PIPO: no previous batch at %s (saved by another number of processes?); "
                        "the first step after the resume has no PI term", path)
            return None
        batch = torch.load(path, map_location=self.accelerator.device, weights_only=True)
        missing = [key for key in _CACHED_KEYS if key not in batch]
        if missing:
            raise ValueError(f"{path} lacks {', '.join(missing)}; it was not written by PipoGRPOTrainer.")
        return batch
