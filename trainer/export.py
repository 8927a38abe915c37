"""Export what the optimizer found as a training set: one JSONL row per problem.

What the export reads of a run is the run contract of :mod:`polca.runs`: the run's kind
(``"program"`` or ``"kernel"``; older ``polca optimize`` runs of kind ``"polca"`` count as
program runs) and its :class:`~polca.runs.ProblemSpec` (what was optimized, the original
code, and the ``check`` a reward re-verifies candidates with). ``polca optimize`` and
``polca kernelbench run`` write the spec into the run's state with the final verdict; runs
written by hand may keep it in ``config["problem"]``. A run without a spec is skipped with a
log line, except an older ``polca optimize`` run, which counts as a program problem without a
check (its seed's code is the original): it feeds SFT only, since RL needs a ``check``.
Candidates carry ``payload["code"]``; the seed is the candidate with ``origin == "seed"``;
evaluations carry ``score`` (verified speedup; 0 when any check failed) and ``status``.

A candidate is a **winner** when all its evaluations have status ``"ok"`` and its mean
score is at least ``min_score`` (default 1.1, the least speedup that counts). Candidates
are deduplicated per problem by content hash (the best mean score is kept, evaluation
counts add up). The split is by problem id, through a hash, so a problem stays on the same
side across exports and test problems never leak into training.

Rows hold a program problem's inputs as safe data (``check["inputs"]``,
:mod:`polca.sandbox.codec`), which loading cannot turn into code. Pickled inputs in a stored
spec (``check["pickled_inputs"]``, written by older runs or for values only a pickle can
carry) are converted when they hold plain data, read by an unpickler that calls no code;
the others are written only with ``allow_pickle=True`` (each problem logged) and otherwise
dropped, counted in the row's ``dropped_inputs``. :func:`loadable_rows` applies the same rule
when a data file is loaded for training.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from polca.runs import TRAINABLE_KINDS, TrainableKind, kind_of, problem_of
from polca.sandbox.codec import CodecError, UnsafeValue
from polca.sandbox.target import input_from_safe, safe_input
from polca.store import CandidateRecord, EvaluationRecord, RunRecord, Store

log = logging.getLogger(__name__)

Domain = TrainableKind
DOMAINS: tuple[str, ...] = TRAINABLE_KINDS
MIN_WINNER_SCORE = 1.1

PROMPT_TEMPLATE = (
    "{task}\n\nObjective: {objective}. Keep the behaviour identical.\n\n"
    "Original code:\n```python\n{code}\n```\n\nAnswer with the improved code in one "
    "```python block."
)


@dataclass(frozen=True)
class ScoredCode:
    """One distinct candidate of a problem: its code, mean score and how it was checked."""

    code: str
    content_hash: str
    mean_score: float
    evaluations: int
    all_ok: bool
    origin: str
    run_id: str
    candidate_id: str


@dataclass(frozen=True)
class ProblemRow:
    """One exported problem: the prompt, the winners (SFT) and every scored candidate."""

    problem_id: str
    domain: str
    split: Literal["train", "test"]
    prompt: str
    task: str
    objective: str
    code: str
    check: dict[str, Any]
    winners: list[ScoredCode] = field(default_factory=list)
    candidates: list[ScoredCode] = field(default_factory=list)
    dropped_inputs: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> ProblemRow:
        data = json.loads(line)
        data["winners"] = [ScoredCode(**w) for w in data["winners"]]
        data["candidates"] = [ScoredCode(**c) for c in data["candidates"]]
        return cls(**data)


def build_prompt(task: str, code: str, objective: str = "runtime") -> str:
    return PROMPT_TEMPLATE.format(task=task.strip(), objective=objective, code=code.rstrip())


def split_of(problem_id: str, test_fraction: float) -> Literal["train", "test"]:
    """``"test"`` for a stable ``test_fraction`` share of problem ids, by hash."""
    digest = hashlib.sha256(problem_id.encode("utf-8")).digest()
    return "test" if int.from_bytes(digest[:8], "big") / 2**64 < test_fraction else "train"


def export_rows(
    store: Store,
    domain: Domain,
    *,
    test_fraction: float = 0.2,
    min_score: float = MIN_WINNER_SCORE,
    run_ids: Iterable[str] | None = None,
    allow_pickle: bool = False,
) -> list[ProblemRow]:
    """Every problem of ``domain`` in the store, merged over its runs, sorted by id.

    Inputs only a pickle can carry are kept with ``allow_pickle=True`` (logged as a
    warning), dropped otherwise (counted in each row's ``dropped_inputs``)."""
    _check_options(domain, test_fraction)
    runs = [store.get_run(r) for r in run_ids] if run_ids is not None else _all_runs(store)
    merged: dict[str, tuple[dict[str, Any], dict[str, ScoredCode]]] = {}
    for run in runs:
        problem = _problem_of(run, domain)
        if problem is None:
            continue
        spec, scored = merged.setdefault(problem["id"], (problem, {}))
        for item in _scored_candidates(store, run):
            scored[item.content_hash] = _merge(scored.get(item.content_hash), item)
        if not spec.get("code"):
            spec["code"] = _seed_code(store, run)
    return [
        _row(pid, domain, spec, list(scored.values()), test_fraction, min_score, allow_pickle)
        for pid, (spec, scored) in sorted(merged.items())
    ]


def safe_check(problem_id: str, check: dict[str, Any], *, allow_pickle: bool) -> tuple[dict[str, Any], int]:
    """``check`` with its pickled inputs turned into safe ones where they hold plain data;
    the rest kept (``allow_pickle``, with a warning) or dropped. Returns the check and the
    number dropped."""
    if "pickled_inputs" not in check:
        return check, 0
    script = check.get("qualname") is None
    inputs, pickled = list(check.get("inputs", [])), []
    for payload in check["pickled_inputs"]:
        try:
            inputs.append(safe_input(base64.b64decode(payload), script=script))
        except UnsafeValue:
            pickled.append(payload)
        except ValueError:  # not base64: nothing anyone could load
            log.warning("problem %s: an input is not base64; dropped", problem_id)
    safe = {key: value for key, value in check.items() if key != "pickled_inputs"}
    safe["inputs"] = inputs
    if pickled and allow_pickle:
        log.warning("problem %s keeps %d pickled inputs (--allow-pickle): loading them runs code "
                    "inside the sandbox; share the file only with people who trust its source",
                    problem_id, len(pickled))
        safe["pickled_inputs"] = pickled
        return safe, 0
    if pickled:
        log.warning("problem %s: dropped %d inputs only a pickle can carry (pass --allow-pickle to keep them)",
                    problem_id, len(pickled))
    return safe, len(pickled)


def loadable_rows(rows: Iterable[ProblemRow], *, allow_pickle: bool) -> tuple[list[ProblemRow], int]:
    """Rows ready to train on and the number of pickled inputs dropped from them.

    Every safe input must decode (a ValueError names the problem and the bad part);
    pickled inputs stay only with ``allow_pickle`` (each problem logged as a warning)."""
    kept, dropped = [], 0
    for row in rows:
        _check_safe_inputs(row)
        if "pickled_inputs" not in row.check:
            kept.append(row)
            continue
        count = len(row.check["pickled_inputs"])
        if allow_pickle:
            log.warning("problem %s: %d pickled inputs will be unpickled in the sandbox (--allow-pickle)",
                        row.problem_id, count)
            kept.append(row)
            continue
        log.warning("problem %s: dropped %d pickled inputs (pass --allow-pickle if you trust the file)",
                    row.problem_id, count)
        check = {key: value for key, value in row.check.items() if key != "pickled_inputs"}
        kept.append(replace(row, check=check, dropped_inputs=row.dropped_inputs + count))
        dropped += count
    return kept, dropped


def _check_safe_inputs(row: ProblemRow) -> None:
    script = row.check.get("qualname") is None
    for index, item in enumerate(row.check.get("inputs", [])):
        try:
            input_from_safe(item, script=script, path=f"inputs[{index}]")
        except CodecError as exc:
            raise ValueError(f"problem {row.problem_id}: {exc}") from None


def write_jsonl(rows: Iterable[ProblemRow], path: str | Path) -> int:
    """Write one JSON object per line; returns the number of rows."""
    count = 0
    with Path(path).open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(row.to_json() + "\n")
            count += 1
    return count


def read_jsonl(path: str | Path) -> list[ProblemRow]:
    """Rows written by :func:`write_jsonl`; a bad line raises ValueError naming it."""
    rows = []
    for number, line in enumerate(_lines(path), start=1):
        try:
            rows.append(ProblemRow.from_json(line))
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(
                f"{path}:{number} is not a row written by `polca train export` ({exc}); "
                "re-export the data with `polca train export`."
            ) from exc
    return rows


def _lines(path: str | Path) -> Iterator[str]:
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"data file {file} does not exist; create it with `polca train export`.")
    with file.open(encoding="utf-8") as handle:
        yield from (line for line in handle if line.strip())


