"""The one place polca touches TRL's private ``GRPOTrainer`` methods.

TRL keeps the steps PIPO must hook into (reward scoring, batch generation, the loss,
checkpoint save and load) in private methods that change between releases without notice.
``GRPOSeam`` overrides them and turns them into public hooks a subclass implements
(``rewards_scored``, ``batch_generated``, ``loss``, ``checkpoint_saved``,
``checkpoint_loaded``), and exposes the private helpers PIPO reads (``sequence_logps``,
``train_metrics``) and one it extends (``scoring_along``: the base loss's forward pass also
scores extra completions, in the same pass and the same graph). Its defaults pass
everything through, so a ``GRPOSeam`` trains exactly as a ``GRPOTrainer`` does.

At construction ``check_grpo_trainer`` compares each private method's signature with the
one this module was written against; a change raises ``IncompatibleTRL`` naming the
installed TRL and the supported range, instead of failing mid-training or, worse,
silently training without PIPO's term.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import torch
from trl import GRPOTrainer

# Keep in step with the `train` extra in pyproject.toml (a test compares them).
SUPPORTED_TRL = ">=1.16,<2"

# Private methods GRPOSeam overrides: TRL calls them, so their parameters must be exactly these.
OVERRIDDEN: dict[str, tuple[str, ...]] = {
    "_calculate_rewards": ("self", "inputs", "prompts", "completions", "completion_ids_list"),
    "_generate_and_score_completions": ("self", "inputs"),
    "_compute_loss": ("self", "model", "inputs"),
    "_save_checkpoint": ("self", "model", "trial"),
    "_load_optimizer_and_scheduler": ("self", "checkpoint"),
}
# Private methods GRPOSeam calls (the log-prob helper it also wraps, passing every argument
# through): they must accept these positional and keyword arguments.
CALLED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "_get_per_token_logps_and_entropies": (
        ("self", "model", "input_ids", "attention_mask", "logits_to_keep"), ("batch_size",)
    ),
    "_get_output_dir": (("self",), ("trial",)),
}
# Keyword arguments of the log-prob helper that may be set when extra rows join its pass;
# any other one set (images, token types: per-row inputs the seam cannot extend) keeps
# the pass to TRL's own rows.
_FUSABLE_KEYWORDS = frozenset({"compute_entropy"})

# GRPOSeam's own names: TRL must not define them.
HOOKS = (
    "rewards_scored", "batch_generated", "loss", "checkpoint_saved", "checkpoint_loaded",
    "train_metrics", "sequence_logps", "scoring_along",
)


class IncompatibleTRL(RuntimeError):
    """The installed TRL's private ``GRPOTrainer`` API is not the one polca was written for."""


def installed_trl() -> str:
    """The installed TRL's version, or ``"unknown"``."""
    try:
        return version("trl")
    except PackageNotFoundError:
        return "unknown"


def seam_mismatches(cls: type) -> list[str]:
    """How ``cls``'s private API differs from what ``GRPOSeam`` expects; empty if it does not."""
    return [*_override_mismatches(cls), *_call_mismatches(cls), *_hook_collisions(cls)]


def _override_mismatches(cls: type) -> list[str]:
    problems = []
    for name, expected in OVERRIDDEN.items():
        signature = _signature(cls, name)
        if signature is None:
            problems.append(f"{name} is gone")
        elif tuple(signature.parameters) != expected:
            problems.append(f"{name}{signature} is not ({', '.join(expected)})")
    return problems


def _call_mismatches(cls: type) -> list[str]:
    problems = []
    for name, (positional, keywords) in CALLED.items():
        signature = _signature(cls, name)
        if signature is None:
            problems.append(f"{name} is gone")
            continue
        try:
            signature.bind(*positional, **dict.fromkeys(keywords))
        except TypeError as exc:
            problems.append(f"{name}{signature} cannot take ({', '.join((*positional, *keywords))}): {exc}")
    return problems


def _hook_collisions(cls: type) -> list[str]:
    # A TRL attribute of a hook's name would be replaced by the hook without a word.
    return [f"{name} now exists in TRL and clashes with GRPOSeam's" for name in HOOKS if hasattr(cls, name)]


