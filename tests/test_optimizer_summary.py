"""The offline summarizer: what raised and lowered the score, and who reads it."""

from __future__ import annotations

from polca.optimizer.api import optimize
from polca.optimizer.contracts import Candidate, ProposalContext
from polca.optimizer.domains.program.proposers import SkillsProposer, applicable_rules, as_registry
from polca.optimizer.executor import SerialExecutor
from polca.optimizer.proposers import ScriptedProposer
from polca.optimizer.summarizer import (
    HistorySummarizer,
    LineageRecord,
    SummaryRequest,
    build_summary_prompt,
    edit_kind,
    history_digest,
    skill_preferences,
)
from polca.skills.registry import SkillRegistry
from tests.test_optimizer_builders import WordsDomain, add_missing_word
from tests.test_skills_proposer import TWO_PATTERNS

LOOP = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n"
RENAMED = LOOP.replace("total", "acc")
REWRITTEN = "def f(xs):\n    return sum(xs)\n"


def _record(origin: str, parent_mean: float, child_mean: float, child: str = REWRITTEN,
            failures: tuple[str, ...] = ()) -> LineageRecord:
    parent = Candidate({"code": LOOP}, id="p")
    return LineageRecord(Candidate({"code": child}, ("p",), origin), parent, child_mean,
                         parent_mean, failures)


RECORDS = (
    _record("skill:counter-for-counting", 1.0, 1.6),
    _record("skill:counter-for-counting+list-membership-to-set", 1.0, 1.4),
    _record("skill:list-membership-to-set", 1.0, 0.0, failures=("wrong output on input 2",) * 3),
    _record("llm", 1.0, 1.0, child=RENAMED),
)


def test_digest_names_what_raised_and_lowered_the_score_and_why_children_failed() -> None:
    digest = history_digest(RECORDS)
    raised, lowered = digest.splitlines()[1], digest.splitlines()[2]
    assert "skill:counter-for-counting (+0.5 mean change over 2 children" in raised
    assert "skill:list-membership-to-set (-0.3" in lowered and "'wrong output on input 2'" in lowered
    assert "By edit kind: rewrite" in digest and "tweak +0 (n=1)" in digest
    assert "Why children failed: 'wrong output on input 2' (3x)" in digest


def test_skill_ranking_round_trips_through_the_summary_text() -> None:
    result = HistorySummarizer().summarize(SummaryRequest("obj", "", (), 3, RECORDS))
    assert result.ok
    assert skill_preferences(result.summary) == {
        "counter-for-counting": 0.5, "list-membership-to-set": -0.3}
    assert skill_preferences("no ranking here") == {}


def test_without_children_the_summary_is_left_unchanged() -> None:
    result = HistorySummarizer().summarize(SummaryRequest("obj", "old", (), 1, ()))
    assert not result.ok and result.summary == "old"


def test_edit_kinds_separate_tweaks_from_rewrites_and_text() -> None:
    parent = Candidate({"code": LOOP})
    assert edit_kind(parent, Candidate({"code": RENAMED})) == "tweak"
    assert edit_kind(parent, Candidate({"code": REWRITTEN})) == "rewrite"
    assert edit_kind(Candidate({"p": "Answer briefly."}), Candidate({"p": "Answer in one word."})) == "text edit"


def test_the_skills_proposer_orders_its_rules_by_the_summary() -> None:
    # only these two rules compete here, whatever other rules the library grows
    two = {"counter-for-counting", "list-membership-to-set"}
    registry = SkillRegistry(s for s in as_registry(None) if s.id in two or not s.has_rule)
    plain = [s.id for s in applicable_rules(registry, TWO_PATTERNS, 6)]
    assert plain == ["list-membership-to-set", "counter-for-counting"]
    summary = history_digest(RECORDS)
    preferred = [s.id for s in applicable_rules(registry, TWO_PATTERNS, 6, skill_preferences(summary))]
    assert preferred == ["counter-for-counting", "list-membership-to-set"]
    proposer = SkillsProposer(library=registry, max_skills=1)
    child = proposer.propose(Candidate({"code": TWO_PATTERNS}), [],
                             ProposalContext("faster", summary, num_proposals=1))[0]
    assert child.origin == "skill:counter-for-counting"


def test_a_model_summarizer_sees_the_run_statistics() -> None:
    prompt = build_summary_prompt(SummaryRequest("obj", "", (), 2, RECORDS))
    assert "<run_statistics>" in prompt and "Skill ranking (best first)" in prompt


def test_without_a_model_optimize_summarizes_offline() -> None:
    result = optimize(WordsDomain(), ScriptedProposer(add_missing_word), executor=SerialExecutor(),
                      max_iterations=3, batch_size=3)
    assert result.summary.startswith("From ") and "Raised the score: scripted" in result.summary
