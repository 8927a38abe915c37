"""Rules for numbers, sums and I/O: each rewrite exact where proven, absent where not."""

from __future__ import annotations

import textwrap

import pytest

from polca.skills.rules import apply_rule
from tests.fixtures.rules import REGISTRY
from tests.fixtures.rules import apply as _apply
from tests.fixtures.rules import run as _run
from tests.fixtures.rules import same_behaviour as _same_results
from tests.fixtures.rules import unchanged as _unchanged

# ---- math-builtins ----

def test_modular_power_loop_becomes_pow_guarded_for_non_positive_exponents():
    source = """
    def f(b: int, e: int, m: int):
        r = 1 % m
        # square-free
        for _ in range(e):
            r = (r * b) % m
        return r
    """
    code = _same_results("math-builtins", source, "f",
                         [(3, 10, 7), (3, 0, 1), (2, -3, 5), (5, 4, -7), (2, 3, 0), (0, 0, 9)])
    assert "    r = 1 % m\n    # square-free\n    if e > 0:\n        r = pow(b, e, m)\n" in code


def test_modular_power_with_literal_modulus_and_observed_types():
    source = """
    MOD = 7
    def f(b, e):
        acc = 1
        for k in range(e):
            acc = b * acc % 1000000007
        return acc
    """
    observed = {"f": {"b": "int", "e": "int"}}
    code = _same_results("math-builtins", source, "f", [(3, 100), (10**12, 5), (2, 0), (2, -1)], observed)
    assert "pow(b, e, 1000000007)" in code
    _unchanged("math-builtins", source)  # no types: b might be a float


def test_factorial_loop_becomes_math_factorial_with_import():
    source = """
    \"\"\"Doc.\"\"\"
    def f(n: int):
        total = 1
        for i in range(2, n + 1):
            total = total * i
        return total
    """
    code = _same_results("math-builtins", source, "f", [(0,), (1,), (2,), (10,), (-4,)])
    assert '"""Doc."""\nimport math\ndef f' in code
    assert "if n > 0:\n        total = math.factorial(n)" in code


def test_product_loop_over_numbers_becomes_math_prod():
    source = """
    def f(xs: list[float]):
        p = 1
        for x in xs:
            p *= x
        return p
    """
    code = _same_results("math-builtins", source, "f", [([],), ([1.5, 2.0, -3.25],), ([1e308, 10.0],)])
    assert "p = math.prod(xs)" in code


def test_math_builtins_leaves_near_misses_alone():
    _unchanged("math-builtins", """
    def float_modulus(b: int, e: int, m: float):
        r = 1 % m
        for _ in range(e):
            r = r * b % m
        return r
    """)
    _unchanged("math-builtins", """
    def pow_shadowed(b: int, e: int, m: int, pow):
        r = 1 % m
        for _ in range(e):
            r = r * b % m
        return r
    """)
    _unchanged("math-builtins", """
    import numpy as math
    def math_is_numpy(n: int):
        f = 1
        for i in range(1, n + 1):
            f *= i
        return f
    """)
    _unchanged("math-builtins", """
    def body_reads_counter(b: int, e: int, m: int):
        r = 1 % m
        for k in range(e):
            r = r * k % m
        return r
    """)
    _unchanged("math-builtins", """
    def rebound_param(xs: list[int]):
        p = 1
        xs = [str(x) for x in xs]
        for x in xs:
            p *= x
        return p
    """)
    _unchanged("math-builtins", """
    def starts_at_zero(n: int):
        f = 1
        for i in range(0, n + 1):
            f *= i
        return f
    """)


# ---- top-k-with-heapq ----

def test_top_k_literal_becomes_nlargest_and_nsmallest_with_ties_kept():
    source = """
    def f(rows: list[tuple[int, str]]):
        return sorted(rows, reverse=True)[:2], sorted(rows, reverse=False)[:3], sorted(rows)[:0]
    """
    rows = [(1, "a"), (3, "b"), (3, "b"), (2, "z"), (3, "a")]
    code = _same_results("top-k-with-heapq", source, "f", [(rows,), ([],), (rows[:1],)])
    assert "heapq.nlargest(2, rows), heapq.nsmallest(3, rows), heapq.nsmallest(0, rows)" in code


def test_top_k_by_a_name_keeps_the_slice_for_negative_k():
    source = """
    import heapq
    def f(words: list[str], k: int):
        return sorted(words, key=len, reverse=True)[:k]
    """
    words = ["bb", "a", "ccc", "dd", "e", "fff"]
    inputs = [(words, k) for k in (-7, -2, 0, 1, 3, 6, 9)]
    code = _same_results("top-k-with-heapq", source, "f", inputs)
    assert "heapq.nlargest(k, words, key=len) if k >= 0 else sorted(words, key=len, reverse=True)[:k]" in code
    assert code.count("import heapq") == 1


def test_top_k_uses_observed_element_types():
    source = """
    def f(xs, k):
        return sorted(xs)[:k]
    """
    observed = {"f": {"xs": "list[str]", "k": "int"}}
    _same_results("top-k-with-heapq", source, "f", [(["b", "a", "c"], 2), (["x"], -1)], observed)
    _unchanged("top-k-with-heapq", source, {"f": {"xs": "list[float]", "k": "int"}})


