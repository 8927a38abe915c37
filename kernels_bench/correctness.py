"""Does ``ModelNew`` compute what the reference ``Model`` computes? Checked as an adversary would.

:func:`check_correctness` builds both models from the same ``get_init_inputs()`` under the
same seed (and copies the reference's weights into the candidate when their parameters
match), then runs them over every seed x input distribution with fresh inputs:

- inputs come from several distributions (uniform [0, 1), normal, signed uniform [-1, 1),
  normal scaled by 10); integer inputs stay integer, within the template's range;
- reference and candidate each get their own clone; afterwards the candidate's inputs must
  be unchanged (or changed exactly as the reference changed its own);
- the run order alternates (reference first, candidate first), and the reference's output
  stays alive while the candidate runs, so a candidate cannot read it from freed memory;
- the output must be a plain ``torch.Tensor`` (exact type, no subclass) with the reference's
  dtype, shape and device, finite wherever the reference is finite, and within the dtype's
  tolerance (fp32 1e-4; fp16/bf16 1e-2; integers exact);
- finally, two more input shapes, a smaller and a LARGER batch, catch hard-coded shapes
  (a kernel whose grid covers only the problem's batch passes the smaller one).

``distributions=("problem",)`` uses the problem's own ``get_inputs()`` as they come (the
``kernelbench`` rule set); ``alternate_order=False`` always runs the reference first and
``check_inputs=False`` skips the unchanged-inputs check, as KernelBench does.

A trial whose reference output is not finite (``log`` of a signed input, say) is skipped:
it says nothing about the candidate. Everything a candidate does wrong is data in the
returned :class:`CorrectnessReport`, never an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch

logger = logging.getLogger(__name__)

Distribution = Literal["uniform", "normal", "signed", "scaled", "problem"]
DISTRIBUTIONS: tuple[Distribution, ...] = ("uniform", "normal", "signed", "scaled")
_ALL_DISTRIBUTIONS = (*DISTRIBUTIONS, "problem")  # "problem": get_inputs() as it comes
# Which check a failed trial failed: stable across runs, unlike the message (which can quote
# values from uninitialised memory). "values" covers both wrong and non-finite values.
FailedCheck = Literal["", "construct", "forward", "output_type", "output_dtype", "output_shape", "output_device",
                      "values", "inputs", "no_finite_reference"]
Variant = Literal["", "smaller_batch", "larger_batch"]
_SCALE = 10.0
_TOLERANCE = {torch.float16: 1e-2, torch.bfloat16: 1e-2, torch.float32: 1e-4, torch.float64: 1e-4}

# Bound before any candidate is imported, so patching torch later cannot change them.
_cuda_synchronize = torch.cuda.synchronize


@dataclass(frozen=True)
class CorrectnessConfig:
    """How hard to look. ``device`` is ``"cpu"`` or ``"cuda"``/``"cuda:N"``."""

    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    distributions: tuple[Distribution, ...] = DISTRIBUTIONS
    device: str = "cpu"
    shape_variants: bool = True
    alternate_order: bool = True
    check_inputs: bool = True

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError("CorrectnessConfig.seeds is empty; give at least one seed, such as (0, 1, 2, 3, 4).")
        unknown = [d for d in self.distributions if d not in _ALL_DISTRIBUTIONS]
        if unknown or not self.distributions:
            raise ValueError(f"CorrectnessConfig.distributions {self.distributions!r} must be a non-empty subset of {_ALL_DISTRIBUTIONS}.")
        if not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ValueError(f"CorrectnessConfig.device {self.device!r} must be 'cpu', 'cuda' or 'cuda:N'.")


@dataclass(frozen=True)
class CorrectnessReport:
    """The verdict. ``reason`` is one line; ``feedback`` is what the proposer reads."""

    correct: bool
    failure: Literal["", "runtime", "mismatch"]  # runtime: ModelNew raised; mismatch: wrong output
    reason: str
    feedback: str
    trials: int  # trials compared
    skipped_trials: int  # trials whose reference output was not finite
    max_abs_diff: float
    check: FailedCheck = ""  # which check failed (assert on this, not on the message)
    variant: Variant = ""  # the changed batch the failure happened on, if any


class _Mismatch(Exception):
    """Internal: one trial failed; carries the one-line reason and the proposer's feedback."""

    def __init__(self, reason: str, feedback: str, failure: Literal["runtime", "mismatch"] = "mismatch",
                 check: FailedCheck = "values") -> None:
        super().__init__(reason)
        self.reason = reason
        self.feedback = feedback
        self.failure = failure
        self.check = check
        self.variant: Variant = ""


