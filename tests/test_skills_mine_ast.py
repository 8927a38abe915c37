"""The LLM-free miner: AST diff, normalisation, anti-unification, clustering, validation."""

from __future__ import annotations

import pytest

from polca.skills.mine_ast import (
    ValidationSettings,
    anti_unify,
    candidate_rules,
    mine_skills,
    normalise,
    statement_edits,
    usable,
)
from polca.skills.model import load_library
from polca.skills.pairs import load_pairs, parse_pair
from polca.skills.rules import apply_rule
from polca.skills.template_rule import TemplateRule

FAST_SETTINGS = ValidationSettings(rounds=5, min_sample_s=0.01)


@pytest.fixture(scope="module")
def corpus():
    return load_pairs()


def _pair(slow: str, fast: str, pair_id: str = "p", problem: str = "q"):
    return parse_pair({"id": pair_id, "problem": problem, "slow": slow, "fast": fast, "entry": "f"})


def test_diff_finds_the_changed_statement_inside_a_loop():
    slow = "def f(xs):\n    out = []\n    for x in xs:\n        out = out + [x * 2]\n    return out\n"
    fast = slow.replace("out = out + [x * 2]", "out.append(x * 2)")
    (edit,) = statement_edits(_pair(slow, fast))
    assert edit.in_loop and edit.before == "out = out + [x * 2]" and edit.after == "out.append(x * 2)"
    assert edit.template == ("__v0__ = __v0__ + [__v1__ * 2]", "__v0__.append(__v1__ * 2)")
    assert edit.uses == {"assigned", "returned"}


def test_multi_statement_edits_are_kept_without_a_template():
    slow = "def f(xs):\n    s = ''\n    for x in xs:\n        s += x\n    return s\n"
    fast = "def f(xs):\n    s = ''.join(xs)\n    return s\n"
    edits = statement_edits(_pair(slow, fast))
    assert edits and all(e.template is None for e in edits)


def test_normalise_keeps_builtins_and_imports():
    import ast

    before = ast.parse("m = sorted(rows[i])[0]").body[0]
    after = ast.parse("m = min(rows[i])").body[0]
    assert normalise(before, after) == ("__v0__ = sorted(__v1__[__v2__])[0]", "__v0__ = min(__v1__[__v2__])")
    stmt = ast.parse("q = collections.deque(xs)").body[0]
    assert normalise(stmt, stmt, {"collections"})[0] == "__v0__ = collections.deque(__v1__)"


def test_anti_unification_puts_holes_where_edits_differ():
    first = ("__v0__ = __v0__ + [__v1__]", "__v0__.append(__v1__)")
    second = ("__v0__ = __v0__ + [__v1__ * __v1__]", "__v0__.append(__v1__ * __v1__)")
    assert anti_unify(first, second) == ("__v0__ = __v0__ + [__h0__]", "__v0__.append(__h0__)")


def test_anti_unification_refuses_unusable_templates():
    to_min = ("__v0__ = sorted(__v1__)[0]", "__v0__ = min(__v1__)")
    to_max = ("__v0__ = sorted(__v1__)[-1]", "__v0__ = max(__v1__)")
    assert anti_unify(to_min, to_max) is None  # after would need a name before does not bind
    statement = ("__v0__.append(__v1__)", "__v0__.add(__v1__)")
    assert anti_unify(to_min, statement) is None
    assert not usable(("__v0__ = __h0__", "__v0__ = list(__h0__)"))


def test_candidate_rules_cluster_by_problem_support(corpus):
    rules = {(r.before, r.after): r for r in candidate_rules(corpus, min_support=3)}
    append = rules[("__v0__ = __v0__ + [__h0__]", "__v0__.append(__h0__)")]
    assert len(append.problems) == 5 and append.loop_contexts == (True,)
    assert ("__v0__ = sorted(__h0__)[0]", "__v0__ = min(__h0__)") in rules
    assert ("__v0__ = sorted(__h0__)[-1]", "__v0__ = max(__h0__)") in rules
    with pytest.raises(ValueError, match="min_support"):
        candidate_rules(corpus, min_support=0)


def test_template_rule_rewrites_only_where_preconditions_hold():
    rule = TemplateRule("__v0__ = __v0__ + [__h0__]", "__v0__.append(__h0__)", (True,), ("assigned", "returned"))
    code = "def f(xs):\n    out = []\n    for x in xs:\n        out = out + [x]  # grow\n    return out\n"
    assert "out.append(x)  # grow" in rule.rewrite_source(code)
    aliased = code.replace("    return out", "    keep = out\n    return keep")
    assert rule.rewrite_source(aliased) == aliased
    outside = "def f(xs):\n    out = []\n    out = out + [1]\n    return out\n"
    assert rule.rewrite_source(outside) == outside
    two_on_a_line = "def f(xs):\n    out = []\n    for x in xs:\n        y = x; out = out + [y]\n    return out\n"
    assert rule.rewrite_source(two_on_a_line) == two_on_a_line
    assert rule.rewrite_source("def broken(:\n") == "def broken(:\n"


@pytest.fixture(scope="module")
def mined(corpus, tmp_path_factory):
    subset = [p for p in corpus if p.id.split("-")[0] in {"append", "deque"}]
    out = tmp_path_factory.mktemp("mined")
    return mine_skills(subset, out, settings=FAST_SETTINGS), out


def test_miner_keeps_rules_that_stay_equivalent_and_get_faster_on_held_out_programs(mined):
    report, _ = mined
    by_template = {(r.before, r.after): r for r in report.rules}
    append = by_template[("__v0__ = __v0__ + [__h0__]", "__v0__.append(__h0__)")]
    assert append.kept, append.reason
    held = [v for v in append.validations if v.held_out]
    assert held and all(v.equivalent for v in held)
    assert all(v.pair_id.startswith("append-") for v in held)


def test_miner_drops_rules_that_change_behaviour_on_held_out_programs(mined):
    report, _ = mined
    popleft = next(r for r in report.rules if r.after == "__v0__ = __v1__.popleft()")
    assert not popleft.kept and "changes the behaviour" in popleft.reason
    assert any(not v.equivalent for v in popleft.validations)


def test_mined_skills_load_and_their_rules_work(mined):
    report, out = mined
    skills = load_library(out)
    assert [s.id for s in skills] == sorted(s.id for s in report.skills) and skills
    for skill in skills:
        assert skill.has_rule and "mined" in skill.tags
        outcome = apply_rule(skill, skill.before_path.read_text())
        assert outcome.changed and outcome.code == skill.after_path.read_text()
        assert not apply_rule(skill, skill.counter_path.read_text()).changed
    unseen = "def build(n):\n    acc = []\n    for i in range(n):\n        acc = acc + [i % 7]\n    return acc\n"
    rewritten = apply_rule(skills[0], unseen)
    assert rewritten.changed and "acc.append(i % 7)" in rewritten.code
