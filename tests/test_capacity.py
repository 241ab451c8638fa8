"""The capacity model in a whole run: a trust whose patients leave for a new ICP carries the
fixed cost of the capacity they leave behind in that year, in its books."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.model import ICSModel
from sim.engine.provider_costs import trust_activity
from tests.helpers import assert_greater, scenario

FREE_TO_MOVE = {  # no inertia, so many patients leave for the ICP in its first year
    "choice.inertia": 0.0,
    "choice.inertia_age_65_plus": 0.0,
    "choice.inertia_ltc": 0.0,
}


def trust_year(start_year: int, replicate: int) -> tuple[ICSModel, list[np.ndarray]]:
    """Two years of vertical_kaiser_nc whose ICP opens in ``start_year``, and the trust's
    activity each year (by CAPACITY_ACTIVITIES)."""
    sc = scenario("vertical_kaiser_nc", {**FREE_TO_MOVE, "icps.0.start_year": start_year})
    m = ICSModel(sc, seed=3, replicate=replicate, patients=5000, years=2)
    activity = []
    for _ in range(2):
        m.step()
        by_cell = trust_activity(m.ledger, m.trust_pairs, m.partnerships, m.costs)
        activity.append(by_cell.sum(axis=0))
    return m, activity


def test_a_trust_losing_patients_to_a_new_icp_carries_stranded_fixed_cost_that_year() -> None:
    """The ICP opens in year 2. The trust, staffed to its year-1 activity (under the tariff:
    staffed to demand), sheds a quarter of the capacity the leavers used, and three quarters
    of its fixed cost is stranded and booked as the trust's cost. With common random
    numbers, that is well beyond what a year's noise strands when no ICP opens."""
    opened, never = [], []
    for r in range(5):
        m, (first, second) = trust_year(start_year=2, replicate=r)
        trust, costs = m.trusts[0], m.costs
        left = np.maximum(first - second, 0.0)
        assert left[1] > 0.15 * first[1]  # enough of the electives left to strand capacity
        assert trust.stranded_cost == pytest.approx(
            float((1 - costs.adjustment_speed) * left @ costs.capacity_cost)
        )
        outpatient, elective, emergency, ae, bed_days = second
        average = costs.hospital_cost(
            {"outpatient": outpatient, "elective": elective, "emergency": emergency, "ae": ae},
            bed_days,
        )
        assert trust.cost == pytest.approx(average + trust.stranded_cost)  # booked
        opened.append(trust.stranded_cost)
        never.append(trust_year(start_year=99, replicate=r)[0].trusts[0].stranded_cost)
    assert_greater(opened, never, what="trust's stranded cost, ICP opens minus none")
