"""Turns the facts :mod:`.infer_usage` left on a parameter's paths into a Spec.

A path's facts decide its kind, most specific first: a callable (it is called), an array
(``.shape``, ``@``, numpy calls), a record (string keys read), a dict (``.items()``, ``.get``),
a tuple (unpacked into a fixed number of names), a string (string methods), a set, deque
or list (``.add``, ``.append``, iterated, indexed, ``len``), then a scalar (float, int with
its role and bounds). Where nothing is known the result is a :class:`~.infer.Hole`.
"""

from __future__ import annotations

import re
from collections import defaultdict

from polca.skills.analysis.infer import FuncNode, Hole, Module, union
from polca.skills.analysis.infer_usage import Facts, Path, class_attributes, usage_facts
from polca.skills.analysis.types import (
    ArraySpec,
    BoolSpec,
    BytesSpec,
    CallableSpec,
    DictSpec,
    FloatSpec,
    IntSpec,
    NoneSpec,
    RecordSpec,
    SequenceSpec,
    Spec,
    StrSpec,
    TupleSpec,
    UnionSpec,
    is_number,
    number,
)

_CONTAINER = frozenset({"list", "iter", "len", "int_index", "keyed", "sliced", "contains", "unpacked"})
_MUTATES_AS_LIST = frozenset({"list", "set", "deque", "dict", "dict_get"})


class _Resolver:
    """Turns the facts on a parameter's paths into a Spec (holes where nothing is known)."""

    def __init__(self, found: Facts, mod: Module) -> None:
        self.f, self.mod = found, mod
        self.children: dict[Path, set[str]] = defaultdict(set)
        for p in [*found.facts, *found.hinted]:
            for i in range(1, len(p)):
                self.children[p[:i]].add(p[i])
        self.notes: list[str] = []
        self.following: set[Path] = set()

    def spec(self, path: Path, depth: int = 0) -> Spec | None:
        found = self._own(path, depth)
        if found is not None and not isinstance(found, Hole):
            return found
        for other in sorted(self.f.links.get(path, ())):
            if other in self.following:
                continue
            self.following.add(path)
            linked = self._own(other, depth + 1)
            self.following.discard(path)
            if linked is not None and not isinstance(linked, Hole):
                return linked
        if found is None and self.f.links.get(path) and len(path) == 1:
            other = ".".join(sorted(self.f.links[path])[0])
            self.notes.append(f"{path[0]} is compared or combined with {other}, whose type is unknown; int assumed")
            return IntSpec()
        return found

    def _own(self, path: Path, depth: int) -> Spec | None:
        facts = self.f.facts.get(path, set())
        if "self_type" in facts and "none" in self.f.facts.get(path[:1], set()):
            return NoneSpec()  # a recursive child: None is the leaf the base case accepts
        if depth > 6:
            return None
        if "call" in facts:
            return CallableSpec(self.f.arity.get(path, 1))
        if "array" in facts:
            return ArraySpec("float64", max(self.f.ndim.get(path, 1), self._depth(path)))
        found = self._mapping(path, facts, depth) or self._container(path, facts, depth)
        if found is None:
            found = self._scalar(path, facts)
        hinted = self.f.hinted.get(path)
        if hinted is not None and (found is None or isinstance(found, Hole)):
            return hinted
        if isinstance(hinted, FloatSpec) and (isinstance(found, IntSpec) or is_number(found)) \
                and not facts & {"strict_int", "size"}:
            return hinted  # `x - 1` allows a float; the 0.0 put in says it is one
        if found is None:
            found = self._instance(path, facts)
        return found

    def _instance(self, path: Path, facts: set[str]) -> Spec | None:
        """``p.x`` and ``p.norm()`` on a value: the class of the module that has them all."""
        from polca.skills.analysis.infer import NoType, instance_spec

        used = {f[5:] for f in facts if f.startswith("attr:")}
        if not used:
            return None
        for qualname in class_attributes(self.mod):
            if used <= class_attributes(self.mod)[qualname]:
                try:
                    spec = instance_spec(self.mod, qualname)
                except (NoType, RecursionError):
                    continue
                self.notes.append(f"{'.'.join(path)}: uses {', '.join(sorted(used))}, as {qualname} has")
                return spec
        return None

    def _depth(self, path: Path) -> int:
        n = 0
        while "[]" in self.children.get(path, ()) and n < 4:
            path, n = (*path, "[]"), n + 1
        return max(n, 1)

    def _mapping(self, path: Path, facts: set[str], depth: int) -> Spec | None:
        kids = self.children.get(path, set())
        if "self_keyed" in facts:  # for k in d: d[k]: a dict when its items are str keys
            key = self.spec((*path, "[]"), depth + 1)
            if isinstance(key, StrSpec):
                return DictSpec(key, self.spec((*path, "[item]"), depth + 1) or Hole())
        keys = [k for k in kids if k.startswith("k:")]
        if keys and "dict" not in facts:
            ordered = sorted(keys, key=lambda k: self._first_seen(path, k))
            return RecordSpec(tuple((k[2:], self.spec((*path, k), depth + 1) or Hole()) for k in ordered))
        if not facts & {"dict", "dict_get", "int_index", "list", "sliced"} and self.f.keyed_by.get(path):
            key = next((k for k in map(lambda p: self.spec(p, depth + 1), sorted(self.f.keyed_by[path]))
                        if k is not None and not isinstance(k, (Hole, IntSpec))), None)
            if key is not None:
                return DictSpec(key, self.spec((*path, "[]"), depth + 1) or Hole())
        if "dict" in facts or "dict_get" in facts or {"key", "val"} & kids:
            key = self.spec((*path, "key"), depth + 1) or Hole()
            value = self.spec((*path, "val"), depth + 1) or self.spec((*path, "[]"), depth + 1) or Hole()
            return DictSpec(key, value)
        return None

    def _first_seen(self, path: Path, key: str) -> int:
        order = list(self.f.facts)
        target = (*path, key)
        return next((i for i, p in enumerate(order) if p[: len(target)] == target), len(order))

    def _container(self, path: Path, facts: set[str], depth: int) -> Spec | None:
        kids = self.children.get(path, set())
        positions = sorted(int(k[1:]) for k in kids if k.startswith("#"))
        item_facts = self.f.facts.get((*path, "[]"), set())
        if positions and not (facts & (_CONTAINER - {"unpacked"}) or "[]" in kids):
            return TupleSpec(tuple(self.spec((*path, f"#{i}"), depth + 1) or Hole()
                                   for i in range(positions[-1] + 1)))
        if "str" in facts or "char" in facts:
            return None  # a scalar string; _scalar says so
        if "bytes" in facts:
            return BytesSpec()
        if ("char" in item_facts or ("str_contains" in facts and "[]" not in kids)) and not facts & _MUTATES_AS_LIST:
            return StrSpec()
        if "next" in facts and not facts & (_CONTAINER - {"iter"}):
            return SequenceSpec(self.spec((*path, "[]"), depth + 1) or Hole(), "iterator")
        for kind in ("set", "deque"):
            if kind in facts:
                return SequenceSpec(self.spec((*path, "[]"), depth + 1) or Hole(), kind)  # type: ignore[arg-type]
        if facts & _CONTAINER or "[]" in kids:
            return SequenceSpec(self.spec((*path, "[]"), depth + 1) or Hole())
        return None

    def _scalar(self, path: Path, facts: set[str]) -> Spec | None:
        kinds = [k for k in ("str", "float", "int") if k in facts or (k == "str" and "char" in facts)]
        if "strict_int" in facts and kinds[:1] == ["float"]:
            kinds = kinds[1:]
        if len(kinds) > 1:
            self.notes.append(f"{'.'.join(path)} is used as {' and as '.join(kinds)}; {kinds[0]} assumed")
        if kinds and kinds[0] == "str":
            return StrSpec()
        if "strict_int" in facts or "size" in facts:
            return IntSpec("size" if "size" in facts else "value", self.f.low.get(path), self.f.high.get(path))
        if "float" in facts:
            return FloatSpec(finite="finite" in facts)
        if "int" in facts:  # int work: bits, `% 2`, `// 10`, chr(), math.gcd, .bit_count()
            return IntSpec("value", self.f.low.get(path), self.f.high.get(path))
        if "num" in facts:  # only computed with as a number: a caller may pass a float as well
            return number(IntSpec("value", self.f.low.get(path), self.f.high.get(path)), "finite" in facts)
        if facts & {"callable_arg", "stored"} and len(path) == 1:
            self.notes.append(f"{path[0]} is only passed on or stored (a node id, a key?); int assumed")
            return IntSpec()
        if "bool" in facts or (facts == {"truthy"} and len(path) == 1):
            return BoolSpec()  # only tested for truth: a flag
        isinstance_types = sorted(f.split(":", 1)[1] for f in facts if f.startswith("isinstance:"))
        if isinstance_types:
            scalars = {"int": IntSpec(), "float": FloatSpec(), "str": StrSpec(), "list": SequenceSpec(Hole()),
                       "dict": DictSpec(Hole(), Hole()), "tuple": SequenceSpec(Hole(), "tuple"),
                       "set": SequenceSpec(Hole(), "set")}
            return union([scalars[t] for t in isinstance_types if t in scalars] or [Hole()])
        return None


