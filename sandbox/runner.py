"""The sandbox's one entry point: ``run(spec, backend)``.

Every candidate program, test and kernel polca evaluates is untrusted code written by a
model; ``run`` executes it so that nothing it does reaches the host, the network, the
user's secrets or the caller's process, and reports what happened as data.
"""

from __future__ import annotations

import functools
import logging
from typing import Protocol, get_args

from polca.sandbox.docker_backend import DockerBackend
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


def run(spec: RunSpec, backend: BackendName | Backend = "auto") -> RunResult:
    """Run ``spec`` in the sandbox and return what happened.

    ``backend`` is a name or a configured backend object (``DockerBackend(DockerSettings(
    image=...))``). Names: ``"auto"`` (local, with the strongest protections this machine
    offers; it never picks docker or none by itself), ``"local"``, ``"docker"``, or
    ``"none"`` (no isolation: trusted code only).

    Whatever the program does (crash, hang, flood, fork, allocate, attack) comes back as
    the result's ``status``; this function raises only ValueError/TypeError for a
    malformed spec or backend name, and SandboxUnavailable when the backend cannot run
    anything here (a docker engine that is not running).
    """
    validate_spec(spec)
    chosen = get_backend(backend) if isinstance(backend, str) else backend
    return chosen.run(spec)


def get_backend(name: BackendName) -> Backend:
    """A backend registered under ``name``, with its default settings."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown sandbox backend {name!r}; choose one of {', '.join(get_args(BackendName))}.")
    return _REGISTRY[name]()


_REGISTRY = {
    "auto": LocalBackend,
    "local": LocalBackend,
    # One shared instance keeps one docker client (and its connection) for all runs.
    "docker": functools.cache(DockerBackend),
    "none": UnsafeBackend,
}
