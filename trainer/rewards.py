"""Verifiable rewards that re-verify every completion; stored scores are never trusted.

Each reward is a TRL reward function: ``reward(prompts, completions, **columns) ->
list[float]``, with the dataset's columns (``code``, ``check``) passed by name. The
completions of a batch are checked concurrently on a thread pool (each check is a
sandboxed subprocess), and every check has a timeout that kills its process tree.

- :func:`format_reward`: 1.0 when the completion holds parseable Python, else 0.0.
- :class:`ProgramReward`: 0.0 unless the code behaves like the original on the problem's
  inputs (``polca.sandbox.difftest``); then the measured speedup over the original
  (``polca.sandbox.measure``), capped at ``max_speedup``.
- :class:`KernelReward`: ``kernels_bench``'s hardened evaluator under the ``strict`` rules;
  0.0 for any guard error, failure or flag, else the speedup over PyTorch eager, capped. It
  runs on ``RewardConfig.device``, else on the device the run was recorded on (the check's
  ``device``), and builds a candidate's kernels first under ``build_timeout_s``, so
  ``timeout_s`` limits the evaluation only (a cold C++ build takes about a minute).

``check`` is the JSON text of the problem's check (see ``trainer.export``). A program
check's ``inputs`` are safe data (:mod:`polca.sandbox.codec`); its ``pickled_inputs`` reach
the sandbox only from a ``ProgramReward(allow_pickle=True)``, and are skipped otherwise.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from polca.parsing import parse_python

log = logging.getLogger(__name__)

_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


@dataclass(frozen=True)
class RewardConfig:
    """How rewards check completions: concurrency, per-check timeout, speedup cap."""

    max_workers: int = 4
    timeout_s: float = 30.0
    max_speedup: float = 10.0
    measure_rounds: int = 5
    min_sample_s: float = 0.01
    device: str | None = None  # kernels: "cpu", "cuda", "cuda:N"; None: the device each run was recorded on
    build_timeout_s: float = 600.0  # kernels: building a candidate's kernels, before timeout_s starts
    kernel_rules: str = "strict"  # kernels: the rule set rewards are judged by (polca.kernels_bench.rules)
    kernel_trials: int = 20  # kernels: timed trials per completion

    def __post_init__(self) -> None:
        if self.max_workers < 1 or self.timeout_s <= 0 or self.max_speedup <= 0 or self.build_timeout_s <= 0:
            raise ValueError(
                f"RewardConfig needs max_workers >= 1, timeout_s > 0, build_timeout_s > 0 and max_speedup > 0; got "
                f"{self.max_workers}, {self.timeout_s}, {self.build_timeout_s}, {self.max_speedup}."
            )
        if self.device is not None and not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ValueError(f"RewardConfig.device {self.device!r} must be 'cpu', 'cuda', 'cuda:N' or None "
                             "(the device each run was recorded on).")
        if self.kernel_trials < 1:
            raise ValueError(f"RewardConfig.kernel_trials must be at least 1, got {self.kernel_trials}.")


def completion_text(completion: Any) -> str:
    """The text of a completion, plain or conversational (last message's content)."""
    if isinstance(completion, list):
        return str(completion[-1].get("content", "")) if completion else ""
    return str(completion)


def extract_code(completion: Any) -> str | None:
    """The first fenced code block (or the whole text) if it parses as Python, else None."""
    text = completion_text(completion)
    match = _FENCE.search(text)
    code = (match.group(1) if match else text).strip("\n")
    if not code.strip():
        return None
    try:
        parse_python(code)
    except (SyntaxError, ValueError):
        return None
    return code


def format_reward(completions: Sequence[Any], **_: Any) -> list[float]:
    """1.0 for each completion holding parseable Python, else 0.0."""
    return [0.0 if extract_code(c) is None else 1.0 for c in completions]


def _concurrently(check: Callable[[int], float], count: int, max_workers: int) -> list[float]:
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return list(pool.map(check, range(count)))


class ProgramReward:
    """Correct-and-faster reward for the program domain, through the sandbox."""

    __name__ = "program_reward"

    def __init__(self, config: RewardConfig = RewardConfig(), *, allow_pickle: bool = False) -> None:
        self.config = config
        self.allow_pickle = allow_pickle

    def __call__(self, completions, code, check, **_: Any) -> list[float]:
        return _concurrently(
            lambda i: self.score(completions[i], code[i], check[i]),
            len(completions),
            self.config.max_workers,
        )

    def score(self, completion: Any, original: str, check_json: str) -> float:
        from polca.sandbox.difftest import compare
        from polca.sandbox.measure import measure
        from polca.sandbox.types import Limits

        candidate_code = extract_code(completion)
        if candidate_code is None:
            return 0.0
        check = json.loads(check_json) if check_json else {}
        original_target, candidate_target, inputs = _program_targets(
            original, candidate_code, check, self.allow_pickle
        )
        if not inputs:
            log.warning("program check has no inputs; nothing to verify, reward 0")
            return 0.0
        report = compare(original_target, candidate_target, inputs, limits=Limits(timeout_s=self.config.timeout_s))
        if not report.equal:
            return 0.0
        timing = measure(
            original_target, candidate_target, inputs,
            rounds=self.config.measure_rounds, min_sample_s=self.config.min_sample_s,
            timeout_s=self.config.timeout_s,
        )
        if timing.status != "ok" or timing.speedup is None:
            return 0.0
        return min(timing.speedup, self.config.max_speedup)


def _program_targets(original: str, candidate: str, check: dict[str, Any], allow_pickle: bool = False):
    from polca.sandbox.target import Target, input_from_safe

    qualname = check.get("qualname")
    inputs: list[Any] = [input_from_safe(item, script=qualname is None) for item in check.get("inputs", [])]
    pickled = check.get("pickled_inputs", [])
    if pickled and allow_pickle:
        inputs += [base64.b64decode(item) for item in pickled]
    elif pickled:
        log.warning("skipping %d pickled inputs of a program check (not allowed)", len(pickled))
    return Target(original, qualname), Target(candidate, qualname), inputs


class KernelReward:
    """kernels_bench's hardened evaluator as a reward; 0.0 for any flag or failure.

    Every completion is evaluated afresh (guards, a sandboxed worker, correctness, timing);
    nothing stored is trusted. ``device`` overrides ``config.device``; both None: the
    check's ``device`` (where the run was recorded), else the CPU."""

    __name__ = "kernel_reward"

    def __init__(self, config: RewardConfig = RewardConfig(), device: str | None = None) -> None:
        self.config = config
        self.device = device if device is not None else config.device

    def __call__(self, completions, check, **_: Any) -> list[float]:
        return _concurrently(
            lambda i: self.score(completions[i], check[i]), len(completions), self.config.max_workers
        )

    def device_for(self, check: dict[str, Any]) -> str:
        """The device a completion for ``check`` is evaluated on; a CUDA device without a GPU raises."""
        device = self.device or check.get("device") or "cpu"
        if device.startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                raise ValueError(f"kernel rewards are set to run on {device!r} (the run's device unless "
                                 "RewardConfig.device says otherwise), but this machine has no usable CUDA GPU; "
                                 "pass --device cpu (RewardConfig(device='cpu')) to check C++ kernels on the CPU.")
        return device

    def score(self, completion: Any, check_json: str) -> float:
        from polca.kernels_bench.evaluator import EvalConfig, evaluate
        from polca.kernels_bench.problems import read_problem
        from polca.kernels_bench.shrink import shrink_problem
        from polca.kernels_bench.timing import TimingConfig

        source = extract_code(completion)
        if source is None:
            return 0.0
        check = json.loads(check_json)
        problem = read_problem(check["problem_path"], check.get("level"))
        if check.get("shrink"):
            problem = shrink_problem(problem)
        trials = self.config.kernel_trials
        config = EvalConfig(device=self.device_for(check), timeout_s=self.config.timeout_s,
                            build_timeout_s=self.config.build_timeout_s, compare_compile=False,
                            timing=TimingConfig(warmup_trials=min(3, trials), trials=trials),
                            rules=self.config.kernel_rules)
        result = evaluate(problem, source, config)
        speedup = result.speedup("eager")
        if result.flags or not result.correct or speedup is None:
            log.info("kernel reward 0 for %s: %s", problem.key, result.reason or "; ".join(result.flags))
            return 0.0
        return min(speedup, self.config.max_speedup)


def domain_rewards(
    domain: str, config: RewardConfig = RewardConfig(), *, allow_pickle: bool = False
) -> list[Callable[..., list[float]]]:
    """The reward functions for a domain: format first, then the verified reward
    (``allow_pickle``: program checks' pickled inputs reach the sandbox)."""
    registry: dict[str, Callable[[], Any]] = {
        "program": lambda: ProgramReward(config, allow_pickle=allow_pickle),
        "kernel": lambda: KernelReward(config),
    }
    if domain not in registry:
        raise ValueError(f"no rewards for domain {domain!r}; choose one of {', '.join(registry)}.")
    if config.device is not None and domain != "kernel":
        raise ValueError(f"a reward device ({config.device!r}, --device) applies to kernel rewards only; {domain} "
                         "rewards run in the sandbox on the CPU. Drop the device.")
    return [format_reward, registry[domain]()]
