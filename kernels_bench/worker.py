"""The evaluation worker: one fresh process per candidate (``python -m polca.kernels_bench.worker``).

It reads a JSON request on stdin, imports the problem and then the candidate (with the
compile cache installed, so the candidate's ``load_inline`` is cached), checks correctness,
optionally times reference and candidate, re-checks correctness after timing, and writes
one JSON line prefixed by the request's nonce to stdout. The evaluator ignores every other
line, so whatever the candidate prints cannot pass for a verdict without the nonce, which
the worker reads and drops before any candidate code runs. A ``build_only`` request stops
once the candidate is imported (its kernels built and sent back for the cache).

Everything the evaluator needs to trust (the timer, synchronize, the correctness checks)
is imported and bound here before the candidate is imported.
"""

from __future__ import annotations

import base64
import json
import sys
import time
import traceback
from collections.abc import Mapping
from typing import Any

import torch

from polca.kernels_bench.compile_cache import CompileCache
from polca.kernels_bench.correctness import CorrectnessConfig, check_correctness, fresh_inputs
from polca.kernels_bench.cupy_path import NvrtcCacheDir, missing_cupy_hint
from polca.kernels_bench.problems import import_source
from polca.kernels_bench.timing import CacheFlush, TimingConfig, make_timer, time_interleaved

_TIMING_SEED = 10_000
_FEEDBACK_CHARS = 4000
_PROFILE_CALLS = 3
_PROFILE_ROWS = 5
MAX_ARTIFACT_BYTES = 64 * 1024 * 1024  # larger builds are not sent back for caching


def main() -> int:
    request = json.loads(sys.stdin.read())
    nonce = request.pop("nonce")
    started = time.perf_counter()
    verdict = evaluate_request(request)
    verdict["worker_s"] = time.perf_counter() - started
    sys.stdout.write("\n" + nonce + json.dumps(verdict) + "\n")
    sys.stdout.flush()
    return 0


def evaluate_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """Run one evaluation in this process and return the verdict as plain data."""
    device = request["device"]
    timer = make_timer(device)  # bound before the candidate can touch torch or time
    problem = import_source(_read(request["problem_path"]), "polca_problem", request["problem_path"])
    cache = CompileCache(request["cache_root"])
    # CuPy reads CUPY_CACHE_DIR when it is imported, so it is set before the candidate is.
    nvrtc_cache = NvrtcCacheDir.install(request["cupy_cache_dir"]) if request.get("cupy_cache_dir") else None
    verdict: dict[str, Any] = {"compiled": False, "correct": False, "failure": "", "reason": "", "feedback": ""}
    candidate_cls = _import_candidate(request, cache, verdict)
    verdict.update(cache_hit=cache.stats.hits > 0 and cache.stats.compiles == 0,
                   compiles=cache.stats.compiles, compile_s=cache.stats.compile_s, artifacts=_artifacts(cache))
    if candidate_cls is not None:
        verdict["compiled"] = True
        if not request.get("build_only"):  # a build-only run stops once the kernels are built
            _check_and_time(problem, candidate_cls, request, timer, verdict)
    if nvrtc_cache is not None:  # NVRTC compiles lazily, at a kernel's first launch
        nvrtc_cache.report(verdict)
    return verdict


def _check_and_time(problem, candidate_cls, request: Mapping[str, Any], timer, verdict: dict[str, Any]) -> None:
    config = CorrectnessConfig(seeds=tuple(request["seeds"]), distributions=tuple(request["distributions"]),
                               device=request["device"], shape_variants=request["shape_variants"],
                               alternate_order=request.get("alternate_order", True),
                               check_inputs=request.get("check_inputs", True))
    report = check_correctness(problem.Model, candidate_cls, problem.get_inputs, problem.get_init_inputs, config)
    verdict.update(correct=report.correct, failure=report.failure, reason=report.reason, feedback=report.feedback)
    if report.correct and request.get("timing") is not None:
        _time_and_recheck(problem, candidate_cls, request, timer, verdict)


def _artifacts(cache: CompileCache) -> list[dict[str, str]]:
    """The modules built in this run, for the evaluator's cache outside the sandbox."""
    artifacts = []
    for build in cache.builds:
        if build.module_file.is_file() and build.module_file.stat().st_size <= MAX_ARTIFACT_BYTES:
            data = base64.b64encode(build.module_file.read_bytes()).decode("ascii")
            artifacts.append({"key": build.key, "module_file": build.module_file.name, "data_b64": data})
    return artifacts


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _import_candidate(request: Mapping[str, Any], cache: CompileCache, verdict: dict[str, Any]):
    try:
        with cache.installed():
            module = import_source(_read(request["candidate_path"]), "polca_candidate", request["candidate_path"])
    except BaseException as exc:  # a candidate's failure is data, even SystemExit
        stage = "compile" if cache.stats.failed_builds else "runtime"
        what = "building the custom kernel failed" if stage == "compile" else "importing the candidate raised"
        hint = missing_cupy_hint(exc)
        verdict.update(failure=stage, reason=f"{what}: {type(exc).__name__}: {_first_line(exc)}" + (f" ({hint})" if hint else ""),
                       feedback=f"{what}:\n{_tail(traceback.format_exc())}" + (f"\n{hint}." if hint else ""))
        return None
    candidate_cls = getattr(module, "ModelNew", None)
    if not isinstance(candidate_cls, type):
        verdict.update(failure="runtime", reason="the candidate defines no class ModelNew",
                       feedback="Define a class ModelNew(nn.Module) at the top level of the file.")
        return None
    return candidate_cls


