"""A compile cache for custom kernels: the same source with the same toolchain builds once.

POLCA re-evaluates a candidate many times, each time in a fresh process. Building a
``load_inline`` extension takes tens of seconds, so :class:`CompileCache` keys every build
by a hash of its sources, its build options and the toolchain (torch version, CUDA version,
C++ and nvcc compiler versions, Python version, machine), builds it into
``<cache root>/<key>/`` and, on the next request with the same key, imports the built
module directly without invoking a compiler or ninja.

The evaluator installs the cache in the worker process before it imports a candidate
(:meth:`CompileCache.installed`), so a candidate's own ``load_inline(...)`` call goes through
it unchanged. The cache root is ``~/.cache/polca/kernels`` unless ``POLCA_KERNELS_CACHE_DIR``
or an explicit ``root`` says otherwise. Concurrent builds of one key are serialised with a
file lock; different keys build in parallel.

Workers run in a sandbox that cannot see the host's cache directory, so builds cross the
boundary as files: before a run, :func:`inline_build_keys` derives from the candidate's
source (statically, without running it) the keys its ``load_inline`` calls will ask for, and
the evaluator copies those builds into the run (:meth:`CompileCache.export`); after the run,
the worker returns what it built and the evaluator keeps only builds whose key it derived
itself (:meth:`CompileCache.store`). A ``load_inline`` call whose arguments are not literals
(or names bound to literals) still works, but is rebuilt in every run.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import json
import logging
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
import torch.utils.cpp_extension as cpp_extension

from polca.parsing import parse_python

logger = logging.getLogger(__name__)

CACHE_DIR_ENV = "POLCA_KERNELS_CACHE_DIR"
_MARKER = "polca-build.json"
# Build options that change the binary; the rest (verbose, ...) do not enter the key.
_KEYED_OPTIONS = ("functions", "extra_cflags", "extra_cuda_cflags", "extra_ldflags", "extra_include_paths",
                  "with_cuda", "is_python_module", "with_pytorch_error_handling", "no_implicit_headers")

Builder = Callable[..., Any]
Importer = Callable[[str, Path], ModuleType]


def default_cache_root() -> Path:
    """``$POLCA_KERNELS_CACHE_DIR`` when set, else ``~/.cache/polca/kernels``."""
    configured = os.environ.get(CACHE_DIR_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "polca" / "kernels"


@dataclass(frozen=True)
class Toolchain:
    """Everything outside the source that decides what a build produces."""

    torch_version: str
    cuda_version: str  # torch's CUDA version; "" on a CPU build
    cxx_version: str
    nvcc_version: str  # "" when nvcc is not on PATH
    python_version: str
    machine: str
    cuda_arch_list: str  # TORCH_CUDA_ARCH_LIST, which selects the GPU code generated


def _first_line(argv: list[str], last: bool = False) -> str:
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    return (lines[-1] if last else lines[0]) if lines else ""


@functools.cache
def detect_toolchain() -> Toolchain:
    """The toolchain of this process (compiler versions are asked once per process)."""
    cxx = os.environ.get("CXX", "c++")
    nvcc = shutil.which("nvcc")
    return Toolchain(
        torch_version=torch.__version__,
        cuda_version=torch.version.cuda or "",
        cxx_version=_first_line([cxx, "--version"]),
        nvcc_version=_first_line([nvcc, "--version"], last=True) if nvcc else "",
        python_version=platform.python_version(),
        machine=f"{platform.system()}-{platform.machine()}",
        cuda_arch_list=os.environ.get("TORCH_CUDA_ARCH_LIST", ""),
    )


def cache_key(kind: str, name: str, sources: Mapping[str, Any], options: Mapping[str, Any], toolchain: Toolchain) -> str:
    """A hex digest of everything that decides the build's output."""
    payload = {"kind": kind, "name": name, "sources": sources, "options": options, "toolchain": asdict(toolchain)}
    encoded = json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:32]


