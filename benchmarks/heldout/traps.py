"""The trap set: slow functions, each with a plausible WRONG fast rewrite and a RIGHT one.

Each trap is ``trap_targets/<name>.py`` (the original), ``trap_rewrites/<name>_wrong.py``
and ``trap_rewrites/<name>_right.py`` (whole-file texts). The wrong rewrites are the kind a
model really offers: they agree with the original on small, typical inputs and differ on
the trap's held-out inputs (a size past a hard-coded limit, recursion past ~1000 frames,
int64 overflow, float cancellation, a mutated argument, hash order, a rare branch, a
stale cross-call cache, an empty input, unicode case, tie order, a range end).
``heldout(rng)`` is used only to judge what polca offers.

The scripted model of ``run.py --mode scripted``: for the
proposer's prompt on a trap it answers the wrong rewrite first, the right one second, and
the parent unchanged after that; summarizer prompts get a fixed piece of advice.
:class:`ScriptedTrapModel` is that responder.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TRAP_TARGETS_DIR = HERE / "trap_targets"
TRAP_REWRITES_DIR = HERE / "trap_rewrites"
TRAP_SEED = 20260318

_PARENT = re.compile(r'<current name="code">\n(.*?)\n</current>', re.DOTALL)
SUMMARY_ADVICE = "<reasoning>scripted</reasoning><summary>Replace quadratic work with one pass.</summary>"


@dataclass(frozen=True)
class Trap:
    """One trap: the original's target function, what it tests, and what the wrong rewrite does."""

    name: str
    function: str
    category: str
    wrong_does: str
    heldout: Callable[[random.Random], list[tuple]]

    @property
    def path(self) -> Path:
        return TRAP_TARGETS_DIR / f"{self.name}.py"

    @property
    def wrong_path(self) -> Path:
        return TRAP_REWRITES_DIR / f"{self.name}_wrong.py"

    @property
    def right_path(self) -> Path:
        return TRAP_REWRITES_DIR / f"{self.name}_right.py"

    @property
    def wrong_source(self) -> str:
        return self.wrong_path.read_text(encoding="utf-8")

    @property
    def right_source(self) -> str:
        return self.right_path.read_text(encoding="utf-8")

    @property
    def is_script(self) -> bool:
        return False

    @property
    def kinds(self) -> tuple[str, ...]:
        return ("trap", self.category)

    def heldout_items(self, seed: int = TRAP_SEED) -> list[tuple]:
        return self.heldout(random.Random(seed))


# ---------------------------------------------------------------- held-out inputs


def _primes_heldout(rng: random.Random) -> list[tuple]:
    return [(n,) for n in (-1, 0, 1, 2, 3, 20, 9973, 10_000, 10_007, 12_000, 30_000)] + [(rng.randint(4, 500),)]


def _ways_heldout(rng: random.Random) -> list[tuple]:
    return [(n,) for n in (-2, 0, 1, 2, 3, 10, 30, 500, 999, 1500, 3000, 5000)] + [(rng.randint(40, 90),)]


def _energy_heldout(rng: random.Random) -> list[tuple]:
    audio = [rng.randint(-32768, 32767) for _ in range(10_000)]
    return [([],), ([0],), ([3, -4],), (audio,), ([10**10, 10**10],), ([2**31] * 5,), ([10**20, 1],),
            ([-(2**62), 2**62],), ([rng.randint(-(10**12), 10**12) for _ in range(1000)],)]


def _balance_heldout(rng: random.Random) -> list[tuple]:
    money = [rng.randint(-100_000, 100_000) / 100 for _ in range(2000)]
    return [([],), ([1.0],), ([0.1] * 10,), ([1e16, 1.0, -1e16],), ([1e100, 1.0, -1e100, 1.0],),
            ([0.1, 0.2, -0.3, 1e-17],), ([1.0, float("inf"), -1.0],), ([1e308, 1e308, -1e308],), (money,), ([x * 1e15 if i % 50 == 0 else x for i, x in enumerate(money)],)]


def _median_heldout(rng: random.Random) -> list[tuple]:
    return [([],), ([1.0],), ([2.0, 1.0],), ([3, 1, 2],), ([5.0, 5.0, 1.0, 5.0],), ([1.0, 2.0, 3.0],),
            ([3.0, float("nan"), 1.0, 2.0],), ([0.0, -0.0, 0.0],),
            ([rng.uniform(-100, 100) for _ in range(2000)],), ([rng.randint(0, 9) for _ in range(999)],)]


def _tags_heldout(rng: random.Random) -> list[tuple]:
    vocab = [f"tag{i}" for i in range(400)]
    return [([],), (["a"],), (["b", "a", "b"],), (["python", "Python", "py", "python"],),
            (["ü", "ß", "日本", "ß"],), ([rng.choice(vocab) for _ in range(3000)],)]


def _blocks_heldout(rng: random.Random) -> list[tuple]:
    return [([],), ([0, 1, 2, 3],), ([-5, -1],), ([1000, 1024, 1025],), ([2**20, 2**20 + 1, 10**9],),
            ([rng.randint(0, 4096) for _ in range(5000)],), ([rng.randint(0, 2**22) for _ in range(2000)],)]


def _prices_heldout(rng: random.Random) -> list[tuple]:
    cents = [rng.randint(-10**6, 10**9) for _ in range(3000)]
    return [([], "EUR"), ([100, 250], "EUR"), ([100, 250], "USD"), ([0, -5, 123456789], "EUR"),
            ([-5, 99], "£"), (cents, "EUR"), (cents, "CHF")]


def _gap_heldout(rng: random.Random) -> list[tuple]:
    return [([],), ([5],), ([3, 3],), ([1, 10, 3],), ([10**18, -(10**18)],), ([7, 7, 8],),
            ([rng.randint(0, 10**6) for _ in range(2000)],)]


