"""Slow/fast program pairs: the input of Stage I mining.

One JSON object per line. polca's layout::

    {"id": "append-1", "problem": "running-evens", "slow": "...", "fast": "...",
     "entry": "solve", "inputs": [[[1, 2, 3]], [[4, 5]]],
     "tests": [{"input": [[1, 2]], "output": [2]}]}

- ``slow``/``fast``: the two programs (source text). Required.
- ``entry``: the function both define; without it the programs are stdin scripts.
- ``inputs``: inputs without expected answers (the slow program is the oracle): for a
  function, a list of positional argument lists; for a script, a list of stdin texts.
- ``tests``: inputs with the expected answer (``output``: the return value, or stdout).
- ``id`` (default ``line-N``) and ``problem`` (default: the id) are optional; miners count
  support in distinct problems, so pairs solving one problem should share it.

The public PIE layout is accepted as well: ``input``/``target`` are the slow/fast
programs (stdin scripts), ``problem_id`` the problem and ``src_id``/``tgt_id`` the id.
Other keys (PIE's timings, for example) are ignored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polca.sandbox.target import Call, ScriptInput, Target

log = logging.getLogger(__name__)

DEFAULT_CORPUS = Path(__file__).resolve().parent / "corpus" / "pairs.jsonl"


@dataclass(frozen=True)
class PairTest:
    """One input with its expected answer (a return value, or a script's stdout)."""

    input: Any
    output: Any


@dataclass(frozen=True)
class Pair:
    """A slow program and a faster one that behaves the same."""

    id: str
    slow: str
    fast: str
    problem: str = ""
    entry: str | None = None
    inputs: tuple[Any, ...] = ()
    tests: tuple[PairTest, ...] = ()

    @property
    def is_script(self) -> bool:
        return self.entry is None

    def all_inputs(self) -> list[Any]:
        """The plain inputs followed by the tests' inputs."""
        return [*self.inputs, *(t.input for t in self.tests)]

    def sandbox_inputs(self) -> list[Call | ScriptInput]:
        """Every input in the form :mod:`polca.sandbox` runs it."""
        if self.is_script:
            return [ScriptInput(stdin=str(item)) for item in self.all_inputs()]
        return [Call(args=tuple(item)) for item in self.all_inputs()]

    def target(self, source: str, side: str = "slow") -> Target:
        """``source`` as a sandbox target with this pair's entry point."""
        name = "pair_" + "".join(c if c.isalnum() else "_" for c in self.id) + "_" + side
        return Target(source=source, qualname=self.entry, module_name=name)


def _program(record: Mapping, ours: str, pie: str, where: str) -> str:
    if ours in record and pie in record:
        raise ValueError(f"{where}: has both {ours!r} and {pie!r}; use {ours!r} (or PIE's {pie!r}) only")
    value = record.get(ours, record.get(pie))
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"{where}: {ours!r} (or PIE's {pie!r}) must be the program's source text, got {value!r}"
        )
    return value


def _inputs(record: Mapping, entry: str | None, where: str) -> tuple[Any, ...]:
    raw = record.get("inputs", [])
    if not isinstance(raw, list):
        raise ValueError(f"{where}: 'inputs' must be a list, got {type(raw).__name__}")
    for item in raw:
        _check_input(item, entry, where)
    return tuple(raw)


def _check_input(item: Any, entry: str | None, where: str) -> None:
    if entry is None and not isinstance(item, str):
        raise ValueError(f"{where}: a script's input must be its stdin text, got {item!r}")
    if entry is not None and not isinstance(item, list):
        raise ValueError(
            f"{where}: an input of function {entry!r} must be a list of positional arguments, "
            f"got {item!r}; wrap a single argument as [arg]"
        )


def _tests(record: Mapping, entry: str | None, where: str) -> tuple[PairTest, ...]:
    raw = record.get("tests", [])
    if not isinstance(raw, list):
        raise ValueError(f"{where}: 'tests' must be a list of {{'input': ..., 'output': ...}}")
    tests = []
    for test in raw:
        if not isinstance(test, Mapping) or not {"input", "output"} <= test.keys():
            raise ValueError(f"{where}: each test needs 'input' and 'output', got {test!r}")
        _check_input(test["input"], entry, where)
        tests.append(PairTest(test["input"], test["output"]))
    return tuple(tests)


def _default_id(record: Mapping, line: int) -> str:
    if "id" in record:
        return str(record["id"])
    if "problem_id" in record and "src_id" in record:
        return f"{record['problem_id']}-{record['src_id']}-{record.get('tgt_id', 'fast')}"
    return f"line-{line}"


def parse_pair(record: Mapping, line: int = 0) -> Pair:
    """One pair from a decoded JSON object; ``line`` is only used in error messages."""
    where = f"pair on line {line}" if line else "pair"
    if not isinstance(record, Mapping):
        raise TypeError(f"{where}: must be a JSON object, got {type(record).__name__}")
    entry = record.get("entry")
    if entry is not None and (not isinstance(entry, str) or not entry.isidentifier()):
        raise ValueError(f"{where}: 'entry' must name a function, such as 'solve'; got {entry!r}")
    pair_id = _default_id(record, line)
    return Pair(
        id=pair_id,
        slow=_program(record, "slow", "input", where),
        fast=_program(record, "fast", "target", where),
        problem=str(record.get("problem", record.get("problem_id", pair_id))),
        entry=entry,
        inputs=_inputs(record, entry, where),
        tests=_tests(record, entry, where),
    )


def parse_pairs(lines: Iterable[str]) -> list[Pair]:
    """Pairs from JSONL lines; blank lines are skipped, ids must be unique."""
    pairs: list[Pair] = []
    seen: set[str] = set()
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number} is not valid JSON ({exc}); write one object per line") from None
        pair = parse_pair(record, number)
        if pair.id in seen:
            raise ValueError(f"line {number}: pair id {pair.id!r} is used twice; ids must be unique")
        seen.add(pair.id)
        pairs.append(pair)
    return pairs


def load_pairs(path: Path | str = DEFAULT_CORPUS) -> list[Pair]:
    """Every pair in a JSONL file (polca's layout or PIE's)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"pairs file {str(path)!r} does not exist; pass a JSONL file of slow/fast pairs")
    with path.open(encoding="utf-8") as handle:
        pairs = parse_pairs(handle)
    log.debug("loaded %d pairs from %s", len(pairs), path)
    return pairs


def problems(pairs: Sequence[Pair]) -> list[str]:
    """Distinct problems, in first-seen order."""
    return list(dict.fromkeys(p.problem for p in pairs))
