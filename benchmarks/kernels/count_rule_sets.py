"""How many published KernelBench solutions each rule set accepts statically (guards only, nothing runs).

Every ``*.py`` file in the given folder is a candidate ``ModelNew`` source. Each is read by
:func:`polca.kernels_bench.guards.run_guards` under ``--rules kernelbench`` and under
``--rules strict``; for the ones strict rejects, the checks of
:data:`~polca.kernels_bench.guards.CHECKS` that found something are recorded. The
problem a solution belongs to is not passed (``problem=None``), so no problem-level
``ALLOWED_TORCH_CALLS`` applies. The JSON (``--out``) holds file names, counts and the
guards' messages (cut to 160 characters), never the solutions themselves.

    python benchmarks/kernels/count_rule_sets.py /path/to/solutions \\
        --source "anneouyang/KernelBenchLeaderboard@<commit> docs/assets/solutions, first 50 by name" \\
        --out benchmarks/kernels/results/rule-set-difference.json
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from polca.kernels_bench.guards import CHECKS, run_guards

_MESSAGE_CHARS = 160


def judge(source: str) -> dict:
    """Acceptance under both rule sets, and which strict checks failed with their messages."""
    failed = {}
    for name, check in CHECKS.items():
        _, errors, _ = check(source, None)
        if errors:
            failed[name] = [error[:_MESSAGE_CHARS] for error in errors]
    return {
        "kernelbench": run_guards(source, None, rules="kernelbench").ok,
        "strict": run_guards(source, None, rules="strict").ok,
        "strict_failed_checks": failed,
    }


def summarize(rows: dict[str, dict]) -> dict:
    """Counts of accepted solutions and, for each check, how many solutions it rejects under strict."""
    by_check = Counter(name for row in rows.values() for name in row["strict_failed_checks"])
    return {
        "solutions": len(rows),
        "accepted_kernelbench": sum(row["kernelbench"] for row in rows.values()),
        "accepted_strict": sum(row["strict"] for row in rows.values()),
        "accepted_by_kernelbench_only": sum(row["kernelbench"] and not row["strict"] for row in rows.values()),
        "strict_rejections_by_check": dict(by_check.most_common()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("solutions", type=Path, help="a folder of ModelNew sources (*.py)")
    parser.add_argument("--source", default="", help="where the solutions came from and how they were chosen")
    parser.add_argument("--out", type=Path, help="write the JSON here")
    args = parser.parse_args()
    rows = {path.name: judge(path.read_text(encoding="utf-8")) for path in sorted(args.solutions.glob("*.py"))}
    data = {"source": args.source, "summary": summarize(rows), "solutions": rows}
    if args.out:
        args.out.write_text(json.dumps(data, indent=2) + "\n")
    print(json.dumps(data["summary"], indent=2))


if __name__ == "__main__":
    main()
