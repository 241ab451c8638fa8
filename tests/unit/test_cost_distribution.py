"""The measurement of individual cost, checked by hand on arrays small enough to read."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.parameters import Costs, Utilisation
from sim.config.scenario import Prices
from sim.patients.cost_distribution import (
    UnitCosts,
    concentration,
    patient_costs,
    persistence,
    persistence_figures,
    r_squared,
    top_share,
)
from sim.patients.cost_spread import stay_factor
from sim.providers.costs import HospitalCosts


def test_top_share_by_hand() -> None:
    cost = np.array([0.0] * 95 + [1.0, 1.0, 1.0, 1.0, 96.0])  # 100 people, total 100
    assert top_share(cost, 0.01) == pytest.approx(0.96)  # the one with 96
    assert top_share(cost, 0.05) == pytest.approx(1.0)
    assert top_share(cost[cost > 0], 0.2) == pytest.approx(0.96)  # 5 users: top 1 of 5
    assert np.isnan(top_share(np.zeros(10), 0.01))


def test_persistence_by_hand() -> None:
    first = np.arange(10.0)  # top 10%: person 9; top 20%: persons 8, 9
    second = np.array([0, 0, 0, 0, 0, 0, 0, 0, 5.0, 1.0])  # top: 8; then 9
    assert persistence(first, second, 0.1) == 0.0
    assert persistence(first, second, 0.2) == 1.0
    third = np.array([9.0, 0, 0, 0, 0, 0, 0, 0, 0, 8.0])  # top 20%: persons 0 and 9
    assert persistence(first, third, 0.2) == 0.5
    assert persistence_figures(first, first)["cost_top10_persistence"] == 1.0


def test_concentration_splits_by_age_and_use() -> None:
    hospital = np.array([0.0] * 150 + [1.0] * 49 + [51.0])  # 200 people, total 100
    age = np.array([70] * 100 + [30] * 100)  # the user with 51 is young
    out = concentration(hospital, hospital, age)
    assert out["hospital_cost_top1_population_share"] == pytest.approx(0.52)  # 2 people
    assert out["hospital_cost_top1_patient_share"] == pytest.approx(0.51)  # 1 of 50 users
    assert np.isnan(out["hospital_cost_top1_population_share_65plus"])  # no cost at 65+
    assert out["cost_top5_share"] == pytest.approx((51 + 9) / 100)  # 10 people


def test_patient_costs_use_the_resource_unit_costs() -> None:
    """The unit costs are the providers' average costs (HospitalCosts), bed days apart."""
    unit = UnitCosts.from_parameters(Prices().as_dict(), Costs(), Utilisation())
    hc = HospitalCosts(Costs(), Utilisation())
    assert unit.elective == pytest.approx(hc.fixed["elective"])
    assert unit.emergency == pytest.approx(hc.fixed["emergency"])
    assert unit.bed_day == hc.bed_day
    counts = {
        "gp_consultation": np.array([2, 0]),
        "outpatient": np.array([1, 0]),
        "elective": np.array([0, 1]),
        "emergency": np.array([0, 1]),
        "acsc": np.array([0, 0]),
        "readmission": np.array([0, 1]),
        "ae": np.array([0, 1]),
    }
    hospital, total = patient_costs(counts, np.array([0.0, 10.0]), unit)
    expected = unit.elective + 2 * unit.emergency + unit.ae + 10 * unit.bed_day
    assert hospital.tolist() == pytest.approx([unit.outpatient, expected], rel=1e-6)
    assert total[0] == pytest.approx(unit.outpatient + 2 * unit.gp_consultation)


def test_r_squared_is_the_squared_correlation() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert r_squared(x, 3 * x + 1) == pytest.approx(1.0)
    assert r_squared(x, np.array([1.0, -1.0, -1.0, 1.0])) == pytest.approx(0.0)
    assert r_squared(x, np.array([2.0, 1.0, 4.0, 3.0])) == pytest.approx(0.36)  # r = 0.6


def test_stay_factor_has_mean_one_and_shrinks_with_spells() -> None:
    z = np.random.default_rng(3).standard_normal(400_000).astype(np.float32)
    for spells in (1, 4):
        f = stay_factor(z, np.full(len(z), spells), 1.5)
        assert f.mean() == pytest.approx(1.0, abs=0.02)
        assert f.std() == pytest.approx(1.5 / np.sqrt(spells), rel=0.1)
