"""One capacity model on hand-made inputs: a block-paid trust and a vertical ICP's own
hospital making the same cut face the same capacity, wait, cost and stranded cost."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from helpers import icp_stand_in

from sim.config.parameters import Behaviour, Costs, Hospital, Utilisation
from sim.engine.ledger import Ledger
from sim.engine.planning import YearPlan
from sim.engine.provider_costs import icp_care_costs, stranded_costs, trust_costs
from sim.engine.settlement_ledger import SettlementLedger
from sim.engine.state import Market, YearState
from sim.engine.waiting import capacity_following_patients, set_waiting_times
from sim.patients.modifiers import RateModifiers
from sim.providers.accounts import ProviderAccounts
from sim.providers.capacity import ELECTIVE, follow_activity, waiting_weeks
from sim.providers.costs import CAPACITY_ACTIVITIES, HospitalCosts
from sim.providers.partnership_table import Partnerships
from sim.providers.trusts import HospitalTrust

CUT = 0.7  # both hospitals treat 70% of the electives referred to them
HOSPITAL = Hospital()
COSTS = HospitalCosts(
    Costs(hospital_fixed_share=0.5, capacity_adjustment_speed=0.25), Utilisation()
)
YEAR = {  # three patients' year
    "gp_consultation": [4.0, 10.0, 2.0],
    "outpatient": [2.0, 3.0, 0.0],
    "elective": [1.0, 1.0, 0.0],
    "ae": [0.0, 1.0, 1.0],
    "emergency_total": [0.0, 1.0, 0.0],
    "bed_days": [3.0, 5.0, 0.0],
}
ACTIVITY = np.array([[5.0, 2.0, 1.0, 2.0, 8.0]])  # their hospital activity, as CAPACITY_ACTIVITIES
STAFFED = np.array([[9.0, 4.0, 1.0, 2.0, 8.0]])  # last year's: outpatients and electives left


def hospital_market(vertical_icp: bool) -> tuple[Market, YearState]:
    """One locality whose three patients are the fragmented default's, paid to its trust by a
    block (option 0), or a vertical ICP's (option 1) beside an empty default."""
    host = mesa.Model(seed=0)
    host.books = ProviderAccounts()
    trust = HospitalTrust(host, "trust", 0, 1.0, HOSPITAL)
    table = Partnerships(COSTS, Behaviour())
    n_options = 1
    if vertical_icp:
        member = icp_stand_in(option=1, vertical=True)
        table.add(member, waiting_base=HOSPITAL.waiting_weeks_base)
        table.open_due(year=1)
        table.elective_volume[:] = CUT
        n_options = 2
    ledger = Ledger(n_options, 1)
    keys = ledger.keys(
        np.full(3, n_options - 1, dtype=np.uint8),
        np.zeros(3, dtype=np.intp),
        np.array([30, 70, 45]),
        np.array([1, 2, 4]),
        np.array([0, 1, 0]),
    )
    ledger.add(keys, {"population": None, **{q: np.array(v) for q, v in YEAR.items()}})
    market = Market(
        n_options=n_options,
        rules={},
        costs=COSTS,
        behaviour=Behaviour(),
        cost_parameters=Costs(),
        practices=(),
        practice_localities=np.zeros(0, dtype=np.intp),
        trusts=(trust,),
        trust_pairs=(np.array([0], dtype=np.intp), np.array([0], dtype=np.intp)),
        icps=(),
        partnerships=table,
        commissioner=None,
        books=host.books,
        book_rows={},
        fragmented_default=np.array([True]),
        available=lambda: np.ones((1, n_options), dtype=bool),
    )
    year = YearState(
        market=market,
        year=2,
        ledger=ledger,
        settlements=SettlementLedger(n_options, 1),
        default_quality=np.array([0.5]),
        transaction_costs=np.zeros(n_options),
    )
    return market, year


