"""Scale a problem's module-level size constants down, so a real KernelBench file runs on a CPU.

KernelBench's current inputs are sized for large GPUs (a single ReLU input is 6.4 GB).
:func:`shrink_problem` rewrites the problem's source: every top-level assignment of a
literal integer (``batch_size = 4096``, ``dim = 393216``, ``N = 2 ** 20``), and each integer
of a literal tuple or list (``input_shape = (32768,)``, ``hidden_sizes = [32768, 32768]``), is
a size constant, and the largest one above ``min_size`` is halved (with every constant that was equal
to it, so equal sizes stay equal), again and again, until the
inputs and the model's parameters together hold at most ``max_elements`` values. Sizes
are measured without allocating anything: ``get_inputs()`` and ``Model(*get_init_inputs())``
run on PyTorch's ``meta`` device. Derived constants (``hidden = dim * 4``) and everything
the functions compute follow from the rewritten literals.

A shrunk problem checks correctness against the real file's code; its timings say nothing
about the kernel at the real sizes, and results and reports say so (``shrunk``).
"""

from __future__ import annotations

import ast
import dataclasses
import logging
from typing import Any

import torch

from polca.kernels_bench.problems import Problem, import_source
from polca.parsing import parse_python

logger = logging.getLogger(__name__)

DEFAULT_MAX_ELEMENTS = 1 << 20  # values in the inputs plus the parameters: a few MB of float32
DEFAULT_MIN_SIZE = 16  # constants at or below this (kernel sizes, strides, groups) stay as they are
_MAX_STEPS = 200


def size_constants(source: str) -> dict[str, int]:
    """Top-level ``NAME = <integer expression of literals>`` assignments, by name; the integer
    items of a literal tuple or list (``input_shape = (32768,)``) as ``NAME[i]``."""
    constants: dict[str, int] = {}
    for name, value_node in _assignments(parse_python(source)):
        value = _literal_int(value_node)
        if value is not None:
            constants[name] = value
        elif isinstance(value_node, ast.Tuple | ast.List):
            for index, item in enumerate(value_node.elts):
                item_value = _literal_int(item)
                if item_value is not None:
                    constants[f"{name}[{index}]"] = item_value
    return constants


def _assignments(tree: ast.Module) -> list[tuple[str, ast.expr]]:
    return [(node.targets[0].id, node.value) for node in tree.body
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)]


def _literal_int(node: ast.AST) -> int | None:
    """The value of an integer literal, or of + - * // ** over integer literals; else None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.FloorDiv | ast.Pow):
        left, right = _literal_int(node.left), _literal_int(node.right)
        if left is None or right is None or (isinstance(node.op, ast.Pow) and right > 64):
            return None
        if isinstance(node.op, ast.FloorDiv) and right == 0:
            return None
        return {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right,
                ast.FloorDiv: left // right if right else 0, ast.Pow: left ** right}[type(node.op)]
    return None


def rewrite_constants(source: str, values: dict[str, int]) -> str:
    """``source`` with the top-level assignments of ``values``' names set to those integers."""
    tree = parse_python(source)
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        if name in values:
            node.value = ast.copy_location(ast.Constant(values[name]), node.value)
        elif isinstance(node.value, ast.Tuple | ast.List):
            node.value.elts = [ast.copy_location(ast.Constant(values[f"{name}[{i}]"]), item)
                               if f"{name}[{i}]" in values else item for i, item in enumerate(node.value.elts)]
    return ast.unparse(tree) + "\n"


def problem_elements(source: str) -> int:
    """Values in ``get_inputs()`` plus the model's parameters and buffers, measured on the meta device."""
    module = import_source(source, "polca_shrink_probe", "<shrink>")
    validate = torch.distributions.Distribution._validate_args
    # Argument checks of torch.distributions (Pareto in KernelBench's loss problems) read
    # values, which meta tensors do not have.
    torch.distributions.Distribution.set_default_validate_args(False)
    try:
        with torch.device("meta"):
            torch.manual_seed(0)
            inputs = module.get_inputs()
            model = module.Model(*module.get_init_inputs())
    finally:
        torch.distributions.Distribution.set_default_validate_args(validate)
    counted = sum(_elements(value) for value in inputs)
    if isinstance(model, torch.nn.Module):
        counted += sum(t.numel() for t in (*model.parameters(), *model.buffers()))
    return counted


def _elements(value: Any) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel()
    if isinstance(value, list | tuple):
        return sum(_elements(item) for item in value)
    return 0


def shrink_source(source: str, max_elements: int = DEFAULT_MAX_ELEMENTS, min_size: int = DEFAULT_MIN_SIZE) -> str:
    """``source`` with its size constants halved, largest first, until it fits ``max_elements``.

    Raises ValueError when the problem cannot be measured on the meta device or does not fit
    even with every constant at ``min_size``.
    """
    original = size_constants(source)
    values = dict(original)
    current = source
    for _ in range(_MAX_STEPS):
        try:
            elements = problem_elements(current)
        except Exception as exc:  # problem code that the meta device cannot run
            raise ValueError(f"cannot measure the problem's sizes on the meta device ({type(exc).__name__}: {exc}); "
                             "it cannot be shrunk automatically, so run it at its own sizes on a GPU.") from exc
        if elements <= max_elements:
            return current
        shrinkable = {name: value for name, value in values.items() if value > min_size}
        if not shrinkable:
            raise ValueError(f"the problem holds {elements} values even with every size constant at {min_size} "
                             f"or below (limit {max_elements}); it cannot be shrunk to fit a CPU.")
        # Constants that were equal stay equal (batch_size = 32768 and input_shape = (32768,) of
        # a loss that broadcasts one against the other): the largest group is halved together.
        largest = original[max(shrinkable, key=lambda name: (shrinkable[name], original[name]))]
        for name in values:
            if original[name] == largest:
                values[name] = max(min_size, values[name] // 2)
        current = rewrite_constants(source, values)
    raise ValueError(f"the problem did not shrink below {max_elements} values in {_MAX_STEPS} steps.")


def shrink_problem(problem: Problem, max_elements: int = DEFAULT_MAX_ELEMENTS,
                   min_size: int = DEFAULT_MIN_SIZE) -> Problem:
    """The problem with its source shrunk (:func:`shrink_source`) and ``shrunk=True``."""
    source = shrink_source(problem.source, max_elements, min_size)
    changed = {name: (old, new) for (name, old), new in zip(size_constants(problem.source).items(),
                                                              size_constants(source).values(), strict=True)
               if old != new}
    if changed:
        logger.info("shrunk %s: %s", problem.key, ", ".join(f"{n} {a} -> {b}" for n, (a, b) in changed.items()))
    return dataclasses.replace(problem, source=source, shrunk=True)
