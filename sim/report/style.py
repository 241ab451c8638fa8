"""The look shared by every icsim figure: style, colours, labels and drawing helpers.

Figures are read from the back of a seminar room and printed in grey, so the style is
set once here: large type, thick lines, the Okabe-Ito colour-blind-safe palette with a
fixed colour and marker for each system and scenario, units on every axis and a source
note on every figure. The figures themselves are in :mod:`sim.report.figures_time` and
:mod:`sim.report.figures_final`, gathered by :mod:`sim.report.plots` (which re-exports these
names); the dashboard and notebooks draw their own panels with the same helpers.
"""

from __future__ import annotations

import textwrap
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import matplotlib
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import FuncFormatter, MaxNLocator

# --------------------------------------------------------------------------- style

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
"""Okabe & Ito (2008) palette, distinguishable with the common colour-vision deficiencies."""

SYSTEM_COLOURS = {
    "all": OKABE_ITO["black"],
    "fragmented": OKABE_ITO["vermillion"],
    # the competing-ICP scenarios and their analogues elsewhere
    "icp_north": OKABE_ITO["blue"],
    "icp_south": OKABE_ITO["green"],
    "icp_rural": OKABE_ITO["orange"],
    "icp_urban_3": OKABE_ITO["purple"],
    "icp_urban_4": OKABE_ITO["sky_blue"],
    "urban_north": OKABE_ITO["blue"],
    "urban_south": OKABE_ITO["green"],
    "rural": OKABE_ITO["orange"],
    "established": OKABE_ITO["blue"],
    "entrant": OKABE_ITO["green"],
    "underbidder": OKABE_ITO["purple"],
    # single-ICP scenarios: each its own colour, so two of them never look alike
    "kaiser": OKABE_ITO["purple"],
    "health_board": OKABE_ITO["sky_blue"],
    "partnership": OKABE_ITO["green"],
    "lead_provider": OKABE_ITO["orange"],
    "torbay_care_trust": OKABE_ITO["blue"],
    "bolton_pct": OKABE_ITO["purple"],
    "edics": OKABE_ITO["sky_blue"],
    "cvd_pathway": OKABE_ITO["green"],
}
"""The one colour of each system, in every figure, notebook and on the dashboard.

Systems of the same scenario never share a colour. A system not listed takes
:func:`system_colour`'s stable choice, from its number (``insurer_3``) or its name.
"""

SYSTEM_CYCLE = tuple(
    OKABE_ITO[c] for c in ("blue", "green", "orange", "purple", "sky_blue", "yellow")
)
"""Colours for systems not listed in :data:`SYSTEM_COLOURS` (never black or vermillion,
which mean the whole population and the fragmented default)."""

TOL_MUTED = {
    "indigo": "#332288",
    "teal": "#44AA99",
    "rose": "#CC6677",
    "wine": "#882255",
    "olive": "#999933",
    "purple": "#AA4499",
    "green": "#117733",
    "cyan": "#88CCEE",
    "sand": "#DDCC77",
}
"""Paul Tol's colour-blind-safe 'muted' scheme (SRON technical note SRON/EPS/TN/09-002,
2021): scenarios are drawn in these, so no scenario shares a colour with a system."""

BASELINE_GREY = "#595959"
"""The fragmented default as a scenario, and the dashboard's baseline arm."""

SCENARIO_COLOURS = {
    "fragmented_tariff": BASELINE_GREY,
    "competing_icps_capitation": TOL_MUTED["indigo"],
    "blended": TOL_MUTED["teal"],
}
"""Shipped scenarios compared most often keep their colour; others take the next free one
of :data:`SCENARIO_CYCLE` in the order given."""

SCENARIO_CYCLE = tuple(TOL_MUTED.values())

FIXED_COLOURS = {**SYSTEM_COLOURS, **SCENARIO_COLOURS}
"""Every fixed colour, systems and scenarios (kept for code that looks one up by name)."""

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
SCENARIO_MARKERS = ("s", "D", "P", "X", "^", "v", "*", "o")
"""Scenarios are drawn with squares and diamonds first, systems with circles first."""


def system_colour(name: str) -> str:
    """The colour of a system: its entry in :data:`SYSTEM_COLOURS`, else a stable pick.

    A numbered name (``insurer_3``, ``network_3_icp``) takes the cycle's colour for its first
    number, so numbered rivals differ; any other name a pick fixed by its characters.
    """
    if name in SYSTEM_COLOURS:
        return SYSTEM_COLOURS[name]
    digits = "".join(c if c.isdigit() else " " for c in name).split()
    index = int(digits[0]) - 1 if digits else zlib.crc32(name.encode())
    return SYSTEM_CYCLE[index % len(SYSTEM_CYCLE)]


LABELS = {
    "all": "Whole population",
    "fragmented": "Fragmented default",
    "fragmented_tariff": "Fragmented, tariff",
    "competing_icps_capitation": "Competing ICPs, capitation",
    "blended": "Competing ICPs, blended",
}

STYLE: dict[str, object] = {
    "font.size": 16,
    "axes.titlesize": 18,
    "axes.titleweight": "bold",
    "axes.labelsize": 16,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "legend.title_fontsize": 14,
    "figure.titlesize": 21,
    "figure.titleweight": "bold",
    "lines.linewidth": 3.0,
    "lines.markersize": 8,
    "axes.linewidth": 1.3,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 1.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(SYSTEM_CYCLE)),
    "legend.frameon": False,
    "savefig.dpi": 150,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
    "pdf.fonttype": 42,
    "svg.hashsalt": "icsim",
}
"""Matplotlib rcParams shared by every icsim figure (fonts of at least 14 pt)."""

