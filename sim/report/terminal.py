"""Tables printed to the terminal by ``icsim``: numbers to three places, intervals as text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.config.catalogue import list_scenarios
from sim.config.declare import iter_parameters
from sim.config.scenario import Scenario
from sim.engine.metric_catalogue import METRIC_CATALOGUE


def cell(value: object) -> str:
    """Text as it is; numbers with thousands separators and three decimals; gaps blank."""
    if isinstance(value, str):
        return value
    return f"{value:,.3f}" if pd.notna(value) else ""


def row_name(name: object) -> str:
    """A row's name, with the metric's unit (from the metric catalogue) under it."""
    info = METRIC_CATALOGUE.get(str(name))
    return f"{name}\n[dim]({escape(info.unit)})[/]" if info else escape(str(name))


def print_table(console: Console, df: pd.DataFrame, title: str) -> None:
    """A frame as a rich table: its index first (metrics with their units), every other
    column right-aligned; long names wrap rather than being cut, so the table fits the
    terminal's width."""
    table = Table(title=title, show_lines=False)
    table.add_column(df.index.name or "", overflow="fold")
    for col in df.columns:
        table.add_column(str(col), justify="right", overflow="fold")
    for idx, row in df.iterrows():
        table.add_row(row_name(idx), *[cell(v) for v in row.values])
    console.print(table)


def difference_view(
    differences: pd.DataFrame, baseline: str, order: list[str] | None = None
) -> pd.DataFrame:
    """Final-year, whole-population differences from ``baseline``: one column per scenario
    (in ``order``, the order given, when known), each cell ``mean [low, high]`` over the
    replicate-by-replicate differences."""
    # Imported here: sim.experiments loads Dask, which the quick commands do not need.
    from sim.experiments.summary import COMPARE_SHOWN, fmt_interval

    sel = differences[
        (differences["year"] == differences["year"].max())
        & (differences["system"] == "all")
        & (differences["group"] == "all")
    ]
    sel = sel.assign(
        cell=[
            fmt_interval(m, lo, hi)
            for m, lo, hi in zip(sel["mean"], sel["low"], sel["high"], strict=True)
        ]
    )
    view = sel.pivot(index="metric", columns="scenario", values="cell")
    if order is not None:
        view = view[[s for s in order if s in view.columns]]
    view.columns = [f"{c} - {baseline}" for c in view.columns]
    return view.reindex([m for m in COMPARE_SHOWN if m in view.index])


def parameter_table(scenario: Scenario) -> Table:
    """Every declared parameter: key, value, unit, and its source or assumption range."""
    table = Table(title="icsim parameters", show_lines=False)
    for col in ("key", "value", "unit", "source / assumption"):
        table.add_column(col, overflow="fold")
    for p in iter_parameters(scenario):
        table.add_row(p.key, f"{p.value}", p.unit, p.evidence + (f" ({p.note})" if p.note else ""))
    return table


def scenario_table(folder: Path) -> Table:
    """Every scenario file in ``folder``: name, description (or why it is invalid), sources."""
    table = Table(title=f"icsim scenarios in {folder}", show_lines=False)
    for col in ("scenario", "description", "sources"):
        table.add_column(col, overflow="fold")
    for info in list_scenarios(folder):
        table.add_row(
            info.name, info.description or f"[red]invalid:[/] {info.error}", "; ".join(info.sources)
        )
    return table
