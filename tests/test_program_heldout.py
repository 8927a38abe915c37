"""Held-out verification: a rewrite that passes the search's inputs but not fresh ones is never offered;
inputs on which the original raises are checked but not timed."""

from __future__ import annotations

import json

import pytest

from polca.config import SandboxConfig, SearchConfig
from polca.optimizer.domains.program import ProgramOptions, optimize_file
from polca.optimizer.domains.program.heldout import keep_heldout, raising_inputs, split_traced
from polca.optimizer.domains.program.inputs import (
    HELDOUT_RANDOM,
    SIZE_LADDER,
    heldout_calls,
    large_size_calls,
    search_calls,
    target_params,
)
from polca.optimizer.domains.program.oracle import InputSet
from polca.optimizer.domains.program.targets import load_program
from polca.optimizer.proposers import ScriptedProposer
from polca.runs import FINAL_CHECK_KEY
from polca.sandbox.target import Call, Target
from polca.skills.analysis.types import IntSpec

QUICK = dict(budget_evals=3, size=300, final_rounds=8, final_min_sample_s=0.02,
             search=SearchConfig(rounds=3, min_sample_s=0.005, warmup=0))

RARE_BRANCH = '''def score(x: int) -> int:
    total = 0
    for _ in range(3000):
        total += x % 7
    if x.bit_length() > 40:  # a bound the generator cannot read off a literal comparison
        total += 1
    return total
'''
RARE_BRANCH_DROPPED = '''def score(x: int) -> int:
    return 3000 * (x % 7)
'''

CASE = '''def fold(s: str) -> str:
    out = ""
    for ch in s:
        out += ch.casefold()
    return out
'''
CASE_LOWER = '''def fold(s: str) -> str:
    return s.lower()
'''

LOOP = '''def tri(n: int) -> int:
    total = 0
    for i in range(n):
        for _ in range(200):
            pass
        total += i
    return total
'''
LOOP_RECURSIVE = '''def tri(n: int) -> int:
    return 0 if n <= 0 else tri(n - 1) + n - 1
'''

RAISES_ON_EMPTY = '''def largest(xs: list[int]) -> int:
    best = None
    for x in sorted(xs):
        for _ in range(20):
            pass
        best = x
    if best is None:
        raise ValueError("empty")
    return best
'''
RAISES_ON_EMPTY_FAST = '''def largest(xs: list[int]) -> int:
    if not xs:
        raise ValueError("empty")
    return max(xs)
'''


def _rewrite_to(code: str) -> ScriptedProposer:
    return ScriptedProposer(lambda parent, evaluations, rng: {"code": code})


def _optimize(tmp_path, source: str, rewrite: str, store=None):
    path = tmp_path / "slow.py"
    path.write_text(source)
    return optimize_file(path, ProgramOptions(**QUICK), proposer=_rewrite_to(rewrite), store=store)


@pytest.mark.parametrize("source, wrong", [(RARE_BRANCH, RARE_BRANCH_DROPPED), (CASE, CASE_LOWER),
                                           (LOOP, LOOP_RECURSIVE)],
                         ids=["large-int-branch", "non-ascii-case", "deep-recursion"])
def test_a_rewrite_wrong_only_on_unseen_inputs_fails_held_out_and_is_not_offered(tmp_path, store, source, wrong):
    report = _optimize(tmp_path, source, wrong, store)
    (target,) = report.targets
    assert target.status == "no_gain" and not report.improved
    assert target.message.startswith("failed held-out verification:"), target.message
    assert target.heldout_passed is False and target.inputs_heldout > 0
    final = store.get_run(target.run_id).state[FINAL_CHECK_KEY]
    assert final["heldout"]["passed"] is False and final["heldout"]["inputs"] == target.inputs_heldout
    assert final["heldout"]["feedback"]


