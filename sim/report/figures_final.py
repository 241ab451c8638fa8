"""Final-year figures: equity by deprivation quintile and the one-page comparison panel."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from matplotlib.figure import Figure

from sim.report.drawing import dot_rows, grouped_bars
from sim.report.results import (
    Results,
    final_by_group,
    icp_share,
    interval,
    metric_rows,
    system_names,
)
from sim.report.style import gbp, label, legend_below, new_figure, percent_axis


def equity(results: Results) -> Figure:
    """Equity by deprivation quintile: avoidable admissions, spend and ICP enrolment."""
    fig, panel = new_figure(
        20,
        7.8,
        title="Equity by deprivation quintile",
        note=results.source(
            "IMD quintile 1 = most deprived. Avoidable (ACSC) admissions more than double in the "
            "most deprived areas (calibration_targets 4.29-4.30)."
        ),
    )
    axes = panel.subplots(1, 3)
    m = results.metrics
    last = int(m["year"].max())
    quintiles = [f"imd_q{q}" for q in range(1, 6)]
    names = [f"Q{q}" for q in range(1, 6)]
    names[0], names[-1] = "Q1\nmost", "Q5\nleast"

    def relabel(stats: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        for df in stats.values():
            df["category"] = df["category"].map(dict(zip(quintiles, names, strict=True)))
        return stats

    panels: list[tuple[str, str, Callable[[], dict[str, pd.DataFrame]], float]] = [
        (
            "Avoidable emergency\nadmissions",
            "ACSC admissions\n(per 1,000 people per year)",
            lambda: final_by_group(
                results, metric_rows(m, "avoidable_emergency_admissions_per_1000"), quintiles, last
            ),
            1.0,
        ),
        (
            "Commissioner spend",
            "Spend per head\n(GBP per person per year)",
            lambda: final_by_group(results, metric_rows(m, "cost_per_capita"), quintiles, last),
            1.0,
        ),
    ]
    if results.by == "scenario":
        panels.append(
            (
                "Enrolled in an ICP",
                "Enrolled in an ICP\n(% of quintile)",
                lambda: final_by_group(results, icp_share(m), quintiles, last),
                100.0,
            )
        )
    else:
        panels.append(
            (
                "Enrolment share",
                "Enrolment share\n(% of quintile)",
                lambda: final_by_group(results, metric_rows(m, "enrolment_share"), quintiles, last),
                100.0,
            )
        )
    for ax, (title, ylabel, get, scale) in zip(axes, panels, strict=True):
        grouped_bars(ax, names, relabel(get()), results.palette, scale=scale)
        ax.set_title(f"{title}, year {last}")
        ax.set_ylabel(ylabel)
        ax.set_xlabel("Deprivation quintile (IMD)")
    axes[1].yaxis.set_major_formatter(gbp())
    percent_axis(axes[2])
    legend_below(panel, axes[:1])
    return fig


COMPARISON_PANELS = (
    ("emergency_admissions_per_1000", "Emergency admissions", "per 1,000 per year", 1.0, "{:,.1f}"),
    (
        "avoidable_emergency_admissions_per_1000",
        "Avoidable admissions",
        "per 1,000 per year",
        1.0,
        "{:,.1f}",
    ),
    ("bed_days_per_1000", "Bed days", "per 1,000 per year", 1.0, "{:,.0f}"),
    ("waiting_weeks", "Elective wait", "weeks", 1.0, "{:.1f}"),
    ("unmet_need_per_1000", "Unmet elective need", "per 1,000 per year", 1.0, "{:,.1f}"),
    ("amenable_deaths_per_1000", "Amenable deaths", "per 1,000 per year", 1.0, "{:.2f}"),
    ("qalys_lost_per_capita", "QALYs lost", "per 1,000 people per year", 1000.0, "{:,.1f}"),
    ("quality", "Quality index", "index, 0-1", 1.0, "{:.2f}"),
    ("cost_per_capita", "Commissioner spend", "GBP per person per year", 1.0, "£{:,.0f}"),
    ("resource_cost_per_capita", "Resource cost", "GBP per person per year", 1.0, "£{:,.0f}"),
    ("switching_rate", "Switching", "% of enrolees per year", 100.0, "{:.1f}%"),
    ("icp_share", "Enrolled in an ICP", "% of population", 100.0, "{:.0f}%"),
)
"""(metric, title, unit, scale, format) of each panel: activity, health, then money."""


def comparison_panel(results: Results) -> Figure:
    """One page comparing scenarios (or systems) on the final year's key measures.

    Health sits beside cost so a regime that saves money by withholding care shows what
    it costs in health. Dots with 90% whiskers on axes that span the values (not bars from
    zero, which make 103 and 97.6 look alike), with each row's difference from the
    baseline (the first scenario, or the whole population) printed in percent.
    """
    last = int(results.metrics["year"].max())
    what = "scenario" if results.by == "scenario" else "system"
    heading = (
        f"Scenario comparison, year {last}"
        if what == "scenario"
        else f"{label(results.scenarios[0])}: systems compared, year {last}"
    )
    reference = results.baseline if what == "scenario" else "all"
    fig, panel = new_figure(
        22,
        15.5,
        title=heading,
        note=results.source(
            f"Whole population in the final simulated year. Dashed line and percentages: "
            f"difference from {label(reference)}. Axes span the values, not from zero."
        ),
    )
    axes = panel.subplots(3, 4).ravel()
    m = results.metrics
    final = m[(m["year"] == last) & (m["group"] == "all")]
    for ax, (metric, title, unit, scale, fmt) in zip(axes, COMPARISON_PANELS, strict=True):
        if metric == "icp_share":
            if what == "scenario":
                data = icp_share(m)
                data = data[(data["year"] == last) & (data["group"] == "all")]
            else:
                data = final[final["metric"] == "enrolment_share"]
                title, unit = "Enrolment share", "% of population"
        else:
            data = final[final["metric"] == metric]
        if what == "scenario":
            if "system" in data:
                data = data[data["system"] == "all"]
            keys = results.scenarios
        else:
            keys = system_names(final, with_all=metric != "icp_share")
        stats = interval(data, [what]).set_index(what)
        dot_rows(
            ax,
            stats,
            keys,
            results.palette,
            scale=scale,
            fmt=fmt,
            reference=reference if metric != "icp_share" else None,
        )
        ax.set_title(title)
        ax.set_xlabel(unit)
    legend_below(panel, axes)
    return fig
