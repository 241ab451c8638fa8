"""Comparing scenarios run on the same population with the same seed.

Every scenario shares the population stream and every other random stream, so the
differences in the comparison table come from the scenarios' mechanisms, not chance.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.base.files import atomic_write_csv, atomic_write_text

COMPARED = (
    "emergency_admissions_per_1000",
    "avoidable_emergency_admissions_per_1000",
    "bed_days_per_1000",
    "elective_admissions_per_1000",
    "outpatient_per_1000",
    "readmissions_per_1000",
    "cost_per_capita",
    "quality",
    "waiting_weeks",
    "switching_rate",
)


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
    cols = [f"{stat}: {metric}" for stat, metric in table.columns]
    lines = ["| scenario | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for scenario, row in table.iterrows():
        lines.append(f"| {scenario} | " + " | ".join(f"{v:,.3f}" for v in row.values) + " |")
    return "\n".join(lines) + "\n"


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