def _import_extension(name: str, path: Path) -> ModuleType:
    """Import a built extension module from its shared library, as torch does."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import the cached extension {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class BuildRecord:
    """One build this process ran: its key and the built module file."""

    key: str
    module_file: Path


@dataclass
class CacheStats:
    """What the cache did in this process."""

    compiles: int = 0
    hits: int = 0
    failed_builds: int = 0
    compile_s: float = 0.0


class CompileCache:
    """Builds ``load_inline``/``load`` extensions once per (sources, options, toolchain).

    ``builders`` and ``importer`` default to torch's ``load_inline``/``load`` and a plain
    shared-library import; tests substitute counting fakes.
    """

    def __init__(
        self,
        root: str | Path | None = None,
        toolchain: Toolchain | None = None,
        builders: Mapping[str, Builder] | None = None,
        importer: Importer = _import_extension,
    ) -> None:
        self.root = (Path(root).expanduser() if root is not None else default_cache_root()).absolute()
        self.toolchain = toolchain or detect_toolchain()
        self._builders = dict(builders or {"load_inline": cpp_extension.load_inline, "load": cpp_extension.load})
        self._importer = importer
        self.stats = CacheStats()
        self.builds: list[BuildRecord] = []

    def load_inline(self, name: str, cpp_sources: Any, cuda_sources: Any = None, **options: Any) -> Any:
        """``torch.utils.cpp_extension.load_inline`` through the cache (same arguments)."""
        sources = {"cpp_sources": cpp_sources, "cuda_sources": cuda_sources}
        return self._get("load_inline", name, sources, options)

    def load(self, name: str, sources: str | list[str], **options: Any) -> Any:
        """``torch.utils.cpp_extension.load`` through the cache; files are keyed by content."""
        paths = [sources] if isinstance(sources, str) else list(sources)
        contents = {str(p): Path(p).read_text(encoding="utf-8", errors="replace") for p in paths}
        return self._get("load", name, {"sources": paths, "contents": contents}, options)

    def build_directory(self, key: str) -> Path:
        return self.root / key

    def _get(self, kind: str, name: str, sources: dict[str, Any], options: dict[str, Any]) -> Any:
        options.pop("build_directory", None)  # the cache decides where builds live
        keyed = {option: options[option] for option in _KEYED_OPTIONS if option in options}
        key = cache_key(kind, name, sources, keyed, self.toolchain)
        build_dir = self.build_directory(key)
        cached = self._cached(name, build_dir, options)
        if cached is not None:
            return cached
        build_dir.mkdir(parents=True, exist_ok=True)
        with _locked(self.root / f"{key}.lock"):
            cached = self._cached(name, build_dir, options)
            if cached is not None:
                return cached
            return self._build(kind, name, sources, options, build_dir)

    def _cached(self, name: str, build_dir: Path, options: Mapping[str, Any]) -> Any:
        marker = build_dir / _MARKER
        if not options.get("is_python_module", True) or not marker.is_file():
            return None
        module_file = build_dir / json.loads(marker.read_text(encoding="utf-8"))["module_file"]
        if not module_file.is_file():
            return None
        module = self._importer(name, module_file)
        self.stats.hits += 1
        logger.debug("compile cache hit: %s from %s", name, build_dir)
        return module

    def _build(self, kind: str, name: str, sources: dict[str, Any], options: dict[str, Any], build_dir: Path) -> Any:
        started = time.perf_counter()
        self.stats.compiles += 1
        try:
            if kind == "load_inline":
                module = self._builders[kind](name, sources["cpp_sources"], sources["cuda_sources"],
                                              build_directory=str(build_dir), **options)
            else:
                module = self._builders[kind](name, sources["sources"], build_directory=str(build_dir), **options)
        except Exception:
            self.stats.failed_builds += 1
            raise
        self.stats.compile_s += time.perf_counter() - started
        module_file = getattr(module, "__file__", None)
        if module_file and Path(module_file).parent.resolve() == build_dir.resolve():
            _write_marker(build_dir, Path(module_file).name, self.toolchain)
            self.builds.append(BuildRecord(build_dir.name, Path(module_file)))
        logger.info("compiled %s in %.1f s into %s", name, time.perf_counter() - started, build_dir)
        return module

    def export(self, key: str) -> dict[str, bytes]:
        """The files of a finished build, relative to the cache root; empty when not cached."""
        build_dir = self.build_directory(key)
        marker = build_dir / _MARKER
        if not marker.is_file():
            return {}
        module_file = build_dir / json.loads(marker.read_text(encoding="utf-8"))["module_file"]
        if not module_file.is_file():
            return {}
        return {f"{key}/{_MARKER}": marker.read_bytes(), f"{key}/{module_file.name}": module_file.read_bytes()}

    def store(self, key: str, module_file_name: str, data: bytes) -> Path:
        """Keep a module built elsewhere (a worker) under ``key``; atomic, first writer wins."""
        if Path(module_file_name).name != module_file_name or not module_file_name.endswith(".so"):
            raise ValueError(f"module file name {module_file_name!r} must be a bare '<name>.so' file name.")
        build_dir = self.build_directory(key)
        build_dir.mkdir(parents=True, exist_ok=True)
        with _locked(self.root / f"{key}.lock"):
            if not (build_dir / _MARKER).is_file():
                partial = build_dir / f".{module_file_name}.partial"
                partial.write_bytes(data)
                partial.replace(build_dir / module_file_name)
                _write_marker(build_dir, module_file_name, self.toolchain)
        return build_dir / module_file_name

    @contextlib.contextmanager
    def installed(self) -> Iterator[CompileCache]:
        """Route ``torch.utils.cpp_extension.load_inline``/``load`` through this cache."""
        saved = (cpp_extension.load_inline, cpp_extension.load)
        cpp_extension.load_inline, cpp_extension.load = self.load_inline, self.load
        try:
            yield self
        finally:
            cpp_extension.load_inline, cpp_extension.load = saved


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_marker(build_dir: Path, module_file_name: str, toolchain: Toolchain) -> None:
    marker = {"module_file": module_file_name, "toolchain": asdict(toolchain)}
    partial = build_dir / f".{_MARKER}.partial"
    partial.write_text(json.dumps(marker, indent=1), encoding="utf-8")
    partial.replace(build_dir / _MARKER)


_INLINE_PARAMETERS = ("name", "cpp_sources", "cuda_sources")


InlineRequest = tuple[str, dict[str, Any], dict[str, Any]]  # (name, sources, keyed options)


def static_inline_requests(source: str) -> list[InlineRequest]:
    """The ``load_inline`` calls in ``source`` whose arguments are static, as the cache sees them.

    Arguments count as static when they are literals, names bound once at module level to
    literals, or ``+`` of those. Other calls are left out (they are rebuilt in each run).
    """
    try:
        tree = parse_python(source)
    except SyntaxError:
        return []
    constants = _module_constants(tree)
    requests = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee_name(node.func) == "load_inline":
            request = _static_request(node, constants)
            if request is not None:
                requests.append(request)
    return requests


def inline_build_keys(source: str, toolchain: Toolchain | None = None) -> tuple[str, ...]:
    """Cache keys of the static ``load_inline`` calls in ``source`` (see :func:`static_inline_requests`)."""
    toolchain = toolchain or detect_toolchain()
    keys = [cache_key("load_inline", name, sources, options, toolchain)
            for name, sources, options in static_inline_requests(source)]
    return tuple(dict.fromkeys(keys))


def _callee_name(func: ast.AST) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


class _NotStatic(Exception):
    """Internal: an argument whose value is only known at run time."""


def _module_constants(tree: ast.Module) -> dict[str, Any]:
    constants: dict[str, Any] = {}
    assigned: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = assigned.get(target.id, 0) + 1
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if assigned.get(name) == 1:
                with contextlib.suppress(_NotStatic):
                    constants[name] = _static_value(node.value, constants)
    return constants


def _static_value(node: ast.AST, constants: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        if node.id not in constants:
            raise _NotStatic(node.id)
        return constants[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _static_value(node.left, constants) + _static_value(node.right, constants)
    if isinstance(node, ast.List | ast.Tuple):
        return [_static_value(item, constants) for item in node.elts]
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise _NotStatic(ast.dump(node)) from exc


def _static_request(call: ast.Call, constants: Mapping[str, Any]) -> InlineRequest | None:
    """(name, sources, keyed options) of a ``load_inline`` call, as the cache will see them."""
    try:
        if (any(keyword.arg is None for keyword in call.keywords) or len(call.args) > len(_INLINE_PARAMETERS)
                or any(isinstance(a, ast.Starred) for a in call.args)):
            return None
        values = dict(zip(_INLINE_PARAMETERS, (_static_value(a, constants) for a in call.args), strict=False))
        values.update({k.arg: _static_value(k.value, constants) for k in call.keywords
                       if k.arg in _INLINE_PARAMETERS or k.arg in _KEYED_OPTIONS})
    except _NotStatic:
        return None
    if "name" not in values or "cpp_sources" not in values:
        return None
    sources = {"cpp_sources": values["cpp_sources"], "cuda_sources": values.get("cuda_sources")}
    options = {option: values[option] for option in _KEYED_OPTIONS if option in values}
    return values["name"], sources, options
