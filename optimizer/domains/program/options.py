"""``ProgramOptions``: what ``polca optimize`` optimizes and how hard it tries, one object.

Each field is named as its flag (``budget_evals`` is ``--budget-evals``, ``time_limit`` is
``--time-limit``). ``sandbox`` holds the whole ``[tool.polca.sandbox]`` area (``--sandbox``
sets its backend), and it is the only place any run of the domain takes its backend,
image and limits from; ``search`` holds the engine's knobs (``[tool.polca.search]``).
:meth:`ProgramOptions.from_config` fills the defaults from a loaded ``polca.config.Config``,
so the CLI and a library caller get the same ones. Every value is checked at
construction; a bad one raises ValueError naming the value, the rule and the fix.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polca.config import Config, OptimizeConfig, SandboxConfig, SearchConfig
from polca.optimizer.config import OptimizerConfig
from polca.optimizer.domains.program.domain import EvalSettings
from polca.optimizer.domains.program.isolation import DEFAULT_SANDBOX
from polca.sandbox.stats import MIN_SPEEDUP

_D = OptimizeConfig()  # the defaults are written once, in [tool.polca.optimize]'s area
_COUNTS = ("top", "size", "budget_evals", "final_rounds")
_LIMITS = ("budget_cost", "time_limit")


@dataclass(frozen=True)
class ProgramOptions:
    """What to optimize and how hard to try.

    ``function``: only these targets (``name`` or ``Class.method``); else the ``top``
    hottest. ``tests``: a pytest file whose calls are captured (default: discovered ones
    that import the file). ``stdin``/``args``: the workload of a script, one run per stdin
    file. ``size``: the scale of generated search inputs (elements per call, in
    total); None grows it per target until one call of the original takes 20-200 ms.
    ``budget_evals``: evaluations per target, one per candidate timed on a minibatch.
    ``budget_cost`` (USD of model calls) and ``time_limit`` (seconds) cover the whole file:
    the targets share them, each getting what the ones before it left. ``final_rounds``/``final_min_sample_s``: the final
    re-measurement; ``min_speedup``: the least speedup offered. ``sandbox``: where and
    within which limits every run happens. ``search``: the engine's knobs and the search's
    timing (``rounds``, ``min_sample_s``, ``warmup``). ``min_coverage`` /
    ``min_mutation_score``: the least line coverage and mutation score (0..1) of the oracle
    for an improvement to be offered (0: no gate, the strength is only shown);
    ``max_mutants``: mutants checked per improved target (0: no mutation score).
    ``library``: skill folders the
    search reads beside the built-in library and ``.polca/skills``
    (:func:`polca.skills.registry.library_dirs`; the proposer is built from them).
    """

    function: tuple[str, ...] = ()
    top: int = _D.top
    tests: Path | None = None
    stdin: tuple[Path, ...] = ()
    args: tuple[str, ...] = ()
    size: int | None = _D.size
    budget_evals: int = _D.budget_evals
    budget_cost: float | None = _D.budget_cost
    time_limit: float | None = _D.time_limit
    seed: int = _D.seed
    final_rounds: int = _D.final_rounds
    final_min_sample_s: float = _D.final_min_sample_s
    min_speedup: float = _D.min_speedup
    sandbox: SandboxConfig = DEFAULT_SANDBOX
    search: SearchConfig = field(default_factory=SearchConfig)
    min_coverage: float = _D.min_coverage
    min_mutation_score: float = _D.min_mutation_score
    max_mutants: int = _D.max_mutants
    library: tuple[str | Path, ...] = _D.library

    def __post_init__(self) -> None:
        self._check_types()
        for name in _COUNTS:
            value = getattr(self, name)
            if value is None and name == "size":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer (--{_flag(name)} N, N >= 1)")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r} must be an integer >= 0")
        if not (isinstance(self.min_speedup, int | float) and math.isfinite(self.min_speedup)
                and self.min_speedup >= 1.0):
            raise ValueError(f"min_speedup={self.min_speedup!r} must be >= 1.0 ({MIN_SPEEDUP:.2f} is the "
                             "default; below 1 a slower candidate would be offered)")
        if not self.final_min_sample_s > 0:
            raise ValueError(f"final_min_sample_s={self.final_min_sample_s!r} must be positive, e.g. 0.04")
        for name in _LIMITS:
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name}={value!r} must be positive, or None for no limit "
                                 f"(leave --{_flag(name)} out)")
        self._check_files()
        self._check_sandbox()
        self._check_search()
        self._check_strength()

    def _check_strength(self) -> None:
        for name in ("min_coverage", "min_mutation_score"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}={value!r} must be a fraction from 0 to 1, e.g. --{_flag(name)} 0.8 "
                                 "(0 turns the gate off)")
        if isinstance(self.max_mutants, bool) or not isinstance(self.max_mutants, int) or self.max_mutants < 0:
            raise ValueError(f"max_mutants={self.max_mutants!r} must be an integer >= 0 (0: no mutation score)")

    def _check_types(self) -> None:
        for name in ("function", "stdin", "args", "library"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                raise TypeError(f"{name}={value!r} must be a tuple, e.g. {name}=({value!r},)")

    def _check_files(self) -> None:
        for flag, paths in (("stdin", self.stdin), ("tests", (self.tests,) if self.tests else ())):
            for path in paths:
                if not Path(path).is_file():
                    raise ValueError(f"--{flag} {path} is not a file; --{flag} takes an existing file")
        for folder in self.library:
            if not Path(folder).is_dir():
                raise ValueError(f"--library {folder} is not a directory; --library takes a folder of skill folders")

    def _check_sandbox(self) -> None:
        s = self.sandbox
        if not s.timeout_s > 0 or isinstance(s.memory_mb, bool) or not s.memory_mb >= 1:
            raise ValueError(f"sandbox timeout_s={s.timeout_s!r} and memory_mb={s.memory_mb!r} must be positive "
                             "([tool.polca.sandbox] or POLCA_SANDBOX_TIMEOUT_S / POLCA_SANDBOX_MEMORY_MB)")

    def _check_search(self) -> None:
        try:
            _ = self.evaluation
            OptimizerConfig(**engine_knobs(self.search))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"search: {exc} (set in [tool.polca.search] or POLCA_SEARCH_*)") from exc

    @property
    def evaluation(self) -> EvalSettings:
        """How each candidate is timed during the search."""
        s = self.search
        return EvalSettings(rounds=s.rounds, min_sample_s=s.min_sample_s, warmup=s.warmup)

    @classmethod
    def from_config(cls, config: Config, **given: Any) -> ProgramOptions:
        """Options with the defaults of ``config`` (its optimize, sandbox and search areas);
        ``given`` sets fields on top, a ``None`` value leaving the config's (so CLI flags that
        were not given fall through). An unknown name raises TypeError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise TypeError(f"unknown ProgramOptions field(s) {unknown}; known: {sorted(known)}")
        values: dict[str, Any] = {f.name: getattr(config.optimize, f.name)
                                  for f in dataclasses.fields(config.optimize) if f.name in known}
        values.update(sandbox=config.sandbox, search=config.search)
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)


def engine_knobs(search: SearchConfig) -> dict[str, Any]:
    """The fields of ``search`` that are ``OptimizerConfig`` fields, as they are."""
    engine = {f.name for f in dataclasses.fields(OptimizerConfig)}
    return {f.name: getattr(search, f.name) for f in dataclasses.fields(search) if f.name in engine}


def _flag(name: str) -> str:
    return name.replace("_", "-")
