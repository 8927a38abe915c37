"""Vectorise an accumulating loop over 1-D numpy arrays, summing in the loop's own order.

Rewrites ``t = 0`` (or ``0.0``) immediately followed by

    for i in range(len(A)):
        [if COND:]
            t += TERM          # or t = t + TERM

where TERM and COND are element-wise in ``i`` (below), into

    t = 0
    if all(type(array) is np.ndarray and array.ndim == 1 and array.dtype.kind in "iuf"
           and len(array) == len(A) for array in (A, B, ...)):
        mask = COND_vectorised                     # only with an ``if``
        terms = TERM_vectorised                     # each array indexed by ``[mask]``
        if len(terms):
            t = np.add.accumulate(terms, dtype=np.result_type(t, terms))[-1]
    else:
        <the original loop>

Why this is exact, not merely close: under NEP 50 (numpy >= 2) a numpy scalar and an
array promote alike, so every term is the same IEEE (or wrapping integer) value in both
forms; only the selected elements are computed (each array is masked first); and
``np.add.accumulate`` adds strictly left to right in the dtype ``t + term`` has, where
``np.sum`` would sum pairwise and round differently (the oracle allows floats a relative
1e-9, which cancellation can exceed). The runtime guard sends anything else (lists,
2-D or bool/object/complex arrays, unequal lengths, where the loop would raise
IndexError) to the original loop, so exceptions stay the loop's own.

Element-wise forms: ``X[i]`` for a name ``X`` (an array of the guard), int/float
literals, names typed ``int``/``float`` (:func:`typed_names`) not bound in the loop,
``+ - * /``, unary ``-``, parentheses, TERM indexing at least one array (a scalar
term has no vector form); COND: one comparison ``E1 OP E2`` of those, or
``and`` of such comparisons (vectorised with ``&``).

A second shape, an element-wise store into an output array::

    for i in range(len(A)):
        OUT[i] = TERM

becomes, under a runtime guard (the arrays as above; ``OUT`` a 1-D float ndarray of the
same length that shares no memory with them, so no element read is one the loop already
wrote; every untyped scalar name in TERM an ``int``/``float`` or a numpy integer/float
scalar, which promote alike as element or array operand; numpy's error state only
ignores or warns, so the loop cannot stop half-way where the vector form raises first)::

    if len(A) and <the guard>:
        OUT[:] = TERM_vectorised
    else:
        <the original loop>

Each element is the same IEEE value (the cast into ``OUT``'s dtype is the same rounding
per element or per array); anything else runs the original loop.

Preconditions, also: numpy is bound by a single top-level ``import numpy as NAME``;
``i`` is read nowhere else in the function; ``mask``/``terms`` are free in the module;
``all``, ``type``, ``len``, ``range`` (and for the store, ``set``, ``int``, ``float``,
``isinstance``) are the built-ins (``type(a) is np.ndarray``:
subclasses such as masked arrays do their own arithmetic, so they keep the loop); the accumulator is not
one of the arrays; the guard's generator variables (``array``, ``value``) are none of them either.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from polca.skills import cst_tools as ct
from polca.skills.analysis.facts import qualified_functions, typed_names

_ARITH = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide)
_COMPARE = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual, cst.Equal, cst.NotEqual)
_code = cst.Module([]).code_for_node


def rewrite(module: cst.Module, observed) -> cst.Module:
    shadowed = ct.module_bindings(module)
    numpy = [local for local, full in ct.imported_modules(module).items() if full == "numpy"]
    if (len(numpy) != 1 or ct.binding_count(module, numpy[0]) != 1
            or {"all", "type", "len", "range", "set", "int", "float", "isinstance", "mask", "terms"} & shadowed):
        return module
    mapping: dict[int, object] = {}
    for qualname, func in qualified_functions(module):
        types = typed_names(func, observed.get(qualname, {}), shadowed)
        kept = _kept_loops(func, numpy[0])
        for block in ct.own_blocks(func):
            body = list(block.body)
            for init, loop in zip(body, body[1:], strict=False):
                new = _vectorise(init, loop, func, types, numpy[0])
                if new is not None:
                    mapping[id(loop)] = new
            for loop in body:
                new = None if id(loop) in kept else _vectorise_store(loop, func, types, numpy[0])
                if new is not None and id(loop) not in mapping:
                    mapping[id(loop)] = new
    return ct.replace_nodes(module, mapping) if mapping else module


def _loop_parts(init, loop, func):
    """(accumulator, index, length array, COND or None, TERM) of the loop shape, or None."""
    zero = m.Integer("0") | m.Float("0.0") | m.Float("0.")
    if not m.matches(init, m.SimpleStatementLine([m.Assign([m.AssignTarget(m.Name())], zero)])):
        return None
    if not (isinstance(loop, cst.For) and loop.orelse is None and isinstance(loop.target, cst.Name)
            and m.matches(loop.iter, m.Call(m.Name("range"), [m.Arg(m.Call(m.Name("len"), [m.Arg(m.Name(), keyword=None, star="")]), keyword=None, star="")]))
            and isinstance(loop.body, cst.IndentedBlock) and len(loop.body.body) == 1):
        return None
    total, index = init.body[0].targets[0].target.value, loop.target.value
    statement, cond = loop.body.body[0], None
    if isinstance(statement, cst.If) and statement.orelse is None and isinstance(statement.body, cst.IndentedBlock):
        if len(statement.body.body) != 1:
            return None
        statement, cond = statement.body.body[0], statement.test
    if not m.matches(statement, m.SimpleStatementLine([m.AugAssign(m.Name(total), m.AddAssign())
                                                      | m.Assign([m.AssignTarget(m.Name(total))],
                                                                 m.BinaryOperation(m.Name(total), m.Add()))])):
        return None
    small = statement.body[0]
    term = small.value if isinstance(small, cst.AugAssign) else small.value.right
    if ct.read_outside(func, index, loop) or total == index:
        return None
    return total, index, loop.iter.args[0].value.args[0].value.value, cond, term


def _elementwise(expr, index: str, types, arrays: set[str], scalars: set[str] | None = None) -> bool:
    """``expr`` is an element-wise form in ``index``; collects the arrays it indexes, and
    in ``scalars`` (when given) the names of no known type, for a runtime guard."""
    if isinstance(expr, cst.Integer | cst.Float):
        return True
    if isinstance(expr, cst.Name):
        if expr.value != index and scalars is not None and types.get(expr.value) not in ("int", "float"):
            scalars.add(expr.value)
            return True
        return expr.value != index and types.get(expr.value) in ("int", "float")
    if isinstance(expr, cst.Subscript):
        if (isinstance(expr.value, cst.Name) and len(expr.slice) == 1
                and m.matches(expr.slice[0].slice, m.Index(m.Name(index)))):
            arrays.add(expr.value.value)
            return True
        return False
    if isinstance(expr, cst.UnaryOperation):
        return isinstance(expr.operator, cst.Minus) and _elementwise(expr.expression, index, types, arrays, scalars)
    if isinstance(expr, cst.BinaryOperation):
        return (isinstance(expr.operator, _ARITH) and _elementwise(expr.left, index, types, arrays, scalars)
                and _elementwise(expr.right, index, types, arrays, scalars))
    return False


def _condition(cond, index: str, types, arrays: set[str]) -> list[cst.Comparison] | None:
    """The comparisons ``cond`` is the ``and`` of, each element-wise, or None."""
    if isinstance(cond, cst.BooleanOperation) and isinstance(cond.operator, cst.And):
        left, right = _condition(cond.left, index, types, arrays), _condition(cond.right, index, types, arrays)
        return left + right if left is not None and right is not None else None
    if (isinstance(cond, cst.Comparison) and len(cond.comparisons) == 1
            and isinstance(cond.comparisons[0].operator, _COMPARE)
            and _elementwise(cond.left, index, types, arrays)
            and _elementwise(cond.comparisons[0].comparator, index, types, arrays)):
        return [cond]
    return None


def _vector_code(expr, index: str, masked: bool) -> str:
    """The code of ``expr`` with ``X[i]`` as ``X`` (or ``X[mask]``)."""
    class Strip(cst.CSTTransformer):
        def leave_Subscript(self, original, updated):
            if m.matches(updated.slice[0].slice, m.Index(m.Name(index))):
                return cst.parse_expression(f"{updated.value.value}[mask]") if masked else updated.value
            return updated
    return _code(expr.visit(Strip()))


def _vectorise(init, loop, func, types, np_name: str) -> cst.BaseStatement | None:
    parts = _loop_parts(init, loop, func)
    if parts is None:
        return None
    total, index, length, cond, term = parts
    arrays: set[str] = {length}
    comparisons = _condition(cond, index, types, arrays) if cond is not None else []
    term_arrays: set[str] = set()
    # a term that indexes no array is a scalar: ``terms`` would have no length
    if comparisons is None or not _elementwise(term, index, types, term_arrays) or not term_arrays:
        return None
    arrays |= term_arrays
    names = {n.value for n in ct.walk(loop.body) if isinstance(n, cst.Name)}
    if total in arrays or (names & ct.collect(loop.body).bound) - {total}:
        return None
    ordered = ", ".join(sorted(arrays)) + ("," if len(arrays) == 1 else "")
    each = next(n for n in ("array", "array_", "array__", "_array") if n not in arrays)
    guard = (f"all(type({each}) is {np_name}.ndarray and {each}.ndim == 1 and {each}.dtype.kind in \"iuf\" "
             f"and len({each}) == len({length})\n       for {each} in ({ordered}))")
    lines = []
    if comparisons:
        vectors = [_vector_code(c, index, False) for c in comparisons]
        lines.append("mask = " + (vectors[0] if len(vectors) == 1 else " & ".join(f"({v})" for v in vectors)))
    lines.append(f"terms = {_vector_code(term, index, bool(comparisons))}")
    lines.append(f"if len(terms):\n        {total} = {np_name}.add.accumulate(terms, "
                 f"dtype={np_name}.result_type({total}, terms))[-1]")
    code = f"if {guard}:\n" + "".join(f"    {line}\n" for line in lines) + "else:\n    pass\n"
    statement = cst.parse_statement(code)
    orelse = statement.orelse.with_changes(body=statement.orelse.body.with_changes(body=[loop.with_changes(leading_lines=[])]))
    return statement.with_changes(orelse=orelse, leading_lines=loop.leading_lines)


def _kept_loops(func, np_name: str) -> set[int]:
    """``id()`` of the loops this rule kept as the fallback of its guard (idempotence)."""
    out = set()
    for node in ct.walk(func.body):
        if isinstance(node, cst.If) and isinstance(node.orelse, cst.Else) and (
                f"{np_name}.may_share_memory(" in _code(node.test)):
            out |= {id(s) for s in node.orelse.body.body}
    return out


def _vectorise_store(loop, func, types, np_name: str) -> cst.BaseStatement | None:
    """The guarded ``OUT[:] = TERM`` for ``for i in range(len(A)): OUT[i] = TERM``, or None."""
    ranged = m.Call(m.Name("range"), [m.Arg(m.Call(m.Name("len"), [m.Arg(m.Name(), keyword=None, star="")]),
                                            keyword=None, star="")])
    if not (isinstance(loop, cst.For) and loop.orelse is None and not loop.asynchronous
            and isinstance(loop.target, cst.Name) and m.matches(loop.iter, ranged)
            and isinstance(loop.body, cst.IndentedBlock) and len(loop.body.body) == 1):
        return None
    index, length = loop.target.value, loop.iter.args[0].value.args[0].value.value
    store = m.SimpleStatementLine([m.Assign([m.AssignTarget(m.Subscript(
        m.Name(), [m.SubscriptElement(m.Index(m.Name(index)))]))])])
    if not m.matches(loop.body.body[0], store) or ct.read_outside(func, index, loop):
        return None
    assign = loop.body.body[0].body[0]
    out, term = assign.targets[0].target.value.value, assign.value
    indexed, scalars = set(), set()
    if not _elementwise(term, index, types, indexed, scalars) or not indexed:
        return None  # a term that indexes no array is a scalar
    arrays = indexed | {length}
    if out in arrays | scalars or {"array", "value"} & (arrays | scalars | {out}):
        return None
    listed = ", ".join(sorted(arrays)) + ("," if len(arrays) == 1 else "")
    # len(A) first, as the loop's range(len(A)) does; an empty A runs the (empty) loop,
    # so no name of TERM is read where the loop would read none
    guard = (f"len({length}) and all(type(array) is {np_name}.ndarray and array.ndim == 1 "
             f"and array.dtype.kind in \"iuf\"\n"
             f"        and len(array) == len({length}) and not {np_name}.may_share_memory({out}, array)"
             f" for array in ({listed}))\n"
             f"        and type({out}) is {np_name}.ndarray and {out}.ndim == 1 and {out}.dtype.kind == \"f\" "
             f"and len({out}) == len({length})\n"
             f"        and set({np_name}.geterr().values()) <= {{\"ignore\", \"warn\"}}")
    if scalars:
        names = ", ".join(sorted(scalars)) + ("," if len(scalars) == 1 else "")
        guard += (f"\n        and all(type(value) in (int, float) or isinstance(value, ({np_name}.integer, "
                  f"{np_name}.floating)) for value in ({names}))")
    code = f"if ({guard}):\n    {out}[:] = {_vector_code(term, index, False)}\nelse:\n    pass\n"
    statement = cst.parse_statement(code)
    orelse = statement.orelse.with_changes(body=statement.orelse.body.with_changes(body=[loop.with_changes(leading_lines=[])]))
    return statement.with_changes(orelse=orelse, leading_lines=loop.leading_lines)
