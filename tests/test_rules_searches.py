"""Rules for searches, loops and indexes: each rewrite is exact, each near miss left alone."""

from __future__ import annotations

import random
import textwrap

from tests.fixtures.rules import apply as _apply
from tests.fixtures.rules import same_behaviour as _same_results
from tests.fixtures.rules import unchanged as _unchanged

# --- dict-index-for-repeated-search ---

INDEX = "dict-index-for-repeated-search"


def _records(rng: random.Random, n: int) -> list[dict[str, int]]:
    return [{"id": rng.randrange(n // 2 + 1), "v": rng.randrange(9)} for _ in range(n)]


def test_index_rule_builds_a_grouping_index_and_scans_only_matches():
    code = _apply(INDEX, """
        def first(rows: list[dict[str, int]], keys: list[int]):
            out = []
            for k in keys:
                for r in rows:
                    if r["id"] == k:
                        out.append(r["v"])
                        break
                else:
                    out.append(None)
            return out
        """).code
    assert textwrap.dedent("""
            out = []
            rows_by_id = {}
            for r in rows:
                rows_by_id.setdefault(r["id"], []).append(r)
            for k in keys:
                for r in rows_by_id.get(k, ()):
                    out.append(r["v"])
                    break
                else:
                    out.append(None)
        """).strip().replace("\n", "\n    ") in code


def test_index_rule_keeps_every_match_in_order_for_joins_and_counts():
    rng = random.Random(3)
    inputs = [(_records(rng, n), _records(rng, n)) for n in (0, 1, 5, 30)]
    join = """
        def join(left, right):
            pairs = []
            for a in left:
                for b in right:
                    if a["id"] == b["id"]:
                        pairs.append((a["v"], b["v"]))
            return pairs
        """
    observed = {"join": {"left": "list[dict[str, int]]", "right": "list[dict[str, int]]"}}
    _same_results(INDEX, join, "join", inputs, observed)
    last = """
        def last(rows, keys):
            found = {}
            for k in range(keys):
                for row in rows:
                    if k == row[0]:
                        found[k] = row[1]
            return found
        """
    tuples = [([(rng.randrange(4), rng.randrange(9)) for _ in range(n)], 6) for n in (0, 3, 20)]
    _same_results(INDEX, last, "last", tuples, {"last": {"rows": "list[tuple[int]]", "keys": "int"}})


def test_index_rule_handles_a_while_loop_and_plain_values():
    source = """
        def positions(values: list[str], wanted: list[str]):
            i = 0
            hits = 0
            while i < len(wanted):
                w = wanted[i]
                for v in values:
                    if v == w:
                        hits += 1
                i += 1
            return hits
        """
    # ``w`` is rebound every round of the while loop: its type is not proven, so no rewrite.
    _unchanged(INDEX, source)
    _same_results(INDEX, source.replace("w = wanted[i]", "pass").replace("== w", "== key").replace(
        "wanted: list[str]", "wanted: list[str], key: str"), "positions",
        [(["a", "b", "a"], ["x", "y"], "a"), ([], [], "a")])


def test_index_rule_needs_proven_types():
    _unchanged(INDEX, """
        def f(rows, keys):
            out = []
            for k in keys:
                for r in rows:
                    if r["id"] == k:
                        out.append(r)
            return out
        """)
    # mixed value types: the id's type is not known
    _unchanged(INDEX, """
        def f(rows, keys):
            out = []
            for k in keys:
                for r in rows:
                    if r["id"] == k:
                        out.append(r)
            return out
        """, {"f": {"rows": "list[dict[str, object]]", "keys": "list[int]"}})


def test_index_rule_leaves_hostile_near_misses_alone():
    typed = "rows: list[dict[str, int]], keys: list[int]"
    for body in (
        # the records change inside the loop
        """
        for k in keys:
            for r in rows:
                if r["id"] == k:
                    r["id"] = -1
        """,
        # a user function runs in the loop and may mutate the records
        """
        for k in keys:
            helper(k)
            for r in rows:
                if r["id"] == k:
                    out.append(r)
        """,
        # not an equality test
        """
        for k in keys:
            for r in rows:
                if r["id"] >= k:
                    out.append(r)
        """,
        # the probe is rebound inside the scan
        """
        for k in keys:
            for r in rows:
                if r["id"] == k:
                    k = 0
        """,
        # more than the test in the scan body
        """
        for k in keys:
            for r in rows:
                out.append(1)
                if r["id"] == k:
                    out.append(r)
        """,
    ):
        source = f"def f({typed}, helper=None):\n    out = []\n" + textwrap.indent(
            textwrap.dedent(body), "    ") + "    return out\n"
        _unchanged(INDEX, source)
    _unchanged(INDEX, f"""
        def f({typed}):
            global rows
            out = []
            for k in keys:
                for r in rows:
                    if r["id"] == k:
                        out.append(r)
            return out
        """)


# --- loop-invariant-hoisting ---

HOIST = "loop-invariant-hoisting"


def test_hoisting_moves_aggregates_before_a_while_loop():
    code = _same_results(HOIST, """
        def scan(xs: list[int], word: str):
            i = 0
            hits = 0
            while i < len(xs):
                if str(xs[i]) in word.lower():
                    hits += xs[i] * 2 > sum(xs)
                i += 1
            return hits
        """, "scan", [([1, 2, 30], "A12"), ([], "x"), ([5], "5")])
    assert "    hits = 0\n    xs_len = len(xs)\n    word_lower = word.lower()\n    xs_sum = sum(xs)\n    while" in code
    assert "while i < xs_len:" in code


def test_hoisting_builds_a_probed_set_once_and_shares_repeated_calls():
    code = _same_results(HOIST, """
        def keep(items, allowed):
            return [x for x in items if x in set(allowed) and x not in set(allowed)[:0] or len(items) > len(items)]
        """.replace("set(allowed)[:0]", "set(allowed)"), "keep",
        [([1, 2, 3], [2]), ([], [])], {"keep": {"items": "list[int]", "allowed": "list[int]"}})
    assert code.count("set(allowed)") == 1 and code.count("len(items)") == 1


def test_hoisting_leaves_variant_or_unproven_expressions_alone():
    for source in (
        # the list grows in the loop
        """
        def f(xs: list[int]):
            for x in range(3):
                xs.append(sum(xs))
            return xs
        """,
        # a user function may change xs during the loop
        """
        def f(xs: list[int], g):
            out = []
            for x in range(3):
                g()
                out.append(len(xs))
            return out
        """,
        # len is not the built-in
        """
        len = max
        def f(xs: list[int]):
            return [x for x in xs if x < len(xs)]
        """,
        # a set that is kept, not only probed: the loop would share one object
        """
        def f(xs: list[int]):
            return [set(xs) for x in xs]
        """,
        # no types: sum of what?
        """
        def f(xs):
            return [x for x in xs if x > sum(xs)]
        """,
        # already outside the repeated part: the for's iterable runs once
        """
        def f(xs: list[int]):
            return [x for x in range(len(xs))]
        """,
        # a walrus in the loop
        """
        def f(xs: list[int]):
            return [(y := x) for x in xs if x < len(xs)]
        """,
    ):
        _unchanged(HOIST, source)


# --- sort-once-outside-loop ---

SORT = "sort-once-outside-loop"


def test_sort_once_hoists_a_sorted_copy_read_in_a_comprehension_and_a_while():
    code = _same_results(SORT, """
        def ranks(xs: list[int], ks: list[int]):
            firsts = [sorted(xs)[k] for k in ks if k < len(xs)]
            i, acc = 0, 0
            while i < len(ks):
                acc += sorted(xs, reverse=True)[0] + max(sorted(xs))
                i += 1
            return firsts, acc
        """, "ranks", [([3, 1, 2], [0, 2, 5]), ([5], [0]), ([4, 4], [])])
    assert code.count("sorted(") == 3 and "xs_sorted = sorted(xs)\n" in code
    assert "xs_sorted_2 = sorted(xs, reverse=True)\n    xs_sorted_3 = sorted(xs)\n    while" in code
    assert "acc += xs_sorted_2[0] + max(xs_sorted_3)" in code


def test_sort_once_moves_the_assignment_statement_out_of_the_loop():
    code = _apply(SORT, """
        def f(words: tuple[str, ...], ks: list[int]):
            out = []
            for k in ks:
                ordered = sorted(words)
                out.append(ordered[k] if k < len(ordered) else "")
            return out
        """).code
    assert "    ordered = sorted(words)\n    for k in ks:\n        out.append(" in code


def test_sort_once_leaves_shared_or_unproven_lists_alone():
    for source in (
        # the sorted list is changed in place: each iteration needs a fresh one
        """
        def f(xs: list[int], ks: list[int]):
            for k in ks:
                s = sorted(xs)
                s.append(k)
        """,
        # read before it is assigned in the first iteration
        """
        def f(xs: list[int], ks: list[int]):
            out = []
            for k in ks:
                if k:
                    out.append(s[0])
                s = sorted(xs)
            return out
        """,
        # a key function may raise or run user code
        """
        def f(xs: list[int], ks: list[int]):
            return [sorted(xs, key=str)[k] for k in ks]
        """,
        # xs is rebound inside the loop
        """
        def f(xs: list[int], ks: list[int]):
            out = []
            for k in ks:
                out.append(sorted(xs)[0])
                xs = xs[1:]
            return out
        """,
        # sorted is not the built-in
        """
        from mylib import sorted
        def f(xs: list[int], ks: list[int]):
            return [sorted(xs)[k] for k in ks]
        """,
        # mixed element types could raise TypeError
        """
        def f(xs: list[object], ks: list[int]):
            return [sorted(xs)[k] for k in ks]
        """,
    ):
        _unchanged(SORT, source)


# --- builtin-reductions ---

REDUCE = "builtin-reductions"


def test_reductions_rewrite_totals_counts_and_flags_exactly():
    source = """
        def stats(xs: list[int], words: list[str], n: int):
            # running total
            total = 7
            for x in xs:
                if x % 2:
                    total = total + x * 3
            count = 0
            for w in words:
                count += len(w) > 2
            squares = 0
            for i in range(n):
                squares += i * i
            clean = True
            for w in words:
                if w.startswith("x") or not w:
                    clean = False
                    break
            return total, count, squares, clean
        """
    inputs = [([1, 2, 3], ["ab", "abc", "x"], 4), ([], [], 0), ([5], [""], 1)]
    code = _same_results(REDUCE, source, "stats", inputs)
    assert "    # running total\n    total = sum((x * 3 for x in xs if x % 2), 7)\n" in code
    assert "count = sum(len(w) > 2 for w in words)" in code
    assert "squares = sum(i * i for i in range(n))" in code
    assert 'clean = all(not (w.startswith("x") or not w) for w in words)' in code


def test_reductions_rewrite_running_extremes_with_their_start():
    source = """
        def ext(xs: list[int], names: list[str]):
            lo = float("inf")
            for x in xs:
                if x < lo:
                    lo = x
            first = names[0]
            for s in names[1:]:
                if first > s:
                    first = s
            top = None
            for x in xs:
                if top is None or x >= top:
                    top = x
            return lo, first, top
        """
    inputs = [([3, 1, 2], ["b", "a", "c"]), ([], ["z"]), ([4], [])]
    code = _same_results(REDUCE, source, "ext", inputs)
    assert 'lo = min(lo, min(xs, default=lo))' in code
    assert "first = names[0]\n    first = min(names)\n" in code
    assert "top = max(xs, default=None)" in code


def test_reductions_over_floats_take_extremes_only_where_ties_and_nan_go_the_same_way():
    """Numbers are observed as floats (ints beside floats read float): a strict running
    extreme from None or the first item is ``max``/``min`` itself, ties and NaN included; a
    sum (compensated for floats from Python 3.12) and a ``>=`` extreme (which keeps the last
    of equal items, 1 or 1.0, 0.0 or -0.0) are left alone."""
    source = """
        def ext(xs):
            top = None
            for x in xs:
                if top is None or x > top:
                    top = x
            low = xs[0]
            for x in xs[1:]:
                if low > x:
                    low = x
            return top, low
        """
    observed = {"ext": {"xs": "list[float]"}}
    nan = float("nan")
    inputs = [([1, 1.0, 0.5],), ([0.0, -0.0],), ([-0.0, 0.0, 3],), ([nan, 2.0, 5],), ([2.0, nan, 1],), ([7],)]
    code = _same_results(REDUCE, source, "ext", inputs, observed)
    assert "top = max(xs, default=None)" in code and "low = min(xs)" in code
    for unsafe in ("""
        def f(xs):
            total = 0
            for x in xs:
                total += x
            return total
        """, """
        def f(xs):
            top = None
            for x in xs:
                if top is None or x >= top:
                    top = x
            return top
        """, """
        def f(xs):
            lo = 0
            for x in xs:
                if x < lo:
                    lo = x
            return lo
        """):
        _unchanged(REDUCE, unsafe, {"f": {"xs": "list[float]"}})


def test_reductions_leave_near_misses_alone():
    for source in (
        # no types: the items may be floats or lists
        """
        def f(xs):
            total = 0
            for x in xs:
                total += x
            return total
        """,
        # the accumulator is read in the term
        """
        def f(xs: list[int]):
            total = 0
            for x in xs:
                total += total + x
            return total
        """,
        # inside try: the handler sees the partial total
        """
        def f(xs: list[int]):
            total = 0
            try:
                total = 0
                for x in xs:
                    total += 10 // x
            except ZeroDivisionError:
                return total
            return total
        """,
        # a loop with else
        """
        def f(xs: list[int]):
            found = False
            for x in xs:
                if x:
                    found = True
                    break
            else:
                return None
            return found
        """,
        # non-strict update with a start that could tie a different type
        """
        def f(xs: list[int]):
            best = 0
            for x in xs:
                if x >= best:
                    best = x
            return best
        """,
        # sum is not the built-in
        """
        from numpy import sum
        def f(xs: list[int]):
            total = 0
            for x in xs:
                total += x
            return total
        """,
        # the iterable reads the accumulator
        """
        def f(xs: list[int], total: int):
            total = 0
            for x in xs[total:]:
                total += x
            return total
        """,
    ):
        _unchanged(REDUCE, source)


# --- defaultdict-grouping ---

GROUP = "defaultdict-grouping"


def test_reductions_need_int_items_for_a_general_start_and_names_bound_before():
    # a str item compared with the int start: the loop and max raise different TypeErrors
    _unchanged(REDUCE, """
        def f(xs):
            best = 0
            for x in xs:
                if best < x:
                    best = x
            return best
        """, {"f": {"xs": "list[str]"}})
    # k is bound only after the loop: UnboundLocalError there, NameError in a generator
    for guard in ("", "if x > 0:\n                        "):
        _unchanged(REDUCE, f"""
            def f(xs: list[int]):
                total = 0
                for x in xs:
                    {guard}total += k
                k = 1
                return total
            """)
    _unchanged(REDUCE, """
        def f(xs: list[int], c):
            if c:
                k = 1
            found = False
            for x in xs:
                if x == k:
                    found = True
                    break
            return found
        """)
    # bound before the loop it is fine
    _same_results(REDUCE, """
        def f(xs: list[int]):
            k = 2
            total = 0
            for x in xs:
                total += k * x
            return total
        """, "f", [([1, 2, 3],), ([],)])


def test_grouping_rewrites_the_three_shapes_into_setdefault():
    source = """
        def group(pairs: list[tuple[str, ...]], words: list[str]):
            a = {}
            for p in pairs:
                # bucket per first field
                if p[0] not in a:
                    a[p[0]] = set()
                a[p[0]].add(p)
            b = {}
            for w in words:
                if w in b:
                    b[w].append((w, 1))
                else:
                    b[w] = [(w, 1)]
            c = dict()
            for w in words:
                c[w, len(w)] = c.get((w, len(w)), []) + [w]
            return a, b, c
        """
    code = _same_results(GROUP, source.replace("c[w, len(w)]", "c[w]").replace("(w, len(w))", "w"), "group",
                         [([("x", "1"), ("x", "2"), ("y",)], ["ab", "ab", "c"]), ([], [])])
    assert "        # bucket per first field\n        a.setdefault(p[0], set()).add(p)\n" in code
    assert "b.setdefault(w, []).append((w, 1))" in code
    assert "c.setdefault(w, []).append(w)" in code


def test_grouping_leaves_near_misses_alone():
    for source in (
        # the key is a call: evaluated three times in the original
        """
        def f(words: list[str]):
            d = {}
            for w in words:
                if w.lower() not in d:
                    d[w.lower()] = []
                d[w.lower()].append(w)
            return d
        """,
        # different keys in test and store
        """
        def f(words: list[str], other: str):
            d = {}
            for w in words:
                if w not in d:
                    d[other] = []
                d[w].append(w)
            return d
        """,
        # the dict is a parameter of unknown type (a subclass could override __contains__)
        """
        def f(words: list[str], d):
            for w in words:
                if w in d:
                    d[w].append(w)
                else:
                    d[w] = [w]
            return d
        """,
        # a bucket escapes before the loop ends: fresh lists were observable
        """
        def f(words: list[str]):
            d = {}
            firsts = []
            for w in words:
                d[w] = d.get(w, []) + [w]
                firsts.append(d[w])
            return firsts
        """,
        # the item may fail after setdefault inserted the empty bucket
        """
        def f(words: list[str]):
            d = {}
            for w in words:
                if w in d:
                    d[w].append(int(w))
                else:
                    d[w] = [int(w)]
            return d
        """,
        # the miss branch stores a different value than the hit branch appends
        """
        def f(words: list[str]):
            d = {}
            for w in words:
                if w in d:
                    d[w].append(w)
                else:
                    d[w] = [0]
            return d
        """,
    ):
        _unchanged(GROUP, source)


# --- heap-for-repeated-min ---

HEAP = "heap-for-repeated-min"


def test_heap_rule_rewrites_index_pops_and_keeps_results():
    source = """
        def drain(tasks: list[int], extra: int):
            q = sorted(tasks)
            order = []
            while q:
                t = q.pop(q.index(min(q)))
                order.append(t)
                if t % 3 == 0 and t > 0:
                    q.append(t // 3 + extra)
            return order, len(q)
        """
    code = _same_results(HEAP, source, "drain", [([9, 3, 27, 5, 3], 1), ([], 2), ([0], 0)])
    assert code.startswith("\nimport heapq\n")
    assert "    q = sorted(tasks)\n    heapq.heapify(q)\n" in code
    assert "        t = heapq.heappop(q)\n" in code and "heapq.heappush(q, t // 3 + extra)" in code


def test_heap_rule_leaves_order_dependent_or_unsafe_queues_alone():
    for source in (
        # the queue is iterated: its order is observed
        """
        def f(xs: list[int]):
            q = list(xs)
            while len(q) > 1:
                a = min(q)
                q.remove(a)
            return [x for x in q]
        """,
        # a float is pushed: nan would break the heap order
        """
        def f(xs: list[int]):
            q = list(xs)
            while len(q) > 1:
                a = min(q)
                q.remove(a)
                q.append(a / 2)
            return len(q)
        """,
        # the pop is conditional, outside the guarded sequence
        """
        def f(xs: list[int], flag: bool):
            q = list(xs)
            while len(q) > 1:
                if flag:
                    a = min(q)
                    q.remove(a)
                q.append(1)
            return len(q)
        """,
        # min and remove of different values
        """
        def f(xs: list[int], other: int):
            q = list(xs)
            while q:
                a = min(q)
                q.remove(other)
            return len(q)
        """,
        # the queue is handed to unknown code
        """
        def f(xs: list[int], show):
            q = list(xs)
            while q:
                a = min(q)
                q.remove(a)
                show(q)
            return 0
        """,
        # heapq is something else here
        """
        from mylib import queue_tools as heapq
        def f(xs: list[int]):
            q = list(xs)
            while q:
                a = min(q)
                q.remove(a)
            return len(q)
        """,
    ):
        _unchanged(HEAP, source)


# --- bisect-for-sorted-search ---

BISECT = "bisect-for-sorted-search"


def test_bisect_rule_turns_counts_over_a_sorted_list_into_searches():
    source = """
        def counts(xs: list[int], qs: list[int], words: list[str], w: str):
            s = list(xs)
            s.sort()
            below = [sum(1 for x in s if x < q) for q in qs]
            upto = [sum(1 for x in s if q >= x) for q in qs]
            above = [sum(1 for x in s if x > q) for q in qs]
            ordered = sorted(words)
            after = sum(1 for v in ordered if w <= v)
            return below, upto, above, after
        """
    inputs = [([5, 1, 3, 3], [0, 3, 4, 9], ["b", "a", "c"], "b"), ([], [1], [], "")]
    code = _same_results(BISECT, source, "counts", inputs)
    assert "below = [bisect.bisect_left(s, q) for q in qs]" in code
    assert "upto = [bisect.bisect_right(s, q) for q in qs]" in code
    assert "above = [len(s) - bisect.bisect_right(s, q) for q in qs]" in code
    assert "after = len(ordered) - bisect.bisect_left(ordered, w)" in code


def test_bisect_rule_leaves_unsorted_or_mismatched_searches_alone():
    for source in (
        # sorted, then changed
        """
        def f(xs: list[int], q: int):
            s = sorted(xs)
            s[0] = 99
            return sum(1 for x in s if x < q)
        """,
        # sorted only after being searched
        """
        def f(xs: list[int], q: int):
            s = list(xs)
            n = sum(1 for x in s if x < q)
            s.sort()
            return n, s
        """,
        # a key makes the order differ from the comparison's
        """
        def f(xs: list[int], q: int):
            s = sorted(xs, key=abs)
            return sum(1 for x in s if x < q)
        """,
        # the loop counts the items that pass the break test from the start: not a prefix
        """
        def f(xs: list[int], q: int):
            s = sorted(xs)
            count = 0
            for x in s:
                if x < q:
                    break
                count += 1
            return count
        """,
        # the loop variable is read after the loop
        """
        def f(xs: list[int], q: int):
            s = sorted(xs)
            count = 0
            for x in s:
                if x >= q:
                    break
                count += 1
            return count, x
        """,
        # strs against ints
        """
        def f(xs: list[str], q: int):
            s = sorted(xs)
            return sum(1 for x in s if x < q)
        """,
    ):
        _unchanged(BISECT, source)


# --- hash-complement-pair-search ---

PAIRS = "hash-complement-pair-search"


def test_pair_count_rule_counts_complements_with_fresh_names():
    source = """
        def pairs(values: tuple[int, ...], goal: int):
            x = "taken"
            hits = 2
            # every unordered pair
            for a in range(len(values)):
                for b in range(a + 1, len(values)):
                    if goal == values[b] + values[a]:
                        hits += 1
            return hits, x
        """
    rng = random.Random(5)
    inputs = [(tuple(rng.randrange(-4, 4) for _ in range(n)), rng.randrange(-3, 3)) for n in (0, 1, 2, 9, 40)]
    code = _same_results(PAIRS, source, "pairs", inputs)
    assert "    # every unordered pair\n    seen = {}\n    for x_2 in values:\n" in code
    assert "hits += seen.get(goal - x_2, 0)" in code


def test_pair_count_rule_leaves_near_misses_alone():
    for source in (
        # the items are of unknown type
        """
        def f(xs, t):
            n = 0
            for i in range(len(xs)):
                for j in range(i + 1, len(xs)):
                    if xs[i] + xs[j] == t:
                        n += 1
            return n
        """,
        # the target changes inside the loops' function
        """
        def f(xs: list[int], t: int):
            t = t * 2
            n = 0
            for i in range(len(xs)):
                for j in range(i + 1, len(xs)):
                    if xs[i] + xs[j] == t:
                        n += 1
            return n
        """,
        # more in the body than the count
        """
        def f(xs: list[int], t: int, out: list[int]):
            n = 0
            for i in range(len(xs)):
                for j in range(i + 1, len(xs)):
                    if xs[i] + xs[j] == t:
                        n += 1
                        out.append(i)
            return n
        """,
        # a difference, not a sum
        """
        def f(xs: list[int], t: int):
            n = 0
            for i in range(len(xs)):
                for j in range(i + 1, len(xs)):
                    if xs[i] - xs[j] == t:
                        n += 1
            return n
        """,
    ):
        _unchanged(PAIRS, source)


# --- avoid-repeated-len-and-attribute ---

ATTRS = "avoid-repeated-len-and-attribute"


def test_attribute_rule_reads_plain_attributes_once_per_loop():
    source = """
        class Board:
            def __init__(self, rows: list, scale: int):
                self.rows = [list(r) for r in rows]
                self.scale = scale

            def score(self):
                out = []
                for r in range(len(self.rows)):
                    out.append(sum(self.rows[r]) * self.scale)
                return out + [self.scale]

        def run(rows, scale):
            return Board(rows, scale).score()
        """
    code = _same_results(ATTRS, source, "run", [([[1, 2], [3]], 2), ([], 5)])
    assert "        rows = self.rows\n        scale = self.scale\n        rows_len = len(rows)\n" in code
    assert "for r in range(rows_len):\n            out.append(sum(rows[r]) * scale)" in code
    assert "return out + [self.scale]" in code


def test_attribute_rule_leaves_unprovable_attributes_alone():
    for source in (
        # a subclass in the module may turn the attribute into a property
        """
        class A:
            def __init__(self, xs: list):
                self.xs = list(xs)
            def f(self):
                return [x for x in range(len(self.xs))]
        class B(A):
            pass
        """,
        # the class hooks attribute access
        """
        class A:
            def __init__(self, xs: list):
                self.xs = list(xs)
            def __getattr__(self, name):
                return 0
            def f(self):
                return [self.xs[i] for i in range(3)]
        """,
        # the attribute's value is of unknown type
        """
        class A:
            def __init__(self, xs):
                self.xs = xs
            def f(self):
                return [self.xs[i] for i in range(3)]
        """,
        # set twice in the class
        """
        class A:
            def __init__(self, xs: list):
                self.xs = list(xs)
            def reset(self):
                self.xs = []
            def f(self):
                return [self.xs[i] for i in range(3)]
        """,
        # the loop deletes items: the size changes
        """
        class A:
            def __init__(self, xs: list):
                self.xs = list(xs)
            def f(self):
                while len(self.xs) > 1:
                    del self.xs[0]
        """,
    ):
        _unchanged(ATTRS, source)


def test_rules_refuse_names_held_in_containers():
    """A name placed in a display gets a second reference that can change it in place."""
    _unchanged("dict-index-for-repeated-search", """\
        def f(rows, qs):
            box = [rows]
            out = []
            for q in qs:
                for row in rows:
                    if row == q:
                        out.append(row)
                box[0][0] = q
            return out
        """, {"f": {"rows": "list[int]", "qs": "list[int]"}})
    _unchanged("bisect-for-sorted-search", """\
        def f(xs, q):
            s = sorted(xs)
            box = (s, 0)
            box[0][0] = 100
            return sum(1 for x in s if x < q)
        """, {"f": {"xs": "list[int]", "q": "int"}})
    observed = {"f": {"xs": "list[int]", "qs": "list[int]"}}
    _unchanged("sort-once-outside-loop", """\
        def f(xs, qs):
            out = []
            for q in qs:
                r = sorted(xs)
                out += [r]
            out[0].append(99)
            return out
        """, observed)
    _unchanged("sort-once-outside-loop", """\
        def f(xs, qs):
            box = [xs]
            res = []
            for q in qs:
                res.append(sorted(xs)[0])
                box[0][0] = q
            return res
        """, observed)
    for stored in ("out.append(r)", "out.append((r, q))", "out += [{q: r}]", "d = r"):
        _unchanged("sort-once-outside-loop", f"""\
            def f(xs, qs):
                out = []
                for q in qs:
                    r = sorted(xs)
                    {stored}
                return out
            """, observed)


def test_attribute_rule_keeps_len_of_an_aliased_list():
    """An alias grows the list in place inside the loop, so its size must be read each time."""
    for alias in ("x = self.samples", "x = [self.samples][0]", "x = self.samples or []", "x = keep(self.samples)"):
        source = f"""
            def keep(v):
                return v

            class Box:
                def __init__(self):
                    self.samples = [1, 2]

                def grow(self):
                    {alias}
                    i = 0
                    while i < len(self.samples) and i < 5:
                        x += [0]
                        i += 1
                    return i

            def run():
                return Box().grow()
            """
        outcome = _apply(ATTRS, source)
        assert outcome.error == "" and "_len" not in outcome.code, outcome.code
        namespace: dict = {}
        exec(outcome.code, namespace)
        assert namespace["run"]() == 5


# --- builtin-reductions: a flag set without break ---

def test_flag_loop_without_break_over_numbers_becomes_any_and_all():
    source = """
    def overdrawn(balances):
        found = False
        for b in balances:
            if b < 0:
                found = True
        return found

    def all_small(xs):
        ok = True
        for x in xs:
            if not -1.5 <= x < 10:
                ok = False
        return ok
    """
    observed = {"overdrawn": {"balances": "list[float]"}, "all_small": {"xs": "tuple[int, ...]"}}
    code = _same_results(REDUCE, source, "overdrawn", [([],), ([1.0, -2.0, float("nan")],), ([3.5],)], observed)
    assert "found = any(b < 0 for b in balances)" in code
    assert "ok = all(not (not -1.5 <= x < 10) for x in xs)" in code
    _same_results(REDUCE, source, "all_small", [((),), ((1, 2, 11),), ((0, -2),)], observed)


def test_flag_loop_without_break_is_left_alone_where_later_items_could_raise_or_be_consumed():
    source = """
    def overdrawn(balances):
        found = False
        for b in balances:
            if b < 0:
                found = True
        return found
    """
    # ``None < 0`` after a hit raises in the loop; any() would have stopped before it
    _unchanged(REDUCE, source, {"overdrawn": {"balances": "list[object]"}})
    _unchanged(REDUCE, source)
    # an iterator: any() would leave the rest unconsumed for the caller
    _unchanged(REDUCE, source, {"overdrawn": {"balances": "Iterator[int]"}})
    # a condition that calls code runs on every item in the loop, not after the hit in any()
    _unchanged(REDUCE, """
    def overdrawn(balances, limit):
        found = False
        for b in balances:
            if b < limit(b):
                found = True
        return found
    """, {"overdrawn": {"balances": "list[int]"}})


# --- builtin-reductions: loops over ``range(len(xs))`` that read ``xs[i]`` ---

def test_index_loops_over_a_sequence_reduce_like_loops_over_its_items():
    source = """
    def stats(xs, names):
        total = 0
        for i in range(len(xs)):
            total += xs[i]
        big = 0
        for i in range(len(xs)):
            if xs[i] > 5:
                big = big + xs[i] * 2
        first = names[0]
        for j in range(len(names)):
            if names[j] < first:
                first = names[j]
        return total, big, first
    """
    observed = {"stats": {"xs": "list[int]", "names": "tuple[str, ...]"}}
    inputs = [([1, 7, 9], ("b", "a", "c")), ([], ("z",)), ([6], ("y", "x"))]
    code = _same_results(REDUCE, source, "stats", inputs, observed)
    assert "total = sum(xs)" in code
    assert "big = sum(item * 2 for item in xs if item > 5)" in code
    assert "first = min(names)" in code


def test_index_loops_that_use_the_index_itself_or_a_changing_or_unordered_container_keep_it():
    # the index is read as a number, or a neighbour is read: the sum keeps the range
    source = """
        def f(xs):
            total = 0
            for i in range(len(xs)):
                total += xs[i] * i
            step = 0
            for i in range(len(xs)):
                step += xs[i - 1]
            return total, step
        """
    code = _same_results(REDUCE, source, "f", [([3, 1, 2],), ([],), ([5],)], {"f": {"xs": "list[int]"}})
    assert "total = sum(xs[i] * i for i in range(len(xs)))" in code
    assert "step = sum(xs[i - 1] for i in range(len(xs)))" in code
    for source, observed in (
        # a dict: ``d[i]`` for i in range(len(d)) reads keys 0..n-1, not its items
        ("""
        def f(d):
            total = 0
            for i in range(len(d)):
                total += d[i]
            return total
        """, {"f": {"d": "dict[int, int]"}}),
        # the list is changed in the function: its items are not proven ints at the loop
        ("""
        def f(xs, extra):
            xs.append(extra)
            total = 0
            for i in range(len(xs)):
                total += xs[i]
            return total
        """, {"f": {"xs": "list[int]"}}),
    ):
        _unchanged(REDUCE, source, observed)


# --- hash-complement-pair-search: the first pair, returned ---

def test_first_pair_search_returns_the_loops_first_pair_through_a_length_local():
    source = """
        def find_pair(prices, budget):
            n = len(prices)
            for i in range(n):
                for j in range(i + 1, n):
                    if prices[i] + prices[j] == budget:
                        return (i, j)
            return None

        def first_total(xs: tuple[int, ...], t: int):
            for a in range(len(xs)):
                for b in range(a + 1, len(xs)):
                    if t == xs[b] + xs[a]:
                        return xs[a] * 100 + xs[b]
            return -1
        """
    observed = {"find_pair": {"prices": "list[int]", "budget": "int"}}
    rng = random.Random(7)
    inputs = [([rng.randrange(-5, 6) for _ in range(n)], rng.randrange(-6, 7)) for n in (0, 1, 2, 3, 8, 30) for _ in range(4)]
    inputs.append(([3, 3, 3, 1, 5], 6))  # repeated values: the first partner after i, not i itself
    code = _same_results(PAIRS, source, "find_pair", inputs, observed)
    assert "    n = len(prices)\n    positions = {}\n    for position, x in enumerate(prices):\n" in code
    assert "later = positions.get(budget - prices[i], ())" in code
    assert code.count("import bisect") == 1
    _same_results(PAIRS, source, "first_total", [(tuple(xs), t) for xs, t in inputs], observed)


def test_first_pair_search_leaves_other_lengths_and_bodies_alone():
    observed = {"f": {"xs": "list[int]", "ys": "list[int]", "t": "int"}}
    for source in (
        # the length of another list
        """
        def f(xs, ys, t):
            n = len(ys)
            for i in range(n):
                for j in range(i + 1, n):
                    if xs[i] + xs[j] == t:
                        return i, j
        """,
        # the length local is rebound
        """
        def f(xs, ys, t):
            n = len(xs)
            n = n - 1
            for i in range(n):
                for j in range(i + 1, n):
                    if xs[i] + xs[j] == t:
                        return i, j
        """,
        # the list changes: its length is not the local's
        """
        def f(xs, ys, t):
            n = len(xs)
            xs.append(t)
            for i in range(n):
                for j in range(i + 1, n):
                    if xs[i] + xs[j] == t:
                        return i, j
        """,
        # more than the return in the body
        """
        def f(xs, ys, t):
            for i in range(len(xs)):
                for j in range(i + 1, len(xs)):
                    if xs[i] + xs[j] == t:
                        ys.append(i)
                        return i, j
        """,
        # the inner loop variable is read after the loops
        """
        def f(xs, ys, t):
            j = 0
            for i in range(len(xs)):
                for j in range(i + 1, len(xs)):
                    if xs[i] + xs[j] == t:
                        return i, j
            return j
        """,
    ):
        _unchanged(PAIRS, source, observed)


def test_column_sums_over_rows_reduce_when_nothing_can_change_the_rows():
    source = """
    def column_totals(table):
        if not table:
            return []
        width = len(table[0])
        totals = []
        for c in range(width):
            s = 0
            for r in range(len(table)):
                s += table[r][c]
            totals.append(s)
        return totals
    """
    observed = {"column_totals": {"table": "list[list[int]]"}}
    inputs = [([[1, 2], [3, 4], [5, 6]],), ([],), ([[7]],), ([[1, 2], [3]],)]  # a short row: IndexError
    code = _same_results(REDUCE, source, "column_totals", inputs, observed)
    assert "        s = sum(item[c] for item in table)\n" in code
    _unchanged(REDUCE, source, {"column_totals": {"table": "list[list[float]]"}})


def test_column_sums_keep_their_loop_where_a_row_could_hold_something_else_by_then():
    observed = {"f": {"table": "list[list[int]]"}}
    for change in ("table[0].append(0.5)", "first = table[0]\n    first.append(0.5)", "table[0][0] = 0.5"):
        _unchanged(REDUCE, f"""
def f(table):
    {change}
    totals = []
    for c in range(len(table[0])):
        s = 0
        for row in table:
            s += row[c]
        totals.append(s)
    return totals
""", observed)


def test_running_extremes_of_floats_with_a_strict_comparison_become_min_and_max():
    source = """
    def summarize(readings):
        low = readings[0]
        for r in readings:
            if r < low:
                low = r
        high = None
        for r in readings:
            if high is None or high < r:
                high = r
        return repr((low, high))  # tells -0.0 from 0.0
    """
    observed = {"summarize": {"readings": "list[float]"}}
    nan = float("nan")
    inputs = [([2.5, -1.0, 3.0],), ([nan, 1.0, 0.0],), ([1.0, nan, -2.0],), ([0.0, -0.0],), ([-0.0, 0.0],), ([],)]
    code = _same_results(REDUCE, source, "summarize", inputs, observed)
    assert "low = readings[0]\n    low = min(readings)\n" in code
    assert "high = max(readings, default=None)" in code
    # a tie keeps the later of 0.0 and -0.0 in the loop, the first in min
    _unchanged(REDUCE, """
    def low(readings):
        best = readings[0]
        for r in readings:
            if r <= best:
                best = r
        return best
    """, observed={"low": {"readings": "list[float]"}})
