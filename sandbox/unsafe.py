"""The ``none`` backend: a plain subprocess for trusted code. It protects nothing but time.

It still runs in a fresh working directory with a scrubbed environment, kills its
process group on timeout and caps output, but the program can reach the network, write
anywhere the caller can, and leave processes behind that escaped its process group.
"""

from __future__ import annotations

import logging

from polca.sandbox.classify import to_result
from polca.sandbox.environment import scrubbed_env
from polca.sandbox.process import Launch, execute
from polca.sandbox.types import RunResult, RunSpec
from polca.sandbox.workdir import argv_for, fresh_workdir, stdin_bytes

logger = logging.getLogger(__name__)

PROTECTIONS = ("scrubbed-env", "process-group", "UNSAFE")


class UnsafeBackend:
    """Runs the spec directly on the host; use only for code you trust."""

    name = "none"
    protections = PROTECTIONS

    def run(self, spec: RunSpec) -> RunResult:
        with fresh_workdir(spec) as workdir:
            launch = Launch(
                argv=argv_for(spec),
                cwd=workdir.path,
                env=scrubbed_env(spec.env, workdir.home_dir, workdir.tmp_dir),
                stdin=stdin_bytes(spec),
                timeout_s=spec.limits.timeout_s,
                max_output_bytes=spec.limits.max_output_bytes,
            )
            return to_result(execute(launch), spec.limits, self.name, self.protections)