def test_top_k_leaves_near_misses_alone():
    _unchanged("top-k-with-heapq", """
    def heapq_is_something_else(xs: list[int], heapq):
        return sorted(xs)[:3]
    """)
    _unchanged("top-k-with-heapq", """
    def reverse_is_computed(xs: list[int], flag):
        return sorted(xs, reverse=flag)[:3]
    """)
    _unchanged("top-k-with-heapq", """
    def rebound(xs: list[int]):
        xs = [float(x) for x in xs]
        return sorted(xs)[:3]
    """)
    _unchanged("top-k-with-heapq", """
    def untyped_k(xs: list[int], k):
        return sorted(xs)[:k]
    """)
    # sorted calls len on each element even for k == 0 (TypeError for ints); heapq returns []
    for kind in ("list[int]", "list[object]", "list"):
        _unchanged("top-k-with-heapq", """
        def f(xs, k):
            return sorted(xs, key=len)[:k]
        """, {"f": {"xs": kind, "k": "int"}})


# ---- prefix-sums-for-range-queries ----

def test_range_sums_in_a_loop_use_prefix_sums_with_slice_semantics():
    source = """
    \"\"\"Module.\"\"\"
    import itertools


    def f(values: list[int], queries):
        \"\"\"Doc.\"\"\"
        out = []
        for lo, hi in queries:
            out.append(sum(values[lo:hi]) + sum(values[:hi]) - sum(values[lo:]))
        return out
    """
    values = [5, -3, 8, 0, 2, 7]
    queries = [(0, 6), (2, 4), (-3, -1), (4, 2), (-100, 100), (6, 6), (1, -1), (None, 3)]
    code = _same_results("prefix-sums-for-range-queries", source, "f", [(values, queries), ([], queries)])
    assert ('    """Doc."""\n    values_prefix = [0, *itertools.accumulate(values)] '
            'if all(type(v) is int for v in values) else None\n') in code
    assert "_slice_sum(values_prefix, values, lo, hi) + _slice_sum(values_prefix, values, None, hi)" in code
    assert code.count("import itertools") == 1 and code.count("def _slice_sum") == 1


def test_range_sums_over_floats_stay_the_sums_of_each_slice():
    """A prefix difference of floats rounds differently from ``sum`` of the slice
    (``[1e16, 1.0, 1.0]``: the last two sum to 2.0, their prefix difference is 0.0), so the
    prefix is only used when every item is an int; floats, bools and ints beside floats are
    summed slice by slice as before."""
    source = """
    def f(values: list[float], queries):
        return [sum(values[lo:hi]) for lo, hi in queries]
    """
    queries = [(1, 3), (0, 2), (2, 3), (0, 3), (-2, None)]
    calls = [([1e16, 1.0, 1.0, 0.5], queries), ([3, 1e16, 1.0, 1.0], queries), ([1, 2, 3], queries),
             ([True, 2, 3.5], queries)]
    code = _same_results("prefix-sums-for-range-queries", source, "f", calls)
    assert _run(code, "f", [1e16, 1.0, 1.0], [(1, 3)]) == ("ok", [2.0])
    # ints beside floats are observed as list[float]: the same guarded form
    observed = {"f": {"values": "list[float]"}}
    mixed = _same_results("prefix-sums-for-range-queries", source.replace(": list[float]", ""), "f", calls, observed)
    assert "if all(type(v) is int for v in values) else None" in mixed


def test_range_sums_with_observed_types_in_two_functions_share_one_helper():
    source = """
    def f(xs, qs):
        return [sum(xs[a:b]) for a, b in qs]

    def g(xs, qs):
        return [sum(xs[a:b]) for a, b in qs]
    """
    observed = {"f": {"xs": "list[int]"}, "g": {"xs": "list[int]"}}
    code = _same_results("prefix-sums-for-range-queries", source, "f", [([1, 2, 3], [(0, 2), (1, 9)])], observed)
    assert code.count("def _slice_sum") == 1 and code.count("xs_prefix = ") == 2


def test_range_sums_left_alone_when_unproven():
    _unchanged("prefix-sums-for-range-queries", """
    def rebound(values: list[int], queries):
        values = sorted(values)
        return [sum(values[lo:hi]) for lo, hi in queries]
    """)
    _unchanged("prefix-sums-for-range-queries", """
    def handed_out(values: list[int], queries, hook):
        out = []
        for lo, hi in queries:
            hook(values)
            out.append(sum(values[lo:hi]))
        return out
    """)
    _unchanged("prefix-sums-for-range-queries", """
    def sum_shadowed(values: list[int], queries, sum):
        return [sum(values[lo:hi]) for lo, hi in queries]
    """)
    _unchanged("prefix-sums-for-range-queries", """
    def in_a_lambda(values: list[int], queries):
        return list(map(lambda q: sum(values[q[0]:q[1]]), queries))
    """)
    _unchanged("prefix-sums-for-range-queries", """
    def _slice_sum(a, b, c):
        return 0

    def f(values: list[int], queries):
        return [sum(values[lo:hi]) for lo, hi in queries]
    """)


# ---- closed-form-arithmetic ----

def test_sums_over_ranges_become_exact_closed_forms_for_every_int_bound():
    source = """
    def f(a: int, b: int):
        return (sum(range(b)) * 2, sum(range(a, b)), sum(i * i for i in range(a, b)),
                sum(i ** 2 for i in range(b)), sum(i for i in range(b) if i % 7 == 0))
    """
    inputs = [(a, b) for a in (-9, -1, 0, 3) for b in (-5, 0, 1, 2, 10, 23)]
    code = _same_results("closed-form-arithmetic", source, "f", inputs)
    assert "((b * (b - 1) // 2 if b > 0 else 0) * 2, " in code


