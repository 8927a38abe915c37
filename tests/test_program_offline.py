"""Offline search as a user meets it: rules see the oracle's runtime types, compose where one
rewrite unlocks the next, come in the order of the hot lines, mined skills are loaded and
checked, and a target with nothing to try stops at once and says why."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest

from polca.config import SearchConfig
from polca.optimizer.contracts import Candidate, ProposalContext
from polca.optimizer.domains.program import ProgramOptions, SkillsProposer, optimize_file
from polca.optimizer.domains.program.plan import observed_types, plan_file
from polca.optimizer.domains.program.proposers import (
    TargetFacts,
    compose_rules,
    hot_line_numbers,
    hot_skill_ids,
    rank_rules,
)
from polca.skills.model import parse_skill
from polca.skills.registry import SkillRegistry, build_registry, load_checked
from tests.fixtures.cli import installed_polca as _installed_polca

QUICK = dict(budget_evals=2, size=300, final_rounds=8, final_min_sample_s=0.02,
             search=SearchConfig(rounds=3, min_sample_s=0.005, warmup=0))

SECTIONS = "".join(f"\n## {t}\nText.\n" for t in (
    "When to use", "Steps", "Complexity", "Pitfalls", "When not to use", "Before-After example"))

# A rule that proves its precondition from the parameter's type: a summing loop over a
# list of ints is ``sum(items)`` (for floats the loop and sum agree too, but the rule only
# claims ints). The type comes from a hint or, for an unannotated function, from the oracle.
SUM_RULE = '''
import libcst as cst
import libcst.matchers as m
from polca.skills.analysis.facts import function_facts, qualified_functions

LOOP = "acc = 0\\nfor x in {p}:\\n    acc += x\\nreturn acc\\n"


def rewrite(module, observed):
    for qualname, func in qualified_functions(module):
        if len(func.params.params) != 1:
            continue
        param = func.params.params[0].name.value
        facts = function_facts(func, observed.get(qualname, {}))
        statements = list(func.body.body)
        if statements and m.matches(statements[0], m.SimpleStatementLine([m.Expr(m.SimpleString())])):
            statements = statements[1:]  # a docstring
        body = "".join(cst.Module(statements).code.split())
        if facts.type_of(param) == "list[int]" and body == "".join(LOOP.format(p=param).split()):
            new = func.with_changes(body=cst.IndentedBlock([cst.parse_statement(f"return sum({param})")]))
            module = module.deep_replace(func, new)
    return module
'''


def _skill_folder(root: Path, skill_id: str, rule: str, *, before: str, counter: str = "x = 1\n",
                  triggers: str = "[]") -> Path:
    folder = root / skill_id
    folder.mkdir(parents=True)
    front = (f"---\nid: {skill_id}\ntype: operator\nlanguage: python\nfamily: algorithmic\n"
             f"name: Test rule {skill_id}\ndescription: A test rule.\ntags: [test]\ntriggers: {triggers}\n---\n")
    (folder / "SKILL.md").write_text(front + SECTIONS)
    (folder / "rule.py").write_text(rule)
    (folder / "counter.py").write_text(counter)
    (folder / "before.py").write_text("BENCH_SIZE = 10\ndef make_input(size, rng):\n    return (list(range(size)),), {}\n"
                                      + before)
    (folder / "after.py").write_text("def make_input(size, rng):\n    return (list(range(size)),), {}\n"
                                     "def solve(items):\n    return sum(items)\n")
    return folder


def _sum_skill(root: Path) -> Path:
    before = "def solve(items: list[int]):\n    acc = 0\n    for x in items:\n        acc += x\n    return acc\n"
    return _skill_folder(root, "test-sum-of-ints", SUM_RULE, before=before)


TOTAL = '''def total(items):
    acc = 0
    for x in items:
        acc += x
    return acc
'''


# the same loop, its items said to be ints: the oracle draws ints only (a numeric-only loop
# alone is typed int | float, and floats are drawn beside the ints the project's tests pass)
TOTAL_INTS = TOTAL.replace("def total(items):\n", 'def total(items):\n    """The sum.\n\n    Args:\n'
                                                  '        items (list of int): counts.\n    """\n')


def _write_project(folder: Path, element: str, source: str = TOTAL) -> Path:
    (folder / "summing.py").write_text(source)
    (folder / "test_summing.py").write_text(
        "from summing import total\n\n\ndef test_total():\n    for n in range(12):\n"
        f"        values = [{element} for i in range(3000 + n)]\n        assert total(values) == sum(values)\n")
    return folder / "summing.py"


# ---------------------------------------------------------------- observed types


def test_the_types_the_checked_calls_had_are_bound_to_parameter_names(tmp_path):
    path = _write_project(tmp_path, "i", TOTAL_INTS)
    plan = plan_file(path, ProgramOptions(**QUICK))
    assert observed_types(plan.program, plan.targets) == {"total": {"items": "list[int]"}}


