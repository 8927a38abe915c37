"""The held-out suite: slow files shaped like what users bring, their held-out inputs and known answers.

Each target is a file in ``targets/``: a module whose target is ``function`` (``"name"`` or
``"Class.method"``), or a stdin script (``function=None``). A target carries:

- ``kinds``: tags saying what makes it hard to check (see :data:`KINDS`).
- ``heldout(rng)``: a separate, larger input set with edge cases (empty, one element,
  duplicates, big ints, unicode, boundary values), used ONLY to judge changes polca
  offers; never to build or tune a rule. For functions, a list of argument tuples (with
  :func:`~benchmarks.heldout.values.new` placeholders for objects of the target's module;
  for a method the first argument is the receiver); for scripts, a list of stdin texts.
- ``examples``: two or three hand-checked (input -> expected output) pairs, so the
  originals are known to be right. For scripts: (stdin, expected stdout).
- ``workload(rng)`` (scripts only): the stdin texts given to ``polca optimize --stdin``.

The suite was written before any tuning of polca's oracle or rewrite rules against it, by
someone not tuning them; see README.md.
"""

from __future__ import annotations

import operator
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.heldout.values import Raises, new, ref

HERE = Path(__file__).resolve().parent
TARGETS_DIR = HERE / "targets"
HELDOUT_SEED = 20260317

KINDS = ("unannotated", "partial", "annotated", "dicts", "numpy", "dataclass", "method", "nested",
         "optional", "callable", "generator", "script")

UNICODE = ("straße", "STRASSE", "Straße", "café", "CAFÉ", "İstanbul", "ﬁsh", "naïve", "日本語",
           "emoji🎉", "Ωmega", "ǅungla")


@dataclass(frozen=True)
class Example:
    """One hand-checked case: arguments (or stdin text) and the expected answer (or stdout)."""

    args: Any
    expected: Any


@dataclass(frozen=True)
class HeldoutTarget:
    """One target of the suite; ``function`` None means a stdin script."""

    name: str
    function: str | None
    kinds: tuple[str, ...]
    heldout: Callable[[random.Random], list[Any]]
    examples: tuple[Example, ...]
    workload: Callable[[random.Random], list[str]] | None = None

    @property
    def path(self) -> Path:
        return TARGETS_DIR / f"{self.name}.py"

    @property
    def is_script(self) -> bool:
        return self.function is None

    def heldout_items(self, seed: int = HELDOUT_SEED) -> list[Any]:
        """The held-out inputs, reproducibly from ``seed`` (placeholders unresolved)."""
        return self.heldout(random.Random(seed))


# ---------------------------------------------------------------- input builders


def _ints(rng: random.Random, n: int, lo: int = -1000, hi: int = 1000) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(n)]


def _word(rng: random.Random, lo: int = 1, hi: int = 8, alphabet: str = "etaoinshrdlu") -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def _words(rng: random.Random, n: int, **kw: Any) -> list[str]:
    return [_word(rng, **kw) for _ in range(n)]


def _vocab(rng: random.Random, n: int, **kw: Any) -> list[str]:
    return sorted(set(_words(rng, n, **kw)))


def _text(rng: random.Random, n_words: int, vocab: list[str]) -> str:
    return " ".join(rng.choice(vocab) for _ in range(n_words))


# ---------------------------------------------------------------- unannotated


def _slug_heldout(rng: random.Random) -> list[tuple]:
    titles = [" ".join(_words(rng, rng.randint(1, 6))).title() + rng.choice(["", "!", "?", " 2024"])
              for _ in range(3000)]
    return [([],), (["Hello World"],), (["   ", "---", "!!!", ""],), (list(UNICODE),),
            (["Ça va? Très bien", "emoji 🎉 party", "tab\tand\nnewline"],), (["Same", "Same", "same"],),
            (titles,)]


