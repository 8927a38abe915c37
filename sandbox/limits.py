"""Resource limits for a local run: rlimits and a per-run control group.

rlimits (applied by ``prlimit`` just before the program starts) bound CPU time, file
size, open files and, when no memory cgroup is available, the address space. They do not
bound the number of processes for root, and an address-space limit breaks programs that
reserve virtual memory (numpy, torch), so where the machine allows it each run also gets
its own control group: ``pids.max`` contains fork bombs, the memory limit counts real
memory, and killing every pid in the group removes processes that escaped with
``setsid`` or ``nohup``. cgroup v1 (``pids`` and ``memory`` hierarchies) and v2 are both
understood.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from polca.sandbox.types import Limits

logger = logging.getLogger(__name__)

CGROUP_ROOT = Path("/sys/fs/cgroup")
_KILL_ROUNDS = 50
WRAPPER_PROCESSES = 2  # the sandbox's own processes in the group (bwrap and its init), not counted
_GROUP_PREFIX = "polca-run-"  # then the creating process's pid, so leftovers can be traced
_REMOVE_WAIT_S = 2.0


def cpu_limit_s(limits: Limits) -> int:
    """The CPU-time rlimit in whole seconds: ``cpu_s``, or ``timeout_s + 1`` when unset."""
    cpu_s = limits.cpu_s if limits.cpu_s is not None else limits.timeout_s + 1.0
    return max(1, int(cpu_s + 0.999))


def prlimit_args(limits: Limits, cap_address_space: bool) -> list[str]:
    """Arguments for ``prlimit`` (util-linux): the run's rlimits, then ``--``."""
    cpu_s = cpu_limit_s(limits)
    args = [
        # soft < hard: the soft limit sends SIGXCPU (reported as a CPU timeout); at the
        # hard limit, one second later, the kernel sends SIGKILL.
        f"--cpu={cpu_s}:{cpu_s + 1}",
        f"--fsize={limits.max_file_mb * 1024 * 1024}",
        f"--nofile={limits.max_open_files}",
        f"--nproc={limits.max_processes}",
        "--core=0",
    ]
    if cap_address_space and limits.memory_mb is not None:
        args.append(f"--as={limits.memory_mb * 1024 * 1024}")
    return [*args, "--"]


@dataclass(frozen=True)
class CgroupSupport:
    """Where per-run groups can be made on this machine (``None``: not available)."""

    version: int  # 1 or 2; 0 when neither works
    pids_parent: Path | None
    memory_parent: Path | None
    cpu_parent: Path | None = None  # cpuacct (v1) or cpu (v2): CPU time of the whole tree

    @property
    def protections(self) -> tuple[str, ...]:
        names = []
        if self.pids_parent is not None:
            names.append("cgroup-pids")
        if self.memory_parent is not None:
            names.append("cgroup-memory")
        return tuple(names)


def probe_cgroups() -> CgroupSupport:
    """Find writable parents for per-run groups, under this process's own groups."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        parent = _own_group_dir(CGROUP_ROOT, "")
        if parent is None:
            return CgroupSupport(0, None, None)
        controllers = (parent / "cgroup.subtree_control").read_text().split() if _writable_dir(parent) else []
        return CgroupSupport(
            2 if controllers else 0,
            parent if "pids" in controllers else None,
            parent if "memory" in controllers else None,
            parent if "cpu" in controllers else None,
        )
    pids = _own_group_dir(CGROUP_ROOT / "pids", "pids")
    memory = _own_group_dir(CGROUP_ROOT / "memory", "memory")
    cpu = _own_group_dir(CGROUP_ROOT / "cpuacct", "cpuacct")
    pids, memory, cpu = (d if d is not None and _writable_dir(d) else None for d in (pids, memory, cpu))
    return CgroupSupport(1 if (pids or memory) else 0, pids, memory, cpu if (pids or memory) else None)


def remove_stale_groups(support: CgroupSupport) -> int:
    """Remove run groups left behind by polca processes that died mid-run; returns how many."""
    removed = 0
    parents = {p for p in (support.pids_parent, support.memory_parent, support.cpu_parent) if p is not None}
    for parent in parents:
        for directory in parent.glob(f"{_GROUP_PREFIX}*"):
            owner = directory.name[len(_GROUP_PREFIX) :].split("-")[0]
            if not owner.isdigit() or _alive(int(owner)):
                continue
            with contextlib.suppress(OSError):
                for pid in (directory / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
                        os.kill(int(pid), signal.SIGKILL)
                directory.rmdir()
                removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _own_group_dir(mount: Path, controller: str) -> Path | None:
    """This process's group directory under ``mount`` (v1: for ``controller``; v2: ``""``)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if (controller and controller in names.split(",")) or (not controller and names == ""):
            directory = mount / path.lstrip("/")
            return directory if directory.is_dir() else None
    return None


