"""The held-out program suite: 34 slow targets, their held-out inputs and known answers.

Each target is a file in ``targets/``: a module whose public function is the target
(``function``), or a stdin script (``function=None``). The suite was written for this
benchmark and is not drawn from the skill library. A target carries:

- ``heldout(rng)``: a larger, separate input set (edge cases and large inputs) that the
  optimizer never sees; the original's answers on it judge every offered change.
- ``examples``: a few (input, expected output) pairs checked by hand, so the originals
  themselves are known to be right.
- ``workload(rng)`` (scripts only): the stdin the optimizer profiles and searches on.
- ``size``: elements per container the optimizer generates from type hints (``--size``);
  smaller where a parameter nests containers, whose generated size is its square.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polca.sandbox.target import Call, ScriptInput

TARGETS_DIR = Path(__file__).resolve().parent / "targets"
HELDOUT_SEED = 20261126

Heldout = Callable[[random.Random], list[Any]]


@dataclass(frozen=True)
class BenchTarget:
    """One target of the suite; ``function`` None means a stdin script."""

    name: str
    domain: str
    function: str | None
    heldout: Heldout
    examples: tuple[tuple[Any, Any], ...] = ()
    workload: Callable[[random.Random], str] | None = None
    size: int = 1000

    @property
    def path(self) -> Path:
        return TARGETS_DIR / f"{self.name}.py"

    def heldout_inputs(self, seed: int = HELDOUT_SEED) -> list[Call | ScriptInput]:
        """The held-out inputs as sandbox inputs, reproducibly from ``seed``."""
        items = self.heldout(random.Random(seed))
        if self.function is None:
            return [ScriptInput(stdin=text) for text in items]
        return [Call(args=tuple(args)) for args in items]


# ---------------------------------------------------------------- input builders


def _ints(rng: random.Random, n: int, lo: int = -1000, hi: int = 1000) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(n)]


def _floats(rng: random.Random, n: int, scale: float = 100.0) -> list[float]:
    return [round(rng.uniform(-scale, scale), 3) for _ in range(n)]


def _word(rng: random.Random, lo: int = 1, hi: int = 8, alphabet: str = "etaoinshrdl") -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def _words(rng: random.Random, n: int, **kw: Any) -> list[str]:
    return [_word(rng, **kw) for _ in range(n)]


def _edges(rng: random.Random, nodes: int, count: int) -> list[tuple[int, int]]:
    return [(rng.randrange(nodes), rng.randrange(nodes)) for _ in range(count)]


def _sizes(rng: random.Random, small: int = 12, large: tuple[int, ...] = (300, 900)) -> list[int]:
    return [0, 1, 2] + [rng.randint(3, 20) for _ in range(small)] + list(large)


def _emails(rng: random.Random, n: int) -> list[str]:
    names = _words(rng, max(1, n // 3), lo=2, hi=6)
    out = []
    for _ in range(n):
        email = f"{rng.choice(names)}@{rng.choice(['x.org', 'Y.com', 'z.net'])}"
        out.append(rng.choice(["", " ", "\t"]) + (email.upper() if rng.random() < 0.3 else email))
    return out


def _csv_line(rng: random.Random) -> str:
    fields = []
    for _ in range(rng.randint(1, 8)):
        text = _word(rng, 0, 6, "ab c1,")
        fields.append(f'"{text}"' if "," in text or rng.random() < 0.2 else text.replace(",", ""))
    return ",".join(fields)


def _brackets(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("()[]{}ab") for _ in range(n))


def _balanced(rng: random.Random, depth: int) -> str:
    if depth == 0:
        return ""
    o, c = rng.choice(["()", "[]", "{}"])
    return o + _balanced(rng, depth - 1) + c + _balanced(rng, rng.randint(0, depth - 1))


def _expr(rng: random.Random, n: int) -> str:
    parts = []
    for _ in range(n):
        parts.append(rng.choice([str(rng.randint(0, 999)), f"{rng.randint(0, 99)}.{rng.randint(0, 9)}",
                                 _word(rng, 1, 5, "xyz_ab"), rng.choice(["+", "-", "*", "/", "**", "(", ")", "="]),
                                 " ", "  ", "#"]))
    return " ".join(parts)


def _text(rng: random.Random, n: int) -> str:
    return " ".join(_words(rng, n, alphabet="aeioubcdfgh"))


# ---------------------------------------------------------------- stdin workloads


def _grades_stdin(rng: random.Random, n: int) -> str:
    names = _words(rng, max(1, n // 5), lo=3, hi=7)
    lines = [f"{rng.choice(names)} {rng.randint(0, 100)}" for _ in range(n)]
    return f"{n}\n" + "".join(line + "\n" for line in lines)


def _graph_stdin(rng: random.Random, n: int, m: int) -> str:
    edges = [f"{rng.randrange(n)} {rng.randrange(n)} {rng.randint(1, 50)}" for _ in range(m)]
    return f"{n} {m}\n" + "".join(e + "\n" for e in edges)


def _inventory_stdin(rng: random.Random, n: int) -> str:
    skus = [f"SKU{rng.randint(0, max(1, n // 3)):05d}" for _ in range(n)]
    lines = [f"{sku} {rng.randint(-20, 50)}" for sku in skus]
    lines += ["bad line here", ""] if n > 5 else []
    return "".join(line + "\n" for line in lines)


def _log_stdin(rng: random.Random, n: int) -> str:
    levels = ["INFO", "WARN", "ERROR", "DEBUG"]
    lines = []
    for _ in range(n):
        stamp = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
        lines.append(f"{stamp} [{rng.choice(levels)}] " + _text(rng, 6) if rng.random() > 0.05 else "garbage")
    return "".join(line + "\n" for line in lines)


def _grid_stdin(rng: random.Random, rows: int, cols: int) -> str:
    body = "".join(" ".join(str(rng.randint(-99, 99)) for _ in range(cols)) + "\n" for _ in range(rows))
    return f"{rows} {cols}\n{body}"


# ---------------------------------------------------------------- the suite


def _t(name: str, domain: str, heldout: Heldout, *examples: tuple[Any, Any], function: str | None = "",
       workload: Callable[[random.Random], str] | None = None, size: int = 1000) -> BenchTarget:
    return BenchTarget(name, domain, name if function == "" else function, heldout, tuple(examples), workload,
                       size)


SUITE: tuple[BenchTarget, ...] = (
    _t("dedupe_emails", "records", lambda r: [(_emails(r, n),) for n in _sizes(r)],
       (([" A@x.org", "a@x.org", "b@y.com"],), ["a@x.org", "b@y.com"])),
    _t("word_frequencies", "text", lambda r: [(_text(r, n),) for n in _sizes(r, large=(500, 1500))],
       (("b a b c a b",), [("b", 3), ("a", 2), ("c", 1)])),
    _t("csv_fields", "parsing", lambda r: [([_csv_line(r) for _ in range(n)],) for n in _sizes(r)],
       ((['a,"b,c",d', ""],), [["a", "b,c", "d"], [""]])),
    _t("pairs_with_sum", "numeric", lambda r: [(_ints(r, n, -30, 30), r.randint(-10, 10)) for n in _sizes(r, large=(400, 700))],
       (([1, 2, 3, 4, 3], 6), 2)),
    _t("running_median", "numeric", lambda r: [(_ints(r, n),) for n in _sizes(r, large=(300, 700))],
       (([5, 1, 3, 2],), [5.0, 3.0, 3.0, 2.5])),
    _t("range_sums", "numeric", lambda r: [(_ints(r, n), [(r.randint(-50, 900), r.randint(-50, 900)) for _ in range(n)])
                                          for n in _sizes(r, large=(300, 600))],
       (([1, 2, 3, 4], [(0, 2), (3, 1), (-1, 0)]), [6, 9, 10]), (([], [(1, 2)]), [0])),
    _t("bfs_levels", "graphs", lambda r: [(_edges(r, max(1, n // 2), n),) for n in _sizes(r, large=(200, 400))],
       (([(0, 1), (1, 2), (3, 4)],), [(0, 0), (1, 1), (2, 2)])),
    _t("component_count", "graphs", lambda r: [(_edges(r, max(1, n), n),) for n in _sizes(r, large=(400, 800))],
       (([(0, 1), (2, 3), (3, 4), (5, 5)],), 3)),
    _t("topo_order", "graphs", lambda r: [(_edges(r, max(1, n // 2), n),) for n in _sizes(r, large=(300, 600))],
       (([(0, 2), (1, 2), (2, 3)],), [0, 1, 2, 3])),
    _t("moving_average", "numeric", lambda r: [(_floats(r, n), r.randint(-5, 30)) for n in _sizes(r, large=(800, 2000))],
       (([1.0, 2.0, 3.0, 4.0], 2), [1.5, 2.5, 3.5]), (([1.0], 3), [])),
    _t("prime_filter", "numeric", lambda r: [(_ints(r, n, -5, 3000),) for n in _sizes(r, large=(300, 600))],
       (([1, 2, 9, 11, -3, 97],), [2, 11, 97])),
    _t("staircase_ways", "numeric", lambda r: [(_ints(r, n, 0, 60),) for n in _sizes(r, large=(20, 40))],
       (([0, 1, 2, 3, 4, 13],), [1, 1, 2, 4, 7, 1])),
    _t("parity_checksum", "numeric", lambda r: [(_ints(r, n, -10**6, 10**6),) for n in _sizes(r, large=(800, 2000))],
       (([0, 1],), 19)),
    _t("ledger_text", "records", lambda r: [([(_word(r, 1, 15), r.randint(-10**6, 10**6)) for _ in range(n)],)
                                            for n in _sizes(r, large=(1000, 3000))],
       (([("cash", -1205)],), "cash        -      12.05\n")),
    _t("flatten_batches", "records", lambda r: [([_ints(r, r.randint(0, 20)) for _ in range(n)],) for n in _sizes(r, large=(500, 1500))],
       (([[1, 2], [], [3]],), [1, 2, 3]), size=120),
    _t("order_totals", "records", lambda r: [([(r.randint(0, 300), r.randint(0, 9)) for _ in range(n)],
                                              [(k, round(r.uniform(0, 50), 2)) for k in r.sample(range(300), min(n, 250))])
                                             for n in _sizes(r, large=(300, 900))],
       (([(1, 2), (9, 1)], [(1, 2.5), (1, 9.0)]), 5.0)),
    _t("vowel_profile", "text", lambda r: [(_text(r, n),) for n in _sizes(r, large=(2000, 6000))],
       (("queue of bees",), {"a": 0, "e": 4, "i": 0, "o": 1, "u": 2})),
    _t("covariance", "numeric", lambda r: [(_floats(r, n), _floats(r, n + r.randint(-2, 2))) for n in _sizes(r, large=(300, 700))],
       (([1.0, 2.0, 3.0], [1.0, 2.0, 6.0]), 2.5)),
    _t("common_prefix", "text", lambda r: [(sorted(_words(r, n, lo=0, hi=10, alphabet="ab")),) for n in _sizes(r, large=(2000, 5000))],
       ((["abc", "abd", "b", ""],), 2)),
    _t("edit_distances", "text", lambda r: [(_words(r, n, lo=0, hi=12),) for n in _sizes(r, large=(200, 500))],
       ((["kitten", "sitting", "", "ab"],), [3, 7, 2])),
    _t("bracket_balance", "parsing", lambda r: [([_brackets(r, r.randint(0, 12)) if r.random() < 0.5 else _balanced(r, r.randint(0, 6))
                                                 for _ in range(n)],) for n in _sizes(r, large=(500, 1500))],
       ((["([]{})", "(]", "((", "a)b", ""],), [True, False, False, False, True])),
    _t("anagram_groups", "text", lambda r: [(_words(r, n, lo=1, hi=4, alphabet="abcd"),) for n in _sizes(r, large=(300, 700))],
       ((["ab", "ba", "c", "ab"],), [["ab", "ba", "ab"], ["c"]])),
    _t("sorted_merge", "records", lambda r: [(_ints(r, n, -50, 50),) for n in _sizes(r, large=(500, 1200))],
       (([3, 1, 2, 1],), [1, 1, 2, 3])),
    _t("prefix_minimum", "numeric", lambda r: [(_ints(r, n),) for n in _sizes(r, large=(800, 2000))],
       (([4, 6, 2, 3, 1],), [4, 4, 2, 2, 1])),
    _t("run_length", "text", lambda r: [("".join(r.choice("aab ") * r.randint(1, 4) for _ in range(n)),) for n in _sizes(r, large=(2000, 6000))],
       (("aaab",), "a3b1"), (("",), "")),
    _t("window_distinct", "records", lambda r: [(_ints(r, n, 0, 15), r.randint(-25, 25)) for n in _sizes(r, large=(1000, 3000))],
       (([1, 2, 1, 3], 2), [2, 2, 2]), (([1, 2, 1, 3], 9), [])),
    _t("roman_numerals", "text", lambda r: [(_ints(r, n, -5, 4100),) for n in _sizes(r, large=(1000, 3000))],
       (([1994, 4, 0, 4000],), ["MCMXCIV", "IV", "0", "4000"])),
    _t("tokenize_expr", "parsing", lambda r: [(_expr(r, n),) for n in _sizes(r, large=(300, 800))],
       (("x1 = 3.5**(y - 2)",), ["x1", "=", "3.5", "**", "(", "y", "-", "2", ")"])),
    _t("histogram_bins", "numeric", lambda r: [(_floats(r, n), r.randint(-12, 12)) for n in _sizes(r, large=(1000, 3000))],
       (([0.0, 1.0, 2.0, 3.0, 4.0], 2), [2, 3]), (([], 3), [0, 0, 0])),
    _t("grade_report", "stdin script", lambda r: [_grades_stdin(r, n) for n in _sizes(r, large=(2000, 6000))],
       ("2\nann 90\nann 81\n", "ann 85.50\nclass 85.50\n"), function=None,
       workload=lambda r: _grades_stdin(r, 20000)),
    _t("shortest_paths", "stdin script", lambda r: [_graph_stdin(r, max(1, n), n * 2) for n in _sizes(r, large=(200, 400))],
       ("3 2\n0 1 4\n1 0 1\n", "0\n1\n-1\n"), function=None,
       workload=lambda r: _graph_stdin(r, 1500, 6000)),
    _t("inventory", "stdin script", lambda r: [_inventory_stdin(r, n) for n in _sizes(r, large=(500, 1500))],
       ("B 2\nA 1\nB -5\nnoise\n", "A 1\nB -3\n"), function=None,
       workload=lambda r: _inventory_stdin(r, 4000)),
    _t("log_levels", "stdin script", lambda r: [_log_stdin(r, n) for n in _sizes(r, large=(1000, 3000))],
       ("01:00:00 [INFO] a\n02:00:00 [INFO] b\n02:01:00 [WARN] c\nx\n", "INFO 2\nWARN 1\nbusiest 02\n"),
       function=None, workload=lambda r: _log_stdin(r, 8000)),
    _t("grid_sums", "stdin script", lambda r: [_grid_stdin(r, max(1, n // 10), max(1, n // 20)) for n in _sizes(r, large=(300, 900))],
       ("2 2\n1 2\n3 4\n", "3\n7\n4\n6\n"), function=None,
       workload=lambda r: _grid_stdin(r, 300, 300)),
)

BY_NAME = {t.name: t for t in SUITE}
