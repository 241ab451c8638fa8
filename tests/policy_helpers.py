"""Helpers for the policy catalogue's tests: paired arms on common random numbers."""

from __future__ import annotations

import pandas as pd
from helpers import replicates, value

from sim.config.scenario import Scenario

PATIENTS, YEARS, REPS = 20_000, 8, 4
LATE = [6, 7, 8]


def arm(
    sc: Scenario, years: int = YEARS, patients: int = PATIENTS, reps: int = REPS
) -> list[pd.DataFrame]:
    """Replicates of one arm; every arm uses the same seeds, so arms are paired."""
    return replicates(sc, reps, patients, years)


def per_rep(
    runs: list[pd.DataFrame],
    metric: str,
    system: str = "all",
    group: str = "all",
    years: list[int] | None = None,
) -> list[float]:
    """One value per replicate (mean over ``years``)."""
    return [value(d, metric, system=system, group=group, years=years) for d in runs]
