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
    """Ray tasks, one per item; starts a local Ray runtime when none is running."""

    def __init__(self, max_workers: int = 4, **init_kwargs: Any) -> None:
        self._ray = _import_ray()
        if not self._ray.is_initialized():
            self._ray.init(ignore_reinit_error=True, **init_kwargs)
        self.max_workers = max_workers

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        remote = self._ray.remote(fn)
        return list(self._ray.get([remote.remote(item) for item in items]))


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