def tolerance_for(dtype: torch.dtype) -> float:
    """Absolute and relative tolerance for outputs of ``dtype`` (0.0: exact, for integers)."""
    return _TOLERANCE.get(dtype, 0.0 if not dtype.is_floating_point else 1e-4)


def synchronize(device: str) -> None:
    """Wait for all work on ``device`` (device-wide on CUDA, so side streams are included)."""
    if device.startswith("cuda"):
        _cuda_synchronize(device)


def fresh_inputs(template: Sequence[Any], seed: int, distribution: Distribution, device: str) -> list[Any]:
    """New inputs shaped like ``template``: floats from ``distribution``, integers kept integer.

    ``"problem"`` keeps the template's own values (moved to ``device``)."""
    if distribution == "problem":
        return [value.to(device) if isinstance(value, torch.Tensor) else value for value in template]
    generator = torch.Generator().manual_seed(seed)
    return [_fresh(value, generator, distribution).to(device) if isinstance(value, torch.Tensor) else value
            for value in template]


def _fresh(value: torch.Tensor, generator: torch.Generator, distribution: Distribution) -> torch.Tensor:
    shape = tuple(value.shape)
    if value.dtype == torch.bool:
        return torch.randint(0, 2, shape, generator=generator).bool()
    if not value.dtype.is_floating_point:
        if value.numel() == 0:
            return value.detach().cpu().clone()
        low, high = int(value.min()), int(value.max())
        return torch.randint(low, high + 1, shape, generator=generator, dtype=value.dtype)
    if distribution == "uniform":
        data = torch.rand(shape, generator=generator)
    elif distribution == "signed":
        data = torch.rand(shape, generator=generator) * 2 - 1
    else:
        data = torch.randn(shape, generator=generator) * (_SCALE if distribution == "scaled" else 1.0)
    return data.to(value.dtype)


def check_correctness(
    reference_cls: Callable[..., torch.nn.Module],
    candidate_cls: Callable[..., torch.nn.Module],
    get_inputs: Callable[[], Sequence[Any]],
    get_init_inputs: Callable[[], Sequence[Any]],
    config: CorrectnessConfig | None = None,
) -> CorrectnessReport:
    """Compare ``candidate_cls`` with ``reference_cls`` over every seed and distribution."""
    config = config or CorrectnessConfig()
    counts = {"trials": 0, "skipped": 0, "max_abs_diff": 0.0}
    try:
        reference, candidate = _build_models(reference_cls, candidate_cls, get_init_inputs, config)
        for index, (seed, distribution) in enumerate(
            (seed, distribution) for seed in config.seeds for distribution in config.distributions
        ):
            torch.manual_seed(seed)
            template = get_inputs()
            inputs = fresh_inputs(template, seed, distribution, config.device)
            candidate_first = config.alternate_order and bool(index % 2)
            where = f"seed {seed}, {distribution} inputs, {'candidate' if candidate_first else 'reference'} run first"
            _trial(reference, candidate, inputs, candidate_first=candidate_first, where=where, counts=counts,
                   check_inputs=config.check_inputs)
        if config.shape_variants:
            for grow in (False, True):
                _shape_variant_trial(reference, candidate, get_inputs, config, counts, grow=grow)
    except _Mismatch as mismatch:
        return CorrectnessReport(False, mismatch.failure, mismatch.reason, mismatch.feedback, counts["trials"],
                                 counts["skipped"], counts["max_abs_diff"], mismatch.check, mismatch.variant)
    if counts["trials"] == 0:
        reason = "the reference produced no finite output on any trial, so nothing could be compared"
        return CorrectnessReport(False, "mismatch", reason, reason, 0, counts["skipped"], 0.0, "no_finite_reference")
    summary = f"correct on {counts['trials']} trials (max |diff| {counts['max_abs_diff']:.3g})"
    return CorrectnessReport(True, "", "", summary, counts["trials"], counts["skipped"], counts["max_abs_diff"])


