"""The sandbox's data: what to run, with which limits, and what happened.

Plain frozen dataclasses; every field carries its unit in its name. A candidate's failure
is data (``RunResult.status``), never an exception: only a fault of the sandbox itself
(a backend that cannot start at all) raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["ok", "error", "timeout", "memory", "output_limit", "killed", "sandbox_error"]
BackendName = Literal["auto", "local", "docker", "none"]


@dataclass(frozen=True)
class Limits:
    """Resource limits for one run. ``None`` means "no limit of this kind"."""

    timeout_s: float = 30.0  # wall clock, whole process tree killed when exceeded
    cpu_s: float | None = None  # CPU time (RLIMIT_CPU); defaults to timeout_s + 1 when None
    memory_mb: int | None = 2048  # address space / container memory
    max_output_bytes: int = 1_000_000  # per stream; the rest is cut with a marker
    max_processes: int = 64  # processes and threads the run may hold at once
    max_file_mb: int = 256  # largest file the run may write
    max_open_files: int = 256
    network: bool = False  # network off by default


@dataclass(frozen=True)
class RunSpec:
    """One run. Either ``command`` (argv) or ``python_source`` (run as ``main.py``).

    ``files`` are placed in a fresh working directory (path relative to it -> content);
    ``args`` are appended to the command; ``env`` is added to the scrubbed environment.
    ``read_only_paths`` are absolute host directories the program must be able to read
    (the code it imports, say): a backend that hides part of the host (bubblewrap hides
    the home directory and ``/tmp``) maps each back at the same path, read-only.
    """

    command: tuple[str, ...] | None = None
    python_source: str | None = None
    files: dict[str, str | bytes] = field(default_factory=dict)
    stdin: bytes | str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    read_only_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunResult:
    status: Status
    exit_code: int | None  # None when killed by a signal
    signal: int | None  # the signal that ended it, if any
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    backend: str  # which backend actually ran it
    protections: tuple[str, ...]  # e.g. ("rlimits", "netns", "userns", "scrubbed-env")
    message: str = ""  # one line on what happened, for people and proposers

    @property
    def ok(self) -> bool:
        return self.status == "ok"
