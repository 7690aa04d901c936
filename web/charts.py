"""Charts drawn on the server as SVG: readable without JavaScript, printable, and allowed by
the Content-Security-Policy (inline SVG is markup, not script or style; colours are
presentation attributes, never `style`).

Each chart is an image with a text alternative: `role="img"`, a <title> naming it and a
<desc> giving every number, so a screen reader reads the same figures the table beside it
holds. Each bar also has its own <title> (shown as a tooltip) and its value written next to
it. Colours have at least 3:1 contrast against white (WCAG 1.4.11, non-text contrast).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

WIDTH: Final = 340  # drawn at this size (1:1), scaled down to fit narrower screens
LABEL_WIDTH: Final = 124  # left column for the bar labels
VALUE_WIDTH: Final = 44  # right column for the numbers
ROW: Final = 26
BAR: Final = 16
FONT: Final = 12.5
TEXT: Final = "#0b0c0c"
TRACK: Final = "#f3f2f1"
TRACK_EDGE: Final = "#505a5f"
FILL: Final = "#00703c"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    colour: str


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, one per measure, scaled to the largest value."""
    top = max([b.value for b in bars] + [1])
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = ROW * len(bars) + 8
    cid = escape(chart_id)
    desc = "; ".join(f"{b.label} {b.value}" for b in bars)
    parts = [
        f'<svg class="chart" id="{cid}" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]
    for n, b in enumerate(bars):
        y = 4 + n * ROW
        width = 0 if b.value <= 0 else max(2.0, room * b.value / top)
        parts.append(
            f'<g><title>{escape(b.label)}: {b.value}</title>'
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR - 3}" text-anchor="end" font-size="{FONT}" '
            f'fill="{TEXT}">{escape(b.label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{_num(width)}" height="{BAR}" fill="{escape(b.colour)}"/>'
            f'<text x="{_num(LABEL_WIDTH + width + 6)}" y="{y + BAR - 3}" font-size="{FONT}" '
            f'fill="{TEXT}">{b.value}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def progress_bar(chart_id: str, title: str, share: float, text: str) -> Markup:
    """A share from 0 to 1 as a filled track, with `text` (e.g. "62.5% (5 of 8)") written on it."""
    share = min(1.0, max(0.0, share))
    track = WIDTH - 2
    cid = escape(chart_id)
    return Markup(
        f'<svg class="chart chart-rate" id="{cid}" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'viewBox="0 0 {WIDTH} 46" width="{WIDTH}" height="46" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(text)}</desc>'
        f'<rect x="1" y="1" width="{track}" height="20" fill="{TRACK}" stroke="{TRACK_EDGE}" stroke-width="1"/>'
        f'<rect x="1" y="1" width="{_num(track * share)}" height="20" fill="{FILL}"/>'
        f'<text x="1" y="40" font-size="{FONT}" fill="{TEXT}">{escape(text)}</text>'
        f"</svg>")


__all__ = ["Bar", "bar_chart", "progress_bar"]
