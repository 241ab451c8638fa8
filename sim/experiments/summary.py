"""Uncertainty across replicates: the mean and a 90% interval.

The interval is the range that holds the middle 90% of replicates (their 5th to 95th
percentiles, interpolated linearly): it shows how much one replicate can differ from
another by chance, which is what a modeller needs to judge whether a difference is real.
It is not a confidence interval for the mean, which narrows as replicates are added.

Differences between scenarios are taken replicate by replicate (:func:`paired_differences`).
Scenarios run with the same seed share common random numbers, so each pair differs only
by the scenarios' mechanisms, and the interval of the differences is far narrower than
the two separate intervals suggest.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

LEVEL = 0.9
"""Share of replicates inside the interval."""

NOT_GROUPED = ("replicate", "value", "run_id")

COMPARE_SHOWN = (
    "enrolment_share",
    "switching_rate",
    "emergency_admissions_per_1000",
    "avoidable_emergency_admissions_per_1000",
    "bed_days_per_1000",
    "elective_admissions_per_1000",
    "outpatient_per_1000",
    "readmissions_per_1000",
    "cost_per_capita",
    "quality",
    "waiting_weeks",
)
"""Whole-population metrics that ``icsim compare`` prints with their intervals."""


def replicate_summary(
    metrics: pd.DataFrame, by: Sequence[str] | None = None, level: float = LEVEL
) -> pd.DataFrame:
    """Mean, standard deviation and ``level`` interval of ``value`` across replicates.

    ``by`` defaults to every column except ``replicate``, ``value`` and ``run_id``. Returns
    one row per group with columns ``by + [replicates, mean, sd, low, high]``.
    """
    by = [c for c in metrics.columns if c not in NOT_GROUPED] if by is None else list(by)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    grouped = metrics.groupby(by, sort=False, observed=True, dropna=False)["value"]
    out = pd.concat(
        {
            "replicates": grouped.count(),
            "mean": grouped.mean(),
            "sd": grouped.std(),
            "low": grouped.quantile(lo),
            "high": grouped.quantile(hi),
        },
        axis=1,
    )
    return out.reset_index()


def paired_differences(metrics: pd.DataFrame, baseline: str, level: float = LEVEL) -> pd.DataFrame:
    """Each scenario minus ``baseline``, replicate by replicate, then summarised.

    Rows are matched on (replicate, year, system, group, metric); cells that exist in only
    one of the two (an ICP absent from the baseline) are left out.
    """
    keys = ["replicate", "year", "system", "group", "metric"]
    base = (
        metrics[metrics["scenario"] == baseline].set_index(keys)["value"].rename("baseline_value")
    )
    other = metrics[metrics["scenario"] != baseline].join(base, on=keys, how="inner")
    other = other.assign(value=other["value"] - other["baseline_value"])
    return replicate_summary(
        other.drop(columns="baseline_value"),
        by=["scenario", "year", "system", "group", "metric"],
        level=level,
    )


def fmt(value: float) -> str:
    """A number with as many decimals as its size warrants."""
    if pd.isna(value):
        return ""
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:,.1f}"
    if size >= 1:
        return f"{value:,.2f}"
    return f"{value:.3f}"


def fmt_interval(mean: float, low: float, high: float) -> str:
    """``mean [low, high]``, the way summaries print a value with its 90% interval."""
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


def final_year_summary(
    metrics: pd.DataFrame,
    by: Sequence[str],
    metrics_shown: Sequence[str] | None = None,
    group: str = "all",
    level: float = LEVEL,
) -> pd.DataFrame:
    """:func:`replicate_summary` of the final year for one population group.

    The year and group are columns of the result (``year`` before ``system``, ``group``
    after it, as in ``differences.csv``), so a ``summary.csv`` says which cells it holds.
    """
    last = metrics["year"].max()
    sel = metrics[(metrics["year"] == last) & (metrics["group"] == group)]
    if metrics_shown is not None:
        sel = sel[sel["metric"].isin(list(metrics_shown))]
    out = replicate_summary(sel, by=list(by), level=level)
    columns = list(out.columns)
    where = columns.index("system") if "system" in columns else 0
    out.insert(where, "year", int(last) if pd.notna(last) else pd.NA)
    out.insert(columns.index("system") + 2 if "system" in columns else 1, "group", group)
    return out


def difference_table(
    metrics: pd.DataFrame, baseline: str, level: float = LEVEL
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For ``icsim compare``: final-year ``mean [low, high]`` by metric and scenario (whole
    population), and every paired difference from ``baseline`` (see :func:`paired_differences`).
    """
    final = final_year_summary(metrics, by=["scenario", "system", "metric"], level=level)
    final = final[final["system"] == "all"]
    final = final.assign(
        cell=[
            fmt_interval(m, lo, hi)
            for m, lo, hi in zip(final["mean"], final["low"], final["high"], strict=True)
        ]
    )
    view = final.pivot(index="metric", columns="scenario", values="cell")
    view = view[list(dict.fromkeys(metrics["scenario"]))]
    return view, paired_differences(metrics, baseline, level=level)
