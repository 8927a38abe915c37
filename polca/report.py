"""A run drawn as one self-contained HTML page, and as a short text summary.

``load_report(store, run_id)`` reads what the store holds about a run (candidates with
their lineage, every evaluation, the LLM usage) and, for a ``polca optimize`` run, the
runs of the file's other targets. The rest are pure functions of that data:

- ``score_curve``: each evaluation's score, and the best candidate's mean score so far;
- ``lineage_positions``: a layered layout of the candidate tree (networkx);
- ``run_outcome``: the verdict, the speedup with its 95% interval, the inputs verified and
  the diff of the best candidate against the original (``polca runs show`` prints it too);
- ``render_html``: the verdict and the diff first, then per-target speedups on a log axis
  with interval whiskers, the score curve, the lineage tree and the tables, drawn as
  inline SVG (:mod:`polca.report_svg`); no script, no stylesheet or font from the
  network, so the page opens anywhere, offline;
- ``text_summary``: the few lines ``polca report RUN`` prints without ``--html``.

Example::

    with Store.open("sqlite:///.polca/polca.db", create=False) as store:
        data = load_report(store, "3f2a")
    Path("run.html").write_text(render_html(data), encoding="utf-8")
"""

from __future__ import annotations

import difflib
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import networkx as nx

from polca.report_svg import MIN_SPEEDUP, SpeedupRow, score_chart, speedup_chart, svg
from polca.runs import SCRIPT_TARGET, final_check_of, kind_of, parse_program_run_name, problem_of
from polca.store import CandidateRecord, CandidateScore, EvaluationRecord, RunRecord, Store

SIBLING_SCAN_LIMIT = 500


@dataclass(frozen=True)
class TargetSpeedup:
    """One target of an optimized file: its run and how much faster its best candidate is.

    When the run holds the final check of ``polca optimize`` (``final`` is True),
    ``speedup`` is the re-timed speedup of the best candidate over the original, with its
    95% interval (``ci_low``..``ci_high``), the timing's ``verdict``, the target's
    ``status`` (improved, no_gain) and the number of inputs it was verified on; None when
    nothing was re-timed (no candidate beat the original, or it failed the final check).
    Otherwise (an older run, an interrupted one, an engine run) ``speedup`` is the best
    candidate's mean search score: for ``polca optimize``, the verified speedup measured
    during the search (0 when a check failed).
    """

    name: str
    run_id: str
    best_candidate_id: str | None
    speedup: float | None
    evaluations: int
    final: bool = False
    status: str = ""
    verdict: str = ""
    ci_low: float | None = None
    ci_high: float | None = None
    inputs_verified: int | None = None
    message: str = ""


Verdict = Literal["improved", "no_gain", "excluded", "correct", "failed", "unchecked"]
"""``polca optimize``'s target statuses, a kernel's final verdict, or ``unchecked``: the run
holds no final check (another domain, an interrupted run, an older version)."""


@dataclass(frozen=True)
class RunOutcome:
    """What a user asks first about a run: did it work, by how much, on what, what changed.

    ``speedup`` with its 95% interval (``ci_low``..``ci_high``) is the final re-timing of a
    ``polca optimize`` target, or a kernel's speedup over PyTorch eager (no interval); None
    when nothing was timed. ``original``/``best`` map each text parameter of the seed and of
    the best candidate; for a function target, ``best["code"]`` is the whole file with the
    function put in, as ``--apply`` would write it. ``diff`` is their unified diff ("" when
    the best candidate is the original).
    """

    kind: str
    verdict: Verdict
    headline: str
    message: str = ""
    speedup: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    inputs_verified: int | None = None
    target: str | None = None
    path: str | None = None
    best_candidate_id: str | None = None
    original: Mapping[str, str] | None = None
    best: Mapping[str, str] | None = None
    diff: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "verdict": self.verdict, "headline": self.headline, "message": self.message,
            "speedup": self.speedup, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "inputs_verified": self.inputs_verified, "target": self.target, "path": self.path,
            "best_candidate_id": self.best_candidate_id, "original": dict(self.original or {}),
            "best": dict(self.best or {}), "diff": self.diff,
        }


