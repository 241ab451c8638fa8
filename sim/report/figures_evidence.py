"""Figures of the validation report and of a probabilistic sensitivity analysis.

A validation row checked in every year is drawn as the model's mean by year with its 90%
band across replicates, over the target's band; a row checked once (a comparison) as a dot
with its whisker beside the band. A PSA figure shows each scenario difference with two
intervals: the stochastic-only one (replicate noise) and the combined one (parameters too).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.engine.metric_catalogue import METRIC_CATALOGUE
from sim.experiments.targets import Measured, Target
from sim.report.style import OKABE_ITO, YEAR_LABEL, label, new_figure, style, year_axis

BAND_COLOUR = "#bbbbbb"
VERDICT_COLOUR = {"match": OKABE_ITO["green"], "miss": OKABE_ITO["vermillion"]}


def _unit(row: Target) -> str:
    if row.baseline:
        return "relative difference from the baseline"
    return f"{row.metric} / {row.denominator}" if row.denominator else label(row.metric)


def _shade_band(ax, row: Target, horizontal: bool) -> None:
    low, high = row.band()
    span = ax.axhspan if horizontal else ax.axvspan
    line = ax.axhline if horizontal else ax.axvline
    if np.isfinite(low) and np.isfinite(high):
        span(low, high, color=BAND_COLOUR, alpha=0.45, linewidth=0, label="target band")
    for end in (low, high):
        if np.isfinite(end):
            line(end, color="#555555", linestyle="--", linewidth=1.5)
    if row.value is not None:
        line(row.value, color="#222222", linewidth=1.5, label="published figure")


def row_figure(row: Target, measured: Measured, verdict: str) -> Figure:
    """One validation row: the model against its band, and the source in the footer."""
    colour = VERDICT_COLOUR.get(verdict, OKABE_ITO["blue"])
    by_year = measured.by_year()
    with style():
        fig, panel = new_figure(
            11, 6.2, title=f"{row.name}: {verdict}", note=f"Source: {row.source}. icsim simulation."
        )
        ax = panel.subplots()
        if len(by_year) > 1:
            _shade_band(ax, row, horizontal=True)
            ax.plot(by_year["year"], by_year["mean"], color=colour, marker="o", label="model")
            ax.fill_between(
                by_year["year"],
                by_year["low"],
                by_year["high"],
                color=colour,
                alpha=0.2,
                label="90% of replicates",
            )
            ax.set_xlabel(YEAR_LABEL)
            ax.set_ylabel(_unit(row))
            year_axis(ax)
        else:
            _shade_band(ax, row, horizontal=False)
            r = by_year.iloc[0]
            err = [[r["mean"] - r["low"]], [r["high"] - r["mean"]]]
            ax.errorbar(
                r["mean"],
                0,
                xerr=err,
                fmt="o",
                color=colour,
                markersize=13,
                elinewidth=3,
                capsize=6,
                label=f"model, year {int(r['year'])}",
            )
            ax.set_yticks([])
            ax.set_xlabel(_unit(row))
            ax.margins(x=0.3)
        ax.legend(loc="best", fontsize=12)
    return fig


def psa_figure(summary: pd.DataFrame) -> Figure:
    """Each scenario difference: stochastic-only interval (thick) inside the combined (thin)."""
    metrics = list(dict.fromkeys(summary["metric"]))
    with style():
        fig, panel = new_figure(
            14,
            2.2 + 2.0 * len(metrics),
            title="Scenario differences: replicate noise and parameter uncertainty",
            note="Source: icsim probabilistic sensitivity analysis. Dot: mean difference over "
            "parameter sets and replicates. Thick bar: 90% interval of replicate noise alone; "
            "thin whisker: 90% interval with parameter uncertainty (law of total variance).",
        )
        axes = panel.subplots(len(metrics), 1, squeeze=False).ravel()
        for ax, metric in zip(axes, metrics, strict=True):
            part = summary[summary["metric"] == metric].reset_index(drop=True)
            y = np.arange(len(part))[::-1]
            for yi, (_, r) in zip(y, part.iterrows(), strict=True):
                ax.plot(
                    [r.combined_low, r.combined_high],
                    [yi, yi],
                    color=OKABE_ITO["blue"],
                    linewidth=2,
                    label="with parameter uncertainty",
                )
                ax.plot(
                    [r.stochastic_low, r.stochastic_high],
                    [yi, yi],
                    color=OKABE_ITO["orange"],
                    linewidth=9,
                    alpha=0.8,
                    label="replicate noise only",
                )
                ax.plot(r["mean"], yi, "o", color="#222222", markersize=10)
            ax.axvline(0.0, color="#222222", linewidth=1.2, zorder=0)
            ax.set_yticks(y, [label(s) for s in part["comparison"]], fontsize=12)
            ax.set_ylim(-0.7, len(part) - 0.3)
            ax.set_title(label(metric), fontsize=14)
            unit = METRIC_CATALOGUE[metric].unit if metric in METRIC_CATALOGUE else "its unit"
            ax.set_xlabel(f"difference ({unit})", fontsize=13)
        handles, labels = axes[0].get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        axes[0].legend(unique.values(), unique.keys(), loc="best", fontsize=12)
    return fig
