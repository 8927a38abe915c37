"""KernelBench problems and a hardened CUDA-kernel evaluator.

The evaluator assumes every candidate is trying to cheat: static guards reject known tricks
before anything runs; each candidate runs in its own sandboxed process with a compile cache;
correctness is checked over many seeds, input distributions and both run orders; timing uses
fresh inputs, cache flushes and a device-wide synchronize; fast_p counts only what survived.

    from polca.kernels_bench import EvalConfig, builtin_problems_dir, evaluate, load_problems, summarize
    problems = load_problems(builtin_problems_dir(), ids="1-3")
    results = [evaluate(problem, source_for(problem), EvalConfig(device="cuda")) for problem in problems]
    summarize(results).fast_p["eager"]["fast_1"]

Rule sets (``EvalConfig(rules="kernelbench")``, :mod:`polca.kernels_bench.rules`) say which
guards reject and how correctness and speedups are taken; ``shrink_problem`` scales a real
KernelBench file down to fit a CPU (:mod:`polca.kernels_bench.shrink`).
"""

from polca.kernels_bench.compile_cache import (
    CompileCache,
    Toolchain,
    cache_key,
    default_cache_root,
    detect_toolchain,
)
from polca.kernels_bench.correctness import CorrectnessConfig, CorrectnessReport, check_correctness
from polca.kernels_bench.evaluator import EvalConfig, evaluate, run_candidate
from polca.kernels_bench.guards import CHECKS, GuardReport, run_guards
from polca.kernels_bench.problems import (
    Problem,
    builtin_problems_dir,
    load_problems,
    parse_id_spec,
    read_problem,
)
from polca.kernels_bench.results import AUDIT_SPEEDUP, KernelResult
from polca.kernels_bench.rules import RULE_SETS, RuleSet, get_rules
from polca.kernels_bench.scoring import (
    Summary,
    fast_p,
    geometric_mean_speedup,
    read_report,
    report_dict,
    summarize,
    write_report,
)
from polca.kernels_bench.shrink import shrink_problem
from polca.kernels_bench.timing import TimingConfig, TimingStats, time_interleaved, time_trials

__all__ = [
    "AUDIT_SPEEDUP", "CHECKS", "RULE_SETS", "CompileCache", "CorrectnessConfig", "CorrectnessReport", "EvalConfig",
    "GuardReport", "KernelResult", "Problem", "RuleSet", "Summary", "TimingConfig", "TimingStats", "Toolchain",
    "builtin_problems_dir", "cache_key", "check_correctness", "default_cache_root", "detect_toolchain",
    "evaluate", "fast_p", "geometric_mean_speedup", "get_rules", "load_problems", "parse_id_spec", "read_problem",
    "read_report", "report_dict", "run_candidate", "run_guards", "shrink_problem", "summarize", "time_interleaved",
    "time_trials", "write_report",
]
