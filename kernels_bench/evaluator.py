"""Evaluate a ``ModelNew`` source against a problem: guards, then one sandboxed worker process.

    from polca.kernels_bench import EvalConfig, evaluate, load_problems, builtin_problems_dir
    problem = load_problems(builtin_problems_dir(), ids="1")[0]
    result = evaluate(problem, source, EvalConfig(device="cuda"))
    result.correct, result.speedup("eager"), result.feedback

:func:`evaluate` first applies the static guards (:mod:`polca.kernels_bench.guards`); a
candidate they reject never runs. Otherwise the candidate runs in a fresh process through
``polca.sandbox.run`` (a fresh CUDA context, a wall-clock timeout that kills the process
tree, a scrubbed environment), where :mod:`polca.kernels_bench.worker` compiles it through
the compile cache, checks correctness, times it and re-checks it. Every outcome, a timeout
or a crash included, comes back as one :class:`KernelResult`.

The sandbox hides the host's files, so cached builds travel with the run: builds for the
keys derived statically from the source are copied in, and new builds the worker returns
are kept under those keys only (see :mod:`polca.kernels_bench.compile_cache`).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from polca.kernels_bench.compile_cache import CompileCache, inline_build_keys
from polca.kernels_bench.correctness import DISTRIBUTIONS, CorrectnessConfig, Distribution
from polca.kernels_bench.cupy_path import (
    CUPY_SUBDIR,
    cupy_cache_key,
    export_cupy_builds,
    store_cupy_build,
)
from polca.kernels_bench.guards import run_guards
from polca.kernels_bench.launch import worker_command, worker_read_only_paths
from polca.kernels_bench.problems import Problem
from polca.kernels_bench.profiler_check import check_custom_kernel_ran, defined_kernel_names
from polca.kernels_bench.results import AUDIT_SPEEDUP, KernelResult
from polca.kernels_bench.rules import DEFAULT_RULES, get_rules
from polca.kernels_bench.timing import TimingConfig, TimingStats
from polca.sandbox import Limits, RunResult, RunSpec, run
from polca.sandbox.types import BackendName

logger = logging.getLogger(__name__)

# Passed on to the worker when set: they choose the compiler, the GPU and the GPU code built.
_FORWARDED_ENV = ("CUDA_HOME", "CUDA_PATH", "CUDA_VISIBLE_DEVICES", "TORCH_CUDA_ARCH_LIST", "CXX", "CC",
                  "MAX_JOBS", "TRITON_INTERPRET", "OMP_NUM_THREADS", "LD_LIBRARY_PATH")
_STDERR_CHARS = 3000
_WORKER_CACHE_DIR = "kernel_cache"  # inside the run's working directory
_MAX_OUTPUT_BYTES = 128 * 1024 * 1024  # the verdict carries built modules back, base64


@dataclass(frozen=True)
class EvalConfig:
    """How to evaluate one candidate.

    ``timing=None`` checks correctness only. ``compare_compile`` also times
    ``torch.compile`` of the reference (slow to build on a CPU). ``build_timeout_s`` builds
    the candidate's kernels first, in a run of their own with that limit, so ``timeout_s``
    limits only the evaluation (a cold C++ build takes about a minute; None: one run, one
    limit for both). ``cache_root`` defaults to
    :func:`~polca.kernels_bench.compile_cache.default_cache_root`. ``visible_devices`` pins
    the worker to GPUs (``"1"``) without touching this process's environment, so threads
    can evaluate on different GPUs at once.
    """

    device: str = "cpu"
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    distributions: tuple[Distribution, ...] = DISTRIBUTIONS
    shape_variants: bool = True
    timing: TimingConfig | None = TimingConfig()
    compare_compile: bool = True
    recheck_seeds: tuple[int, ...] = (101, 102)
    timeout_s: float = 600.0
    build_timeout_s: float | None = None
    memory_mb: int | None = None  # address-space limits break CUDA, which reserves huge ranges
    cache_root: str | None = None
    sandbox_backend: BackendName = "auto"
    visible_devices: str | None = None  # CUDA_VISIBLE_DEVICES of the worker; None passes the caller's on
    rules: str = DEFAULT_RULES  # "strict" or "kernelbench" (polca.kernels_bench.rules)

    def __post_init__(self) -> None:
        get_rules(self.rules)
        CorrectnessConfig(seeds=self.seeds, distributions=self.distributions, device=self.device)
        if not self.recheck_seeds:
            raise ValueError("EvalConfig.recheck_seeds is empty; give at least one seed, such as (101, 102).")
        if self.timeout_s <= 0:
            raise ValueError(f"EvalConfig.timeout_s must be positive seconds, got {self.timeout_s}; a cold CUDA build needs about 120.")
        if self.build_timeout_s is not None and self.build_timeout_s <= 0:
            raise ValueError(f"EvalConfig.build_timeout_s must be positive seconds or None, got {self.build_timeout_s}.")


def evaluate(problem: Problem, source: str, config: EvalConfig | None = None) -> KernelResult:
    """Guards, then :func:`run_candidate`. A guard error scores 0 without running anything.

    ``config.rules`` chooses which guards reject and how correctness and speedups are taken
    (:mod:`polca.kernels_bench.rules`); the result names it."""
    config = config or EvalConfig()
    guards = run_guards(source, problem, config.rules)
    if not guards.ok:
        feedback = "The static guards rejected the candidate:\n" + "\n".join(f"- {e}" for e in guards.errors)
        return KernelResult(problem_key=problem.key, compiled=False, correct=False, failure="guard",
                            reason=guards.errors[0], feedback=feedback, flags=guards.warnings,
                            rules=config.rules, shrunk=problem.shrunk)
    result = run_candidate(problem, source, config)
    return replace(result, flags=guards.warnings + result.flags)


def run_candidate(problem: Problem, source: str, config: EvalConfig | None = None) -> KernelResult:
    """Run ``source`` in a worker process WITHOUT the static guards.

    For trusted sources and for testing the runtime checks on their own; untrusted
    candidates go through :func:`evaluate`.
    """
    config = config or EvalConfig()
    nonce = secrets.token_hex(16)
    cache = CompileCache(config.cache_root)
    keys = inline_build_keys(source, cache.toolchain)
    if config.build_timeout_s is not None and any(not cache.export(key) for key in keys):
        failed = _build_first(problem, source, config, cache, keys)
        if failed is not None:
            return failed
    cupy_key = cupy_cache_key(source, cache.toolchain)
    cached = {**_cached_files(cache, keys), **_cached_cupy_files(cache, cupy_key)}
    started = time.perf_counter()
    outcome = run(_spec(problem, source, config, nonce, cached, cupy_key), backend=config.sandbox_backend)
    wall_s = time.perf_counter() - started
    verdict = _verdict(outcome, nonce)
    if verdict is None:
        return replace(_process_failure(problem, outcome, wall_s), rules=config.rules, shrunk=problem.shrunk)
    _keep_artifacts(cache, keys, verdict.pop("artifacts", []))
    _keep_cupy_builds(cache, cupy_key, verdict.pop("cupy_builds", []))
    result = _to_result(problem, verdict, wall_s, config.rules)
    return _confirm_custom_kernel(result, verdict, source) if config.device == "cuda" else result


def _build_first(problem: Problem, source: str, config: EvalConfig, cache: CompileCache,
                 keys: tuple[str, ...]) -> KernelResult | None:
    """Build the candidate's kernels into the cache in a run limited by ``build_timeout_s``.

    Returns the failure when the build fails or runs out of time, None when the evaluation
    can go on (its own run then finds the builds in the cache)."""
    nonce = secrets.token_hex(16)
    build_config = replace(config, timeout_s=config.build_timeout_s or config.timeout_s)
    spec = _spec(problem, source, build_config, nonce, _cached_files(cache, keys), build_only=True)
    started = time.perf_counter()
    outcome = run(spec, backend=config.sandbox_backend)
    wall_s = time.perf_counter() - started
    verdict = _verdict(outcome, nonce)
    if verdict is None:
        failed = _process_failure(problem, outcome, wall_s)
        if failed.failure == "timeout":
            reason = f"building the kernels did not finish within the build limit of {build_config.timeout_s:.0f} s"
            failed = replace(failed, reason=reason, feedback=f"{reason}.\n{failed.feedback}")
        return replace(failed, rules=config.rules, shrunk=problem.shrunk)
    _keep_artifacts(cache, keys, verdict.pop("artifacts", []))
    if verdict.get("compiled"):
        return None
    return replace(_to_result(problem, verdict, wall_s, config.rules), compiled=False)


def _cached_files(cache: CompileCache, keys: tuple[str, ...]) -> dict[str, bytes]:
    """Builds the candidate will ask for, copied into the run (the sandbox hides the host cache)."""
    files: dict[str, bytes] = {}
    for key in keys:
        files.update({f"{_WORKER_CACHE_DIR}/{path}": data for path, data in cache.export(key).items()})
    return files


def _cached_cupy_files(cache: CompileCache, key: str | None) -> dict[str, bytes]:
    """NVRTC builds of the candidate's CuPy kernels, copied into the run."""
    if key is None:
        return {}
    return {f"{_WORKER_CACHE_DIR}/{path}": data for path, data in export_cupy_builds(cache.root, key).items()}


