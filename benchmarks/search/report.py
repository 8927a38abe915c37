"""Turn run records into the results JSON, the tables of RESULTS.md and the curves.

A run's curve is the true quality of the candidate it would return after ``b``
evaluations (its trace, a step function; the seed's quality before the first point),
and at the full budget the true quality of what it actually returned. Across seeds we
report medians and the interquartile range (IQR, 25th to 75th percentile).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

POLCA = "polca"
GRID_POINTS = 41
GOAL_SHARE = 0.6
GOAL_AT_LEAST_EQUAL = (0.0, 0.1)  # noise levels where POLCA must at least equal each peer
GOAL_AHEAD = (0.3,)  # and where it must be ahead of each
PEERS = ("greedy", "gepa", "openevolve")
DISCUSSION_MARK = "## Discussion"


def curve(record: Mapping[str, Any], grid: Sequence[int]) -> list[float]:
    """True quality of the run's would-be-returned candidate at each budget in ``grid``."""
    points = sorted(record["trace"], key=lambda p: p[0])
    budget = record["spec"]["budget_evals"]
    values = []
    for b in grid:
        if b >= budget:
            values.append(float(record["returned_true_quality"]))
            continue
        seen = [q for evals, q in points if evals <= b]
        values.append(float(seen[-1]) if seen else float(record["seed_true_quality"]))
    return values


def _key(record: Mapping[str, Any]) -> tuple[str, float, str]:
    spec = record["spec"]
    problem = spec.get("problem", spec)
    return problem["landscape"], float(problem["noise"]), spec["contestant"]


def aggregate(records: Sequence[Mapping[str, Any]], grid: Sequence[int]) -> dict[tuple, dict]:
    """Per (landscape, noise, contestant): finals, curves, medians, IQRs, costs."""
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    for record in records:
        if "error" not in record:
            groups.setdefault(_key(record), []).append(record)
    cells = {}
    for key, runs in groups.items():
        finals = np.array([r["returned_true_quality"] for r in runs])
        curves = np.array([curve(r, grid) for r in runs])
        cells[key] = {
            "seeds": len(runs),
            "final": finals.tolist(),
            "final_median": float(np.median(finals)),
            "final_q25": float(np.percentile(finals, 25)),
            "final_q75": float(np.percentile(finals, 75)),
            "curve_median": np.median(curves, axis=0).tolist(),
            "curve_q25": np.percentile(curves, 25, axis=0).tolist(),
            "curve_q75": np.percentile(curves, 75, axis=0).tolist(),
            "evals_used_median": float(np.median([r["evals_used"] for r in runs])),
            "llm_calls_median": float(np.median([r["llm_calls"] for r in runs])),
            "wall_s_median": float(np.median([r["wall_s"] for r in runs])),
            "wall_s_total": float(sum(r["wall_s"] for r in runs)),
        }
    return cells


def evals_to_reach(median_curve: Sequence[float], grid: Sequence[int], target: float) -> int | None:
    """The first budget in ``grid`` at which ``median_curve`` reaches ``target`` (None: never)."""
    for b, value in zip(grid, median_curve, strict=True):
        if value >= target - 1e-12:
            return int(b)
    return None


def _fmt_share(evals: int | None, budget: int) -> str:
    return "not reached" if evals is None else f"{evals} ({evals / budget:.0%})"


