"""Rule sets: which guards reject, how correctness is checked and which statistic a speedup uses.

Two are registered (:data:`RULE_SETS`); every result and report names the one that produced it.

- ``strict`` (the default, and what RL rewards use): every polca defence. Every guard is an
  error (no PyTorch compute outside the kernel, operators and tensor methods included; no
  imports beyond torch/triton/cupy/math; no pointer caching; no persisting-L2 windows...);
  inputs are drawn from four distributions, both run orders, the inputs must come back
  unchanged, a smaller and a larger batch are tried, correctness is re-checked after
  timing, and a speedup is a ratio of medians.
- ``kernelbench``: KernelBench's own allowances, so fast_p is comparable with published
  numbers. Its static checker rejects only the bypasses it lists as strict (try/except
  fallbacks, inheriting the reference, timing monkey-patches, threads and processes, lazy
  tensor subclasses) and requires a custom kernel; PyTorch operators may stay in
  ``ModelNew`` (a warning there). So here the other guards only warn (their findings are
  kept as flags), correctness is 5 trials on the problem's own ``get_inputs()`` with
  KernelBench's tolerances (fp32 1e-4, fp16/bf16 1e-2), the reference run first, no shape
  variant and no re-check, and a speedup is a ratio of means over cache-flushed trials, as
  KernelBench's ``cuda_event`` timing reports it.

    from polca.kernels_bench.rules import get_rules
    get_rules("kernelbench").statistic   # "mean"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Statistic = Literal["median", "mean"]
RuleSetName = Literal["strict", "kernelbench"]
DEFAULT_RULES: RuleSetName = "strict"


@dataclass(frozen=True)
class RuleSet:
    """One rule set. ``guard_errors`` names the checks of :data:`~polca.kernels_bench.guards.CHECKS`
    whose findings reject a candidate (None: all of them); the others' findings become warnings."""

    name: str
    summary: str
    guard_errors: frozenset[str] | None
    problem_inputs: bool  # True: the problem's get_inputs() as-is; False: polca's four distributions
    alternate_order: bool  # run the candidate first on every other trial
    check_inputs: bool  # the candidate must leave its inputs unchanged
    shape_variants: bool  # also try a smaller and a larger batch
    recheck: bool  # check correctness again after timing
    statistic: Statistic  # what a speedup is a ratio of

    def is_error(self, check: str) -> bool:
        return self.guard_errors is None or check in self.guard_errors


STRICT = RuleSet(
    name="strict",
    summary="every polca defence: all guards, four input distributions, both run orders, unchanged inputs, "
            "smaller and larger batches, a re-check after timing; speedup = ratio of medians",
    guard_errors=None, problem_inputs=False, alternate_order=True, check_inputs=True, shape_variants=True,
    recheck=True, statistic="median",
)
KERNELBENCH = RuleSet(
    name="kernelbench",
    summary="KernelBench's allowances: PyTorch operators may stay in ModelNew; only its strict bypass checks "
            "reject; 5 trials on the problem's own inputs, reference first; speedup = ratio of means",
    guard_errors=frozenset({"reference_use", "try_fallback", "timing_patches", "concurrency", "tensor_subclass",
                            "custom_kernel"}),
    problem_inputs=True, alternate_order=False, check_inputs=False, shape_variants=False, recheck=False,
    statistic="mean",
)
RULE_SETS: dict[str, RuleSet] = {rules.name: rules for rules in (STRICT, KERNELBENCH)}


def get_rules(name: str) -> RuleSet:
    """The rule set registered as ``name``; an unknown name raises and lists the choices."""
    if name not in RULE_SETS:
        raise ValueError(f"unknown rule set {name!r}; choose one of {', '.join(RULE_SETS)}.")
    return RULE_SETS[name]