def _keep_cupy_builds(cache: CompileCache, key: str | None, builds: list[dict[str, str]]) -> None:
    """Store the worker's NVRTC builds under the key derived here, or nowhere when there is none."""
    if key is None:
        return
    for build in builds:
        try:
            store_cupy_build(cache.root, key, build["file"], base64.b64decode(build["data_b64"], validate=True))
        except (KeyError, ValueError, binascii.Error, OSError) as exc:
            logger.warning("could not cache an NVRTC build returned by the worker: %s", exc)


def _confirm_custom_kernel(result: KernelResult, verdict: dict[str, Any], source: str) -> KernelResult:
    """Flag a correct, timed CUDA result whose profile shows none of the candidate's kernels running."""
    if not result.correct or "profile" not in verdict:
        return result
    rows = verdict.get("kernel_rows")
    rows = None if rows is None else [(str(name), float(time_us)) for name, time_us in rows]
    ok, errors, warnings = check_custom_kernel_ran(rows, defined_kernel_names(source))
    feedback = "\n".join([result.feedback, *warnings, *errors])
    if ok:
        return replace(result, feedback=feedback)
    note = f"not counted in fast_p until audited: {errors[0]}"
    return replace(result, kernel_unconfirmed=errors[0], flags=(*result.flags, note), feedback=feedback)


