"""Compile a candidate's CUDA source with ``nvcc`` on a machine without a GPU.

A CPU-only machine cannot run a CUDA candidate, but where ``nvcc`` is installed it can at
least tell whether the kernel compiles, and give the compiler's errors as feedback. The
CUDA strings are taken statically from the candidate's ``load_inline(..., cuda_sources=...)``
calls and compiled to an object file against torch's headers, as ``load_inline`` would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.utils.cpp_extension as cpp_extension

from polca.kernels_bench.compile_cache import static_inline_requests

# What load_inline puts in front of every CUDA source.
_PRELUDE = "#include <torch/types.h>\n#include <cuda.h>\n#include <cuda_runtime.h>\n"
_LOG_CHARS = 6000


@dataclass(frozen=True)
class NvccResult:
    """Whether the source compiled, the compiler's output and how long it took."""

    ok: bool
    log: str
    seconds: float


def find_nvcc() -> str | None:
    """``nvcc`` on PATH, else under ``$CUDA_HOME/bin``; None when neither exists."""
    found = shutil.which("nvcc")
    if found:
        return found
    home = os.environ.get("CUDA_HOME") or cpp_extension.CUDA_HOME
    candidate = Path(home, "bin", "nvcc") if home else None
    return str(candidate) if candidate is not None and candidate.is_file() else None


def inline_cuda_sources(source: str) -> list[str]:
    """The static ``cuda_sources`` of every ``load_inline`` call in a candidate, joined per call."""
    found = []
    for _, sources, _ in static_inline_requests(source):
        cuda = sources["cuda_sources"]
        if cuda:
            found.append(cuda if isinstance(cuda, str) else "\n".join(cuda))
    return found


def compile_cuda_source(cuda_source: str, nvcc: str | None = None, extra_flags: tuple[str, ...] = (),
                        timeout_s: float = 900.0) -> NvccResult:
    """Compile one CUDA source to an object file; the source's failure is data (``ok=False``).

    Raises FileNotFoundError when no ``nvcc`` is found (install the CUDA toolkit or set
    ``CUDA_HOME``).
    """
    nvcc = nvcc or find_nvcc()
    if nvcc is None:
        raise FileNotFoundError("nvcc was not found on PATH or under $CUDA_HOME/bin; install the CUDA toolkit or set CUDA_HOME.")
    with tempfile.TemporaryDirectory(prefix="polca-nvcc-") as workdir:
        source_path = Path(workdir, "kernel.cu")
        source_path.write_text(_PRELUDE + cuda_source, encoding="utf-8")
        argv = [nvcc, "-c", str(source_path), "-o", str(Path(workdir, "kernel.o")), *_flags(), *extra_flags]
        started = time.perf_counter()
        try:
            completed = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return NvccResult(False, f"nvcc did not finish within {timeout_s:.0f} s", time.perf_counter() - started)
        log = (completed.stdout + completed.stderr).replace(workdir + "/", "")
        return NvccResult(completed.returncode == 0, log[-_LOG_CHARS:], time.perf_counter() - started)


def _flags() -> list[str]:
    abi = int(getattr(torch._C, "_GLIBCXX_USE_CXX11_ABI", True))
    includes = [f"-I{path}" for path in (*cpp_extension.include_paths(), sysconfig.get_paths()["include"])]
    return [*includes, "-std=c++17", "--expt-relaxed-constexpr", "-Xcompiler", "-fPIC",
            "-DTORCH_EXTENSION_NAME=polca_nvcc_check", "-DTORCH_API_INCLUDE_EXTENSION_H", f"-D_GLIBCXX_USE_CXX11_ABI={abi}"]
