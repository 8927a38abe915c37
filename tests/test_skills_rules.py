"""Loading and applying executable rules, and the preconditions each rule must prove."""

from __future__ import annotations

import shutil
import textwrap

import libcst as cst
import pytest

from polca.skills import cst_tools as ct
from polca.skills.model import parse_skill
from polca.skills.registry import build_registry
from polca.skills.rules import apply_rule, apply_rules, load_rule

REGISTRY = build_registry()


def _apply(skill_id: str, source: str):
    return apply_rule(REGISTRY.get(skill_id), textwrap.dedent(source))


def _unchanged(skill_id: str, source: str) -> None:
    outcome = _apply(skill_id, source)
    assert not outcome.changed, outcome.code
    assert outcome.code == textwrap.dedent(source)


def _skill_with_rule(tmp_path, rule_source: str):
    folder = tmp_path / "broken-rule"
    folder.mkdir()
    front = (
        "---\nid: broken-rule\ntype: operator\nlanguage: python\nfamily: algorithmic\n"
        "name: Broken\ndescription: A rule that fails.\ntags: [x]\ntriggers: []\n---\n"
    )
    sections = "".join(
        f"\n## {t}\nText.\n"
        for t in ("When to use", "Steps", "Complexity", "Pitfalls", "When not to use", "Before-After example")
    )
    (folder / "SKILL.md").write_text(front + sections)
    (folder / "rule.py").write_text(rule_source)
    (folder / "counter.py").write_text("x = 1\n")
    (folder / "before.py").write_text("BENCH_SIZE = 1\ndef make_input(size, rng):\n    return (), {}\ndef solve():\n    return 1\n")
    (folder / "after.py").write_text("def solve():\n    return 1\n")
    return parse_skill(folder)


def test_source_that_does_not_parse_is_returned_unchanged_with_the_reason():
    outcome = _apply("deque-for-queue-pop0", "def f(:\n")
    assert not outcome.changed
    assert outcome.code == "def f(:\n"
    assert "does not parse" in outcome.error


def test_a_failing_rule_is_data_not_an_exception(tmp_path):
    skill = _skill_with_rule(tmp_path, "def rewrite(module):\n    raise RuntimeError('boom')\n")
    outcome = apply_rule(skill, "x = 1\n")
    assert not outcome.changed and outcome.code == "x = 1\n"
    assert "RuntimeError: boom" in outcome.error


def test_a_rule_that_takes_observed_types_receives_them(tmp_path):
    rule = ("import libcst as cst\n"
            "def rewrite(module, observed):\n"
            "    if observed.get('f', {}).get('xs') != 'list[int]':\n"
            "        return module\n"
            "    return cst.parse_module(module.code.replace('xs', 'ys'))\n")
    skill = _skill_with_rule(tmp_path, rule)
    source = "def f(xs):\n    return xs\n"
    assert not apply_rule(skill, source).changed
    assert apply_rule(skill, source, {"f": {"xs": "list[int]"}}).code == "def f(ys):\n    return ys\n"


def test_a_rule_returning_the_wrong_type_is_reported(tmp_path):
    skill = _skill_with_rule(tmp_path, "def rewrite(module):\n    return 'code'\n")
    assert "not a libcst.Module" in apply_rule(skill, "x = 1\n").error


def test_a_rule_without_rewrite_is_rejected_when_loaded(tmp_path):
    skill = _skill_with_rule(tmp_path, "REWRITE = None\n")
    with pytest.raises(TypeError, match="must define rewrite"):
        load_rule(skill)


def test_loading_a_skill_without_rule_explains(tmp_path):
    source = REGISTRY.get("heap-for-repeated-min").path
    folder = shutil.copytree(source, tmp_path / source.name, ignore=shutil.ignore_patterns("rule.py", "counter.py"))
    with pytest.raises(ValueError, match="has no rule.py"):
        load_rule(parse_skill(folder))


def test_rules_chain_in_order():
    source = textwrap.dedent(
        """
        def f(text, limit):
            blocked = [int(t) for t in text.split()]
            out = []
            for i in range(limit):
                out.append(i in blocked)
            return out
        """
    )
    skills = [REGISTRY.get("list-membership-to-set"), REGISTRY.get("comprehension-over-append")]
    code, outcomes = apply_rules(skills, source)
    assert [o.changed for o in outcomes] == [True, True]
    assert "{int(t) for t in text.split()}" in code
    assert "out = [i in blocked for i in range(limit)]" in code


def test_membership_rule_needs_a_loop_to_pay_off():
    _unchanged(
        "list-membership-to-set",
        """
        def once(text):
            known = [int(t) for t in text.split()]
            return 3 in known
        """,
    )