def _intervals(rng: random.Random, n: int, span: int) -> list[tuple[int, int]]:
    out = []
    for _ in range(n):
        a = rng.randint(-span, span)
        out.append((a, a + rng.randint(0, span // 20 + 1)))
    return out


def _merge_heldout(rng: random.Random) -> list[tuple]:
    return [([],), ([(1, 2)],), ([(1, 2), (2, 3)],), ([(5, 5), (5, 5), (1, 10)],),
            ([(10**18, 10**18 + 5), (-(10**18), 0), (3, 10**18)],), ([[4, 6], [1, 2], [2, 4]],),
            (_intervals(rng, 200, 1000),), (_intervals(rng, 1200, 100_000),)]


def _fib_heldout(rng: random.Random) -> list[tuple]:
    return [(n,) for n in (-3, 0, 1, 2, 3, 10, 19, 22, 24)] + [(rng.randint(5, 18),) for _ in range(3)]


def _top_words_heldout(rng: random.Random) -> list[tuple]:
    vocab = _vocab(rng, 400, lo=2, hi=7)
    big = _text(rng, 8000, vocab)
    return [("", 3), ("one", 1), ("a a a", 0), ("B b A a c", 10), (" ".join(UNICODE), 5),
            ("tie tie zed zed alpha alpha", 2), (big, 1), (big, 25), (_text(rng, 3000, vocab[:50]), 400)]


def _primes_heldout(rng: random.Random) -> list[tuple]:
    return [(n,) for n in (-5, 0, 1, 2, 3, 4, 100, 997, 1000, 2500)] + [(rng.randint(5, 500),)]


def _visits_heldout(rng: random.Random) -> list[tuple]:
    return [([],), ([7],), ([3, 3, 3],), ([True, 1, 1.0, 0, False, 0.0],), (["1", 1, "1", 1],),
            ([(1, 2), (1, 2), (2, 1)],), ([10**30, 10**30 + 1, 10**30],), (list(UNICODE) * 2,),
            (_ints(rng, 5000, 0, 2000),), ([f"user{rng.randint(0, 300)}" for _ in range(3000)],)]


def _join_heldout(rng: random.Random) -> list[tuple]:
    left = [(rng.randint(0, 800), _word(rng)) for _ in range(1500)]
    right = [(rng.randint(0, 800), rng.randint(0, 99), _word(rng)) for _ in range(1500)]
    return [([], []), ([(1, "a")], []), ([], [(1, "b")]), ([(1,)], [(1,)]),
            ([(1, "a"), (1, "b")], [(1, "x"), (1, "y")]), ([(1, "a"), ("1", "b")], [("1", "s"), (1.0, "f")]),
            ([[2, "list"]], [[2, "row", 3]]), (left, right)]


def _normalize_heldout(rng: random.Random) -> list[tuple]:
    return [([],), ([5],), ([4, 4, 4],), ([-3, 0, 3],), ([0.1, 0.2, 0.3],), ([10**30, 1, 10**30 + 7],),
            ([rng.uniform(-1e6, 1e6) for _ in range(2000)],), (_ints(rng, 2000),)]


def _escape_heldout(rng: random.Random) -> list[tuple]:
    lines = ["".join(rng.choice("ab <>&\"'c") for _ in range(rng.randint(0, 60))) for _ in range(1500)]
    return [([],), ([""],), (["plain"],), (["<script>alert('x')</script>", 'a "quoted" & done'],),
            (["&amp; already"],), (list(UNICODE),), (lines,)]


def _anagram_heldout(rng: random.Random) -> list[tuple]:
    base = _words(rng, 60, lo=3, hi=6, alphabet="abcdef")
    words = ["".join(rng.sample(w, len(w))) for w in rng.choices(base, k=600)]
    return [([],), (["a"],), (["ab", "ba"],), (["aa", "aa", "aa"],), (["Ab", "ba", "bA"],),
            (["", ""],), (["straße", "eßarts", "strasse"],), (words,)]


def _run_heldout(rng: random.Random) -> list[tuple]:
    return [([],), ([5],), ([3, 3, 3],), ([1, 2, 3, 1, 2],), ([5, 4, 3, 2, 1],), ([0.5, 0.25, 0.75],),
            (list(range(2500)),), (_ints(rng, 3000),), ([10**20 + i for i in range(50)],)]


def _char_heldout(rng: random.Random) -> list[tuple]:
    return [("",), ("a",), ("aaaa",), ("".join(UNICODE),), ("e\u0301 é",), ("tab\tnew\nline",),
            ("".join(rng.choice("abcdefghij \n") for _ in range(10000)),)]


def _matrix(rng: random.Random, rows: int, cols: int, lo: int = -9, hi: int = 9) -> list[list[int]]:
    return [[rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)]


def _matmul_heldout(rng: random.Random) -> list[tuple]:
    floats = [[rng.uniform(-1, 1) for _ in range(7)] for _ in range(5)]
    floats_b = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(7)]
    return [([], [[1]]), ([[1, 2]], []), ([[2]], [[3]]), ([[1, 2, 3]], [[1], [2], [3]]),
            ([[10**20, 1]], [[10**20], [3]]), (floats, floats_b),
            (_matrix(rng, 60, 60), _matrix(rng, 60, 60)), (_matrix(rng, 20, 80), _matrix(rng, 80, 10))]


# ---------------------------------------------------------------- dicts


def _order(rng: random.Random, customers: list[str]) -> dict[str, Any]:
    return {"customer": rng.choice(customers), "quantity": rng.randint(0, 5),
            "unit_cents": rng.randint(-500, 5000), "note": _word(rng)}


def _customer_heldout(rng: random.Random) -> list[tuple]:
    customers = [f"c{i}" for i in range(300)]
    one = {"customer": "solo", "quantity": 1, "unit_cents": 1}
    refund = [{"customer": "ann", "quantity": 1, "unit_cents": 500},
              {"customer": "ann", "quantity": 1, "unit_cents": -500}]
    return [([],), ([one],), (refund,),
            ([{"customer": n, "quantity": 2, "unit_cents": 3} for n in UNICODE],),
            ([_order(rng, customers) for _ in range(3000)],)]


def _invert_heldout(rng: random.Random) -> list[tuple]:
    vocab = _vocab(rng, 250, lo=2, hi=6)
    big = {f"doc{i}": rng.choices(vocab, k=rng.randint(0, 30)) for i in range(300)}
    return [({},), ({"d": []},), ({"d": ["a", "a", "a"]},), ({"b": ["x"], "a": ["x"]},),
            ({w: list(UNICODE[:4]) for w in UNICODE},), (big,)]


def _restock_heldout(rng: random.Random) -> list[tuple]:
    skus = [f"SKU-{i:04d}" for i in range(500)]
    stock = {s: rng.randint(0, 200) for s in skus}
    orders = [{"sku": rng.choice(skus + ["GONE"]), "qty": rng.randint(1, 20)} for _ in range(3000)]
    return [({}, [], 5), ({"a": 5}, [], 5), ({"a": 5}, [{"sku": "a", "qty": 5}], 0),
            ({"a": 5, "b": 1}, [{"sku": "z", "qty": 9}], 2), ({"é": 3, "e": 3}, [{"sku": "é", "qty": 3}], 1),
            (stock, orders, 50), (stock, orders, -100)]


def _enrich_heldout(rng: random.Random) -> list[tuple]:
    users = [{"id": rng.randint(0, 600), "country": rng.choice(["DE", "FR", "JP", "BR"]),
              "plan": rng.choice(["free", "pro"])} for _ in range(500)]
    events = [{"user_id": rng.randint(0, 700), "kind": rng.choice(["view", "click"]), "t": i}
              for i in range(2000)]
    dup = [{"id": 1, "country": "DE", "plan": "free"}, {"id": 1, "country": "FR", "plan": "pro"}]
    clash = [{"user_id": 1, "country": "old", "plan": "old"}]
    return [([], users), ([{"user_id": 1}], []), ([{"user_id": 1}], dup), (clash, dup),
            ([{"user_id": "1"}], [{"id": 1, "country": "x", "plan": "y"}]), (events, users)]


def _tag_heldout(rng: random.Random) -> list[tuple]:
    vocab = _vocab(rng, 300, lo=2, hi=7)
    posts = [{"title": _word(rng), "tags": [t.upper() if rng.random() < 0.2 else t
                                            for t in rng.sample(vocab, rng.randint(0, 5))]}
             for _ in range(2000)]
    return [([],), ([{}],), ([{"tags": []}],), ([{"tags": ["A", "a", "B"]}, {"tags": ["b"]}],),
            ([{"tags": list(UNICODE)}],), ([{"tags": ["x", "y"]}, {"tags": ["y", "x"]}],), (posts,)]


def _nested_doc(rng: random.Random, depth: int, width: int) -> dict:
    if depth == 0:
        return {}
    return {_word(rng): (rng.randint(0, 9) if rng.random() < 0.5 else _nested_doc(rng, depth - 1, width))
            for _ in range(width)}


def _flatten_heldout(rng: random.Random) -> list[tuple]:
    deep: dict = {"leaf": 1}
    for i in range(40):
        deep = {f"k{i}": deep}
    wide = {f"key{i}": (i if i % 3 else {"inner": i, "more": {"x": [i]}}) for i in range(2000)}
    return [({},), ({"x": {}},), ({"a": {"b": 1}, "a.b": 2},), ({1: {2: None}},), ({"é": {"ß": "ü"}},),
            (deep,), (_nested_doc(rng, 5, 5),), (wide,), ({"a": {"b": 1}}, "root")]


def _bucket_heldout(rng: random.Random) -> list[tuple]:
    edges = sorted(rng.sample(range(0, 100), 50))
    scores = {f"s{i}": round(rng.uniform(-10, 110), 1) for i in range(5000)}
    return [({}, [1.0]), ({"a": 1.0}, []), ({"a": 50.0}, [50.0]), ({"a": 49.9, "b": 50.0, "c": 50.1}, [50.0]),
            ({"n": float("nan"), "i": float("inf"), "m": float("-inf")}, [0.0, 1.0]),
            ({"a": 5.0}, [5.0, 5.0, 5.0]), (scores, [float(e) for e in edges])]


def _sessions_heldout(rng: random.Random) -> list[tuple]:
    big = {f"u{i}": _ints(rng, rng.randint(0, 300), 0, 100_000) for i in range(20)}
    return [({}, 10), ({"u": []}, 10), ({"u": [5]}, 0), ({"u": [1, 1, 1]}, 0), ({"u": [9, 1, 5]}, 3),
            ({"u": [1, 2, 3]}, -1), ({"ü": [10**15, 0]}, 10**14), (big, 600), (big, 0)]


# ---------------------------------------------------------------- numpy


def _moving_heldout(rng: random.Random) -> list[tuple]:
    prices = np.array([rng.uniform(1, 1000) for _ in range(5000)])
    return [(np.zeros(0), 3), (np.array([5.0]), 1), (np.array([1.0, 2.0]), 3), (np.array([1.0, 2.0]), 0),
            (np.array([1.0, 2.0, 3.0]), 3), (np.arange(10, dtype=np.int64), 4), (prices, 1), (prices, 50)]


def _points(rng: random.Random, n: int, span: int) -> np.ndarray:
    return np.array([[rng.randint(-span, span), rng.randint(-span, span)] for _ in range(n)],
                    dtype=np.int64).reshape(n, 2)


def _pairwise_heldout(rng: random.Random) -> list[tuple]:
    return [(np.zeros((0, 2), dtype=np.int64),), (np.array([[3, 4]]),), (np.array([[1, 1], [1, 1]]),),
            (np.array([[0.5, 0.0], [2.0, 0.0]]),), (_points(rng, 10, 3),), (_points(rng, 250, 10_000),),
            (_points(rng, 20, 3_000_000_000),)]


def _rows_heldout(rng: random.Random) -> list[tuple]:
    counts = np.array([[rng.randint(0, 9) for _ in range(50)] for _ in range(200)], dtype=np.int64)
    return [(np.zeros((0, 3)),), (np.zeros((3, 0)),), (np.zeros((2, 2), dtype=np.int64),),
            (np.array([[1, 1], [0, 0], [1, 3]]),), (np.array([[-1, 1, 2]]),),
            (np.array([[0.1, 0.2, 0.3], [1e-300, 1e-300, 0.0]]),), (counts,)]


def _clip_heldout(rng: random.Random) -> list[tuple]:
    samples = np.array([rng.gauss(0, 2) for _ in range(20000)])
    return [(np.zeros(0), 0.0, 1.0), (np.array([0.0, 1.0]), 0.0, 1.0), (np.array([-1.0, 0.5, 2.0]), 0.0, 1.0),
            (np.array([np.nan, np.inf, -np.inf]), -1.0, 1.0), (np.array([0.5, 3.0]), 1.0, 1.0),
            (np.array([0.5, 1.5, 2.5]), 2.0, 1.0), (np.arange(-5, 6), -2, 2), (samples, -1.5, 1.5)]


def _histogram_heldout(rng: random.Random) -> list[tuple]:
    times = np.array([int(rng.expovariate(1 / 80)) for _ in range(20000)], dtype=np.int64)
    return [(np.zeros(0, dtype=np.int64), 10, 3), (np.array([0, 5, 10, 99]), 10, 3),
            (np.array([-50, -1, 0]), 10, 2), (np.array([7]), 1, 1), (np.array([10**12]), 7, 4),
            (times, 10, 50), (times, 3, 1)]


def _runmax_heldout(rng: random.Random) -> list[tuple]:
    levels = np.array([rng.uniform(0, 100) for _ in range(8000)])
    return [(np.zeros(0),), (np.array([3.0]),), (np.array([1.0, np.nan, 2.0]),), (np.array([5, 4, 3, 9]),),
            (np.array([-np.inf, -1.0]),), (levels,), (np.sort(levels),)]


# ---------------------------------------------------------------- dataclass, NamedTuple, Enum, TypedDict


def _parcel(rng: random.Random) -> Any:
    zone = ref("Zone." + rng.choice(["DOMESTIC", "EUROPE", "WORLD"]))
    return new("Parcel", rng.randint(0, 10000), zone, rng.random() < 0.3)


def _quote_heldout(rng: random.Random) -> list[tuple]:
    edge = [new("Parcel", w, ref("Zone.EUROPE"), e) for w in (0, 1, 500, 501, 2000, 10000) for e in (False, True)]
    return [([],), ([new("Parcel", 500, ref("Zone.DOMESTIC"))],), (edge,),
            ([new("Parcel", 10001, ref("Zone.WORLD"))],), ([new("Parcel", -5, ref("Zone.WORLD"), True)],),
            ([_parcel(rng) for _ in range(3000)],)]


def _stops(rng: random.Random, n: int, span: int) -> list[Any]:
    return [new("Stop", rng.randint(-span, span), rng.randint(-span, span)) for _ in range(n)]


def _closest_heldout(rng: random.Random) -> list[tuple]:
    return [([],), ([new("Stop", 0, 0)],), ([new("Stop", 1, 1), new("Stop", 1, 1)],),
            ([new("Stop", 0, 0), new("Stop", 10**12, 0), new("Stop", 10**12 + 3, 4)],),
            ([new("Stop", i, 0) for i in range(0, 100, 7)],), (_stops(rng, 60, 50),), (_stops(rng, 700, 100_000),)]


def _transfer(rng: random.Random, names: list[str]) -> dict[str, Any]:
    return {"source": rng.choice(names), "target": rng.choice(names), "cents": rng.randint(0, 10**6)}


def _balances_heldout(rng: random.Random) -> list[tuple]:
    names = [f"acct{i:03d}" for i in range(200)]
    return [([],), ([{"source": "a", "target": "a", "cents": 9}],), ([{"source": "b", "target": "a", "cents": 0}],),
            ([{"source": u, "target": v, "cents": 10**20} for u, v in zip(UNICODE, UNICODE[1:], strict=False)],),
            ([_transfer(rng, names) for _ in range(2000)],)]


def _ticket(rng: random.Random, i: int) -> Any:
    return new("Ticket", f"T{i}", ref("Priority." + rng.choice(["URGENT", "HIGH", "NORMAL", "LOW"])),
               rng.randint(0, 48))


def _schedule_heldout(rng: random.Random) -> list[tuple]:
    same = [new("Ticket", "X", ref("Priority.LOW"), 1)] * 3
    ties = [new("Ticket", f"t{i}", ref("Priority.HIGH"), 5) for i in range(5)]
    return [([],), ([new("Ticket", "solo", ref("Priority.URGENT"), 0)],), (same,), (ties,),
            ([new("Ticket", "old", ref("Priority.LOW"), 10**9), new("Ticket", "new", ref("Priority.URGENT"), -1)],),
            ([_ticket(rng, i) for i in range(1500)],)]


# ---------------------------------------------------------------- methods


def _search_heldout(rng: random.Random) -> list[tuple]:
    vocab = _vocab(rng, 200, lo=2, hi=6)
    docs = [_text(rng, 50, vocab).title() for _ in range(300)]
    queries = [" ".join(rng.sample(vocab, rng.randint(1, 2))) for _ in range(100)]
    return [(new("TextIndex", []), ["a"]), (new("TextIndex", ["a b"]), []), (new("TextIndex", ["a b", "b c"]), ["", "b"]),
            (new("TextIndex", ["Straße", "STRASSE"]), ["straße", "strasse"]), (new("TextIndex", ["x x"]), ["x x x"]),
            (new("TextIndex", docs), queries)]


def _limiter_heldout(rng: random.Random) -> list[tuple]:
    stamps = sorted(_ints(rng, 20000, 0, 40000))
    return [(new("RateLimiter", 3, 10), []), (new("RateLimiter", 0, 10), [1, 2]), (new("RateLimiter", 2, 0), [1, 1, 1]),
            (new("RateLimiter", 2, 10, [1, 2]), [5, 11, 12]), (new("RateLimiter", 1, 5), [0, 5, 5, 10]),
            (new("RateLimiter", 5000, 1000), stamps), (new("RateLimiter", 3, 50), stamps)]


def _book_heldout(rng: random.Random) -> list[tuple]:
    bids = [(rng.randint(9000, 11000), rng.randint(1, 100)) for _ in range(1500)]
    ties = [(100, 1), (100, 2), (100, 1), (99, 5)]
    return [(new("OrderBook", []), [0, 1]), (new("OrderBook", [(5, 1)]), []), (new("OrderBook", ties), [1, 1, 1, 1]),
            (new("OrderBook", [(10**15, 1), (-3, 2)]), [0, 1, 1]), (new("OrderBook", bids), [1] * 1000),
            (new("OrderBook", bids), [0, 700, 0, 900])]


def _graph_heldout(rng: random.Random) -> list[tuple]:
    roads = [(rng.randrange(500), rng.randrange(500)) for _ in range(3000)]
    return [(new("RoadGraph", []), 7), (new("RoadGraph", [(1, 1)]), 1), (new("RoadGraph", [(1, 2), (2, 1)]), 2),
            (new("RoadGraph", [(1, 2), (2, 3), (4, 1)]), 1), (new("RoadGraph", [(1, 2)]), 2),
            (new("RoadGraph", roads), 0), (new("RoadGraph", roads), 499)]


def _spell_heldout(rng: random.Random) -> list[tuple]:
    vocab = _vocab(rng, 5000, lo=3, hi=7, alphabet="abcdefghijklmnoprstu")
    checker = new("SpellChecker", vocab)
    return ([(new("SpellChecker", []), "word"), (new("SpellChecker", ["a"]), ""), (new("SpellChecker", ["cat"]), "CAT"),
             (new("SpellChecker", ["café", "cafe"]), "cafx"), (new("SpellChecker", ["Cat", "cat"]), "cst")]
            + [(checker, _word(rng, 3, 7, "abcdefghijklmnoprstu")) for _ in range(12)])


def _poly_heldout(rng: random.Random) -> list[tuple]:
    coeffs = tuple(_ints(rng, 50, -10**6, 10**6))
    return [(new("Polynomial", ()), [1, 2]), (new("Polynomial", (7,)), []), (new("Polynomial", (1, 2, 3)), [0, -1, 10**30]),
            (new("Polynomial", (0, 0, 1)), [-(10**10)]), (new("Polynomial", coeffs), _ints(rng, 500, -10**6, 10**6))]


# ---------------------------------------------------------------- nested


def _chain(depth: int) -> dict:
    node: dict = {"name": "leaf"}
    for i in range(depth):
        node = {"name": f"n{i}", "reports": [node, {"name": f"x{i}"}]}
    return node


def _tree(rng: random.Random, depth: int) -> dict:
    if depth == 0 or rng.random() < 0.2:
        return {"name": _word(rng)}
    return {"name": _word(rng), "reports": [_tree(rng, depth - 1) for _ in range(rng.randint(0, 3))]}


def _depth_heldout(rng: random.Random) -> list[tuple]:
    return [({"name": "a"},), ({"name": "a", "reports": []},), ({"name": "a", "reports": [{"name": "b", "reports": []}]},),
            (_chain(17),), (_tree(rng, 6),), (_tree(rng, 8),)]


def _grid(rng: random.Random, rows: int, cols: int, p_shelf: float) -> list[list[int]]:
    grid = [[1 if rng.random() < p_shelf else 0 for _ in range(cols)] for _ in range(rows)]
    grid[0][0] = grid[-1][-1] = 0
    return grid


def _routes_heldout(rng: random.Random) -> list[tuple]:
    return [([],), ([[]],), ([[0]],), ([[1]],), ([[0, 0], [0, 1]],), ([[0, 1], [1, 0]],), ([[0] * 30],),
            ([[0] * 10 for _ in range(10)],), (_grid(rng, 11, 11, 0.1),), (_grid(rng, 4, 40, 0.05),)]


def _batches_heldout(rng: random.Random) -> list[tuple]:
    codes = [f"I{i}" for i in range(2000)]
    big = [rng.choices(codes, k=100) for _ in range(50)]
    return [([],), ([[]],), ([["a", "a"]],), ([["a"], ["a"], ["a", "b"]],), ([list(UNICODE), ["straße", "x"]],),
            ([[], ["a"], []],), (big,)]


def _route_costs_heldout(rng: random.Random) -> list[tuple]:
    cities = [f"city{i}" for i in range(200)]
    table = {c: {d: rng.randint(1, 500) for d in rng.sample(cities, 20)} for c in cities}
    routes = [rng.choices(cities, k=rng.randint(0, 10)) for _ in range(300)]
    return [({}, []), ({}, [["a"]]), ({"a": {"b": 5}}, [["a", "b"], ["b", "a"], []]),
            ({"a": {"a": 0}}, [["a", "a", "a"]]), ({"ü": {"é": 10**20}}, [["ü", "é"]]), (table, routes)]


# ---------------------------------------------------------------- optional, callable, generator


def _amounts_heldout(rng: random.Random) -> list[tuple]:
    cells = [rng.choice([None, rng.randint(-100, 100), round(rng.uniform(-50, 50), 2), f"{rng.randint(0, 999)},{rng.randint(0, 99):02d} EUR",
                         f" {rng.randint(-9, 99)} ", "n/a", ""]) for _ in range(20000)]
    return [([],), ([None],), ([True, False],), (["1,5", "2.25", " -3 EUR ", "4 €", "$5"],), (["abc", "1.2.3", "", "1e3"],),
            (["١٢", "٣"],), ([10**20, 0.5],), ([float("inf"), 1],), (cells,)]


def _complete_heldout(rng: random.Random) -> list[tuple]:
    names = _words(rng, 3000, lo=2, hi=8)
    return [([], "x", 3), (["a"], None, 0), (["b", "a"], None, None), (["bob", "alice", "bert"], "b", None),
            (["a,", "b,"], None, None), (["x"], "", 1), (list(UNICODE), "S", None), (names, None, None),
            (names, "e", 10), (names, "zz", None)]


def _steps_heldout(rng: random.Random) -> list[tuple]:
    values = _ints(rng, 10000, -10**6, 10**6)
    return [([], [abs]), ([3], []), ([1, -2], [abs, operator.neg]), ([10**30], [operator.neg, abs]),
            ([0, 5], [operator.invert, operator.invert]), (values, [abs, operator.neg, operator.invert])]


def _smallest_heldout(rng: random.Random) -> list[tuple]:
    items = _ints(rng, 3000)
    return [([], 3, abs), ([5], 0, abs), ([5], -1, abs), ([3, -3, 1], 3, abs), ([3, -1, 2, -3], 2, abs),
            (["bb", "a", "cc", "d"], 3, len), (items, 300, abs), (items[:800], 5000, operator.neg), (items, 50, str)]


def _windows_heldout(rng: random.Random) -> list[tuple]:
    seq = [round(rng.uniform(0, 10), 2) for _ in range(2000)]
    return [([], 1), ([1.0], 2), ([1.0], 1), ([1.0, 2.0, 3.0], 3), ([1.0, 2.0], 0), ((1.5, 2.5, 3.5), 2),
            (seq, 1), (seq, 10)]


def _first_seen_heldout(rng: random.Random) -> list[tuple]:
    vocab = _vocab(rng, 1000, lo=3, hi=10)
    lines = [rng.choice(vocab) + rng.choice(["", " ", "\n"]) for _ in range(5000)]
    return [([],), (["a"],), (["a", " A", "a\n", "b"],), (list(UNICODE),), (["", " ", "\t"],), (lines,)]


# ---------------------------------------------------------------- scripts


def _prose(rng: random.Random, n_words: int) -> str:
    vocab = _vocab(rng, 800, lo=2, hi=9)
    words = [rng.choice(vocab) + rng.choice(["", "", "", ",", ".", "!"]) for _ in range(n_words)]
    return "\n".join(" ".join(words[i:i + 12]) for i in range(0, len(words), 12)) + "\n"


def _wordfreq_heldout(rng: random.Random) -> list[str]:
    return ["", "one\n", "... !!! ???\n", "b a b\nA a\n", " ".join(UNICODE) + "\n", "tie,tie zed zed\n",
            _prose(rng, 12000)]


def _expense_csv(rng: random.Random, rows: int) -> str:
    names = [f"{_word(rng).title()} {_word(rng).title()}" for _ in range(300)]
    lines = ["name,cents"] + [f"{rng.choice(names)},{rng.randint(-500, 100000)}" for _ in range(rows)]
    return "\n".join(lines) + "\n"


def _expense_heldout(rng: random.Random) -> list[str]:
    return ["", "name,cents\n", "name,cents\nann,150\nbob,99\nann,1\n", "name,cents\n\n  ann ,5\nann,-205\n",
            "name,cents\nSmith, John,100\nJürgen,1\n", _expense_csv(rng, 6000)]


def _access_log(rng: random.Random, rows: int) -> str:
    codes = ["200", "200", "200", "301", "404", "500", "503", "403"]
    lines = [f'10.0.{rng.randint(0, 9)}.{rng.randint(0, 255)} - - [01/Jan/2026:00:00:{i % 60:02d}] '
             f'"GET /p/{rng.randint(0, 99)} HTTP/1.1" {rng.choice(codes)} {rng.randint(0, 9999)}' for i in range(rows)]
    return "\n".join(lines) + "\n"


def _errors_heldout(rng: random.Random) -> list[str]:
    return ["", "garbage\n", '"GET / HTTP/1.1" 404 12\n"GET / HTTP/1.1" 200 1\n', '"x" 4044 1\n"x" 599 0\n',
            "\u00e9 \" 500 \"\n", _access_log(rng, 8000)]


def _jobs(rng: random.Random, n: int) -> str:
    return "".join(f"{rng.randint(0, n * 3)} {rng.randint(1, 9)}\n" for _ in range(n))


def _queue_heldout(rng: random.Random) -> list[str]:
    return ["", "0 3\n", "0 3\n1 1\n", "5 1\n5 1\n5 1\n", "bad line here\n2 2\n", "10 0\n0 10\n",
            _jobs(rng, 20000)]


def _primes_script_heldout(rng: random.Random) -> list[str]:
    numbers = [rng.randint(-10, 100_000) for _ in range(200)] + [99991, 65537, 2, 3, 4]
    return ["", "\n\n", "7\n8\n1\n", "0\n-7\n2\n", "  13  \n", "\n".join(map(str, numbers)) + "\n"]


def _uniq_heldout(rng: random.Random) -> list[str]:
    lines = [f"line {rng.randint(0, 2000)}" + rng.choice(["", " "]) for _ in range(6000)]
    return ["", "\n", "a", "b\na\nb\n", "x\r\ny\rx\n", "a\u2028b\na\n", "\n".join(UNICODE * 2), "\n".join(lines) + "\n"]


def _anagram_script_heldout(rng: random.Random) -> list[str]:
    base = _words(rng, 150, lo=3, hi=7)
    words = ["".join(rng.sample(w, len(w))) for w in rng.choices(base, k=3000)]
    return ["", "solo\n", "ab ba ab\n", "Ab ba\n", "listen silent tinsel cat act dog\n", " ".join(UNICODE) + "\n",
            " ".join(words) + "\n"]


def _wordfreq_workload(rng: random.Random) -> list[str]:
    return [_prose(rng, 6000)]


def _expense_workload(rng: random.Random) -> list[str]:
    return [_expense_csv(rng, 4000)]


def _errors_workload(rng: random.Random) -> list[str]:
    return [_access_log(rng, 6000)]


def _queue_workload(rng: random.Random) -> list[str]:
    return [_jobs(rng, 15000)]


def _primes_script_workload(rng: random.Random) -> list[str]:
    return ["\n".join(str(rng.randint(2, 60_000)) for _ in range(150)) + "\n"]


def _uniq_workload(rng: random.Random) -> list[str]:
    return ["\n".join(f"line {rng.randint(0, 1500)}" for _ in range(4000)) + "\n"]


def _anagram_script_workload(rng: random.Random) -> list[str]:
    base = _words(rng, 100, lo=3, hi=7)
    return [" ".join("".join(rng.sample(w, len(w))) for w in rng.choices(base, k=2000)) + "\n"]


# ---------------------------------------------------------------- the manifest


def _t(name: str, function: str | None, kinds: str, heldout: Callable[[random.Random], list[Any]],
       *examples: tuple[Any, Any], workload: Callable[[random.Random], list[str]] | None = None) -> HeldoutTarget:
    return HeldoutTarget(name, function, tuple(kinds.split()), heldout,
                         tuple(Example(args, expected) for args, expected in examples), workload)


_UNANNOTATED = (
    _t("slug_titles", "slugify_all", "unannotated", _slug_heldout,
       ((["Hello, World!"],), ["hello-world"]), ((["  ", "A  B"],), ["untitled", "a-b"]),
       ((["Café au lait"],), ["caf-au-lait"])),
    _t("merge_intervals", "merge_intervals", "unannotated nested", _merge_heldout,
       (([(1, 3), (2, 6), (8, 10), (15, 18)],), [(1, 6), (8, 10), (15, 18)]),
       (([(1, 4), (4, 5)],), [(1, 5)]), (([],), [])),
    _t("fib_numbers", "fib", "unannotated", _fib_heldout, ((0,), 0), ((10,), 55), ((20,), 6765)),
    _t("top_words", "top_words", "partial", _top_words_heldout,
       (("b a b c a b", 2), [("b", 3), ("a", 2)]), (("", 3), []), (("X x y", 5), [("x", 2), ("y", 1)])),
    _t("primes_below", "primes_below", "unannotated", _primes_heldout,
       ((10,), [2, 3, 5, 7]), ((2,), []), ((20,), [2, 3, 5, 7, 11, 13, 17, 19])),
    _t("unique_visitors", "unique_in_order", "unannotated", _visits_heldout,
       (([3, 1, 3, 2, 1],), [3, 1, 2]), (([],), []), ((["b", "a", "b"],), ["b", "a"])),
    _t("row_join", "join_rows", "partial nested", _join_heldout,
       (([(1, "a"), (2, "b")], [(2, "x"), (1, "y"), (1, "z")]), [(1, "a", "y"), (1, "a", "z"), (2, "b", "x")]),
       (([], [(1, 2)]), []), (([(1,)], [(1, "q")]), [(1, "q")])),
    _t("scale_readings", "normalize", "unannotated", _normalize_heldout,
       (([1, 2, 3],), [0.0, 0.5, 1.0]), (([4, 4],), [0.0, 0.0]), (([],), [])),
    _t("escape_markup", "escape_all", "unannotated", _escape_heldout,
       ((["a<b"],), "a&lt;b\n"), (([],), ""), ((["'&\""],), "&#x27;&amp;&quot;\n")),
    _t("anagram_pairs", "count_anagram_pairs", "unannotated", _anagram_heldout,
       ((["listen", "silent", "enlist", "google"],), 3), ((["a", "a"],), 1), (([],), 0)),
    _t("longest_streak", "longest_increasing_run", "unannotated", _run_heldout,
       (([1, 2, 3, 1, 2],), 3), (([],), 0), (([3, 3, 3],), 1)),
    _t("char_histogram", "char_counts", "unannotated", _char_heldout,
       (("abca",), {"a": 2, "b": 1, "c": 1}), (("",), {}), (("ßß",), {"ß": 2})),
    _t("matrix_product", "matmul", "unannotated nested", _matmul_heldout,
       (([[1, 2], [3, 4]], [[5, 6], [7, 8]]), [[19, 22], [43, 50]]), (([[2]], [[3]]), [[6]]),
       (([], [[1]]), [])),
)

_DICTS = (
    _t("customer_totals", "totals_by_customer", "dicts annotated", _customer_heldout,
       (([{"customer": "ann", "quantity": 2, "unit_cents": 150}, {"customer": "bob", "quantity": 1, "unit_cents": 99},
          {"customer": "ann", "quantity": 1, "unit_cents": 10}],), {"ann": 310, "bob": 99}),
       (([],), {})),
    _t("invert_index", "invert", "dicts annotated", _invert_heldout,
       (({"d1": ["a", "b"], "d2": ["b", "b"]},), {"a": ["d1"], "b": ["d1", "d2"]}), (({},), {}),
       (({"z": ["k"], "a": ["k"]},), {"k": ["a", "z"]})),
    _t("stock_levels", "restock_list", "dicts annotated", _restock_heldout,
       (({"a": 5, "b": 1}, [{"sku": "a", "qty": 3}, {"sku": "z", "qty": 1}], 3), ["a", "b"]),
       (({"a": 5}, [], 5), [])),
    _t("enrich_events", "enrich", "dicts unannotated", _enrich_heldout,
       (([{"user_id": 2, "t": 1}], [{"id": 2, "country": "DE", "plan": "pro"}]),
        [{"user_id": 2, "t": 1, "country": "DE", "plan": "pro"}]),
       (([{"user_id": 9}], []), [{"user_id": 9, "country": None, "plan": None}])),
    _t("tag_frequency", "tag_frequency", "dicts unannotated", _tag_heldout,
       (([{"tags": ["a", "B"]}, {"tags": ["b"]}, {}],), [("b", 2), ("a", 1)]), (([],), [])),
    _t("flatten_config", "flatten", "dicts nested annotated", _flatten_heldout,
       (({"a": {"b": 1, "c": {"d": 2}}, "e": 3},), {"a.b": 1, "a.c.d": 2, "e": 3}), (({"x": {}},), {"x": {}}),
       (({},), {})),
    _t("grade_buckets", "bucket_counts", "dicts annotated", _bucket_heldout,
       (({"a": 10.0, "b": 55.0, "c": 90.0}, [50.0, 80.0]), [1, 1, 1]), (({"a": 50.0}, [50.0]), [0, 1]),
       (({}, [1.0]), [0, 0])),
    _t("user_sessions", "sessions_per_user", "dicts annotated", _sessions_heldout,
       (({"u": [1, 2, 10, 11]}, 3), {"u": 2}), (({"u": []}, 5), {"u": 0}), (({"a": [5, 1]}, 0), {"a": 2})),
    _t("route_costs", "route_costs", "dicts nested partial", _route_costs_heldout,
       (({"a": {"b": 5}, "b": {"c": 2}}, [["a", "b", "c"], ["a"], ["c", "a"]]), [7, 0, None]),
       (({}, []), [])),
)

_NUMPY = (
    _t("np_moving_average", "moving_average", "numpy annotated", _moving_heldout,
       ((np.array([1.0, 2.0, 3.0, 4.0]), 2), [1.5, 2.5, 3.5]), ((np.array([1.0, 2.0]), 3), []),
       ((np.array([5.0]), 1), [5.0])),
    _t("np_pairwise", "pairwise_sq_distances", "numpy annotated", _pairwise_heldout,
       ((np.array([[0, 0], [3, 4]]),), [[0, 25], [25, 0]]), ((np.array([[1, 1]]),), [[0]])),
    _t("np_row_normalize", "normalize_rows", "numpy unannotated", _rows_heldout,
       ((np.array([[1, 1], [0, 0], [1, 3]]),), [[0.5, 0.5], [0.0, 0.0], [0.25, 0.75]]),
       ((np.zeros((0, 2)),), [])),
    _t("np_clip_count", "clip_and_count", "numpy annotated", _clip_heldout,
       ((np.array([-1.0, 0.5, 2.0]), 0.0, 1.0), ([0.0, 0.5, 1.0], 2)), ((np.zeros(0), 0.0, 1.0), ([], 0))),
    _t("np_histogram", "histogram", "numpy annotated", _histogram_heldout,
       ((np.array([0, 5, 10, 99]), 10, 3), [2, 1, 1]), ((np.array([-50]), 10, 2), [1, 0])),
    _t("np_running_max", "running_max", "numpy unannotated", _runmax_heldout,
       ((np.array([1.0, 3.0, 2.0, 5.0]),), [1.0, 3.0, 3.0, 5.0]), ((np.zeros(0),), [])),
)

_TYPED_OBJECTS = (
    _t("shipping_quote", "quote_cents", "dataclass annotated", _quote_heldout,
       (([new("Parcel", 500, ref("Zone.DOMESTIC"))],), 390),
       (([new("Parcel", 501, ref("Zone.EUROPE"), True)],), 2085),
       (([new("Parcel", 10001, ref("Zone.WORLD"))],), Raises("ValueError"))),
    _t("closest_points", "closest_pair_sq", "dataclass annotated", _closest_heldout,
       (([new("Stop", 0, 0), new("Stop", 3, 4), new("Stop", 10, 10)],), 25),
       (([new("Stop", 1, 1), new("Stop", 1, 1)],), 0), (([new("Stop", 0, 0)],), Raises("ValueError"))),
    _t("account_balances", "balances", "dataclass dicts annotated", _balances_heldout,
       (([{"source": "a", "target": "b", "cents": 5}],), {"a": -5, "b": 5}), (([],), {}),
       (([{"source": "a", "target": "a", "cents": 7}],), {"a": 0})),
    _t("task_queue", "schedule", "dataclass annotated", _schedule_heldout,
       (([new("Ticket", "a", ref("Priority.LOW"), 1), new("Ticket", "b", ref("Priority.URGENT"), 0),
          new("Ticket", "c", ref("Priority.LOW"), 9)],), ["b", "c", "a"]),
       (([],), [])),
)

_METHODS = (
    _t("text_search", "TextIndex.search_many", "method annotated", _search_heldout,
       ((new("TextIndex", ["a b", "b c"]), ["b", "a c", ""]), [[0, 1], [], [0, 1]]),
       ((new("TextIndex", ["Red Fox"]), ["fox"]), [[0]])),
    _t("rate_limiter", "RateLimiter.allow", "method dataclass annotated", _limiter_heldout,
       ((new("RateLimiter", 2, 10), [0, 1, 2, 10, 11]), [True, True, False, True, True]),
       ((new("RateLimiter", 0, 10), [5]), [False])),
    _t("order_book", "OrderBook.best_after_cancels", "method annotated", _book_heldout,
       ((new("OrderBook", [(100, 1), (105, 2), (101, 3)]), [0, 1, 5]), [105, 101, None]),
       ((new("OrderBook", []), [0]), [None])),
    _t("route_graph", "RoadGraph.reachable", "method annotated", _graph_heldout,
       ((new("RoadGraph", [(1, 2), (2, 3), (4, 1)]), 1), [1, 2, 3]), ((new("RoadGraph", []), 7), [7])),
    _t("spell_check", "SpellChecker.suggest", "method dataclass annotated", _spell_heldout,
       ((new("SpellChecker", ["cat", "bat", "cart"]), "cat"), ["cat"]),
       ((new("SpellChecker", ["cat", "bat", "cart"]), "cst"), ["cat"]),
       ((new("SpellChecker", ["cat", "bat", "cart"]), "at"), ["bat", "cat"])),
    _t("polynomial", "Polynomial.evaluate_many", "method dataclass annotated", _poly_heldout,
       ((new("Polynomial", (1, 2, 3)), [0, 1, 2]), [1, 6, 17]), ((new("Polynomial", ()), [5]), [0])),
)

_NESTED = (
    _t("org_chart", "depth", "nested dicts unannotated", _depth_heldout,
       (({"name": "a"},), 1),
       (({"name": "a", "reports": [{"name": "b", "reports": [{"name": "c"}]}, {"name": "d"}]},), 3)),
    _t("grid_routes", "count_routes", "nested annotated", _routes_heldout,
       (([[0, 0], [0, 0]],), 2), (([[0, 1], [0, 0]],), 1), (([[1]],), 0)),
    _t("batch_dedupe", "new_items_per_batch", "nested annotated", _batches_heldout,
       (([["a", "b", "a"], ["b", "c"], ["c", "d"]],), [["a", "b"], ["c"], ["d"]]), (([],), [])),
)

_SIGNATURES = (
    _t("parse_amounts", "total_amount", "optional annotated", _amounts_heldout,
       (([1, "2,5", None, "x", " 3 EUR"],), 6.5), (([],), 0.0), ((["-1.25", 0.25],), -1.0)),
    _t("name_filter", "complete", "optional annotated", _complete_heldout,
       ((["bob", "alice", "bert"], "b", None), "bert,bob"), ((["a"], None, 0), ""), (([], "x", 3), "")),
    _t("pipeline", "apply_steps", "callable annotated", _steps_heldout,
       (([1, -2], [abs, operator.neg]), [-1, -2]), (([], [abs]), []), (([3], []), [3])),
    _t("smallest_by_key", "smallest_k", "callable unannotated", _smallest_heldout,
       (([3, -1, 2, -3], 2, abs), [-1, 2]), (([5], 0, abs), []), (([3, -3, 1], 3, abs), [1, 3, -3])),
    _t("sliding_windows", "windows", "generator partial", _windows_heldout,
       (([1, 2, 3], 2), [(1, 2), (2, 3)]), (([1], 2), [])),
    _t("unique_stream", "first_seen", "generator annotated", _first_seen_heldout,
       ((["a", " A", "b"],), ["a", "b"]), (([],), [])),
)

_SCRIPTS = (
    _t("wordfreq_cli", None, "script", _wordfreq_heldout, ("b a b\n", "     2 b\n     1 a\n"), ("", ""),
       workload=_wordfreq_workload),
    _t("expense_totals", None, "script", _expense_heldout,
       ("name,cents\nann,150\nbob,99\nann,1\n", "ann\t1.51\nbob\t0.99\n"), ("name,cents\n", ""),
       workload=_expense_workload),
    _t("error_codes", None, "script", _errors_heldout,
       ('1.2.3.4 - - [x] "GET / HTTP/1.1" 404 12\n1.2.3.4 - - [x] "GET / HTTP/1.1" 200 5\n', "404 1\n"),
       ("", ""), workload=_errors_workload),
    _t("print_queue", None, "script", _queue_heldout, ("0 3\n1 1\n", "0 3 3\n1 4 3\n"), ("", ""),
       workload=_queue_workload),
    _t("prime_check", None, "script", _primes_script_heldout,
       ("7\n8\n1\n", "7 prime\n8 composite\n1 composite\n"), ("", ""), workload=_primes_script_workload),
    _t("uniq_lines", None, "script", _uniq_heldout, ("b\na\nb\n", "b\na\n"), ("", ""), workload=_uniq_workload),
    _t("anagram_groups_cli", None, "script", _anagram_script_heldout,
       ("listen silent tinsel cat act dog\n", "listen silent tinsel\nact cat\n"), ("solo\n", ""),
       workload=_anagram_script_workload),
)

SUITE: tuple[HeldoutTarget, ...] = (_UNANNOTATED + _DICTS + _NUMPY + _TYPED_OBJECTS + _METHODS + _NESTED
                                    + _SIGNATURES + _SCRIPTS)


def by_name(name: str) -> HeldoutTarget:
    """The target called ``name``; raises ValueError listing the names."""
    for target in SUITE:
        if target.name == name:
            return target
    raise ValueError(f"no held-out target {name!r}; the targets are: {', '.join(t.name for t in SUITE)}")


def kind_counts(targets: tuple[HeldoutTarget, ...] = SUITE) -> dict[str, int]:
    """How many targets carry each kind tag."""
    return {kind: sum(kind in t.kinds for t in targets) for kind in KINDS}
