"""Run offline ``polca optimize`` on every file of the development corpus and tabulate.

From the repository root::

    python -m benchmarks.devset.run --label before          # writes results/before.json
    python -m benchmarks.devset.run --only join_users --label try

Each file of ``targets/`` is copied into a fresh temporary folder (with its stdin files
``stdin/<name>_*.txt``, passed as ``--stdin``) and the INSTALLED console script runs there
with its default budget: ``polca optimize FILE --json --db sqlite:///TMP/polca.db``.
A file is classed by its targets: **sped up** (a target improved, >= 1.10x), **no gain**
(searched, nothing offered), **nothing to try** (no rule changed any target), **refused**
(polca exited with an error line), **crash** (anything else, or the wall-clock limit).
This corpus is for developing the rules: its figures are not held-out figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGETS = HERE / "targets"
STDIN = HERE / "stdin"
RESULTS = HERE / "results"
CLASSES = ("sped up", "no gain", "nothing to try", "refused", "crash")


def _polca() -> Path:
    path = Path(sys.executable).parent / "polca"
    if not path.exists():
        raise FileNotFoundError(f"no polca console script beside {sys.executable}; pip install -e . first")
    return path


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLCA_")}
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", HF_HUB_OFFLINE="1", NO_COLOR="1", COLUMNS="250")
    return env


def classify(rc: int | None, report: dict[str, Any] | None) -> str:
    """The class of one file's run (see :data:`CLASSES`)."""
    if rc == 1 and report is None:
        return "refused"
    if rc != 0 or report is None:
        return "crash"
    targets = [t for t in report.get("targets", []) if t.get("status") != "excluded"]
    if any(t.get("status") == "improved" and (t.get("speedup") or 0) >= 1.10 for t in targets):
        return "sped up"
    if targets and all(_nothing_to_try(t) for t in targets):
        return "nothing to try"
    return "no gain"


def _nothing_to_try(target: dict[str, Any]) -> bool:
    return target.get("status") == "nothing_to_try" or (target.get("message") or "").startswith("nothing to try")


def run_file(path: Path, timeout_s: float) -> dict[str, Any]:
    """One file through the console script; its raw record."""
    with tempfile.TemporaryDirectory(prefix=f"polca-devset-{path.stem}-") as tmp:
        folder = Path(tmp)
        shutil.copy(path, folder / path.name)
        cmd = [str(_polca()), "optimize", path.name, "--json", "--db", f"sqlite:///{folder / 'polca.db'}"]
        for stdin in sorted(STDIN.glob(f"{path.stem}_*.txt")):
            shutil.copy(stdin, folder / stdin.name)
            cmd += ["--stdin", stdin.name]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=folder, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, start_new_session=True, text=True)
        try:
            out, err = proc.communicate(timeout=timeout_s)
            rc: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            rc = None
        wall_s = time.monotonic() - started
    try:
        report = json.loads(out[out.index("{"):]) if rc == 0 else None
    except ValueError:
        report = None
    targets = [{k: t.get(k) for k in ("name", "status", "speedup", "origins", "message")}
               for t in (report or {}).get("targets", [])]
    return {"file": path.name, "class": classify(rc, report), "exit_code": rc, "wall_s": round(wall_s, 2),
            "targets": targets, "error": "" if report else err.strip().splitlines()[-1:],
            "diff": (report or {}).get("diff", "")}


def table(records: list[dict[str, Any]]) -> str:
    """A markdown table, one row per file, and the count per class."""
    lines = ["| file | class | targets (status, speedup, skills) | wall s |", "| --- | --- | --- | ---: |"]
    for rec in records:
        shown = "; ".join(
            f"{t['name']}: {'nothing to try' if _nothing_to_try(t) else t['status']}" + (f" {t['speedup']:.2f}x" if t.get("speedup") else "")
            + (f" ({', '.join(t['origins'])})" if t.get("origins") else "")
            for t in rec["targets"]
        ) or " ".join(rec["error"])
        lines.append(f"| {rec['file']} | {rec['class']} | {shown} | {rec['wall_s']} |")
    counts = {c: sum(r["class"] == c for r in records) for c in CLASSES}
    lines += ["", " / ".join(f"{c}: {n}" for c, n in counts.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="latest", help="results/<label>.json and .md")
    parser.add_argument("--only", action="append", help="file stem (repeatable)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout-s", type=float, default=600.0)
    parser.add_argument("--rebuild", action="store_true", help="run nothing: reclass and redraw results/<label>.md")
    args = parser.parse_args(argv)
    if args.rebuild:
        records = json.loads((RESULTS / f"{args.label}.json").read_text(encoding="utf-8"))
        for rec in records:
            rec["class"] = classify(rec["exit_code"], {"targets": rec["targets"]} if rec["exit_code"] == 0 else None)
        _write(args.label, records)
        return
    paths = sorted(p for p in TARGETS.glob("*.py") if not args.only or p.stem in args.only)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        records = list(pool.map(lambda p: run_file(p, args.timeout_s), paths))
    _write(args.label, records)


def _write(label: str, records: list[dict[str, Any]]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{label}.json").write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{label}.md").write_text(table(records), encoding="utf-8")
    sys.stdout.write(table(records))


if __name__ == "__main__":
    main()