def _build_models(reference_cls, candidate_cls, get_init_inputs, config: CorrectnessConfig):
    seed = config.seeds[0]
    torch.manual_seed(seed)
    reference = reference_cls(*get_init_inputs()).to(config.device)
    try:
        torch.manual_seed(seed)
        candidate = candidate_cls(*get_init_inputs())
        candidate = candidate.to(config.device) if isinstance(candidate, torch.nn.Module) else candidate
    except Exception as exc:  # the candidate's own failure is data
        raise _Mismatch(f"ModelNew(*get_init_inputs()) raised {type(exc).__name__}: {exc}",
                        f"Constructing ModelNew failed: {type(exc).__name__}: {exc}", "runtime", "construct") from None
    _share_weights(reference, candidate)
    return reference, candidate


def _share_weights(reference: torch.nn.Module, candidate: Any) -> None:
    """Copy the reference's parameters and buffers when the candidate has exactly the same ones."""
    if not isinstance(candidate, torch.nn.Module):
        return
    ref_state, new_state = reference.state_dict(), candidate.state_dict()
    same = ref_state.keys() == new_state.keys() and all(
        ref_state[k].shape == new_state[k].shape and ref_state[k].dtype == new_state[k].dtype for k in ref_state
    )
    if same and ref_state:
        candidate.load_state_dict(ref_state)


def _trial(reference, candidate, inputs: list[Any], *, candidate_first: bool, where: str, counts: dict,
           check_inputs: bool = True) -> None:
    device = _device_of(inputs)
    ref_inputs, new_inputs = _clone_all(inputs), _clone_all(inputs)
    if candidate_first:
        new_out = _run_candidate(candidate, new_inputs, where, device)
        ref_out = _run_reference(reference, ref_inputs, device)
    else:
        ref_out = _run_reference(reference, ref_inputs, device)
        new_out = _run_candidate(candidate, new_inputs, where, device)
    if ref_out is None or not _all_finite(ref_out):
        counts["skipped"] += 1
        return
    if check_inputs:
        _check_inputs(inputs, ref_inputs, new_inputs, where)
    counts["max_abs_diff"] = max(counts["max_abs_diff"], compare_outputs(ref_out, new_out, where))
    counts["trials"] += 1


def _shape_variant_trial(reference, candidate, get_inputs, config: CorrectnessConfig, counts: dict,
                         grow: bool = False) -> None:
    seed = config.seeds[0]
    torch.manual_seed(seed)
    original = get_inputs()
    template = vary_batch(original, grow=grow)
    if template is None:
        return
    distribution = "problem" if config.distributions == ("problem",) else "normal"
    inputs = fresh_inputs(template, seed + 1 + grow, distribution, config.device)
    try:
        _run_reference(reference, _clone_all(inputs), _device_of(inputs), raise_errors=True)
    except Exception as exc:  # the reference itself only takes one shape: nothing to vary
        logger.debug("reference rejects a changed batch size (%s); skipping the shape check", exc)
        return
    size = "larger" if grow else "smaller"
    where = (f"a {size} batch ({_batch_of(template)} instead of the problem's {_batch_of(original)}), seed {seed}")
    try:
        _trial(reference, candidate, inputs, candidate_first=False, where=where, counts=counts,
               check_inputs=config.check_inputs)
    except _Mismatch as mismatch:
        mismatch.variant = "larger_batch" if grow else "smaller_batch"
        raise


def _batch_of(template: Sequence[Any]) -> int | None:
    return next((value.shape[0] for value in template if isinstance(value, torch.Tensor) and value.dim() > 0), None)


def vary_batch(template: Sequence[Any], grow: bool = False) -> list[Any] | None:
    """The template with the leading (batch) dimension changed on every tensor that shares it.

    ``grow=False`` makes the batch smaller (about half; larger when it is 1 or 2),
    ``grow=True`` about one and a half times larger. Rows are repeated from the template, so
    integer inputs keep their range.
    """
    tensors = [value for value in template if isinstance(value, torch.Tensor) and value.dim() > 0]
    if not tensors:
        return None
    batch = tensors[0].shape[0]
    if grow:
        new_batch = batch + batch // 2 + 1
    else:
        new_batch = batch // 2 + 1 if batch > 2 else batch + 3
    rows = torch.arange(new_batch) % batch
    return [
        value[rows] if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape[0] == batch else value
        for value in template
    ]