def _check_options(domain: str, test_fraction: float) -> None:
    if domain not in DOMAINS:
        raise ValueError(f"domain {domain!r} is unknown; choose one of {', '.join(DOMAINS)}.")
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}; 0.2 is typical.")


def _all_runs(store: Store) -> list[RunRecord]:
    return store.list_runs(limit=1_000_000)


def _problem_of(run: RunRecord, domain: str) -> dict[str, Any] | None:
    """The run's problem as a mutable dict, or ``None`` for a run of another domain or one
    without a problem spec (logged)."""
    if kind_of(run) != domain:
        return None
    problem = problem_of(run)
    if problem is None:
        log.info("run %s has no problem spec (state or config 'problem' with an 'id'); skipped", run.id)
        return None
    return problem.to_dict()


def _scored_candidates(store: Store, run: RunRecord) -> list[ScoredCode]:
    by_candidate: dict[str, list[EvaluationRecord]] = {}
    for evaluation in store.evaluations(run.id):
        by_candidate.setdefault(evaluation.candidate_id, []).append(evaluation)
    scored = []
    for candidate in store.candidates(run.id):
        evaluations = by_candidate.get(candidate.id)
        if evaluations and "code" in candidate.payload:
            scored.append(_scored(candidate, evaluations))
    return scored