@dataclass(frozen=True)
class ReportData:
    """Everything the page draws, read from the store once."""

    run: RunRecord
    candidates: tuple[CandidateRecord, ...]
    evaluations: tuple[EvaluationRecord, ...]
    scores: tuple[CandidateScore, ...]
    usage: Mapping[str, Any]
    targets: tuple[TargetSpeedup, ...]
    outcome: RunOutcome

    @property
    def best_id(self) -> str | None:
        """The candidate the run named best, else the one with the highest mean score."""
        if self.run.best_candidate_id:
            return self.run.best_candidate_id
        return self.scores[0].candidate_id if self.scores else None


@dataclass(frozen=True)
class CurvePoint:
    """After ``evaluations`` evaluations: the last one's score and the best mean so far."""

    evaluations: int
    score: float
    best_mean: float


# ---------------------------------------------------------------------------- reading


def load_report(store: Store, run_id: str) -> ReportData:
    """Read run ``run_id`` (an id or unique prefix); ``LookupError`` names an unknown run."""
    run = store.get_run(run_id)
    scores = store.candidate_scores(run.id)
    candidates = store.candidates(run.id)
    return ReportData(
        run=run,
        candidates=tuple(candidates),
        evaluations=tuple(store.evaluations(run.id)),
        scores=tuple(scores),
        usage=store.llm_usage(run.id),
        targets=tuple(_target_speedups(store, run)),
        outcome=run_outcome(run, candidates, scores),
    )


def target_of(run: RunRecord) -> tuple[str, str] | None:
    """``(target, file path)`` of a ``polca optimize`` run (named ``optimize:TARGET:PATH``)."""
    return parse_program_run_name(run.name)


def _target_speedups(store: Store, run: RunRecord) -> list[TargetSpeedup]:
    """The run's own target and, for an optimized file, the newest run of each other target."""
    named = target_of(run)
    if named is None:
        return [_target_speedup(store, run, run.name or run.id)]
    newest: dict[str, RunRecord] = {}
    for other in store.list_runs(SIBLING_SCAN_LIMIT):
        found = target_of(other)
        if found and found[1] == named[1] and other.created_at <= run.updated_at:
            newest.setdefault(found[0], other)
    newest[named[0]] = run
    return [_target_speedup(store, r, name) for name, r in sorted(newest.items())]


def _target_speedup(store: Store, run: RunRecord, name: str) -> TargetSpeedup:
    ranked = store.candidate_scores(run.id)  # best mean first
    scores = {s.candidate_id: s for s in ranked}
    best = run.best_candidate_id if run.best_candidate_id in scores else None
    if best is None and ranked:
        best = ranked[0].candidate_id
    score = scores.get(best) if best else None
    searched = TargetSpeedup(
        name=name,
        run_id=run.id,
        best_candidate_id=best,
        speedup=score.mean_score if score else None,
        evaluations=sum(s.evaluations for s in scores.values()),
    )
    final = final_check_of(run)
    return _with_final_check(searched, final) if final is not None else searched


def _with_final_check(searched: TargetSpeedup, final: Mapping[str, Any]) -> TargetSpeedup:
    """``searched`` with the final check's re-timed speedup and verdict in place of the search score."""
    def number(key: str) -> float | None:
        value = final.get(key)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    verified = final.get("inputs_verified")
    status = final.get("status") or ("" if "correct" not in final else "correct" if final["correct"] else "failed")
    return replace(
        searched, speedup=number("speedup"), final=True, status=str(status),
        verdict=str(final.get("verdict") or ""), ci_low=number("ci_low"), ci_high=number("ci_high"),
        inputs_verified=verified if isinstance(verified, int) else None,
        message=str(final.get("message") or final.get("reason") or ""))


# ---------------------------------------------------------------------------- the outcome


def run_outcome(run: RunRecord, candidates: Sequence[CandidateRecord],
                scores: Sequence[CandidateScore]) -> RunOutcome:
    """The run's verdict, speedup and diff, from its final check and its candidates."""
    kind = kind_of(run)
    best_id = run.best_candidate_id or (scores[0].candidate_id if scores else None)
    by_id = {c.id: c for c in candidates}
    seed = next((c for c in candidates if c.origin == "seed" or not c.parents), None)
    best = by_id.get(best_id) if best_id else None
    named = parse_program_run_name(run.name) if kind == "program" else None
    target, path = named if named else (None, None)
    original = dict(seed.payload) if seed else {}
    spec = problem_of(run)
    if spec is not None and spec.code and "code" in original:
        original["code"] = spec.code  # the file as it was, even when the seed was not stored
    shown = _as_applied(dict(best.payload), original, target) if best else {}
    final = final_check_of(run)
    base = RunOutcome(kind=kind, verdict="unchecked", headline="", target=target, path=path,
                      best_candidate_id=best_id, original=original, best=shown,
                      diff=_params_diff(original, shown, path))
    if final is not None and kind == "kernel":
        return _kernel_outcome(base, final)
    if final is not None:
        return _program_outcome(base, final)
    mean = next((s.mean_score for s in scores if s.candidate_id == best_id), None)
    return replace(base, headline=(
        f"unchecked: no final check stored, best mean score {_fmt(mean)} over "
        f"{sum(s.evaluations for s in scores)} evaluations (status {run.status})"))


