"""Rules over lists, queues and sets: each rewrite is exact, each near-miss is left alone."""

from __future__ import annotations

import textwrap

from polca.skills.analysis import facts
from tests.fixtures.rules import apply as _apply
from tests.fixtures.rules import run as _run
from tests.fixtures.rules import same_behaviour as _same_behaviour
from tests.fixtures.rules import unchanged as _unchanged

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


# --- min-max-over-sorted ----------------------------------------------------------------

def test_min_max_rule_rewrites_each_end_under_guards():
    code = _same_behaviour(
        "min-max-over-sorted",
        """
        def ends(xs: list[int], words: list[str]):
            if len(xs) == 0 or not words:
                raise ValueError("empty")
            a = sorted(xs)[0]
            b = sorted(xs)[-1]
            c = sorted(xs, reverse=True)[0]
            d = sorted(xs, reverse=True)[-1]
            e = sorted(words, key=len)[0]
            f = sorted(words, key=str.lower, reverse=True)[0]
            return a, b, c, d, e, f
        """,
        "ends",
        [([], ["a"]), ([3], []), ([3, 1, 2, 1], ["bb", "a", "B", "c", "A"])],
    )
    assert "a = min(xs)" in code and "b = max(xs)" in code
    assert "c = max(xs)" in code and "d = min(xs)" in code
    assert "e = min(words, key=len)" in code and "f = max(words, key=str.lower)" in code


def test_min_max_rule_uses_enclosing_tests_and_observed_types():
    source = """
        def pick(groups, names):
            out = []
            if groups:
                out.append(sorted(groups)[0])
            out.append(sorted(names)[-1] if len(names) > 0 else None)
            return out, names and sorted(names)[0]
        """
    observed = {"pick": {"groups": "tuple[int, int]", "names": "list[str]"}}
    code = _same_behaviour(
        "min-max-over-sorted", source, "pick",
        [((), []), ((5, 2), ["b", "a"]), ((1, 1), ["x"])], observed,
    )
    assert "out.append(min(groups))" in code
    assert "max(names) if len(names) > 0" in code and "names and min(names)" in code
    _unchanged("min-max-over-sorted", source)


def test_min_max_rule_leaves_possibly_empty_or_partially_ordered_inputs():
    _unchanged(
        "min-max-over-sorted",
        """
        def no_guard(xs: list[int]):
            return sorted(xs)[0]

        def guard_in_else(xs: list[int]):
            if xs:
                return 0
            else:
                return sorted(xs)[0]

        def floats(xs: list[float]):
            return sorted(xs)[0] if xs else None

        def mixed(xs: list):
            return sorted(xs)[0] if xs else None

        def iterator(xs):
            return sorted(xs, key=len)[0] if xs else None

        def last_by_key(words: list[str]):
            return sorted(words, key=len)[-1] if words else None

        def other_index(xs: list[int]):
            return sorted(xs)[1] if xs else None
        """,
    )


def test_min_max_rule_leaves_changed_or_foreign_names_and_shadowed_builtins():
    _unchanged(
        "min-max-over-sorted",
        """
        def refilled(xs: list[int], more):
            if not xs:
                return None
            xs.clear()
            return sorted(xs)[0]

        def handed_out(xs: list[int], hook):
            if not xs:
                return None
            hook(xs)
            return sorted(xs)[0]

        def changed_through_a_box(xs: list[int]):
            if not xs:
                return None
            box = [xs]
            box[0].clear()
            return sorted(xs)[0]

        def guard_on_another_name(xs: list[int], ys: list[int]):
            if not ys:
                return None
            return sorted(xs)[0]
        """,
    )
    _unchanged(
        "min-max-over-sorted",
        """
        def min(xs):
            return 0

        def f(xs: list[int]):
            return sorted(xs)[0] if xs else None
        """,
    )


# --- list-membership-to-set: parameters observed as lists of hashables -----------------

def test_membership_rule_builds_a_set_beside_a_parameter_list():
    source = """
        def common(items, queries):
            '''Doc.'''
            hits = 0
            out = []
            for q in queries:
                if q % 5 in items and q not in items:
                    hits += 1
                    out.append(q)
            return hits, out, len(items)
        """
    observed = {"common": {"items": "list[int]", "queries": "list[int]"}}
    code = _same_behaviour(
        "list-membership-to-set", source, "common",
        [([], []), ([1, 2, 3], [1, 5, 6, 11]), ([0, 0], list(range(20)))], observed,
    )
    assert "    hits = 0\n    out = []\n    items_set = set(items)\n    for q in queries:" in code
    assert "if q % 5 in items_set and q not in items_set:" in code and "len(items)" in code
    _unchanged("list-membership-to-set", source)  # without observed types nothing is proven