def _deviation_heldout(rng: random.Random) -> list[tuple]:
    return [([],), ([5.0],), ([1.0, 3.0],), ([2.0, 2.0, 2.0],), ([rng.expovariate(1 / 120) for _ in range(2000)],)]


def _names_heldout(rng: random.Random) -> list[tuple]:
    base = [f"{rng.choice(['ann', 'bob', 'eve', 'kai'])}{i}" for i in range(300)]
    names = [n.upper() if rng.random() < 0.3 else n for n in rng.choices(base, k=3000)]
    return [([],), (["Ann", "ANN", "ann"],), (["Straße", "STRASSE", "strasse"],), (["ǅ", "ǆ", "Ǆ"],),
            (["ﬁ", "FI", "fi"],), (names,)]


def _board_heldout(rng: random.Random) -> list[tuple]:
    entries = [(f"p{i}", rng.randint(0, 20)) for i in range(2000)]
    return [([],), ([("a", 1)],), ([("a", 1), ("b", 1), ("c", 2)],), ([(f"q{i}", i % 3) for i in range(12)],),
            (entries,)]


def _multiples_heldout(rng: random.Random) -> list[tuple]:
    return [(1, 10, 3), (0, 0, 5), (10, 20, 5), (7, 7, 7), (-10, 10, 5), (5, 1, 2), (3, 9, 0), (9, 3, 0), (0, 10**6, 7),
            (-(10**6), 10**6, -3), (rng.randint(1, 1000), rng.randint(10**5, 10**6), rng.randint(1, 50))]


# ---------------------------------------------------------------- the traps


TRAPS: tuple[Trap, ...] = (
    Trap("prime_table", "primes_up_to", "size-limit",
         "answers from a sieve precomputed up to 10,000: misses every prime above it", _primes_heldout),
    Trap("stair_ways", "ways", "recursion-depth",
         "memoized recursion (lru_cache): RecursionError once n runs ~1000 past the cached values", _ways_heldout),
    Trap("signal_energy", "energy", "int-overflow",
         "np.dot on an int64 array: silently wraps when squares pass 2**63", _energy_heldout),
    Trap("running_balance", "running_balance", "float-precision",
         "itertools.accumulate: plain float addition instead of the exact fsum, wrong after cancellation",
         _balance_heldout),
    Trap("median_value", "median", "argument-mutation",
         "values.sort() in place: the caller's list comes back sorted", _median_heldout),
    Trap("unique_tags", "unique_tags", "hash-order",
         "list(set(tags)): order follows string hashes (PYTHONHASHSEED), not first appearance", _tags_heldout),
    Trap("block_sizes", "round_up_sizes", "rare-branch",
         "bit_length trick without the cap: requests over 2**20 are no longer capped", _blocks_heldout),
    Trap("price_labels", "format_prices", "cross-call-cache",
         "a module-level cache keyed by cents only: a later call in another currency gets stale labels",
         _prices_heldout),
    Trap("largest_gap", "largest_gap", "empty-input",
         "returns 0 for fewer than two distinct times, where the original raises ValueError", _gap_heldout),
    Trap("mean_deviation", "mean_deviation", "empty-input",
         "statistics.fmean: raises StatisticsError on [], where the original returns 0.0", _deviation_heldout),
    Trap("unique_names", "unique_names", "unicode-case",
         "str.lower instead of str.casefold: 'Straße' and 'STRASSE' no longer collide", _names_heldout),
    Trap("leaderboard", "leaderboard", "stable-sort",
         "np.argsort's default (unstable) sort: equal scores lose their submission order", _board_heldout),
    Trap("count_multiples", "count_divisible", "off-by-one",
         "hi // k - lo // k: misses lo when lo is a multiple (and a negative k flips the sign)", _multiples_heldout),
)


def trap_by_name(name: str) -> Trap:
    for trap in TRAPS:
        if trap.name == name:
            return trap
    raise ValueError(f"no trap {name!r}; the traps are: {', '.join(t.name for t in TRAPS)}")


# ---------------------------------------------------------------- the scripted model


def _answer(code: str) -> str:
    return f'<reasoning>scripted rewrite</reasoning>\n<param name="code">\n```python\n{code}```\n</param>'


def _trap_of(code: str) -> Trap | None:
    for trap in TRAPS:
        if f"def {trap.function}(" in code:
            return trap
    return None


class ScriptedTrapModel:
    """An OpenAI-compatible responder (request body -> answer text) for the traps; thread-safe.

    Per trap it serves the wrong rewrite, then the right one, then the parent unchanged
    (which the engine drops as a duplicate). A proposer prompt for code that is no trap
    gets its parent back; any other prompt (the summarizer's) gets advice in ``<summary>``.
    ``served[trap name]`` lists what each proposer prompt on that trap got, in order
    (``wrong``, ``right``, ``parent``).
    """

    def __init__(self, traps: tuple[Trap, ...] = TRAPS) -> None:
        self._turns = {t.name: iter((("wrong", t.wrong_source), ("right", t.right_source))) for t in traps}
        self._lock = threading.Lock()
        self.served: dict[str, list[str]] = {}

    def __call__(self, body: dict[str, Any]) -> str:
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        parent = _PARENT.search(prompt)
        if parent is None or "<param" not in prompt:
            return SUMMARY_ADVICE
        code = parent.group(1) + "\n"
        trap = _trap_of(code)
        if trap is None or trap.name not in self._turns:
            return _answer(code)
        with self._lock:
            label, rewrite = next(self._turns[trap.name], ("parent", code))
            self.served.setdefault(trap.name, []).append(label)
        return _answer(rewrite)
