"""Parameter types read from source: hints, defaults, usage, docstrings, call sites."""

from __future__ import annotations

import textwrap

import pytest

from polca.skills.analysis.infer import class_spec, parameter_types, receiver_type
from polca.skills.analysis.types import (
    ArraySpec,
    CallableSpec,
    DictSpec,
    EnumSpec,
    FloatSpec,
    InstanceSpec,
    IntSpec,
    SequenceSpec,
    StrSpec,
    TupleSpec,
    describe,
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
        "e": "tuple[int]", "g": "tuple[int, str]", "h": "set[int]", "i": "dict[str, int]",
        "j": "callable/1", "k": "ndarray[int64, 1d]", "l": "ndarray[float64, 1d]",
        "q": "list[float]", "t": "int | None", "u": "deque[int]", "v": "iterator[int]",
        "w": "dict[str, int | float]", "x": "list[bytes]", "y": "dict[str, list[int]]",
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
    assert describe(p.spec) == "list[{id: int, name: str, tags: list[int]}]"
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
    assert _param(src, "n", "fib").spec == IntSpec("size")


def test_dict_items_loop_and_str_methods():
    src = """
    def render(d):
        out = []
        for k, v in d.items():
            out.append(k.upper() + "=" + str(v + 1))
        return out
    """
    assert _types(src, "render") == {"d": "dict[str, int]"}


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
        "pairs": "list[tuple[int, int]]", "fn": "callable/2", "acc": "list[int] | None", "sep": "str"}
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
    assert _param(src, "n").spec == IntSpec("size", low=0)
    assert _param(src, "k").spec == IntSpec("value", low=0, high=10)
    assert _param(src, "p").spec == IntSpec("value", low=1)


def test_untypable_parameter_says_which_and_what_to_add():
    p = _param("def f(blob):\n    return blob\n", "blob")
    assert p.spec is None
    assert "blob" in p.why and "add a hint" in p.why
