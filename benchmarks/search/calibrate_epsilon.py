"""Calibrate the ε-net radius of each offline embedder from measured distances. From the
repository root::

    .venv/bin/python -m benchmarks.search.calibrate_epsilon

Programs: the slow and fast sides of ``skills/corpus/pairs.jsonl`` and ``examples/*.py``.

- **Near-duplicates** of each program (what the net should drop): every local name
  renamed consistently (one name at a time), one numeric literal changed, and the
  program reformatted (``ast.unparse``, which drops comments and normalises spacing, and
  a copy with a comment and blank lines added).
- **Real different edits** (what the net must keep): each corpus pair (slow -> fast, a
  rewrite that made it faster), and every executable skill of the library applied to
  each program where it changes the code.

For each embedder the chosen ε is the geometric midpoint between the largest
near-duplicate distance and the smallest real-edit distance when the two do not
overlap; otherwise it is 0.9 x the 1st percentile of real-edit distances (at most 1% of
real edits dropped) and the share of near-duplicates it still catches is reported.
Raw distances go to ``benchmarks/search/epsilon_calibration.json``.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import math
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from polca.optimizer.embedding import EMBEDDERS
from polca.skills.registry import build_registry
from polca.skills.rules import apply_rule

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "epsilon_calibration.json"


def programs() -> list[tuple[str, str]]:
    found = []
    for line in (ROOT / "skills/corpus/pairs.jsonl").read_text().splitlines():
        row = json.loads(line)
        found += [(row["id"] + ":slow", row["slow"]), (row["id"] + ":fast", row["fast"])]
    found += [(p.name, p.read_text()) for p in sorted((ROOT / "examples").glob("*.py"))]
    return found


def _local_names(tree: ast.AST) -> list[str]:
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    return sorted(names)


def rename(source: str, name: str, new: str) -> str:
    """``source`` with every NAME token ``name`` that is not an attribute renamed."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out = []
    for index, token in enumerate(tokens):
        after_dot = index > 0 and tokens[index - 1].string == "."
        if token.type == tokenize.NAME and token.string == name and not after_dot:
            token = token._replace(string=new)
        out.append(token)
    return tokenize.untokenize(out)


def near_duplicates(source: str) -> Iterator[tuple[str, str]]:
    """(kind, variant) pairs that mean the same program."""
    tree = ast.parse(source)
    for name in _local_names(tree)[:4]:
        yield "rename", rename(source, name, name + "_v")
    numbers = list(re.finditer(r"(?<![\w.])(\d+)(?![\w.])", source))
    for match in numbers[:3]:
        changed = str(int(match.group(1)) + 1)
        yield "literal", source[: match.start()] + changed + source[match.end() :]
    yield "reformat", ast.unparse(tree) + "\n"
    lines = source.splitlines()
    yield "reformat", "# tuned\n" + "\n\n".join(lines[:1]) + "\n" + "\n".join(lines[1:]) + "\n\n"


def real_edits(source: str, registry) -> Iterator[tuple[str, str]]:
    for skill in registry.with_rules():
        outcome = apply_rule(skill, source)
        if outcome.changed and outcome.code.strip() != source.strip():
            yield "skill:" + skill.id, outcome.code


def _distance(embedder, a: str, b: str) -> float:
    va, vb = embedder.embed([a, b])
    return float(np.linalg.norm(va.astype(np.float64) - vb.astype(np.float64)))


def measure() -> dict:
    registry = build_registry()
    corpus = programs()
    pairs: list[tuple[str, str, str, str]] = []  # (group, kind, a, b)
    for _, source in corpus:
        pairs += [("near", kind, source, variant) for kind, variant in near_duplicates(source)]
        pairs += [("real", kind, source, edit) for kind, edit in real_edits(source, registry)]
    for line in (ROOT / "skills/corpus/pairs.jsonl").read_text().splitlines():
        row = json.loads(line)
        pairs.append(("real", "pair:slow->fast", row["slow"], row["fast"]))
    result = {"programs": len(corpus), "embedders": {}}
    for name, factory in EMBEDDERS.items():
        embedder = factory()
        rows = [{"group": g, "kind": k, "distance": _distance(embedder, a, b)} for g, k, a, b in pairs]
        result["embedders"][name] = {"choice": choose(rows), "distances": rows}
    return result


def choose(rows: list[dict]) -> dict:
    near = np.array([r["distance"] for r in rows if r["group"] == "near"])
    real = np.array([r["distance"] for r in rows if r["group"] == "real"])
    if near.max() < real.min():
        epsilon = math.sqrt(max(near.max(), 1e-6) * real.min())
        rule = "geometric midpoint of max near-duplicate and min real-edit distance"
    else:
        epsilon = 0.9 * float(np.percentile(real, 1))
        rule = "0.9 x 1st percentile of real-edit distances (the groups overlap)"
    by_kind = {}
    for kind in sorted({r["kind"].split(":")[0] for r in rows}):
        values = [r["distance"] for r in rows if r["kind"].split(":")[0] == kind]
        by_kind[kind] = {"n": len(values), "min": min(values), "median": float(np.median(values)),
                         "max": max(values)}
    return {
        "epsilon": round(float(epsilon), 4),
        "rule": rule,
        "near_duplicates_dropped": float(np.mean(near <= epsilon)),
        "real_edits_dropped": float(np.mean(real <= epsilon)),
        "near_max": float(near.max()), "real_min": float(real.min()),
        "by_kind": by_kind,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    result = measure()
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    for name, data in result["embedders"].items():
        choice = {k: v for k, v in data["choice"].items() if k != "by_kind"}
        print(name, json.dumps(choice))  # noqa: T201 (a script's report)
        for kind, stats in data["choice"]["by_kind"].items():
            print(f"  {kind:10s} {json.dumps({k: round(v, 3) for k, v in stats.items()})}")  # noqa: T201


if __name__ == "__main__":
    main()
