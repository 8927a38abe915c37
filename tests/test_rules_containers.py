"""Rules over lists, queues and sets: each rewrite is exact, each near-miss is left alone."""

from __future__ import annotations

import textwrap

from polca.skills.registry import build_registry
from polca.skills.rules import apply_rule

REGISTRY = build_registry()


def _apply(skill_id: str, source: str, observed=None):
    return apply_rule(REGISTRY.get(skill_id), textwrap.dedent(source), observed)


def _unchanged(skill_id: str, source: str, observed=None) -> None:
    outcome = _apply(skill_id, source, observed)
    assert outcome.error == ""
    assert not outcome.changed, outcome.code
    assert outcome.code == textwrap.dedent(source)


def _run(code: str, name: str, *args):
    namespace: dict = {}
    exec(code, namespace)
    try:
        return ("ok", namespace[name](*args))
    except Exception as exc:
        return ("raised", type(exc).__name__)


def _same_behaviour(skill_id: str, source: str, name: str, inputs, observed=None) -> str:
    outcome = _apply(skill_id, source, observed)
    assert outcome.changed, outcome.code
    for args in inputs:
        assert _run(outcome.code, name, *args) == _run(textwrap.dedent(source), name, *args), args
    return outcome.code


# --- deque-for-queue-pop0: insert(0, x) ----------------------------------------------

def test_deque_rule_turns_front_inserts_into_appendleft():
    code = _same_behaviour(
        "deque-for-queue-pop0",
        """
        def last_first(items):
            stack = []
            for item in items:
                stack.insert(0, item)
            out = []
            while stack:
                out.append(stack.pop())
            return out
        """,
        "last_first",
        [([],), ([1, 2, 3],), (list(range(50)),)],
    )
    assert "stack = deque()" in code
    assert "stack.appendleft(item)" in code and "insert" not in code


def test_deque_rule_handles_inserts_and_front_pops_together():
    code = _same_behaviour(
        "deque-for-queue-pop0",
        """
        def rotate(items, k):
            q = [0]
            for item in items:
                q.insert(0, item)
                if len(q) > k:
                    q.pop(0)
            total = 0
            while q:
                total = total * 3 + q.pop()
            return total
        """,
        "rotate",
        [([], 2), ([1, 2, 3], 2), (list(range(30)), 5)],
    )
    assert "q.appendleft(item)" in code and "q.popleft()" in code


def test_deque_rule_leaves_inserts_elsewhere_than_the_front():
    _unchanged(
        "deque-for-queue-pop0",
        """
        def middle(items):
            q = []
            for item in items:
                q.insert(1, item)
            while q:
                q.pop(0)
        """,
    )


def test_deque_rule_leaves_a_front_insert_on_a_list_that_is_returned():
    _unchanged(
        "deque-for-queue-pop0",
        """
        def reversed_copy(items):
            out = []
            for item in items:
                out.insert(0, item)
            return out
        """,
    )


def test_deque_rule_leaves_keyword_or_starred_inserts():
    _unchanged(
        "deque-for-queue-pop0",
        """
        def f(items, pair):
            q = []
            for item in items:
                q.insert(0, *pair)
            while q:
                q.pop()
        """,
    )


# --- list-concat-in-loop ----------------------------------------------------------------

def test_concat_rule_appends_single_items_and_extends_lists():
    code = _same_behaviour(
        "list-concat-in-loop",
        """
        def spread(values):
            out = []
            for v in values:
                out = out + [v]
                if v % 2:
                    out = out + [v, -v]
                out = out + [w for w in range(v % 3)]
            return out
        """,
        "spread",
        [([],), ([1, 2, 3],), (list(range(40)),)],
    )
    assert "out.append(v)" in code
    assert "out.extend([v, -v])" in code
    assert "out.extend([w for w in range(v % 3)])" in code


def test_concat_rule_handles_while_loops_nested_loops_and_reads():
    code = _same_behaviour(
        "list-concat-in-loop",
        """
        def grid(n):
            cells = list()
            i = 0
            while len(cells) < n * n:
                for j in range(n):
                    cells = cells + [(i, j)]  # one cell
                i += 1
            return sum(a * b for a, b in cells) + len(cells) + (cells[0][0] if cells else 0)
        """,
        "grid",
        [(0,), (1,), (5,)],
    )
    assert "cells.append((i, j))  # one cell" in code


def test_concat_rule_extends_with_a_parameter_observed_as_a_list():
    source = """
        def repeat(chunk, times):
            acc = []
            for _ in range(times):
                acc = acc + chunk
            return acc
        """
    code = _same_behaviour(
        "list-concat-in-loop", source, "repeat", [([1, 2], 3), ([], 4)],
        observed={"repeat": {"chunk": "list[int]", "times": "int"}},
    )
    assert "acc.extend(chunk)" in code
    _unchanged("list-concat-in-loop", source)  # without the observation, chunk may be a tuple


def test_concat_rule_leaves_aliased_lists_alone():
    for body in ("snap = acc", "keep(acc)", "pairs = [acc]", "it = iter(acc)"):
        _unchanged(
            "list-concat-in-loop",
            f"""
            def f(values, keep):
                acc = []
                for v in values:
                    acc = acc + [v]
                    {body}
                return acc
            """,
        )


def test_concat_rule_leaves_rebound_parameter_and_closure_cases_alone():
    _unchanged(
        "list-concat-in-loop",
        """
        def reset_inside(values):
            acc = []
            for v in values:
                if v == 0:
                    acc = []
                acc = acc + [v]
            return acc

        def closure(values):
            acc = []
            get = lambda: acc
            for v in values:
                acc = acc + [v]
            return get()

        def starts_from_a_parameter(acc, values):
            for v in values:
                acc = acc + [v]
            return acc

        def outside_any_loop(v):
            acc = []
            acc = acc + [v]
            return acc
        """,
    )


def test_concat_rule_respects_a_shadowed_list_builtin():
    _unchanged(
        "list-concat-in-loop",
        """
        list = tuple

        def f(values):
            acc = []
            for v in values:
                acc = acc + list(v)
            return acc
        """,
    )


def test_concat_rule_leaves_a_stored_generator_over_the_list_alone():
    _unchanged(
        "list-concat-in-loop",
        """
        def f(values):
            acc = [0]
            lazy = (x * 2 for x in acc)
            for v in values:
                acc = acc + [v]
            return list(lazy)
        """,
    )
