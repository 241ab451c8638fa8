"""The dashboard's six small panels, drawn to fit a 1280x720 screen three by two.

Each panel shows one metric by year: a line per system of the scenario (its colour from
:func:`sim.report.style.system_colour`, hollow markers for virtual ICPs), the whole
population as a black line, and the baseline arm's whole population as a grey dashed
line; the shaded bands are the spread of the replicates. One legend for all six panels
is drawn by the page, so the panels spend their space on data. Metrics are read by name:
a metric missing from the frame leaves its panel saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.report.results import interval
from sim.report.style import BASELINE_GREY, Palette, gbp, label, percent_axis

WIDTH, HEIGHT, DPI = 3.25, 2.45, 100
"""Inches and dots per inch of one panel: three across and two down fit the page's
plot area at 1280x720 beside the controls."""

PANEL_STYLE: dict[str, object] = {
    "font.size": 10,
    "axes.titlesize": 11.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "lines.linewidth": 2.0,
    "lines.markersize": 4.5,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
"""The house style (:data:`sim.report.style.STYLE`) scaled to a panel a third of a screen wide."""


@dataclass(frozen=True)
class Panel:
    """One panel: the metric, its title, the y-axis unit, and how values are shown."""

    metric: str
    title: str
    unit: str
    scale: float = 1.0
    systems: bool = True
    """Draw a line per system (else only the whole population of each arm)."""
    whole: bool = True
    """Draw the scenario's whole population (and the baseline's)."""


PANELS = (
    Panel("enrolment_share", "Enrolment share", "% of population", 100.0, whole=False),
    Panel("emergency_admissions_per_1000", "Emergency admissions", "per 1,000 per year"),
    Panel("cost_per_capita", "Spend per head", "GBP per person per year"),
    Panel("mean_risk", "Mean risk of enrolees", "expected cost / England mean"),
    Panel("amenable_deaths_per_1000", "Amenable deaths", "per 1,000 per year"),
    Panel("unmet_need_per_1000", "Unmet elective need", "electives per 1,000 per year"),
)
"""Enrolment, hospital use, cost with the risk of those it pays for beside it, and health."""


def _line(ax: Axes, stats: pd.DataFrame, colour: str, *, face: str, style: str, marker: str):
    ax.plot(
        stats["year"],
        stats["mean"],
        color=colour,
        linestyle=style,
        marker=marker,
        markerfacecolor=face,
    )
    if (stats["n"] > 1).any():
        ax.fill_between(
            stats["year"], stats["lo"], stats["hi"], color=colour, alpha=0.2, linewidth=0
        )


def panel_figure(
    panel: Panel,
    frame: pd.DataFrame,
    *,
    scenario: str,
    baseline: str | None,
    years: int,
    palette: Palette,
) -> Figure:
    """One panel for the years simulated so far (an empty axis, with a hint, before year 1)."""
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    ax.set_title(panel.title, loc="left")
    ax.set_ylabel(panel.unit)
    ax.set_xlim(0.5, years + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    rows = frame[(frame["metric"] == panel.metric) & (frame["group"] == "all")]
    if rows.empty:
        text = "Press Step or \u25b6" if frame.empty else "not in these results"
        ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=11)
        ax.set_yticks([])
        return fig
    rows = rows.assign(value=rows["value"] * panel.scale)
    stats = interval(rows, ["scenario", "system", "year"]).sort_values("year")
    own = stats[stats["scenario"] == scenario]
    if panel.systems:
        for system in [s for s in dict.fromkeys(own["system"]) if s != "all"]:
            colour, marker = palette(system)
            line = own[own["system"] == system]
            _line(ax, line, colour, face=palette.face(system), style="-", marker=marker)
    if panel.whole:
        whole = own[own["system"] == "all"]
        _line(ax, whole, "#000000", face="#000000", style="-", marker="")
        if baseline is not None:
            base = stats[(stats["scenario"] == baseline) & (stats["system"] == "all")]
            _line(ax, base, BASELINE_GREY, face=BASELINE_GREY, style="--", marker="")
    if panel.metric == "cost_per_capita":
        ax.yaxis.set_major_formatter(gbp())
    if panel.metric == "enrolment_share":
        ax.set_ylim(-2, 102)
        percent_axis(ax)
    if panel.metric == "mean_risk":
        ax.axhline(1.0, color="#555555", linewidth=1.0, linestyle=":")
    return fig


def legend_entries(
    systems: list[str], palette: Palette, *, baseline: bool
) -> list[tuple[str, str, str]]:
    """(name, colour, line style) of every line the panels may draw, for the page's legend."""
    entries = [(palette.label(s), palette.colour(s), "solid") for s in systems if s != "all"]
    entries.append((label("all"), "#000000", "solid"))
    if baseline:
        entries.append(("Baseline: fragmented default, same seed", BASELINE_GREY, "dashed"))
    return entries
