"""The trial loop that times kernels, written against a small :class:`Timer` contract.

One loop serves every device: :class:`CudaEventTimer` on a GPU and :class:`PerfCounterTimer`
on a CPU keep the same contract, so the loop's design is tested without a GPU. Per trial:

1. fresh inputs are made (outside the timed region), so no output can be cached on them;
2. the cache is flushed (on CUDA: a buffer twice the L2 size is overwritten), so no trial
   is faster because the previous one left its data in cache;
3. ``timer.start()``; the function runs; ``timer.stop()``, which synchronizes the whole
   device *before* the end mark, so work hidden on a side stream is counted.

Warm-up trials run first and are discarded. Several functions (reference and candidate)
are interleaved trial by trial, with a rotating order, so drift in clock speed or load hits
all of them alike. Raw samples are kept; statistics are computed from them, never rounded.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch

_CPU_FLUSH_BYTES = 32 * 1024 * 1024


class Timer(Protocol):
    """Times one region.

    Invariants: ``stop()`` returns the milliseconds since the matching ``start()``; it waits
    for all work queued on the device (every stream) before taking the end mark; the timer
    holds its own references to the clock and synchronize functions, taken when it was
    built, so code patched in afterwards cannot change what it measures.
    """

    def start(self) -> None: ...

    def stop(self) -> float: ...


class PerfCounterTimer:
    """Wall-clock timer for CPU work (the CPU runs ``fn`` synchronously)."""

    def __init__(self) -> None:
        self._clock = time.perf_counter
        self._start_s = 0.0

    def start(self) -> None:
        self._start_s = self._clock()

    def stop(self) -> float:
        return (self._clock() - self._start_s) * 1000.0


class CudaEventTimer:
    """CUDA events around the region, with a device-wide synchronize before the end event."""

    def __init__(self, device: str = "cuda") -> None:
        self._device = torch.device(device)
        self._synchronize = torch.cuda.synchronize
        self._start = torch.cuda.Event(enable_timing=True)
        self._end = torch.cuda.Event(enable_timing=True)

    def start(self) -> None:
        self._synchronize(self._device)
        self._start.record()

    def stop(self) -> float:
        self._synchronize(self._device)  # defeats side streams: every stream has finished
        self._end.record()
        self._end.synchronize()
        return float(self._start.elapsed_time(self._end))


class CacheFlush:
    """Overwrites a buffer larger than the cache before each trial."""

    def __init__(self, device: str = "cpu", nbytes: int | None = None) -> None:
        if nbytes is None:
            nbytes = _l2_bytes(device) * 2 if device.startswith("cuda") else _CPU_FLUSH_BYTES
        self._buffer = torch.empty(max(nbytes // 4, 1), dtype=torch.float32, device=device)

    def __call__(self) -> None:
        self._buffer.fill_(1.0)


def _l2_bytes(device: str) -> int:
    properties = torch.cuda.get_device_properties(torch.device(device))
    return int(getattr(properties, "L2_cache_size", 0) or 64 * 1024 * 1024)


def make_timer(device: str) -> Timer:
    """The timer for ``device``: CUDA events on ``cuda``/``cuda:N``, perf_counter on ``cpu``."""
    return CudaEventTimer(device) if device.startswith("cuda") else PerfCounterTimer()


@dataclass(frozen=True)
class TimingConfig:
    """How many trials. KernelBench-grade numbers need ``trials >= 100``."""

    warmup_trials: int = 10
    trials: int = 100
    flush_cache: bool = True

    def __post_init__(self) -> None:
        if self.trials < 1 or self.warmup_trials < 0:
            raise ValueError(
                f"TimingConfig needs trials >= 1 and warmup_trials >= 0, got trials={self.trials}, "
                f"warmup_trials={self.warmup_trials}; use trials=100 for reported numbers."
            )


@dataclass(frozen=True)
class TimingStats:
    """Raw samples and the statistics computed from them, all in milliseconds."""

    samples_ms: tuple[float, ...]
    median_ms: float
    iqr_ms: float
    q1_ms: float
    q3_ms: float
    mean_ms: float
    min_ms: float

    @classmethod
    def from_samples(cls, samples_ms: Sequence[float]) -> TimingStats:
        if not samples_ms:
            raise ValueError("TimingStats.from_samples needs at least one sample.")
        samples = tuple(float(s) for s in samples_ms)
        if len(samples) == 1:
            q1 = median = q3 = samples[0]
        else:
            q1, median, q3 = statistics.quantiles(samples, n=4, method="inclusive")
        return cls(samples, median, q3 - q1, q1, q3, statistics.fmean(samples), min(samples))

    def to_dict(self) -> dict[str, Any]:
        return {"samples_ms": list(self.samples_ms), "median_ms": self.median_ms, "iqr_ms": self.iqr_ms,
                "q1_ms": self.q1_ms, "q3_ms": self.q3_ms, "mean_ms": self.mean_ms, "min_ms": self.min_ms}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TimingStats:
        return cls.from_samples(data["samples_ms"])


def time_interleaved(
    functions: Mapping[str, Callable[..., Any]],
    make_inputs: Callable[[int], Sequence[Any]],
    timer: Timer,
    config: TimingConfig | None = None,
    flush: Callable[[], None] | None = None,
) -> dict[str, TimingStats]:
    """Time every function in ``functions`` over the same trials, interleaved.

    ``make_inputs(i)`` returns fresh inputs for trial ``i`` (warm-ups included); each
    function gets its own call of it. Returns one :class:`TimingStats` per name.
    """
    config = config or TimingConfig()
    if not functions:
        raise ValueError("time_interleaved needs at least one function to time.")
    names = list(functions)
    for trial in range(config.warmup_trials):
        for name in names:
            _timed_call(functions[name], make_inputs(trial), timer, flush if config.flush_cache else None)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for trial in range(config.trials):
        offset = trial % len(names)
        for name in names[offset:] + names[:offset]:
            inputs = make_inputs(config.warmup_trials + trial)
            samples[name].append(_timed_call(functions[name], inputs, timer, flush if config.flush_cache else None))
    return {name: TimingStats.from_samples(values) for name, values in samples.items()}


def time_trials(
    fn: Callable[..., Any],
    make_inputs: Callable[[int], Sequence[Any]],
    timer: Timer,
    config: TimingConfig | None = None,
    flush: Callable[[], None] | None = None,
) -> TimingStats:
    """Time one function: warm-ups, then ``config.trials`` flushed trials on fresh inputs."""
    return time_interleaved({"fn": fn}, make_inputs, timer, config, flush)["fn"]


def _timed_call(fn: Callable[..., Any], inputs: Sequence[Any], timer: Timer, flush: Callable[[], None] | None) -> float:
    if flush is not None:
        flush()
    timer.start()
    fn(*inputs)
    return timer.stop()
