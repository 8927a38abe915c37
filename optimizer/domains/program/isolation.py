"""How every run of the program domain is isolated and bounded, from one ``SandboxConfig``.

The program domain runs the user's code (and the candidates) in the sandbox many ways:
checks of a candidate on a minibatch, the oracle's self-check, tracing, profiling, the
final check, the tests before ``--apply``. All of them take their backend, image and
limits from the one ``SandboxConfig`` a run holds (``ProgramOptions.sandbox``, i.e.
``[tool.polca.sandbox]``, ``POLCA_SANDBOX_*`` and ``--sandbox``), so no run falls back to
a default of its own.

``timeout_s`` is the wall clock of one program run; a run that does the work of several
(both copies of the original in a self-check, a whole test suite) gets a multiple of it
(:data:`SELF_CHECK`, :data:`TEST_SUITE`). A timing repeats the code for its rounds and
is bounded by its own sample budget (``polca.sandbox.measure.measure``); it keeps the
memory limit.
"""

from __future__ import annotations

import functools

from polca.config import SandboxConfig
from polca.sandbox import Backend, DockerBackend, DockerSettings, Limits, get_backend

DEFAULT_SANDBOX = SandboxConfig()
SELF_CHECK = 2.0  # the original twice in one process, or the original beside the candidate on every input
TEST_SUITE = 4.0  # a pytest run: interpreter start, collection, every test


def backend_of(sandbox: SandboxConfig) -> Backend:
    """The backend ``sandbox`` names, configured: docker runs ``sandbox.docker_image``."""
    if sandbox.backend == "docker":
        return _docker(sandbox.docker_image)
    return get_backend(sandbox.backend)


@functools.cache
def _docker(image: str) -> DockerBackend:
    # One backend per image keeps one docker client (and its connection) for all runs.
    return DockerBackend(DockerSettings(image=image))


def limits_of(sandbox: SandboxConfig, factor: float = 1.0) -> Limits:
    """Limits of one run that does ``factor`` times the work of a plain run."""
    return Limits(timeout_s=sandbox.timeout_s * factor, memory_mb=sandbox.memory_mb)
