"""The scripted model of the benchmark's ``--mode scripted``.

It answers the model proposer's prompt with a whole-file rewrite taken from
:data:`REWRITES`: for most targets a known-good faster version, for some a plausible but
wrong one (and for a few both, wrong first), so that the search's checks and the
benchmark's held-out judge both meet wrong code. The wrong rewrites differ from the
original only on inputs the type hints rarely produce (surrounding whitespace, numbers
of 4000) or on inputs they often produce (duplicate keys, perfect squares). Summarizer
prompts get a fixed piece of advice. A prompt for a target without rewrites gets the parent (the prompt's
``<current name="code">`` block) back unchanged, which the engine drops as a duplicate.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable
from typing import Any

_PARENT = re.compile(r'<current name="code">\n(.*?)\n</current>', re.DOTALL)

# marker in the parent's code -> rewrites, handed out in turn
REWRITES: dict[str, tuple[str, ...]] = {
    "def dedupe_emails(": ('''"""Normalise a mailing list (wrong: forgets to trim)."""


def dedupe_emails(emails: list[str]) -> list[str]:
    return list(dict.fromkeys(email.lower() for email in emails))
''',),
    "def roman_numerals(": ('''"""Roman numerals (wrong: lets 4000 through)."""

_VALUES = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def roman_numerals(numbers: list[int]) -> list[str]:
    out = []
    for n in numbers:
        if not 0 < n <= 4000:
            out.append(str(n))
            continue
        parts = []
        for value, symbol in _VALUES:
            count, n = divmod(n, value)
            parts.append(symbol * count)
        out.append("".join(parts))
    return out
''',),
    "def prime_filter(": ('''"""Primes (wrong: stops one divisor early)."""


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for d in range(2, int(n ** 0.5)):
        if n % d == 0:
            return False
    return True


def prime_filter(ids: list[int]) -> list[int]:
    return [n for n in ids if _is_prime(n)]
''', '''"""Primes by trial division up to the square root."""

from math import isqrt


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for d in range(2, isqrt(n) + 1):
        if n % d == 0:
            return False
    return True


def prime_filter(ids: list[int]) -> list[int]:
    return [n for n in ids if _is_prime(n)]
'''),
    "def order_totals(": ('''"""Order totals (wrong: a repeated sku takes its last price)."""


def order_totals(orders: list[tuple[int, int]], catalogue: list[tuple[int, float]]) -> float:
    prices = dict(catalogue)
    total = 0.0
    for sku, qty in orders:
        if sku in prices:
            total += qty * prices[sku]
    return round(total, 6)
''', '''"""Order totals priced through an index of first prices."""


def order_totals(orders: list[tuple[int, int]], catalogue: list[tuple[int, float]]) -> float:
    prices = {}
    for item, price in catalogue:
        prices.setdefault(item, price)
    total = 0.0
    for sku, qty in orders:
        if sku in prices:
            total += qty * prices[sku]
    return round(total, 6)
'''),
    "def word_frequencies(": ('''"""Most frequent words."""

from collections import Counter


def word_frequencies(text: str) -> list[tuple[str, int]]:
    pairs = list(Counter(text.lower().split()).items())
    pairs.sort(key=lambda p: (-p[1], p[0]))
    return pairs[:20]
''',),
    "def pairs_with_sum(": ('''"""Count index pairs with a given sum."""


def pairs_with_sum(nums: list[int], target: int) -> int:
    seen = {}
    count = 0
    for x in nums:
        count += seen.get(target - x, 0)
        seen[x] = seen.get(x, 0) + 1
    return count
''',),
    "def running_median(": ('''"""Prefix medians over an incrementally sorted window."""

from bisect import insort


def running_median(values: list[int]) -> list[float]:
    window = []
    medians = []
    for i, value in enumerate(values, start=1):
        insort(window, value)
        mid = i // 2
        medians.append(float(window[mid]) if i % 2 else (window[mid - 1] + window[mid]) / 2)
    return medians
''',),
    "def range_sums(": ('''"""Range sums from prefix sums."""

from itertools import accumulate


def range_sums(values: list[int], queries: list[tuple[int, int]]) -> list[int]:
    n = len(values)
    if n == 0:
        return [0] * len(queries)
    prefix = [0, *accumulate(values)]
    answers = []
    for a, b in queries:
        lo, hi = sorted((a % n, b % n))
        answers.append(prefix[hi + 1] - prefix[lo])
    return answers
''',),
    "def bfs_levels(": ('''"""BFS over an adjacency index."""

from collections import deque


def bfs_levels(edges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if not edges:
        return []
    adjacency = {}
    for a, b in edges:
        adjacency.setdefault(a, []).append(b)
        adjacency.setdefault(b, []).append(a)
    start = edges[0][0]
    dist = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for v in adjacency.get(node, ()):
            if v not in dist:
                dist[v] = dist[node] + 1
                queue.append(v)
    return sorted(dist.items())
''',),
    "def component_count(": ('''"""Components by union-find."""


def component_count(edges: list[tuple[int, int]]) -> int:
    parent = {}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    return len({find(x) for x in parent})
''',),
    "def staircase_ways(": ('''"""Staircase ways, memoized."""

from functools import lru_cache


@lru_cache(maxsize=None)
def _ways(n: int) -> int:
    if n < 0:
        return 0
    if n == 0:
        return 1
    return _ways(n - 1) + _ways(n - 2) + _ways(n - 3)


def staircase_ways(heights: list[int]) -> list[int]:
    return [_ways(h % 13) for h in heights]
''',),
    "def flatten_batches(": ('''"""Concatenate batches in one pass."""


def flatten_batches(batches: list[list[int]]) -> list[int]:
    result = []
    for batch in batches:
        result.extend(batch)
    return result
''',),
    "def prefix_minimum(": ('''"""Running minimum."""

from itertools import accumulate


def prefix_minimum(readings: list[int]) -> list[int]:
    return list(accumulate(readings, min))
''',),
    "def covariance(": ('''"""Covariance with the means computed once."""


def covariance(xs: list[float], ys: list[float]) -> float:
    n = min(len(xs), len(ys))
    if n < 2:
        return 0.0
    mx = sum(xs[:n]) / n
    my = sum(ys[:n]) / n
    total = 0.0
    for i in range(n):
        total += (xs[i] - mx) * (ys[i] - my)
    return total / (n - 1)
''',),
    "def sorted_merge(": ('''"""Sorted leaderboard by binary-search insertion."""

from bisect import insort_right


def sorted_merge(scores: list[int]) -> list[int]:
    board = []
    for score in scores:
        insort_right(board, score)
    return board
''',),
    "def dijkstra(n, adjacency):": ('''"""Shortest paths from node 0 with a binary heap."""

import heapq
import sys


def dijkstra(n, adjacency):
    dist = [None] * n
    dist[0] = 0
    heap = [(0, 0)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, w in adjacency[u]:
            nd = d + w
            if dist[v] is None or nd < dist[v]:
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dist


def main():
    data = sys.stdin.read().split()
    n, m = int(data[0]), int(data[1])
    adjacency = [[] for _ in range(n)]
    for i in range(m):
        u, v, w = int(data[2 + 3 * i]), int(data[3 + 3 * i]), int(data[4 + 3 * i])
        adjacency[u].append((v, w))
        adjacency[v].append((u, w))
    sys.stdout.write("".join(f"{-1 if d is None else d}\\n" for d in dijkstra(n, adjacency)))


main()
''',),
    "stock = []": ('''"""Final stock per sku, kept in a dict."""

import sys

stock = {}
for line in sys.stdin:
    parts = line.split()
    if len(parts) != 2:
        continue
    stock[parts[0]] = stock.get(parts[0], 0) + int(parts[1])
for sku in sorted(stock):
    print(sku, stock[sku])
''',),
}

SUMMARY_ADVICE = "<summary>Replace quadratic scans with an index or a single pass.</summary>"


def scripted_responder() -> Callable[[dict[str, Any]], str]:
    """A responder for :class:`polca.testing.ScriptedServer`; thread-safe."""
    turns = {marker: itertools.cycle(rewrites) for marker, rewrites in REWRITES.items()}
    lock = threading.Lock()

    def respond(body: dict[str, Any]) -> str:
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        if "<param" not in prompt:
            return SUMMARY_ADVICE
        parent = _PARENT.search(prompt)
        code = parent.group(1) + "\n" if parent else ""
        for marker, cycle in turns.items():
            if marker in code:
                with lock:
                    code = next(cycle)
                break
        return f'<reasoning>scripted rewrite</reasoning>\n<param name="code">\n```python\n{code}```\n</param>'

    return respond
