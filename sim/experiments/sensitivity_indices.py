"""Sensitivity indices from a sensitivity plan's runs: the output matrix, SALib, the figure.

:func:`output_matrix` reads each sample point's final-year outputs (averaged over
replicates), :func:`analyse` turns them into Morris or Sobol indices ranked by
:data:`INDEX` (the report draws them: :func:`sim.report.plots.write_sensitivity_figure`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

from sim.experiments.executor import ExperimentError

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