def _time_and_recheck(problem, candidate_cls, request: Mapping[str, Any], timer, verdict: dict[str, Any]) -> None:
    device = request["device"]
    try:
        functions = _timed_functions(problem, candidate_cls, device, request.get("compare_compile", False))
        template = problem.get_inputs()

        distribution = "problem" if request["distributions"] == ["problem"] else "normal"

        def make_inputs(trial: int) -> list[Any]:
            return fresh_inputs(template, _TIMING_SEED + trial, distribution, device)

        timing = TimingConfig(**request["timing"])
        flush = CacheFlush(device) if timing.flush_cache else None
        stats = time_interleaved(functions, make_inputs, timer, timing, flush)
    except Exception as exc:  # a candidate failing under repetition is data
        verdict.update(correct=False, failure="runtime", reason=f"failed while being timed: {type(exc).__name__}: {_first_line(exc)}",
                       feedback=_tail(traceback.format_exc()))
        return
    verdict["timings"] = {name: value.to_dict() for name, value in stats.items()}
    verdict["profile"], verdict["kernel_rows"] = _profile_with_kernels(functions["candidate"], make_inputs(0), device)
    if not request.get("recheck", True):
        return
    recheck = CorrectnessConfig(seeds=tuple(request["recheck_seeds"]), device=device, shape_variants=False)
    report = check_correctness(problem.Model, candidate_cls, problem.get_inputs, problem.get_init_inputs, recheck)
    if not report.correct:
        verdict.update(correct=False, failure=report.failure, reason=f"after timing: {report.reason}",
                       feedback=f"Correct before timing, wrong after it: {report.feedback}")


def _timed_functions(problem, candidate_cls, device: str, compare_compile: bool) -> dict[str, Any]:
    init = problem.get_init_inputs()
    torch.manual_seed(0)
    reference = problem.Model(*init).to(device)
    torch.manual_seed(0)
    candidate = candidate_cls(*init).to(device)
    functions = {"reference": _no_grad(reference), "candidate": _no_grad(candidate)}
    if compare_compile:
        functions["compiled_reference"] = _no_grad(torch.compile(reference))
    return functions


def _profile(function, inputs: list[Any], device: str) -> str:
    """The candidate's top operators by self time over a few calls: a hint for the proposer, never a score."""
    return _profile_with_kernels(function, inputs, device)[0]


def _profile_with_kernels(function, inputs: list[Any], device: str) -> tuple[str, list[list[Any]] | None]:
    """(the top operators as text, the GPU kernels that ran as [name, device us per call] rows).

    The rows are None on a CPU or when the profiler failed: the evaluator then cannot confirm
    that a custom kernel ran (:mod:`polca.kernels_bench.profiler_check`).
    """
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    try:
        with torch.profiler.profile(activities=activities) as profiler:
            for _ in range(_PROFILE_CALLS):
                function(*inputs)
        events = list(profiler.key_averages())
    except Exception as exc:  # the profile is advice; its failure costs only the advice
        return f"profiler unavailable: {type(exc).__name__}: {_first_line(exc)}", None
    key = "self_device_time_total" if device == "cuda" else "self_cpu_time_total"
    top = sorted(events, key=lambda event: getattr(event, key), reverse=True)[:_PROFILE_ROWS]
    text = "\n".join(f"{event.key}: self {getattr(event, key) / 1000 / _PROFILE_CALLS:.4g} ms per call, "
                     f"{event.count // _PROFILE_CALLS} launches per call" for event in top)
    kernels = [[event.key, event.self_device_time_total / _PROFILE_CALLS] for event in events
               if event.device_type == torch.autograd.DeviceType.CUDA]
    return text, kernels if device == "cuda" else None


def _no_grad(model):
    def call(*inputs):
        with torch.no_grad():
            return model(*inputs)

    return call


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else ""


def _tail(text: str) -> str:
    return text if len(text) <= _FEEDBACK_CHARS else "...\n" + text[-_FEEDBACK_CHARS:]


if __name__ == "__main__":
    sys.exit(main())