def test_membership_rule_trusts_annotations_of_tuples_of_pairs():
    code = _same_behaviour(
        "list-membership-to-set",
        """
        def walls(blocked: list[tuple[int, int]], n: int):
            return [(i, j) for i in range(n) for j in range(n) if (i, j) not in blocked]
        """,
        "walls",
        [([], 2), ([(0, 1), (1, 1)], 3)],
    )
    assert "blocked_set = set(blocked)" in code and "not in blocked_set" in code


def test_membership_rule_leaves_parameters_others_could_change():
    observed = {"f": {"items": "list[int]", "xs": "list[int]"}}
    for line in ("items.append(x)", "hook(x)", "items = [x]", "yield x", "box = [items]; box[0][0] = x"):
        _unchanged(
            "list-membership-to-set",
            f"""
            def f(items, xs, hook=print):
                n = 0
                for x in xs:
                    if x in items:
                        n += 1
                    {line}
                return n
            """,
            observed,
        )


def test_membership_rule_leaves_strings_unhashable_elements_and_unproven_probes():
    source = """
        def f(items, xs):
            return [x for x in xs if x in items]
        """
    for items, xs in (("str", "list[str]"), ("list[list[int]]", "list[int]"),
                      ("list[object]", "list[int]"), ("list[int]", "list[object]")):
        _unchanged("list-membership-to-set", source, {"f": {"items": items, "xs": xs}})


# --- dedup-with-dict-fromkeys: de-duplication by a key ----------------------------------

def test_dedup_rule_turns_the_seen_keys_list_into_a_set():
    source = """
        def first_per_residue(values, m):
            seen = []
            out = []
            for v in values:
                key = v % m
                if key not in seen:
                    seen.append(key)
                    out.append(v)
            return out
        """
    observed = {"first_per_residue": {"values": "list[int]", "m": "int"}}
    code = _same_behaviour(
        "dedup-with-dict-fromkeys", source, "first_per_residue",
        [([], 3), ([5, 2, 8, 3, 3, 9], 3), (list(range(40)), 7), ([1], 0)], observed,
    )
    assert "seen = set()" in code and "seen.add(key)" in code and "out.append(v)" in code
    _unchanged("dedup-with-dict-fromkeys", source)


def test_dedup_rule_handles_pairs_and_string_keys_from_annotations():
    code = _same_behaviour(
        "dedup-with-dict-fromkeys",
        """
        def unique_pairs(pairs: list[tuple[int, str]]):
            seen = list()
            kept = []
            for a, b in pairs:
                if (a, len(b)) in seen:
                    continue
                seen.append((a, len(b)))
                kept.append(b)
            return kept
        """,
        "unique_pairs",
        [([],), ([(1, "ab"), (1, "cd"), (2, "x")],)],
    )
    assert "seen = set()" in code and "seen.add((a, len(b)))" in code


def test_dedup_rule_leaves_seen_lists_that_are_read_or_hold_unknown_keys():
    observed = {"f": {"values": "list[int]", "key": "function"}}
    for extra in ("return seen", "print(seen[0])", "n = seen.count(k)"):
        _unchanged(
            "dedup-with-dict-fromkeys",
            f"""
            def f(values):
                seen = []
                for v in values:
                    k = v * 2
                    if k not in seen:
                        seen.append(k)
                {extra}
            """,
            observed,
        )
    _unchanged(
        "dedup-with-dict-fromkeys",
        """
        def f(values, key):
            seen = []
            out = []
            for v in values:
                k = key(v)
                if k not in seen:
                    seen.append(k)
                    out.append(v)
            return out
        """,
        observed,
    )


# --- shared facts the rules above rely on --------------------------------------------------

def test_type_descriptions_give_element_types_and_hashability():

    assert facts.element_type("list[int]") == "int" and facts.element_type("tuple[int, int]") == "int"
    assert facts.element_type("tuple[int, str]") is None and facts.element_type("str") == "str"
    assert facts.element_type("list[tuple[int, str]]") == "tuple[int, str]"
    assert facts.is_hashable_type("tuple[int, str]") and facts.is_hashable_type("frozenset[int]")
    assert not facts.is_hashable_type("list[int]") and not facts.is_hashable_type("object")
    assert not facts.is_hashable_type("")