def _run_reference(model, inputs: list[Any], device: str, raise_errors: bool = False):
    try:
        with torch.no_grad():
            output = model(*inputs)
        synchronize(device)
        return output
    except Exception as exc:
        if raise_errors:
            raise
        logger.warning("the reference raised %s: %s; skipping this trial", type(exc).__name__, exc)
        return None


def _run_candidate(model, inputs: list[Any], where: str, device: str):
    try:
        with torch.no_grad():
            output = model(*inputs)
        synchronize(device)
        return output
    except Exception as exc:  # the candidate's failure is data
        message = f"{type(exc).__name__}: {exc}".strip()
        raise _Mismatch(f"ModelNew.forward raised {message}", f"ModelNew.forward raised on {where}: {message}",
                        "runtime", "forward") from None


def _device_of(inputs: Sequence[Any]) -> str:
    for value in inputs:
        if isinstance(value, torch.Tensor):
            return str(value.device)
    return "cpu"


def _clone_all(inputs: Sequence[Any]) -> list[Any]:
    return [value.clone() if isinstance(value, torch.Tensor) else value for value in inputs]


def _all_finite(output: Any) -> bool:
    if isinstance(output, torch.Tensor):
        return not output.is_floating_point() or bool(torch.isfinite(output).all())
    if isinstance(output, tuple | list):
        return all(_all_finite(item) for item in output)
    return True


def _check_inputs(pristine: list[Any], ref_inputs: list[Any], new_inputs: list[Any], where: str) -> None:
    for position, (original, after_ref, after_new) in enumerate(zip(pristine, ref_inputs, new_inputs, strict=True)):
        if not isinstance(original, torch.Tensor):
            continue
        expected = after_ref if not torch.equal(after_ref, original) else original
        if not (type(after_new) is torch.Tensor and torch.equal(after_new, expected)):
            raise _Mismatch(
                f"ModelNew modified input {position} in place",
                f"ModelNew changed its input {position} in place on {where}; forward must leave its inputs as they were.",
                check="inputs",
            )


def compare_outputs(expected: Any, actual: Any, where: str = "this trial") -> float:
    """Raise the internal mismatch unless ``actual`` matches ``expected``; return max |diff|."""
    if isinstance(expected, tuple | list):
        if type(actual) is not type(expected) or len(actual) != len(expected):
            _fail(f"output should be a {type(expected).__name__} of {len(expected)} tensors, got {_describe(actual)}", where,
                  "output_type")
        return max([compare_outputs(e, a, where) for e, a in zip(expected, actual, strict=True)], default=0.0)
    if not isinstance(expected, torch.Tensor):
        if expected != actual:
            _fail(f"output should be {expected!r}, got {actual!r}", where, "values")
        return 0.0
    if type(actual) is not torch.Tensor:
        _fail(f"output must be a plain torch.Tensor, got {_describe(actual)}", where, "output_type")
    for what in ("dtype", "shape", "device"):
        if getattr(actual, what) != getattr(expected, what):
            _fail(f"output {what} should be {getattr(expected, what)}, got {getattr(actual, what)}", where, f"output_{what}")
    return _compare_values(expected, actual, where)


def _compare_values(expected: torch.Tensor, actual: torch.Tensor, where: str) -> float:
    if expected.numel() == 0:
        return 0.0
    if actual.is_floating_point() and not bool(torch.isfinite(actual).all()):
        _fail(f"output has {int((~torch.isfinite(actual)).sum())} NaN/Inf values where the reference is finite", where)
    tol = tolerance_for(expected.dtype)
    exp64, act64 = expected.detach().cpu().double(), actual.detach().cpu().double()
    diff = (act64 - exp64).abs()
    bad = diff > tol + tol * exp64.abs()
    max_diff = float(diff.max())
    if bool(bad.any()):
        flat = int(diff.argmax())
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), expected.shape))
        _fail(
            f"output mismatch: {int(bad.sum())} of {expected.numel()} values outside atol=rtol={tol:g} for "
            f"{expected.dtype}; max |diff| {max_diff:.4g} at {index} (expected {float(exp64.flatten()[flat]):.6g}, "
            f"got {float(act64.flatten()[flat]):.6g})",
            where,
        )
    return max_diff


def _fail(reason: str, where: str, check: FailedCheck = "values") -> None:
    raise _Mismatch(reason, f"{reason} [{where}]", check=check)


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"an instance of {type(value).__module__}.{type(value).__qualname__}"
    return f"{type(value).__name__}"
