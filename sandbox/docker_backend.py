"""The ``docker`` backend: each run in a fresh, locked-down container (docker SDK).

The container has no network, a memory and pids limit, a read-only root, runs as an
unprivileged user with no capabilities, and works in a tmpfs directory. The run's files
(and its stdin) are prepared on the host and mounted read-only at ``/polca``; the
container copies them into its tmpfs ``/work`` before the program starts, so nothing it
writes reaches the host. ``python_source`` runs with the image's ``python``.

Limits of this backend: output is read after the container stops (a flood is bounded by
the wall-clock limit and docker's log size, not stopped early), and CPU time and peak
memory are not measured (reported as 0.0).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from polca.sandbox.classify import truncation_marker
from polca.sandbox.environment import scrubbed_env
from polca.sandbox.errors import SandboxUnavailable
from polca.sandbox.limits import cpu_limit_s
from polca.sandbox.types import Limits, RunResult, RunSpec, Status
from polca.sandbox.workdir import MAIN_FILE, fresh_workdir, stdin_bytes

logger = logging.getLogger(__name__)

DEFAULT_IMAGE = "python:3.11-slim"
CONTAINER_WORKDIR = "/work"
CONTAINER_INPUT = "/polca"
_STDIN_FILE = ".polca-stdin"
_INPUT_FILES = "files"
_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PROTECTIONS = ("container", "netns", "ro-root", "tmpfs-workdir", "non-root", "no-caps", "cgroup-pids",
               "cgroup-memory", "scrubbed-env")


@dataclass(frozen=True)
class DockerSettings:
    """Which image runs candidates, as which user, and how large the tmpfs work dir is."""

    image: str = DEFAULT_IMAGE
    user: str = "65534:65534"  # nobody:nogroup
    workdir_size_mb: int = 512
    tmp_size_mb: int = 256


def container_argv(spec: RunSpec) -> list[str]:
    """The program as the container runs it (the image's ``python`` for ``python_source``)."""
    if spec.python_source is not None:
        return ["python", MAIN_FILE, *spec.args]
    return [*spec.command, *spec.args]


def container_spec(spec: RunSpec, host_input_dir: str, settings: DockerSettings) -> dict[str, Any]:
    """Keyword arguments for ``docker.containers.create``: the whole security posture of a run."""
    from docker.types import Ulimit

    limits: Limits = spec.limits
    script = (
        f"cp -a {CONTAINER_INPUT}/{_INPUT_FILES}/. {CONTAINER_WORKDIR}/ && cd {CONTAINER_WORKDIR} "
        f'&& exec "$@" < {CONTAINER_INPUT}/{_STDIN_FILE}'
    )
    env = scrubbed_env(spec.env, home_dir="/tmp", tmp_dir="/tmp")
    env["PATH"] = spec.env.get("PATH", _SYSTEM_PATH)
    kwargs: dict[str, Any] = {
        "image": settings.image,
        "command": ["/bin/sh", "-c", script, "polca-sandbox", *container_argv(spec)],
        "user": settings.user,
        "working_dir": CONTAINER_WORKDIR,
        "environment": env,
        "network_mode": "bridge" if limits.network else "none",
        "read_only": True,
        "tmpfs": {
            CONTAINER_WORKDIR: f"rw,exec,nosuid,size={settings.workdir_size_mb}m,mode=1777",
            "/tmp": f"rw,nosuid,size={settings.tmp_size_mb}m,mode=1777",
        },
        "volumes": {host_input_dir: {"bind": CONTAINER_INPUT, "mode": "ro"},
                    **{path: {"bind": path, "mode": "ro"} for path in spec.read_only_paths}},
        "pids_limit": limits.max_processes,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "ulimits": [
            Ulimit(name="cpu", soft=cpu_limit_s(limits), hard=cpu_limit_s(limits)),
            Ulimit(name="nofile", soft=limits.max_open_files, hard=limits.max_open_files),
            Ulimit(name="fsize", soft=limits.max_file_mb << 20, hard=limits.max_file_mb << 20),
        ],
        "labels": {"polca.sandbox": "run"},
        "detach": True,
    }
    if limits.memory_mb is not None:
        kwargs["mem_limit"] = f"{limits.memory_mb}m"
        kwargs["memswap_limit"] = f"{limits.memory_mb}m"
    return kwargs


class DockerBackend:
    """Runs each spec in its own container; raises SandboxUnavailable without a docker engine."""

    name = "docker"
    protections = PROTECTIONS

    def __init__(self, settings: DockerSettings | None = None, client: Any = None) -> None:
        self.settings = settings if settings is not None else DockerSettings()
        self._client = client

    def client(self) -> Any:
        if self._client is None:
            self._client = connect()
        return self._client

    def run(self, spec: RunSpec) -> RunResult:
        client = self.client()
        with fresh_workdir(spec) as workdir:
            input_dir = stage_input(spec, workdir.path)
            started = time.perf_counter()
            container = client.containers.create(**container_spec(spec, input_dir, self.settings))
            try:
                return self._supervise(container, spec.limits, started)
            finally:
                container.remove(force=True)

    def _supervise(self, container: Any, limits: Limits, started: float) -> RunResult:
        import requests

        container.start()
        timed_out = False
        try:
            exit_code = int(container.wait(timeout=max(limits.timeout_s, 0.001))["StatusCode"])
        except requests.exceptions.RequestException:
            timed_out = True
            container.kill()
            exit_code = int(container.wait()["StatusCode"])
        wall_s = time.perf_counter() - started
        container.reload()
        oom_killed = bool(container.attrs.get("State", {}).get("OOMKilled"))
        stdout, out_cut = _capped_logs(container, limits.max_output_bytes, stdout=True)
        stderr, err_cut = _capped_logs(container, limits.max_output_bytes, stdout=False)
        status, message = _docker_status(exit_code, timed_out, oom_killed, out_cut or err_cut, limits)
        marker = truncation_marker(limits.max_output_bytes)
        return RunResult(
            status=status,
            exit_code=None if exit_code > 128 or timed_out else exit_code,
            signal=exit_code - 128 if exit_code > 128 else None,
            stdout=stdout + (marker if out_cut else b""),
            stderr=stderr + (marker if err_cut else b""),
            stdout_truncated=out_cut,
            stderr_truncated=err_cut,
            wall_s=wall_s,
            cpu_s=0.0,
            peak_rss_mb=0.0,
            backend=self.name,
            protections=self.protections,
            message=message,
        )


def connect() -> Any:
    """A docker client for the local engine, or SandboxUnavailable saying how to get one."""
    try:
        import docker
    except ImportError as exc:
        raise ImportError("the docker sandbox needs the `docker` package: pip install docker") from exc
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise SandboxUnavailable(
            f"the docker sandbox cannot reach a docker engine ({exc}); start dockerd or use --sandbox local."
        ) from exc
    return client


def stage_input(spec: RunSpec, workdir: str) -> str:
    """Move the prepared files under ``files/`` and write stdin next to them; returns the dir to mount."""
    input_dir = os.path.join(workdir, ".polca-input")
    files_dir = os.path.join(input_dir, _INPUT_FILES)
    os.makedirs(files_dir)
    for name in os.listdir(workdir):
        if name not in (".polca-input", ".home", ".tmp"):
            os.rename(os.path.join(workdir, name), os.path.join(files_dir, name))
    with open(os.path.join(input_dir, _STDIN_FILE), "wb") as handle:
        handle.write(stdin_bytes(spec))
    for root, dirs, files in os.walk(input_dir):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    os.chmod(input_dir, 0o755)
    os.chmod(workdir, 0o755)
    return input_dir


def _capped_logs(container: Any, limit: int, stdout: bool) -> tuple[bytes, bool]:
    kept = bytearray()
    for chunk in container.logs(stdout=stdout, stderr=not stdout, stream=True):
        kept += chunk
        if len(kept) > limit:
            return bytes(kept[:limit]), True
    return bytes(kept), False


def _docker_status(
    exit_code: int, timed_out: bool, oom_killed: bool, output_cut: bool, limits: Limits
) -> tuple[Status, str]:
    if timed_out:
        return "timeout", f"still running after the {limits.timeout_s:g} s wall-clock limit; the container was killed"
    if oom_killed:
        return "memory", f"went over the {limits.memory_mb} MB memory limit"
    if output_cut:
        return "output_limit", f"output went over {limits.max_output_bytes} bytes on one stream"
    if exit_code > 128:
        return "killed", f"ended by signal {exit_code - 128}"
    if exit_code != 0:
        return "error", f"exited with code {exit_code}"
    return "ok", "exited with code 0"