SOURCE = "Source: icsim simulation; England baseline calibrated to calibration_targets 4.8"
YEAR_LABEL = "Simulated year"


def gbp() -> matplotlib.ticker.Formatter:
    """Tick labels in pounds (a new formatter per axis, as matplotlib requires)."""
    return matplotlib.ticker.StrMethodFormatter("£{x:,.0f}")


@contextmanager
def style() -> Iterator[None]:
    """Apply the shared style while figures are built and saved."""
    with matplotlib.rc_context(STYLE):
        yield


def label(name: str) -> str:
    """A readable name for a system or scenario."""
    if name in LABELS:
        return LABELS[name]
    words = name.replace("_", " ").split()
    words = ["ICP" if w.lower() == "icp" else "ICPs" if w.lower() == "icps" else w for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


@dataclass
class Palette:
    """Colours, markers and legend names: systems by :func:`system_colour`, scenarios apart.

    A system's colour is the same in every figure; scenarios take colours no system uses,
    fixed for the shipped ones and otherwise the next free one in the order they are met.
    ``integration`` (system name: ``virtual`` or ``vertical``) puts the ICP's kind in its
    legend name and draws a virtual ICP's markers hollow.
    """

    scenarios: frozenset[str] = frozenset()
    integration: dict[str, str] = field(default_factory=dict)
    assigned: dict[tuple[bool, str], tuple[str, str]] = field(default_factory=dict)

    def __call__(self, name: str) -> tuple[str, str]:
        is_scenario = name in self.scenarios
        key = (is_scenario, name)
        if key not in self.assigned:
            same = [v for (kind, _), v in self.assigned.items() if kind == is_scenario]
            markers = SCENARIO_MARKERS if is_scenario else MARKERS
            if not is_scenario:
                colour = system_colour(name)
            elif name in SCENARIO_COLOURS:
                colour = SCENARIO_COLOURS[name]
            else:
                used = {c for c, _ in same} | set(SCENARIO_COLOURS.values())
                free = [c for c in SCENARIO_CYCLE if c not in used]
                colour = free[0] if free else SCENARIO_CYCLE[len(same) % len(SCENARIO_CYCLE)]
            self.assigned[key] = (colour, markers[len(same) % len(markers)])
        return self.assigned[key]

    def colour(self, name: str) -> str:
        return self(name)[0]

    def marker(self, name: str) -> str:
        return self(name)[1]

    def label(self, name: str) -> str:
        """The legend name: readable, with ``(virtual)`` or ``(vertical)`` for an ICP."""
        kind = self.integration.get(name) if name not in self.scenarios else None
        return f"{label(name)} ({kind})" if kind else label(name)

    def face(self, name: str) -> str:
        """Marker fill: hollow (white) for a virtual ICP, filled otherwise."""
        kind = self.integration.get(name) if name not in self.scenarios else None
        return "white" if kind == "virtual" else self.colour(name)


# --------------------------------------------------------------------------- drawing helpers


def new_figure(width: float, height: float, *, title: str, note: str) -> tuple[Figure, SubFigure]:
    """A figure with a title, a panel area and a footer note below everything.

    Returns the figure (to save) and the panel area (to draw in and put the legend on).
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    chars = int(width * 10.5)  # about what fits across the page at the footer's 12.5 pt
    note = "\n".join(textwrap.fill(line, chars) for line in note.split("\n"))
    note_height = 0.28 * (note.count("\n") + 1) + 0.2
    panels, footer = fig.subfigures(2, 1, height_ratios=[height - note_height, note_height])
    panels.suptitle(title)
    footer.text(0.005, 0.5, note, ha="left", va="center", fontsize=12.5, color="#333333")
    return fig, panels


def draw_line(
    ax: Axes,
    stats: pd.DataFrame,
    name: str,
    palette: Palette,
    *,
    scale: float = 1.0,
    x: str = "year",
) -> None:
    """A mean line with markers and, with several replicates, its 90% band."""
    colour, marker = palette(name)
    xs = stats[x].to_numpy()
    ax.plot(
        xs,
        stats["mean"] * scale,
        color=colour,
        marker=marker,
        markerfacecolor=palette.face(name),
        label=palette.label(name),
        linestyle="-" if name != "all" else "--",
    )
    if (stats["n"] > 1).any():
        ax.fill_between(
            xs, stats["lo"] * scale, stats["hi"] * scale, color=colour, alpha=0.18, linewidth=0
        )


def percent_axis(ax: Axes) -> None:
    """Percent tick labels on round steps (values already multiplied by 100)."""
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}%"))


def year_axis(ax: Axes) -> None:
    ax.set_xlabel(YEAR_LABEL)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def legend_below(fig: Figure | SubFigure, axes: Iterable[Axes], ncols: int | None = None) -> None:
    """One legend for the whole figure, under the panels."""
    handles: dict[str, object] = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    if handles:
        n = ncols or min(len(handles), 5)
        fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=n)


def panel_grid(fig: Figure | SubFigure, n: int, max_cols: int = 3) -> list[Axes]:
    """``n`` panels sharing a y axis, at most ``max_cols`` a row; spare cells hidden."""
    cols = min(n, max_cols)
    rows = int(np.ceil(n / cols))
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return list(axes[:n])
