"""Safe, measured execution of untrusted candidate code. Imports nothing else of polca.

    from polca.sandbox import run, RunSpec, Limits
    result = run(RunSpec(python_source="print(1 + 1)", limits=Limits(timeout_s=5)))
    result.status, result.stdout   # ("ok", b"2\n")
"""

from polca.sandbox.runner import Backend, get_backend, run
from polca.sandbox.types import BackendName, Limits, RunResult, RunSpec, Status

__all__ = ["Backend", "BackendName", "Limits", "RunResult", "RunSpec", "Status", "get_backend", "run"]
