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

FIXED_COLOURS = {
    "all": OKABE_ITO["black"],
    "fragmented": OKABE_ITO["vermillion"],
    "icp_north": OKABE_ITO["blue"],
    "icp_south": OKABE_ITO["green"],
    "icp_rural": OKABE_ITO["orange"],
    "fragmented_tariff": OKABE_ITO["vermillion"],
    "competing_icps_capitation": OKABE_ITO["blue"],
    "blended": OKABE_ITO["green"],
}
"""The same system or scenario keeps its colour in every figure and on the dashboard."""

SPARE_COLOURS = tuple(
    OKABE_ITO[c] for c in ("purple", "sky_blue", "orange", "blue", "green", "vermillion", "yellow")
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

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
    "axes.prop_cycle": cycler(color=list(SPARE_COLOURS)),
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
    """Fixed colours and markers: known names keep theirs, others take free ones in turn.

    Scenarios and systems are coloured separately (a figure compares one or the other),
    so a scenario never takes a colour just because a system elsewhere used it. Yellow,
    faint on white, is used only when every other colour is taken.
    """

    scenarios: frozenset[str] = frozenset()
    assigned: dict[tuple[bool, str], tuple[str, str]] = field(default_factory=dict)

    def __call__(self, name: str) -> tuple[str, str]:
        key = (name in self.scenarios, name)
        if key not in self.assigned:
            same = [v for (kind, _), v in self.assigned.items() if kind == key[0]]
            used = {c for c, _ in same}
            if name in FIXED_COLOURS:
                colour = FIXED_COLOURS[name]
            else:
                free = [c for c in SPARE_COLOURS if c not in used]
                colour = free[0] if free else SPARE_COLOURS[len(same) % (len(SPARE_COLOURS) - 1)]
            self.assigned[key] = (colour, MARKERS[len(same) % len(MARKERS)])
        return self.assigned[key]

    def colour(self, name: str) -> str:
        return self(name)[0]

    def marker(self, name: str) -> str:
        return self(name)[1]


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
        label=label(name),
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


def grouped_bars(
    ax: Axes,
    categories: list[str],
    stats: dict[str, pd.DataFrame],
    palette: Palette,
    *,
    scale: float = 1.0,
) -> None:
    """Bars per category, one colour per series, with 90% interval whiskers."""
    names = list(stats)
    width = 0.8 / max(len(names), 1)
    x = np.arange(len(categories))
    for i, name in enumerate(names):
        df = stats[name].set_index("category").reindex(categories)
        colour, _ = palette(name)
        mean = df["mean"].to_numpy() * scale
        err = None
        if (df["n"] > 1).any():
            err = np.vstack(
                [mean - df["lo"].to_numpy() * scale, df["hi"].to_numpy() * scale - mean]
            )
        ax.bar(
            x + (i - (len(names) - 1) / 2) * width,
            mean,
            width * 0.92,
            color=colour,
            label=label(name),
            yerr=err,
            capsize=5 if err is not None else 0,
            error_kw={"elinewidth": 2, "ecolor": "#222222"},
            hatch=None if i % 2 == 0 else "//",
            edgecolor="white",
            linewidth=0,
        )
    ax.set_xticks(x, categories)
    ax.grid(axis="x", visible=False)


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


def dot_rows(
    ax: Axes,
    stats: pd.DataFrame,
    keys: list[str],
    palette: Palette,
    *,
    scale: float = 1.0,
    fmt: str = "{:,.1f}",
    reference: str | None = None,
    zero: bool = False,
) -> None:
    """One row per key: the mean as a dot, its 90% interval as a whisker, the value beside it.

    ``stats`` is indexed by key with ``mean``, ``lo``, ``hi`` and ``n``. Dots, unlike bars,
    need no axis from zero, so the axis spans the values and small differences stay visible;
    ``reference`` (a key) draws its value as a dashed line and labels every other row with
    its difference from it in percent, so the size of a difference is read as a number, not
    a length. ``zero`` draws a line at zero instead (for differences).
    """
    keys = [k for k in keys if k in stats.index]
    y = np.arange(len(keys))[::-1]
    base = stats.loc[reference, "mean"] * scale if reference in stats.index else None
    for yi, key in zip(y, keys, strict=True):
        row = stats.loc[key]
        colour, marker = palette(key)
        mean = row["mean"] * scale
        err = None
        if row["n"] > 1:
            err = [[mean - row["lo"] * scale], [row["hi"] * scale - mean]]
        ax.errorbar(
            mean,
            yi,
            xerr=err,
            fmt=marker,
            color=colour,
            markersize=13,
            elinewidth=3,
            capsize=6 if err else 0,
            label=label(key),
        )
        text = fmt.format(mean)
        if base is not None and key != reference and base != 0:
            text += f" ({(mean - base) / abs(base):+.1%})"
        end = row["hi"] * scale if err else mean
        ax.annotate(
            text, (end, yi), xytext=(9, 0), textcoords="offset points", va="center", fontsize=13
        )
    if base is not None:
        ax.axvline(base, color="#555555", linestyle="--", linewidth=1.5, zorder=0)
    if zero:
        ax.axvline(0.0, color="#222222", linewidth=1.5, zorder=0)
    ax.set_yticks([])
    ax.set_ylim(-0.7, len(keys) - 0.3)
    ax.grid(axis="y", visible=False)
    ax.margins(x=0.45)
