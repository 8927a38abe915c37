"""The program domain: verified speedups of a Python file (``polca optimize``), as a library.

    from polca.optimizer.domains.program import ProgramOptions, SkillsProposer, optimize_file
    report = optimize_file("examples/dedup_ids.py", ProgramOptions(top=1), proposer=SkillsProposer())
    report.targets[0].speedup, report.diff()

Modules, in the order a run uses them: :mod:`.targets` (loading the file, its functions,
profiling, splicing candidates), :mod:`.oracle` (inputs: tests, tracing, generation;
determinism), :mod:`.domain` (:class:`ProgramDomain`, what the engine searches),
:mod:`.proposers` (executable skills, a model given skills, the chain of both) and
:mod:`.run` (:func:`optimize_file`: per target, search then final check).
"""

from polca.optimizer.domains.program.domain import EvalSettings, ProgramDomain
from polca.optimizer.domains.program.proposers import (
    ProposerChain,
    SkillsProposer,
    default_program_proposer,
    default_program_summarizer,
)
from polca.optimizer.domains.program.run import (
    NoOracleError,
    ProgramOptions,
    ProgramReport,
    TargetFinished,
    TargetReport,
    TargetStarted,
    optimize_file,
)

__all__ = [
    "EvalSettings",
    "NoOracleError",
    "ProgramDomain",
    "ProgramOptions",
    "ProgramReport",
    "ProposerChain",
    "SkillsProposer",
    "TargetFinished",
    "TargetReport",
    "TargetStarted",
    "default_program_proposer",
    "default_program_summarizer",
    "optimize_file",
]
