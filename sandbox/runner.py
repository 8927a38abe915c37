"""The sandbox's one entry point: ``run(spec, backend)``.

Every candidate program, test and kernel polca evaluates is untrusted code written by a
model; ``run`` executes it so that nothing it does reaches the host, the network, the
user's secrets or the caller's process, and reports what happened as data.
"""

from __future__ import annotations

import logging
from typing import Protocol, get_args

from polca.sandbox.local import LocalBackend
from polca.sandbox.types import BackendName, RunResult, RunSpec
from polca.sandbox.unsafe import UnsafeBackend
from polca.sandbox.workdir import validate_spec

logger = logging.getLogger(__name__)


class Backend(Protocol):
    """Runs one spec to a result.

    Invariants: ``run`` never raises for anything the program does (its failure is the
    result's ``status``); it kills every process the run started before returning;
    it removes the run's working directory; it is safe to call from many threads at once.
    """

    name: str

    def run(self, spec: RunSpec) -> RunResult: ...


def run(spec: RunSpec, backend: BackendName = "auto") -> RunResult:
    """Run ``spec`` in the sandbox and return what happened.

    ``backend``: ``"auto"`` (local with the strongest protections this machine offers),
    ``"local"``, ``"docker"`` or ``"none"`` (no isolation: trusted code only).
    Raises ValueError/TypeError for a malformed spec or an unknown backend name.
    """
    validate_spec(spec)
    return get_backend(backend).run(spec)


def get_backend(name: BackendName) -> Backend:
    """The backend registered under ``name``."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown sandbox backend {name!r}; choose one of {', '.join(get_args(BackendName))}.")
    return _REGISTRY[name]()


_REGISTRY = {
    "auto": LocalBackend,
    "local": LocalBackend,
    "none": UnsafeBackend,
}
