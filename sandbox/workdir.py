"""A fresh working directory per run: the spec's files in it, removed afterwards."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from polca.sandbox.types import RunSpec

logger = logging.getLogger(__name__)

MAIN_FILE = "main.py"  # where ``python_source`` is written
_SHM_DIR = "/dev/shm"
_SHM_MIN_FREE_MB = 1024


@dataclass(frozen=True)
class Workdir:
    """The run's directory and its private home and temporary directories inside it."""

    path: str
    home_dir: str
    tmp_dir: str


def validate_spec(spec: RunSpec) -> None:
    """Raise ValueError/TypeError for a spec that cannot mean anything."""
    if (spec.command is None) == (spec.python_source is None):
        raise ValueError(
            "RunSpec needs exactly one of `command` (an argv tuple) or `python_source` (a string); "
            f"got command={spec.command!r} and python_source={'set' if spec.python_source is not None else None}."
        )
    if spec.command is not None and (isinstance(spec.command, str) or not spec.command):
        raise TypeError(
            f"RunSpec.command must be a non-empty tuple of strings such as ('python', 'x.py'), got {spec.command!r}."
        )
    for name in spec.files:
        _relative_path(name)
    if isinstance(spec.read_only_paths, str) or not all(
            isinstance(path, str) and os.path.isabs(path) for path in spec.read_only_paths):
        raise TypeError(f"RunSpec.read_only_paths must be a tuple of absolute paths, got {spec.read_only_paths!r}.")
    if spec.python_source is not None and MAIN_FILE in spec.files:
        raise ValueError(f"RunSpec.files has {MAIN_FILE!r}, which python_source is written to; rename that file.")
    limits = spec.limits
    if limits.timeout_s < 0 or limits.max_output_bytes < 0 or limits.max_processes < 1:
        raise ValueError(
            "Limits need timeout_s >= 0, max_output_bytes >= 0 and max_processes >= 1; "
            f"got timeout_s={limits.timeout_s}, max_output_bytes={limits.max_output_bytes}, "
            f"max_processes={limits.max_processes}."
        )
    if limits.memory_mb is not None and limits.memory_mb <= 0:
        raise ValueError(f"Limits.memory_mb must be a positive number of MB or None (no limit), got {limits.memory_mb}.")


def _relative_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts:
        raise ValueError(
            f"RunSpec.files key {name!r} must be a relative path inside the working directory "
            "(no leading '/', no '..'), such as 'data/input.txt'."
        )
    return path


def argv_for(spec: RunSpec) -> tuple[str, ...]:
    """The command a spec runs: ``python_source`` uses the caller's own interpreter."""
    if spec.python_source is not None:
        return (sys.executable, MAIN_FILE, *spec.args)
    return (*spec.command, *spec.args)


def default_parent_dir() -> str | None:
    """Where working directories go: memory-backed ``/dev/shm`` when it is roomy, else the temp dir.

    Creating and removing a directory on a journaling disk costs milliseconds per run;
    on tmpfs it costs microseconds. What a run writes there counts against its memory
    limit (tmpfs pages are charged to the writer's memory cgroup).
    """
    try:
        stats = os.statvfs(_SHM_DIR)
    except OSError:
        return None
    free_mb = stats.f_bavail * stats.f_frsize / (1024 * 1024)
    return _SHM_DIR if free_mb >= _SHM_MIN_FREE_MB and os.access(_SHM_DIR, os.W_OK | os.X_OK) else None


@contextlib.contextmanager
def fresh_workdir(spec: RunSpec, parent_dir: str | None = None) -> Iterator[Workdir]:
    """Create the run's directory with its files; remove it, whatever the run left there."""
    path = tempfile.mkdtemp(prefix="polca-run-", dir=parent_dir if parent_dir is not None else default_parent_dir())
    try:
        workdir = Workdir(path=path, home_dir=os.path.join(path, ".home"), tmp_dir=os.path.join(path, ".tmp"))
        os.mkdir(workdir.home_dir)
        os.mkdir(workdir.tmp_dir)
        files = dict(spec.files)
        if spec.python_source is not None:
            files[MAIN_FILE] = spec.python_source
        for name, content in files.items():
            _write(Path(path, _relative_path(name)), content)
        yield workdir
    finally:
        remove_tree(path)


def _write(target: Path, content: str | bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        target.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        target.write_bytes(content)
    else:
        raise TypeError(f"RunSpec.files[{target.name!r}] must be str or bytes, got {type(content).__name__}.")


def remove_tree(path: str) -> None:
    """Remove ``path`` even when the run made parts of it unreadable or read-only."""

    def _retry(function, failed_path, _exc_info) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(failed_path), stat.S_IRWXU)
            os.chmod(failed_path, stat.S_IRWXU)
            function(failed_path)

    shutil.rmtree(path, onerror=_retry)
    if os.path.exists(path):
        logger.warning("sandbox: could not remove the working directory %s", path)


def stdin_bytes(spec: RunSpec) -> bytes:
    """The spec's stdin as bytes (text is UTF-8)."""
    if spec.stdin is None:
        return b""
    return spec.stdin.encode("utf-8") if isinstance(spec.stdin, str) else bytes(spec.stdin)
