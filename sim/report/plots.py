"""Seminar figures: one function per figure, all in the shared style of :mod:`sim.report.style`.

Bands are the 90% interval (5th to 95th percentile) across replicates; with one
replicate only the line is drawn.

:func:`plot_results` reads the ``metrics.parquet`` of an ``icsim run`` folder, or of each
scenario folder of an ``icsim compare`` folder, and writes every figure as PNG, SVG and
PDF. Figures are built on :class:`matplotlib.figure.Figure`, not pyplot, so the
dashboard can draw them from server threads without global state.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.base.files import atomic_write_bytes
from sim.report.style import (  # noqa: F401  (re-exported: sim.report.plots is the one import for figures)
    FIXED_COLOURS,
    LABELS,
    MARKERS,
    OKABE_ITO,
    SOURCE,
    SPARE_COLOURS,
    STYLE,
    YEAR_LABEL,
    Palette,
    draw_line,
    gbp,
    grouped_bars,
    label,
    legend_below,
    new_figure,
    panel_grid,
    percent_axis,
    style,
    year_axis,
)

FORMATS = ("png", "svg", "pdf")
_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
}

# --------------------------------------------------------------------------- data


@dataclass
class Results:
    """Metrics from one or more scenario folders, with what the source note needs."""

    metrics: pd.DataFrame
    scenarios: list[str]
    patients: int | None = None
    replicates: int = 1
    palette: Palette = field(default_factory=Palette)

    @property
    def by(self) -> str:
        """Compare scenarios when there are several; otherwise the systems of the one."""
        return "scenario" if len(self.scenarios) > 1 else "system"

    def source(self, detail: str = "") -> str:
        """The footer note: where the numbers come from and what the bands mean."""
        size = f"{self.patients:,} patients, " if self.patients else ""
        reps = f"{self.replicates} replicate{'s' if self.replicates != 1 else ''}"
        bands = (
            "; bands: 90% interval (5th-95th percentile) across replicates"
            if self.replicates > 1
            else ""
        )
        text = f"{SOURCE} ({size}{reps}{bands})."
        return f"{text}\n{detail}" if detail else text


def from_metrics(metrics: pd.DataFrame, patients: int | None = None) -> Results:
    """Wrap a tidy metrics frame (as :func:`sim.engine.run.simulate` returns) for plotting."""
    scenarios = list(dict.fromkeys(metrics["scenario"].astype(str)))
    reps = (
        int(metrics.groupby("scenario", observed=True)["replicate"].nunique().min())
        if len(metrics)
        else 1
    )
    return Results(metrics, scenarios, patients, reps, Palette(frozenset(scenarios)))


def load_results(results_dir: str | Path) -> Results:
    """Read a ``run`` folder (metrics.parquet) or a ``compare`` folder (one per scenario)."""
    root = Path(results_dir)
    if (root / "metrics.parquet").is_file():
        folders = [root]
    elif root.is_dir():
        folders = [p for p in sorted(root.iterdir()) if (p / "metrics.parquet").is_file()]
    else:
        folders = []
    if not folders:
        raise FileNotFoundError(
            f"{root}: no metrics.parquet here or in its subfolders; give the output folder of "
            "'icsim run' or 'icsim compare'"
        )
    frames, patients = [], []
    for folder in folders:
        frames.append(pd.read_parquet(folder / "metrics.parquet"))
        info = folder / "run.json"
        if info.is_file():
            patients.append(json.loads(info.read_text()).get("patients"))
    metrics = pd.concat(frames, ignore_index=True)
    for col in ("scenario", "system", "group", "metric"):
        metrics[col] = metrics[col].astype(str)
    results = from_metrics(metrics, max((p for p in patients if p), default=None))
    order = root / "comparison.csv"
    if order.is_file():
        listed = [s for s in pd.read_csv(order)["scenario"].astype(str) if s in results.scenarios]
        results.scenarios = listed + [s for s in results.scenarios if s not in listed]
    return results


def interval(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean and 90% interval (5th, 95th percentile) of ``value`` across replicates."""
    grouped = df.groupby(keys, sort=False, observed=True)["value"]
    out = grouped.agg(
        mean="mean", lo=lambda v: v.quantile(0.05), hi=lambda v: v.quantile(0.95), n="count"
    )
    return out.reset_index()


