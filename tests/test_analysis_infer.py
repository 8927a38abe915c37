"""Parameter types read from source: hints, defaults, usage, docstrings, call sites."""

from __future__ import annotations

import textwrap

import pytest

from polca.skills.analysis.infer import class_spec, module_index, parameter_types, receiver_type
from polca.skills.analysis.types import (
    ArraySpec,
    CallableSpec,
    ChoiceSpec,
    ClassSpec,
    DictSpec,
    EnumSpec,
    FloatSpec,
    InstanceSpec,
    IntSpec,
    RecordSpec,
    SequenceSpec,
    StrSpec,
    TupleSpec,
    describe,
    is_number,
    number,
)


def _types(source: str, qualname: str = "f") -> dict[str, str]:
    """{parameter: describe(spec)} for ``qualname`` of ``source``."""
    return {p.name: describe(p.spec) for p in parameter_types(textwrap.dedent(source), qualname)}


def _param(source: str, name: str, qualname: str = "f"):
    return next(p for p in parameter_types(textwrap.dedent(source), qualname) if p.name == name)


HINTED = """
from __future__ import annotations
import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray
from typing import Optional, Union, List, Dict, Callable, Sequence, Iterator, Mapping
from collections import deque, Counter, defaultdict
from mylib import Thing

Vector = list[float]

def f(a: int, b: "list[int]", c: Optional[str], d: Dict[str, List[float]], e: tuple[int, ...],
      g: tuple[int, str], h: set[int], i: Counter[str], j: Callable[[float], float],
      k: npt.NDArray[np.int64], l: np.ndarray, q: Vector, t: int | None, u: deque[int],
      v: Iterator[int], w: Mapping[str, Union[int, float]], x: Sequence[bytes],
      y: defaultdict[str, list[int]], z: NDArray[np.float32], *args, **kwargs):
    pass
"""


def test_annotations_of_every_common_shape_become_specs():
    assert _types(HINTED) == {
        "a": "int", "b": "list[int]", "c": "str | None", "d": "dict[str, list[float]]",
        "e": "tuple[int]", "g": "tuple[int, str]", "h": "set[int]", "i": "Counter[str]",
        "j": "callable/1", "k": "ndarray[int64, 1d]", "l": "ndarray[float64, 1d]",
        "q": "list[float]", "t": "int | None", "u": "deque[int]", "v": "iterator[int]",
        "w": "dict[str, int | float]", "x": "list[bytes]", "y": "defaultdict[str, list[int]]",
        "z": "ndarray[float32, 1d]",
    }
    assert _param(HINTED, "e").spec == SequenceSpec(IntSpec(), "tuple")
    assert _param(HINTED, "g").spec == TupleSpec((IntSpec(), StrSpec()))
    assert _param(HINTED, "j").spec == CallableSpec(1, FloatSpec(), (FloatSpec(),))
    assert all(p.source == "annotation" for p in parameter_types(HINTED, "f"))


def test_a_hint_naming_an_unseen_class_gives_no_type_and_says_so():
    p = _param(HINTED.replace("a: int", "a: Thing"), "a")
    assert p.spec is None
    assert "a:" in p.why and "mylib.Thing" in p.why


MODULE_CLASSES = """
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple, TypedDict

class Color(Enum):
    RED = 1
    GREEN = 2

class Row(TypedDict):
    id: int
    name: str

class Point(NamedTuple):
    x: float
    y: float = 0.0

@dataclass
class Stop:
    id: int
    weight: float
    tags: list[str] = field(default_factory=list)

class Graph:
    def __init__(self, edges: dict[int, list[int]], name: str = "g"):
        self.edges = edges

    def neighbours(self, node: int) -> list[int]:
        return self.edges[node]

    @staticmethod
    def empty(n: int):
        return n

def f(row: Row, p: Point, s: Stop, c: Color, g: "Graph", stops: list[Stop]):
    pass
"""


def test_module_classes_in_hints_become_records_instances_and_enums():
    assert _types(MODULE_CLASSES) == {
        "row": "{id: int, name: str}", "p": "Point(float, y=float)",
        "s": "Stop(int, float, tags=list[str])", "c": "Color",
        "g": "Graph(dict[int, list[int]], name=str)", "stops": "list[Stop(int, float, tags=list[str])]",
    }
    assert _param(MODULE_CLASSES, "c").spec == EnumSpec("Color", ("RED", "GREEN"))


def test_receiver_of_a_method_is_built_from_init_and_static_methods_have_none():
    recv = receiver_type(MODULE_CLASSES, "Graph.neighbours")
    assert recv.name == "self"
    assert recv.spec == InstanceSpec("Graph", (DictSpec(IntSpec(), SequenceSpec(IntSpec())),),
                                     (("name", StrSpec()),))
    assert receiver_type(MODULE_CLASSES, "Graph.empty") is None
    assert receiver_type(MODULE_CLASSES, "f") is None
    assert _types(MODULE_CLASSES, "Graph.neighbours") == {"node": "int"}
    assert _types(MODULE_CLASSES, "Graph.empty") == {"n": "int"}


def test_class_spec_of_dataclass_and_namedtuple():
    assert class_spec(MODULE_CLASSES, "Stop") == InstanceSpec(
        "Stop", (IntSpec(), FloatSpec()), (("tags", SequenceSpec(StrSpec())),))
    assert class_spec(MODULE_CLASSES, "Point") == InstanceSpec("Point", (FloatSpec(),), (("y", FloatSpec()),))


