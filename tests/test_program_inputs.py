"""Generated inputs from types: one element budget per call, integers by role, boundary values
for held-out, markers built in the real sandbox, and a scale grown by timing the original."""

from __future__ import annotations

import collections
import json
import random

import pytest

from polca.config import SandboxConfig
from polca.optimizer.domains.program.inputs import (
    HELDOUT_RANDOM,
    Params,
    call_at,
    generable_specs,
    grown_scale,
    heldout_calls,
    scales,
    search_calls,
    target_params,
)
from polca.optimizer.domains.program.oracle import UnsupportedSignature, keep_deterministic
from polca.optimizer.domains.program.targets import load_program
from polca.sandbox.codec import CodecError
from polca.sandbox.difftest import compare, self_check
from polca.sandbox.target import (
    Build,
    Call,
    Iter,
    Member,
    Pure,
    Target,
    input_from_safe,
    safe_input,
)
from polca.skills.analysis.types import (
    ArraySpec,
    CallableSpec,
    DictSpec,
    EnumSpec,
    FloatSpec,
    InstanceSpec,
    IntSpec,
    NoneSpec,
    ParamType,
    RecordSpec,
    SequenceSpec,
    StrSpec,
    TupleSpec,
    UnionSpec,
    number,
)


def _elements(value) -> int:
    """Scalars and characters in ``value``, at every level."""
    if isinstance(value, str | bytes):
        return max(1, len(value))
    if isinstance(value, dict):
        return sum(_elements(k) + _elements(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset | collections.deque):
        return sum(_elements(v) for v in value)
    if isinstance(value, Iter):
        return _elements(value.items)
    if isinstance(value, Build):
        return _elements(value.args) + _elements(value.kwargs)
    return 1


NESTED = SequenceSpec(DictSpec(StrSpec(), SequenceSpec(StrSpec())))
RECORDS = SequenceSpec(RecordSpec((("id", IntSpec()), ("tags", SequenceSpec(StrSpec(), "set")))))


@pytest.mark.parametrize("specs", [(NESTED,), (RECORDS,), (SequenceSpec(SequenceSpec(SequenceSpec(IntSpec()))),),
                                   (SequenceSpec(IntSpec()), NESTED, IntSpec(role="size"))],
                         ids=["list-dict-list-str", "records", "3-deep", "three-params"])
def test_a_call_holds_about_n_elements_in_total_however_deep_the_nesting(specs):
    for n in (64, 4096):
        call = call_at(specs, n, random.Random(1))
        total = _elements(call.args)
        assert n / 8 <= total <= n * 3, (n, total)


def test_a_list_of_lists_is_square_and_two_matrices_share_their_shape():
    matrix = SequenceSpec(SequenceSpec(IntSpec()))
    for n in (8, 512, 8192):
        a, b = call_at((matrix, matrix), n, random.Random(n)).args
        assert len(a) == len(b) > 1 and {len(row) for row in a} == {len(row) for row in b} == {len(a)}


def test_size_ints_climb_with_the_scale_and_index_ints_stay_inside_the_container():
    specs = (SequenceSpec(IntSpec()), IntSpec(role="index"), IntSpec(role="size"))
    rng = random.Random(0)
    small, large = call_at(specs, 64, rng), call_at(specs, 8192, rng)
    assert large.args[2] > 8 * small.args[2] > 0
    for call in (small, large):
        assert 0 <= call.args[1] < len(call.args[0])


def test_an_index_stays_inside_the_container_it_is_of():
    params = Params((SequenceSpec(IntSpec()), SequenceSpec(SequenceSpec(IntSpec())), IntSpec(role="index", of="xs")),
                    ("grid", "xs", "i"))
    for n in (16, 512, 8192):
        grid, xs, i = call_at(params, n, random.Random(n)).args
        assert 0 <= i < len(xs) < len(grid)


def test_held_out_values_reach_the_real_integer_range_and_search_ones_stay_smaller():
    held = {c.args[0] for c in heldout_calls((IntSpec(),), scale=512, seed=0)}
    assert {0, 1, -1, 2**31, 2**63, 10**18} <= held
    bounded = {c.args[0] for c in heldout_calls((IntSpec(low=0, high=100),), scale=512, seed=0)}
    assert bounded and all(0 <= v <= 100 for v in bounded)
    search = [c.args[0] for c in search_calls((IntSpec(),), scale=512, seed=0)]
    assert max(abs(v) for v in search) < 2**63
    # code that only takes small values (a struct field) still gets large calls it accepts
    lists = [c.args[0] for c in heldout_calls((SequenceSpec(IntSpec()),), scale=4096, seed=0)[-HELDOUT_RANDOM:]]
    within = [xs for xs in lists if max(map(abs, xs)) <= 4096]
    assert len(within) == HELDOUT_RANDOM // 2 and all(len(xs) > 1000 for xs in within)
    assert any(max(map(abs, xs)) > 2**40 for xs in lists)


def test_held_out_has_boundary_shapes_floats_and_unicode():
    lists = [c.args[0] for c in heldout_calls((SequenceSpec(IntSpec()),), scale=128, seed=0)]
    lengths = {len(x) for x in lists}
    assert {0, 1} <= lengths and max(lengths) >= 64
    assert any(len(x) > 1 and x == sorted(x) for x in lists)
    assert any(len(x) > 1 and x == sorted(x, reverse=True) for x in lists)
    assert any(len(set(x)) < len(x) for x in lists)
    floats = [c.args[0] for c in heldout_calls((FloatSpec(),), scale=8, seed=0)]
    assert 5e-324 in floats and 1e300 in floats and any(str(f) == "-0.0" for f in floats)
    assert {"ß", "İstanbul", "ΣΑΣ"} <= {c.args[0] for c in heldout_calls((StrSpec(),), scale=8, seed=0)}
    options = {type(c.args[0]) for c in heldout_calls((UnionSpec((IntSpec(), NoneSpec())),), scale=8, seed=0)}
    assert options == {int, type(None)}


def _kinds(xs) -> frozenset[type]:
    return frozenset(type(x) for x in xs)


def test_numbers_are_drawn_as_ints_floats_and_lists_of_either_or_both():
    """A value only computed with as a number (int | float) is checked on both: a rewrite
    exact for ints only (a running sum, reordered additions, ``//``) meets floats."""
    spec = SequenceSpec(number(IntSpec()))
    searched = [c.args[0] for c in search_calls((spec,), scale=512, seed=0)]
    held = [c.args[0] for c in heldout_calls((spec,), scale=512, seed=0)]
    for lists in (searched + held, held):
        kinds = {_kinds(xs) for xs in lists if len(xs) > 1}
        assert {frozenset({int}), frozenset({float}), frozenset({int, float})} <= kinds
    assert [1e16, 1.0, -1e16, 1e-16, 3.0, -3.0] in held  # additions that cancel: order shows
    scalars = [c.args[0] for c in heldout_calls((number(IntSpec()),), scale=8, seed=0)]
    assert {0, 2**63, -1} <= set(scalars) and 5e-324 in scalars and float("inf") in scalars


def test_draws_are_reproducible_per_seed_and_held_out_seeds_differ_from_the_search():
    specs = (SequenceSpec(IntSpec()), StrSpec())
    assert search_calls(specs, scale=256, seed=3) == search_calls(specs, scale=256, seed=3)
    assert search_calls(specs, scale=256, seed=3) != search_calls(specs, scale=256, seed=4)
    search = {repr(c.args) for c in search_calls(specs, scale=256, seed=0)}
    held = heldout_calls(specs, scale=256, seed=0)
    assert not search & {repr(c.args) for c in held[-HELDOUT_RANDOM:]}


def test_calls_at_one_scale_share_no_objects():
    calls = search_calls((SequenceSpec(SequenceSpec(IntSpec())),), scale=256, seed=0)
    calls += heldout_calls((SequenceSpec(SequenceSpec(IntSpec())),), scale=256, seed=0)
    seen: set[int] = set()
    for call in calls:
        ids = {id(call.args[0])} | {id(inner) for inner in call.args[0]}
        assert not ids & seen
        seen |= ids


def test_records_have_exactly_their_keys_and_sequence_kinds_are_kept():
    call = call_at((RECORDS, SequenceSpec(IntSpec(), "deque"), SequenceSpec(StrSpec(), "frozenset"),
                    TupleSpec((IntSpec(), StrSpec()))), 256, random.Random(0))
    records, dq, fs, pair = call.args
    assert records and all(set(r) == {"id", "tags"} and isinstance(r["tags"], set) for r in records)
    assert isinstance(dq, collections.deque) and isinstance(fs, frozenset)
    assert isinstance(pair, tuple) and len(pair) == 2


def test_an_unsupported_parameter_is_refused_in_one_line_naming_it():
    params = (ParamType("xs", SequenceSpec(IntSpec())), ParamType("cfg", None, why="no hint and no usage found"))
    with pytest.raises(UnsupportedSignature) as info:
        generable_specs(params, "load")
    message = str(info.value)
    assert "'cfg'" in message and "no usage found" in message and "hint" in message and "\n" not in message
    with pytest.raises(UnsupportedSignature, match="'keys'.*unhashable"):
        generable_specs((ParamType("keys", SequenceSpec(SequenceSpec(IntSpec()), "set")),), "f")


def test_markers_keep_their_recipe_in_the_safe_format():
    call = Call(args=(Build("Bag", ([1, 2**60], Member("Colour", "RED")), {"k": Iter([1.5, None])}),
                      Pure("lambda x: x")))
    data = json.loads(json.dumps(safe_input(call, script=False)))
    assert input_from_safe(data, script=False) == call
    data["args"][0]["qualname"] = "os.system; x"
    with pytest.raises(CodecError, match="dotted identifiers"):
        input_from_safe(data, script=False)


MODULE = '''import enum
from dataclasses import dataclass


@dataclass
class Point:
    x: int
    y: int


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


class Bag:
    def __init__(self, items):
        self.items = list(items)

    def total(self, scale):
        return sum(self.items) * scale


def norm(p: Point) -> int:
    return p.x * p.x + p.y * p.y


def code(c: Colour) -> int:
    return c.value * 10


def apply(f, xs):
    return [f(x) for x in xs]


def consume(it):
    first = list(it)
    return first, list(it)
'''
EXPECTED = '''
def norm(p):
    return 25


def code(c):
    return 20


def apply(f, xs):
    return [3, 5]


def consume(it):
    for _ in it:
        pass
    return [1, 2], []


class Bag:
    def __init__(self, items):
        self.items = list(items)

    def total(self, scale):
        return 18
'''


@pytest.mark.parametrize("qualname, args", [
    ("norm", (Build("Point", (3, 4)),)),
    ("code", (Member("Colour", "BLUE"),)),
    ("apply", (Pure("lambda x: x * 2 + 1"), [1, 2])),
    ("consume", (Iter([1, 2]),)),
    ("Bag.total", (Build("Bag", ([1, 2, 3],)), 3)),
], ids=["dataclass", "enum", "callable", "iterator", "method-receiver"])
def test_markers_are_built_inside_the_real_sandbox(qualname, args):
    original = Target(source=MODULE, qualname=qualname, module_name="shapes")
    expected = Target(source=MODULE + EXPECTED, qualname=qualname, module_name="shapes")
    report = compare(original, expected, [Call(args=args)])
    assert report.status == "ok" and report.equal, report
    wrong = Target(source=MODULE + EXPECTED.replace("25", "24").replace("20", "10").replace("[3, 5]", "[2, 4]")
                   .replace("[1, 2], []", "[1, 2], [2]").replace("18", "6"), qualname=qualname, module_name="shapes")
    assert not compare(original, wrong, [Call(args=args)]).equal


def test_generated_instances_enums_callables_and_arrays_run_in_the_sandbox():
    numpy = pytest.importorskip("numpy")
    specs = (InstanceSpec("Point", (IntSpec(), IntSpec())), EnumSpec("Colour", ("RED", "BLUE")),
             CallableSpec(1, args=(IntSpec(),)), ArraySpec("float64", 2))
    calls = search_calls(specs, scale=64, seed=0) + heldout_calls(specs, scale=64, seed=0)
    assert all(c.args[3].ndim == 2 and c.args[3].dtype == numpy.float64 for c in calls)
    source = MODULE + "\n\ndef mix(p, c, f, a):\n    return norm(p) + code(c) + f(3) + float(a.sum())\n"
    original = Target(source=source, qualname="mix", module_name="shapes")
    report = compare(original, original, calls)
    assert report.status == "ok" and report.equal, report


LINEAR = '''def total(xs: list[int]) -> int:
    s = 0
    for x in xs:
        s += x
    return s
'''
CUBIC = '''def triples(xs: list[int]) -> int:
    s = 0
    for a in xs:
        for b in xs:
            for c in xs:
                s += a ^ b ^ c
    return s
'''


def test_a_cubic_function_gets_a_smaller_scale_than_a_linear_one():
    specs = (SequenceSpec(IntSpec()),)

    def make(n):
        return call_at(specs, n, random.Random(n))

    sandbox = SandboxConfig()
    linear = grown_scale(Target(source=LINEAR, qualname="total"), sandbox, make)
    cubic = grown_scale(Target(source=CUBIC, qualname="triples"), sandbox, make)
    assert cubic < linear


DEEP = '''import sys

sys.setrecursionlimit(100_000)


def depth(n: int) -> int:
    return 0 if n <= 0 else 1 + depth(n - 1)
'''


def test_a_size_that_drives_recursion_reaches_thousands_in_held_out_when_the_original_handles_it(tmp_path):
    path = tmp_path / "deep.py"
    path.write_text(DEEP)
    program = load_program(path)
    params = target_params(program.source, program.function("depth"))
    search_n, top = scales(Target(source=DEEP, qualname="depth", module_name="deep"), params, SandboxConfig(), seed=0)
    assert search_n < top and top >= 2048
    held = heldout_calls(params, scale=top, seed=0)
    assert max(c.args[0] for c in held) == top
    assert max(c.args[0] for c in search_calls(params, scale=search_n, seed=0)) <= search_n


CHECKED = '''from dataclasses import dataclass


@dataclass
class Qty:
    n: int

    def __post_init__(self):
        if self.n < 0:
            raise ValueError("negative quantity")


def double(q: Qty) -> int:
    return 2 * q.n
'''


def test_an_instance_its_own_class_refuses_to_build_is_an_unusable_input_not_a_crash():
    original = Target(source=CHECKED, qualname="double", module_name="stock")
    report = self_check(original, [Call(args=(Build("Qty", (3,)),)), Call(args=(Build("Qty", (-1,)),))])
    assert report.status == "ok"
    good, refused = report.outcomes
    assert good.equal and not refused.equal
    assert refused.mismatches[0].check == "input" and "negative quantity" in refused.mismatches[0].got

    check = keep_deterministic(original, [Call(args=(Build("Qty", (3,)),)), Call(args=(Build("Qty", (-1,)),))])
    assert check.status == "ok" and check.inputs == (Call(args=(Build("Qty", (3,)),)),) and check.dropped == 1
    refused = keep_deterministic(original, [Call(args=(Build("Qty", (-2,)),))])
    assert refused.status == "unusable" and "negative quantity" in refused.message and "--tests" in refused.message


_CHOICES = """
from typing import Literal

def apply(op: Literal["add", "sub"], xs: list[int]):
    if op == "add":
        return sum(xs)
    return -sum(xs)

def plain(op, xs):
    if op == "add":
        return sum(xs)
    elif op in ("sub", "neg"):
        return -sum(xs)
    return 0
"""


@pytest.mark.parametrize(("name", "wanted", "others"), [("apply", {"add", "sub"}, False),
                                                        ("plain", {"add", "sub", "neg"}, True)])
def test_every_literal_or_compared_constant_reaches_search_and_heldout_calls(name, wanted, others):
    from polca.skills.analysis.infer import parameter_types

    params = generable_specs(parameter_types(_CHOICES, name), name)
    for seed in range(5):
        for calls in (search_calls(params, scale=64, seed=seed), heldout_calls(params, scale=64, seed=seed)):
            ops = {c.args[0] for c in calls}
            assert wanted <= ops
            assert (ops - wanted != set()) is others  # a Literal takes only its values; a str any


_MAPPINGS = """
from collections import Counter, defaultdict
from typing import DefaultDict

def top(counts: Counter[str], groups: DefaultDict[str, list[int]], seen: defaultdict[str, int]):
    groups["never drawn"].append(seen["nor this"])
    return counts.most_common(2), sorted(groups), seen["nor this"]
"""


def test_counter_and_defaultdict_hints_generate_counters_and_defaultdicts():
    import pickle

    from polca.skills.analysis.infer import parameter_types

    params = generable_specs(parameter_types(_MAPPINGS, "top"), "top")
    namespace: dict = {}
    exec(_MAPPINGS, namespace)
    calls = search_calls(params, scale=64, seed=3) + heldout_calls(params, scale=64, seed=3)
    for call in calls:
        counts, groups, seen = pickle.loads(pickle.dumps(call.args))  # as they travel to the worker
        assert isinstance(counts, collections.Counter)
        assert isinstance(groups, collections.defaultdict) and groups.default_factory is list
        assert isinstance(seen, collections.defaultdict) and seen.default_factory is int
        namespace["top"](counts, groups, seen)  # .most_common() and missing keys work on every input


def test_a_defaultdict_without_a_builtin_factory_is_refused_in_one_line():
    from polca.skills.analysis.infer import parameter_types

    src = "from collections import defaultdict\n\ndef f(d: defaultdict[str, tuple[int, str]]):\n    return d\n"
    with pytest.raises(UnsupportedSignature, match="has no builtin factory"):
        generable_specs(parameter_types(src, "f"), "f")


_THRESHOLDS = """
def capped(request, count: int):
    size = 1
    while size < request:
        size *= 2
    if request > 2**20:
        size = 2**20
    if count >= 1000:
        return -size
    return size
"""


def test_both_sides_of_a_compared_bound_run_in_held_out_inputs_even_for_a_size():
    from polca.skills.analysis.infer import parameter_types

    params = generable_specs(parameter_types(_THRESHOLDS, "capped"), "capped")
    held = heldout_calls(params, scale=64, seed=0)
    requests = {c.args[0] for c in held}
    assert {2**20 - 1, 2**20, 2**20 + 1} <= requests  # the branch above 2**20 runs held out...
    assert max(c.args[0] for c in search_calls(params, scale=64, seed=0)) <= 64  # ...the search stays at its scale
    counts = {c.args[1] for c in held}
    assert {999, 1000, 1001} <= counts


def test_a_bound_named_by_a_module_constant_is_drawn_on_both_sides():
    from polca.skills.analysis.infer import parameter_types

    source = "CAP = 1 << 20\n\ndef clamp(request: int) -> int:\n    if request > CAP:\n        return CAP\n    return request\n"
    requests = {c.args[0] for c in heldout_calls(generable_specs(parameter_types(source, "clamp"), "clamp"),
                                                 scale=64, seed=0)}
    assert {2**20 - 1, 2**20, 2**20 + 1} <= requests


def test_held_out_lists_of_strings_hold_case_variants_of_each_other():
    from polca.skills.analysis.infer import parameter_types

    source = "def names(xs: list[str]) -> int:\n    return len({x.casefold() for x in xs})\n"
    held = heldout_calls(generable_specs(parameter_types(source, "names"), "names"), scale=64, seed=0)
    assert any({"Straße", "STRASSE", "strasse"} <= set(c.args[0]) for c in held)


def test_a_size_clamped_by_a_module_constant_above_the_ladder_draws_the_bound_held_out_only():
    from polca.skills.analysis.infer import parameter_types

    source = "CAP = 1 << 20\n\ndef count(n):\n    total = 0\n    for i in range(min(n, CAP)):\n        total += i\n" \
             "    return total\n"
    params = generable_specs(parameter_types(source, "count"), "count")
    assert params[0].role == "size"
    assert {2**20 - 1, 2**20, 2**20 + 1} <= {c.args[0] for c in heldout_calls(params, scale=64, seed=0)}
    assert max(c.args[0] for c in search_calls(params, scale=64, seed=0)) <= 64