def _writable_dir(path: Path) -> bool:
    probe = path / f"polca-probe-{uuid.uuid4().hex[:12]}"
    try:
        probe.mkdir()
    except OSError:
        return False
    with contextlib.suppress(OSError):
        probe.rmdir()
    return True


class RunCgroup:
    """The control group(s) of one run: create, limit, join (via a shell line), kill, remove."""

    def __init__(self, support: CgroupSupport, limits: Limits) -> None:
        self.support = support
        self.limits = limits
        name = f"{_GROUP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.pids_dir = support.pids_parent / name if support.pids_parent else None
        self.memory_dir = support.memory_parent / name if support.memory_parent else None
        self.cpu_dir = support.cpu_parent / name if support.cpu_parent else None
        self.dirs = tuple(dict.fromkeys(d for d in (self.pids_dir, self.memory_dir, self.cpu_dir) if d is not None))

    def create(self) -> None:
        """Make the groups and set their limits; raises OSError when the machine refuses."""
        for directory in self.dirs:
            directory.mkdir()
        self.write_limits()

    def create_held(self) -> None:
        """Make the groups with ``pids.max`` 1: a process moved in early can fork nothing.

        For a launcher that joins ahead of its run; :meth:`set_limits` opens the group
        to the run's own limits before it is handed the run's command.
        """
        for directory in self.dirs:
            directory.mkdir()
        if self.pids_dir is not None:
            (self.pids_dir / "pids.max").write_text("1")

    def set_limits(self, limits: Limits) -> None:
        """Write ``limits`` into existing groups (they become the run's limits)."""
        self.limits = limits
        self.write_limits()

    def write_limits(self) -> None:
        """Write this run's ``pids.max`` and memory limit; raises OSError when refused."""
        if self.pids_dir is not None:
            (self.pids_dir / "pids.max").write_text(str(self.limits.max_processes + WRAPPER_PROCESSES))
        if self.memory_dir is not None and self.limits.memory_mb is not None:
            self._limit_memory(self.limits.memory_mb * 1024 * 1024)

    def _limit_memory(self, limit_bytes: int) -> None:
        if self.support.version == 2:
            (self.memory_dir / "memory.max").write_text(str(limit_bytes))
            with contextlib.suppress(OSError):
                (self.memory_dir / "memory.swap.max").write_text("0")
            return
        (self.memory_dir / "memory.limit_in_bytes").write_text(str(limit_bytes))
        with contextlib.suppress(OSError):  # absent without swap accounting
            (self.memory_dir / "memory.memsw.limit_in_bytes").write_text(str(limit_bytes))

    def join_statements(self) -> list[str]:
        """Shell statements that move the shell running them into the run's groups."""
        return [f"echo $$ > '{directory}/cgroup.procs'" for directory in self.dirs]

    def pids(self) -> list[int]:
        found: set[int] = set()
        for directory in self.dirs:
            with contextlib.suppress(OSError, ValueError):
                found.update(int(pid) for pid in (directory / "cgroup.procs").read_text().split())
        return sorted(found)

    def kill_all(self) -> None:
        """SIGKILL every process in the groups until none is left (new forks included)."""
        if self.support.version == 2 and self.pids_dir is not None and (self.pids_dir / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                (self.pids_dir / "cgroup.kill").write_text("1")
        for round_number in range(_KILL_ROUNDS):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0 if round_number < 3 else 0.001)  # a killed process leaves the group within microseconds
        logger.warning("sandbox: processes %s survived repeated SIGKILL in %s", self.pids(), self.dirs[0])

    def memory_limit_hit(self) -> bool:
        """True when the kernel killed a process of this run for going over the memory limit."""
        if self.memory_dir is None or self.limits.memory_mb is None:
            return False
        if self.support.version == 2:
            return _field(self.memory_dir / "memory.events", "oom_kill") > 0
        return _field(self.memory_dir / "memory.oom_control", "oom_kill") > 0

    def cpu_s(self) -> float:
        """CPU seconds used by every process of the run, killed ones included (0.0 if unknown)."""
        if self.cpu_dir is None:
            return 0.0
        if self.support.version == 2:
            return _field(self.cpu_dir / "cpu.stat", "usage_usec") / 1e6
        try:
            return int((self.cpu_dir / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            return 0.0

    def peak_memory_mb(self) -> float:
        """Peak memory charged to the run's group, page cache included (0.0 if unknown)."""
        if self.memory_dir is None:
            return 0.0
        name = "memory.peak" if self.support.version == 2 else "memory.max_usage_in_bytes"
        try:
            return int((self.memory_dir / name).read_text()) / (1024 * 1024)
        except (OSError, ValueError):
            return 0.0

    def remove(self) -> None:
        """Kill what is left and remove the groups; waits briefly for exiting processes."""
        self.kill_all()
        deadline = time.monotonic() + _REMOVE_WAIT_S
        for directory in self.dirs:
            while True:
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        logger.warning("sandbox: could not remove cgroup %s", directory)
                        break
                    self.kill_all()
                    time.sleep(0.005)


def _field(path: Path, name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == name:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0
