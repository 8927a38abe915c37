"""Inputs that name objects of the module under test, and how answers are compared.

Held-out inputs are plain data, built from a seed without importing any target. Where an
input must be an object of the target's own module (a dataclass, a NamedTuple, an Enum
member, the receiver of a method), the data holds a placeholder that is resolved against
the loaded module just before the call:

    new("Stop", 1, 2)          -> module.Stop(1, 2)
    ref("Zone.WORLD")          -> module.Zone.WORLD
    new("TextIndex", ["a b"])  -> the receiver of a ``TextIndex.search_many`` input

For a method target (``Class.method``) the first argument of every input is the receiver,
so each input says how its instance is constructed.
"""

from __future__ import annotations

import importlib.util
import math
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Ref:
    """An attribute of the module under test, by dotted path ("Zone.WORLD")."""

    path: str


@dataclass(frozen=True)
class New:
    """A call of an attribute of the module under test: ``path(*args, **dict(kwargs))``."""

    path: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Raises:
    """The expected outcome of an example that raises: the exception's type name."""

    exception: str


def ref(path: str) -> Ref:
    return Ref(path)


def new(path: str, *args: Any, **kwargs: Any) -> New:
    return New(path, tuple(args), tuple(sorted(kwargs.items())))


def _attribute(module: types.ModuleType, path: str) -> Any:
    value: Any = module
    for part in path.split("."):
        value = getattr(value, part)
    return value


def resolve(value: Any, module: types.ModuleType) -> Any:
    """``value`` with every placeholder replaced by the object it names in ``module``."""
    if isinstance(value, Ref):
        return _attribute(module, value.path)
    if isinstance(value, New):
        args = [resolve(a, module) for a in value.args]
        kwargs = {k: resolve(v, module) for k, v in value.kwargs}
        return _attribute(module, value.path)(*args, **kwargs)
    if isinstance(value, list):
        return [resolve(v, module) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve(v, module) for v in value)
    if isinstance(value, dict):
        return {resolve(k, module): resolve(v, module) for k, v in value.items()}
    return value


def load_module(path: Path, name: str) -> types.ModuleType:
    """Execute the file at ``path`` as a fresh module called ``name`` (not registered)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plain(value: Any) -> Any:
    """``value`` as comparable plain data: arrays as lists, iterators materialised."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Iterator):
        return [plain(v) for v in value]
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def same(a: Any, b: Any, rel_tol: float = 1e-9) -> bool:
    """Deep equality of plain data, floats within ``rel_tol``, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rel_tol)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y, rel_tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rel_tol) for k in a)
    return type(a) is type(b) and a == b
