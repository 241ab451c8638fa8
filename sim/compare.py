"""Comparing scenarios run on the same population with the same seed.

Every scenario shares the population stream and every other random stream, so the
differences in the comparison table come from the scenarios' mechanisms, not chance.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim.runner import atomic_write_bytes, atomic_write_csv, atomic_write_text  # noqa: E402

COMPARED = (
    "emergency_admissions_per_1000", "avoidable_emergency_admissions_per_1000",
    "bed_days_per_1000", "elective_admissions_per_1000", "outpatient_per_1000",
    "readmissions_per_1000", "cost_per_capita", "quality", "waiting_weeks", "switching_rate",
)
FIGURE_PANELS = (
    ("emergency_admissions_per_1000", "Emergency admissions per 1,000"),
    ("bed_days_per_1000", "Bed days per 1,000"),
    ("elective_admissions_per_1000", "Elective admissions per 1,000"),
    ("cost_per_capita", "Commissioner spend per head (GBP)"),
)


def comparison_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Whole-population values by scenario: final year and mean over all years."""
    sel = metrics[(metrics["system"] == "all") & (metrics["group"] == "all")
                  & metrics["metric"].isin(COMPARED)]
    final = sel[sel["year"] == sel["year"].max()]
    out = pd.concat({
        "final_year": final.pivot_table(index="scenario", columns="metric", values="value",
                                        aggfunc="mean"),
        "mean_over_years": sel.pivot_table(index="scenario", columns="metric", values="value",
                                           aggfunc="mean"),
    }, axis=1)
    order = list(dict.fromkeys(metrics["scenario"]))
    return out.reindex(order)


def _markdown(table: pd.DataFrame) -> str:
    cols = [f"{stat}: {metric}" for stat, metric in table.columns]
    lines = ["| scenario | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for scenario, row in table.iterrows():
        lines.append(f"| {scenario} | " + " | ".join(f"{v:,.3f}" for v in row.values) + " |")
    return "\n".join(lines) + "\n"


def figure(metrics: pd.DataFrame, path: Path) -> None:
    """Hospital use and cost per head by year, one line per scenario."""
    sel = metrics[(metrics["system"] == "all") & (metrics["group"] == "all")]
    fig, axes = plt.subplots(2, 2, figsize=(13, 9), constrained_layout=True)
    for ax, (metric, title) in zip(axes.ravel(), FIGURE_PANELS, strict=True):
        data = sel[sel["metric"] == metric].groupby(["scenario", "year"], sort=False)["value"].mean()
        for scenario in dict.fromkeys(sel["scenario"]):
            series = data.loc[scenario]
            ax.plot(series.index, series.values, marker="o", linewidth=2.5, label=scenario)
        ax.set_title(title, fontsize=15)
        ax.set_xlabel("Simulated year", fontsize=13)
        ax.tick_params(labelsize=12)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=11)
    fig.suptitle("icsim scenario comparison (whole population)", fontsize=17)
    buf = __import__("io").BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


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
