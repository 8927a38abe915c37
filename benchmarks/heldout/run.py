"""Run polca on the held-out suite (or the trap set) as a user does, and judge what it offers.

From the repository root::

    python -m benchmarks.heldout.run                                   # held-out set, offline
    python -m benchmarks.heldout.run --set traps --mode scripted       # traps, scripted model
    python -m benchmarks.heldout.run --only fib_numbers --budget-evals 2
    python -m benchmarks.heldout.run --peer ruff                       # beside ruff's fixes (peer.py)

For each target the file is copied into a fresh temporary folder and the INSTALLED console
script is run there as a subprocess::

    polca optimize FILE --json --db sqlite:///TMP/polca.db --budget-evals N --out TMP/optimized.py
          [--function F] [--stdin TMP/stdin_0.txt ...] [--model openai/scripted --api-base URL]

under a hard wall-clock limit (the whole process group is killed: "hang"). A run is
"searched" when polca built an oracle and searched, "refused" when it exited with an error
line (its reason is kept and classed), "crash" on a traceback or an unexpected exit status.
Every offered change is judged on the target's held-out inputs (``judge.py``); a difference
is a WRONG change offered. With ``--mode scripted`` a scripted OpenAI-compatible server on
127.0.0.1 serves the trap rewrites (wrong first, right second). Raw records go to
``results/<set>-<mode>.json``, the table to ``results/<set>-<mode>.md``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from benchmarks.heldout.judge import judge
from benchmarks.heldout.peer import peer_fields
from benchmarks.heldout.report import peer_summary, results_markdown, strength_summary, summarize
from benchmarks.heldout.suite import SUITE, HeldoutTarget
from benchmarks.heldout.traps import TRAPS, ScriptedTrapModel, Trap

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
SetName = Literal["heldout", "traps"]
Mode = Literal["offline", "scripted"]
Outcome = Literal["searched", "refused", "crash", "hang"]
BenchItem = HeldoutTarget | Trap
SCRIPTED_MODEL = "openai/scripted"

# the reason a refusal gives, by the first pattern its message contains
REASON_CLASSES: tuple[tuple[str, str], ...] = (
    ("has no type hint", "no-type-hint"),
    ("is a method", "method-needs-instance"),
    ("cannot generate inputs", "unsupported-type-hint"),
    ("non-deterministic", "non-deterministic"),
    ("nondeterministic", "non-deterministic"),
    ("could be captured", "inputs-not-captured"),
    ("cannot be pickled", "inputs-not-captured"),
    ("never runs", "function-not-run"),
    ("fails when run", "script-fails"),
    ("took longer than", "original-too-slow"),
    ("timed out", "timeout"),
    ("timeout", "timeout"),
)
_HINT = re.compile(r"parameter '[^']+': (.+?) of ")
_TYPING_NAMES = re.compile(r"\b(List|Dict|Tuple|Set|FrozenSet|Sequence|Iterable|Iterator|Mapping|Any)\b")


@dataclass(frozen=True)
class RunSettings:
    """What every target gets."""

    mode: Mode = "offline"
    budget_evals: int = 4  # measurements: 16 inputs' worth at the minibatch of 4
    timeout_s: float = 300.0
    judge_timeout_s: float = 120.0
    api_base: str | None = None
    peer: bool = False  # also run ruff's fixes and time both changes alike (peer.py)


@dataclass(frozen=True)
class Record:
    """One target's raw result. ``speedup`` is polca's reported one (the product over the
    file's improved targets, a script's functions and the script itself)."""

    name: str
    kinds: list[str]
    function: str | None
    outcome: Outcome
    reason_class: str
    reason: str
    exit_code: int | None
    wall_s: float
    improved: bool
    speedup: float | None
    targets: list[dict[str, Any]]
    judge: str | None  # equal, wrong, unjudged; None when nothing was offered
    judge_feedback: str
    traceback_in_stderr: bool
    stderr_tail: str
    command: str
    model_served: list[str]  # scripted mode: what the model answered each proposer prompt on this trap
    offered_matches: str  # traps: the offered file is the "wrong" or the "right" rewrite, or "other"; "" if none
    diff: str  # polca's diff of the offered change (cut)
    peer: dict[str, Any] = field(default_factory=dict)  # with --peer ruff: peer.peer_fields


# ---------------------------------------------------------------- one target


def polca_executable() -> Path:
    """The installed ``polca`` console script of this interpreter's environment."""
    path = Path(sys.executable).parent / "polca"
    if not path.exists():
        raise FileNotFoundError(f"no polca console script beside {sys.executable}; pip install -e . first")
    return path


