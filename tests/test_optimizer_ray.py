"""The ray executor on a real local Ray cluster (slow: starting Ray takes several seconds)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from polca.optimizer.api import optimize
from polca.optimizer.executor import RayExecutor, SerialExecutor
from polca.optimizer.proposers import ScriptedProposer
from tests.test_optimizer_builders import PlainWordsDomain, add_missing_word

ray = pytest.importorskip("ray", reason="needs the cluster extra: pip install 'polca[cluster]'")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
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
