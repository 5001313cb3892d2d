"""The briefing's two charts, drawn by Matplotlib as SVG to sit inside the HTML page.

- `status_grid_svg`: every indicator (rows, by theme) at the end of each of the last twelve weeks,
  coloured by status and direction and labelled with the same arrows as the app.
- `observations_chart_svg`: observations per week, stacked by theme.

Text stays text (`svg.fonttype: none`), so the browser draws it with its own fonts and it can be
selected and printed sharply; Matplotlib escapes it as XML. Mathtext is off: a `$` in a title is a
dollar sign. The same briefing always gives the same bytes (fixed ids, no date in the metadata).
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from tracker.interfaces.briefing.templating import short_date
from tracker.services.briefing import Briefing, StatusAt

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Okabe–Ito colours: told apart by readers with the common colour-vision deficiencies.
TOWARD = "#009E73"
AWAY = "#D55E00"
UNMOVED = "#B8B8B8"
NOT_ASSESSED = "#F2F2F2"
THEME_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
THEME_HATCHES = ["", "//", "..", "xx", "\\\\", "--", "++"]

_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "tracker-briefing",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.6,
}
_TITLE_WIDTH = 52


def status_grid_svg(briefing: Briefing) -> str:
    from matplotlib import rc_context
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows = [(theme.title, i) for theme in briefing.themes for i in theme.indicators]
    weeks = len(briefing.weeks)
    with rc_context(_STYLE):
        figure = Figure(figsize=(9.5, 1.3 + 0.23 * max(len(rows), 1)), layout="constrained")
        axes = figure.add_subplot()
        codes = [[_code(status) for status in indicator.weekly] for _, indicator in rows]
        colours = ListedColormap([NOT_ASSESSED, UNMOVED, TOWARD, AWAY])
        axes.pcolormesh(
            codes or [[0] * weeks],
            cmap=colours,
            norm=BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 3.5], colours.N),
            edgecolors="white",
            linewidth=1.5,
        )
        for y, (_, indicator) in enumerate(rows):
            for x, status in enumerate(indicator.weekly):
                code = _code(status)
                axes.text(
                    x + 0.5,
                    y + 0.5,
                    ["–", "·", "▲", "▼"][code],
                    ha="center",
                    va="center",
                    fontsize=12 if code == 1 else 8,
                    fontweight="bold",
                    color="white" if code >= 2 else "#333333",
                    # Inside its cell, so it cannot widen the layout: measuring hundreds of
                    # these for the layout took longer than drawing them.
                    in_layout=False,
                )
        axes.set_yticks(
            [y + 0.5 for y in range(len(rows))],
            [_shorten(indicator.title) for _, indicator in rows],
        )
        # Day over month: twelve labels fit above narrow columns.
        axes.set_xticks(
            [x + 0.5 for x in range(weeks)],
            [f"{week.day}\n{week:%b}" for week in briefing.weeks],
        )
        axes.xaxis.tick_top()
        axes.tick_params(length=0)
        axes.set_ylim(len(rows), 0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        _theme_rules(axes, [theme for theme, _ in rows], weeks)
        axes.set_xlabel("Status at the end of each week (week ending)")
        figure.legend(
            handles=[
                Patch(facecolor=TOWARD, label="▲ moved toward"),
                Patch(facecolor=AWAY, label="▼ moved away"),
                Patch(facecolor=UNMOVED, label="· unmoved"),
                Patch(facecolor=NOT_ASSESSED, edgecolor="#999999", label="– not assessed"),
            ],
            loc="outside lower center",
            ncols=4,
            frameon=False,
        )
        return _svg(figure)


def observations_chart_svg(briefing: Briefing) -> str:
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    weeks = range(len(briefing.weeks))
    with rc_context(_STYLE):
        figure = Figure(figsize=(9.5, 3.6), layout="constrained")
        axes = figure.add_subplot()
        bottoms = [0] * len(briefing.weeks)
        for n, theme in enumerate(briefing.themes):
            counts = list(theme.weekly_observations)
            axes.bar(
                weeks,
                counts,
                bottom=bottoms,
                label=_shorten(theme.title, 40),
                color=THEME_COLOURS[n % len(THEME_COLOURS)],
                hatch=THEME_HATCHES[(n // len(THEME_COLOURS)) % len(THEME_HATCHES)],
                edgecolor="white",
                linewidth=0.6,
            )
            bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
        # Above each bar, the week's observations counted once each (a bar stacks one segment
        # per theme an observation bears on, so it can stand taller than that).
        for x, height, total in zip(weeks, bottoms, briefing.weekly_observations, strict=True):
            if total:
                axes.text(x, height, str(total), ha="center", va="bottom", fontsize=8)
        axes.set_xticks(list(weeks), [short_date(week) for week in briefing.weeks])
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(0, max(max(bottoms, default=0) * 1.15, 1))
        axes.set_xlabel("Week ending")
        axes.set_ylabel("Observations")
        # Listed top-down in the order the bars stack bottom-up.
        axes.legend(
            bbox_to_anchor=(1.01, 1),
            loc="upper left",
            frameon=False,
            title="Theme",
            fontsize=8,
            reverse=True,
            handlelength=1.4,
            handleheight=1.4,
        )
        return _svg(figure)


def _code(status: StatusAt) -> int:
    if status.status is None:
        return 0
    if status.status == "unmoved":
        return 1
    return 2 if status.direction == "toward" else 3


def _shorten(title: str, width: int = _TITLE_WIDTH) -> str:
    flat = " ".join(title.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _theme_rules(axes: Axes, themes: list[str], weeks: int) -> None:
    """A line between themes, and each theme's name beside its rows."""
    start = 0
    for y in range(1, len(themes) + 1):
        if y == len(themes) or themes[y] != themes[start]:
            axes.text(
                weeks + 0.3,
                (start + y) / 2,
                _shorten(themes[start], 28),
                va="center",
                ha="left",
                fontsize=8,
                color="#555555",
                fontweight="bold",
            )
            if y < len(themes):
                axes.axhline(y, color="#666666", linewidth=1.2)
            start = y


def _svg(figure: object) -> str:
    buffer = io.StringIO()
    figure.savefig(  # type: ignore[attr-defined]
        buffer,
        format="svg",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    svg = buffer.getvalue()
    # Inline in the page: no XML prolog or DOCTYPE (which names an outside DTD).
    svg = svg[svg.index("<svg") :]
    return re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
