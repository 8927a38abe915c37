"""The charts of ``polca report``'s page, drawn as inline SVG from plain numbers.

Hand-written rather than matplotlib: the page must stay one self-contained file that opens
offline, and these are two small charts. matplotlib is no base dependency (only the
``bench`` extra has it), its SVG embeds every glyph as a path (tens of kilobytes per
chart), and it would add a second look to a page whose tables are HTML. What a chart
library gives for free is done here on purpose: margins are sized from the longest label
(:func:`text_width`), so no label is clipped, and the speedup axis is logarithmic
(:class:`LogScale`), where 2x faster and 2x slower are the same distance from 1x.

Pure functions: numbers and strings in, SVG text out.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

FONT_PX = 11  # the page's CSS sets SVG text to 11px
MIN_SPEEDUP = 1.10  # the least speedup that counts (DESIGN.md, measurement honesty)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def text_width(text: str, font_px: float = FONT_PX) -> float:
    """A generous estimate of ``text``'s width in a sans-serif font: margins sized with it
    leave room for the label in any browser's default font."""
    return 0.64 * font_px * len(text)


def svg(width: float, height: float, body: Sequence[str], label: str) -> str:
    return (f'<svg width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'role="img" aria-label="{_e(label)}">' + "".join(body) + "</svg>")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values (steps of 1, 2 or 5 times a power of ten) from ``low`` to ``high``."""
    if not high > low:
        return [low]
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks, value = [], first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _tick_label(value: float) -> str:
    return f"{value:.4g}"


# ---------------------------------------------------------------------------- log scale


@dataclass(frozen=True)
class LogScale:
    """Values from ``low`` to ``high`` (powers of ten) mapped onto pixels ``x0``..``x1``, by their log."""

    low: float
    high: float
    x0: float
    x1: float

    @classmethod
    def covering(cls, values: Sequence[float], x0: float, x1: float) -> LogScale:
        """The smallest whole-decade scale that holds ``values`` and 1x."""
        positive = [v for v in values if v > 0] + [1.0]
        low = 10 ** math.floor(math.log10(min(positive)) + 1e-12)
        high = 10 ** math.ceil(math.log10(max(positive)) - 1e-12)
        if high <= low:
            high = low * 10
        return cls(low, high, x0, x1)

    def x(self, value: float) -> float:
        """The pixel of ``value`` (clamped into the scale)."""
        value = min(max(value, self.low), self.high)
        share = (math.log10(value) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low))
        return self.x0 + share * (self.x1 - self.x0)

    def ticks(self) -> list[tuple[float, bool]]:
        """``(value, major)``: every power of ten (major), and 2 and 5 times each when the scale
        spans at most two decades."""
        decades = round(math.log10(self.high / self.low))
        ticks = []
        for k in range(decades + 1):
            base = self.low * 10 ** k
            ticks.append((base, True))
            if decades <= 2 and k < decades:
                ticks += [(2 * base, False), (5 * base, False)]
        return sorted(ticks)


def speedup_label(value: float) -> str:
    """``100x``, ``10x``, ``1x``, ``0.1x``, ``2x``, ``0.5x``: a tick's label."""
    return f"{value:g}x"


@dataclass(frozen=True)
class SpeedupRow:
    """One target on the speedup chart: its name, its speedup (None: not timed; a value of 0
    or below cannot sit on a log axis and is shown as text) with its 95% interval, whether
    it counts as a gain, the text shown at the right, and whether it is the run the page is
    about (its name is bold)."""

    name: str
    speedup: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    gain: bool = False
    note: str = ""
    current: bool = False


def speedup_chart(rows: Sequence[SpeedupRow], plot_width: float = 520) -> str:
    """One line per target on a log axis: a bar from 1x to its speedup, a dot at the speedup,
    whiskers over its 95% interval; a dashed line at 1x (no change) and a dotted one at the
    least speedup that counts. Names sit left, figures right, ticks and the axis title below;
    the margins are sized from the longest of each, so nothing is clipped."""
    if not rows:
        return "<p>No targets.</p>"
    row_h, top, tick_h = 30, 14, 36
    values = [v for r in rows for v in (r.speedup, r.ci_low, r.ci_high) if v is not None and v > 0]
    decades = LogScale.covering(values, 0, 1)
    half_tick = max(text_width(speedup_label(v)) for v, _ in decades.ticks()) / 2 + 4
    left = max(14 + max(text_width(r.name) for r in rows), half_tick)
    right = max(16 + max(text_width(r.note) for r in rows), half_tick)
    width = left + plot_width + right
    height = top + row_h * len(rows) + tick_h
    scale = LogScale(decades.low, decades.high, left, left + plot_width)
    axis_y = top + row_h * len(rows)
    body = _log_grid(scale, top, axis_y)
    for i, row in enumerate(rows):
        body += _speedup_row(row, scale, top + i * row_h + row_h / 2, left, width - right)
    body.append(f'<text x="{left + plot_width / 2:.1f}" y="{height - 4:.1f}" text-anchor="middle">'
                "speedup over the original (log scale; whiskers: 95% interval)</text>")
    return svg(width, height, body, "per-target speedups")