def test_receiver_is_untyped_when_a_constructor_parameter_cannot_be_typed():
    src = "from lib import Conn\nclass C:\n    def __init__(self, conn: Conn):\n        pass\n    def m(self):\n        pass\n"
    recv = receiver_type(src, "C.m")
    assert recv.spec is None and "conn" in recv.why
    assert class_spec(src, "C") is None


def test_unknown_qualname_raises_a_clear_value_error():
    with pytest.raises(ValueError, match="not a function"):
        parameter_types("def g(x): pass\n", "f")
    with pytest.raises(ValueError, match="not a class"):
        class_spec("def g(x): pass\n", "G")


def test_array_dtypes_from_ndarray_generic_forms():
    src = """
    import numpy as np
    from typing import Any
    def f(a: np.ndarray[Any, np.dtype[np.float32]], b: "np.typing.NDArray[np.bool_]"):
        pass
    """
    assert _param(src, "a").spec == ArraySpec("float32", 1)
    assert _param(src, "b").spec == ArraySpec("bool", 1)


# ---------------------------------------------------------------- usage


def test_records_in_a_list_take_field_types_from_their_own_usage():
    src = """
    def summarize(nodes):
        total = 0
        for n in nodes:
            total += n["id"] + 1
            if n["name"].lower() == "root":
                for t in n["tags"]:
                    print(t)
        return total
    """
    p = _param(src, "nodes", "summarize")
    # id is only added to: a float id sums as well; tags' items are unknown (int assumed)
    assert describe(p.spec) == "list[{id: int | float, name: str, tags: list[int]}]"
    assert p.source == "usage"
    assert any("int assumed" in n for n in p.notes)


def test_range_len_loop_makes_a_sequence_and_compared_value_an_int():
    src = """
    def find(items, target):
        for i in range(len(items)):
            if items[i] == target:
                return i
        return -1
    """
    assert _types(src, "find") == {"items": "list[int]", "target": "int"}


def test_recursion_argument_is_a_size():
    src = """
    def fib(n):
        if n < 2:
            return n
        return fib(n - 1) + fib(n - 2)
    """
    # the base case's bound and its neighbours are drawn too (both sides of `n < 2` run)
    assert _param(src, "n", "fib").spec == IntSpec("size", examples=(1, 2, 3))


def test_a_parameter_only_passed_on_takes_the_type_its_callee_gives_it():
    src = """
    COINS = (1, 5, 10)

    def count_change(amount, coins=COINS):
        return _count(amount, len(coins), coins)

    def _count(amount, n, coins):
        if amount == 0:
            return 1
        if amount < 0 or n == 0:
            return 0
        return _count(amount - coins[n - 1], n, coins) + _count(amount, n - 1, coins)

    def spin(a):
        return spin(a)
    """
    amount = _param(src, "amount", "count_change")
    assert amount.spec == _param(src, "amount", "_count").spec
    assert amount.source == "usage" and "passed on to _count" in amount.notes[-1]
    # a function that only hands a parameter to itself learns nothing from it
    assert _param(src, "a", "spin").spec is None


def test_dict_items_loop_and_str_methods():
    src = """
    def render(d):
        out = []
        for k, v in d.items():
            out.append(k.upper() + "=" + str(v + 1))
        return out
    """
    assert _types(src, "render") == {"d": "dict[str, int | float]"}  # v + 1: any number


def test_pairs_callables_optional_lists_and_defaults():
    src = """
    def combine(pairs, fn, acc=None, sep=","):
        for a, b in pairs:
            print(a + b * 2)
        z = fn(pairs, 2)
        if acc is None:
            acc = []
        acc.append(3)
        return sep.join(str(p) for p in pairs)
    """
    assert _types(src, "combine") == {
        "pairs": "list[tuple[int | float, int | float]]", "fn": "callable/2", "acc": "list[int] | None",
        "sep": "str"}
    assert _param(src, "sep", "combine").source == "default"


def test_numpy_usage_gives_arrays_with_ndim_and_index_parameters():
    src = """
    import math
    import numpy as np
    def score(a, b, xs, k):
        m = a.shape[1]
        c = a @ b
        r = math.sqrt(xs[k])
        return np.sum(c) / m + r
    """
    assert _types(src, "score") == {
        "a": "ndarray[float64, 2d]", "b": "ndarray[float64, 1d]", "xs": "list[float]", "k": "int (index)"}
    assert _param(src, "k", "score").spec == IntSpec("index", of="xs")


def test_sets_strings_and_characters():
    src = """
    def f(words, counts, text):
        seen = set()
        for w in words:
            if w.startswith("a"):
                seen.add(w)
        counts.add(3)
        vowels = 0
        for ch in text:
            if ch in "aeiou":
                vowels += 1
        return sorted(words), vowels
    """
    assert _types(src) == {"words": "list[str]", "counts": "set[int]", "text": "str"}


def test_usage_refines_a_hint_role_and_a_bare_container():
    src = """
    import numpy as np
    def f(n: int, items: list, grid: np.ndarray, k: int):
        for i in range(n):
            items.append(i)
        for row in grid:
            for x in row:
                print(x)
        return items[k]
    """
    assert _types(src) == {"n": "int (size)", "items": "list[int]", "grid": "ndarray[float64, 2d]",
                           "k": "int (index)"}
    assert _param(src, "n").source == "annotation"