def test_an_honest_rewrite_of_a_function_that_raises_on_empty_input_is_offered(tmp_path, store):
    report = _optimize(tmp_path, RAISES_ON_EMPTY, RAISES_ON_EMPTY_FAST, store)
    (target,) = report.targets
    assert target.status == "improved", target.message
    assert target.speedup >= 1.10 and target.heldout_passed is True
    assert target.inputs_untimed >= 1  # the empty list: checked (same ValueError), not timed
    targets = json.loads(json.dumps(report.to_dict()))["targets"]
    assert targets[0]["inputs_verified"] == 9 and targets[0]["inputs_heldout"] == target.inputs_heldout > 0
    final = store.get_run(target.run_id).state[FINAL_CHECK_KEY]
    assert final["inputs_verified"] == 9 and final["heldout"] == {
        "inputs": target.inputs_heldout, "dropped": 0, "passed": True, "feedback": target.heldout_feedback}


def test_a_candidate_must_raise_what_the_original_raises_on_held_out_inputs(tmp_path):
    wrong = RAISES_ON_EMPTY_FAST.replace('raise ValueError("empty")', 'raise ValueError("no items")')
    (target,) = _optimize(tmp_path, RAISES_ON_EMPTY, wrong).targets
    assert target.status == "no_gain" and "exception" in target.message


def _params(tmp_path, source: str, name: str):
    path = tmp_path / "m.py"
    path.write_text(source)
    program = load_program(path)
    return target_params(program.source, program.function(name))


def test_held_out_inputs_are_drawn_with_other_seeds_than_the_search(tmp_path):
    params = _params(tmp_path, RAISES_ON_EMPTY, "largest")
    search = {repr(c.args) for c in search_calls(params, scale=300, seed=0)}
    held = heldout_calls(params, scale=SIZE_LADDER[2], seed=0)
    assert not search & {repr(c.args) for c in held[-HELDOUT_RANDOM:]}
    assert [c.args for c in held] != [c.args for c in heldout_calls(params, scale=SIZE_LADDER[2], seed=1)]
    assert [c.args for c in held] == [c.args for c in heldout_calls(params, scale=SIZE_LADDER[2], seed=0)]
    shapes = {len(c.args[0]) for c in held}
    assert 0 in shapes and 1 in shapes and max(shapes) >= SIZE_LADDER[2] // 2


def test_held_out_boundaries_span_big_ints_unicode_and_grow_sizes(tmp_path):
    values = {c.args[0] for c in heldout_calls(_params(tmp_path, RARE_BRANCH, "score"), scale=8, seed=0)}
    assert {0, 1, -1, 2**31, 2**63, 10**18} <= values
    assert {"ß", "Straße"} <= {c.args[0] for c in heldout_calls(_params(tmp_path, CASE, "fold"), scale=8, seed=0)}
    params = _params(tmp_path, LOOP, "tri")
    assert params.specs == (IntSpec(role="size"),)
    grown = heldout_calls(params, scale=SIZE_LADDER[-1], seed=0)
    assert max(c.args[0] for c in grown) == SIZE_LADDER[-1]


def test_traced_inputs_are_split_into_search_and_held_out_without_overlap():
    inputs = InputSet(tuple(range(10)), {"traced (tests)": 10})
    search, held = split_traced(inputs)
    assert set(search.inputs).isdisjoint(held.inputs) and len(search.inputs) + len(held.inputs) == 10
    assert search.sources == {"traced (tests)": len(search.inputs)} and held.inputs
    few = InputSet((1, 2), {"traced (tests)": 2})
    assert split_traced(few) == (few, InputSet(()))


SPIN = '''def spin(n: int) -> int:
    if n < 0:
        raise ValueError("negative")
    while n > 0:
        n -= 1
    return n
'''


def test_held_out_inputs_the_original_hangs_on_are_dropped_and_clean_exceptions_stay():
    original = Target(source=SPIN, qualname="spin")
    inputs = [Call((3,)), Call((10**18,)), Call((-1,))]
    check = keep_heldout(original, inputs, SandboxConfig(timeout_s=1.0))
    assert check.inputs == (Call((3,)), Call((-1,))) and check.dropped == 1
    assert raising_inputs(original, inputs[::2], SandboxConfig()) == {1}


