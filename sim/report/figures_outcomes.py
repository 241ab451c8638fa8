"""Outcome figures: health by regime, and each scenario's paired difference from the baseline.

``health_outcomes`` puts deaths and QALYs side by side for every scenario (or system), so
a regime that cuts care shows its health cost. ``forest`` draws, for the headline
metrics, each scenario's difference from the baseline taken replicate by replicate under
common random numbers, with its 90% interval as ``differences.csv`` reports it: an
interval clear of zero is a difference the mechanisms made, not chance.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sim.engine.metric_catalogue import METRIC_CATALOGUE
from sim.report.drawing import dot_rows
from sim.report.results import Results, interval, series, system_names
from sim.report.style import draw_line, label, legend_below, new_figure, year_axis

HEALTH_PANELS = (
    ("deaths_per_1000", "Deaths", "per 1,000 people per year", 1.0, "{:.2f}"),
    ("amenable_deaths_per_1000", "Amenable deaths", "per 1,000 people per year", 1.0, "{:.2f}"),
    ("qalys_per_capita", "QALYs lived", "QALYs per 1,000 people per year", 1000.0, "{:,.0f}"),
    ("qalys_lost_per_capita", "QALYs lost", "QALYs per 1,000 people per year", 1000.0, "{:,.1f}"),
)
"""(metric, title, unit, scale, format) of each panel of the health figure."""

FOREST_METRICS = (
    ("cost_per_capita", "Commissioner spend", 1.0, "{:+,.0f}"),
    ("resource_cost_per_capita", "Resource cost", 1.0, "{:+,.0f}"),
    ("emergency_admissions_per_1000", "Emergency admissions", 1.0, "{:+,.1f}"),
    ("bed_days_per_1000", "Bed days", 1.0, "{:+,.0f}"),
    ("waiting_weeks", "Elective wait", 1.0, "{:+.1f}"),
    ("unmet_need_per_1000", "Unmet elective need", 1.0, "{:+,.1f}"),
    ("amenable_deaths_per_1000", "Amenable deaths", 1.0, "{:+.3f}"),
    ("qalys_lost_per_capita", "QALYs lost (per 1,000)", 1000.0, "{:+,.2f}"),
)
"""(metric, title, scale, format) of the forest plot's headline metrics."""


def health_outcomes(results: Results) -> Figure:
    """Deaths, amenable deaths and QALYs by regime (or by system) in the final year."""
    last = int(results.metrics["year"].max())
    what = "scenario" if results.by == "scenario" else "system"
    reference = results.baseline if what == "scenario" else "all"
    fig, panel = new_figure(
        22,
        7.5,
        title=f"Health outcomes by {'regime' if what == 'scenario' else 'system'}, year {last}",
        note=results.source(
            "Amenable deaths: deaths timely care would have avoided. QALYs lost: against full "
            f"access to care. Dashed line and percentages: difference from {label(reference)}."
        ),
    )
    axes = panel.subplots(1, len(HEALTH_PANELS))
    m = results.metrics
    final = m[(m["year"] == last) & (m["group"] == "all")]
    keys = results.scenarios if what == "scenario" else system_names(final, with_all=True)
    for ax, (metric, title, unit, scale, fmt) in zip(axes, HEALTH_PANELS, strict=True):
        data = final[final["metric"] == metric]
        if what == "scenario":
            data = data[data["system"] == "all"]
        stats = interval(data, [what]).set_index(what)
        dot_rows(ax, stats, keys, results.palette, scale=scale, fmt=fmt, reference=reference)
        ax.set_title(title)
        ax.set_xlabel(unit)
    legend_below(panel, axes)
    return fig


def forest_data(results: Results) -> dict[str, pd.DataFrame]:
    """Final-year paired differences (whole population) by metric, indexed by scenario.

    Columns ``mean``, ``lo``, ``hi`` and ``n`` (replicates), from :meth:`Results.paired`.
    """
    diffs = results.paired()
    last = int(diffs["year"].max())
    sel = diffs[(diffs["year"] == last) & (diffs["system"] == "all") & (diffs["group"] == "all")]
    out = {}
    for metric, *_ in FOREST_METRICS:
        rows = sel[sel["metric"] == metric].set_index("scenario")
        out[metric] = rows.rename(columns={"low": "lo", "high": "hi", "replicates": "n"})
    return out


def forest(results: Results) -> Figure:
    """Each scenario's difference from the baseline with its 90% interval, headline metrics."""
    data = forest_data(results)
    keys = [s for s in results.scenarios if s != results.baseline]
    last = int(results.paired()["year"].max())
    fig, panel = new_figure(
        22,
        5.0 + 1.3 * len(keys),
        title=f"Difference from {label(results.baseline)}, year {last}",
        note=results.source(
            "Each scenario minus the baseline, replicate by replicate (common random numbers): "
            "mean and 90% interval of the paired differences (differences.csv). An interval "
            "clear of the zero line is a difference the mechanisms made, not chance."
        ),
    )
    axes = panel.subplots(2, 4).ravel()
    for ax, (metric, title, scale, fmt) in zip(axes, FOREST_METRICS, strict=True):
        dot_rows(ax, data[metric], keys, results.palette, scale=scale, fmt=fmt, zero=True)
        ax.set_title(title)
        unit = METRIC_CATALOGUE[metric].unit
        if scale == 1000.0:
            unit = unit.replace("per person", "per 1,000 people")
        ax.set_xlabel(f"Difference\n({unit})")
    legend_below(panel, axes)
    return fig


def metric_over_time(results: Results, metric: str) -> Figure:
    """Any one metric by year, one line per scenario (or system), with its 90% band."""
    info = METRIC_CATALOGUE.get(metric)
    if info is None or not (results.metrics["metric"] == metric).any():
        raise ValueError(f"--metric {metric}: these results hold no metric of that name")
    fig, panel = new_figure(
        14, 8.5, title=f"{label(metric)}, whole population", note=results.source(info.definition)
    )
    ax = panel.subplots()
    for name, stats in series(results, metric).items():
        draw_line(ax, stats, name, results.palette)
    ax.set_ylabel(f"{label(metric)}\n({info.unit})")
    year_axis(ax)
    legend_below(panel, [ax])
    return fig