def usage_specs(mod: Module, qualname: str, func: FuncNode, params: list[str]) -> dict[str, tuple[Spec | None, list[str]]]:
    """For each parameter: the Spec its usage shows (None when the body says nothing) and notes."""
    found = usage_facts(mod, qualname, func, params)
    resolver = _Resolver(found, mod)
    out: dict[str, tuple[Spec | None, list[str]]] = {}
    specs = {p: resolver.spec((p,)) for p in params}
    for p in params:
        spec = _index_role(found, (p,), specs[p], specs)
        if spec is not None and "none" in found.facts.get((p,), set()) and not isinstance(spec, Hole):
            spec = union([spec, NoneSpec()])
        notes = [n for n in resolver.notes if re.match(r"\w+", n).group() == p]  # type: ignore[union-attr]
        out[p] = (spec, notes)
    return out


def _index_role(found: Facts, path: Path, spec: Spec | None, specs: dict[str, Spec | None]) -> Spec | None:
    """A parameter used to index a sequence parameter is an index bounded by its length."""
    container = found.index_of.get(path)
    if container is None or container not in specs:
        return spec
    target = specs[container]
    if not isinstance(target, (SequenceSpec, StrSpec, TupleSpec, ArraySpec)):
        return spec
    if isinstance(spec, UnionSpec) and is_number(spec):
        spec = spec.options[0]  # a position in a sequence is an int, however else it is used
    if spec is None or isinstance(spec, IntSpec):
        base = spec or IntSpec()
        if base.role == "size":
            return base
        return IntSpec("index", base.low, base.high, container)
    return spec
