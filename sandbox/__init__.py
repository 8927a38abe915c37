"""Safe, measured execution of untrusted candidate code. Imports nothing else of polca.

    from polca.sandbox import run, RunSpec, Limits
    result = run(RunSpec(python_source="print(1 + 1)", limits=Limits(timeout_s=5)))
    result.status, result.stdout   # ("ok", b"2\\n")

Backends (``run(spec, backend=...)``): ``auto``/``local`` (bubblewrap namespaces, a
read-only filesystem, per-run cgroups and rlimits, whatever this machine offers; see
``host_support()``), ``docker`` (a locked-down container; ``DockerBackend(DockerSettings(
image=...))`` to configure) and ``none`` (a plain subprocess for trusted code). A
program's failure is the result's ``status``; ``run`` raises only for a malformed spec
and ``SandboxUnavailable`` for a backend that cannot run here.
"""

from polca.sandbox.docker_backend import DockerBackend, DockerSettings
from polca.sandbox.errors import SandboxUnavailable
from polca.sandbox.local import LocalBackend, host_support
from polca.sandbox.runner import Backend, get_backend, run
from polca.sandbox.types import BackendName, Limits, RunResult, RunSpec, Status
from polca.sandbox.unsafe import UnsafeBackend

__all__ = [
    "Backend",
    "BackendName",
    "DockerBackend",
    "DockerSettings",
    "Limits",
    "LocalBackend",
    "RunResult",
    "RunSpec",
    "SandboxUnavailable",
    "Status",
    "UnsafeBackend",
    "get_backend",
    "host_support",
    "run",
]
