"""Facts rules read their preconditions from: what a function changes, rebinds, hands out."""

from __future__ import annotations

import libcst as cst
import pytest

from polca.skills.analysis.facts import (
    function_facts,
    length_alias,
    merge_observed,
    observed_type,
    qualified_functions,
)

SOURCE = '''
def search(items, queries, limit: int):
    found = []
    count = 0
    for q in queries:
        if q in items:
            found.append(q)
            count += 1
    log(queries)
    return found

class Index:
    def add(self, words: list[str]):
        words.sort()
        self.size = len(words)
'''


def _facts(qualname, observed=None):
    functions = dict(qualified_functions(cst.parse_module(SOURCE)))
    return function_facts(functions[qualname], observed)


def test_functions_are_keyed_by_qualified_name():
    assert [name for name, _ in qualified_functions(cst.parse_module(SOURCE))] == ["search", "Index.add"]


def test_a_parameter_only_read_is_never_changed():
    facts = _facts("search")
    assert facts.never_changed("items")
    assert facts.is_param("items") and not facts.is_param("found")


@pytest.mark.parametrize(("qualname", "name", "why"), [
    ("search", "found", "changed in place by append and returned"),
    ("search", "count", "rebound by +="),
    ("search", "queries", "handed to an unknown function"),
    ("Index.add", "words", "sorted in place"),
    ("Index.add", "self", "an attribute is stored on it"),
])
def test_names_that_may_change_are_not_trusted(qualname, name, why):
    assert not _facts(qualname).never_changed(name), why


def test_types_come_from_observation_then_from_the_code():
    facts = _facts("search", {"items": "list[int]"})
    assert facts.type_of("items") == "list[int]"
    assert facts.type_of("found") == "list"
    assert facts.type_of("limit") == "int"
    assert facts.type_of("queries") is None


def test_nested_functions_make_every_name_they_touch_escape():
    func = cst.parse_module("def f(xs):\n    def g():\n        xs.clear()\n    g()\n    return 1\n").body[0]
    assert not function_facts(func).never_changed("xs")


def test_global_declarations_are_not_trusted():
    func = cst.parse_module("def f(xs):\n    global table\n    return table[xs]\n").body[0]
    assert not function_facts(func).never_changed("table")


def test_observed_types_describe_nested_values():
    assert observed_type([{"id": [1, 2]}]) == "list[dict[str, list[int]]]"
    assert observed_type([1, "a"]) == "list[object]"
    assert observed_type([]) == "list"
    assert merge_observed("list", "list[int]") == "list[int]"
    assert merge_observed("list[int]", "list[str]") == "list[object]"
    assert merge_observed("int", "str") == "object"
    # ints beside floats are numbers of either kind: float for the rules (never int)
    assert observed_type([1, 2.5]) == "list[float]"
    assert merge_observed("list[int]", "list[float]") == "list[float]"
    assert merge_observed("dict[str, float]", "dict[str, int]") == "dict[str, float]"
    assert merge_observed("int", "float") == "float"


@pytest.mark.parametrize("line", ["box = [xs]", "box = (xs, 0)", "out += [xs]", "box = {0: xs}",
                                  "box = {xs}", "box = [xs for _ in range(2)]", "box = {0: xs for _ in 'ab'}"])
def test_names_held_in_displays_and_comprehensions_escape(line):
    func = cst.parse_module(f"def f(xs):\n    out = []\n    {line}\n    a, b = 1, 2\n").body[0]
    facts = function_facts(func)
    assert not facts.never_changed("xs")
    assert "a" not in facts.escapes and "b" not in facts.escapes  # targets are not values


def test_length_alias_sees_a_local_bound_once_to_len_of_an_unchanged_list_before_its_use():
    source = """
def f(xs, ys):
    n = len(xs)
    m = len(ys)
    ys.append(1)
    for i in range(n):
        pass
    for j in range(m):
        pass
    for k in range(late):
        pass
    late = len(xs)
"""
    func = cst.parse_module(source).body[0]
    facts = function_facts(func)
    loops = [s for s in func.body.body if isinstance(s, cst.For)]
    sizes = [length_alias(func, facts, loop.iter.args[0].value, loop) for loop in loops]
    # ys changes after m is bound; late is bound after the loop that reads it
    assert sizes == ["xs", None, None]
    assert length_alias(func, facts, cst.parse_expression("len(ys)"), loops[0]) == "ys"
