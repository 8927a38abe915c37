"""Executors: run evaluations concurrently, results in input order.

``thread`` (default; right for domains that wait on subprocesses or the network),
``process`` (pure-Python CPU-bound domains; the function and items must pickle),
``serial`` (debugging) and ``ray`` (a cluster; needs the ``cluster`` extra).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeVar

from polca.optimizer.contracts import Executor

T = TypeVar("T")
R = TypeVar("R")


class SerialExecutor:
    """Runs one item after another in the calling thread."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return [fn(item) for item in items]


class ThreadExecutor:
    """A thread pool created per ``map`` call, so nothing lingers between runs."""

    def __init__(self, max_workers: int = 4) -> None:
        self.max_workers = max_workers

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        items = list(items)
        if len(items) <= 1 or self.max_workers == 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(items))) as pool:
            return list(pool.map(fn, items))


class ProcessExecutor:
    """A process pool per ``map`` call; ``fn`` and the items must be picklable."""

    def __init__(self, max_workers: int = 4) -> None:
        self.max_workers = max_workers

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        items = list(items)
        if not items:
            return []
        with ProcessPoolExecutor(max_workers=min(self.max_workers, len(items))) as pool:
            return list(pool.map(fn, items))


class RayExecutor:
    """Ray tasks, one per item, at most ``max_workers`` in flight; results in input order.

    Connects to the cluster ``ray.init`` finds (``address=...``, or the ``RAY_ADDRESS``
    environment variable, e.g. ``ray://head:10001``), or starts a local runtime when none
    is running (``init_kwargs`` go to ``ray.init``, e.g. ``num_cpus=2``). Each task asks
    for ``num_cpus`` CPUs and ``num_gpus`` GPUs (``num_gpus=1`` places kernel evaluations
    one per GPU); a task whose worker process dies is retried up to ``max_retries`` times
    on another worker (Ray's system-failure retries), so a killed worker costs a retry,
    not the run.
    """

    def __init__(
        self, max_workers: int = 4, *, num_cpus: float = 1, num_gpus: float = 0,
        max_retries: int = 3, **init_kwargs: Any,
    ) -> None:  # fmt: skip
        if max_workers < 1:
            raise ValueError(f"max_workers={max_workers!r} must be at least 1.")
        self._ray = _import_ray()
        if not self._ray.is_initialized():
            init_kwargs.setdefault("include_dashboard", False)
            self._ray.init(ignore_reinit_error=True, **init_kwargs)
        self.max_workers = max_workers
        self._options = {"num_cpus": num_cpus, "num_gpus": num_gpus, "max_retries": max_retries}

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        remote = self._ray.remote(fn).options(**self._options)
        pending: dict[Any, int] = {}
        results: dict[int, R] = {}
        for index, item in enumerate(items):
            if len(pending) >= self.max_workers:
                self._collect(pending, results)
            pending[remote.remote(item)] = index
        while pending:
            self._collect(pending, results)
        return [results[i] for i in range(len(results))]

    def _collect(self, pending: dict[Any, int], results: dict[int, Any]) -> None:
        """Wait for one task in ``pending`` to finish and move its result to ``results``."""
        done, _ = self._ray.wait(list(pending), num_returns=1)
        for ref in done:
            results[pending.pop(ref)] = self._ray.get(ref)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ImportError(
            "the ray executor needs Ray: install the cluster extra, pip install 'polca[cluster]'"
        ) from exc
    return ray


EXECUTORS: dict[str, Callable[[int], Executor]] = {
    "serial": lambda workers: SerialExecutor(),
    "thread": ThreadExecutor,
    "process": ProcessExecutor,
    "ray": RayExecutor,
}


def make_executor(name: str, max_workers: int = 4) -> Executor:
    """The executor registered as ``name``; unknown names raise listing the choices."""
    try:
        factory = EXECUTORS[name]
    except KeyError:
        raise ValueError(f"unknown executor {name!r}; choose one of {sorted(EXECUTORS)}") from None
    return factory(max_workers)
