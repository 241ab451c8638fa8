"""Seminar figures: the whole set, written as PNG, SVG and PDF; the one import for figures.

Bands are the 90% interval (5th to 95th percentile) across replicates; with one
replicate only the line is drawn.

:func:`plot_results` reads the ``metrics.parquet`` of an ``icsim run`` folder, or of each
scenario folder of an ``icsim compare`` folder, and writes every figure as PNG, SVG and
PDF. Figures are built on :class:`matplotlib.figure.Figure`, not pyplot, so the
dashboard can draw them from server threads without global state.

The pieces live by concept and are re-exported here, so notebooks and the dashboard
need only ``from sim.report import plots``: :mod:`sim.report.style` (the look and the
drawing helpers), :mod:`sim.report.results` (reading results, replicate intervals),
:mod:`sim.report.figures_time` (figures over the years) and
:mod:`sim.report.figures_final` (final-year figures).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.base.files import atomic_write_bytes
from sim.report.drawing import grouped_bars
from sim.report.figures_final import COMPARISON_PANELS, comparison_panel, equity
from sim.report.figures_outcomes import (
    FOREST_METRICS,
    HEALTH_PANELS,
    forest,
    health_outcomes,
    metric_over_time,
)
from sim.report.figures_sweep import SWEEP_METRICS, load_sweep, sweep_figure
from sim.report.figures_time import (
    comparison_lines,
    cost_per_capita,
    enrolment_shares,
    hospital_use,
    selection,
    switching,
)
from sim.report.figures_tornado import load_indices, tornado
from sim.report.results import (
    Results,
    from_metrics,
    icp_share,
    integration_of,
    interval,
    load_results,
    read_integration,
    series,
    until_year,
)
from sim.report.style import (
    BASELINE_GREY,
    FIXED_COLOURS,
    LABELS,
    MARKERS,
    OKABE_ITO,
    SCENARIO_COLOURS,
    SOURCE,
    STYLE,
    SYSTEM_COLOURS,
    SYSTEM_CYCLE,
    YEAR_LABEL,
    Palette,
    draw_line,
    gbp,
    label,
    legend_below,
    new_figure,
    panel_grid,
    percent_axis,
    style,
    system_colour,
    year_axis,
)

__all__ = [
    "COMPARISON_PANELS",
    "FIGURES",
    "CHOICE_FIGURES",
    "COMPARISON_ONLY",
    "FIXED_COLOURS",
    "FOREST_METRICS",
    "FORMATS",
    "HEALTH_PANELS",
    "LABELS",
    "MARKERS",
    "OKABE_ITO",
    "OUTCOME_FIGURES",
    "SOURCE",
    "SYSTEM_COLOURS",
    "SYSTEM_CYCLE",
    "SCENARIO_COLOURS",
    "BASELINE_GREY",
    "system_colour",
    "STYLE",
    "YEAR_LABEL",
    "Palette",
    "Results",
    "comparison_lines",
    "comparison_panel",
    "cost_per_capita",
    "draw_line",
    "enrolment_shares",
    "equity",
    "figures_for",
    "forest",
    "from_metrics",
    "gbp",
    "grouped_bars",
    "health_outcomes",
    "hospital_use",
    "icp_share",
    "integration_of",
    "interval",
    "label",
    "legend_below",
    "load_results",
    "make_figures",
    "metric_over_time",
    "new_figure",
    "not_applicable",
    "panel_grid",
    "percent_axis",
    "plot_command",
    "plot_results",
    "save",
    "selection",
    "series",
    "style",
    "SWEEP_METRICS",
    "switching",
    "sweep_figure",
    "tornado",
    "write_sensitivity_figure",
    "year_axis",
]

FORMATS = ("png", "svg", "pdf")
_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
}


FIGURES: dict[str, Callable[[Results], Figure]] = {
    "enrolment_shares": enrolment_shares,
    "hospital_use": hospital_use,
    "cost_per_capita": cost_per_capita,
    "selection": selection,
    "switching": switching,
    "equity": equity,
    "comparison_panel": comparison_panel,
    "health_outcomes": health_outcomes,
    "forest": forest,
}
"""Every figure ``icsim plot`` can write, by file stem."""

COMPARISON_ONLY = frozenset({"forest"})
"""Figures of differences between scenarios: drawn only for a comparison."""

OUTCOME_FIGURES = ("comparison_panel", "health_outcomes", "forest")
"""The figures ``icsim compare`` writes itself, beside its table."""


CHOICE_FIGURES = frozenset({"enrolment_shares", "selection", "switching"})
"""Figures of patients choosing between systems: drawn only where there is a choice."""


def not_applicable(results: Results) -> dict[str, str]:
    """Figures that make no sense for these results, with the reason."""
    out = {}
    if results.by != "scenario":
        out |= dict.fromkeys(COMPARISON_ONLY, "a single scenario has no differences to draw")
    if not set(results.metrics["system"]) - {"fragmented", "all"}:
        out |= dict.fromkeys(CHOICE_FIGURES, "no scenario offers patients a choice of system")
    return out


def figures_for(results: Results, names: Iterable[str] | None = None) -> list[str]:
    """The named figures (default: all) that make sense for these results, in order."""
    wanted = list(names) if names is not None else list(FIGURES)
    unknown = [n for n in wanted if n not in FIGURES]
    if unknown:
        raise ValueError(
            f"--figures {', '.join(unknown)}: no such figure; choose from {', '.join(FIGURES)}"
        )
    skip = not_applicable(results)
    return [n for n in wanted if n not in skip]


# --------------------------------------------------------------------------- writing


def save(fig: Figure, stem: Path, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write a figure in each format, each file atomically; returns the paths."""
    paths = []
    for fmt in formats:
        buf = io.BytesIO()
        with style():
            fig.savefig(buf, format=fmt, metadata=_METADATA.get(fmt))
        path = stem.with_suffix(f".{fmt}")
        atomic_write_bytes(path, buf.getvalue())
        paths.append(path)
    return paths


