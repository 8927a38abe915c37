"""The ray executor on a real local Ray cluster (slow: starting Ray takes several seconds).

The cluster declares two GPUs it does not have (Ray allows that: a GPU is a resource it
counts and hands out as ``CUDA_VISIBLE_DEVICES`` ids), so GPU placement is tested on CPU.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from polca.kernels_bench import EvalConfig
from polca.optimizer.api import optimize
from polca.optimizer.domains.kernel_run import KernelRunOptions, kernel_executor
from polca.optimizer.executor import RayExecutor, SerialExecutor
from polca.optimizer.proposers import ScriptedProposer
from tests.test_optimizer_builders import PlainWordsDomain, add_missing_word

ray = pytest.importorskip("ray", reason="needs the cluster extra: pip install 'polca[cluster]'")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _square(x: int) -> int:
    return x * x


def _busy(item: tuple[str, int]) -> tuple[int, float, float]:
    """Record when this task ran, so the test can count how many overlapped."""
    folder, index = item
    started = time.time()
    time.sleep(0.5)
    Path(folder, f"{index}").write_text(f"{started} {time.time()}")
    return index, started, time.time()


def _sees_gpus(item: tuple[str, int]) -> tuple[str, float, float]:
    """What a kernel evaluation task sees: its CUDA_VISIBLE_DEVICES, and when it ran."""
    started = time.time()
    time.sleep(0.5)
    return os.environ.get("CUDA_VISIBLE_DEVICES", ""), started, time.time()


def _most_at_once(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = most = 0
    for _, step in edges:  # an end sorts before a start at the same instant
        running += step
        most = max(most, running)
    return most


def _dies_once(item: tuple[str, int]) -> int:
    """Kills its own worker process the first time it sees ``item`` (a crash mid-evaluation)."""
    folder, value = item
    marker = Path(folder, f"died-{value}")
    if not marker.exists():
        marker.write_text("x")
        os.kill(os.getpid(), signal.SIGKILL)
    return value * 10


def test_a_search_on_ray_equals_the_serial_search(cluster) -> None:
    executor = RayExecutor(2)
    assert executor.map(_square, range(5)) == [0, 1, 4, 9, 16]
    remote = optimize(PlainWordsDomain(), ScriptedProposer(add_missing_word), max_iterations=3,
                      executor=executor)
    serial = optimize(PlainWordsDomain(), ScriptedProposer(add_missing_word), max_iterations=3,
                      executor=SerialExecutor())
    assert remote.best.params == serial.best.params and remote.evaluations == serial.evaluations


def test_no_more_than_max_workers_tasks_run_at_once(cluster, tmp_path) -> None:
    results = RayExecutor(1).map(_busy, [(str(tmp_path), i) for i in range(3)])
    assert [r[0] for r in results] == [0, 1, 2]
    spans = sorted((r[1], r[2]) for r in results)
    assert all(later[0] >= earlier[1] - 0.05 for earlier, later in zip(spans, spans[1:], strict=False))


def test_a_worker_killed_mid_evaluation_is_retried(cluster, tmp_path) -> None:
    items = [(str(tmp_path), v) for v in range(3)]
    assert RayExecutor(2, max_retries=2).map(_dies_once, items) == [0, 10, 20]
    assert len(list(tmp_path.glob("died-*"))) == 3


def test_kernel_evaluations_take_one_gpu_each_and_see_only_it(cluster, tmp_path) -> None:
    options = KernelRunOptions(eval_config=EvalConfig(device="cuda"), executor="ray")
    seen = kernel_executor(options).map(_sees_gpus, [(str(tmp_path), i) for i in range(6)])
    assert all(devices in ("0", "1") for devices, _, _ in seen), seen
    assert _most_at_once([(start, end) for _, start, end in seen]) <= 2
    for devices, start, end in seen:  # two evaluations that overlap hold different GPUs
        overlapping = [d for d, s, e in seen if s < end and start < e]
        assert overlapping.count(devices) == 1


def test_an_evaluation_asking_two_gpus_holds_both_and_runs_alone(cluster, tmp_path) -> None:
    options = KernelRunOptions(eval_config=EvalConfig(device="cuda"), executor="ray", gpus_per_evaluation=2)
    seen = kernel_executor(options).map(_sees_gpus, [(str(tmp_path), i) for i in range(3)])
    assert all(sorted(devices.split(",")) == ["0", "1"] for devices, _, _ in seen), seen
    assert _most_at_once([(start, end) for _, start, end in seen]) == 1