def test_bounds_from_guard_clauses_and_asserts():
    src = """
    def f(n, k, p):
        if n < 0:
            raise ValueError(n)
        assert 0 <= k <= 10
        if not (1 <= p):
            raise ValueError(p)
        return [0] * n, k, p + 1
    """
    assert _param(src, "n").spec == IntSpec("size", low=0, examples=(0, 1))  # -1 is below the guard
    # each link of a chained comparison is a bound, drawn on both sides within the guard; an int
    # bound is no proof of an int (k, p are only compared and added to): floats are drawn too
    assert _param(src, "k").spec == number(IntSpec("value", low=0, high=10, examples=(0, 1, 9, 10)))
    assert _param(src, "p").spec == number(IntSpec("value", low=1, examples=(1, 2)))


def test_untypable_parameter_says_which_and_what_to_add():
    p = _param("def f(blob):\n    return blob\n", "blob")
    assert p.spec is None
    assert "blob" in p.why and "add a hint" in p.why


# ---------------------------------------------------------------- docstrings and call sites

DOCUMENTED = '''
def google(xs, n=None, flag=False):
    """Sum some values.

    Args:
        xs (list of int): the values.
        n (int, optional): how many.
    """
    return xs

def numpy_style(a, b, mode):
    """Numpy style.

    Parameters
    ----------
    a : ndarray of float
        The data.
    b : dict of str to list of int
        Groups.
    mode : {'fast', 'slow'}
        How.

    Returns
    -------
    r : int
    """

def sphinx(words, table):
    """:param list[str] words: the words
    :type table: dict[str, float]
    """
'''


def test_docstring_types_in_google_numpy_and_sphinx_styles():
    assert _types(DOCUMENTED, "google") == {"xs": "list[int]", "n": "int | None", "flag": "bool"}
    assert _param(DOCUMENTED, "xs", "google").source == "docstring"
    assert _types(DOCUMENTED, "numpy_style") == {
        "a": "ndarray[float64, 1d]", "b": "dict[str, list[int]]", "mode": "str"}
    assert _types(DOCUMENTED, "sphinx") == {"words": "list[str]", "table": "dict[str, float]"}


def test_call_sites_with_literals_and_literal_variables_give_types():
    src = """
    def top(data, k, weight):
        return data

    rows = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    if __name__ == "__main__":
        top(rows, k=3, weight=2.5)
        top([{"id": 7, "name": "x"}], 4, 1)
    """
    assert _types(src, "top") == {"data": "list[{id: int, name: str}]", "k": "int", "weight": "float"}
    assert _param(src, "k", "top").source == "call site"


def test_usage_fills_what_a_call_site_leaves_open():
    src = """
    def count(xs, n):
        return sum(1 for x in xs if x > n)

    count([], 3)
    """
    # the call site's 3 is one number a caller passes; the usage (x > n) takes floats as well
    assert _types(src, "count") == {"xs": "list[int | float]", "n": "int | float"}


# ---------------------------------------------------------------- hostile shapes

