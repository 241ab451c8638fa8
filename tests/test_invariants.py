"""Invariants every shipped scenario keeps, year by year, at a small size.

Each scenario file runs with ``run.patients`` and ``run.years`` lowered through ``--set``
overrides (as a user would), and every year must keep:

* patients conserved: each death's row goes to an entrant (start + entrants - deaths =
  end), and the systems, the age groups and the deprivation groups each add up to all;
* enrolment shares summing to 1 over the systems, in every group;
* shares and indices in [0, 1]; no negative count, rate, wait or cost;
* the money identities of ``tests/test_money_identities.py``;
* every metric finite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import SCENARIOS
from test_money_identities import check_year

from sim.config.scenario import load_scenario
from sim.engine.ledger import AGE_GROUPS, IMD_GROUPS
from sim.engine.metric_catalogue import METRIC_CATALOGUE
from sim.engine.model import ICSModel
from sim.experiments.run_spec import RunSpec, check_finite

PATIENTS, YEARS = 1_500, 2
SHIPPED = sorted(SCENARIOS.glob("*.toml"))

#: Units whose values lie in [0, 1].
UNIT_SHARES = ("share, 0-1", "index, 0-1", "Herfindahl index, 0-1", "share of enrolees per year")
#: Units that cannot be negative: counts, rates, waits, health.
UNIT_NON_NEGATIVE = ("people", "per 1,000 people per year", "weeks", "ICPs", "QALYs")
#: Money that cannot be negative: what is spent, paid or earned (surpluses, reserves and
#: settlements can be).
MONEY_NON_NEGATIVE = (
    "cost_per_capita",
    "resource_cost_per_capita",
    "transaction_costs_per_capita",
    "commissioner_transaction_costs_per_capita",
    "trust_income_per_capita",
    "trust_revenue_per_capita",
    "trust_cost_per_capita",
    "trust_support_per_capita",
    "practice_revenue_per_capita",
    "practice_cost_per_capita",
    "icp_revenue_per_capita",
    "icp_cost_per_capita",
    "mean_risk",
    "induced_demand",
    "under_service",
)
TOLERANCE = 1e-9


def bounded(metrics: pd.DataFrame, units: tuple[str, ...]) -> pd.DataFrame:
    names = [m for m, info in METRIC_CATALOGUE.items() if info.unit.startswith(units)]
    return metrics[metrics["metric"].isin(names)]


def totals(year: pd.DataFrame, groups: tuple[str, ...]) -> pd.Series:
    """Population by system, summed over ``groups``."""
    rows = year[(year["metric"] == "population") & year["group"].isin(groups)]
    return rows.groupby("system", observed=True)["value"].sum()


def check_metrics(metrics: pd.DataFrame, patients: int) -> None:
    for year_number, year in metrics.groupby("year"):
        where = f"year {year_number}"
        population = year[year["metric"] == "population"]
        everyone = population[population["system"] == "all"].set_index("group")["value"]
        assert everyone["all"] == patients, where
        systems = population[population["system"] != "all"]
        by_group = systems.groupby("group", observed=True)["value"].sum()
        assert np.allclose(by_group, everyone.reindex(by_group.index)), where
        for groups in (AGE_GROUPS, IMD_GROUPS):
            assert np.allclose(totals(year, groups), totals(year, ("all",))), (where, groups)
        shares = year[(year["metric"] == "enrolment_share") & (year["system"] != "all")]
        sums = shares.groupby("group", observed=True)["value"].sum()
        assert np.allclose(sums, 1.0), (where, sums.to_dict())
    for units, low, high in ((UNIT_SHARES, 0.0, 1.0), (UNIT_NON_NEGATIVE, 0.0, np.inf)):
        rows = bounded(metrics, units)
        outside = rows[(rows["value"] < low - TOLERANCE) | (rows["value"] > high + TOLERANCE)]
        assert outside.empty, outside.head().to_dict("records")
    money = metrics[metrics["metric"].isin(MONEY_NON_NEGATIVE)]
    negative = money[money["value"] < -TOLERANCE]
    assert negative.empty, negative.head().to_dict("records")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_keeps_its_invariants(path) -> None:
    scenario = load_scenario(path, [f"run.patients={PATIENTS}", f"run.years={YEARS}"])
    model = ICSModel(scenario, seed=11)
    assert (model.n_years, model.population.n) == (YEARS, PATIENTS)
    start = PATIENTS
    for _ in range(YEARS):
        pids = model.population.pid.copy()
        model.step()
        check_year(model)
        entrants = int((model.population.pid != pids).sum())
        year = model.metrics.frame()
        year = year[(year["year"] == year["year"].max()) & (year["system"] == "all")]
        whole = year[year["group"] == "all"].set_index("metric")["value"]
        end, died = whole["population"], whole["deaths_per_1000"] * whole["population"] / 1000
        assert start + entrants - died == pytest.approx(end, abs=1e-6), (entrants, died)
        start = end
    metrics = model.metrics.frame()
    spec = RunSpec(scenario, seed=11, replicate=0, patients=PATIENTS, years=YEARS)
    check_finite(spec, metrics)
    check_metrics(metrics, PATIENTS)
