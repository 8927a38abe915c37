"""The CuPy/NVRTC fast path: kernels written as CUDA C strings and compiled by NVRTC in-process.

A candidate may build its kernel with ``cupy.RawKernel``/``cupy.RawModule`` (or
``ElementwiseKernel``/``ReductionKernel``) instead of ``load_inline``: NVRTC compiles it in
well under a second where nvcc and a C++ build take about a minute. CuPy keeps compiled
kernels in its own cache directory (``CUPY_CACHE_DIR``, one ``<hash>.cubin`` file per source,
options and GPU architecture), and polca points that directory into its cache root:

    <cache root>/cupy/<key>/<CuPy's hash>.cubin

where ``key`` hashes the candidate's CuPy kernel calls (source strings, names, options,
read statically as for ``load_inline``) and the toolchain (:class:`~polca.kernels_bench.compile_cache.Toolchain`
plus the CuPy and NVRTC versions). The sandbox hides the host's cache, so the evaluator
copies ``<key>/`` into the run, the worker sets ``CUPY_CACHE_DIR`` to it before the candidate
imports CuPy and returns the ``.cubin`` files NVRTC wrote, and the evaluator keeps them
under the key it derived itself. A second evaluation of the same kernels loads them without
compiling. A candidate whose CuPy calls have run-time arguments still runs, uncached.

CuPy is the ``cuda`` extra (``pip install 'polca[cuda]'``, the ``cupy-cuda12x`` wheel; NVRTC
comes from the CUDA toolkit or the ``nvidia-cuda-nvrtc-cu12`` wheel).
"""

from __future__ import annotations

import ast
import base64
import contextlib
import functools
import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from polca.kernels_bench.compile_cache import (
    Toolchain,
    _callee_name,
    _locked,
    _module_constants,
    _NotStatic,
    _static_value,
    cache_key,
    detect_toolchain,
)
from polca.parsing import parse_python

CUPY_EXTRA_HINT = "CuPy kernels need the cuda extra: pip install 'polca[cuda]' (the cupy-cuda12x wheel)"
CUPY_CACHE_ENV = "CUPY_CACHE_DIR"
CUPY_SUBDIR = "cupy"  # under the compile cache root
_KERNEL_SUFFIX = ".cubin"
_CUPY_CONSTRUCTORS = ("RawKernel", "RawModule", "ElementwiseKernel", "ReductionKernel")
MAX_KERNEL_BYTES = 16 * 1024 * 1024  # larger cache files are neither sent back nor kept


def require_cupy() -> ModuleType:
    """``import cupy``, or an ImportError that names the ``cuda`` extra."""
    try:
        return importlib.import_module("cupy")
    except ImportError as exc:
        raise ImportError(f"{CUPY_EXTRA_HINT}; importing cupy failed: {exc}") from exc


def missing_cupy_hint(exc: BaseException) -> str:
    """The install hint when ``exc`` says CuPy is missing; empty for any other error."""
    missing = getattr(exc, "name", None) or ""
    return CUPY_EXTRA_HINT if isinstance(exc, ImportError) and missing.split(".")[0] == "cupy" else ""


@functools.cache
def cupy_versions() -> dict[str, str]:
    """The CuPy and NVRTC versions that decide what NVRTC builds; empty strings when absent."""
    try:
        cupy = require_cupy()
    except ImportError:
        return {"cupy": "", "nvrtc": ""}
    try:
        nvrtc = ".".join(str(part) for part in cupy.cuda.nvrtc.getVersion())
    except Exception:  # NVRTC is loaded lazily; a missing libnvrtc only fails the compile
        nvrtc = ""
    return {"cupy": cupy.__version__, "nvrtc": nvrtc}


def static_cupy_requests(source: str) -> list[dict[str, Any]]:
    """The CuPy kernel constructor calls in ``source`` with static arguments (literals, or names
    bound once to literals), as ``{"kind", "args", "kwargs"}``; other calls are left out."""
    try:
        tree = parse_python(source)
    except SyntaxError:
        return []
    constants = _module_constants(tree)
    requests = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _callee_name(node.func) in _CUPY_CONSTRUCTORS):
            continue
        if any(k.arg is None for k in node.keywords) or any(isinstance(a, ast.Starred) for a in node.args):
            continue
        with contextlib.suppress(_NotStatic):
            requests.append({"kind": _callee_name(node.func), "args": [_static_value(a, constants) for a in node.args],
                             "kwargs": {k.arg: _static_value(k.value, constants) for k in node.keywords}})
    return requests