def test_a_block_paid_trust_and_a_vertical_icp_making_the_same_cut_face_the_same_arithmetic():
    """Same referred demand, same staffed capacity, same cut: the same capacity held, wait,
    cost and stranded cost, whether a trust or an ICP's own hospital makes the cut."""
    trust_market, trust_year = hospital_market(vertical_icp=False)
    icp_market, icp_year = hospital_market(vertical_icp=True)
    trust, icps = trust_market.trusts[0], icp_market.partnerships
    trust.staffed = STAFFED[0].copy()
    icps.staffed[:] = STAFFED
    plans = (
        YearPlan(RateModifiers(1, 1), supplier_volume=np.array([CUT])),  # the block cuts
        YearPlan(RateModifiers(2, 1), supplier_volume=np.array([1.0])),  # nobody there
    )
    hospitals = ((trust_market, trust_year), (icp_market, icp_year))
    for (market, year), plan in zip(hospitals, plans, strict=True):
        set_waiting_times(
            year.ledger, plan, market.trust_pairs, market.trusts, market.partnerships, HOSPITAL
        )
    # staffing moves a quarter of the way to activity; capacity held never below activity
    staffed = STAFFED + 0.25 * (ACTIVITY - STAFFED)
    assert trust.staffed.tolist() == pytest.approx(staffed[0].tolist())
    assert icps.staffed[0].tolist() == pytest.approx(staffed[0].tolist())
    stranded = float((staffed - ACTIVITY)[0] @ COSTS.capacity_cost)
    assert stranded > 0
    assert trust.stranded_cost == pytest.approx(stranded)
    assert icps.stranded_cost[0] == pytest.approx(stranded)
    assert stranded_costs(trust_market)[0].tolist() == pytest.approx([stranded])
    assert stranded_costs(icp_market)[1].tolist() == pytest.approx([stranded])
    # the wait: referred electives (treated / cut) against the elective capacity held
    demand = ACTIVITY[0, ELECTIVE] / CUT
    load = demand * HOSPITAL.reference_load / staffed[0, ELECTIVE]
    wait = float(waiting_weeks(np.array([load]), HOSPITAL)[0])
    assert trust.waiting_weeks == pytest.approx(wait)
    assert icps.waiting_weeks[0] == pytest.approx(wait)
    assert trust.capacity == pytest.approx(icps.capacity[0])
    # the cost: activity at average cost plus the stranded cost, booked to each (an ICP's
    # stranded cost with its own costs, as no enrolee causes it)
    average = COSTS.hospital_cost(
        dict(zip(("outpatient", "elective", "emergency", "ae"), ACTIVITY[0, :4], strict=True)),
        ACTIVITY[0, 4],
    )
    trust_cost = float(trust_costs(trust_market, trust_year).sum())
    primary = sum(YEAR["gp_consultation"]) * COSTS.gp_consultation
    own = icps.own_costs(np.zeros(1), np.zeros(1), np.zeros(1))  # its stranded cost alone
    icp_cost = float(icp_care_costs(icp_market, icp_year).sum()) - primary + float(own[0])
    assert trust_cost == pytest.approx(average + stranded)
    assert icp_cost == pytest.approx(trust_cost)
    # the empty default's trust in the ICP's market treated nobody and was staffed for nobody
    assert icp_market.trusts[0].stranded_cost == 0.0


def test_capacity_follows_activity_with_a_lag_and_the_wait_rises_as_it_is_released():
    """A first year staffed to referred demand; each year a quarter of the gap closes, the
    fixed cost of what is not yet released is stranded, and the wait lengthens towards the
    wait of demand against the cut capacity."""
    cut, demand = 0.8, np.array([10.0])  # a cut whose long-run wait is below the ceiling
    activity = np.array([[5.0, cut * 10.0, 2.0, 3.0, 9.0]])
    staffed = np.full((1, len(CAPACITY_ACTIVITIES)), np.nan)
    waits, stranded = [], []
    for _ in range(30):
        year = follow_activity(staffed, activity, demand, COSTS, HOSPITAL)
        staffed = year.staffed
        waits.append(float(year.waiting_weeks[0]))
        stranded.append(float(year.stranded_cost[0]))
    first = np.array([5.0, 10.0, 2.0, 3.0, 9.0]) + 0.25 * (activity[0] - [5, 10, 2, 3, 9])
    start = follow_activity(np.full((1, 5), np.nan), activity, demand, COSTS, HOSPITAL)
    assert start.staffed[0].tolist() == pytest.approx(first.tolist())
    assert stranded[0] == pytest.approx(0.75 * 2.0 * COSTS.capacity_cost[ELECTIVE])
    assert all(a > b for a, b in zip(stranded, stranded[1:], strict=False))  # released
    assert all(a <= b for a, b in zip(waits, waits[1:], strict=False))  # the wait lengthens
    long_run = waiting_weeks(np.array([HOSPITAL.reference_load / cut]), HOSPITAL)[0]
    assert long_run < HOSPITAL.waiting_weeks_max
    assert waits[-1] == pytest.approx(long_run, rel=1e-3)
    assert waits[0] < long_run


