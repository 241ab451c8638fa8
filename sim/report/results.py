"""The metrics behind the figures: reading result folders, replicate intervals, selections.

Every figure module draws from a :class:`Results`; the selections here (one metric, the
systems in order, ICP enrolment, final-year values by group) are shared by all of them.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.metrics import COLUMNS
from sim.experiments.summary import paired_differences
from sim.report.style import SOURCE, Palette


@dataclass
class Results:
    """Metrics from one or more scenario folders, with what the source note needs."""

    metrics: pd.DataFrame
    scenarios: list[str]
    patients: int | None = None
    replicates: int = 1
    palette: Palette = field(default_factory=Palette)
    differences: pd.DataFrame | None = None
    """Paired differences from the first scenario (``differences.csv`` of a comparison)."""

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

    @property
    def baseline(self) -> str:
        """The scenario the others are compared with: the first given."""
        return self.scenarios[0]

    def paired(self) -> pd.DataFrame:
        """Each scenario's difference from the baseline, replicate by replicate, summarised.

        Read from the comparison's ``differences.csv`` when there is one, so figures show the
        intervals the table reports; otherwise taken from the metrics the same way.
        """
        if self.differences is None:
            self.differences = paired_differences(self.metrics, self.baseline)
        return self.differences


def integration_of(*scenarios: Any) -> dict[str, str]:
    """Each ICP's integration (``virtual`` or ``vertical``) by system name, for legends.

    Takes :class:`~sim.config.scenario.Scenario` objects or resolved scenario dicts (as read
    from a result folder's ``scenario.toml``); a later scenario's ICP of the same name wins.
    """
    out: dict[str, str] = {}
    for scenario in scenarios:
        icps = scenario.get("icps", []) if isinstance(scenario, dict) else scenario.icps
        for icp in icps:
            name, kind = (
                (icp.get("name"), icp.get("integration"))
                if isinstance(icp, dict)
                else (icp.name, icp.integration)
            )
            if name and kind:
                out[str(name)] = str(kind)
    return out


def read_integration(folder: Path) -> dict[str, str]:
    """:func:`integration_of` the resolved ``scenario.toml`` in ``folder`` (none: empty)."""
    path = folder / "scenario.toml"
    if not path.is_file():
        return {}
    try:
        return integration_of(tomllib.loads(path.read_text()))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def from_metrics(
    metrics: pd.DataFrame,
    patients: int | None = None,
    integration: dict[str, str] | None = None,
) -> Results:
    """Wrap a tidy metrics frame (as :func:`sim.engine.run.simulate` returns) for plotting.

    ``integration`` (see :func:`integration_of`) makes legends say which ICP is virtual and
    which vertical.
    """
    scenarios = list(dict.fromkeys(metrics["scenario"].astype(str)))
    reps = (
        int(metrics.groupby("scenario", observed=True)["replicate"].nunique().min())
        if len(metrics)
        else 1
    )
    palette = Palette(frozenset(scenarios), dict(integration or {}))
    return Results(metrics, scenarios, patients, reps, palette)


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
    frames, patients, integration = [], [], {}
    for folder in folders:
        frames.append(read_metrics(folder / "metrics.parquet"))
        integration |= read_integration(folder)
        info = folder / "run.json"
        if info.is_file():
            patients.append(read_json(info).get("patients"))
    metrics = pd.concat(frames, ignore_index=True)
    for col in ("scenario", "system", "group", "metric"):
        metrics[col] = metrics[col].astype(str)
    results = from_metrics(metrics, max((p for p in patients if p), default=None), integration)
    order = root / "comparison.csv"
    if order.is_file():
        table = read_table(order, ["scenario"])
        listed = [s for s in table["scenario"].astype(str) if s in results.scenarios]
        results.scenarios = listed + [s for s in results.scenarios if s not in listed]
    paired = root / "differences.csv"
    if paired.is_file():
        diffs = read_table(paired, ["scenario", "system", "group", "metric", "year"])
        for col in ("scenario", "system", "group", "metric"):
            diffs[col] = diffs[col].astype(str)
        results.differences = diffs
    return results


DAMAGED = "damaged, cut short or not written by icsim; run the command that made it again"


def read_metrics(path: Path) -> pd.DataFrame:
    """A metrics table, refused with one message naming the file if it cannot be plotted:
    unreadable (cut short, empty, not Parquet), missing a column, or without a finite value."""
    try:
        metrics = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds for a damaged file
        raise ValueError(f"{path}: cannot be read as a metrics table ({exc}); {DAMAGED}") from None
    missing = [c for c in COLUMNS if c not in metrics.columns]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(missing)}; {DAMAGED}")
    values = pd.to_numeric(metrics["value"], errors="coerce").to_numpy(dtype=float)
    if not len(values) or not np.isfinite(values).any():
        raise ValueError(f"{path}: holds no finite metric value, so there is nothing to draw")
    return metrics


def read_json(path: Path) -> dict[str, Any]:
    try:
        info = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot be read as JSON ({exc}); {DAMAGED}") from None
    if not isinstance(info, dict):
        raise ValueError(f"{path}: expected a JSON object; {DAMAGED}")
    return info


def read_table(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:  # pandas' parser and encoding errors are ValueErrors
        raise ValueError(f"{path}: cannot be read as a table ({exc}); {DAMAGED}") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(missing)}; {DAMAGED}")
    return table


def until_year(results: Results, year: int) -> Results:
    """The results up to and including ``year``, so final-year figures show that year."""
    years = sorted(set(results.metrics["year"].astype(int)))
    if year not in years:
        raise ValueError(f"--year {year}: these results hold years {years[0]} to {years[-1]}")
    diffs = results.differences
    return Results(
        results.metrics[results.metrics["year"] <= year],
        results.scenarios,
        results.patients,
        results.replicates,
        results.palette,
        None if diffs is None else diffs[diffs["year"] <= year],
    )


def interval(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean and 90% interval (5th, 95th percentile) of ``value`` across replicates."""
    grouped = df.groupby(keys, sort=False, observed=True)["value"]
    out = grouped.agg(
        mean="mean", lo=lambda v: v.quantile(0.05), hi=lambda v: v.quantile(0.95), n="count"
    )
    return out.reset_index()


def select_metric(
    metrics: pd.DataFrame, metric: str, *, system: str | None = None, group: str = "all"
) -> pd.DataFrame:
    """Rows of one metric for one group (default the whole population), optionally one system."""
    sel = (metrics["metric"] == metric) & (metrics["group"] == group)
    if system is not None:
        sel &= metrics["system"] == system
    return metrics[sel]


def series(results: Results, metric: str, group: str = "all") -> dict[str, pd.DataFrame]:
    """Yearly mean and interval of a metric, one series per scenario (or per system)."""
    m = results.metrics
    if results.by == "scenario":
        stats = interval(select_metric(m, metric, system="all", group=group), ["scenario", "year"])
        keys = results.scenarios
    else:
        stats = interval(select_metric(m, metric, group=group), ["system", "year"])
        keys = system_names(m, with_all=True)
    return {
        k: stats[stats[results.by] == k].sort_values("year")
        for k in keys
        if (stats[results.by] == k).any()
    }


def system_names(metrics: pd.DataFrame, with_all: bool = False) -> list[str]:
    """Systems in the order the metrics first name them; the whole population last, if asked."""
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


def final_by_group(
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
        col, keys = "system", system_names(df, with_all=True)
    stats = interval(df, [col, "group"]).rename(columns={"group": "category"})
    return {k: stats[stats[col] == k] for k in keys if (stats[col] == k).any()}


def metric_rows(metrics: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Every row of one metric, whatever its system and group."""
    return metrics[metrics["metric"] == metric]
