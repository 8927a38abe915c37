"""``polca report``: draw a run as a self-contained HTML page, or print a short summary.

The command reads the run from the store (:func:`polca.report.load_report`) and hands it
to the pure renderers of :mod:`polca.report`; an unknown run or store is one error line
and exit status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from polca.cli.common import DB_HELP, Quiet, Verbose, config_from_flags, console, examples, fail
from polca.report import ReportData, load_report, render_html, text_summary
from polca.store import Store, StoreError


def register(app: typer.Typer) -> None:
    app.command(
        "report",
        help="Draw a run: its verdict and diff, per-target speedups, the score curve, the candidate lineage.",
        epilog=examples("polca report 3f2a", "polca report 3f2a --html report.html --db runs.db"),
    )(report)


def report(
    run_id: Annotated[str, typer.Argument(help="The run to draw (an id or unique prefix; see `polca runs list`).")],
    html: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML page here.")] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Write RUN as an HTML page with --html; without it, print a short text summary."""
    data = _load(run_id, db)
    if html is None:
        console.print(text_summary(data), highlight=False, soft_wrap=True)
        return
    if not html.parent.is_dir():
        fail(f"cannot write {html}: folder {html.parent} does not exist; create it or pick another path")
    if html.is_dir():
        fail(f"cannot write {html}: it is a folder; give a file name such as {html / 'report.html'}")
    html.write_text(render_html(data), encoding="utf-8")
    console.print(f"wrote {html} (run {data.run.id})", highlight=False, soft_wrap=True)


def _load(run_id: str, db: str | None) -> ReportData:
    url = config_from_flags(store={"url": db}).store.url
    try:
        with Store.open(url, create=False) as store:
            return load_report(store, run_id)
    except (StoreError, LookupError) as exc:
        fail(str(exc))