def test_accumulating_loops_become_one_guarded_addition():
    source = """
    def f(xs, start: int):
        total = 5
        for i in range(start, len(xs)):
            total = total + i * i
        evens = 0
        # multiples of four
        for k in range(len(xs)):
            if k % 4 == 0:
                evens += k
        return total, evens
    """
    inputs = [(list(range(n)), s) for n in (0, 1, 4, 9, 30) for s in (-3, 0, 2, 40)]
    code = _same_results("closed-form-arithmetic", source, "f", inputs)
    assert "    evens = 0\n    # multiples of four\n    if len(xs) > 0:\n        evens += 4 * (" in code


def test_range_bounds_with_int_arithmetic_are_parenthesized_in_the_closed_form():
    source = """
    def f(n):
        total = 0
        for i in range(1, n + 1):
            total = total + i * i
        return total, sum(k for k in range(2 * n - 1))
    """
    code = _same_results("closed-form-arithmetic", source, "f", [(n,) for n in (-4, -1, 0, 1, 2, 7, 30)],
                         {"f": {"n": "int"}})
    assert "if (n + 1) > 1:" in code and "(2 * n - 1) * ((2 * n - 1) - 1) // 2" in code


def test_range_bounds_with_calls_or_division_are_left_alone():
    _unchanged("closed-form-arithmetic", """
    def f(n, g):
        return sum(range(g(n) + 1))
    """, {"f": {"n": "int"}})
    _unchanged("closed-form-arithmetic", """
    def f(n):
        return sum(range(n // 2 + 1)), sum(range(n + 0.5))
    """, {"f": {"n": "int"}})
    _unchanged("closed-form-arithmetic", """
    def f(n):
        return sum(range(n + 1))
    """, {"f": {"n": "float"}})


def test_closed_form_uses_observed_types_and_leaves_near_misses_alone():
    source = """
    def f(n):
        return sum(range(n))
    """
    _same_results("closed-form-arithmetic", source, "f", [(5,), (-2,)], {"f": {"n": "int"}})
    _unchanged("closed-form-arithmetic", source)
    _unchanged("closed-form-arithmetic", source, {"f": {"n": "float"}})
    _unchanged("closed-form-arithmetic", """
    def lambda_shadows(n: int):
        return list(map(lambda n: sum(range(n)), [n]))
    """)
    _unchanged("closed-form-arithmetic", """
    def filter_is_not_zero(n: int):
        return sum(i for i in range(n) if i % 3 == 1)
    """)
    _unchanged("closed-form-arithmetic", """
    def accumulator_not_fresh(n: int, total: int):
        for i in range(n):
            total += i
        return total
    """)
    _unchanged("closed-form-arithmetic", """
    def early_exit(n: int):
        total = 0
        for i in range(n):
            if i % 2 == 0:
                total += i
                break
        return total
    """)
    _unchanged("closed-form-arithmetic", """
    def bound_is_rebound(n: int):
        n = n / 2
        return sum(range(n))
    """)


# ---- sieve-for-repeated-primality ----

_TRIAL_DIVISION = """
import math

def is_prime(n):
    if n <= 1:
        return False
    if n == 2:
        return True
    if n % 2 == 0:
        return False
    for d in range(3, math.isqrt(n) + 1, 2):
        if n % d == 0:
            return False
    return True
"""


def test_primality_tests_in_range_loops_read_a_sieve_and_fall_back_outside_it():
    source = _TRIAL_DIVISION + """
def f(lo: int, hi: int):
    count = 0
    for x in range(lo, hi):
        if is_prime(x):
            count += 1
    return count, [y for y in range(hi) if not is_prime(y)][:5]
"""
    inputs = [(-5, 0), (0, 1), (0, 2), (-10, 50), (7, 3), (0, 1000)]
    code = _same_results("sieve-for-repeated-primality", source, "f", inputs)
    assert "    count = 0\n    prime_flags = _prime_flags(hi)\n    for x in range(lo, hi):\n" in code
    assert "    prime_flags = _prime_flags(hi)\n    return count" in code
    assert "(prime_flags[x] == 1 if 0 <= x < len(prime_flags) else is_prime(x))" in code


def test_primality_tests_over_observed_int_lists_return_bools():
    source = _TRIAL_DIVISION + """
def f(xs):
    return [is_prime(x) for x in xs]
"""
    observed = {"f": {"xs": "list[int]"}}
    code = _same_results("sieve-for-repeated-primality", source, "f",
                         [([],), ([-3, 0, 1, 2, 3, 4, 97, 91],), ([10**7 + 19, 2],)], observed)
    assert "max(xs, default=-1) + 1" in code
    _unchanged("sieve-for-repeated-primality", source)  # xs could hold anything


def test_sieve_rule_leaves_near_misses_alone():
    for body in ("""
def f(xs: list[int]):
    xs.append(4)
    return [is_prime(x) for x in xs]
""", """
def f(n: int):
    return [is_prime(x * 2) for x in range(n)]
""", """
def f(n: int, is_prime):
    return [is_prime(x) for x in range(n)]
""", """
def f(n: int):
    out = []
    for x in range(n):
        x = x + 1
        out.append(is_prime(x))
    return out
""", """
def prime_flags():
    return 0

def f(n: int):
    return [is_prime(x) for x in range(n)]
"""):
        _unchanged("sieve-for-repeated-primality", _TRIAL_DIVISION + body)
    _unchanged("sieve-for-repeated-primality", """
def is_prime(n):
    if n < 2:
        return False
    for d in range(2, n):
        if n % d == 0:
            return False
    return False

def f(n: int):
    return [is_prime(x) for x in range(n)]
""")