def test_membership_rule_rejects_a_shadowed_builtin():
    _unchanged(
        "list-membership-to-set",
        """
        int = str
        def f(text, n):
            known = [int(t) for t in text.split()]
            return [i for i in range(n) if i in known]
        """,
    )


def test_deque_rule_keeps_an_existing_import_and_skips_a_foreign_deque():
    outcome = _apply(
        "deque-for-queue-pop0",
        """
        from collections import deque

        def f(items):
            q = [1]
            while q:
                q.pop(0)
            return 0
        """,
    )
    assert outcome.changed and outcome.code.count("from collections import deque") == 1
    _unchanged(
        "deque-for-queue-pop0",
        """
        from mylib import deque

        def f(items):
            q = [1]
            while q:
                q.pop(0)
        """,
    )


def test_regex_rule_skips_when_re_is_not_the_standard_module():
    _unchanged(
        "precompiled-regex",
        """
        import regex as re

        def f(lines):
            return [re.match(r"a+", line) for line in lines]
        """,
    )


def test_regex_rule_moves_flags_to_compile_and_keeps_other_arguments():
    outcome = _apply(
        "precompiled-regex",
        """
        import re

        def f(lines):
            return [re.sub(r"\\s+", " ", line, 2, re.I) for line in lines]
        """,
    )
    assert '_RE_0 = re.compile(r"\\s+", re.I)' in outcome.code
    assert '_RE_0.sub(" ", line, 2)' in outcome.code


def test_regex_rule_skips_patterns_that_do_not_compile():
    _unchanged(
        "precompiled-regex",
        """
        import re

        def f(lines):
            return [re.match(r"(", line) for line in lines]
        """,
    )


def test_memoize_rule_skips_functions_with_defaults_or_decorators():
    _unchanged(
        "memoize-pure-recursion",
        """
        import functools

        @functools.lru_cache(maxsize=None)
        def fib(n: int) -> int:
            return n if n < 2 else fib(n - 1) + fib(n - 2)

        def g(n: int, step: int = 1) -> int:
            return n if n < 2 else g(n - 1) + g(n - 2)
        """,
    )


def test_early_exit_rule_skips_loops_with_else():
    _unchanged(
        "early-exit-search",
        """
        def f(values: list, limit):
            hit = False
            for v in values:
                if v > limit:
                    hit = True
            else:
                hit = not hit
            return hit
        """,
    )


def test_join_rule_leaves_str_accumulators_alone():
    _unchanged(
        "string-building-with-join",
        """
        def f(words):
            text = ""
            for w in words:
                text += "x"
            return text
        """,
    )


def test_alias_rule_skips_when_the_alias_name_is_taken():
    outcome = _apply(
        "local-alias-hot-lookups",
        """
        import math

        def f(values):
            total = 0.0
            for v in values:
                total += math.sqrt(v)
            return total
        """,
    )
    assert "_math_sqrt = math.sqrt" in outcome.code
    assert "total += _math_sqrt(v)" in outcome.code


def test_bit_count_rule_is_exact_for_negative_numbers_and_bools():
    outcome = _apply("int-bit-count", 'def f(x):\n    return bin(x).count("1")\n')
    namespace: dict = {}
    exec(outcome.code, namespace)
    for value in (-5, 0, 7, True, 2**70 + 3):
        assert namespace["f"](value) == bin(value).count("1")


def test_counter_rule_keeps_key_errors_for_missing_keys():
    outcome = _apply(
        "counter-for-counting",
        """
        def f(words):
            counts = {}
            for w in words:
                counts[w] = counts.get(w, 0) + 1
            return counts
        """,
    )
    assert "counts = dict(Counter(w for w in words))" in outcome.code  # words could be a dict
    namespace: dict = {}
    exec(outcome.code, namespace)
    assert type(namespace["f"](["a"])) is dict


def test_hashable_expression_facts():
    def expr(code: str) -> cst.BaseExpression:
        return cst.parse_expression(code)

    assert ct.is_hashable_expr(expr("int(x) + 1"))
    assert ct.is_hashable_expr(expr("(1, 'a', f'{x}')"))
    assert not ct.is_hashable_expr(expr("[1]"))
    assert not ct.is_hashable_expr(expr("x"))
    assert ct.is_hashable_expr(expr("x"), hashable_names={"x"})
    assert not ct.is_hashable_expr(expr("int(x)"), shadowed={"int"})


def test_add_import_goes_after_docstring_and_imports_once():
    module = cst.parse_module('"""Doc."""\nimport os\n\nx = 1\n')
    once = ct.add_import(module, "import itertools")
    assert once.code.index("import itertools") > once.code.index("import os")
    assert ct.add_import(once, "import itertools").code == once.code