def _as_applied(best: dict[str, str], original: Mapping[str, str], target: str | None) -> dict[str, str]:
    """``best`` with a function target's code put into the original file, as ``--apply`` writes it."""
    if target is None or target == SCRIPT_TARGET or "code" not in best or "code" not in original:
        return best
    from polca.optimizer.domains.program.targets import merge_candidate

    try:
        return {**best, "code": merge_candidate(original["code"], best["code"], target)}
    except ValueError:
        return best  # the candidate as stored: it never passed a check, and the verdict says so


def _params_diff(original: Mapping[str, str], best: Mapping[str, str], path: str | None) -> str:
    """A unified diff per text parameter that differs (``code`` named after the file)."""
    parts = []
    for key in sorted(set(original) | set(best)):
        before, after = original.get(key, ""), best.get(key, "")
        if before == after:
            continue
        name = path if key == "code" and path else key
        parts.append("".join(difflib.unified_diff(
            _lines(before), _lines(after), f"{name} (original)", f"{name} (best candidate)")))
    return "".join(parts)


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _number(final: Mapping[str, Any], key: str) -> float | None:
    value = final.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _program_outcome(base: RunOutcome, final: Mapping[str, Any]) -> RunOutcome:
    status = str(final.get("status") or "")
    verdict: Verdict = status if status in ("improved", "no_gain", "excluded") else "unchecked"  # type: ignore[assignment]
    verified = final.get("inputs_verified")
    outcome = replace(base, verdict=verdict, message=str(final.get("message") or ""),
                      speedup=_number(final, "speedup"), ci_low=_number(final, "ci_low"),
                      ci_high=_number(final, "ci_high"),
                      inputs_verified=verified if isinstance(verified, int) else None)
    timed = speedup_words(outcome.speedup, outcome.ci_low, outcome.ci_high)
    inputs = outcome.inputs_verified or 0
    on = f"verified on {inputs} input{'' if inputs == 1 else 's'}"
    if verdict == "improved":
        headline = f"improved: {timed}, {on}"
    elif verdict == "no_gain":
        headline = f"no gain: {outcome.message or 'no verified speedup'}" + (f" ({on})" if inputs else "")
    else:
        headline = f"{verdict.replace('_', ' ')}: {outcome.message or '-'}"
    return replace(outcome, headline=headline)


def _kernel_outcome(base: RunOutcome, final: Mapping[str, Any]) -> RunOutcome:
    speedup = _number(final, "speedup")
    flags = [str(f) for f in final.get("flags") or []]
    if final.get("correct"):
        figure = f"{speedup:.2f}x vs PyTorch eager" if speedup is not None else "not timed"
        flagged = f"; flagged: {', '.join(flags)}" if flags else ""
        return replace(base, verdict="correct", speedup=speedup, message="; ".join(flags),
                       headline=f"correct: {figure}{flagged}")
    stage = str(final.get("failure") or "failed")
    reason = str(final.get("reason") or "")
    return replace(base, verdict="failed", message=reason, headline=f"failed ({stage}): {reason or '-'}")


def speedup_words(speedup: float | None, low: float | None, high: float | None) -> str:
    """``3.21x faster (95% CI 3.02x-3.40x)``, rounded for display only."""
    if speedup is None:
        return "not timed"
    interval = f" (95% CI {low:.2f}x-{high:.2f}x)" if low is not None and high is not None else ""
    return f"{speedup:.2f}x faster{interval}" if speedup >= 1 else f"{speedup:.2f}x (slower){interval}"


# ---------------------------------------------------------------------------- pure views


