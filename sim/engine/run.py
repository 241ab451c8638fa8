"""One replicate of a scenario, from set-up to tidy metrics.

:func:`simulate` is the one function everything else (command line, sweeps, notebooks,
dashboard) calls to turn a scenario into tidy metrics; :func:`simulate_replicate` also
follows a panel of patients (:mod:`sim.engine.panel`), which changes no metric.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import pandas as pd

from sim.config.scenario import Scenario
from sim.engine.metrics import COLUMNS, DTYPES
from sim.engine.metrics_log import MetricsLog
from sim.engine.model import ICSModel


class Replicate(NamedTuple):
    """One replicate's tidy metrics and, when one was asked for, its patient panel."""

    metrics: pd.DataFrame
    panel: pd.DataFrame | None


def simulate(
    scenario: Scenario,
    *,
    seed: int | None = None,
    replicate: int = 0,
    patients: int | None = None,
    years: int | None = None,
    on_year: Callable[[ICSModel], None] | None = None,
) -> pd.DataFrame:
    """Run one replicate of a scenario; returns tidy metrics (see :data:`sim.engine.metrics.COLUMNS`)."""
    settings = {"seed": seed, "replicate": replicate, "patients": patients, "years": years}
    return simulate_replicate(scenario, **settings, on_year=on_year).metrics


def simulate_replicate(
    scenario: Scenario,
    *,
    seed: int | None = None,
    replicate: int = 0,
    patients: int | None = None,
    years: int | None = None,
    panel: int = 0,
    on_year: Callable[[ICSModel], None] | None = None,
) -> Replicate:
    """:func:`simulate`, and a panel of ``panel`` patients followed every year (``panel`` of
    the result is None for 0; :mod:`sim.engine.panel` says who is followed and what each
    column means). The metrics are those :func:`simulate` returns, whatever the panel."""
    model = ICSModel(
        scenario, seed=seed, replicate=replicate, patients=patients, years=years, panel=panel
    )
    for _ in range(model.n_years):
        model.step()
        if on_year is not None:
            on_year(model)
    return Replicate(model.metrics.frame(), None if model.panel is None else model.panel.frame())


def metrics_frame(rows: MetricsLog | Iterable[dict]) -> pd.DataFrame:
    """Tidy metrics with stable dtypes (:data:`sim.engine.metrics.DTYPES`).

    A model's :class:`~sim.engine.metrics_log.MetricsLog` builds the frame from its arrays; any other
    iterable of row dicts (keys :data:`sim.engine.metrics.COLUMNS`) is read row by row.
    """
    if isinstance(rows, MetricsLog):
        return rows.frame()
    return pd.DataFrame(list(rows), columns=list(COLUMNS)).astype(DTYPES)