def cupy_cache_key(source: str, toolchain: Toolchain | None = None) -> str | None:
    """The NVRTC cache key of ``source``'s static CuPy kernel calls; None when it has none."""
    requests = static_cupy_requests(source)
    if not requests:
        return None
    return cache_key("cupy", "", {"requests": requests}, cupy_versions(), toolchain or detect_toolchain())


def cupy_cache_dir(root: str | Path, key: str) -> Path:
    """Where NVRTC builds of ``key`` live under the compile cache ``root``."""
    return Path(root) / CUPY_SUBDIR / key


def export_cupy_builds(root: str | Path, key: str) -> dict[str, bytes]:
    """The cached kernels of ``key``, as files relative to ``root``; empty when none."""
    directory = cupy_cache_dir(root, key)
    if not directory.is_dir():
        return {}
    return {f"{CUPY_SUBDIR}/{key}/{path.name}": path.read_bytes() for path in sorted(directory.iterdir())
            if _is_kernel_file_name(path.name) and path.is_file() and path.stat().st_size <= MAX_KERNEL_BYTES}


def store_cupy_build(root: str | Path, key: str, file_name: str, data: bytes) -> Path:
    """Keep a kernel file NVRTC wrote elsewhere (a worker) under ``key``; atomic, first writer wins."""
    if not _is_kernel_file_name(file_name):
        raise ValueError(f"CuPy cache file name {file_name!r} must be a bare '<hash>{_KERNEL_SUFFIX}' file name.")
    if len(data) > MAX_KERNEL_BYTES:
        raise ValueError(f"CuPy cache file {file_name!r} has {len(data)} bytes, over the {MAX_KERNEL_BYTES}-byte limit.")
    directory = cupy_cache_dir(root, key)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / file_name
    with _locked(Path(root) / CUPY_SUBDIR / f"{key}.lock"):
        if not target.is_file():
            partial = directory / f".{file_name}.partial"
            partial.write_bytes(data)
            partial.replace(target)
    return target


def _is_kernel_file_name(name: str) -> bool:
    return Path(name).name == name and name.endswith(_KERNEL_SUFFIX) and not name.startswith(".")


@dataclass(frozen=True)
class NvrtcCacheDir:
    """The worker's CuPy cache directory: what was there before the candidate ran."""

    path: Path
    before: frozenset[str]

    @classmethod
    def install(cls, path: str | Path) -> NvrtcCacheDir:
        """Point ``CUPY_CACHE_DIR`` at ``path``; call before the candidate imports CuPy."""
        directory = Path(path).absolute()
        directory.mkdir(parents=True, exist_ok=True)
        os.environ[CUPY_CACHE_ENV] = str(directory)
        os.environ.pop("CUPY_CACHE_IN_MEMORY", None)  # in-memory builds would never reach the disk cache
        return cls(directory, frozenset(cls._kernel_files(directory)))

    @staticmethod
    def _kernel_files(directory: Path) -> list[str]:
        return [p.name for p in directory.iterdir() if _is_kernel_file_name(p.name) and p.is_file()]

    def new_builds(self) -> list[dict[str, str]]:
        """Kernel files NVRTC wrote during this run, base64, for the evaluator's cache."""
        builds = []
        for name in sorted(set(self._kernel_files(self.path)) - self.before):
            path = self.path / name
            if path.stat().st_size <= MAX_KERNEL_BYTES:
                builds.append({"file": name, "data_b64": base64.b64encode(path.read_bytes()).decode("ascii")})
        return builds

    def report(self, verdict: dict[str, Any]) -> None:
        """Add NVRTC's compiles and cache use to the worker's ``verdict``."""
        builds = self.new_builds()
        compiles = verdict.get("compiles", 0) + len(builds)
        hit = verdict.get("cache_hit", False) or bool(self.before)
        verdict.update(compiles=compiles, cache_hit=hit and compiles == 0, nvrtc_compiles=len(builds),
                       cupy_builds=builds)