def test_sieve_rule_ignores_a_call_in_the_loops_own_iterable():
    _unchanged("sieve-for-repeated-primality", _TRIAL_DIVISION + """
x = 7

def f(n: int):
    return [x for x in range(n, n + 3 * is_prime(x))]
""")


# ---- sort-key-over-cmp ----

_ROWS = [("bo", 3, 2), ("al", 3, 1), ("cy", 1, 2), ("al", 3, 2), ("di", 2, 1), ("bo", 1, 1), ("al", 3, 1)]


def test_comparator_levels_become_a_tuple_key_with_ties_in_original_order():
    source = """
    from functools import cmp_to_key

    def compare(x, y):
        if x[1] < y[1]:
            return 1
        if x[1] > y[1]:
            return -1
        if x[0] != y[0]:
            return (x[0] > y[0]) - (x[0] < y[0])
        return 0

    def f(rows: list[tuple[str, int, int]]):
        rows = list(rows)
        return sorted(rows, key=cmp_to_key(compare))
    """
    _unchanged("sort-key-over-cmp", source)  # rows is rebound: its elements are not proven
    source = source.replace("        rows = list(rows)\n", "")
    code = _same_results("sort-key-over-cmp", source, "f", [(_ROWS,), ([],)])
    assert "sorted(rows, key=lambda x: (-x[1], x[0]))" in code


def test_all_descending_levels_use_reverse_and_sort_in_place_is_handled():
    source = """
    import functools

    def newest_first(a, b):
        if a[2] != b[2]:
            return b[2] - a[2]
        return (b[0] > a[0]) - (b[0] < a[0])

    def by_length(a, b):
        return len(a) - len(b)

    def f(rows: list[tuple[str, int, int]], words: list[str]):
        ranked = sorted(rows, key=functools.cmp_to_key(newest_first))
        words.sort(key=functools.cmp_to_key(by_length))
        return ranked, words
    """
    words = ["ccc", "a", "bb", "dd", "e", ""]
    code = _same_results("sort-key-over-cmp", source, "f", [(_ROWS, list(words)), ([], [])])
    assert "sorted(rows, key=lambda a: (a[2], a[0]), reverse=True)" in code
    assert "words.sort(key=len)" in code


def test_sort_key_rule_leaves_near_misses_alone():
    head = "import functools\n\n"
    # a lone element never meets the comparator, but the key would call len on it
    for kind in ("list[int]", "list[float]", "list"):
        _unchanged("sort-key-over-cmp", head + """
def by_length(a, b):
    return len(a) - len(b)

def f(xs):
    return sorted(xs, key=functools.cmp_to_key(by_length))
""", {"f": {"xs": kind}})
    _unchanged("sort-key-over-cmp", head + """
def compare(a, b):
    return a[1] - b[0]

def f(rows: list[tuple[int, int]]):
    return sorted(rows, key=functools.cmp_to_key(compare))
""")
    _unchanged("sort-key-over-cmp", head + """
def compare(a, b):
    if a[1] < b[1]:
        return -1
    return 1

def f(rows: list[tuple[int, int]]):
    return sorted(rows, key=functools.cmp_to_key(compare))
""")
    _unchanged("sort-key-over-cmp", head + """
def compare(a, b):
    return a - b

def f(rows: list[int]):
    return sorted(rows, key=functools.cmp_to_key(compare), reverse=True)
""")
    _unchanged("sort-key-over-cmp", head + """
def compare(a, b):
    return a - b

compare = functools.partial(compare)

def f(rows: list[int]):
    return sorted(rows, key=functools.cmp_to_key(compare))
""")
    _unchanged("sort-key-over-cmp", """
import functools as functools_
functools = None

def compare(a, b):
    return a - b

def f(rows: list[int]):
    return sorted(rows, key=functools.cmp_to_key(compare))
""")


# ---- numpy-vectorize ----

def _numpy_inputs():
    import numpy as np

    rng = np.random.default_rng(5)
    floats = rng.normal(size=200) * 1e8
    out = [(floats, rng.normal(size=200), rng.integers(-3, 4, 200))]
    out.append((np.array([1e16, 1.0, -1e16, 1.0]), np.ones(4), np.array([1, 1, 1, 1])))
    out.append((rng.integers(0, 2**31 - 1, 50).astype(np.int32), np.ones(50, dtype=np.int32), np.ones(50, dtype=np.int64)))
    out.append((np.ones(5, dtype=np.float32) / 3, np.ones(5, dtype=np.float32), np.arange(5)))
    out.append(([1.0, 2.0], [3.0, 4.0], [1, 1]))  # lists: the guard keeps the loop
    out.append((np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2))))  # 2-D: the loop decides
    out.append((np.ones(3), np.ones(2), np.ones(3)))  # too short: IndexError from the loop
    out.append((np.zeros(0), np.zeros(0), np.zeros(0)))
    return out


def test_accumulating_numpy_loops_vectorise_with_the_loops_summation_order():
    source = """
    import numpy as np

    def f(a, b, c):
        total = 0
        for i in range(len(a)):
            if c[i] > 0 and a[i] > b[i] * 2:
                total = total + (a[i] * b[i] - 0.5 * c[i])
        dot = 0.0
        for j in range(len(a)):
            dot += a[j] * c[j]
        return total, dot
    """
    code = _same_results("numpy-vectorize", source, "f", _numpy_inputs())
    assert "mask = (c > 0) & (a > b * 2)" in code
    assert "terms = (a[mask] * b[mask] - 0.5 * c[mask])" in code
    assert "dot = np.add.accumulate(terms, dtype=np.result_type(dot, terms))[-1]" in code


