"""The kernel domain: POLCA over the ``ModelNew`` source of one KernelBench problem.

A candidate is one parameter, ``{"code": <a ModelNew source>}``, evaluated by the hardened
evaluator (:func:`polca.kernels_bench.evaluate`): static guards, then one sandboxed worker
that compiles (through the compile cache), checks correctness, times and re-checks.

- **Score** = speedup against PyTorch eager when the candidate is correct and carries no
  flag (no guard warning, no speedup awaiting audit); 0 otherwise. A failure is data: its
  feedback is the guard's reasons, the compiler's errors or the mismatch summary.
- **Instances** are correctness seeds. A minibatch of seeds is checked in ONE worker run
  (the seeds' inputs, every input distribution and shape variant, then timing), so every
  instance of a batch gets the same evaluation and each new minibatch re-checks a
  candidate on inputs it has not been scored on. Building happens once per source: later
  runs hit the compile cache.
- **Seed**: the reference problem itself. It is not a kernel, so the guards reject it at
  once and their reasons become the proposer's first feedback; the proposer writes the
  first kernel. A ``ModelNew`` that wraps the reference would be flagged by the guards
  anyway, so it would make no better start.
- **GPUs**: ``gpus=("0", "1")`` gives each concurrent evaluation its own GPU, leased from a
  pool and passed to the worker as ``CUDA_VISIBLE_DEVICES``; run the engine with as many
  workers as GPUs. Without GPUs (``device="cpu"``) candidates are C++ extensions built
  with ``load_inline``.

    domain = KernelDomain(problem, EvalConfig(device="cuda"), gpus=("0", "1"))
    result = polca.optimize(domain, llm=client, max_evaluations=40, max_workers=2)
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from polca.kernels_bench import EvalConfig, KernelResult, Problem, evaluate
from polca.optimizer.contracts import Candidate, Evaluation

log = logging.getLogger(__name__)

CODE = "code"
DEFAULT_SEEDS = (0, 1, 2, 3, 4, 5, 6, 7)

_OBJECTIVE = """\
Write a faster replacement for a PyTorch model, as a custom {kind} kernel.