def test_typed_hashable_names_follow_loops_over_observed_lists():
    import libcst as cst


    func = cst.parse_module(textwrap.dedent("""
        def f(pairs, rows, n):
            for a, b in pairs:
                k = (a, b % 3)
            for head, *rest in pairs:
                pass
            for row in rows:
                pass
        """)).body[0]
    types = {"pairs": "list[tuple[int, int]]", "rows": "list[list[int]]", "n": "int"}.get
    names = facts.typed_hashable_names(func, types, rebound=(), shadowed=())
    assert {"a", "b", "k", "n"} <= names
    assert not {"rest", "row"} & names


# --- deque-for-queue-pop0: a queue copied from an argument with list(...) ----------------

def test_deque_rule_takes_a_queue_copied_with_list():
    code = _same_behaviour(
        "deque-for-queue-pop0",
        """
        def run_jobs(jobs):
            pending = list(jobs)
            done = []
            while len(pending) > 0:
                job = pending.pop(0)
                done.append(job)
                if job > 1 and job % 2 == 0:
                    pending.append(job // 2)
            return done
        """,
        "run_jobs",
        [([],), ([8, 3, 6],), ((4, 2, 1),), (list(range(40)),)],
    )
    assert "pending = deque(jobs)" in code and "pending.popleft()" in code


def test_deque_rule_leaves_a_copy_made_by_a_rebound_list():
    _unchanged(
        "deque-for-queue-pop0",
        """
        def list(xs):
            return [x for x in xs]

        def drain(jobs):
            pending = list(jobs)
            out = []
            while pending:
                out.append(pending.pop(0))
            return out
        """,
    )


def test_deque_rule_leaves_a_copied_queue_that_is_sliced():
    # a deque cannot be sliced: pending[1:] would raise TypeError
    _unchanged(
        "deque-for-queue-pop0",
        """
        def drain(jobs):
            pending = list(jobs)
            out = []
            while pending:
                out.append(pending[1:])
                pending.pop(0)
            return out
        """,
    )


# --- membership and de-duplication: probes proven hashable through items and str methods ----

_RECORDS = [{"tag": 3, "id": 1}, {"tag": 5, "id": 2}, {"tag": 3, "id": 3}, {"tag": 9, "id": 4}]


def test_membership_probe_read_from_a_record_field_is_hashable_by_its_type():
    source = """
    def keep_allowed(records, allowed_tags):
        kept = []
        for rec in records:
            tag = rec["tag"]
            if tag in allowed_tags:
                kept.append(rec["id"])
        return kept
    """
    observed = {"keep_allowed": {"records": "list[dict[str, int]]", "allowed_tags": "list[int]"}}
    code = _same_behaviour("list-membership-to-set", source, "keep_allowed",
                           [([], [1]), (_RECORDS, [3, 9]), (_RECORDS, []), ([{"id": 1}], [3])], observed)
    assert "allowed_tags_set = set(allowed_tags)" in code


def test_membership_probe_from_a_field_of_unhashable_or_sliced_values_is_left_alone():
    source = """
    def keep_allowed(records, allowed_tags):
        kept = []
        for rec in records:
            tag = rec["tag"]
            if tag in allowed_tags:
                kept.append(rec["id"])
        return kept
    """
    # a list field: ``[1] in allowed_tags`` is False where a set lookup raises TypeError
    _unchanged("list-membership-to-set", source,
               {"keep_allowed": {"records": "list[dict[str, list[int]]]", "allowed_tags": "list[int]"}})
    _unchanged("list-membership-to-set", source,
               {"keep_allowed": {"records": "list[dict[str, object]]", "allowed_tags": "list[int]"}})
    _unchanged("list-membership-to-set", """
    def keep_prefixes(rows, allowed):
        kept = []
        for row in rows:
            head = row[0:2]
            if head in allowed:
                kept.append(row)
        return kept
    """, {"keep_prefixes": {"rows": "list[list[int]]", "allowed": "list[list[int]]"}})


def test_dedup_by_a_str_method_key_keeps_the_first_spelling():
    source = """
    def unique_emails(emails):
        seen = []
        result = []
        for addr in emails:
            key = addr.lower()
            if key in seen:
                continue
            seen.append(key)
            result.append(addr)
        return result
    """
    code = _same_behaviour("dedup-with-dict-fromkeys", source, "unique_emails",
                           [([],), (["A@x", "a@X", "b@y", "B@Y", "c"],), (["ß", "SS", "ss"],)],
                           {"unique_emails": {"emails": "list[str]"}})
    assert "seen = set()" in code and "seen.add(key)" in code