def test_results_keep_the_loops_type_and_bits():
    import numpy as np

    source = """
    import numpy as np

    def f(a, b, c):
        total = 0
        for i in range(len(a)):
            total += a[i] * c[i]
        return total
    """
    code = _apply("numpy-vectorize", source).code
    for args in _numpy_inputs()[:4]:
        got, expected = _run(code, "f", *args), _run(textwrap.dedent(source), "f", *args)
        assert type(got[1]) is type(expected[1]) and (got[1] == expected[1] or np.isnan(expected[1]))


def test_numpy_vectorize_leaves_near_misses_alone():
    head = "import numpy as np\n\n"
    for body in ("""
def early_exit(a):
    total = 0.0
    for i in range(len(a)):
        if a[i] < 0:
            break
        total += a[i]
    return total
""", """
def float_division_by_an_untyped_name(a, n):
    total = 0.0
    for i in range(len(a)):
        total += a[i] / n
    return total
""", """
def counter_used_after(a):
    total = 0.0
    for i in range(len(a)):
        total += a[i]
    return total, i
""", """
def np_is_shadowed(a, np):
    total = 0.0
    for i in range(len(a)):
        total += a[i]
    return total
"""):
        _unchanged("numpy-vectorize", head + body)
    for term in ("t += 2", "if a[i] > 0:\n            t += k", "t = t + k * 2"):
        _unchanged("numpy-vectorize", f"""
import numpy as np

def scalar_term(a, k: int):
    t = 0
    for i in range(len(a)):
        {term}
    return t
""")
    _unchanged("numpy-vectorize", """
def no_numpy(a):
    total = 0.0
    for i in range(len(a)):
        total += a[i]
    return total
""")


def test_element_wise_stores_into_an_output_array_vectorise_under_the_guard():
    import numpy as np

    source = """
    import numpy as np

    def f(pixels, gain, out):
        lo = pixels.min()
        span = pixels.max() - lo
        for i in range(len(pixels)):
            out[i] = (pixels[i] - lo) / span * gain[i] + 0.5
        return repr(out.tolist()), out.dtype.str
    """
    rng = np.random.default_rng(3)
    ints = rng.integers(0, 255, 64)
    shared = np.arange(6, dtype=np.float64)
    inputs = [
        (ints, rng.normal(size=64), np.empty(64)),
        (ints.astype(np.float32), np.ones(64, dtype=np.float32), np.empty(64, dtype=np.float32)),
        (ints.astype(np.uint8), rng.normal(size=64), np.empty(64)),
        (np.array([1.0, np.inf, 3.0]), np.ones(3), np.empty(3)),
        ([3, 1, 2], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]),  # lists: the guard keeps the loop
        (ints, np.ones(64), np.empty(64, dtype=np.int64)),  # an int output: the loop's casts
        (ints[:4], np.ones(3), np.empty(4)),  # too short: the loop's IndexError
        (shared[:5], np.ones(5), shared[1:]),  # out overlaps the pixels: the loop's order
    ]
    code = _same_results("numpy-vectorize", source, "f", [args for args in inputs if not isinstance(args[0], list)]
                         + [(np.array(a), np.array(b), np.array(c)) for a, b, c in inputs if isinstance(a, list)])
    assert "        out[:] = (pixels - lo) / span * gain + 0.5\n" in code
    assert "np.may_share_memory(out, array)" in code


def test_element_wise_stores_that_read_a_neighbour_or_call_code_keep_their_loop():
    for body in (
        "out[i] = xs[i] - xs[i - 1]",   # a neighbour
        "out[i] = np.sqrt(xs[i])",      # a call
        "out[i] = out[i] * 2 + xs[i]",  # reads the output it writes
        "out[i + 1] = xs[i]",           # stores elsewhere
        "out[i] = 2.0",                 # no array read: a scalar
        "out[i] = xs[i] * scale()",     # an untyped call
    ):
        _unchanged("numpy-vectorize", f"""
import numpy as np

def f(xs, out, scale):
    for i in range(len(xs)):
        {body}
    return out
""")
    _unchanged("numpy-vectorize", """
import numpy as np

def index_read_after(xs, out):
    for i in range(len(xs)):
        out[i] = xs[i] * 2
    return out, i
""")


# ---- sliding-window-sum ----

def test_window_sums_move_one_window_for_every_width():
    source = """
    def f(xs: list[int], k: int):
        best = max((sum(xs[i:i + k]) for i in range(len(xs) - k + 1)), default=None)
        return best, [sum(xs[i : k + i]) for i in range(len(xs) - k + 1)]
    """
    xs = [4, -2, 7, 0, 3, -8, 5]
    inputs = [(xs, k) for k in (-9, -3, -1, 0, 1, 2, 5, 7, 8, 20)] + [([], 0), ([], 1)]
    code = _same_results("sliding-window-sum", source, "f", inputs)
    assert "max(_window_sums(xs, k), default=None)" in code
    assert "list(_window_sums(xs, k))" in code and code.count("def _window_sums") == 1