# n bounds a loop (a size) that stops at a cap far above the ladder's top: only n >= 2**20 shows the cap
CHUNKS = '''def chunks(n):
    """How many times n items halve, counting at most 2**20 items."""
    count, width = 0, 2
    while width <= n:
        if width >= 2**20:
            break
        for _ in range(500):
            pass
        width *= 2
        count += 1
    return count
'''
CHUNKS_RIGHT = '''def chunks(n):
    return max(min(n, 2**20 - 1), 1).bit_length() - 1
'''
CHUNKS_UNCAPPED = '''def chunks(n):
    return max(n, 1).bit_length() - 1
'''
LINEAR = '''def total(n):
    s = 0
    for i in range(n):
        s += i
    return s
'''


def test_a_size_the_original_answers_quickly_at_any_magnitude_is_held_out_far_above_the_ladder(tmp_path):
    params = _params(tmp_path, CHUNKS, "chunks")
    assert params.specs == (IntSpec(role="size"),)
    assert max(c.args[0] for c in heldout_calls(params, scale=SIZE_LADDER[-1], seed=0)) <= SIZE_LADDER[-1]
    large = {c.args[0] for c in large_size_calls(Target(CHUNKS, "chunks"), params, SandboxConfig(),
                                                 scale=SIZE_LADDER[-1], seed=0)}
    assert {2**20 + 1, 2**31, 2**63, 10**18} <= large


def test_a_linear_loop_gets_no_huge_sizes(tmp_path):
    params = _params(tmp_path, LINEAR, "total")
    assert params.specs == (IntSpec(role="size"),)
    large = [c.args[0] for c in large_size_calls(Target(LINEAR, "total"), params, SandboxConfig(),
                                                 scale=SIZE_LADDER[-1], seed=0)]
    assert all(n < 2**31 for n in large)  # 2**31 additions would take minutes: never drawn


def test_a_rewrite_that_drops_a_cap_above_the_ladder_fails_held_out_and_the_right_one_is_offered(tmp_path, store):
    wrong = _optimize(tmp_path, CHUNKS, CHUNKS_UNCAPPED, store).targets[0]
    assert wrong.status == "no_gain" and wrong.message.startswith("failed held-out verification:"), wrong.message
    right = _optimize(tmp_path, CHUNKS, CHUNKS_RIGHT, store).targets[0]
    assert right.status == "improved" and right.heldout_passed is True, right.message



# each element is a size (a doubling loop) capped at a module constant above the ladder's top;
# 300_001 is no value of LARGE_SIZES: only the element's own bound shows the cap
PAGES = """LIMIT = 300_000


def clamp_pages(sizes):
    out = []
    for n in sizes:
        if n > LIMIT:
            out.append(LIMIT)
            continue
        p = 1
        while p < n:
            p *= 2
        out.append(p)
    return out
"""
PAGES_UNCAPPED = """LIMIT = 300_000


def clamp_pages(sizes):
    return [1 << (n - 1).bit_length() if n > 1 else 1 for n in sizes]
"""
# the same cap on a field of each record
ROWS = """LIMIT = 300_000


def pages(rows):
    out = []
    for r in rows:
        if r["size"] > LIMIT:
            out.append(LIMIT)
            continue
        p = 1
        while p < r["size"]:
            p *= 2
        out.append(p)
    return out
"""
ROWS_UNCAPPED = """def pages(rows):
    return [1 << (r["size"] - 1).bit_length() if r["size"] > 1 else 1 for r in rows]
"""
SUMS = """def sums(sizes):
    total = 0
    for n in sizes:
        for i in range(n):
            total += i
    return total
"""


def _elements(calls, field=None):
    return [e if field is None else e[field] for c in calls for e in c.args[0]]


@pytest.mark.parametrize("source, name, field", [(PAGES, "clamp_pages", None), (ROWS, "pages", "size")],
                         ids=["element", "record-field"])