def write_sensitivity_figure(
    indices: pd.DataFrame, folder: str | Path, formats: Iterable[str] = FORMATS
) -> list[Path]:
    """``sensitivity.png`` (and SVG, PDF) of an ``icsim sensitivity`` folder: the tornado
    chart of its indices in the house style."""
    with style():
        fig = tornado(indices, title="Sensitivity: parameters ranked by their index, final year")
    return save(fig, Path(folder) / "sensitivity", formats)


def make_figures(results: Results, names: Iterable[str] | None = None) -> dict[str, Figure]:
    """Build the named figures (default: all) in the shared style."""
    with style():
        return {name: FIGURES[name](results) for name in figures_for(results, names)}


def plot_results(
    results_dir: str | Path,
    out_dir: str | Path | None = None,
    formats: Iterable[str] = FORMATS,
    names: Iterable[str] | None = None,
    *,
    year: int | None = None,
    metrics: Iterable[str] = (),
) -> list[Path]:
    """Write the figure set (default: every figure that applies) for a ``run`` or ``compare``
    folder; returns the files. Comparison-only figures are left out for a single scenario.

    ``year`` makes that year the final one (figures over time stop there); each of
    ``metrics`` adds a figure ``metric_<name>`` of that metric by year.
    """
    formats = list(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"--format {', '.join(bad)}: choose from {', '.join(FORMATS)}")
    out = Path(out_dir) if out_dir is not None else Path(results_dir) / "figures"
    indices = load_indices(results_dir)
    if indices is not None:  # a sensitivity folder: the tornado chart
        with style():
            fig = tornado(indices)
        return save(fig, out / "tornado", formats)
    sweep = load_sweep(results_dir)
    if sweep is not None:  # a sweep folder: the headline metrics against each swept key
        frame, keys = sweep
        if year is not None:
            frame = frame[frame["year"] <= year]
        written = []
        for key in keys:
            with style():
                fig = sweep_figure(frame, key, keys, read_integration(Path(results_dir)))
            written += save(fig, out / f"sweep_{key.replace('.', '_')}", formats)
        return written
    results = load_results(results_dir)
    if year is not None:
        results = until_year(results, year)
    chosen = figures_for(results, names)
    with style():
        built = [(f"metric_{m}", metric_over_time(results, m)) for m in metrics]
    written: list[Path] = []
    for name in chosen:
        with style():
            fig = FIGURES[name](results)
        written += save(fig, out / name, formats)
    for name, fig in built:
        written += save(fig, out / name, formats)
    return written


def plot_command(
    results_dir: str | Path,
    out_dir: str | Path | None = None,
    figures: str | None = None,
    formats: str = ",".join(FORMATS),
    year: int | None = None,
    metrics: Iterable[str] = (),
) -> str:
    """``icsim plot``: comma-separated figures and formats in, the figures written, a line out.

    Raises ``ValueError`` (an unknown figure, format, year or metric) or
    ``FileNotFoundError`` (no results) with a message naming the option.
    """
    names = [n.strip() for n in figures.split(",") if n.strip()] if figures else None
    kinds = [f.strip().lower() for f in formats.split(",") if f.strip()]
    written = plot_results(results_dir, out_dir, kinds, names, year=year, metrics=metrics)
    folder = written[0].parent if written else out_dir
    stems = list(dict.fromkeys(p.stem for p in written))
    text = (
        f"Wrote {len(stems)} figures ({', '.join(stems)}) as "
        f"{', '.join(f.upper() for f in kinds)} to {folder}/"
    )
    if load_sweep(results_dir) is not None or load_indices(results_dir) is not None:
        return text
    skipped = not_applicable(load_results(results_dir))
    notes = [f"{n}: {why}" for n, why in skipped.items() if names is None or n in names]
    return text + "".join(f"\nSkipped {note}" for note in sorted(notes))
