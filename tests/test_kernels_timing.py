"""The trial loop, tested through a scripted Timer: order of steps, counts and statistics."""

from __future__ import annotations

import pytest
import torch

from polca.kernels_bench.timing import (
    CacheFlush,
    CudaEventTimer,
    PerfCounterTimer,
    TimingConfig,
    TimingStats,
    make_timer,
    time_interleaved,
    time_trials,
)


class ScriptedTimer:
    """Records the loop's calls; each stop() returns the next scripted duration."""

    def __init__(self, log: list[str], durations_ms: list[float] | None = None) -> None:
        self.log = log
        self.durations_ms = list(durations_ms or [])
        self.stops = 0

    def start(self) -> None:
        self.log.append("start")

    def stop(self) -> float:
        self.log.append("stop")
        self.stops += 1
        return self.durations_ms.pop(0) if self.durations_ms else 1.0


def _recorder(log: list[str]):
    def make_inputs(trial: int):
        log.append(f"inputs{trial}")
        return (trial,)

    def fn(trial):
        log.append(f"fn{trial}")

    def flush():
        log.append("flush")

    return make_inputs, fn, flush


def test_each_trial_makes_fresh_inputs_then_flushes_then_times_the_call():
    log: list[str] = []
    make_inputs, fn, flush = _recorder(log)
    time_trials(fn, make_inputs, ScriptedTimer(log), TimingConfig(warmup_trials=1, trials=2), flush)
    assert log == [
        "inputs0", "flush", "start", "fn0", "stop",  # warm-up
        "inputs1", "flush", "start", "fn1", "stop",
        "inputs2", "flush", "start", "fn2", "stop",
    ]


def test_warmups_are_discarded_and_every_trial_is_kept():
    timer = ScriptedTimer([], durations_ms=[100.0] * 3 + [1.0, 2.0, 3.0, 4.0, 5.0])
    stats = time_trials(lambda _: None, lambda i: (i,), timer, TimingConfig(warmup_trials=3, trials=5))
    assert stats.samples_ms == (1.0, 2.0, 3.0, 4.0, 5.0)
    assert timer.stops == 8


def test_flush_can_be_turned_off():
    log: list[str] = []
    make_inputs, fn, flush = _recorder(log)
    time_trials(fn, make_inputs, ScriptedTimer(log), TimingConfig(warmup_trials=0, trials=2, flush_cache=False), flush)
    assert "flush" not in log


def test_default_config_takes_at_least_100_trials():
    assert TimingConfig().trials >= 100 and TimingConfig().warmup_trials > 0


def test_median_and_iqr_come_from_raw_samples():
    stats = TimingStats.from_samples([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (stats.median_ms, stats.q1_ms, stats.q3_ms, stats.iqr_ms) == (3.0, 2.0, 4.0, 2.0)
    assert stats.min_ms == 1.0 and stats.mean_ms == 3.0
    assert TimingStats.from_dict(stats.to_dict()) == stats
    assert TimingStats.from_samples([2.5]).iqr_ms == 0.0


def test_interleaving_rotates_the_order_and_gives_each_function_its_own_inputs():
    log: list[str] = []
    calls: list[str] = []
    functions = {"reference": lambda *_: calls.append("reference"), "candidate": lambda *_: calls.append("candidate")}
    stats = time_interleaved(functions, lambda i: (i,), ScriptedTimer(log), TimingConfig(warmup_trials=0, trials=4))
    assert calls == ["reference", "candidate", "candidate", "reference"] * 2
    assert set(stats) == {"reference", "candidate"} and len(stats["candidate"].samples_ms) == 4


@pytest.mark.parametrize("kwargs", [{"trials": 0}, {"warmup_trials": -1}])
def test_bad_timing_config_raises_with_the_rule(kwargs):
    with pytest.raises(ValueError, match="trials"):
        TimingConfig(**kwargs)


def test_empty_inputs_are_rejected():
    with pytest.raises(ValueError):
        time_interleaved({}, lambda i: (), ScriptedTimer([]))
    with pytest.raises(ValueError):
        TimingStats.from_samples([])


def test_the_cpu_timer_measures_and_ignores_a_later_patched_clock(monkeypatch):
    timer = make_timer("cpu")
    assert isinstance(timer, PerfCounterTimer)
    monkeypatch.setattr("time.perf_counter", lambda: 0.0)
    timer.start()
    sum(range(10_000))
    assert timer.stop() > 0.0


def test_the_cpu_flush_overwrites_its_buffer():
    flush = CacheFlush("cpu", nbytes=4096)
    flush()
    assert bool((flush._buffer == 1.0).all())


@pytest.mark.gpu
def test_cuda_event_timer_counts_work_on_a_side_stream():
    timer = CudaEventTimer("cuda")
    side = torch.cuda.Stream()
    a = torch.randn(4096, 4096, device="cuda")
    timer.start()
    with torch.cuda.stream(side):
        for _ in range(10):
            a = a @ a / 4096
    hidden_ms = timer.stop()
    timer.start()
    timer_only_ms = timer.stop()
    assert hidden_ms > 10 * timer_only_ms
