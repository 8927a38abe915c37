"""Parameter types written in docstrings, in the three common styles:

    Args:                              Parameters                 :param list[int] xs: ...
        xs (list of int): ...          ----------                 :type n: int
        n (int, optional): ...         xs : ndarray of float

Each type is rewritten as a hint (``list of int`` -> ``list[int]``, ``ndarray of float`` ->
``NDArray[float]``, ``int, optional`` -> ``Optional[int]``) and read like an annotation.
"""

from __future__ import annotations

import ast
import re

from polca.parsing import parse_python
from polca.skills.analysis.infer import FuncNode, HintReader, Module, NoType
from polca.skills.analysis.types import Spec

_GOOGLE_HEAD = re.compile(r"^\s*(Args|Arguments|Parameters|Params|Keyword Args)\s*:\s*$")
_GOOGLE_ITEM = re.compile(r"^\s+\*{0,2}(\w+)\s*\(([^)]*)\)\s*:")
_NUMPY_ITEM = re.compile(r"^\s*(\w+(?:\s*,\s*\w+)*)\s*:\s*(\S.*)$")
_SPHINX_PARAM = re.compile(r":param\s+([^:\n]+?)\s+(\w+)\s*:")
_SPHINX_TYPE = re.compile(r":type\s+(\w+)\s*:\s*(.+)")
_WORDS = {
    "string": "str", "integer": "int", "boolean": "bool", "number": "float", "numeric": "float",
    "scalar": "float", "real": "float", "double": "float", "callable": "Callable", "function": "Callable",
    "array_like": "NDArray", "array-like": "NDArray", "array": "NDArray", "ndarray": "NDArray",
    "np.ndarray": "NDArray", "numpy.ndarray": "NDArray", "sequence": "list", "iterable": "list",
    "list": "list", "tuple": "tuple", "set": "set", "dict": "dict", "mapping": "dict", "str": "str",
    "int": "int", "float": "float", "bool": "bool", "bytes": "bytes", "none": "None",
}
_CONTAINERS = {"list", "tuple", "set", "NDArray", "dict"}


def docstring_types(func: FuncNode) -> dict[str, str]:
    """``{parameter: type text}`` as the docstring of ``func`` writes them."""
    doc = ast.get_docstring(func) or ""
    found: dict[str, str] = {}
    for ptype, name in _SPHINX_PARAM.findall(doc):
        found[name] = ptype
    for name, ptype in _SPHINX_TYPE.findall(doc):
        found[name] = ptype.strip()
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if _GOOGLE_HEAD.match(line):
            _google(lines[i + 1:], found)
        if line.strip() == "Parameters" and i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}:
            _numpy(lines[i + 2:], found)
    return found


def _google(lines: list[str], found: dict[str, str]) -> None:
    for line in lines:
        if line.strip() and not line.startswith((" ", "\t")):
            return  # the next section
        m = _GOOGLE_ITEM.match(line)
        if m:
            found.setdefault(m.group(1), m.group(2))


def _numpy(lines: list[str], found: dict[str, str]) -> None:
    indent = None
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}:
            return  # the next section's header
        m = _NUMPY_ITEM.match(line)
        width = len(line) - len(line.lstrip())
        if m and (indent is None or width == indent):
            indent = width
            for name in re.split(r"\s*,\s*", m.group(1)):  # "x, y : float"
                found.setdefault(name, m.group(2))


def doc_hint(text: str) -> str | None:
    """A hint expression for a docstring type (``list of int`` -> ``list[int]``), or None."""
    t = re.sub(r",?\s*(optional|default[: =].*|by default.*)$", "", text.strip(), flags=re.I).strip()
    optional = t != text.strip()
    if not t:
        return None
    if t.startswith("{"):
        return "str" if "'" in t or '"' in t else "int"
    if " or " in t:
        parts = [doc_hint(p) for p in t.split(" or ")]
        return None if None in parts else "Union[" + ", ".join(parts) + "]"  # type: ignore[arg-type]
    hint = _of(t)
    if hint and optional:
        hint = f"Optional[{hint}]"
    return hint


def _of(t: str) -> str | None:
    m = re.match(r"^(\S+)\s+of\s+(.+)$", t)
    if m and _WORDS.get(m.group(1).lower()) in _CONTAINERS:
        outer, inner = _WORDS[m.group(1).lower()], m.group(2).strip()
        if outer == "dict":
            kv = re.split(r"\s+(?:to|->)\s+", inner, maxsplit=1)
            return f"dict[{_of(kv[0])}, {_of(kv[1])}]" if len(kv) == 2 else None
        item = _of(inner.removesuffix("s") if inner.endswith(("ints", "floats", "strings")) else inner)
        if item is None:
            return None
        return f"tuple[{item}, ...]" if outer == "tuple" else f"{outer}[{item}]"
    m = re.match(r"^dict\((\w+),\s*(\w+)\)$", t)
    if m:
        return f"dict[{_of(m.group(1))}, {_of(m.group(2))}]"
    return _WORDS.get(t.lower(), t)


def docstring_specs(mod: Module, func: FuncNode, names: list[str]) -> dict[str, Spec]:
    """The Spec of each parameter the docstring of ``func`` gives a readable type for."""
    out = {}
    for name, text in docstring_types(func).items():
        hint = doc_hint(text) if name in names else None
        if hint is None:
            continue
        try:
            out[name] = HintReader(mod).spec(parse_python(hint, mode="eval").body)
        except (NoType, SyntaxError, RecursionError, ValueError):
            continue  # a docstring is prose; an unreadable type there is no evidence
    return out