def test_held_out_containers_hold_an_elements_bound_and_its_neighbours_the_search_none(tmp_path, source, name,
                                                                                        field):
    params = _params(tmp_path, source, name)
    bounds = {299_999, 300_000, 300_001}
    held = heldout_calls(params, scale=SIZE_LADDER[-1], seed=0)
    holding = [c for c in held if set(_elements([c], field)) & bounds]
    assert bounds <= set(_elements(holding, field))
    assert any(set(_elements([c], field)) - bounds for c in holding)  # among ordinary elements
    search = search_calls(params, scale=SIZE_LADDER[2], seed=0)
    assert not set(_elements(search, field)) & bounds
    plain = _params(tmp_path, source.replace("LIMIT", "limit").replace("limit = 300_000", ""), name)
    assert [c.args for c in search] == [c.args for c in search_calls(plain, scale=SIZE_LADDER[2], seed=0)]


def test_elements_compared_with_no_bound_draw_nothing_extra_and_linear_ones_no_huge_values(tmp_path):
    params = _params(tmp_path, SUMS, "sums")
    assert params.specs[0].item == IntSpec(role="size")
    assert max(_elements(heldout_calls(params, scale=SIZE_LADDER[-1], seed=0))) <= SIZE_LADDER[-1]
    large = large_size_calls(Target(SUMS, "sums"), params, SandboxConfig(), scale=SIZE_LADDER[-1], seed=0)
    assert all(n < 2**31 for n in _elements(large))  # 2**31 additions would take minutes: never drawn


def test_an_element_the_original_answers_quickly_at_any_magnitude_is_held_out_far_above_the_ladder(tmp_path):
    params = _params(tmp_path, PAGES, "clamp_pages")
    large = large_size_calls(Target(PAGES, "clamp_pages"), params, SandboxConfig(), scale=SIZE_LADDER[-1], seed=0)
    assert all(len(c.args[0]) == 1 for c in large)  # one large element, nothing else to slow the call
    assert set(_elements(large)) == {10**6 + 1, 2**20 + 1, 2**31, 2**32 + 1, 2**63, 10**18}


@pytest.mark.parametrize("source, wrong", [(PAGES, PAGES_UNCAPPED), (ROWS, ROWS_UNCAPPED)],
                         ids=["element", "record-field"])
def test_a_rewrite_that_drops_an_elements_cap_fails_held_out(tmp_path, store, source, wrong):
    (target,) = _optimize(tmp_path, source, wrong, store).targets
    assert target.status == "no_gain" and target.message.startswith("failed held-out verification:"), target.message


# the cap with a linear loop under it: the right rewrite's gain is far above the timing
# threshold, so whether it is offered does not hang on a loaded machine's noise
COUNT_UP = """LIMIT = 300_000


def clamp_counts(sizes):
    out = []
    for n in sizes:
        if n > LIMIT:
            out.append(LIMIT)
            continue
        p = 1
        while p < n:
            p += 1
        out.append(p)
    return out
"""
COUNT_UP_RIGHT = """LIMIT = 300_000


def clamp_counts(sizes):
    return [LIMIT if n > LIMIT else n if n > 1 else 1 for n in sizes]
"""


def test_a_rewrite_that_keeps_an_elements_cap_is_offered(tmp_path, store):
    (target,) = _optimize(tmp_path, COUNT_UP, COUNT_UP_RIGHT, store).targets
    assert target.status == "improved" and target.heldout_passed is True, target.message

RATED = '''class Rated:
    RATE = 3

    @classmethod
    def total(cls, counts: list[int]) -> int:
        total = 0
        for c in counts:
            for _ in range(20):
                pass
            total = total + c * cls.RATE
        return total
'''


def _rated_as(body: str) -> str:
    return RATED.replace(RATED[RATED.index("        total = 0"):], body)


def test_a_classmethod_is_checked_on_its_class_wrong_rewrites_refused_right_ones_offered(tmp_path, store):
    wrong = _optimize(tmp_path, RATED, _rated_as("        return sum(c for c in counts if c > 0) * cls.RATE\n"))
    assert wrong.targets[0].status == "no_gain" and not wrong.improved  # negative counts tell it apart
    (target,) = _optimize(tmp_path, RATED, _rated_as("        return sum(counts) * cls.RATE\n"), store).targets
    assert target.name == "Rated.total" and target.status == "improved", target.message
