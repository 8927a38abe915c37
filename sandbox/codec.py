"""Inputs as data that cannot run code: JSON, plus a few tagged types JSON lacks.

A pickle is a program: loading someone else's runs their code. Inputs that leave a run
(the problem spec ``polca train export`` writes, the rows ``polca train rl`` loads) are
kept in this format instead. :func:`encode` turns a value into JSON-able data and
:func:`decode` turns it back; only these types pass, and only exactly them (no
subclasses, no instances of your classes, no dataclasses):

- JSON's own: ``None``, ``bool``, ``int`` (within +-2**53), finite ``float``, ``str``,
  ``list``, and ``dict`` with ``str`` keys (none of them ``"$t"``);
- tagged as ``{"$t": TAG, "v": ...}``: ``tuple``, ``set``, ``frozenset``, ``bytes`` and
  ``bytearray`` (base64), ``complex``, larger ``int`` (decimal text), ``float`` nan and
  infinities, ``dict`` with other keys (a list of pairs), and numpy arrays and scalars of
  bool, integer, float or complex dtype (``"dtype"``, ``"shape"``, nested lists; decoding
  them needs numpy);
- the recipes of values built inside the sandbox (:mod:`polca.sandbox.target`'s markers):
  ``build`` (a class of the program called with encoded args), ``member`` (an enum
  member), ``pure`` (a lambda's source text) and ``iter`` (an iterator over a list).
  Decoding gives the marker back, still a recipe: only the worker builds it, next to the
  program's module, inside the sandbox.

:func:`decode` is strict: an unknown tag, a tagged object with other keys, or a payload of
the wrong shape raises :class:`CodecError` in one line naming where it is. A value of
another type raises :class:`UnsafeValue` on encoding: such inputs travel only as pickles,
which their owner must allow explicitly. :func:`plain_from_pickle` reads the pickles the
tracer records when they hold only these types, without running anything: its unpickler
refuses every global but a few constructors of builtin data types.

Nothing here imports polca; the sandbox floor, the program domain and the trainer share it.
"""

from __future__ import annotations

import base64
import io
import math
import pickle
import re
from typing import Any

TAG = "$t"
MAX_SAFE_INT = 2**53
_MARKERS_MODULE = "polca.sandbox.target"  # its markers are named here, not imported: it imports this module
_MARKER_TAGS = {"Build": "build", "Member": "member", "Pure": "pure", "Iter": "iter"}  # JSON readers outside Python keep integers exactly up to here
_DTYPE = re.compile(r"^[<>|=]?[biufc]\d{1,2}$")
# What plain data needs from a pickle: builtin constructors of data types and the codec
# protocol 2 uses for bytes. None of them runs code or reads anything but its arguments.
_PICKLE_GLOBALS = frozenset({
    ("builtins", "complex"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "bytearray"), ("builtins", "bytes"), ("_codecs", "encode"),
    ("__builtin__", "set"), ("__builtin__", "frozenset"), ("__builtin__", "complex"),
})


class CodecError(ValueError):
    """Encoded data that :func:`decode` does not accept."""


class UnsafeValue(TypeError):
    """A value this format cannot hold; it could travel only as a pickle."""


# ---------------------------------------------------------------- encoding


