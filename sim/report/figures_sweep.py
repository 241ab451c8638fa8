"""Sweep figures: a headline metric against each swept parameter, one line per system.

An ``icsim sweep`` folder holds ``results.parquet`` (the run columns and one column per
swept key) and ``sweep.json`` (which keys were swept). Each figure takes one swept key:
final-year values, mean and 90% band across replicates, with the other swept keys' values
pooled (the note says so), so a parameter's effect is read along the x axis.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.engine.metric_catalogue import METRIC_CATALOGUE
from sim.report.results import interval, read_json, read_metrics, system_names
from sim.report.style import SOURCE, Palette, draw_line, label, legend_below, new_figure

SWEEP_METRICS = (
    "cost_per_capita",
    "resource_cost_per_capita",
    "emergency_admissions_per_1000",
    "waiting_weeks",
    "unmet_need_per_1000",
    "amenable_deaths_per_1000",
)
"""Headline metrics drawn against each swept parameter."""


def load_sweep(folder: str | Path) -> tuple[pd.DataFrame, list[str]] | None:
    """A sweep folder's results and swept keys, or ``None`` if ``folder`` holds no sweep."""
    root = Path(folder)
    if not ((root / "results.parquet").is_file() and (root / "sweep.json").is_file()):
        return None
    keys = list(read_json(root / "sweep.json").get("swept", []))
    results = read_metrics(root / "results.parquet")
    for col in ("scenario", "system", "group", "metric"):
        results[col] = results[col].astype(str)
    return results, keys


def sweep_figure(
    results: pd.DataFrame, key: str, keys: list[str], integration: dict[str, str] | None = None
) -> Figure:
    """The headline metrics against one swept key, final year, whole population."""
    last = int(results["year"].max())
    final = results[(results["year"] == last) & (results["group"] == "all")]
    numeric = pd.api.types.is_numeric_dtype(final[key])
    values = sorted(final[key].unique()) if numeric else list(dict.fromkeys(final[key]))
    # numbers at their values, so uneven steps look uneven; categories evenly spaced
    ticks = [float(v) for v in values] if numeric else list(range(len(values)))
    final = final.assign(_x=final[key].map(dict(zip(values, ticks, strict=True))))
    others = [k for k in keys if k != key]
    replicates = int(final["replicate"].nunique())
    pooled = f" Other swept keys pooled: {', '.join(others)}." if others else ""
    fig, panel = new_figure(
        22,
        11.5,
        title=f"Sweep over {key}, year {last}",
        note=f"{SOURCE} ({replicates} replicates; bands: 90% interval (5th-95th percentile) "
        f"across replicates).{pooled}",
    )
    axes = panel.subplots(2, 3).ravel()
    palette = Palette(integration=dict(integration or {}))
    systems = system_names(final, with_all=True)
    for ax, metric in zip(axes, SWEEP_METRICS, strict=True):
        rows = final[final["metric"] == metric]
        stats = interval(rows, ["system", "_x"])
        for system in systems:
            line = stats[stats["system"] == system].sort_values("_x")
            if len(line):
                draw_line(ax, line, system, palette, x="_x")
        info = METRIC_CATALOGUE[metric]
        ax.set_title(label(metric))
        ax.set_ylabel(f"({info.unit})")
        ax.set_xticks(ticks, [f"{v:g}" if numeric else str(v) for v in values])
        ax.set_xlabel(key)
    legend_below(panel, axes)
    return fig