def _stage(item: BenchItem, folder: Path) -> tuple[Path, list[Path]]:
    """Copy the target (and its stdin workload) into ``folder``: no tests, no neighbours."""
    path = folder / item.path.name
    path.write_text(item.path.read_text(encoding="utf-8"), encoding="utf-8")
    workload = getattr(item, "workload", None)
    stdin_files = []
    if workload is not None:
        for i, text in enumerate(workload(random.Random(0))):
            stdin = folder / f"stdin_{i}.txt"
            stdin.write_text(text, encoding="utf-8")
            stdin_files.append(stdin)
    return path, stdin_files


def command_for(item: BenchItem, path: Path, stdin_files: Sequence[Path], folder: Path,
                settings: RunSettings) -> list[str]:
    """The ``polca optimize`` command line a user would type for this target."""
    cmd = [str(polca_executable()), "optimize", path.name, "--json", "--db", f"sqlite:///{folder / 'polca.db'}",
           "--budget-evals", str(settings.budget_evals), "--out", str(folder / "optimized.py")]
    if item.function is not None:
        cmd += ["--function", item.function]
    for stdin in stdin_files:
        cmd += ["--stdin", stdin.name]
    if settings.mode == "scripted":
        cmd += ["--model", SCRIPTED_MODEL, "--api-base", str(settings.api_base)]
    return cmd


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLCA_")}
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", NO_COLOR="1", COLUMNS="250", PYTHONUNBUFFERED="1")
    env.setdefault("OPENAI_API_KEY", "scripted-no-key")
    return env