def encode(value: Any, path: str = "value") -> Any:
    """JSON-able data for ``value``; raises :class:`UnsafeValue` naming ``path`` and the type."""
    kind = type(value)
    if value is None or kind in (bool, str):
        return value
    if kind is int:
        return value if -MAX_SAFE_INT <= value <= MAX_SAFE_INT else {TAG: "int", "v": str(value)}
    if kind is float:
        return value if math.isfinite(value) else {TAG: "float", "v": repr(value)}
    if kind is list:
        return [encode(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind is dict:
        return _encode_dict(value, path)
    if kind is tuple:
        return {TAG: "tuple", "v": [encode(item, f"{path}[{i}]") for i, item in enumerate(value)]}
    if kind in (set, frozenset):
        items = [encode(item, f"{path}{{}}") for item in value]
        return {TAG: kind.__name__, "v": sorted(items, key=repr)}
    if kind in (bytes, bytearray):
        return {TAG: kind.__name__, "v": base64.b64encode(value).decode("ascii")}
    if kind is complex:
        return {TAG: "complex", "v": [encode(value.real, path), encode(value.imag, path)]}
    if kind.__module__ == "numpy":
        return _encode_numpy(value, path)
    if kind.__module__ == _MARKERS_MODULE and kind.__name__ in _MARKER_TAGS:
        return _encode_marker(value, path)
    raise UnsafeValue(
        f"{path} is a {kind.__module__}.{kind.__qualname__}, which only a pickle can carry "
        "(safe inputs hold JSON data, tuples, sets, bytes, complex numbers and numpy arrays)"
    )


def _encode_dict(value: dict, path: str) -> Any:
    if all(type(key) is str for key in value) and TAG not in value:
        return {key: encode(item, f"{path}[{key!r}]") for key, item in value.items()}
    pairs = [[encode(key, f"{path} key"), encode(item, f"{path}[{key!r}]")] for key, item in value.items()]
    return {TAG: "dict", "v": pairs}


def _encode_numpy(value: Any, path: str) -> Any:
    import numpy

    if isinstance(value, numpy.ndarray | numpy.generic) and _DTYPE.match(value.dtype.str):
        tag = "ndarray" if isinstance(value, numpy.ndarray) else "numpy"
        data = value.tolist()
        return {TAG: tag, "dtype": value.dtype.str, "shape": list(numpy.shape(value)), "v": encode(data, path)}
    raise UnsafeValue(f"{path} is a numpy {type(value).__name__} of dtype {getattr(value, 'dtype', '?')}, "
                      "which only a pickle can carry (safe numpy data is bool, integer, float or complex)")


def _encode_marker(value: Any, path: str) -> dict[str, Any]:
    """A value the worker builds (``polca.sandbox.target``'s Build, Member, Pure, Iter): its
    recipe, as data; decoding gives the marker back, and only the worker runs it."""
    tag = _MARKER_TAGS[type(value).__name__]
    if tag == "build":
        if any(type(key) is not str for key in value.kwargs):
            raise UnsafeValue(f"{path}: keyword argument names must be strings")
        return {TAG: tag, "qualname": value.qualname, "args": encode(list(value.args), f"{path}.args"),
                "kwargs": {k: encode(v, f"{path}.kwargs[{k!r}]") for k, v in value.kwargs.items()}}
    if tag == "member":
        return {TAG: tag, "qualname": value.qualname, "name": value.name}
    if tag == "pure":
        return {TAG: tag, "v": value.source}
    return {TAG: tag, "v": encode(list(value.items), path)}


def encode_call(args: tuple | list, kwargs: dict[str, Any]) -> dict[str, Any]:
    """One call's arguments as ``{"args": [...], "kwargs": {...}}`` (both encoded)."""
    if any(type(key) is not str for key in kwargs):
        raise UnsafeValue("keyword argument names must be strings")
    return {
        "args": [encode(arg, f"args[{i}]") for i, arg in enumerate(args)],
        "kwargs": {key: encode(value, f"kwargs[{key!r}]") for key, value in kwargs.items()},
    }


# ---------------------------------------------------------------- decoding


def decode(data: Any, path: str = "value") -> Any:
    """The value :func:`encode` encoded; raises :class:`CodecError` for anything else."""
    kind = type(data)
    if data is None or kind in (bool, str, int):
        return data
    if kind is float:
        if not math.isfinite(data):
            raise CodecError(f"{path}: a bare {data!r} is not safe data; non-finite floats are tagged")
        return data
    if kind is list:
        return [decode(item, f"{path}[{i}]") for i, item in enumerate(data)]
    if kind is not dict:
        raise CodecError(f"{path}: {kind.__name__} is not JSON data")
    if TAG not in data:
        return {key: decode(item, f"{path}[{key!r}]") for key, item in data.items()}
    tag = data[TAG]
    decoder = _DECODERS.get(tag) if isinstance(tag, str) else None
    if decoder is None:
        raise CodecError(f"{path}: unknown tag {tag!r}; known tags: {', '.join(sorted(_DECODERS))}")
    expected = _KEYS.get(tag, {TAG, "v"})
    if set(data) != expected:
        raise CodecError(f"{path}: a {tag!r} holds exactly the keys {sorted(expected)}, got {sorted(data)}")
    try:
        return decoder(data, path)
    except CodecError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise CodecError(f"{path}: malformed {tag!r} ({exc})") from None


def _items(data: dict, path: str) -> list:
    if type(data["v"]) is not list:
        raise CodecError(f"{path}: a {data[TAG]!r} holds a list, got {type(data['v']).__name__}")
    return [decode(item, f"{path}[{i}]") for i, item in enumerate(data["v"])]


def _text(data: dict, path: str) -> str:
    if type(data["v"]) is not str:
        raise CodecError(f"{path}: a {data[TAG]!r} holds a string, got {type(data['v']).__name__}")
    return data["v"]


def _float(data: dict, path: str) -> float:
    text = _text(data, path)
    if text not in ("nan", "inf", "-inf"):
        raise CodecError(f"{path}: a tagged float is 'nan', 'inf' or '-inf', got {text!r}")
    return float(text)


def _int(data: dict, path: str) -> int:
    text = _text(data, path)
    if not re.fullmatch(r"-?\d{1,100000}", text):
        raise CodecError(f"{path}: a tagged int is decimal digits, got {text[:40]!r}")
    return int(text)


def _complex(data: dict, path: str) -> complex:
    parts = _items(data, path)
    if len(parts) != 2 or not all(type(p) in (int, float) for p in parts):
        raise CodecError(f"{path}: a 'complex' holds [real, imag]")
    return complex(parts[0], parts[1])


def _bytes(data: dict, path: str) -> bytes:
    return base64.b64decode(_text(data, path), validate=True)


def _dict(data: dict, path: str) -> dict:
    pairs = _items(data, path)
    if not all(type(pair) is list and len(pair) == 2 for pair in pairs):
        raise CodecError(f"{path}: a 'dict' holds [key, value] pairs")
    return {_hashable(key, path): value for key, value in pairs}


def _hashable(value: Any, path: str) -> Any:
    try:
        hash(value)
    except TypeError:
        raise CodecError(f"{path}: a {type(value).__name__} cannot be a set member or dict key") from None
    return value


def _numpy(data: dict, path: str) -> Any:
    try:
        import numpy
    except ImportError:
        raise CodecError(f"{path}: a numpy value needs numpy installed (pip install numpy)") from None
    dtype, shape = data["dtype"], data["shape"]
    if type(dtype) is not str or not _DTYPE.match(dtype):
        raise CodecError(f"{path}: numpy dtype {dtype!r} is not bool, integer, float or complex")
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise CodecError(f"{path}: numpy shape {shape!r} is not a list of sizes")
    array = numpy.array(decode(data["v"], path), dtype=numpy.dtype(dtype))
    if array.size == 0 and math.prod(shape) == 0:
        array = array.reshape(shape)  # an empty array's nested list does not keep its shape
    if list(array.shape) != shape:
        raise CodecError(f"{path}: numpy data has shape {list(array.shape)}, not {shape}")
    return array if data[TAG] == "ndarray" else array[()]


def _qualname(data: dict, path: str) -> str:
    name = data["qualname"]
    if type(name) is not str or not all(part.isidentifier() for part in name.split(".")):
        raise CodecError(f"{path}: a {data[TAG]!r} names a class by dotted identifiers, got {str(name)[:40]!r}")
    return name


def _marker(data: dict, path: str) -> Any:
    """The marker :func:`_encode_marker` wrote (it stays a recipe: nothing is built here)."""
    from polca.sandbox import target  # target imports this module; the markers live there

    tag = data[TAG]
    if tag == "build":
        args, kwargs = decode(data["args"], f"{path}.args"), decode(data["kwargs"], f"{path}.kwargs")
        if type(args) is not list or type(kwargs) is not dict:
            raise CodecError(f"{path}: a 'build' holds a list of args and a dict of kwargs")
        return target.Build(_qualname(data, path), tuple(args), kwargs)
    if tag == "member":
        if type(data["name"]) is not str or not data["name"].isidentifier():
            raise CodecError(f"{path}: a 'member' names the member by an identifier")
        return target.Member(_qualname(data, path), data["name"])
    if tag == "pure":
        return target.Pure(_text(data, path))
    return target.Iter(_items(data, path))


_DECODERS = {
    "tuple": lambda d, p: tuple(_items(d, p)),
    "set": lambda d, p: {_hashable(item, p) for item in _items(d, p)},
    "frozenset": lambda d, p: frozenset(_hashable(item, p) for item in _items(d, p)),
    "bytes": _bytes,
    "bytearray": lambda d, p: bytearray(_bytes(d, p)),
    "complex": _complex,
    "int": _int,
    "float": _float,
    "dict": _dict,
    "ndarray": _numpy,
    "numpy": _numpy,
    "build": _marker,
    "member": _marker,
    "pure": _marker,
    "iter": _marker,
}
_KEYS = {"ndarray": {TAG, "dtype", "shape", "v"}, "numpy": {TAG, "dtype", "shape", "v"},
         "build": {TAG, "qualname", "args", "kwargs"}, "member": {TAG, "qualname", "name"}}


def decode_call(item: Any, path: str = "input") -> tuple[tuple, dict[str, Any]]:
    """``(args, kwargs)`` of one call written by :func:`encode_call`."""
    if type(item) is not dict or not set(item) <= {"args", "kwargs"}:
        raise CodecError(f"{path}: a call is {{'args': [...], 'kwargs': {{...}}}}, got {str(item)[:80]}")
    args = decode(item.get("args", []), f"{path}.args")
    kwargs = decode(item.get("kwargs", {}), f"{path}.kwargs")
    if type(args) is not list or type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
        raise CodecError(f"{path}: args must be a list and kwargs a dict with string keys")
    return tuple(args), kwargs


# ---------------------------------------------------------------- pickles of plain data


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _PICKLE_GLOBALS:
            return super().find_class(module, name)
        raise UnsafeValue(f"the pickle needs {module}.{name}, which is not plain data")

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafeValue("the pickle refers to a persistent object, which is not plain data")


def plain_from_pickle(payload: bytes) -> Any:
    """The value a pickle holds when it is plain data (builtin containers and scalars);
    raises :class:`UnsafeValue` for anything else, before building any of it.

    Only builtin data constructors are ever called, so loading runs no code of the
    pickle's author. The result is checked with :func:`encode`, so it is exactly what the
    safe format carries.
    """
    try:
        value = _PlainUnpickler(io.BytesIO(payload)).load()
    except UnsafeValue:
        raise
    except Exception as exc:
        raise UnsafeValue(f"the pickle does not load as plain data ({type(exc).__name__}: {exc})") from None
    encode(value)
    return value
