"""Final-year drawing helpers: grouped bars by category and dot rows with whiskers.

They draw into an axis in the shared style (:mod:`sim.report.style`), with each series'
colour, marker and legend name from a :class:`~sim.report.style.Palette`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.report.style import Palette


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
            label=palette.label(name),
            yerr=err,
            capsize=5 if err is not None else 0,
            error_kw={"elinewidth": 2, "ecolor": "#222222"},
            hatch=None if i % 2 == 0 else "//",
            edgecolor="white",
            linewidth=0,
        )
    ax.set_xticks(x, categories)
    ax.grid(axis="x", visible=False)


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
            markerfacecolor=palette.face(key),
            markersize=13,
            elinewidth=3,
            capsize=6 if err else 0,
            label=palette.label(key),
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