def score_curve(evaluations: Sequence[EvaluationRecord]) -> list[CurvePoint]:
    """Each evaluation in order, with the highest candidate mean score reached so far."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    points = []
    best = -math.inf
    for index, record in enumerate(evaluations, start=1):
        sums[record.candidate_id] = sums.get(record.candidate_id, 0.0) + record.score
        counts[record.candidate_id] = counts.get(record.candidate_id, 0) + 1
        best = max(best, sums[record.candidate_id] / counts[record.candidate_id])
        points.append(CurvePoint(index, record.score, best))
    return points


def lineage_graph(candidates: Sequence[CandidateRecord]) -> nx.DiGraph:
    """Parent -> child edges; each node carries its ``layer`` (generations from a seed)."""
    graph = nx.DiGraph()
    for candidate in candidates:
        graph.add_node(candidate.id)
    for candidate in candidates:
        for parent in candidate.parents:
            if parent in graph:
                graph.add_edge(parent, candidate.id)
    for node in nx.topological_sort(graph):
        parents = list(graph.predecessors(node))
        graph.nodes[node]["layer"] = 1 + max(graph.nodes[p]["layer"] for p in parents) if parents else 0
    return graph


def lineage_positions(graph: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """Node -> (x, y) in [0, 1]: one row per generation, seeds on top (networkx multipartite)."""
    if graph.number_of_nodes() == 0:
        return {}
    raw = nx.multipartite_layout(graph, subset_key="layer", align="horizontal")
    xs = [float(p[0]) for p in raw.values()]
    deepest = max(graph.nodes[n]["layer"] for n in graph) or 1
    return {node: (_unit(float(p[0]), min(xs), max(xs)), graph.nodes[node]["layer"] / deepest)
            for node, p in raw.items()}


def _unit(value: float, low: float, high: float) -> float:
    return 0.5 if high - low < 1e-12 else (value - low) / (high - low)


def text_summary(data: ReportData) -> str:
    """A few plain lines: the run, its counts, the best candidate and each target's speedup."""
    run, best = data.run, data.best_id
    means = {s.candidate_id: s.mean_score for s in data.scores}
    lines = [
        f"run {run.id} ({run.kind}) {run.name or ''}".rstrip(),
        f"status {run.status}; {len(data.candidates)} candidates, {len(data.evaluations)} evaluations, "
        f"{data.usage.get('calls', 0)} LLM calls (${data.usage.get('cost_usd', 0.0):.4f})",
        f"best candidate {best or '-'} mean score {_fmt(means.get(best) if best else None)}",
    ]
    lines += [_target_line(t) for t in data.targets if len(data.targets) > 1 or t.final]
    return "\n".join(lines)


def _target_line(target: TargetSpeedup) -> str:
    if not target.final:
        return (f"target {target.name}: best mean speedup {_fmt(target.speedup)} over {target.evaluations} "
                f"evaluations (search score; no final check stored) (run {target.run_id})")
    interval = (f" (95% CI {_fmt(target.ci_low)}-{_fmt(target.ci_high)})"
                if target.ci_low is not None and target.ci_high is not None else "")
    verdict = f", {target.verdict}" if target.verdict else ""
    timed = (f"final speedup {_fmt(target.speedup)}x{interval}{verdict}" if target.speedup is not None
             else f"not re-timed: {target.message or '-'}")
    inputs = target.inputs_verified
    verified = "" if inputs is None else f"{inputs} input{'' if inputs == 1 else 's'} verified, "
    return (f"target {target.name}: {target.status or '-'}; {timed}; {verified}{target.evaluations} evaluations "
            f"(run {target.run_id})")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


# ---------------------------------------------------------------------------- HTML