def check_grpo_trainer(cls: type = GRPOTrainer) -> None:
    """Raise ``IncompatibleTRL`` when ``cls`` (TRL's ``GRPOTrainer``) changed its private API."""
    problems = seam_mismatches(cls)
    if problems:
        raise IncompatibleTRL(
            f"TRL {installed_trl()} changed the private GRPOTrainer methods polca's trainer "
            f"hooks into ({'; '.join(problems)}); polca supports trl{SUPPORTED_TRL}: "
            f"pip install 'trl{SUPPORTED_TRL}'"
        )


def _signature(cls: type, name: str) -> inspect.Signature | None:
    method = getattr(cls, name, None)
    return inspect.signature(method) if callable(method) else None


@dataclass
class ScoredAlong:
    """What the base loss's forward pass scored inside :meth:`GRPOSeam.scoring_along`.

    ``base_logps``: (B, T) detached per-token log-probs of the loss's own batch (None when
    the loss never ran a forward pass); ``logps``: (k, T') log-probs of the extra rows, in
    the same graph as the loss, or None when they could not join the pass (the caller
    scores them itself).
    """

    extra: dict[str, torch.Tensor] | None
    base_logps: torch.Tensor | None = None
    logps: torch.Tensor | None = None
    used: bool = False


def stack_rows(
    input_ids: torch.Tensor, attention_mask: torch.Tensor, logits_to_keep: int,
    extra: dict[str, torch.Tensor], pad_id: int,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """TRL's (B, P+T) rows with ``extra``'s (k, P'+T') rows below them, one padded batch.

    Prompts are left-padded and completions right-padded to the wider of the two, the way
    TRL pads within a batch (relative-position models such as Llama and Qwen score a row
    the same whatever its left padding). Returns ids and mask (B+k, P*+T*) and T*.
    """
    prompt, completion = input_ids[:, :-logits_to_keep], input_ids[:, -logits_to_keep:]
    prompt_mask, completion_mask = attention_mask[:, :-logits_to_keep], attention_mask[:, -logits_to_keep:]
    width_p = max(prompt.size(1), extra["prompt_ids"].size(1))
    width_t = max(logits_to_keep, extra["completion_ids"].size(1))
    ids = torch.cat([
        torch.cat([_pad(prompt, width_p, pad_id, left=True), _pad(completion, width_t, pad_id)], dim=1),
        torch.cat([_pad(extra["prompt_ids"], width_p, pad_id, left=True),
                   _pad(extra["completion_ids"], width_t, pad_id)], dim=1),
    ])  # (B+k, P*+T*)
    mask = torch.cat([
        torch.cat([_pad(prompt_mask, width_p, 0, left=True), _pad(completion_mask, width_t, 0)], dim=1),
        torch.cat([_pad(extra["prompt_mask"], width_p, 0, left=True),
                   _pad(extra["completion_mask"], width_t, 0)], dim=1),
    ])
    return ids, mask.to(attention_mask.dtype), width_t


def _pad(rows: torch.Tensor, width: int, value: int, *, left: bool = False) -> torch.Tensor:
    missing = width - rows.size(1)
    if missing == 0:
        return rows
    fill = torch.full((rows.size(0), missing), value, dtype=rows.dtype, device=rows.device)
    return torch.cat([fill, rows] if left else [rows, fill], dim=1)


class GRPOSeam(GRPOTrainer):
    """TRL's ``GRPOTrainer`` with its private steps turned into hooks; defaults pass through.

    Subclasses override the hooks, never TRL's private methods, so this class alone
    follows TRL's internals. Raises ``IncompatibleTRL`` at construction when they changed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        check_grpo_trainer(GRPOTrainer)
        super().__init__(*args, **kwargs)
        self._seam_along: ScoredAlong | None = None
        metrics = getattr(self, "_metrics", None)
        if not isinstance(metrics, dict) or "train" not in metrics:
            raise IncompatibleTRL(
                f"TRL {installed_trl()} keeps no GRPOTrainer._metrics['train'] for the trainer's "
                f"logs; polca supports trl{SUPPORTED_TRL}: pip install 'trl{SUPPORTED_TRL}'"
            )

    # ------------------------------------------------------------------------ hooks

    def rewards_scored(self, rewards_per_func: torch.Tensor) -> None:
        """Sees the (N, F) rewards of each freshly generated batch, all processes' rows."""

    def batch_generated(self, output: dict[str, Any]) -> dict[str, Any]:
        """The scored batch the loss will see; may add keys to ``output`` (split with it)."""
        return output

    def loss(
        self, model: Any, inputs: dict[str, Any], grpo_loss: Callable[[], torch.Tensor]
    ) -> torch.Tensor:
        """The loss on ``inputs``; ``grpo_loss()`` computes GRPO's own, once per call."""
        return grpo_loss()

    def checkpoint_saved(self, folder: str) -> None:
        """Called after TRL wrote checkpoint ``folder``, on every process (TRL writes each
        process's RNG state there too); ``self.args.should_save`` marks the main one."""

    def checkpoint_loaded(self, folder: str) -> None:
        """Called after TRL restored the optimizer and scheduler from checkpoint ``folder``."""

    # ------------------------------------------------------- TRL internals, read-only

    @property
    def train_metrics(self) -> dict[str, list[float]]:
        """The per-step training logs: name -> values since the last log (TRL averages them)."""
        return self._metrics["train"]

    def sequence_logps(self, model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Per-token log-probs (B, T) of ``batch``'s completions under ``model``."""
        input_ids = torch.cat([batch["prompt_ids"], batch["completion_ids"]], dim=1)  # (B, P+T)
        attention_mask = torch.cat([batch["prompt_mask"], batch["completion_mask"]], dim=1)
        logits_to_keep = batch["completion_ids"].size(1)
        logps, _, _ = self._get_per_token_logps_and_entropies(
            model, input_ids, attention_mask, logits_to_keep, batch_size=len(input_ids)
        )
        return logps  # (B, T)

    @contextmanager
    def scoring_along(self, extra: dict[str, torch.Tensor] | None) -> Iterator[ScoredAlong]:
        """Inside, the next policy forward pass (the base loss's) also scores ``extra``.

        ``extra`` holds ``prompt_ids``, ``prompt_mask``, ``completion_ids`` and
        ``completion_mask`` (k rows); ``None`` only records the pass's own log-probs. One
        model call and one graph serve both, so the loss's backward covers both and the
        extra rows cost no second pass. Rows join only a plain text pass; otherwise
        ``ScoredAlong.logps`` stays None.
        """
        along = ScoredAlong(extra)
        self._seam_along = along
        try:
            yield along
        finally:
            self._seam_along = None

    # ----------------------------------------------- TRL's private methods: the seam

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self.rewards_scored(rewards_per_func)
        return rewards_per_func

    def _generate_and_score_completions(self, inputs):
        return self.batch_generated(super()._generate_and_score_completions(inputs))

    def _compute_loss(self, model, inputs):
        return self.loss(model, inputs, lambda: super(GRPOSeam, self)._compute_loss(model, inputs))

    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep,
                                           batch_size=None, **kwargs):
        along = self._seam_along
        if along is None or along.used:
            return super()._get_per_token_logps_and_entropies(
                model, input_ids, attention_mask, logits_to_keep, batch_size, **kwargs
            )
        along.used = True
        fusable = along.extra is not None and all(
            value is None or value is False for key, value in kwargs.items() if key not in _FUSABLE_KEYWORDS
        )
        if not fusable:
            result = super()._get_per_token_logps_and_entropies(
                model, input_ids, attention_mask, logits_to_keep, batch_size, **kwargs
            )
            along.base_logps = result[0].detach()
            return result
        rows = input_ids.size(0)
        ids, mask, width = stack_rows(input_ids, attention_mask, logits_to_keep, along.extra,
                                      getattr(self, "pad_token_id", None) or 0)
        logps, entropies, aux_loss = super()._get_per_token_logps_and_entropies(
            model, ids, mask, width, batch_size, **kwargs
        )  # (B+k, T*)
        along.logps = logps[rows:, : along.extra["completion_ids"].size(1)]
        logps = logps[:rows, :logits_to_keep]
        along.base_logps = logps.detach()
        if entropies is not None:
            entropies = entropies[:rows, :logits_to_keep]
        return logps, entropies, aux_loss

    def _save_checkpoint(self, model, trial):
        super()._save_checkpoint(model, trial)
        folder = f"checkpoint-{self.state.global_step}"
        self.checkpoint_saved(os.path.join(self._get_output_dir(trial=trial), folder))

    def _load_optimizer_and_scheduler(self, checkpoint):
        super()._load_optimizer_and_scheduler(checkpoint)
        if checkpoint is not None:
            self.checkpoint_loaded(checkpoint)