HOSTILE = [
    "def f(x=lambda y: y, *args, **kwargs):\n    return x(1)\n",
    "def f(x):\n    def g(x):\n        return x.lower()\n    return g(x) + 1\n",
    "import functools\n@functools.lru_cache(None)\ndef f(n):\n    return n and f(n - 1)\n",
    "async def f(xs):\n    async for x in xs:\n        await x\n",
    "def f(cmd):\n    match cmd:\n        case {'op': op, **rest}:\n            return op\n        case [a, *b]:\n            return a\n        case _:\n            return None\n",
    "def f(xs):\n    while (n := len(xs)) > 0:\n        xs = xs[1:]\n    return n\n",
    "def f(rows):\n    for a, *b in rows:\n        print(a + 1, b)\n",
    "G = 0\ndef f(x):\n    global G\n    G += x\n",
    "def f(x: 'List[', y: 3, z: 'lambda: 1', w: list[list[list[list[list[int]]]]]):\n    pass\n",
    "def f(x: 'x', y: 'f') -> 'f':\n    return x\n",
    "from typing import Callable, Annotated\ndef f(a: list[int, str], b: dict[str], c: Callable[int], d: print('x'),\n"
    "      e: 1 + 2, g: list[int] | 'str', h: Annotated[int, 'meta'], i: tuple[()], j: type[int]):\n    pass\n",
    "class A:\n    def __init__(self, a: 'A'):\n        self.a = a\n    def m(self, b: 'A'):\n        pass\n",
    "class B:\n    def __init__(self, b: 'B | None' = None):\n        pass\n    def m(self):\n        pass\n",
    "def f(a, /, b, *, c):\n    return a[b] + c['k'] * 2\n",
    "def f(x):\n    x.y.z[0]['a'].b()\n    return x[::2][0]\n",
    "def f(x):\n    return [y for y in x for y in y]\n",
    "def f(x):\n    try:\n        return x[0]\n    except (IndexError, KeyError) as e:\n        raise ValueError(x) from e\n",
    "def f(x):\n    yield from x\n",
    "def f(x, y):\n    x[y], y = y, x\n    del x[0]\n    return x\n",
    "@staticmethod\ndef f(*, x):\n    with open(x) as fh:\n        return fh.read()\n",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_shapes_never_raise(source):
    for qualname in module_index(source).functions:
        types = parameter_types(source, qualname)
        assert all(p.spec is not None or p.why for p in types)
        recv = receiver_type(source, qualname)
        assert recv is None or recv.spec is not None or recv.why


def test_recursive_class_hint_gives_a_reason_not_a_loop():
    src_a = next(s for s in HOSTILE if "class A" in s)
    src_b = next(s for s in HOSTILE if "class B" in s)
    recv = receiver_type(src_a, "A.m")
    assert recv.spec is None and "A" in recv.why
    assert receiver_type(src_b, "B.m").spec == InstanceSpec("B")


# ---------------------------------------------------------------- classes from usage

CLASSES_BY_USAGE = """
from dataclasses import dataclass

@dataclass
class Stop:
    name: str
    weight: float

class Vec:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5

class Inventory:
    def __init__(self, items, limit=100):
        self.items = items
        self.limit = limit

    def total(self):
        return sum(i["price"] * i["qty"] for i in self.items)

    def names(self):
        return [i["name"].title() for i in self.items]

def heaviest(stops):
    return max(s.weight for s in stops)

def length(v):
    return v.norm() + v.x
"""


def test_attributes_used_on_a_parameter_find_the_module_class_that_has_them():
    p = _param(CLASSES_BY_USAGE, "stops", "heaviest")
    assert p.spec == SequenceSpec(InstanceSpec("Stop", (StrSpec(), FloatSpec())))
    assert any("Stop" in n for n in p.notes)
    assert _types(CLASSES_BY_USAGE, "length") == {"v": "Vec(int | float, int | float)"}  # x ** 2 + y ** 2


def test_init_parameters_stored_on_self_are_typed_by_the_other_methods():
    recv = receiver_type(CLASSES_BY_USAGE, "Inventory.total")
    assert describe(recv.spec) == "Inventory(list[{price: int | float, qty: int | float, name: str}], limit=int)"


def test_star_unpacking_and_yield_from_make_sequences():
    assert _types("def f(rows):\n    for a, *b in rows:\n        print(a + 1, b)\n") == {"rows": "list[list[int | float]]"}
    assert _types("def f(xs):\n    yield from xs\n") == {"xs": "list[int]"}


# ---------------------------------------------------------------- real-world shapes

REAL_WORLD = """
import heapq
import math

def moving_avg(xs, window):
    out = []
    for i in range(len(xs) - window + 1):
        out.append(sum(xs[i:i + window]) / window)
    return out

def merge_intervals(intervals):
    intervals.sort(key=lambda iv: iv[0])
    merged = [intervals[0]]
    for start, end in intervals[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged

def tokens(text: str, stop: set = None):
    stop = stop or set()
    return [t for t in text.split() if t not in stop]

def price(order, discounts):
    total = 0.0
    for item in order["items"]:
        total += item["price"] * item["qty"]
    return total * (1 - discounts.get(order["code"], 0.0))

def size(tree):
    if tree is None:
        return 0
    return 1 + size(tree["left"]) + size(tree["right"])

def apply_all(funcs, value):
    for fn in funcs:
        value = fn(value)
    return value

def histogram(values, bins):
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in values:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    return counts
"""


def test_a_divisor_that_also_bounds_a_range_stays_an_int_size():
    # the values are only summed, compared and subtracted: floats as well as ints
    assert _types(REAL_WORLD, "moving_avg") == {"xs": "list[int | float]", "window": "int (size)"}
    assert _types(REAL_WORLD, "histogram") == {"values": "list[int | float]", "bins": "int (size)"}


def test_unpacked_loop_elements_are_pairs():
    ends = number(IntSpec())  # only compared and taken the max of: float intervals merge too
    assert _param(REAL_WORLD, "intervals", "merge_intervals").spec == SequenceSpec(TupleSpec((ends, ends)))


def test_locals_of_known_kind_type_what_they_meet():
    assert _types(REAL_WORLD, "tokens") == {"text": "str", "stop": "set[str]"}
    assert _param(REAL_WORLD, "discounts", "price").spec == DictSpec(StrSpec(), FloatSpec())


def test_recursive_record_gets_none_leaves_and_optional_root():
    assert _types(REAL_WORLD, "size") == {"tree": "{left: None, right: None} | None"}


def test_values_only_passed_to_a_function_parameter_are_ints_with_a_note():
    p = _param(REAL_WORLD, "value", "apply_all")
    assert p.spec == IntSpec() and p.notes
    assert _types(REAL_WORLD, "apply_all")["funcs"] == "list[callable/1]"


def test_analysis_takes_milliseconds_per_function():
    import time

    parameter_types(REAL_WORLD, "price")
    start = time.perf_counter()
    for q in module_index(REAL_WORLD).functions:
        parameter_types(REAL_WORLD, q)
    per_function_ms = (time.perf_counter() - start) * 1000 / len(module_index(REAL_WORLD).functions)
    assert per_function_ms < 100  # generous: the shared CI machine is slow; typical is ~1 ms


MORE_CLASSES = """
import heapq
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lib import Base
from pydantic import BaseModel

class Mode(Enum):
    FAST = "fast"
    SLOW = "slow"

    def label(self):
        return self.value

@dataclass(kw_only=True)
class Opts:
    depth: int
    name: str = "x"

class Cfg(BaseModel):
    rate: float
    tags: list[str] = []

class Ext(Base):
    def m(self):
        pass

class Tally:
    @classmethod
    def make(cls, n: int):
        return cls()

    def bump(self, k, mode=Mode.FAST):
        return k + 1

def f(pattern, text, h, it, a: Any, o: Opts, c: Cfg):
    heapq.heappush(h, 3)
    first = next(it)
    return re.findall(pattern, text), first
"""


def test_keyword_only_dataclasses_and_pydantic_models_are_built_by_keyword():
    assert class_spec(MORE_CLASSES, "Opts") == InstanceSpec("Opts", (), (("depth", IntSpec()), ("name", StrSpec())))
    assert class_spec(MORE_CLASSES, "Cfg") == InstanceSpec(
        "Cfg", (), (("rate", FloatSpec()), ("tags", SequenceSpec(StrSpec()))))


def test_receivers_of_enums_classmethods_and_classes_with_unseen_bases():
    assert receiver_type(MORE_CLASSES, "Mode.label").spec == EnumSpec("Mode", ("FAST", "SLOW"))
    assert receiver_type(MORE_CLASSES, "Tally.make").spec == ClassSpec("Tally")  # cls: the class itself
    assert _types(MORE_CLASSES, "Tally.make") == {"n": "int"}
    assert _types(MORE_CLASSES, "Tally.bump") == {"k": "int | float", "mode": "Mode"}
    assert receiver_type(MORE_CLASSES, "Tally.bump").spec == InstanceSpec("Tally")
    ext = receiver_type(MORE_CLASSES, "Ext.m")
    assert ext.spec is None and "Base" in ext.why


def test_library_calls_and_next_say_str_list_and_iterator():
    types = _types(MORE_CLASSES)
    assert {k: types[k] for k in ("pattern", "text", "h", "it")} == {
        "pattern": "str", "text": "str", "h": "list[int]", "it": "iterator[int]"}
    any_hint = _param(MORE_CLASSES, "a")
    assert any_hint.spec is None and "Any" in any_hint.why


def test_disagreeing_sources_keep_the_more_general_or_stronger_type_and_say_so():
    src = """
    def f(x=0, y=None, z="a"):
        return x + 1, z

    f(2.5, [1], 3)
    """
    x, y, z = parameter_types(textwrap.dedent(src), "f")
    # x=0, x + 1, f(2.5): both kinds of number are passed
    assert x.spec == number(IntSpec()) and "int | float kept" in x.notes[0]
    assert describe(y.spec) == "list[int] | None" and y.source == "call site"
    assert z.spec == StrSpec() and "default kept" in z.notes[0]


def test_bare_container_hints_take_their_items_from_usage():
    src = """
    def f(d: dict, t: tuple, xs: list = None):
        for k, v in d.items():
            print(k.upper(), v * 2.5)
        a, b = t
        return a + 1, b.strip(), [x.lower() for x in xs or []]
    """
    assert _types(src) == {"d": "dict[str, float]", "t": "tuple[int | float, str]", "xs": "list[str]"}


def test_type_variables_aliases_literals_nested_classes_and_method_call_sites():
    src = """
    from typing import Literal, TypeVar
    T = TypeVar("T")
    Grid = list[list[int]]

    class Outer:
        class Inner:
            def __init__(self, n: int):
                self.n = n

            def get(self, k):
                return k

    class Acc:
        def __init__(self, start: float = 0.0):
            self.v = start

        def add(self, x):
            self.v += x
            return self

    def f(xs: list[T], g: Grid, mode: Literal["a", "b"], lvl: Literal[1, 2, 3], v):
        if isinstance(v, int):
            return v + 1
        return v

    acc = Acc()
    acc.add(2.5)
    """
    assert _types(src) == {"xs": "list[int]", "g": "list[list[int]]", "mode": "Literal['a', 'b']",
                           "lvl": "Literal[1, 2, 3]", "v": "int | float"}  # both branches run
    assert _param(src, "lvl").spec == ChoiceSpec((1, 2, 3))
    assert _param(src, "xs").notes
    assert receiver_type(textwrap.dedent(src), "Outer.Inner.get").spec == InstanceSpec("Outer.Inner", (IntSpec(),))
    # added to a float (start: float), passed 2.5 once: an int adds as well
    assert _param(src, "x", "Acc.add").spec == number(IntSpec())


def test_index_into_a_local_of_the_same_length_is_an_index_of_the_parameter():
    src = """
    def reach(graph, src):
        seen = [False] * len(graph)
        seen[src] = True
        todo = [src]
        while todo:
            for nxt in graph[todo.pop()]:
                if not seen[nxt]:
                    seen[nxt] = True
                    todo.append(nxt)
        return seen
    """
    assert _param(src, "src", "reach").spec == IntSpec("index", of="graph")


def test_call_site_argument_built_by_str_methods_is_a_list_of_str():
    src = """
    import sys

    def tally(tokens):
        out = {}
        for t in tokens:
            out[t] = out.get(t, 0) + 1
        return out

    def main():
        tokens = sys.stdin.read().strip().split()
        print(tally(tokens))
    """
    assert _types(src, "tally") == {"tokens": "list[str]"}


def test_numpy_hints_take_ndim_from_tuple_indexing_and_unannotated_slices_are_arrays():
    src = """
    import numpy as np
    import numpy.typing as npt

    def f(m: npt.NDArray[np.float64], cols, n: int):
        total = 0.0
        for i in range(n):
            for j in range(n):
                total += m[i, j]
        return total + cols[:, 0].sum() + cols.dtype.itemsize
    """
    assert _types(src) == {"m": "ndarray[float64, 2d]", "cols": "ndarray[float64, 2d]", "n": "int (size)"}


def test_containers_keyed_by_strings_are_dicts_of_lists_or_counts():
    src = """
    def index_words(index, docs):
        for doc_id, text in enumerate(docs):
            for w in text.split():
                index[w].append(doc_id)
        return index

    def total_by(counts, items):
        for it in items:
            counts[it["name"]] += it["qty"]
            print(it["name"].upper())
        return counts
    """
    assert _types(src, "index_words") == {"index": "dict[str, list[int]]", "docs": "list[str]"}
    assert _types(src, "total_by") == {"counts": "dict[str, int | float]",
                                       "items": "list[{qty: int | float, name: str}]"}


def test_floats_rounded_or_truncated_are_finite_and_flags_are_bools():
    x, flag, y = parameter_types("def f(x, flag, y):\n    if flag:\n        return round(x / 2)\n"
                                 "    return int(y ** 0.5)\n", "f")
    assert x.spec == FloatSpec(finite=True) and y.spec == FloatSpec(finite=True)
    assert describe(flag.spec) == "bool"


def test_docstrings_with_shared_numpy_entries_and_untyped_sphinx_params():
    src = '''
def f(x, y, n, m):
    """Stuff.

    :param n: item count: must be positive
    :param int m: how many

    Parameters
    ----------
    x, y : float
        Coordinates.
    """
'''
    assert _types(src) == {"x": "float", "y": "float", "n": "?", "m": "int"}


def test_defaults_naming_module_constants_give_their_type():
    assert _types("LIMIT = 100\nSEP = ','\ndef f(n=LIMIT, s=SEP):\n    return n, s\n") == {"n": "int", "s": "str"}


def test_a_parameter_only_stored_in_containers_is_an_int_with_a_note():
    src = """
    import heapq

    def shortest(graph, start):
        dist = {start: 0}
        pq = [(0, start)]
        while pq:
            d, u = heapq.heappop(pq)
            for v, w in graph[u]:
                if d + w < dist.get(v, 10**9):
                    dist[v] = d + w
                    heapq.heappush(pq, (d + w, v))
        return dist
    """
    p = _param(src, "start", "shortest")
    assert p.spec == IntSpec() and "int assumed" in p.notes[0]
    assert _types(src, "shortest")["graph"] == "list[list[tuple[int, int | float]]]"  # weights: any number


def test_constructor_calls_in_the_file_type_an_unhinted_init():
    src = """
    class Ledger:
        def __init__(self, entries, currency):
            self.entries = entries
            self.currency = currency

        def total(self):
            return sum(self.entries)

    if __name__ == "__main__":
        book = Ledger([1.5, 2.0], "EUR")
        print(book.total())
    """
    recv = receiver_type(textwrap.dedent(src), "Ledger.total")
    # the entries are only summed: ints as well as the floats the file passes
    assert recv.spec == InstanceSpec("Ledger", (SequenceSpec(number(IntSpec())), StrSpec()))


def test_parameters_compared_with_constants_also_take_those_constants():
    src = """
    def f(op, k: int, name: str, xs):
        if op == "add":
            return sum(xs)
        elif op in ("sub", "neg"):
            return -sum(xs)
        match k:
            case 1 | 10:
                return 1
        if "x" != name:
            return 2
        return 0
    """
    assert _param(src, "op").spec == StrSpec(examples=("add", "sub", "neg"))
    assert _param(src, "k").spec == IntSpec(examples=(1, 10))
    assert _param(src, "name").spec == StrSpec(examples=("x",))


def test_counter_and_defaultdict_hints_keep_their_kind():
    src = """
    from collections import Counter, defaultdict
    from typing import DefaultDict
    def f(a: Counter[str], b: DefaultDict[str, list[int]], c: defaultdict[int, set[str]], d: dict[str, int]):
        return a.most_common(1), b, c, d
    """
    assert _types(src) == {"a": "Counter[str]", "b": "defaultdict[str, list[int]]",
                           "c": "defaultdict[int, set[str]]", "d": "dict[str, int]"}


def test_the_argument_of_a_str_method_of_a_str_is_a_str_even_when_it_is_counted():
    src = """
    def f(text, pattern, sep, parts, old):
        return text.find(pattern) + pattern.count("a"), sep.strip() + sep.join(parts), text.replace(old, "")
    """
    assert _types(src) == {"text": "str", "pattern": "str", "sep": "str", "parts": "list[str]", "old": "str"}
    assert _types("def f(xs, x):\n    return xs.count(x) + xs.index(x)\n")["xs"] == "list[int]"


def test_an_int_passed_on_as_another_functions_loop_bound_is_a_size():
    source = """
        import asyncio

        async def fetch(n: int) -> int:
            total = 0
            for i in range(n):
                total += i
            return total

        class Grid:
            def cells(self, width):
                return [(x, y) for x in range(width) for y in range(width)]

            def count(self, width: int) -> int:
                return len(self.cells(width))

        def run(n: int, scale: int) -> int:
            return asyncio.run(fetch(n)) * scale
    """
    assert _types(source, "run") == {"n": "int (size)", "scale": "int"}
    assert _types(source, "Grid.count") == {"width": "int (size)"}


def test_a_clamp_with_min_is_a_number_bounding_the_loop_and_its_limit_a_compared_bound():
    src = """
    def blocks(total):
        total = min(total, 1 << 20)
        sizes, size = [], 1
        while size <= total:
            sizes.append(size)
            size *= 2
        return sizes
    """
    assert _param(src, "total", "blocks").spec == IntSpec("size", examples=(2**20 - 1, 2**20, 2**20 + 1))
    ranged = "def f(n):\n    return sum(1 for _ in range(max(0, min(n, 500))))\n"
    assert _param(ranged, "n").spec == IntSpec("size", examples=(499, 500, 501))



def test_an_element_compared_with_a_bound_draws_the_bound_and_its_neighbours_as_elements():
    looped = """
    LIMIT = 1 << 20
    def f(sizes):
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
    cap = (2**20 - 1, 2**20, 2**20 + 1)
    assert _param(looped, "sizes").spec == SequenceSpec(IntSpec("size", examples=cap))
    enumerated = "def f(xs: list[int]):\n    return [i for i, x in enumerate(xs) if x >= 10]\n"
    assert _param(enumerated, "xs").spec == SequenceSpec(IntSpec(examples=(9, 10, 11)))
    indexed = "def f(xs):\n    return [min(xs[i], 100) for i in range(len(xs))]\n"
    assert _param(indexed, "xs").spec == SequenceSpec(number(IntSpec(examples=(99, 100, 101))))
    field = "CAP = 500\ndef f(rows):\n    return sum(r['size'] for r in rows if r['size'] <= CAP)\n"
    assert _param(field, "rows").spec == SequenceSpec(RecordSpec((("size", number(IntSpec(examples=(499, 500, 501)))),)))
    nested = "def f(grid):\n    return [[x for x in row if x < 5] for row in grid]\n"
    assert _param(nested, "grid").spec == SequenceSpec(SequenceSpec(number(IntSpec(examples=(4, 5, 6)))))
    words = "def f(ops):\n    return sum(1 for op in ops if op == 'add')\n"
    assert _param(words, "ops").spec == SequenceSpec(StrSpec(examples=("add",)))


def test_elements_compared_with_no_constant_carry_no_bounds():
    assert _param("def f(xs, k):\n    return [x for x in xs if x > k]\n", "xs").spec == SequenceSpec(number(IntSpec()))
    local = "def f(xs):\n    for x in [1, 2]:\n        if x > 9:\n            return xs\n    return xs[0]\n"
    assert _param(local, "xs").spec == SequenceSpec(IntSpec())

RANKED = """
def rank(scores, top):
    out = []
    for s in scores:
        out.append(s)
    return out, top
"""


def test_literal_calls_in_other_modules_of_the_package_type_the_parameters():
    callers = {
        "report.py": "from slow import rank\nfrom .slow import rank as r2\n\ndef main():\n    rank([3.5, 1.0], 2)\n",
        "cli.py": "import pkg.slow\nfrom . import slow\n\npkg.slow.rank([1.0], top=3)\nslow.rank(scores=[2.5], top=1)\n",
        "broken.py": "def (:\n",
        "unrelated.py": "from other import rank\nrank('abc', 'x')\n",
    }
    alone = {p.name: p for p in parameter_types(RANKED, "rank")}
    assert alone["top"].spec is None
    types = {p.name: p for p in parameter_types(RANKED, "rank", callers=callers, module_name="slow")}
    assert types["scores"].spec == SequenceSpec(FloatSpec())
    assert types["top"].spec == IntSpec() and types["top"].source == "call site"


def test_a_caller_passing_its_own_class_says_nothing():
    callers = {"use.py": "from slow import rank\n\nclass Mine:\n    pass\n\nrank([1.5], Mine())\n"}
    top = {p.name: p for p in parameter_types(RANKED, "rank", callers=callers, module_name="slow")}["top"]
    assert top.spec is None  # Mine cannot be built inside slow


def test_a_container_indexed_by_its_own_str_items_is_a_dict_of_str_keys():
    report = """
    def f(stock, title):
        text = title + "\\n"
        for item in stock:
            text = text + item + ": " + str(stock[item]) + "\\n"
        return text
    """
    assert _param(report, "stock").spec == DictSpec(StrSpec(), IntSpec())
    assert _param(report, "title").spec == StrSpec()


def test_a_list_indexed_by_its_own_items_stays_a_list():
    perm = """
    def f(perm):
        out = []
        for i in perm:
            out.append(perm[i] + 1)
        return out
    """
    assert _param(perm, "perm").spec == SequenceSpec(IntSpec())


def test_items_added_to_a_list_or_extended_into_one_are_lists():
    added = "def f(batches):\n    merged = []\n    for b in batches:\n        merged = merged + b\n    return merged\n"
    assert _param(added, "batches").spec == SequenceSpec(SequenceSpec(IntSpec()))
    extended = "def f(rows):\n    out = []\n    for r in rows:\n        out.extend(r)\n    return out\n"
    assert _param(extended, "rows").spec == SequenceSpec(SequenceSpec(IntSpec()))


def test_items_added_to_a_number_stay_numbers():
    summed = "def f(batches):\n    total = 0\n    for b in batches:\n        total = total + b\n    return total\n"
    assert _param(summed, "batches").spec == SequenceSpec(number(IntSpec()))


PAIR = """
def f(prices, budget):
    for i in range(len(prices)):
        for j in range(i + 1, len(prices)):
            if prices[i] + prices[j] == {rhs}:
                return i, j
    return None
"""


def test_a_parameter_compared_with_arithmetic_on_items_takes_the_items_type():
    assert _param(PAIR.format(rhs="budget"), "budget").spec == number(IntSpec())
    floats = PAIR.format(rhs="budget") + "\ndef g(xs):\n    return f(xs, 1)\n"
    assert _param(floats.replace("return None", "return prices[0] / 2"), "budget").spec == FloatSpec()


def test_own_evidence_wins_over_a_comparison_and_no_path_links_nothing():
    assert _param(PAIR.format(rhs="budget.strip()"), "budget").spec == StrSpec()
    assert _param(PAIR.format(rhs="len(budget)"), "budget").spec == SequenceSpec(IntSpec())
    assert _param("def f(xs, n):\n    return len(xs) + 1 == n\n", "n").spec is None


def test_a_slice_bound_of_a_local_sequence_is_an_int_as_of_a_parameter():
    local = "def f(sales, k):\n    ranked = sorted(sales.items())\n    return ranked[:k]\n"
    assert _param(local, "k").spec == IntSpec()
    own = "def f(xs, k):\n    return xs[k:]\n"
    assert _param(own, "k").spec == IntSpec()  # not an index: a bound past the end is a legal call


def test_a_slice_bound_that_is_also_a_size_stays_a_size():
    sized = "def f(xs, k):\n    for i in range(k):\n        xs.append(i)\n    return xs[:k]\n"
    assert _param(sized, "k").spec == IntSpec("size")


INVENTORY = """
class Inventory:
    def __init__(self, items, prices: dict[str, float]):
        self.items = list(items)
        self.prices = prices
        self.log = open_log()

    def find(self, sku):
        for s, p in self.items:
            if s == sku:
                return p
        return None

    def price(self, name):
        return self.prices[name]

    def logged(self, entry):
        return self.log[entry]

    def at(self, i):
        return self.items[i]

    def named(self, sku):
        for s, p in self.items:
            if s == sku.lower():
                return p
        return None
"""


def test_a_method_parameter_takes_the_type_of_what_init_stored_that_it_meets():
    # __init__'s items are (str, int) pairs: `named` compares their first field with a str
    assert _param(INVENTORY, "sku", "Inventory.find").spec == StrSpec()
    plain = INVENTORY.split("    def price(")[0]
    assert _param(plain, "sku", "Inventory.find").spec == IntSpec()  # nothing says more: (int, int) pairs
    assert _param(INVENTORY, "name", "Inventory.price").spec == StrSpec()  # a key of the hinted dict


def test_a_method_parameter_stays_untyped_where_init_says_nothing_and_own_evidence_wins():
    assert _param(INVENTORY, "entry", "Inventory.logged").spec is None  # self.log is not a parameter
    assert _param(INVENTORY, "i", "Inventory.at").spec is None  # a list has no key type
    assert _param(INVENTORY, "sku", "Inventory.named").spec == StrSpec()


def test_numeric_only_usage_is_int_or_float_and_int_work_stays_int():
    """Summed, compared, added to, abs/round-ed: a float caller is as likely as an int one, so
    the oracle draws both; bits, ``% 2``, ``// 10``, ``.bit_count()``, chr, ranges, slices and
    positions need an int."""
    window = ("def best(xs, k):\n    best = None\n    for i in range(len(xs) - k + 1):\n"
              "        chunk = xs[i:i + k]\n        total = 0\n        for x in chunk:\n            total += x\n"
              "        if best is None or total > best:\n            best = total\n    return best, sum(chunk)\n")
    assert _types(window, "best") == {"xs": "list[int | float]", "k": "int (size)"}
    for body in ("return abs(x) > 3", "return round(x) + 1", "return max(x, 0) - 1", "return x in (1, 2)",
                 "return -x < 10"):
        assert is_number(_param(f"def f(x):\n    {body}\n", "x").spec), body
    for body in ("return x % 2 == 0", "return x // 10", "return x & 1", "return 1 << x", "return ~x",
                 "return x.bit_count()", "return chr(x)", "return [0] * x", "return 'ab'[:x]"):
        spec = _param(f"def f(x):\n    {body}\n", "x").spec
        assert isinstance(spec, IntSpec), (body, spec)
    # a position in a list is an int however else it is used; the list's items are numbers
    assert _types("def f(xs, i):\n    return xs[i] + i\n") == {"xs": "list[int | float]", "i": "int (index)"}


def test_a_docstring_that_says_int_narrows_a_number_but_a_call_site_passing_ints_does_not():
    loop = "def f(xs):\n    {doc}total = 0\n    for x in xs:\n        total += x\n    return total\n"
    doc = '"""Sum.\n\n    Args:\n        xs (list of int): counts.\n    """\n    '
    said = _param(loop.format(doc=doc), "xs")
    assert said.spec == SequenceSpec(IntSpec()) and "docstring says list[int]" in said.notes[0]
    passed = loop.format(doc="") + "\nf([1, 2])\n"  # one caller's ints: others may pass floats
    assert _param(passed, "xs").spec == SequenceSpec(number(IntSpec()))
