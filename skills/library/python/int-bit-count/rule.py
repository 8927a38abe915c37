"""Rewrite ``bin(E).count("1")`` into ``int.bit_count(operator.index(E))``.

The rewrite is exact for every ``E``: ``bin`` converts its argument with ``__index__``
(as ``operator.index`` does, raising the same TypeError for non-integers) and writes the
absolute value in binary after an optional ``-``; ``int.bit_count`` counts the ones of the
absolute value. Calling ``int.bit_count`` explicitly (not ``.bit_count()`` on the value)
keeps int subclasses that override ``bit_count`` out of the picture.

Preconditions, proven from the module:

1. ``bin`` and ``int`` are not bound anywhere in the module (parameters included): they
   are the built-ins;
2. the call is exactly ``bin(E).count("1")``: one positional argument to ``bin``, and
   ``count`` with the single literal argument ``"1"`` (no start/end);
3. ``operator`` is bound only by a top-level ``import operator`` (added when missing and
   unbound).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct

_ONE = m.SimpleString('"1"') | m.SimpleString("'1'")
_POPCOUNT = m.Call(
    func=m.Attribute(
        value=m.Call(func=m.Name("bin"), args=[m.Arg(keyword=None, star="")]),
        attr=m.Name("count"),
    ),
    args=[m.Arg(value=_ONE, keyword=None, star="")],
)


def rewrite(module: cst.Module) -> cst.Module:
    bound = ct.module_bindings(module)
    imported = ct.imported_modules(module).get("operator") == "operator"
    if {"bin", "int"} & bound or ct.binding_count(module, "operator") != (1 if imported else 0):
        return module
    mapping: dict[int, cst.CSTNode] = {}
    for node in ct.walk(module):
        if isinstance(node, cst.Call) and m.matches(node, _POPCOUNT):
            argument = node.func.value.args[0].value
            new = cst.parse_expression("int.bit_count(operator.index(x))")
            mapping[id(node)] = new.deep_replace(new.args[0].value.args[0].value, argument)
    if not mapping:
        return module
    return ct.add_import(ct.replace_nodes(module, mapping), "import operator")
