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

On top of ``run``: ``polca.sandbox.measure.measure`` (baseline and candidate interleaved in one worker, a
speedup with a bootstrap 95% interval and a verdict), ``count_instructions``
(callgrind or perf), ``time_calls`` (each call stopped at a CPU-time limit: which inputs a
function answers quickly, in one run), ``compare``/``self_check`` (differential checks of two callables or
scripts on the same inputs) and ``capture_calls`` (real arguments recorded by tracing a
script or a test command). Code under test is a ``Target``; inputs are ``Call`` or
``ScriptInput``. (``measure`` is not re-exported here: the name is its module's.)
"""

from polca.sandbox.difftest import DiffReport, compare, self_check
from polca.sandbox.docker_backend import DockerBackend, DockerSettings
from polca.sandbox.errors import SandboxUnavailable
from polca.sandbox.local import LocalBackend, host_support
from polca.sandbox.measure import InstructionCounts, MeasureResult, count_instructions
from polca.sandbox.runner import Backend, get_backend, run
from polca.sandbox.stats import MIN_SPEEDUP, paired_speedup, verdict
from polca.sandbox.target import Call, ScriptInput, Target
from polca.sandbox.trace import Captured, capture_calls, capture_calls_from_command
from polca.sandbox.types import BackendName, Limits, RunResult, RunSpec, Status
from polca.sandbox.unsafe import UnsafeBackend

__all__ = [
    "MIN_SPEEDUP",
    "Backend",
    "BackendName",
    "Call",
    "Captured",
    "DiffReport",
    "DockerBackend",
    "DockerSettings",
    "InstructionCounts",
    "Limits",
    "LocalBackend",
    "MeasureResult",
    "RunResult",
    "RunSpec",
    "SandboxUnavailable",
    "ScriptInput",
    "Status",
    "Target",
    "UnsafeBackend",
    "capture_calls",
    "capture_calls_from_command",
    "compare",
    "count_instructions",
    "get_backend",
    "host_support",
    "paired_speedup",
    "run",
    "self_check",
    "verdict",
]
