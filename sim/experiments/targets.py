"""Targets: a published figure, its band, and where in a run's metrics the model answers it.

Calibration (:mod:`sim.experiments.calibrate`) fits parameters to targets; validation
(:mod:`sim.report.validation`) checks targets and published comparisons without tuning
anything. Both read the same row, declared in TOML::

    [[targets]]
    name = "Emergency admissions"
    metric = "emergency_admissions_per_1000"
    scenario = "../fragmented_tariff.toml"   # relative to the file; default: its base scenario
    system = "all"
    group = "all"
    years = "all"                # every simulated year, each checked; or "final", or [1, 2]
    value = 99.0
    relative = 0.04              # band value x (1 +- 0.04); or tolerance = 4.0 (metric units)
    source = "calibration_targets 4.8"

A row may give ``low`` and/or ``high`` instead of a value (a band, or a bound only), a
``denominator`` metric (the row is the ratio of two metrics), and a ``baseline`` scenario:
the row is then the relative difference from that scenario, taken replicate by replicate
(common random numbers), as published comparisons of whole policies are stated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from sim.experiments.inputs import Strict

LEVEL_LOW, LEVEL_HIGH = 0.05, 0.95
"""The interval shown beside a model value: the middle 90% of replicates."""


class Target(Strict):
    """One published figure and the place in the model's metrics that reproduces it."""

    name: str = Field(..., min_length=1)
    metric: str = Field(..., min_length=1)
    denominator: str | None = None
    scenario: str | None = Field(None, description="Scenario file, relative to the file.")
    baseline: str | None = Field(None, description="Scenario file the row is a difference from.")
    system: str = "all"
    group: str = "all"
    years: Literal["all", "final"] | list[int] = "all"
    value: float | None = None
    tolerance: float | None = Field(None, gt=0)
    relative: float | None = Field(None, gt=0)
    low: float | None = None
    high: float | None = None
    source: str = Field(..., min_length=1)
    section: str = "calibration"
    note: str = ""
    if_missed: str = Field("", description="What a miss would suggest, written with the row.")

    @model_validator(mode="after")
    def _band_is_given(self) -> Target:
        if self.tolerance is not None and self.relative is not None:
            raise ValueError("give tolerance (metric units) or relative (a share), not both")
        spread = self.tolerance is not None or self.relative is not None
        if spread and self.value is None:
            raise ValueError("tolerance and relative need a value")
        if self.value is not None and not spread and self.low is None and self.high is None:
            raise ValueError("a value needs tolerance, relative, or low/high")
        if self.value is None and self.low is None and self.high is None:
            raise ValueError("give value with tolerance or relative, or low and/or high")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low must be below high (got {self.low} and {self.high})")
        if isinstance(self.years, list) and (not self.years or min(self.years) < 1):
            raise ValueError("years: a list of simulated years from 1, 'all' or 'final'")
        return self

    def band(self) -> tuple[float, float]:
        """The range a model value must lie in to match (either end may be infinite)."""
        if self.value is not None and (self.tolerance is not None or self.relative is not None):
            half = self.tolerance if self.tolerance is not None else abs(self.value) * self.relative
            return self.value - half, self.value + half
        low = -np.inf if self.low is None else self.low
        high = np.inf if self.high is None else self.high
        return float(low), float(high)

    def centre_and_scale(self) -> tuple[float, float] | None:
        """The value a fit aims at and the band's half-width, which scales its distance;
        None for a one-sided bound, which gives no point to aim at."""
        low, high = self.band()
        if not (np.isfinite(low) and np.isfinite(high)):
            return None
        centre = self.value if self.value is not None else (low + high) / 2
        return float(centre), float((high - low) / 2)

    def chosen_years(self, years: int) -> list[int]:
        """The simulated years this target is checked in, for a run of ``years`` years."""
        if self.years == "all":
            return list(range(1, years + 1))
        if self.years == "final":
            return [years]
        return [y for y in self.years if y <= years]

    def band_text(self) -> str:
        low, high = self.band()
        if self.value is not None and np.isfinite(low) and np.isfinite(high):
            return f"{self.value:g} ({low:.4g} to {high:.4g})"
        if not np.isfinite(low):
            return f"at most {high:.4g}"
        if not np.isfinite(high):
            return f"at least {low:.4g}"
        return f"{low:.4g} to {high:.4g}"