def _log_grid(scale: LogScale, top: float, axis_y: float) -> list[str]:
    body = [f'<line class="axis" x1="{scale.x0:.1f}" y1="{axis_y:.1f}" x2="{scale.x1:.1f}" y2="{axis_y:.1f}" '
            'stroke="#444"/>']
    for value, major in scale.ticks():
        x = scale.x(value)
        body.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{axis_y:.1f}" '
                    f'stroke="{"#e4e4e4" if major else "#f2f2f2"}"/>')
        fill = "#222" if major else "#777"
        body.append(f'<text class="tick" data-value="{value:g}" x="{x:.1f}" y="{axis_y + 14:.1f}" '
                    f'text-anchor="middle" fill="{fill}">{_e(speedup_label(value))}</text>')
    one = scale.x(1.0)
    body.append(f'<line class="one" x1="{one:.1f}" y1="{top - 6:.1f}" x2="{one:.1f}" y2="{axis_y:.1f}" '
                'stroke="#d9534f" stroke-dasharray="4 3"/>')
    if scale.low <= MIN_SPEEDUP <= scale.high:
        counts = scale.x(MIN_SPEEDUP)
        body.append(f'<line class="threshold" x1="{counts:.1f}" y1="{top - 6:.1f}" x2="{counts:.1f}" '
                    f'y2="{axis_y:.1f}" stroke="#5cb85c" stroke-dasharray="1 3"/>')
    return body


def _speedup_row(row: SpeedupRow, scale: LogScale, y: float, name_right: float, note_left: float) -> list[str]:
    weight = ' font-weight="bold"' if row.current else ""
    body = [f'<text class="name" x="{name_right - 8:.1f}" y="{y + 4:.1f}" text-anchor="end"{weight}>'
            f"{_e(row.name)}</text>",
            f'<text class="figure" x="{note_left + 8:.1f}" y="{y + 4:.1f}">{_e(row.note)}</text>']
    if row.speedup is None or row.speedup <= 0:
        return body
    x, one = scale.x(row.speedup), scale.x(1.0)
    colour = "#5cb85c" if row.gain else "#aaaaaa"
    body.append(f'<rect class="speedup" x="{min(x, one):.1f}" y="{y - 5:.1f}" width="{abs(x - one):.1f}" '
                f'height="10" fill="{colour}" fill-opacity="0.55"/>')
    if row.ci_low is not None and row.ci_high is not None and row.ci_low > 0:
        lo, hi = scale.x(row.ci_low), scale.x(row.ci_high)
        body.append(f'<g class="whisker" data-low="{row.ci_low:g}" data-high="{row.ci_high:g}" stroke="#333">'
                    f'<line x1="{lo:.1f}" y1="{y:.1f}" x2="{hi:.1f}" y2="{y:.1f}"/>'
                    f'<line x1="{lo:.1f}" y1="{y - 6:.1f}" x2="{lo:.1f}" y2="{y + 6:.1f}"/>'
                    f'<line x1="{hi:.1f}" y1="{y - 6:.1f}" x2="{hi:.1f}" y2="{y + 6:.1f}"/></g>')
    body.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" stroke="#333">'
                f"<title>{_e(row.name)}: {_e(row.note)}</title></circle>")
    return body


# ---------------------------------------------------------------------------- score curve


def score_chart(points: Sequence[tuple[int, float, float]], width: float = 680, height: float = 300) -> str:
    """Dots for each evaluation's score, a line for the best mean so far; ``points`` are
    ``(evaluations, score, best_mean)``. Ticks on both axes; the left margin fits the
    widest tick label."""
    if not points:
        return "<p>No evaluations yet.</p>"
    high = max(max(p[1] for p in points), max(p[2] for p in points), 1e-9)
    low = min(0.0, min(p[1] for p in points))
    y_ticks = nice_ticks(low, high)
    if y_ticks[-1] < high - 1e-12 and len(y_ticks) > 1:  # end the axis on a labelled tick
        y_ticks.append(round(2 * y_ticks[-1] - y_ticks[-2], 12))
    high = max(high, y_ticks[-1])
    x_ticks = [t for t in nice_ticks(1, max(2, len(points)), 6) if t >= 1 and float(t).is_integer()]
    left = 34 + max(text_width(_tick_label(t)) for t in y_ticks)
    right, top, bottom = 16, 14, 42
    x0, x1, y0, y1 = left, width - right, top, height - bottom

    def sx(n: float) -> float:
        return x0 + (n - 1) / max(1, len(points) - 1) * (x1 - x0)

    def sy(v: float) -> float:
        return y0 + (1 - (v - low) / (high - low or 1.0)) * (y1 - y0)

    body = [f'<line class="axis" x1="{x0:.1f}" y1="{y1:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="#444"/>',
            f'<line class="axis" x1="{x0:.1f}" y1="{y0:.1f}" x2="{x0:.1f}" y2="{y1:.1f}" stroke="#444"/>']
    for t in y_ticks:
        body.append(f'<line x1="{x0:.1f}" y1="{sy(t):.1f}" x2="{x1:.1f}" y2="{sy(t):.1f}" stroke="#eee"/>')
        body.append(f'<text class="tick" x="{x0 - 5:.1f}" y="{sy(t) + 4:.1f}" text-anchor="end">'
                    f"{_e(_tick_label(t))}</text>")
    for t in x_ticks:
        if t <= len(points):
            body.append(f'<text class="tick" x="{sx(t):.1f}" y="{y1 + 14:.1f}" text-anchor="middle">{t:g}</text>')
    body.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{height - 6:.1f}" text-anchor="middle">evaluations</text>')
    middle = (y0 + y1) / 2
    body.append(f'<text x="13" y="{middle:.1f}" transform="rotate(-90 13 {middle:.1f})" '
                'text-anchor="middle">score</text>')
    body += [f'<circle class="eval" cx="{sx(n):.1f}" cy="{sy(s):.1f}" r="2.5" fill="#7aa6d6">'
             f"<title>evaluation {n}: score {s:.4g}</title></circle>" for n, s, _ in points]
    line = " ".join(f"{sx(n):.1f},{sy(b):.1f}" for n, _, b in points)
    body.append(f'<polyline class="best" points="{line}" fill="none" stroke="#d9534f" stroke-width="2"/>')
    return svg(width, height, body, "score against evaluations")
