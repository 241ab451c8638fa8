"""Tornado chart of a sensitivity analysis: parameters ranked by their index, per output.

Reads ``indices.csv`` of an ``icsim sensitivity`` folder (columns ``parameter``, ``output``
and the method's indices). Morris's mu* is in the output's own unit; Sobol's total index ST
is a share of the output's variance. Confidence whiskers are clipped at zero, where an
index cannot go.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.config.declare import iter_parameters
from sim.config.scenario import Scenario
from sim.engine.metric_catalogue import METRIC_CATALOGUE
from sim.report.results import read_table
from sim.report.style import OKABE_ITO, SOURCE, label, new_figure, panel_grid

TOP = 10
"""Parameters shown per output."""


def load_indices(folder: str | Path) -> pd.DataFrame | None:
    """A sensitivity folder's indices, or ``None`` if ``folder`` holds none."""
    path = Path(folder) / "indices.csv"
    return read_table(path, ["output", "parameter"]) if path.is_file() else None


def parameter_units() -> dict[str, str]:
    """Each declared parameter's unit by dotted key (the built-in scenario's declarations)."""
    return {info.key: info.unit for info in iter_parameters(Scenario())}


def parameter_label(key: str, units: dict[str, str]) -> str:
    """``section.name`` as a readable name with its unit: "Choice: inertia (utility)"."""
    section, _, name = key.rpartition(".")
    text = (
        f"{label(section.replace('.', ' '))}: {name.replace('_', ' ')}" if section else label(key)
    )
    unit = units.get(key)
    return f"{text}\n" + textwrap.shorten(f"({unit})", 46, placeholder="...)") if unit else text


def tornado(
    indices: pd.DataFrame, units: dict[str, str] | None = None, *, title: str | None = None
) -> Figure:
    """The top parameters of each output by mu* (Morris) or ST (Sobol), largest on top.

    Sobol's first-order index S1 is drawn inside ST (the rest of ST is interaction).
    Parameters are named readably with their units (``units``, default the declarations').
    """
    units = parameter_units() if units is None else units
    index = "mu_star" if "mu_star" in indices else "ST"
    outputs = list(dict.fromkeys(indices["output"]))
    method = "Morris mu*" if index == "mu_star" else "Sobol total index ST"
    fig, panel = new_figure(
        22,
        4.0 + 4.5 * int(np.ceil(len(outputs) / 2)),
        title=title or f"Sensitivity: parameters ranked by {method}",
        note=f"{SOURCE}. Whiskers: the index's 95% confidence interval (SALib), clipped at "
        "zero; top "
        f"{TOP} parameters per output.",
    )
    axes = panel_grid(panel, len(outputs), max_cols=2)
    for ax, output in zip(axes, outputs, strict=True):
        rows = indices[indices["output"] == output].nlargest(TOP, index)[::-1]
        value = rows[index].clip(lower=0).to_numpy()
        conf = rows.get(f"{index}_conf", pd.Series(0.0, index=rows.index)).fillna(0).to_numpy()
        err = np.vstack([np.minimum(conf, value), conf])
        y = np.arange(len(rows))
        ax.barh(y, value, color=OKABE_ITO["blue"], xerr=err, capsize=4, label=f"{method}")
        if index == "ST" and "S1" in rows:
            first = rows["S1"].clip(lower=0).fillna(0).to_numpy()
            ax.barh(y, first, height=0.4, color=OKABE_ITO["orange"], label="first order S1")
            ax.legend(loc="lower right", fontsize=12)
        names = [parameter_label(str(k), units) for k in rows["parameter"]]
        ax.set_yticks(y, names, fontsize=12)
        ax.tick_params(axis="y", labelleft=True)
        ax.grid(axis="y", visible=False)
        ax.set_xlim(left=0)
        unit = METRIC_CATALOGUE[output].unit if output in METRIC_CATALOGUE else "output's unit"
        ax.set_title(label(output))
        ax.set_xlabel(
            f"mu* ({unit})" if index == "mu_star" else "ST (share of the output's variance)"
        )
    return fig