def test_window_sums_use_observed_types_and_skip_near_misses():
    source = """
    def f(xs, k):
        return [sum(xs[i:i + k]) for i in range(len(xs) - k + 1)]
    """
    _same_results("sliding-window-sum", source, "f", [([1, 2, 3], 2)], {"f": {"xs": "list[int]", "k": "int"}})
    float_sums = [([1e16, 1.0, 1.0], 2), ([0.1, 0.2, 0.3], 2), ([1, 2.5, 3], 2)]  # summed slice by slice
    _same_results("sliding-window-sum", source, "f", float_sums, {"f": {"xs": "list[float]", "k": "int"}})
    _unchanged("sliding-window-sum", source, {"f": {"xs": "list[str]", "k": "int"}})
    _unchanged("sliding-window-sum", """
    def window_starts_elsewhere(xs: list[int], k: int):
        return [sum(xs[i + 1:i + k]) for i in range(len(xs) - k + 1)]
    """)
    _unchanged("sliding-window-sum", """
    def filtered(xs: list[int], k: int):
        return [sum(xs[i:i + k]) for i in range(len(xs) - k + 1) if i % 2]
    """)
    _unchanged("sliding-window-sum", """
    def rebound(xs: list[int], k: int):
        xs = xs[::-1]
        return [sum(xs[i:i + k]) for i in range(len(xs) - k + 1)]
    """)


# ---- buffered-output ----

def _stdout_of(code: str, stdin: str = "") -> tuple[str, str]:
    import contextlib
    import io
    import sys

    out, old_stdin = io.StringIO(), sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(code, "<script>", "exec"), {"__name__": "__main__"})
                status = "ok"
            except Exception as exc:
                status = type(exc).__name__
    finally:
        sys.stdin = old_stdin
    return out.getvalue(), status


def _same_output(source: str, stdins) -> str:
    outcome = _apply("buffered-output", source)
    assert outcome.error == "" and outcome.changed, outcome.code
    for stdin in stdins:
        assert _stdout_of(outcome.code, stdin) == _stdout_of(textwrap.dedent(source), stdin), stdin
    assert not apply_rule(REGISTRY.get("buffered-output"), outcome.code).changed
    return outcome.code


def test_prints_in_loops_are_collected_and_written_once_with_the_same_bytes():
    source = """
    import math

    def label(v):
        return "big" if v > 10 else "small"

    n = int(input())
    for _ in range(n):
        a, b = map(int, input().split())
        if a < 0:
            continue
        print(a, b, label(a), sep=", ", end=";\\n")
        for k in range(b):
            print(math.isqrt(a) // (k - 1), end=" ")
        print()
    print("done")
    """
    stdins = ["0\n", "3\n4 2\n-1 5\n20 0\n", "2\n4 3\n"]  # the last one divides by zero halfway
    code = _same_output(source, stdins)
    assert ('output_parts.extend(str(v) if i % 2 == 0 else v for i, v in enumerate((a, ", ", b, ", ", label(a), ";\\n")))'
            in code)
    assert 'output_parts.append(str(math.isqrt(a) // (k - 1)) + " ")' in code
    assert 'output_parts.append("\\n")' in code
    assert code.count("output_parts = []") == 1  # the inner loop is part of the outer one
    assert "import sys" in code


def test_a_print_of_several_arguments_keeps_what_it_wrote_before_a_conversion_failed():
    """print writes each argument before converting the next: an int too long to convert
    leaves the earlier arguments and separators written."""
    source = """
    for n in range(3):
        print(n, "x", 10 ** 5000 if n == 1 else n, sep="-")
    """
    code = _same_output(source, [""])
    assert _stdout_of(code, "") == ("0-x-0\n1-x-", "ValueError")


def test_a_loop_that_returns_early_still_writes_what_it_printed():
    source = """
    def main():
        for line in iter(input, "end"):
            if line == "stop":
                return
            print(line.upper())

    main()
    """
    _same_output(source, ["a\nb\nend\n", "a\nstop\nc\nend\n", "a\n"])


def test_buffered_output_leaves_loud_loops_alone():
    _unchanged("buffered-output", """
    import logging
    for x in range(3):
        print(x)
        logging.warning("x")
    """)
    _unchanged("buffered-output", """
    out = print
    for x in range(3):
        print(x)
        out(x)
    """)
    _unchanged("buffered-output", """
    import sys
    w = sys.stdout
    for x in range(3):
        print(x)
        w.write("y")
    """)
    _unchanged("buffered-output", """
    class Loud:
        def __init__(self):
            print("made")
    for x in range(3):
        print(x, Loud())
    """)
    _unchanged("buffered-output", """
    for x in range(3):
        print(x, sep=SEP)
    """)
    _unchanged("buffered-output", """
    for x in range(3):
        print(x, x, sep=b",")
    """)
    _unchanged("buffered-output", """
    def gen(xs):
        for x in xs:
            print(x)
            yield x
    """)


# ---- stdin-readline-over-input ----

def test_input_becomes_readline_with_input_s_newline_and_eof_behaviour():
    source = """
    def read_pairs():
        \"\"\"Doc.\"\"\"
        n = int(input())
        rows = [list(map(int, input().split())) for _ in range(n)]
        title = input()
        return rows, title, input().rstrip()

    print(read_pairs())
    print(repr(input()), float(input()))
    """
    code = _apply("stdin-readline-over-input", source).code
    assert '    """Doc."""\n    readline = sys.stdin.readline\n    n = int(readline() or _eof())' in code
    assert "title = (readline() or _eof()).removesuffix(" in code
    assert 'print(repr((sys.stdin.readline() or _eof()).removesuffix("\\n")), float(sys.stdin.readline() or _eof()))' in code
    for stdin in ("2\n1 2\n3 4\n  hi  \nend \nlast\n2.5\n", "1\n5\nt\nx\ny", "1\n5\n", "", "0\nt\nu\nno newline"):
        assert _stdout_of(code, stdin) == _stdout_of(textwrap.dedent(source), stdin), stdin
    assert not apply_rule(REGISTRY.get("stdin-readline-over-input"), code).changed


