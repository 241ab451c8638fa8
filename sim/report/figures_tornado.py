"""Tornado chart of a sensitivity analysis: parameters ranked by their index, per output.

Reads ``indices.csv`` of an ``icsim sensitivity`` folder (columns ``parameter``, ``output``
and the method's indices). Morris's mu* is in the output's own unit; Sobol's total index ST
is a share of the output's variance. Confidence whiskers are clipped at zero, where an
index cannot go.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.engine.metric_catalogue import METRIC_CATALOGUE
from sim.report.results import read_table
from sim.report.style import OKABE_ITO, SOURCE, label, new_figure, panel_grid

TOP = 10
"""Parameters shown per output."""


def load_indices(folder: str | Path) -> pd.DataFrame | None:
    """A sensitivity folder's indices, or ``None`` if ``folder`` holds none."""
    path = Path(folder) / "indices.csv"
    return read_table(path, ["output", "parameter"]) if path.is_file() else None


def tornado(indices: pd.DataFrame) -> Figure:
    """The top parameters of each output by mu* (Morris) or ST (Sobol), largest on top."""
    index = "mu_star" if "mu_star" in indices else "ST"
    outputs = list(dict.fromkeys(indices["output"]))
    method = "Morris mu*" if index == "mu_star" else "Sobol total index ST"
    fig, panel = new_figure(
        22,
        4.0 + 4.5 * int(np.ceil(len(outputs) / 2)),
        title=f"Sensitivity: parameters ranked by {method}",
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
        ax.barh(y, value, color=OKABE_ITO["blue"], xerr=err, capsize=4)
        ax.set_yticks(y, rows["parameter"].astype(str), fontsize=12)
        ax.tick_params(axis="y", labelleft=True)
        ax.grid(axis="y", visible=False)
        ax.set_xlim(left=0)
        unit = METRIC_CATALOGUE[output].unit if output in METRIC_CATALOGUE else "output's unit"
        ax.set_title(label(output))
        ax.set_xlabel(
            f"mu* ({unit})" if index == "mu_star" else "ST (share of the output's variance)"
        )
    return fig
