"""Comparing scenarios run on the same population with the same seed.

Every scenario shares the population stream and every other random stream, so the
differences in the comparison table come from the scenarios' mechanisms, not chance.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.base.files import atomic_write_csv, atomic_write_text
from sim.engine.metric_catalogue import METRIC_CATALOGUE
from sim.experiments.summary import fmt

COMPARED = (
    "emergency_admissions_per_1000",
    "avoidable_emergency_admissions_per_1000",
    "bed_days_per_1000",
    "elective_admissions_per_1000",
    "outpatient_per_1000",
    "readmissions_per_1000",
    "waiting_weeks",
    "unmet_need_per_1000",
    "deaths_per_1000",
    "amenable_deaths_per_1000",
    "qalys_lost_per_capita",
    "quality",
    "cost_per_capita",
    "resource_cost_per_capita",
    "switching_rate",
)
"""Metrics in the comparison table: activity, then health, then money, in this order."""


def comparison_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Whole-population values by scenario: final year and mean over all years."""
    sel = metrics[
        (metrics["system"] == "all")
        & (metrics["group"] == "all")
        & metrics["metric"].isin(COMPARED)
    ]
    final = sel[sel["year"] == sel["year"].max()]
    out = pd.concat(
        {
            "final_year": final.pivot_table(
                index="scenario", columns="metric", values="value", aggfunc="mean"
            ),
            "mean_over_years": sel.pivot_table(
                index="scenario", columns="metric", values="value", aggfunc="mean"
            ),
        },
        axis=1,
    )
    order = list(dict.fromkeys(metrics["scenario"]))
    return out.reindex(order)


def _markdown(table: pd.DataFrame) -> str:
    """Metrics as rows (with their units), scenarios as columns: one table per statistic."""
    scenarios = [str(s) for s in table.index]
    parts = []
    for stat, heading in (("final_year", "Final year"), ("mean_over_years", "Mean over years")):
        block = table[stat]
        lines = [
            f"## {heading}, whole population",
            "",
            "| metric | unit | " + " | ".join(scenarios) + " |",
            "|---" * (len(scenarios) + 2) + "|",
        ]
        for metric in [m for m in COMPARED if m in block.columns]:
            unit = METRIC_CATALOGUE[metric].unit if metric in METRIC_CATALOGUE else ""
            cells = " | ".join(fmt(v) for v in block[metric].to_numpy())
            lines.append(f"| {metric} | {unit} | {cells} |")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def figure(metrics: pd.DataFrame, path: Path) -> None:
    """Hospital use and cost per head by year, one line per scenario, in the seminar style."""
    from sim.report.plots import comparison_lines, save

    save(comparison_lines(metrics), Path(path).with_suffix(""), formats=("png",))


def write_comparison(metrics: pd.DataFrame, out: Path) -> pd.DataFrame:
    """Write comparison.csv, comparison.md, comparison.png and the combined metrics."""
    out = Path(out)
    table = comparison_table(metrics)
    flat = table.copy()
    flat.columns = [f"{stat}:{metric}" for stat, metric in table.columns]
    atomic_write_csv(out / "comparison.csv", flat.reset_index())
    atomic_write_text(out / "comparison.md", _markdown(table))
    figure(metrics, out / "comparison.png")
    return table