def test_readline_rule_leaves_prompts_lambdas_and_shadowing_alone():
    _unchanged("stdin-readline-over-input", """
    x = input("? ")
    """)
    _unchanged("stdin-readline-over-input", """
    def f():
        readline = None
        return input()
    """)
    _unchanged("stdin-readline-over-input", """
    read = lambda: input()
    """)
    _unchanged("stdin-readline-over-input", """
    import io as sys
    print(input())
    """)


# ---- bulk-stdin-read ----

def test_input_lines_come_from_one_read_with_input_s_lines_and_eof():
    source = """
    def main():
        n = int(input())
        rows = [input() for _ in range(n)]
        rest = []
        while True:
            try:
                rest.append(input())
            except EOFError:
                break
        print(rows, rest, end="|")
        try:
            input()
        except EOFError as exc:
            print(exc)

    main()
    """
    code = _apply("bulk-stdin-read", source).code
    assert "rows = [_input() for _ in range(n)]" in code and code.count("def _input") == 1
    stdins = ["2\na b\n\nc\n\n", "1\nx", "0\n", "", "3\r\na\r\nb\r\nc\r\n", "1\n  spaced  \n"]
    for stdin in stdins:
        assert _stdout_of(code, stdin) == _stdout_of(textwrap.dedent(source), stdin), stdin
    assert not apply_rule(REGISTRY.get("bulk-stdin-read"), code).changed


def test_bulk_read_with_iter_sentinel_and_module_level_reads():
    source = """
    first = input()
    for line in iter(input, "end"):
        print(first, line)
    """
    code = _apply("bulk-stdin-read", source).code
    assert 'iter(_input, "end")' in code
    for stdin in ("h\na\nb\nend\nz\n", "h\na\n", ""):
        assert _stdout_of(code, stdin) == _stdout_of(textwrap.dedent(source), stdin), stdin


def test_bulk_read_leaves_modules_that_read_stdin_otherwise_alone():
    _unchanged("bulk-stdin-read", """
    print(input("name: "))
    """)
    _unchanged("bulk-stdin-read", """
    from sys import stdin
    print(input(), stdin.readline())
    """)
    _unchanged("bulk-stdin-read", """
    print(input(), open(0).read())
    """)
    _unchanged("bulk-stdin-read", """
    print(input(), open("/dev/stdin").read())
    """)
    _unchanged("bulk-stdin-read", """
    read = input
    print(read())
    """)
    _unchanged("bulk-stdin-read", """
    import fileinput
    print(input(), list(fileinput.input()))
    """)


def test_euclid_loops_become_math_gcd_for_non_negative_ints():
    source = """
    def f(a: int, b: int):
        while b:
            a, b = b, a % b
        return a, b
    """
    inputs = [(a, b) for a in (-12, -7, 0, 1, 18, 84) for b in (-30, -4, 0, 5, 36)]
    code = _same_results("math-builtins", source, "f", inputs)
    assert "if a >= 0 and b >= 0:\n        a, b = math.gcd(a, b), 0\n    else:\n        while b:" in code


def test_euclid_loops_over_floats_or_mixed_names_stay():
    _unchanged("math-builtins", """
    def f(a: float, b: float):
        while b:
            a, b = b, a % b
        return a
    """)
    _unchanged("math-builtins", """
    def f(a: int, b: int):
        while b:
            a, b = b, b % a
        return a
    """)


def test_hand_built_running_sums_become_accumulate():
    source = """
    def f(xs: list[float]):
        total = 0
        # running totals
        sums = []
        for x in xs:
            total += x
            sums.append(total)
        return sums
    """
    code = _same_results("prefix-sums-for-range-queries", source, "f", [([],), ([0.5, -0.0, 1e300, -1e300],)])
    assert "    # running totals\n    sums = list(itertools.accumulate(xs))\n    return sums" in code


def test_running_sums_left_alone_when_the_total_is_used_or_elements_unknown():
    _unchanged("prefix-sums-for-range-queries", """
    def f(xs: list[int]):
        total = 0
        sums = []
        for x in xs:
            total += x
            sums.append(total)
        return sums, total
    """)
    _unchanged("prefix-sums-for-range-queries", """
    def f(xs: list[bool]):
        total = 0
        sums = []
        for x in xs:
            total += x
            sums.append(total)
        return sums
    """)
    _unchanged("prefix-sums-for-range-queries", """
    def f(xs):
        total = 0
        sums = []
        for x in xs:
            total += x
            sums.append(total)
        return sums
    """)


def test_masked_arrays_keep_the_loop():
    import numpy as np

    source = """
    import numpy as np

    def f(a, b):
        total = 0.0
        for i in range(len(a)):
            total += a[i] * b[i]
        return total
    """
    masked = np.ma.array([1.0, 2.0, 3.0], mask=[False, True, False])
    code = _same_results("numpy-vectorize", source, "f", [(masked, np.ones(3))])
    assert "type(array) is np.ndarray" in code