def test_dedup_by_a_method_key_of_unknown_values_is_left_alone():
    source = """
    def unique_emails(emails):
        seen = []
        result = []
        for addr in emails:
            key = addr.lower()
            if key in seen:
                continue
            seen.append(key)
            result.append(addr)
        return result
    """
    # ``lower`` of a user object may return a list: the set would raise where the list did not
    _unchanged("dedup-with-dict-fromkeys", source, {"unique_emails": {"emails": "list[object]"}})
    _unchanged("dedup-with-dict-fromkeys", source)
    # the loop variable rebound to a list: the key is no longer a str
    _unchanged("dedup-with-dict-fromkeys", """
    def unique_emails(emails):
        seen = []
        result = []
        for addr in emails:
            addr = [addr]
            key = addr
            if key in seen:
                continue
            seen.append(key)
            result.append(addr)
        return result
    """, {"unique_emails": {"emails": "list[str]"}})


# --- running-extreme-of-growing-list ----------------------------------------------------

_BEST = """
def best_so_far(readings):
    history = []
    bests = []
    for r in readings:
        history.append(r)
        bests.append((max(history), min(history), len(history)))
    return bests, history
"""


def test_running_extreme_matches_rescans_with_ties_nan_and_strs():
    nan = float("nan")
    floats = [([],), ([1.0, nan, 2.0, -0.0, 0.0],), ([nan, 1.0, 3.0],), ([0.0, -0.0],)]
    code = _same_behaviour("running-extreme-of-growing-list", _BEST, "best_so_far", floats,
                           {"best_so_far": {"readings": "list[float]"}})
    assert "_history_max = r if len(history) == 1 else max(_history_max, r)" in code
    # NaN compares false both ways: the running value must pick the very object max() picks
    for args in floats:
        got, want = _run(code, "best_so_far", *args), _run(textwrap.dedent(_BEST), "best_so_far", *args)
        assert repr(got) == repr(want)
    _same_behaviour("running-extreme-of-growing-list", _BEST, "best_so_far",
                    [(["b", "a", "c"],), ([],)], {"best_so_far": {"readings": "list[str]"}})
    assert _apply("running-extreme-of-growing-list", _BEST, {"best_so_far": {"readings": "list[int]"}}).changed


def test_running_extreme_leaves_lists_that_shrink_escape_or_hold_unknown_items():
    _unchanged("running-extreme-of-growing-list", _BEST)
    _unchanged("running-extreme-of-growing-list", _BEST, {"best_so_far": {"readings": "list[object]"}})
    _unchanged("running-extreme-of-growing-list", """
    def best(readings: list[int]):
        history = []
        out = []
        for r in readings:
            history.append(r)
            history[0] = -r
            out.append(max(history))
        return out
    """)
    _unchanged("running-extreme-of-growing-list", """
    def best(readings: list[int], more: list[int]):
        history = []
        out = []
        for r in readings:
            history.append(r)
            out.append(max(history))
        history.extend(more)
        return out, max(history)
    """)
    # the item rebound after the append: the running value would take the new one
    _unchanged("running-extreme-of-growing-list", """
    def best(readings: list[int]):
        history = []
        out = []
        for r in readings:
            history.append(r)
            r = 0
            out.append(max(history))
        return out
    """)
    # read in a nested loop after the append, where the list may meanwhile have grown elsewhere
    _unchanged("running-extreme-of-growing-list", """
    def best(readings: list[int], k: int):
        history = []
        out = []
        for r in readings:
            history.append(r)
            for _ in range(k):
                out.append(max(history))
        return out
    """)


# --- list-concat-in-loop: pieces that are loop variables over lists of lists -------------

_FLATTEN = """
def flatten(batches):
    merged = []
    for batch in batches:
        merged = merged + batch
    return merged
"""


def test_concat_of_loop_variables_typed_as_lists_becomes_extend():
    code = _same_behaviour("list-concat-in-loop", _FLATTEN, "flatten", [([],), ([[1, 2], [], [3]],)],
                           {"flatten": {"batches": "list[list[int]]"}})
    assert "merged.extend(batch)" in code


def test_concat_of_loop_variables_that_may_not_be_lists_is_left_alone():
    # tuples: ``[] + (1, 2)`` raises TypeError where ``extend`` would accept them
    _unchanged("list-concat-in-loop", _FLATTEN, {"flatten": {"batches": "list[tuple[int, int]]"}})
    _unchanged("list-concat-in-loop", _FLATTEN, {"flatten": {"batches": "list[object]"}})
    _unchanged("list-concat-in-loop", _FLATTEN)
    # the loop variable rebound in the body: no longer the list the type promises
    _unchanged("list-concat-in-loop", """
    def flatten(batches):
        merged = []
        for batch in batches:
            batch = tuple(batch)
            merged = merged + batch
        return merged
    """, {"flatten": {"batches": "list[list[int]]"}})