def check_names(target: Target, where: str, *, groups: bool = True) -> None:
    """Refuse a metric or denominator (and, with ``groups``, a group) the model does not
    write: a misspelt name would otherwise read as "not measured" and hide the row."""
    from sim.config.scenario import ScenarioError
    from sim.engine.metrics import GROUPS, METRICS

    for field, metric in (("metric", target.metric), ("denominator", target.denominator)):
        if metric is not None and metric not in METRICS:
            raise ScenarioError(
                f"{where}: field '{field}': unknown metric {metric!r}; allowed: "
                f"{', '.join(METRICS)}"
            )
    if groups and target.group not in GROUPS:
        raise ScenarioError(
            f"{where}: field 'group': unknown group {target.group!r}; allowed: {', '.join(GROUPS)}"
        )


def resolve_file(folder: Path, name: str | None, default: Path, source: str, field: str) -> Path:
    """A scenario file named in an experiment file, relative to it (``default`` if unnamed)."""
    if name is None:
        return default
    path = (folder / name).resolve()
    if not path.is_file():
        from sim.config.scenario import ScenarioError

        raise ScenarioError(
            f"{source}: field '{field}': no such scenario file '{name}' "
            "(paths are relative to this file)"
        )
    return path


@dataclass(frozen=True)
class Measured:
    """A target's model values: one per replicate and checked year (NaN rows dropped)."""

    values: pd.DataFrame  # columns replicate, year, value

    def by_year(self) -> pd.DataFrame:
        """Mean and 90% interval across replicates, per year."""
        g = self.values.groupby("year")["value"]
        return pd.DataFrame(
            {
                "mean": g.mean(),
                "low": g.quantile(LEVEL_LOW),
                "high": g.quantile(LEVEL_HIGH),
                "replicates": g.count(),
            }
        ).reset_index()

    def overall(self) -> tuple[float, float, float]:
        """Mean over years and replicates, with the 90% interval of each replicate's mean."""
        per_rep = self.values.groupby("replicate")["value"].mean()
        return (
            float(per_rep.mean()),
            float(per_rep.quantile(LEVEL_LOW)),
            float(per_rep.quantile(LEVEL_HIGH)),
        )


def _series(frame: pd.DataFrame, target: Target, metric: str) -> pd.Series | None:
    sel = frame[
        (frame["metric"] == metric)
        & (frame["system"] == target.system)
        & (frame["group"] == target.group)
    ]
    if sel.empty:
        return None
    return sel.set_index(["replicate", "year"])["value"].astype(float)


def _level(frame: pd.DataFrame, target: Target) -> pd.Series | None:
    value = _series(frame, target, target.metric)
    if value is None or target.denominator is None:
        return value
    denominator = _series(frame, target, target.denominator)
    return None if denominator is None else value / denominator


def measure(
    target: Target, runs: pd.DataFrame, years: int, baseline: pd.DataFrame | None = None
) -> Measured | None:
    """The target's values in a scenario's runs (all replicates, tidy metrics), or None
    where the runs do not hold its metric (a metric not measured yet, or another system).

    With ``baseline`` (the baseline scenario's runs, same seeds and replicates) the value is
    the relative difference ``run / baseline - 1``, replicate by replicate.
    """
    level = _level(runs, target)
    if level is None:
        return None
    if baseline is not None:
        base = _level(baseline, target)
        if base is None:
            return None
        level = (level / base - 1.0).dropna()
    chosen = target.chosen_years(years)
    values = level.reset_index()
    values.columns = ["replicate", "year", "value"]
    values = values[values["year"].isin(chosen)].replace([np.inf, -np.inf], np.nan).dropna()
    if values.empty:
        return None
    return Measured(values.reset_index(drop=True))


def distance(target: Target, measured: Measured | None) -> float:
    """Mean over the checked years of the squared distance from the target in band
    half-widths: 1 is a model on the edge of the band in every year."""
    aim = target.centre_and_scale()
    if aim is None or measured is None:
        return float("inf")
    centre, scale = aim
    means = measured.by_year()["mean"].to_numpy()
    return float(np.mean(((means - centre) / scale) ** 2))