def render_html(data: ReportData) -> str:
    """The whole page, leading with the verdict, its interval and the diff; then the speedup
    of each target (log axis, interval whiskers), the score curve, the lineage and the
    tables. Inline SVG and CSS only: no script, nothing fetched from anywhere."""
    graph = lineage_graph(data.candidates)
    title = f"polca run {data.run.id}"
    sections = [
        f"<h1>{_e(title)}</h1>",
        verdict_html(data.run, data.outcome),
        changes_html(data.outcome),
    ]
    if data.outcome.kind in ("program", "kernel"):
        sections += [
            "<h2>Speedup per target</h2>",
            "<p>Each target's best candidate: its final re-timed speedup over the original, with the "
            "95% interval; for runs without a stored final check, its mean score over the search's "
            "evaluations (the measured speedup; 0 when a check failed). Dashed: 1x, no change; "
            f"dotted: {MIN_SPEEDUP:.2f}x, the least speedup that counts.</p>",
            speedup_chart([_speedup_row(t, current=t.run_id == data.run.id) for t in data.targets]),
        ]
    sections += [
        "<h2>Score against evaluations</h2>",
        "<p>Dots: each evaluation's score; line: the best candidate's mean score so far.</p>",
        score_chart([(p.evaluations, p.score, p.best_mean) for p in score_curve(data.evaluations)]),
        "<h2>Candidate lineage</h2>",
        svg_lineage(graph, lineage_positions(graph), data),
        "<h2>The run</h2>",
        _facts(data),
        "<h2>Candidates</h2>",
        candidates_table(data),
    ]
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}"
    "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}"
    "th{background:#f3f3f3}td.num{text-align:right}tr.best{background:#fff6d5}"
    "svg{border:1px solid #ddd;background:#fff;max-width:100%;height:auto}text{font-size:11px}"
    "code{font-size:12px}"
    ".verdict{border-left:6px solid #999;background:#f6f6f6;padding:.6em 1em;margin:1em 0}"
    ".verdict p{margin:.3em 0}.verdict .headline{font-size:18px}.verdict .message{color:#555;font-size:13px}"
    ".v-improved,.v-correct{border-color:#3c9a3c;background:#eef8ee}"
    ".v-no_gain{border-color:#d4a017;background:#fdf8e6}"
    ".v-excluded,.v-failed{border-color:#c9302c;background:#fbeeee}"
    "pre{font-size:12px;background:#f8f8f8;border:1px solid #ddd;padding:.6em;overflow-x:auto}"
    "pre.diff span{display:block}.add{background:#e6ffed}.del{background:#ffeef0}"
    ".hunk{color:#6f42c1}.file{color:#555;font-weight:bold}"
)

_VERDICT_WORDS = {"improved": "Improved", "no_gain": "No gain", "excluded": "Excluded", "correct": "Correct",
                  "failed": "Failed", "unchecked": "Not checked"}


def verdict_html(run: RunRecord, outcome: RunOutcome) -> str:
    """The verdict in a coloured box: the headline (speedup, 95% interval, inputs verified),
    what was optimized, and the final check's own words."""
    _, _, rest = outcome.headline.partition(": ")
    word = _VERDICT_WORDS.get(outcome.verdict, outcome.verdict)
    what = (f": <code>{_e(outcome.target)}</code> in <code>{_e(outcome.path)}</code>" if outcome.target
            else f": <code>{_e(run.name)}</code>" if run.name else "")
    parts = [f'<p class="headline"><strong>{_e(word)}</strong>: {_e(rest or outcome.headline)}</p>',
             f'<p class="what">{_e(outcome.kind)} run {_e(run.id)}{what} ({_e(run.status)})</p>']
    if outcome.message and outcome.message not in outcome.headline:
        parts.append(f'<p class="message">{_e(outcome.message)}</p>')
    return f'<section class="verdict v-{_e(outcome.verdict)}">{"".join(parts)}</section>'


def changes_html(outcome: RunOutcome) -> str:
    """The diff of the best candidate against the original, then the best candidate's text."""
    if not outcome.best_candidate_id:
        return "<p>No candidate yet.</p>"
    head = f"<h2>What changed: the best candidate ({_e(outcome.best_candidate_id)}) against the original</h2>"
    if not outcome.diff:
        return head + "<p>Nothing: the best candidate is the original.</p>"
    texts = "".join(f"<p><code>{_e(key)}</code></p><pre class=\"code\">{_e(value)}</pre>"
                    for key, value in sorted((outcome.best or {}).items()))
    return (head + diff_html(outcome.diff)
            + f"<details><summary>The best candidate in full</summary>{texts}</details>")


def diff_html(diff: str) -> str:
    """A unified diff as a ``<pre>``, one span per line, classed by what the line is."""
    lines = []
    for line in diff.splitlines():
        css = ("file" if line.startswith(("+++", "---")) else "hunk" if line.startswith("@@")
               else "add" if line.startswith("+") else "del" if line.startswith("-") else "same")
        lines.append(f'<span class="{css}">{_e(line) or " "}</span>')
    return f'<pre class="diff">{"".join(lines)}</pre>'


