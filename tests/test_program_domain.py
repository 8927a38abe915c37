"""ProgramDomain: candidates are checked against the original in the sandbox, then timed."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from polca.cli import app
from polca.optimizer.api import optimize
from polca.optimizer.contracts import BatchMeasuredDomain, Candidate, Domain
from polca.optimizer.domains.program.domain import EvalSettings, ProgramDomain
from polca.optimizer.executor import SerialExecutor
from polca.optimizer.proposers import ScriptedProposer

SOURCE = '''import math


def unique(ids: list[int]) -> list[int]:
    out = []
    for x in ids:
        if x not in out:
            out.append(x)
    return out


def helper(n):
    return n
'''
FAST = SOURCE.replace(
    "    out = []\n    for x in ids:\n        if x not in out:\n            out.append(x)\n    return out",
    "    return list(dict.fromkeys(ids))")
INPUTS = [([3, 1, 3, 2, 1],), (list(range(50)) * 2,), ([],)]
SETTINGS = EvalSettings(rounds=3, min_sample_s=0.002, warmup=0)


@pytest.fixture
def domain():
    return ProgramDomain(SOURCE, "unique", INPUTS, module_name="ids", settings=SETTINGS)


def test_it_is_a_domain_whose_seed_is_the_file(domain):
    assert isinstance(domain, Domain) and isinstance(domain, BatchMeasuredDomain)
    assert domain.seed().params == {"code": SOURCE}
    assert domain.instances() == [0, 1, 2]
    assert "`unique`" in domain.describe()


def test_the_seed_scores_one_without_running_anything(domain):
    evaluations = domain.evaluate(domain.seed(), [0, 1])
    assert [e.score for e in evaluations] == [1.0, 1.0]


def test_a_wrong_candidate_scores_zero_and_says_what_differs(domain):
    wrong = Candidate({"code": SOURCE.replace("if x not in out:", "if True:")}, ("p",), "llm")
    evaluations = domain.evaluate(wrong, [0, 1, 2])
    assert [e.score for e in evaluations] == [0.0, 0.0, 0.0]
    assert all(e.status == "failed" for e in evaluations)
    assert "differ from the original" in evaluations[0].feedback
    assert [e.metrics["failed"] for e in evaluations] == [1.0, 1.0, 0.0]


def test_a_candidate_that_does_not_parse_is_a_failure_not_an_exception(domain):
    evaluations = domain.evaluate(Candidate({"code": "def unique(:"}, ("p",), "llm"), [0])
    assert evaluations[0].score == 0.0 and "cannot be used" in evaluations[0].feedback


def test_a_correct_candidate_is_timed_and_scored_by_its_speedup(domain):
    evaluations = domain.evaluate(Candidate({"code": FAST}, ("p",), "skill:dedup"), [0, 1, 2])
    assert all(e.status == "ok" for e in evaluations)
    assert evaluations[0].score == evaluations[0].metrics["speedup"] > 0
    assert "behave like the original" in evaluations[0].feedback


def test_changes_to_other_functions_are_not_taken(domain):
    sneaky = FAST.replace("return n", "return n + 1")
    assert "return n + 1" not in domain.resolve(sneaky)
    assert "dict.fromkeys" in domain.resolve(sneaky)


STAIRS = '''def _ways(n):
    return 1 if n < 2 else _ways(n - 1) + _ways(n - 2)


def stairs(heights: list[int]) -> list[int]:
    return [_ways(h % 22) for h in heights]
'''


def test_a_candidate_that_speeds_up_a_private_helper_is_kept_and_timed():
    domain = ProgramDomain(STAIRS, "stairs", [([20, 21, 5],), ([19, 3],)], module_name="stairs", settings=SETTINGS)
    cached = "import functools\n\n\n" + STAIRS.replace("def _ways", "@functools.cache\ndef _ways")
    assert "@functools.cache" in domain.resolve(cached)
    evaluations = domain.evaluate(Candidate({"code": cached}, ("p",), "llm"), [0, 1])
    assert all(e.status == "ok" for e in evaluations)
    assert evaluations[0].metrics["speedup"] > 1.0
    wrong = STAIRS.replace("1 if n < 2", "1 if n < 3")
    assert domain.evaluate(Candidate({"code": wrong}, ("p",), "llm"), [0])[0].score == 0.0


def test_lineage_follows_parents_back_to_the_seed(domain):
    seed = domain.seed()
    child = Candidate({"code": FAST}, (seed.id,), "skill:dedup")
    domain.evaluate(seed, [0])
    domain.evaluate(child, [0])
    assert [e.origin for e in domain.lineage(child.id)] == ["skill:dedup", "seed"]


def test_a_domain_without_inputs_is_refused():
    with pytest.raises(ValueError, match="at least one input"):
        ProgramDomain(SOURCE, "unique", [])


def test_search_settings_are_validated():
    with pytest.raises(ValueError, match="rounds=2"):
        EvalSettings(rounds=2)


class _CountingDomain(ProgramDomain):
    """The real domain, counting the paired timings it takes per candidate text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timings: Counter[str] = Counter()

    def _measure(self, resolved, inputs):
        self.timings[resolved] += 1
        return super()._measure(resolved, inputs)


def test_each_timing_of_a_batch_is_one_evaluation_in_the_history_the_budget_and_runs_show(store, store_url):
    domain = _CountingDomain(SOURCE, "unique", INPUTS, module_name="ids", settings=SETTINGS)
    proposer = ScriptedProposer(lambda parent, evaluations, rng: {"code": FAST})
    result = optimize(domain, proposer, max_evaluations=5, batch_size=2, num_pool=0, reevaluation="fixed",
                      store=store, executor=SerialExecutor())
    rows = store.evaluations(result.run_id)
    fast = next(r.candidate_id for r in rows if "identical to the original" not in r.feedback)
    timed = domain.timings[domain.resolve(FAST)]
    assert timed >= 2  # the child was re-measured as an explorer: each timing is taken afresh
    assert sum(r.candidate_id == fast for r in rows) == timed  # its history: one score per timing
    # The original against itself is 1.0 by definition: scored once, exact, never charged.
    assert [r.exact for r in rows if r.candidate_id != fast] == [True]
    assert result.evaluations == sum(not r.exact for r in rows) == timed == 5
    assert all(len(r.batch_ids) == 2 for r in rows)
    shown = CliRunner().invoke(app, ["runs", "show", result.run_id, "--db", store_url, "--json"])
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.output)
    assert detail["evaluations"] == 5
    assert {c["id"]: c["evaluations"] for c in detail["best_candidates"]}[fast] == timed