The reference problem (KernelBench format) is below. Answer with a complete Python source
that defines `class ModelNew(nn.Module)` with the same constructor arguments and the same
forward signature as `Model`, whose forward computes the same outputs (within the
reference's tolerance) through a kernel you write:
{how}
Rules the evaluator enforces: no PyTorch compute ops inside ModelNew (only allocation,
dtypes, shapes and device queries), no subclassing or calling the reference, no caching of
results between calls, no timer or stream tricks, no lower precision than the reference.
A candidate that breaks a rule scores 0. Score = measured speedup over PyTorch eager.

Reference problem ({key}):
```python
{source}
```"""

_HOW = {
    "cuda": "build it with torch.utils.cpp_extension.load_inline (cuda_sources + cpp_sources), "
            "or write a @triton.jit kernel; inputs live on the GPU.",
    "cpu": "build a C++ function with torch.utils.cpp_extension.load_inline(cpp_sources=..., "
           "functions=[...]); inputs live on the CPU (no GPU on this machine).",
}


@dataclass(frozen=True)
class SeedInstance:
    """One correctness seed: the inputs ``get_inputs()`` draws under this seed, in every distribution."""

    seed: int

    def __str__(self) -> str:
        return f"seed{self.seed}"


def kernel_score(result: KernelResult) -> float:
    """Speedup vs eager when correct, timed and unflagged; 0.0 otherwise."""
    if not result.correct or result.flags or result.needs_audit:
        return 0.0
    return result.speedup("eager") or 0.0


def to_evaluation(result: KernelResult) -> Evaluation:
    """The engine's view of one evaluator result: score, feedback for the proposer, metrics."""
    score = kernel_score(result)
    feedback = result.feedback or result.reason
    if result.flags:
        notes = "\n".join(f"- {flag}" for flag in result.flags)
        feedback = f"{feedback}\nFlags (a flagged candidate scores 0):\n{notes}"
    metrics = {"correct": float(result.correct), "compiled": float(result.compiled),
               "wall_s": result.wall_s, "compile_s": result.compile_s}
    if result.candidate_ms is not None:
        metrics["candidate_ms"] = result.candidate_ms.median_ms
    if result.reference_ms is not None:
        metrics["reference_ms"] = result.reference_ms.median_ms
    if (speedup := result.speedup("eager")) is not None:
        metrics["speedup_vs_eager"] = speedup
    return Evaluation(score=score, feedback=feedback.strip(), metrics=metrics,
                      status="ok" if result.correct else "failed")


class KernelDomain:
    """One KernelBench problem as a POLCA domain (see the module docstring for the choices).

    ``config`` is how each minibatch is evaluated; its ``seeds`` are replaced by the
    batch's. ``seeds`` are the instances. ``gpus`` are GPU ids ("0", "1", ...) leased one
    per concurrent evaluation; empty means the worker sees whatever the caller sees.
    """

    def __init__(self, problem: Problem, config: EvalConfig | None = None, *,
                 seeds: Sequence[int] = DEFAULT_SEEDS, gpus: Sequence[str] = ()) -> None:
        if not seeds:
            raise ValueError("KernelDomain needs at least one correctness seed, such as seeds=(0, 1, 2, 3).")
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds={tuple(seeds)} repeats a seed; give distinct seeds.")
        self.problem = problem
        self.config = config or EvalConfig()
        self._seeds = tuple(int(s) for s in seeds)
        self._gpu_ids = tuple(str(gpu) for gpu in gpus)
        self._start_local_state()

    def _start_local_state(self) -> None:
        self._gpus: queue.SimpleQueue[str] | None = None
        if self._gpu_ids:
            self._gpus = queue.SimpleQueue()
            for gpu in self._gpu_ids:
                self._gpus.put(gpu)
        self._lock = threading.Lock()
        self._latest: dict[str, tuple[str, KernelResult]] = {}  # candidate hash -> (source, last result)

    def __getstate__(self) -> dict[str, object]:
        """Pickle the problem and settings only (a Ray task gets a copy without leases or results)."""
        return {"problem": self.problem, "config": self.config, "_seeds": self._seeds, "_gpu_ids": self._gpu_ids}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._start_local_state()

    def seed(self) -> Candidate:
        return Candidate({CODE: self.problem.source}, origin="seed",
                         note="the reference problem; the proposer writes the first kernel")

    def instances(self) -> list[SeedInstance]:
        return [SeedInstance(seed) for seed in self._seeds]

    def describe(self) -> str:
        kind = "CUDA" if self.config.device == "cuda" else "C++"
        return _OBJECTIVE.format(kind=kind, how=_HOW.get(self.config.device, _HOW["cuda"]),
                                 key=self.problem.key, source=self.problem.source.strip())

    def evaluate(self, candidate: Candidate, batch: Sequence[SeedInstance]) -> list[Evaluation]:
        """One worker run checks the candidate on all the batch's seeds; one Evaluation per seed."""
        source = candidate.params.get(CODE)
        if source is None:
            missing = Evaluation(0.0, f"the candidate has no {CODE!r} parameter holding a ModelNew source",
                                 status="failed")
            return [missing for _ in batch]
        result = self.evaluate_source(source, tuple(instance.seed for instance in batch))
        with self._lock:
            self._latest[candidate.hash] = (source, result)
        evaluation = to_evaluation(result)
        return [evaluation for _ in batch]

    def evaluate_source(self, source: str, seeds: tuple[int, ...] | None = None) -> KernelResult:
        """The evaluator's full result for ``source`` on ``seeds`` (default: all the domain's seeds)."""
        config = replace(self.config, seeds=seeds or self._seeds)
        with self._gpu() as gpu:
            if gpu is not None:
                config = replace(config, visible_devices=gpu)
            return evaluate(self.problem, source, config)

    def latest_result(self, candidate: Candidate) -> KernelResult | None:
        """The last evaluator result for this candidate's text, if it was evaluated."""
        with self._lock:
            entry = self._latest.get(candidate.hash)
        return None if entry is None else entry[1]

    def furthest_failure(self) -> tuple[str, KernelResult] | None:
        """Among scored-0 results, the one that got furthest (correct but flagged, then ran, then built).

        What to report for a problem where no candidate scored: a correct kernel awaiting
        audit says more than the reference's guard rejection.
        """
        stages = {"guard": 0, "compile": 1, "crash": 1, "timeout": 2, "runtime": 2, "mismatch": 3, "": 4}
        with self._lock:
            entries = list(self._latest.values())
        if not entries:
            return None
        return max(entries, key=lambda entry: (entry[1].correct, stages.get(entry[1].failure, 0)))

    @contextmanager
    def _gpu(self) -> Iterator[str | None]:
        if self._gpus is None:
            yield None
            return
        gpu = self._gpus.get()  # blocks while every GPU is busy: one evaluation per GPU
        try:
            log.debug("evaluating %s on GPU %s", self.problem.key, gpu)
            yield gpu
        finally:
            self._gpus.put(gpu)