def _speedup_row(target: TargetSpeedup, *, current: bool) -> SpeedupRow:
    """One target as the speedup chart draws it."""
    if not target.final:
        note = (f"{target.speedup:.2f}x search mean (no final check)" if target.speedup is not None
                else "no evaluations")
        return SpeedupRow(target.name, target.speedup, gain=(target.speedup or 0.0) >= MIN_SPEEDUP, note=note,
                          current=current)
    status = target.status.replace("_", " ") or "checked"
    if target.speedup is None:
        return SpeedupRow(target.name, None, note=f"{status}: not re-timed", current=current)
    interval = (f" ({target.ci_low:.2f}-{target.ci_high:.2f})"
                if target.ci_low is not None and target.ci_high is not None else "")
    return SpeedupRow(target.name, target.speedup, target.ci_low, target.ci_high,
                      gain=target.status in ("improved", "correct"), note=f"{target.speedup:.2f}x{interval} {status}",
                      current=current)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _facts(data: ReportData) -> str:
    run = data.run
    rows = [
        ("kind", run.kind),
        ("name", run.name or "-"),
        ("status", run.status),
        ("created (UTC)", run.created_at.strftime("%Y-%m-%d %H:%M")),
        ("candidates", len(data.candidates)),
        ("evaluations", len(data.evaluations)),
        ("best candidate", data.best_id or "-"),
        ("LLM calls", f"{data.usage.get('calls', 0)} (${data.usage.get('cost_usd', 0.0):.4f})"),
    ]
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="facts">{cells}</table>'


def svg_lineage(graph: nx.DiGraph, positions: Mapping[str, tuple[float, float]], data: ReportData,
                width: int = 760) -> str:
    """The candidate tree: an edge per parent -> child, nodes coloured by mean score."""
    if not positions:
        return "<p>No candidates yet.</p>"
    layers = 1 + max((graph.nodes[n]["layer"] for n in graph), default=0)
    height = max(120, 70 * layers)
    pad = 30
    xy = {n: (pad + x * (width - 2 * pad), pad + y * (height - 2 * pad)) for n, (x, y) in positions.items()}
    means = {s.candidate_id: s.mean_score for s in data.scores}
    origins = {c.id: c.origin for c in data.candidates}
    top = max(means.values(), default=0.0) or 1.0
    body = [
        f'<line class="edge" data-parent="{_e(a)}" data-child="{_e(b)}" x1="{xy[a][0]:.1f}" '
        f'y1="{xy[a][1]:.1f}" x2="{xy[b][0]:.1f}" y2="{xy[b][1]:.1f}" stroke="#999"/>'
        for a, b in graph.edges
    ]
    for node, (x, y) in xy.items():
        mean = means.get(node)
        ring = ' stroke="#d9534f" stroke-width="3"' if node == data.best_id else ' stroke="#333"'
        body.append(
            f'<circle class="node" data-id="{_e(node)}" cx="{x:.1f}" cy="{y:.1f}" r="9" '
            f'fill="{_shade(mean, top)}"{ring}><title>{_e(node)} ({_e(origins.get(node, ""))}): '
            f"mean score {_fmt(mean)}</title></circle>"
        )
    return svg(width, height, body, "candidate lineage")


def _shade(mean: float | None, top: float) -> str:
    """Grey for unevaluated, red (low) through green (the run's best) otherwise."""
    if mean is None:
        return "#cccccc"
    share = max(0.0, min(1.0, mean / top))
    return f"#{int(220 - 160 * share):02x}{int(80 + 120 * share):02x}60"


def candidates_table(data: ReportData) -> str:
    """One row per candidate: id, iteration, origin, parents, mean score, evaluations, note."""
    scores = {s.candidate_id: s for s in data.scores}
    head = "".join(f"<th>{h}</th>" for h in
                   ("id", "iteration", "origin", "parents", "mean score", "evaluations", "note"))
    rows = []
    for c in data.candidates:
        score = scores.get(c.id)
        css = ' class="best"' if c.id == data.best_id else ""
        rows.append(
            f"<tr{css}><td><code>{_e(c.id)}</code></td><td class=\"num\">{c.iteration}</td>"
            f"<td>{_e(c.origin)}</td><td><code>{_e(', '.join(c.parents) or '-')}</code></td>"
            f'<td class="num">{_fmt(score.mean_score if score else None)}</td>'
            f'<td class="num">{score.evaluations if score else 0}</td><td>{_e(c.note[:120])}</td></tr>'
        )
    return f'<table class="candidates"><tr>{head}</tr>{"".join(rows)}</table>'