def test_numbers_a_loop_only_adds_are_checked_as_floats_too_so_an_int_only_rule_stays_out(tmp_path):
    # the project's tests pass ints, but nothing in the loop needs one: the oracle draws
    # floats as well, their types read list[float], and a rule exact for ints only (sum of
    # floats is compensated from Python 3.12) is never offered on ints alone
    library = tmp_path / "lib"
    _sum_skill(library)
    (tmp_path / "ints").mkdir()
    path = _write_project(tmp_path / "ints", "i")
    plan = plan_file(path, ProgramOptions(**QUICK))
    assert observed_types(plan.program, plan.targets) == {"total": {"items": "list[float]"}}
    report = optimize_file(path, ProgramOptions(**QUICK), proposer=SkillsProposer(library=build_registry(library)))
    (target,) = report.targets
    assert target.origins == () and target.evaluations == 0
    assert report.optimized_source == report.original_source


def test_a_rule_that_needs_observed_types_speeds_up_an_unannotated_function(tmp_path):
    library = tmp_path / "lib"
    _sum_skill(library)
    (tmp_path / "ints").mkdir()
    path = _write_project(tmp_path / "ints", "i", TOTAL_INTS)
    proposer = SkillsProposer(library=build_registry(library))
    report = optimize_file(path, ProgramOptions(**QUICK), proposer=proposer)
    (target,) = report.targets
    assert target.origins == ("skill:test-sum-of-ints",), target.message
    assert target.status == "improved" and "return sum(items)" in report.optimized_source


def test_without_the_int_type_the_same_rule_does_not_apply(tmp_path):
    library = tmp_path / "lib"
    _sum_skill(library)
    (tmp_path / "floats").mkdir()
    path = _write_project(tmp_path / "floats", "i * 0.5")
    report = optimize_file(path, ProgramOptions(**QUICK), proposer=SkillsProposer(library=build_registry(library)))
    (target,) = report.targets
    assert target.status == "no_gain" and target.origins == () and target.evaluations == 0
    assert report.optimized_source == report.original_source


def test_the_proposer_applies_the_rule_only_once_it_is_handed_the_observed_types(tmp_path):
    proposer = SkillsProposer(library=build_registry(_sum_skill(tmp_path / "lib").parent))
    parent = Candidate({"code": TOTAL}, origin="seed")
    context = ProposalContext(objective="faster", num_proposals=2)
    assert proposer.propose(parent, [], context) == []
    proposer.take_facts(TargetFacts(observed={"total": {"items": "list[int]"}}))
    (child,) = proposer.propose(parent, [], context)
    assert child.origin == "skill:test-sum-of-ints" and "return sum(items)" in child.params["code"]


# ---------------------------------------------------------------- composition


RENAME = '''
import libcst as cst


def rewrite(module):
    code = module.code
    return cst.parse_module(code.replace("{old}", "{new}")) if "{old}" in code else module
'''


def _chain_registry(root: Path) -> SkillRegistry:
    """Rule a turns ``slow()`` into ``middle()``; rule b turns ``middle()`` into ``fast()``,
    so b applies only after a."""
    a = _skill_folder(root, "test-a", RENAME.format(old="slow()", new="middle()"),
                      before="def solve(items):\n    return slow()\n")
    b = _skill_folder(root, "test-b", RENAME.format(old="middle()", new="fast()"),
                      before="def solve(items):\n    return middle()\n")
    return SkillRegistry([parse_skill(a), parse_skill(b)])


def test_composition_applies_a_rule_that_only_an_earlier_rewrite_unlocks(tmp_path):
    registry = _chain_registry(tmp_path)
    code, used = compose_rules(registry.with_rules(), "def f():\n    return slow()\n")
    assert used == ("test-a", "test-b") and "return fast()" in code


def test_the_proposer_offers_the_composed_child_and_the_single_rule_one(tmp_path):
    proposer = SkillsProposer(library=_chain_registry(tmp_path))
    parent = Candidate({"code": "def f():\n    return slow()\n"}, origin="seed")
    children = proposer.propose(parent, [], ProposalContext(objective="faster", num_proposals=4))
    origins = {c.origin: c.params["code"] for c in children}
    assert "return fast()" in origins["skill:test-a+test-b"]
    assert "return middle()" in origins["skill:test-a"]


# ---------------------------------------------------------------- ordering


def test_rules_matching_a_hot_line_come_first_but_the_summary_preferences_stay_on_top():
    registry = build_registry()
    a, b, c = (registry.get(i) for i in ("comprehension-over-append", "deque-for-queue-pop0",
                                         "list-membership-to-set"))
    hits = {a.id: 5, b.id: 1, c.id: 1}
    assert [s.id for s in rank_rules([a, b, c], hits, {}, set())] == [a.id, b.id, c.id]
    assert [s.id for s in rank_rules([a, b, c], hits, {}, {c.id})] == [c.id, a.id, b.id]
    assert [s.id for s in rank_rules([a, b, c], hits, {b.id: 0.4, a.id: -0.2}, {c.id})] == [b.id, c.id, a.id]