# --- dedup-with-dict-fromkeys: observed types and a probe that is an item ---

def test_dedup_by_an_item_of_observed_records_and_of_an_observed_list():
    source = """
    def days_in(orders):
        days = []
        for o in orders:
            if o["day"] not in days:
                days.append(o["day"])
        return sorted(days)

    def unique(xs):
        out = []
        for x in xs:
            if x not in out:
                out.append(x)
        return out

    def first_visits(views):
        seen = []
        firsts = []
        for view in views:
            key = (view["ip"], view["agent"])
            if key not in seen:
                seen.append(key)
                firsts.append(view)
        return firsts
    """
    observed = {"days_in": {"orders": "list[dict[str, int]]"}, "unique": {"xs": "list[str]"},
                "first_visits": {"views": "list[dict[str, str]]"}}
    orders = [([{"day": 3}, {"day": 1}, {"day": 3}],), ([],), ([{"day": 2}, {"night": 1}],)]  # KeyError
    code = _same_behaviour("dedup-with-dict-fromkeys", source, "days_in", orders, observed)
    assert 'days = list(dict.fromkeys(o["day"] for o in orders))' in code
    assert "out = list(dict.fromkeys(xs))" in code
    assert "seen = set()" in code
    _same_behaviour("dedup-with-dict-fromkeys", source, "unique", [(["b", "a", "b"],), ([],)], observed)
    views = [{"ip": "1", "agent": "x"}, {"ip": "1", "agent": "y"}, {"ip": "1", "agent": "x"}]
    _same_behaviour("dedup-with-dict-fromkeys", source, "first_visits", [(views,), ([],)], observed)


def test_dedup_by_an_item_is_left_alone_where_the_items_could_be_unhashable_or_changed():
    for source, observed in (
        # the day values are lists: unhashable
        ("""
        def days_in(orders):
            days = []
            for o in orders:
                if o["day"] not in days:
                    days.append(o["day"])
            return days
        """, {"days_in": {"orders": "list[dict[str, list[int]]]"}}),
        # a record is changed before the loop: its observed type no longer holds
        ("""
        def days_in(orders):
            orders[0]["day"] = [1]
            days = []
            for o in orders:
                if o["day"] not in days:
                    days.append(o["day"])
            return days
        """, {"days_in": {"orders": "list[dict[str, int]]"}}),
        # the test and the append read different items
        ("""
        def days_in(orders):
            days = []
            for o in orders:
                if o["day"] not in days:
                    days.append(o["night"])
            return days
        """, {"days_in": {"orders": "list[dict[str, int]]"}}),
        # the list is changed in the function
        ("""
        def unique(xs):
            xs.append([1])
            out = []
            for x in xs:
                if x not in out:
                    out.append(x)
            return out
        """, {"unique": {"xs": "list[int]"}}),
    ):
        _unchanged("dedup-with-dict-fromkeys", source, observed)


def test_dedup_over_the_rows_of_a_table_and_the_items_of_each_row():
    source = """
    def mentions(ballots):
        names = []
        for ballot in ballots:
            for name in ballot:
                if name not in names:
                    names.append(name)
        return names
    """
    observed = {"mentions": {"ballots": "list[list[str]]"}}
    inputs = [([["b", "a"], [], ["a", "c"]],), ([],), ([[]],)]
    code = _same_behaviour("dedup-with-dict-fromkeys", source, "mentions", inputs, observed)
    assert "names = list(dict.fromkeys(name for ballot in ballots for name in ballot))" in code
    # rows of unhashable items, and a row changed before the loops
    _unchanged("dedup-with-dict-fromkeys", source, {"mentions": {"ballots": "list[list[list[str]]]"}})
    _unchanged("dedup-with-dict-fromkeys", """
    def mentions(ballots):
        ballots[0].append(["x"])
        names = []
        for ballot in ballots:
            for name in ballot:
                if name not in names:
                    names.append(name)
        return names
    """, observed)


def test_dedup_over_rows_is_left_alone_where_another_argument_may_be_one_of_the_rows():
    # mentions(table, table[0]) would put a list into a row before the loops
    _unchanged("dedup-with-dict-fromkeys", """
    def mentions(ballots, extra):
        extra.append(["x"])
        names = []
        for ballot in ballots:
            for name in ballot:
                if name not in names:
                    names.append(name)
        return names
    """, {"mentions": {"ballots": "list[list[str]]", "extra": "list[str]"}})