def test_top_k_through_a_sorted_local_and_a_field_key_over_dict_items():
    source = """
    def top(sales, k):
        ranked = sorted(sales.items(), key=lambda kv: kv[1], reverse=True)
        return [name for name, _ in ranked[:k]]

    def low(pairs: list[tuple[str, int]]):
        order = sorted(pairs, key=lambda p: p[0])
        return order[:2], order[:2]
    """
    observed = {"top": {"sales": "dict[str, int]", "k": "int"}}
    sales = {"a": 3, "b": 5, "c": 3, "d": 1, "e": 5}
    code = _same_results("top-k-with-heapq", source, "top", [(sales, k) for k in (-2, 0, 1, 2, 3, 9)] + [({}, 2)],
                         observed)
    assert ("ranked = heapq.nlargest(k, sales.items(), key=lambda kv: kv[1]) if k >= 0 "
            "else sorted(sales.items(), key=lambda kv: kv[1], reverse=True)") in code
    assert "order = heapq.nsmallest(2, pairs, key=lambda p: p[0])" in code
    _same_results("top-k-with-heapq", source, "low", [([("b", 1), ("a", 2), ("b", 0)],), ([],)], observed)


def test_top_k_by_a_tuple_of_fields_ranks_ties_by_name():
    source = """
    def top(counts, k):
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return ranked[:k]
    """
    observed = {"top": {"counts": "dict[str, int]", "k": "int"}}
    counts = {"b": 2, "a": 2, "c": 5, "d": 1, "e": 2}
    code = _same_results("top-k-with-heapq", source, "top", [(counts, k) for k in (-1, 0, 2, 4, 8)], observed)
    assert "heapq.nsmallest(k, counts.items(), key=lambda kv: (-kv[1], kv[0]))" in code


def test_top_k_through_a_local_leaves_other_uses_and_other_keys_alone():
    observed = {"f": {"sales": "dict[str, int]", "prices": "dict[str, float]", "k": "int"}}
    for source in (
        # the whole ranking is read too
        """
        def f(sales, k):
            ranked = sorted(sales.items(), key=lambda kv: kv[1], reverse=True)
            return ranked[:k], len(ranked)
        """,
        # sliced by two different counts
        """
        def f(sales, k):
            ranked = sorted(sales.items(), key=lambda kv: kv[1], reverse=True)
            return ranked[:k], ranked[:3]
        """,
        # k changes after the sort
        """
        def f(sales, k):
            ranked = sorted(sales.items(), key=lambda kv: kv[1], reverse=True)
            k = k + 1
            return ranked[:k]
        """,
        # a float field: NaN keys order differently in the two algorithms
        """
        def f(prices, k):
            return sorted(prices.items(), key=lambda kv: kv[1], reverse=True)[:k]
        """,
        # a field past the end: sorted raises IndexError, nlargest(0, ...) would not
        """
        def f(sales, k):
            return sorted(sales.items(), key=lambda kv: kv[2])[:k]
        """,
        # a key that computes: it may raise or order differently
        """
        def f(sales, k):
            return sorted(sales.items(), key=lambda kv: kv[1] * 2)[:k]
        """,
        # a negated str field raises TypeError in sorted, maybe never in nlargest(0, ...)
        """
        def f(sales, k):
            return sorted(sales.items(), key=lambda kv: (-kv[0], kv[1]))[:k]
        """,
        # a negated float field: NaN
        """
        def f(prices, k):
            return sorted(prices.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        """,
    ):
        _unchanged("top-k-with-heapq", source, observed)


# ---- rules exact for ints only: numbers observed as floats keep the original ----

_INT_ONLY = {
    # a + b == t is not t - a == b for floats: 0.1 + 0.2 == 0.30000000000000004, whose - 0.1 is not 0.2
    "hash-complement-pair-search": ("""
        def solve(xs, target):
            count = 0
            for i in range(len(xs)):
                for j in range(i + 1, len(xs)):
                    if xs[i] + xs[j] == target:
                        count += 1
            return count
        """, {"xs": "list[float]", "target": "float"}),
    # the last of equal floats (0.0, -0.0) is not max's first; NaN breaks the sort's order
    "min-max-over-sorted": ("""
        def solve(readings):
            if not readings:
                return None
            return sorted(readings)[0], sorted(readings)[-1]
        """, {"readings": "list[float]"}),
    "top-k-with-heapq": ("""
        def solve(scores):
            return sorted(scores, reverse=True)[:10]
        """, {"scores": "list[float]"}),
    "bisect-for-sorted-search": ("""
        def solve(readings, queries):
            ordered = sorted(readings)
            out = []
            for q in queries:
                count = 0
                for x in ordered:
                    if x >= q:
                        break
                    count += 1
                out.append(count)
            return out
        """, {"readings": "list[float]", "queries": "list[float]"}),
    # math.gcd rejects floats, which Euclid's loop takes
    "math-builtins": ("""
        def solve(a, b):
            while b:
                a, b = b, a % b
            return a
        """, {"a": "float", "b": "float"}),
    # sum of floats is compensated from Python 3.12; the loop adds in order
    "builtin-reductions": ("""
        def solve(xs):
            total = 0
            for x in xs:
                total += x
            return total
        """, {"xs": "list[float]"}),
}


@pytest.mark.parametrize("rule", sorted(_INT_ONLY))
def test_int_only_rewrites_apply_to_observed_ints_and_leave_observed_floats_alone(rule):
    """Ints beside floats are observed as float (the oracle draws both for a value only
    computed with as a number): a rule exact for ints only must then leave the code alone."""
    source, floats = _INT_ONLY[rule]
    ints = {name: kind.replace("float", "int") for name, kind in floats.items()}
    assert _apply(rule, source, {"solve": ints}).changed
    _unchanged(rule, source, {"solve": floats})