def _select(
    metrics: pd.DataFrame, metric: str, *, system: str | None = None, group: str = "all"
) -> pd.DataFrame:
    sel = (metrics["metric"] == metric) & (metrics["group"] == group)
    if system is not None:
        sel &= metrics["system"] == system
    return metrics[sel]


def series(results: Results, metric: str, group: str = "all") -> dict[str, pd.DataFrame]:
    """Yearly mean and interval of a metric, one series per scenario (or per system)."""
    m = results.metrics
    if results.by == "scenario":
        stats = interval(_select(m, metric, system="all", group=group), ["scenario", "year"])
        keys = results.scenarios
    else:
        stats = interval(_select(m, metric, group=group), ["system", "year"])
        keys = _systems(m, with_all=True)
    return {
        k: stats[stats[results.by] == k].sort_values("year")
        for k in keys
        if (stats[results.by] == k).any()
    }


def _systems(metrics: pd.DataFrame, with_all: bool = False) -> list[str]:
    systems = list(dict.fromkeys(metrics["system"]))
    rest = [s for s in systems if s != "all"]
    return [*rest, "all"] if with_all and "all" in systems else rest


def icp_share(metrics: pd.DataFrame) -> pd.DataFrame:
    """Share of each group enrolled in any ICP, per scenario, replicate and year."""
    share = metrics[
        (metrics["metric"] == "enrolment_share") & ~metrics["system"].isin(["all", "fragmented"])
    ]
    out = share.groupby(["scenario", "replicate", "year", "group"], observed=True)["value"].sum()
    out = out.reset_index()
    # Scenarios without ICPs have none enrolled: give them explicit zeros.
    every = metrics[metrics["metric"] == "population"][["scenario", "replicate", "year", "group"]]
    every = every.drop_duplicates()
    out = every.merge(out, how="left", on=["scenario", "replicate", "year", "group"])
    out["value"] = out["value"].fillna(0.0)
    return out


# --------------------------------------------------------------------------- the figures


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
        stats = interval(_select(sub, metric), ["system", "year"])
        for system in _systems(sub, with_all=with_all):
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
    bars = _final_by_group(results, _metric(results.metrics, "switching_rate"), list(groups), last)
    for df in bars.values():
        df["category"] = df["category"].map(groups)
    grouped_bars(axes[1], list(groups.values()), bars, results.palette, scale=100)
    axes[1].set_title(f"By age, year {last}")
    axes[1].set_ylabel("Patients who switched\n(% of enrolees per year)")
    axes[1].set_xlabel("Age band (years)")
    percent_axis(axes[1])
    legend_below(panel, axes[:1])
    return fig


def _final_by_group(
    results: Results, frame: pd.DataFrame, groups: list[str], year: int
) -> dict[str, pd.DataFrame]:
    """Final-year mean and interval by group, one frame per series (column ``category``).

    ``frame`` holds one metric; without a ``system`` column it is compared by scenario.
    """
    df = frame[(frame["year"] == year) & frame["group"].isin(groups)]
    if results.by == "scenario" or "system" not in df:
        if "system" in df:
            df = df[df["system"] == "all"]
        col, keys = "scenario", results.scenarios
    else:
        col, keys = "system", _systems(df, with_all=True)
    stats = interval(df, [col, "group"]).rename(columns={"group": "category"})
    return {k: stats[stats[col] == k] for k in keys if (stats[col] == k).any()}