def _scored(candidate: CandidateRecord, evaluations: list[EvaluationRecord]) -> ScoredCode:
    return ScoredCode(
        code=candidate.payload["code"],
        content_hash=candidate.content_hash,
        mean_score=sum(e.score for e in evaluations) / len(evaluations),
        evaluations=len(evaluations),
        all_ok=all(e.status == "ok" for e in evaluations),
        origin=candidate.origin,
        run_id=candidate.run_id,
        candidate_id=candidate.id,
    )


def _merge(old: ScoredCode | None, new: ScoredCode) -> ScoredCode:
    if old is None:
        return new
    best = new if new.mean_score > old.mean_score else old
    return ScoredCode(**{
        **asdict(best),
        "evaluations": old.evaluations + new.evaluations,
        "all_ok": old.all_ok and new.all_ok,
    })


def _seed_code(store: Store, run: RunRecord) -> str:
    seeds = [c for c in store.candidates(run.id) if c.origin == "seed" and "code" in c.payload]
    return seeds[0].payload["code"] if seeds else ""


def _row(pid, domain, spec, scored, test_fraction, min_score, allow_pickle) -> ProblemRow:
    scored.sort(key=lambda s: (-s.mean_score, s.content_hash))
    winners = [s for s in scored if s.all_ok and s.mean_score >= min_score and s.origin != "seed"]
    check, dropped = safe_check(pid, spec["check"], allow_pickle=allow_pickle)
    return ProblemRow(
        problem_id=pid,
        domain=domain,
        split=split_of(pid, test_fraction),
        prompt=build_prompt(spec["task"], spec["code"], spec["objective"]),
        task=spec["task"],
        objective=spec["objective"],
        code=spec["code"],
        check=check,
        winners=winners,
        candidates=scored,
        dropped_inputs=dropped,
    )