def noise_table(cells: Mapping[tuple, dict], noise: float, landscapes: Sequence[str],
                contestants: Sequence[str], grid: Sequence[int], budget: int) -> str:
    """One Markdown table: rows are contestants, two columns per landscape."""
    head = ["contestant"]
    for land in landscapes:
        head += [f"{land}: median [IQR]", f"{land}: POLCA evals to match"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in contestants:
        row = [name]
        for land in landscapes:
            cell = cells.get((land, noise, name))
            polca = cells.get((land, noise, POLCA))
            if cell is None:
                row += ["n/a", "n/a"]
                continue
            row.append(f"{cell['final_median']:.3f} [{cell['final_q25']:.3f}, {cell['final_q75']:.3f}]")
            if polca is None or name == POLCA:
                row.append("")
            else:
                reach = evals_to_reach(polca["curve_median"], grid, cell["final_median"])
                row.append(_fmt_share(reach, budget))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def goal_verdicts(cells: Mapping[tuple, dict], landscapes: Sequence[str], contestants: Sequence[str],
                  grid: Sequence[int], budget: int) -> list[str]:
    """Did POLCA at least equal every peer at noise 0 and 0.1, beat it at 0.3, and reach
    its final quality with ≤ 60% of the budget?

    Peers are the other systems (``PEERS``); POLCA's own ablations are not peers.
    """
    verdicts = []
    for noise in (*GOAL_AT_LEAST_EQUAL, *GOAL_AHEAD):
        for land in landscapes:
            polca = cells.get((land, noise, POLCA))
            if polca is None:
                continue
            for name in contestants:
                peer = cells.get((land, noise, name))
                if peer is None or name not in PEERS:
                    continue
                gap = polca["final_median"] - peer["final_median"]
                better = gap > 0 if noise in GOAL_AHEAD else gap >= 0
                reach = evals_to_reach(polca["curve_median"], grid, peer["final_median"])
                fast = reach is not None and reach <= GOAL_SHARE * budget
                status = "met" if better and fast else "NOT met"
                verdicts.append(
                    f"- noise {noise:g}, {land}, vs {name}: {status} (POLCA {polca['final_median']:.3f} "
                    f"vs {peer['final_median']:.3f}; matched at {_fmt_share(reach, budget)})"
                )
    return verdicts


def plot_curves(cells: Mapping[tuple, dict], landscape: str, noises: Sequence[float],
                contestants: Sequence[str], grid: Sequence[int], path: Path) -> None:
    """One PNG per landscape: one panel per noise level, median curve and IQR band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(noises), figsize=(5 * len(noises), 4), sharey=True, squeeze=False)
    for ax, noise in zip(axes[0], noises, strict=True):
        for name in contestants:
            cell = cells.get((landscape, noise, name))
            if cell is None:
                continue
            line = ax.plot(grid, cell["curve_median"], label=name, lw=2 if name == POLCA else 1.2)
            ax.fill_between(grid, cell["curve_q25"], cell["curve_q75"], color=line[0].get_color(), alpha=0.15)
        ax.set_title(f"{landscape}, noise {noise:g}")
        ax.set_xlabel("instance evaluations")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("true quality of returned best")
    axes[0][0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(records: Sequence[Mapping[str, Any]], settings: Mapping[str, Any],
                 out_dir: Path, results_md: Path) -> str:
    """Write results.json, the curve PNGs and RESULTS.md; return the goal verdicts."""
    budget = int(settings["budget"])
    grid = [int(round(x)) for x in np.linspace(0, budget, GRID_POINTS)]
    cells = aggregate(records, grid)
    landscapes = [x for x in settings["landscapes"] if any(k[0] == x for k in cells)]
    noises = [float(n) for n in settings["noises"]]
    contestants = list(settings["contestants"])
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "settings": dict(settings),
        "grid": grid,
        "cells": [{"landscape": k[0], "noise": k[1], "contestant": k[2], **v} for k, v in sorted(cells.items())],
        "records": list(records),
    }
    (out_dir / "results.json").write_text(json.dumps(payload, indent=1))
    for land in landscapes:
        plot_curves(cells, land, noises, contestants, grid, out_dir / f"curves_{land}.png")
    verdicts = goal_verdicts(cells, landscapes, contestants, grid, budget)
    tables = [
        f"### Noise {noise:g}\n\n" + noise_table(cells, noise, landscapes, contestants, grid, budget)
        for noise in noises
    ]
    discussion = _kept_discussion(results_md)
    text = render_markdown(settings, records, cells, tables, verdicts, out_dir, results_md)
    results_md.write_text(text + (f"\n{discussion}" if discussion else ""))
    return "\n".join(verdicts)


def _kept_discussion(results_md: Path) -> str:
    """The hand-written section from ``DISCUSSION_MARK`` on, kept across rebuilds."""
    if not results_md.exists():
        return ""
    text = results_md.read_text()
    at = text.find("\n" + DISCUSSION_MARK)
    return text[at + 1 :] if at >= 0 else ""


def _wall_lines(cells: Mapping[tuple, dict], contestants: Sequence[str]) -> list[str]:
    lines = ["| contestant | median wall s / run | median evals used | median model calls |", "|---|---|---|---|"]
    for name in contestants:
        mine = [c for k, c in cells.items() if k[2] == name]
        if not mine:
            continue
        wall = float(np.median([c["wall_s_median"] for c in mine]))
        evals = float(np.median([c["evals_used_median"] for c in mine]))
        calls = float(np.median([c["llm_calls_median"] for c in mine]))
        lines.append(f"| {name} | {wall:.1f} | {evals:.0f} | {calls:.0f} |")
    return lines


def render_markdown(settings: Mapping[str, Any], records: Sequence[Mapping[str, Any]],
                    cells: Mapping[tuple, dict], tables: Sequence[str], verdicts: Sequence[str],
                    out_dir: Path, results_md: Path) -> str:
    """RESULTS.md: setup, command, tables, goal verdicts, costs, curves."""
    failed = [r for r in records if "error" in r]
    rel = out_dir.relative_to(results_md.parent) if out_dir.is_relative_to(results_md.parent) else out_dir
    harness_min = settings.get("harness_wall_s", math.nan) / 60
    parts = [
        RESULTS_HEADER.format(
            command=reproduce_command(settings, out_dir, results_md), raw=f"{rel}/raw", budget=settings["budget"], seeds=settings["seeds"], minibatch=settings["minibatch"],
            p=settings["p"], jobs=settings["jobs"], harness_min=harness_min,
            runs_min=sum(r.get("wall_s", 0.0) for r in records) / 60,
            runs=len(records), failed=len(failed),
        ),
        "\n\n".join(tables),
        "\n### Goal: POLCA at least equals every peer at noise 0 and 0.1, beats it at 0.3, and "
        "reaches its final quality with at most 60% of the budget\n",
        f"Met in {sum(': met ' in v for v in verdicts)} of {len(verdicts)} comparisons.\n",
        "\n".join(verdicts) or "- POLCA did not run.",
        "\n### Where POLCA's evaluations went (mean per run over landscapes and seeds)\n",
        SPEND_NOTE,
        "\n".join(spend_lines(records, list(settings["contestants"]), int(settings["minibatch"]))),
        "\n### Cost per run (median over all cells)\n",
        "\n".join(_wall_lines(cells, list(settings["contestants"]))),
        f"\n### Curves\n\n`{rel}/curves_<landscape>.png`: one panel per noise level; median over seeds "
        "of the true quality of the candidate each contestant would return after that many "
        "evaluations, with the IQR shaded. Every raw number is in "
        f"`{rel}/results.json` and `{rel}/raw/`.",
    ]
    if failed:
        parts.append("\n### Failed runs\n\n" + "\n".join(f"- {r['spec']}: {r['error'][-200:]}" for r in failed))
    return "\n".join(parts) + "\n"


def reproduce_command(settings: Mapping[str, Any], out_dir: Path, results_md: Path) -> str:
    """The ``benchmarks.search.run`` command line that rebuilds this report."""
    from benchmarks.search.run import parse_args  # the harness's defaults; run imports us

    defaults = vars(parse_args([]))
    words = [".venv/bin/python -m benchmarks.search.run"]
    for key in ("contestants", "landscapes", "noises", "seeds", "first_seed", "budget", "minibatch", "p"):
        value = settings.get(key, defaults[key])
        if value != defaults[key] and not (isinstance(value, list) and value == list(defaults[key])):
            shown = " ".join(f"{v:g}" if isinstance(v, float) else str(v)
                             for v in (value if isinstance(value, list) else [value]))
            words.append(f"--{key.replace('_', '-')} {shown}")
    for flag, path, default in (("--out", out_dir, defaults["out"]),
                                ("--results-md", results_md, defaults["results_md"])):
        if Path(path).resolve() != Path(default).resolve():
            words.append(f"{flag} {_repo_relative(Path(path))}")
    return " \\\n        ".join(words)


def _repo_relative(path: Path) -> str:
    root = Path(__file__).resolve().parents[2]
    resolved = path.resolve()
    return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else str(path)


SPEND_NOTE = (
    "From each POLCA record's notes: children the ε-net dropped unevaluated (each saves one "
    "minibatch), and instance evaluations spent re-scoring explorers, on children and on the "
    "final selection.\n"
)
_NOTE = re.compile(r"(rejected|explorer|child|final)=(\d+)")


def spend_lines(records: Sequence[Mapping[str, Any]], contestants: Sequence[str],
                minibatch: int) -> list[str]:
    """Markdown rows: per POLCA variant and noise, mean rejections and evaluations by role."""
    lines = ["| contestant | noise | ε-net rejections | evaluations saved | explorer evals | "
             "child evals | final evals |", "|---|---|---|---|---|---|---|"]
    groups: dict[tuple[str, float], list[dict[str, int]]] = {}
    for record in records:
        if "error" in record or not str(record["spec"]["contestant"]).startswith(POLCA):
            continue
        _, noise, name = _key(record)
        groups.setdefault((name, noise), []).append(
            {k: int(v) for k, v in _NOTE.findall(record.get("notes", ""))})
    order = {name: i for i, name in enumerate(contestants)}
    for (name, noise), notes in sorted(groups.items(), key=lambda kv: (kv[0][1], order.get(kv[0][0], 99))):
        mean = {k: float(np.mean([n.get(k, 0) for n in notes])) for k in ("rejected", "explorer", "child", "final")}
        lines.append(f"| {name} | {noise:g} | {mean['rejected']:.1f} | {mean['rejected'] * minibatch:.1f} | "
                     f"{mean['explorer']:.0f} | {mean['child']:.0f} | {mean['final']:.0f} |")
    return lines


RESULTS_HEADER = """# Search benchmark: POLCA against GEPA and OpenEvolve, model held fixed

Reproduce (from the repository root; the harness's last invocation took {harness_min:.0f} min on
a 2-core machine shared with other work, the runs' own wall times summing to {runs_min:.0f} min):

    {command}

(`--fresh` reruns every run; without it, records already under `{raw}/` are reused
and only the report is rebuilt.)

Setup: budget {budget} instance evaluations per run, {seeds} seeds, minibatch {minibatch},
simulated model with P(informed edit) = {p}, {jobs} runs at a time, each in its own
subprocess; {runs} runs, {failed} failed. Every returned best is re-scored with the true
quality. Cells: median [IQR] over seeds of the true quality of the returned best at the
full budget; "POLCA evals to match": the first budget at which POLCA's median curve
reaches that contestant's final median (share of the budget).

## What is measured

- **Problems** (`problems.py`): a candidate is text, lines `xI = V` with V in [0, 1];
  its true quality in [0, 1] is known. One evaluation on one of 20 instances returns the
  true quality plus noise of standard deviation 0, 0.1 or 0.3 (half of the variance fixed
  per candidate and instance, half fresh per evaluation) and one feedback line with a
  hint ("x2 too low") that follows the true gradient and is flipped with probability
  equal to the noise level. `smooth` (4 dimensions, Gaussian noise): one cone-shaped
  basin. `deceptive` (4, Gaussian): a trap peak of 0.65 beside the seed, whose slope the
  hints follow, and a rugged main peak of 1.0 far away. `heavy_tailed` (8 dimensions):
  one basin with mild ripples, and Student-t noise with 3 degrees of freedom (the same
  standard deviation, rare outliers several deviations wide).
- **One simulated model** (`model.py`) serves every contestant through its own prompt
  format (POLCA's tagged prompt via litellm and the scripted HTTP server, GEPA's
  reflection prompt as a callable, OpenEvolve's diff prompt via its openai client and the
  same server); only the reading and the reply format differ. With probability p it makes
  a local edit that raises the true quality (when one exists within 20 tries of a
  single-coordinate step of 0.02 to 0.2), else it follows one of the hints in its prompt
  with probability 0.5, else it moves one or two coordinates by a normal step of 0.25.
  POLCA's summarizer is simulated by passing the hints of the best candidate seen so far.
- **Budgets** are instance evaluations for everyone: POLCA's evaluations, its final
  selection included (num_pool 3 x 20 instances); GEPA's metric calls (a full valset of 20
  per accepted candidate; GEPA checks its budget between iterations, so when its last
  iteration overshoots, its best known within the budget is taken); OpenEvolve's
  iterations times the 5 instances its evaluator scores; greedy's minibatches of 5.
- **Contestants** run with their own defaults apart from the minibatch size (5 for all),
  the budget and the seed: POLCA (K=2 explorers compared on each minibatch, 2 proposals
  for the leader and for each explorer still tied with it (`expansion="adaptive"`),
  adaptive re-scoring, the hashed embedder's calibrated ε = 0.1435, summarizer every
  iteration), POLCA with ε = 0, POLCA without the summarizer, POLCA with
  `expansion="spread"` (children of every explorer, the paper's schedule), POLCA with
  `reevaluation="fixed"` where it ran, greedy hill-climbing (a child replaces the parent when its minibatch mean is
  higher), GEPA 0.1.4 (`skip_perfect_score` off) and OpenEvolve 0.4.1 (diff evolution, one
  worker, no cascade).
- **Curves**: the true quality of the candidate each contestant would return after that
  many evaluations, by its own rule (POLCA: the leader by mean, then its final selection;
  GEPA: the best valset mean; OpenEvolve: the best single score; greedy: its current
  candidate). OpenEvolve's worker processes draw their own fresh noise, so its runs are not
  bit-for-bit reproducible; all other runs are.
- **Wall time** is per run, inside its subprocess, on a 2-core machine shared with other
  work, so it is indicative only. POLCA's includes importing litellm on its first model
  call (several seconds here); GEPA and OpenEvolve are imported before the clock starts.

## Results
"""