def _execute(cmd: list[str], folder: Path, timeout_s: float) -> tuple[int | None, str, str, float]:
    """Run ``cmd`` in its own process group; on time-out kill the group. (rc or None, out, err, wall)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=folder, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True, text=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
        return proc.returncode, out, err, time.monotonic() - started
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return None, out, err, time.monotonic() - started


def run_one(item: BenchItem, settings: RunSettings) -> Record:
    """Optimize one target in a fresh folder with the console script; judge what it offers."""
    with tempfile.TemporaryDirectory(prefix=f"polca-heldout-{item.name}-") as tmp:
        folder = Path(tmp)
        path, stdin_files = _stage(item, folder)
        cmd = command_for(item, path, stdin_files, folder, settings)
        rc, out, err, wall_s = _execute(cmd, folder, settings.timeout_s)
        optimized = folder / "optimized.py"
        changed = optimized.read_text(encoding="utf-8") if optimized.exists() else None
    shown = shlex.join(["polca", *cmd[1:]]).replace(tmp, "TMP")
    record = _record(item, settings, rc, out, err, wall_s, changed, shown)
    if settings.peer:
        offered = changed if record.improved else None
        record = replace(record, peer=peer_fields(item, item.path.read_text(encoding="utf-8"), offered))
    return record


# ---------------------------------------------------------------- classifying a run


def reason_class(message: str) -> str:
    """The class of a refusal's reason (see :data:`REASON_CLASSES`); ``other`` when none fits.

    An unsupported type hint is classed further by what the hint holds:
    ``unsupported-type-hint (numpy|callable|union|user-class|bare-container)``.
    """
    lowered = message.lower()
    for pattern, name in REASON_CLASSES:
        if pattern in lowered:
            return f"{name} ({_hint_kind(message)})" if name == "unsupported-type-hint" else name
    return "other"


def _hint_kind(message: str) -> str:
    found = _HINT.search(message)
    hint = found.group(1) if found else ""
    if "ndarray" in hint or "np." in hint:
        return "numpy"
    if "Callable" in hint:
        return "callable"
    if "Optional" in hint or "Union" in hint or "|" in hint:
        return "union"
    if re.search(r"\b[A-Z]", _TYPING_NAMES.sub("", hint)):
        return "user-class"
    return "bare-container"


def _error_line(err: str) -> str:
    lines = [line.strip() for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    return (errors[-1] if errors else (lines[-1] if lines else ""))[:600]


def _parse_json(out: str) -> dict[str, Any] | None:
    start = out.find("{")
    if start < 0:
        return None
    try:
        return json.loads(out[start:])
    except json.JSONDecodeError:
        return None


def _classify(rc: int | None, report: dict[str, Any] | None, err: str) -> tuple[Outcome, str]:
    """The outcome and the one-line reason (empty for a searched run)."""
    traceback = "Traceback (most recent call last)" in err
    if rc is None:
        return "hang", "killed at the wall-clock limit"
    if rc == 1 and not traceback and "error:" in err:
        return "refused", _error_line(err)
    if rc != 0 or report is None:
        return "crash", _error_line(err) or f"exit status {rc}"
    targets = report.get("targets", [])
    if targets and all(t.get("status") == "excluded" for t in targets):
        return "refused", "; ".join(f"{t['name']}: {t['message']}" for t in targets)[:600]
    return "searched", ""


def _matches(item: BenchItem, changed: str | None) -> str:
    """For a trap: whether the offered target function is its wrong or its right rewrite's (else ``other``).

    polca splices a model's function into the original file, so functions are compared, not files.
    """
    if not isinstance(item, Trap) or changed is None:
        return "other"
    offered = _function_dump(changed, item.function)
    for label, text in (("wrong", item.wrong_source), ("right", item.right_source)):
        if offered is not None and offered == _function_dump(text, item.function):
            return label
    return "other"


def _function_dump(source: str, name: str) -> str | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return ast.dump(node)
    return None


def _file_speedup(targets: list[dict[str, Any]]) -> float | None:
    speedups = [t["speedup"] for t in targets if t.get("status") == "improved" and t.get("speedup")]
    if not speedups:
        return None
    product = 1.0
    for s in speedups:
        product *= s
    return product


def _record(item: BenchItem, settings: RunSettings, rc: int | None, out: str, err: str, wall_s: float,
            changed: str | None, command: str) -> Record:
    report = _parse_json(out) if rc == 0 else None
    outcome, reason = _classify(rc, report, err)
    targets = [{k: t.get(k) for k in ("name", "status", "message", "speedup", "ci_low", "ci_high", "origins",
                                      "coverage_lines", "coverage_branches", "mutation_score", "verification",
                                      "inputs_verified", "input_sources", "evaluations")}
               for t in (report or {}).get("targets", [])]
    improved = bool(report and report.get("improved")) and changed is not None
    verdict = judge(item, item.path.read_text(encoding="utf-8"), changed,
                    timeout_s=settings.judge_timeout_s) if improved else None
    return Record(
        name=item.name, kinds=list(item.kinds), function=item.function, outcome=outcome,
        reason_class=reason_class(reason) if outcome == "refused" else "", reason=reason, exit_code=rc,
        wall_s=wall_s, improved=improved, speedup=_file_speedup(targets) if improved else None, targets=targets,
        judge=verdict.status if verdict else None, judge_feedback=(verdict.feedback if verdict else "")[:800],
        traceback_in_stderr="Traceback (most recent call last)" in err, stderr_tail=err[-1500:], command=command,
        model_served=[], offered_matches=_matches(item, changed) if improved else "",
        diff=str((report or {}).get("diff", ""))[:6000])


# ---------------------------------------------------------------- the set


@contextmanager
def scripted_model(model: ScriptedTrapModel) -> Iterator[str]:
    """A scripted OpenAI-compatible server on 127.0.0.1 answering with ``model``; yields its base URL."""
    try:
        from polca.testing import ScriptedServer
    except ImportError:
        from polca.scripted_server import ScriptedServer
    with ScriptedServer(model) as server:
        yield server.api_base


def run_set(items: Sequence[BenchItem], settings: RunSettings, *, jobs: int = 1,
            model: ScriptedTrapModel | None = None,
            on_done: Callable[[Record], None] | None = None) -> list[Record]:
    """Run every item (``jobs`` at a time); records come back in the items' order.

    With ``model`` (the scripted server's responder) each record notes what it served.
    """
    records: dict[str, Record] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_one, item, settings): item for item in items}
        for future in as_completed(futures):
            record = future.result()
            if model is not None:
                record = replace(record, model_served=list(model.served.get(record.name, [])))
            records[record.name] = record
            if on_done is not None:
                on_done(record)
    return [records[item.name] for item in items]


def write_results(set_name: SetName, settings: RunSettings, records: list[Record], command: str,
                  wall_s: float, out_dir: Path = RESULTS_DIR, *, partial: bool = False) -> Path:
    """Write ``<set>-<mode>.json`` (raw) and ``.md`` (table); returns the JSON path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summarize(records)
    raw = {"set": set_name, "mode": settings.mode, "command": command, "partial": partial,
           "settings": {k: v for k, v in asdict(settings).items() if k != "api_base"},
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                       "loadavg_at_end": list(os.getloadavg())},
           "wall_s_total": wall_s, "summary": summary, "peer_summary": peer_summary(records),
           "strength_summary": strength_summary(records),
           "targets": [asdict(r) for r in records]}
    path = out_dir / f"{set_name}-{settings.mode}.json"
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown = results_markdown(set_name, settings.mode, records, summary, command, wall_s, settings.budget_evals,
                                settings.timeout_s)
    (out_dir / f"{set_name}-{settings.mode}.md").write_text(markdown, encoding="utf-8")
    return path


