"""The program domain: verified speedups of a Python file (``polca optimize``), as a library.

    from polca.optimizer.domains.program import ProgramOptions, SkillsProposer, optimize_file
    report = optimize_file("examples/dedup_ids.py", ProgramOptions(top=1), proposer=SkillsProposer())
    report.targets[0].speedup, report.diff()

Modules, in the order a run uses them: :mod:`.options` (:class:`ProgramOptions`, one
field per flag), :mod:`.targets` (loading the file, its functions, profiling, splicing
candidates), :mod:`.oracle` (inputs from tests, tracing and type hints; determinism),
:mod:`.heldout` (the inputs the final verdict checks that the search never saw),
:mod:`.plan` (:func:`plan_file`: the targets with their checked inputs, or why the file
is refused), :mod:`.domain` (:class:`ProgramDomain`, what the engine searches),
:mod:`.proposers` (executable skills, a model given skills, the chain of both),
:mod:`.run` (:func:`optimize_file`: per target, the search and the final check) and
:mod:`.reports` (what comes back). :mod:`.isolation` turns the one ``SandboxConfig`` a run
holds into every run's backend and limits.
"""

from polca.optimizer.domains.program.domain import EvalSettings, ProgramDomain
from polca.optimizer.domains.program.options import ProgramOptions
from polca.optimizer.domains.program.oracle import PytestMissing
from polca.optimizer.domains.program.plan import FilePlan, NoOracleError, plan_file
from polca.optimizer.domains.program.proposers import (
    FallbackSummarizer,
    ProposerChain,
    SkillsProposer,
    default_program_proposer,
    default_program_summarizer,
)
from polca.optimizer.domains.program.reports import (
    ProgramReport,
    TargetFinished,
    TargetReport,
    TargetStarted,
)
from polca.optimizer.domains.program.run import optimize_file, optimize_plan, plan_for

__all__ = [
    "EvalSettings",
    "FallbackSummarizer",
    "FilePlan",
    "NoOracleError",
    "ProgramDomain",
    "ProgramOptions",
    "ProgramReport",
    "ProposerChain",
    "PytestMissing",
    "SkillsProposer",
    "TargetFinished",
    "TargetReport",
    "TargetStarted",
    "default_program_proposer",
    "default_program_summarizer",
    "optimize_file",
    "optimize_plan",
    "plan_file",
    "plan_for",
]
