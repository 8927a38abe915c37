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
