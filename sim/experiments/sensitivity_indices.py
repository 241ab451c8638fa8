"""Sensitivity indices from a sensitivity plan's runs: the output matrix, SALib, the figure.

:func:`output_matrix` reads each sample point's final-year outputs (averaged over
replicates), :func:`analyse` turns them into Morris or Sobol indices ranked by
:data:`INDEX`, and :func:`figure` draws them as ranked horizontal bars.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from SALib.analyze import morris as morris_analyze  # noqa: E402
from SALib.analyze import sobol as sobol_analyze  # noqa: E402

from sim.base.files import atomic_write_bytes  # noqa: E402
from sim.experiments.executor import ExperimentError  # noqa: E402

if TYPE_CHECKING:
    from sim.experiments.sensitivity_plan import SensitivityPlan

INDEX = {"morris": "mu_star", "sobol": "ST"}
"""The index parameters are ranked by."""

SHOWN = {
    "morris": ["mu_star", "mu_star_conf", "sigma"],
    "sobol": ["ST", "ST_conf", "S1", "S1_conf"],
}
"""The columns of the indices ``icsim sensitivity`` prints, by method."""


def output_matrix(plan: SensitivityPlan, results: pd.DataFrame) -> pd.DataFrame:
    """One row per sample point, one column per output: final-year value, replicate mean."""
    sel = results[
        (results["year"] == results["year"].max())
        & (results["system"] == plan.system)
        & (results["group"] == plan.group)
        & results["metric"].isin(plan.outputs)
    ]
    by_run = sel.pivot_table(index="run_id", columns="metric", values="value", aggfunc="mean")
    rows = pd.DataFrame(
        {"row": [row for row, _ in plan.runs], "run_id": [spec.run_id for _, spec in plan.runs]}
    )
    rows = rows.join(by_run, on="run_id")
    Y = rows.groupby("row", sort=True)[[o for o in plan.outputs if o in rows]].mean()
    missing = [o for o in plan.outputs if o not in Y or Y[o].isna().any()]
    if missing:
        raise ExperimentError(
            f"output {missing[0]!r} has no value for system "
            f"'{plan.system}', group '{plan.group}' in some runs (the system "
            "may close or have no members); choose another system or group"
        )
    return Y.reindex(range(len(plan.scenarios)))


def analyse(plan: SensitivityPlan, Y: pd.DataFrame) -> pd.DataFrame:
    """Indices for each output and parameter, ranked (1 = most influential)."""
    tables = []
    for output in plan.outputs:
        y = Y[output].to_numpy(dtype=float)
        if plan.method == "morris":
            si = morris_analyze.analyze(
                plan.problem, plan.X, y, num_levels=plan.levels, seed=plan.seed % 2**32
            )
            cols = ("mu", "mu_star", "sigma", "mu_star_conf")
        else:
            si = sobol_analyze.analyze(
                plan.problem, y, calc_second_order=False, seed=plan.seed % 2**32
            )
            cols = ("S1", "S1_conf", "ST", "ST_conf")
        table = pd.DataFrame(
            {
                "method": plan.method,
                "output": output,
                "parameter": plan.keys,
                "low": [b[0] for b in plan.bounds],
                "high": [b[1] for b in plan.bounds],
                **{c: np.asarray(si[c], dtype=float) for c in cols},
            }
        )
        index = INDEX[plan.method]
        table = table.sort_values(index, ascending=False, kind="stable", na_position="last")
        table["rank"] = np.arange(1, len(table) + 1)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def figure(indices: pd.DataFrame, path: Path, top: int = 20) -> None:
    """Ranked horizontal bars, one panel per output, most influential at the top."""
    method = str(indices["method"].iloc[0])
    outputs = list(dict.fromkeys(indices["output"]))
    n = min(top, int(indices.groupby("output").size().max()))
    ncols = min(2, len(outputs))
    nrows = -(-len(outputs) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(9.5 * ncols, (1.8 + 0.55 * n) * nrows),
        squeeze=False,
        constrained_layout=True,
    )
    for ax in axes.ravel()[len(outputs) :]:
        ax.set_visible(False)
    for ax, output in zip(axes.ravel(), outputs, strict=False):
        t = indices[indices["output"] == output].head(n).iloc[::-1]
        ypos = np.arange(len(t))
        if method == "morris":
            ax.barh(
                ypos,
                t["mu_star"].fillna(0),
                xerr=t["mu_star_conf"].fillna(0),
                color="#2b6a99",
                capsize=3,
            )
            ax.set_xlabel("Morris μ* (mean |elementary effect|)", fontsize=15)
        else:
            ax.barh(
                ypos + 0.2,
                t["ST"].fillna(0),
                height=0.4,
                xerr=t["ST_conf"].fillna(0),
                color="#2b6a99",
                capsize=3,
                label="total (ST)",
            )
            ax.barh(
                ypos - 0.2,
                t["S1"].fillna(0),
                height=0.4,
                xerr=t["S1_conf"].fillna(0),
                color="#e08a2b",
                capsize=3,
                label="first order (S1)",
            )
            ax.set_xlabel("Sobol index", fontsize=15)
            ax.legend(fontsize=13, loc="lower right")
        ax.set_yticks(ypos, t["parameter"], fontsize=13)
        ax.tick_params(axis="x", labelsize=13)
        ax.set_title(output, fontsize=17)
        ax.grid(axis="x", alpha=0.3)
    label = "Morris screening" if method == "morris" else "Sobol indices"
    fig.suptitle(f"icsim sensitivity: {label}, final year", fontsize=19)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