def _metric(metrics: pd.DataFrame, metric: str) -> pd.DataFrame:
    return metrics[metrics["metric"] == metric]


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
            lambda: _final_by_group(
                results, _metric(m, "avoidable_emergency_admissions_per_1000"), quintiles, last
            ),
            1.0,
        ),
        (
            "Commissioner spend",
            "Spend per head\n(GBP per person per year)",
            lambda: _final_by_group(results, _metric(m, "cost_per_capita"), quintiles, last),
            1.0,
        ),
    ]
    if results.by == "scenario":
        panels.append(
            (
                "Enrolled in an ICP",
                "Enrolled in an ICP\n(% of quintile)",
                lambda: _final_by_group(results, icp_share(m), quintiles, last),
                100.0,
            )
        )
    else:
        panels.append(
            (
                "Enrolment share",
                "Enrolment share\n(% of quintile)",
                lambda: _final_by_group(results, _metric(m, "enrolment_share"), quintiles, last),
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
    ("cost_per_capita", "Spend per head", "GBP per person per year", 1.0, "£{:,.0f}"),
    ("quality", "Quality index", "index, 0-1", 1.0, "{:.2f}"),
    ("waiting_weeks", "Elective wait", "weeks", 1.0, "{:.1f}"),
    ("switching_rate", "Switching", "% of enrolees per year", 100.0, "{:.1f}%"),
    ("icp_share", "Enrolled in an ICP", "% of population", 100.0, "{:.0f}%"),
)


def comparison_panel(results: Results) -> Figure:
    """One page comparing scenarios (or systems) on the final year's key measures."""
    last = int(results.metrics["year"].max())
    what = "scenario" if results.by == "scenario" else "system"
    heading = (
        f"Scenario comparison, year {last}"
        if what == "scenario"
        else f"{label(results.scenarios[0])}: systems compared, year {last}"
    )
    fig, panel = new_figure(
        20,
        11.5,
        title=heading,
        note=results.source("Whole population in the final simulated year."),
    )
    axes = panel.subplots(2, 4).ravel()
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
            keys = _systems(final, with_all=metric != "icp_share")
        stats = interval(data, [what]).set_index(what)
        keys = [k for k in keys if k in stats.index]
        y = np.arange(len(keys))[::-1]
        for yi, k in zip(y, keys, strict=True):
            row = stats.loc[k]
            colour, _ = results.palette(k)
            err = None
            if row["n"] > 1:
                err = [[(row["mean"] - row["lo"]) * scale], [(row["hi"] - row["mean"]) * scale]]
            ax.barh(
                yi,
                row["mean"] * scale,
                color=colour,
                label=label(k),
                xerr=err,
                capsize=5 if err else 0,
                error_kw={"elinewidth": 2, "ecolor": "#222222"},
            )
            end = max(row["mean"], row["hi"] if err else row["mean"]) * scale
            ax.annotate(
                fmt.format(row["mean"] * scale),
                (end, yi),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=14,
            )
        ax.set_title(title)
        ax.set_xlabel(unit)
        ax.set_yticks([])
        ax.grid(axis="y", visible=False)
        ax.margins(x=0.35)
        ax.set_xlim(left=0)
    legend_below(panel, axes)
    return fig


FIGURES: dict[str, Callable[[Results], Figure]] = {
    "enrolment_shares": enrolment_shares,
    "hospital_use": hospital_use,
    "cost_per_capita": cost_per_capita,
    "selection": selection,
    "switching": switching,
    "equity": equity,
    "comparison_panel": comparison_panel,
}
"""Every figure ``icsim plot`` writes, by file stem."""


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


def make_figures(results: Results, names: Iterable[str] | None = None) -> dict[str, Figure]:
    """Build the named figures (default: all) in the shared style."""
    with style():
        return {name: FIGURES[name](results) for name in (names or FIGURES)}


def plot_results(
    results_dir: str | Path, out_dir: str | Path | None = None, formats: Iterable[str] = FORMATS
) -> list[Path]:
    """Write the whole figure set for a ``run`` or ``compare`` folder; returns the files."""
    results = load_results(results_dir)
    out = Path(out_dir) if out_dir is not None else Path(results_dir) / "figures"
    written: list[Path] = []
    for name in FIGURES:
        with style():
            fig = FIGURES[name](results)
        written += save(fig, out / name, formats)
    return written


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