def _keep_artifacts(cache: CompileCache, keys: tuple[str, ...], artifacts: list[dict[str, str]]) -> None:
    """Store the worker's builds, but only under keys derived here from the candidate's source."""
    for artifact in artifacts:
        if artifact.get("key") not in keys:
            logger.debug("not caching a build with key %s: not derived from the source", artifact.get("key"))
            continue
        try:
            cache.store(artifact["key"], artifact["module_file"], base64.b64decode(artifact["data_b64"], validate=True))
        except (KeyError, ValueError, binascii.Error, OSError) as exc:
            logger.warning("could not cache a build returned by the worker: %s", exc)


def _spec(problem: Problem, source: str, config: EvalConfig, nonce: str, cached: dict[str, bytes],
          cupy_key: str | None = None, build_only: bool = False) -> RunSpec:
    rules = get_rules(config.rules)
    request = {
        "nonce": nonce,
        "problem_path": "problem.py",
        "candidate_path": "candidate.py",
        "device": config.device,
        "seeds": list(config.seeds),
        "distributions": ["problem"] if rules.problem_inputs else list(config.distributions),
        "shape_variants": config.shape_variants and rules.shape_variants,
        "alternate_order": rules.alternate_order,
        "check_inputs": rules.check_inputs,
        "recheck": rules.recheck,
        "build_only": build_only,
        "timing": None if config.timing is None else {
            "warmup_trials": config.timing.warmup_trials, "trials": config.timing.trials,
            "flush_cache": config.timing.flush_cache},
        "compare_compile": config.compare_compile,
        "recheck_seeds": list(config.recheck_seeds),
        "cache_root": _WORKER_CACHE_DIR,
        # CuPy's kernel cache, inside the run: the key's builds were copied there (see cupy_path).
        "cupy_cache_dir": f"{_WORKER_CACHE_DIR}/{CUPY_SUBDIR}/{cupy_key or 'uncached'}",
    }
    env = {name: os.environ[name] for name in _FORWARDED_ENV if name in os.environ}
    if config.visible_devices is not None:
        env["CUDA_VISIBLE_DEVICES"] = config.visible_devices
    return RunSpec(
        command=worker_command(),
        files={"problem.py": problem.source, "candidate.py": source, **cached},
        read_only_paths=worker_read_only_paths(),
        stdin=json.dumps(request),
        env=env,
        limits=Limits(timeout_s=config.timeout_s, memory_mb=config.memory_mb, max_processes=4096,
                      max_output_bytes=_MAX_OUTPUT_BYTES, max_file_mb=1024),
    )