def test_the_skills_matching_the_hot_lines_are_those_whose_trigger_is_on_them():
    registry = build_registry()
    source = textwrap.dedent('''\
        def f(items, queue):
            out = []
            for x in items:
                out.append(x)
            while queue:
                queue.pop(0)
            return out
    ''')
    assert hot_skill_ids(registry, source, {6}) == {"deque-for-queue-pop0"}
    assert "comprehension-over-append" in hot_skill_ids(registry, source, {4})
    assert hot_line_numbers("- line 4 (900 times): out.append(x)\n- line 6 (3 times): queue.pop(0)") == {4, 6}


BITS = textwrap.dedent('''\
    def f(items):
        out = []
        for x in items:
            out.append(x)
        n = 0
        for w in items:
            n += bin(w).count("1")
        return out, n
''')


@pytest.mark.parametrize(("hot", "first"), [(7, "skill:int-bit-count"), (4, "skill:comprehension-over-append")])
def test_a_proposer_given_hot_lines_tries_the_rule_on_them_first(hot, first):
    proposer = SkillsProposer(max_skills=1)
    proposer.take_facts(TargetFacts(hot_lines=frozenset({hot})))
    (child,) = proposer.propose(Candidate({"code": BITS}, origin="seed"), [],
                                ProposalContext(objective="faster", num_proposals=1))
    assert child.origin == first


# ---------------------------------------------------------------- nothing to try


INSERTS = '''def reversed_copy(items: list[int]) -> list[int]:
    out = []
    for x in items:
        out.insert(0, x)
    return out
'''


def test_a_target_no_rule_touches_stops_at_once_and_says_what_a_model_would_try(tmp_path):
    path = tmp_path / "inserts.py"
    path.write_text(INSERTS)
    options = ProgramOptions(**{**QUICK, "budget_evals": 10})
    report = optimize_file(path, options, proposer=SkillsProposer())
    (target,) = report.targets
    assert target.status == "no_gain" and target.evaluations == 0 and target.run_id is None
    assert target.message.startswith("nothing to try offline")
    assert "line 4: list-insert" in target.message and "`--model` would try" in target.message
    assert report.to_dict()["counts"] == {"improved": 0, "no_gain": 1, "excluded": 0, "nothing_to_try": 1,
                                          "failed_heldout": 0}


# ---------------------------------------------------------------- mined skills


def test_a_mined_skill_whose_rule_fails_its_own_check_is_left_out_with_the_reason(tmp_path):
    good = _sum_skill(tmp_path / "mined")
    _skill_folder(tmp_path / "mined", "test-lazy", "def rewrite(module):\n    return module\n",
                  before="def solve(items):\n    return 1\n")
    loaded = load_checked([build_registry().get("comprehension-over-append").path.parents[1], good.parent])
    assert "test-sum-of-ints" in loaded.registry and "test-lazy" not in loaded.registry
    (line,) = loaded.rejected
    assert "test-lazy" in line and "leaves before.py unchanged" in line and "\n" not in line




def test_polca_optimize_uses_a_skill_mined_into_the_project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("project")
    _write_project(folder, "i", TOTAL_INTS)
    _sum_skill(folder / ".polca" / "skills")
    env = {**os.environ, "POLCA_OPTIMIZE_BUDGET_EVALS": "8", "POLCA_OPTIMIZE_FINAL_ROUNDS": "8",
           "POLCA_SEARCH_ROUNDS": "3", "POLCA_SEARCH_WARMUP": "0"}
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    done = subprocess.run([_installed_polca(), "optimize", "summing.py", "--json", "--db", "sqlite:///runs.db"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (target,) = json.loads(done.stdout)["targets"]
    assert target["status"] == "improved", target["message"]
    # the built-in builtin-reductions rule now reaches this loop too (acc = sum(items)), so
    # either may win the final timing; the mined skill must have been loaded and proposed
    with sqlite3.connect(folder / "runs.db") as db:
        origins = [row[0] for row in db.execute("SELECT origin FROM candidates")]
    assert any("test-sum-of-ints" in origin.removeprefix("skill:").split("+") for origin in origins), origins


def test_polca_optimize_refuses_a_library_folder_that_does_not_exist_in_one_line(tmp_path_factory):
    folder = tmp_path_factory.mktemp("project")
    _write_project(folder, "i")
    done = subprocess.run([_installed_polca(), "optimize", "summing.py", "--library", "nowhere"], cwd=folder,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "--library nowhere is not a directory" in done.stderr
    assert not (folder / ".polca").exists()  # refused before anything was written


def test_a_rule_that_only_rewrites_another_function_gives_the_target_nothing_to_try(tmp_path):
    path = tmp_path / "two.py"
    path.write_text(INSERTS + "\n\ndef evens(items: list[int]) -> list[int]:\n    out = []\n    for x in items:\n"
                              "        if x % 2 == 0:\n            out.append(x)\n    return out\n")
    report = optimize_file(path, ProgramOptions(function=("reversed_copy",), **QUICK), proposer=SkillsProposer())
    (target,) = report.targets
    assert target.message.startswith("nothing to try offline") and target.evaluations == 0
