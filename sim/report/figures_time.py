"""Figures over the simulated years: enrolment, hospital use, cost, selection, switching.

Each draws one line per scenario (or, for a single scenario, per system) with its 90%
band across replicates; :func:`comparison_lines` is the ``comparison.png`` of
``icsim compare``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.report.drawing import grouped_bars
from sim.report.results import (
    Results,
    final_by_group,
    from_metrics,
    interval,
    metric_rows,
    select_metric,
    series,
    system_names,
)
from sim.report.style import (
    draw_line,
    gbp,
    label,
    legend_below,
    new_figure,
    panel_grid,
    percent_axis,
    style,
    year_axis,
)


def _systems_per_scenario(
    results: Results,
    metric: str,
    *,
    title: str,
    note: str,
    ylabel: str,
    extra_height: float,
    with_all: bool = False,
    scale: float = 1.0,
    decorate: Callable[[Axes], None] | None = None,
) -> Figure:
    """One panel per scenario, one line per system over the years: the layout of the
    enrolment and selection figures. ``decorate`` adds each panel's own axis touches."""
    n = len(results.scenarios)
    cols = min(n, 3)
    fig, panel = new_figure(
        6.2 * cols + 1.5,
        5.2 * int(np.ceil(n / cols)) + extra_height,
        title=title,
        note=results.source(note),
    )
    axes = panel_grid(panel, n)
    m = results.metrics
    for ax, scenario in zip(axes, results.scenarios, strict=True):
        sub = m[m["scenario"] == scenario]
        stats = interval(select_metric(sub, metric), ["system", "year"])
        for system in system_names(sub, with_all=with_all):
            draw_line(
                ax,
                stats[stats["system"] == system].sort_values("year"),
                system,
                results.palette,
                scale=scale,
            )
        if decorate is not None:
            decorate(ax)
        ax.set_title(label(scenario))
        year_axis(ax)
    for ax in axes[::cols]:
        ax.set_ylabel(ylabel)
    legend_below(panel, axes)
    return fig


def _metric_lines(
    results: Results, axes: Iterable[Axes], panels: Iterable[tuple[str, str, str]]
) -> None:
    """One panel per (metric, title, y label), one line per scenario (or system)."""
    for ax, (metric, title, ylabel) in zip(axes, panels, strict=True):
        for name, stats in series(results, metric).items():
            draw_line(ax, stats, name, results.palette)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        year_axis(ax)


def enrolment_shares(results: Results) -> Figure:
    """Who is enrolled where, year by year: one panel per scenario, one line per system."""

    def shares_axis(ax: Axes) -> None:
        ax.set_ylim(-2, 102)
        percent_axis(ax)

    return _systems_per_scenario(
        results,
        "enrolment_share",
        title="Enrolment shares over time",
        note="Share of the whole population enrolled with each system at the end of each "
        "year's choice.",
        ylabel="Enrolment share\n(% of population)",
        extra_height=2.2,
        scale=100,
        decorate=shares_axis,
    )


def hospital_use(results: Results) -> Figure:
    """Emergency admissions and bed days per 1,000 by regime, with uncertainty bands."""
    by = "regime" if results.by == "scenario" else "system"
    fig, panel = new_figure(
        15,
        7.4,
        title=f"Hospital use by {by}",
        note=results.source(
            "Fragmented-tariff baseline calibrated to England: 99 emergency admissions per 1,000 "
            "(calibration_targets 4.8), 5.8-day emergency stay (4.13)."
        ),
    )
    axes = panel.subplots(1, 2)
    _metric_lines(
        results,
        axes,
        (
            (
                "emergency_admissions_per_1000",
                "Emergency admissions",
                "Emergency admissions\n(per 1,000 people per year)",
            ),
            ("bed_days_per_1000", "Hospital bed days", "Bed days\n(per 1,000 people per year)"),
        ),
    )
    legend_below(panel, axes)
    return fig


def cost_per_capita(results: Results) -> Figure:
    """Commissioner spend per head by regime, with uncertainty bands."""
    fig, panel = new_figure(
        12,
        7.4,
        title="Cost per capita",
        note=results.source(
            "Commissioner spend per head at national tariff prices (calibration_targets 4.10, "
            "4.21) or capitation."
        ),
    )
    ax = panel.subplots()
    for name, stats in series(results, "cost_per_capita").items():
        draw_line(ax, stats, name, results.palette)
    ax.set_ylabel("Commissioner spend per head\n(GBP per person per year)")
    ax.yaxis.set_major_formatter(gbp())
    year_axis(ax)
    legend_below(panel, [ax])
    return fig


def selection(results: Results) -> Figure:
    """Risk selection: the mean risk of each system's enrolees, one panel per scenario."""
    return _systems_per_scenario(
        results,
        "mean_risk",
        title="Selection: mean risk of enrolees by system",
        note="Risk score: a patient's expected annual cost at national prices relative to the "
        "England mean (= 1).",
        ylabel="Mean risk score\n(expected cost / England mean)",
        extra_height=2.4,
        with_all=True,
        decorate=lambda ax: ax.axhline(1.0, color="#555555", linewidth=1.5, linestyle=":"),
    )


def switching(results: Results) -> Figure:
    """How many patients change system each year, and how age holds them back."""
    fig, panel = new_figure(
        15,
        7.4,
        title="Switching between systems",
        note=results.source(
            "Annual switching calibrated to about 5-10% where choice is open (calibration_targets "
            "5.5-5.7); older patients switch less (5.4)."
        ),
    )
    axes = panel.subplots(1, 2)
    for name, stats in series(results, "switching_rate").items():
        draw_line(axes[0], stats, name, results.palette, scale=100)
    axes[0].set_title("Whole population, by year")
    axes[0].set_ylabel("Patients who switched\n(% of enrolees per year)")
    percent_axis(axes[0])
    axes[0].set_ylim(bottom=0)
    year_axis(axes[0])
    last = int(results.metrics["year"].max())
    groups = {"age_0_64": "Aged 0-64", "age_65_plus": "Aged 65+"}
    bars = final_by_group(
        results, metric_rows(results.metrics, "switching_rate"), list(groups), last
    )
    for df in bars.values():
        df["category"] = df["category"].map(groups)
    grouped_bars(axes[1], list(groups.values()), bars, results.palette, scale=100)
    axes[1].set_title(f"By age, year {last}")
    axes[1].set_ylabel("Patients who switched\n(% of enrolees per year)")
    axes[1].set_xlabel("Age band (years)")
    percent_axis(axes[1])
    legend_below(panel, axes[:1])
    return fig


def comparison_lines(metrics: pd.DataFrame) -> Figure:
    """Hospital use and cost per head by year, one line per scenario (``comparison.png``)."""
    results = from_metrics(metrics)
    panels = (
        ("emergency_admissions_per_1000", "Emergency admissions", "per 1,000 people per year"),
        ("bed_days_per_1000", "Bed days", "per 1,000 people per year"),
        ("elective_admissions_per_1000", "Elective admissions", "per 1,000 people per year"),
        ("cost_per_capita", "Commissioner spend per head", "GBP per person per year"),
    )
    with style():
        fig, panel = new_figure(
            15, 11, title="Scenario comparison (whole population)", note=results.source()
        )
        axes = panel.subplots(2, 2).ravel()
        _metric_lines(results, axes, panels)
        legend_below(panel, axes)
    return fig