def rebuild_markdown(json_path: Path) -> Path:
    """Rewrite the markdown table beside ``json_path`` from its raw records; returns its path."""
    raw = json.loads(json_path.read_text(encoding="utf-8"))
    records = [Record(**r) for r in raw["targets"]]
    settings = raw["settings"]
    markdown = results_markdown(raw["set"], raw["mode"], records, summarize(records), raw["command"],
                                raw["wall_s_total"], settings["budget_evals"], settings["timeout_s"])
    path = json_path.with_suffix(".md")
    path.write_text(markdown, encoding="utf-8")
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", dest="set_name", choices=["heldout", "traps"], default="heldout")
    parser.add_argument("--mode", choices=["offline", "scripted"], default="offline")
    parser.add_argument("--only", action="append", default=None, metavar="NAME",
                        help="Run only this target (repeatable).")
    parser.add_argument("--budget-evals", type=int, default=RunSettings.budget_evals)
    parser.add_argument("--timeout-s", type=float, default=RunSettings.timeout_s,
                        help="Wall-clock limit of one polca run; past it the run is killed and counts as hung.")
    parser.add_argument("--judge-timeout-s", type=float, default=RunSettings.judge_timeout_s)
    parser.add_argument("--peer", choices=["ruff"], default=None,
                        help="Also run ruff's performance fixes on each file; time both changes alike.")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--rebuild", action="store_true",
                        help="Run nothing: rewrite the .md of --set/--mode from its raw .json in --out.")
    return parser


def _selected(set_name: SetName, only: list[str] | None, parser: argparse.ArgumentParser) -> list[BenchItem]:
    items: list[BenchItem] = list(SUITE if set_name == "heldout" else TRAPS)
    unknown = sorted(set(only or ()) - {i.name for i in items})
    if unknown:
        parser.error(f"unknown target(s) {unknown}; the names are: {', '.join(i.name for i in items)}")
    return [i for i in items if not only or i.name in only]


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.rebuild:
        print(rebuild_markdown(args.out / f"{args.set_name}-{args.mode}.json").read_text(encoding="utf-8"))
        return
    items = _selected(args.set_name, args.only, parser)
    command = shlex.join(["python", "-m", "benchmarks.heldout.run", *_without_out(argv)])
    model = ScriptedTrapModel() if args.mode == "scripted" else None
    with _server(model) as api_base:
        settings = RunSettings(mode=args.mode, budget_evals=args.budget_evals, timeout_s=args.timeout_s,
                               judge_timeout_s=args.judge_timeout_s, api_base=api_base,
                               peer=args.peer == "ruff")
        path = _run_and_write(args.set_name, items, settings, command, args.jobs, args.out, model)
    print(path.with_suffix(".md").read_text(encoding="utf-8"))


def _run_and_write(set_name: SetName, items: list[BenchItem], settings: RunSettings, command: str, jobs: int,
                   out_dir: Path, model: ScriptedTrapModel | None) -> Path:
    """Run the items, printing a line per finished target and rewriting the results after each."""
    started, done = time.monotonic(), []

    def on_done(record: Record) -> None:
        done.append(record)
        speed = f"{record.speedup:.2f}x" if record.speedup else "-"
        print(f"[{len(done):2d}/{len(items)}] {record.name:22s} {record.outcome:8s} {record.reason_class:22s} "
              f"offered={record.improved!s:5s} speedup={speed:8s} judge={record.judge or '-':8s} "
              f"{record.wall_s:6.1f}s", flush=True)
        write_results(set_name, settings, _ordered(items, done), command, time.monotonic() - started, out_dir,
                      partial=True)

    records = run_set(items, settings, jobs=jobs, model=model, on_done=on_done)
    return write_results(set_name, settings, records, command, time.monotonic() - started, out_dir)


def _without_out(argv: list[str] | None) -> list[str]:
    """The arguments less ``--out DIR`` (where results went, not what was run)."""
    args = list(argv if argv is not None else sys.argv[1:])
    kept, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--out":
            skip = True
        elif not arg.startswith("--out="):
            kept.append(arg)
    return kept


def _ordered(items: Sequence[BenchItem], done: list[Record]) -> list[Record]:
    by_name = {r.name: r for r in done}
    return [by_name[i.name] for i in items if i.name in by_name]


@contextmanager
def _server(model: ScriptedTrapModel | None) -> Iterator[str | None]:
    if model is None:
        yield None
        return
    with scripted_model(model) as api_base:
        yield api_base


if __name__ == "__main__":
    main()