def _verdict(outcome: RunResult, nonce: str) -> dict[str, Any] | None:
    prefix = nonce.encode()
    for line in reversed(outcome.stdout.splitlines()):
        if line.startswith(prefix):
            try:
                return json.loads(line[len(prefix):])
            except json.JSONDecodeError:
                return None
    return None


def _process_failure(problem: Problem, outcome: RunResult, wall_s: float) -> KernelResult:
    stderr = outcome.stderr.decode("utf-8", errors="replace")
    tail = stderr[-_STDERR_CHARS:]
    if outcome.status == "timeout":
        reason = f"the evaluation did not finish within {outcome.wall_s:.0f} s and was killed"
        failure = "timeout"
    else:
        reason = f"the worker process ended without a verdict ({outcome.status}: {outcome.message or 'no message'})"
        failure = "crash"
    return KernelResult(problem_key=problem.key, compiled=False, correct=False, failure=failure, reason=reason,
                        feedback=f"{reason}.\n{tail}".strip(), wall_s=wall_s)


def _to_result(problem: Problem, verdict: dict[str, Any], wall_s: float, rules: str = DEFAULT_RULES) -> KernelResult:
    timings = verdict.get("timings") or {}

    def stats(name: str) -> TimingStats | None:
        return TimingStats.from_dict(timings[name]) if name in timings else None

    result = KernelResult(
        problem_key=problem.key, compiled=verdict["compiled"], correct=verdict["correct"],
        failure=verdict["failure"], reason=verdict["reason"], feedback=verdict["feedback"],
        reference_ms=stats("reference"), compiled_reference_ms=stats("compiled_reference"),
        candidate_ms=stats("candidate"), cache_hit=verdict.get("cache_hit", False),
        compiles=verdict.get("compiles", 0), compile_s=verdict.get("compile_s", 0.0), wall_s=wall_s,
        rules=rules, shrunk=problem.shrunk,
    )
    if result.needs_audit:
        note = f"speedup above {AUDIT_SPEEDUP:g}x: not counted in fast_p until audited"
        result = replace(result, flags=(*result.flags, note))
    if result.correct and result.candidate_ms is not None and result.reference_ms is not None:
        result = replace(result, feedback=_timing_feedback(result, verdict.get("profile", "")))
    return result


def _timing_feedback(result: KernelResult, profile: str = "") -> str:
    """The proposer's view of a correct, timed candidate (both timings are present), with its top operators."""
    lines = [
        result.feedback,
        f"candidate median {result.candidate_ms.median_ms:.4g} ms (IQR {result.candidate_ms.iqr_ms:.3g} ms); "
        f"PyTorch eager {result.reference_ms.median_ms:.4g} ms; speedup {result.speedup('eager'):.3g}x",
    ]
    if result.compiled_reference_ms is not None:
        lines.append(f"torch.compile {result.compiled_reference_ms.median_ms:.4g} ms; speedup {result.speedup('compile'):.3g}x")
    if profile:
        lines.append(f"Top operators of the candidate by self time (profiler):\n{profile}")
    return "\n".join(lines)