def test_activity_above_staffed_capacity_is_bought_in_at_average_cost():
    """Growth outruns staffing: capacity held is what is treated, nothing is stranded, and
    the wait stays at the base when treated electives meet the demand."""
    activity = np.array([[6.0, 10.0, 2.0, 3.0, 9.0]])
    year = follow_activity(activity * 0.8, activity, np.array([10.0]), COSTS, HOSPITAL)
    assert year.held.tolist() == activity.tolist()
    assert year.stranded_cost.tolist() == [0.0]
    assert year.waiting_weeks[0] == pytest.approx(HOSPITAL.waiting_weeks_base)


def test_the_marginal_cost_providers_plan_on_is_what_their_books_save():
    """At a hospital staffed to its activity, one elective fewer (and its stay) saves, in
    the year's booked cost (average cost plus stranded), exactly the marginal cost."""
    activity = np.array([[5.0, 10.0, 2.0, 3.0, 20.0]])
    fewer = activity - np.array([[0.0, 1.0, 0.0, 0.0, COSTS.los["elective"]]])

    def booked(treated: np.ndarray) -> float:
        year = follow_activity(activity, treated, treated[:, ELECTIVE], COSTS, HOSPITAL)
        counts = dict(
            zip(("outpatient", "elective", "emergency", "ae"), treated[0, :4], strict=True)
        )
        return COSTS.hospital_cost(counts, treated[0, 4]) + float(year.stranded_cost[0])

    assert booked(activity) - booked(fewer) == pytest.approx(COSTS.marginal("elective"))
    assert COSTS.marginal("elective") == pytest.approx(
        (1 - 0.5 * (1 - 0.25)) * COSTS.average("elective")
    )


def test_capacity_follows_patients_from_the_trust_they_left_to_the_hospital_they_joined() -> None:
    """A third of a trust's patients move to a vertical ICP's own hospital: the trust's idle
    capacity passes to the ICP up to what it lacks, so the trust strands less while the ICP
    holds what it did (it bought that capacity in before), and no capacity is made or lost;
    with a takeover share of 0 nothing passes."""
    before = np.array([[300.0, 100.0, 90.0, 400.0, 1200.0]])
    trust = (before, before * 2 / 3, before[:, ELECTIVE] * 2 / 3)
    own = (before / 6, before / 3, before[:, ELECTIVE] / 3)  # staffed to half its new patients
    to_trust, to_own = capacity_following_patients(trust, own, [[0]], COSTS)
    assert (to_own > 0).all() and to_trust == pytest.approx(-to_own)
    alone = [follow_activity(*h, COSTS, HOSPITAL) for h in (trust, own)]
    moved = [
        follow_activity(*h, COSTS, HOSPITAL, taken_over=t)
        for h, t in ((trust, to_trust), (own, to_own))
    ]
    assert moved[0].stranded_cost[0] < alone[0].stranded_cost[0]
    assert moved[1].held == pytest.approx(alone[1].held)  # what the ICP uses is unchanged
    assert moved[1].stranded_cost == pytest.approx(alone[1].stranded_cost)
    short = own[1] - alone[1].staffed  # what the ICP lacked, or the trust's idle share
    idle = COSTS.takeover_share * (alone[0].staffed - trust[1])
    assert to_own == pytest.approx(np.minimum(short, idle))
    none = HospitalCosts(Costs(capacity_takeover_share=0.0), Utilisation())
    assert not np.any(capacity_following_patients(trust, own, [[0]], none)[1])


def test_a_closed_icps_hospital_hands_what_its_trust_lacks_to_it() -> None:
    """A closed ICP's hospital treats nobody; its trust, short of capacity for the patients
    who came back, takes over the takeover share of what it staffs, up to what it lacks."""
    activity = np.array([[300.0, 100.0, 90.0, 400.0, 1200.0]])
    trust = (activity / 2, activity, activity[:, ELECTIVE])  # staffed to half its patients
    closed = (activity / 2, np.zeros_like(activity), np.zeros(1))
    to_trust, to_closed = capacity_following_patients(trust, closed, [[0]], COSTS)
    own_staffing = activity / 2 + COSTS.adjustment_speed * (activity - activity / 2)
    left = (1 - COSTS.adjustment_speed) * activity / 2  # what the closed one staffs on its own
    expected = np.minimum(COSTS.takeover_share * left, activity - own_staffing)
    assert to_trust == pytest.approx(expected) and to_closed == pytest.approx(-expected)
