"""Providers on hand-made inputs: costs and responses, accounts, waits, the commissioner and
the partnerships' table (no simulation)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import mesa
import numpy as np
import pytest
from helpers import icp_stand_in
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.parameters import Behaviour, Costs, Hospital, Utilisation
from sim.config.scenario import Prices
from sim.providers.accounts import Provider, ProviderAccounts, row_attribute
from sim.providers.capacity import waiting_weeks
from sim.providers.commissioner import Commissioner
from sim.providers.costs import (
    HospitalCosts,
    competitive_quality_gain,
    elementwise,
    prevention_response,
    readmission_response,
)
from sim.providers.partnership_plans import CONTRACT_TERMS, PLANNED_ACTIVITIES
from sim.providers.partnership_table import PLANNED_RATES, Expectations, Partnerships

PRICES = Prices().as_dict()  # the national prices HospitalCosts starts from


@pytest.fixture
def costs() -> HospitalCosts:
    return HospitalCosts(
        Costs(
            bed_day=300.0,
            hospital_fixed_share=0.6,
            capacity_adjustment_speed=0.25,
            community_outpatient_cost_ratio=0.6,
            community_elective_cost_ratio=0.8,
        ),
        Utilisation(elective_los_days=2.0, emergency_los_days=5.0),
    )


def test_average_cost_is_the_price_and_marginal_cost_sheds_a_share_of_the_fixed_part(costs):
    """One unit fewer saves its variable 40% and a quarter (the capacity shed in a year) of
    its fixed 60%: 55% of average cost, for every activity."""
    for activity, los in (("elective", 2.0), ("emergency", 5.0), ("outpatient", 0.0)):
        non_bed_day = PRICES[activity] - los * 300.0
        assert costs.fixed[activity] == pytest.approx(non_bed_day)
        assert costs.average(activity) == pytest.approx(PRICES[activity])
        assert costs.marginal(activity) == pytest.approx(0.55 * PRICES[activity])
    assert costs.capacity_cost.tolist() == pytest.approx(
        [0.6 * costs.fixed[a] for a in ("outpatient", "elective", "emergency", "ae")] + [180.0]
    )
    for alias in ("acsc", "readmission"):  # emergency spells by another name
        assert costs.average(alias) == costs.average("emergency")
        assert costs.marginal(alias) == costs.marginal("emergency")
    assert costs.average("bed_day") == 300.0
    assert costs.marginal("delayed_day") == pytest.approx(0.55 * 300.0)
    assert costs.community("outpatient") == pytest.approx(0.6 * PRICES["outpatient"])
    assert costs.community("elective") == pytest.approx(0.8 * PRICES["elective"])


def test_margins_and_the_volume_response_to_them(costs):
    avg, marginal = costs.average("elective"), costs.marginal("elective")
    assert costs.margin_rate(avg, "elective") == pytest.approx((avg - marginal) / avg)
    assert costs.reference_margin_rate("elective") == costs.margin_rate(avg, "elective")
    assert costs.volume_response(avg, "elective", 0.4) == 1.0  # the tariff is the reference
    gap = costs.margin_rate(0.0, "elective") - costs.reference_margin_rate("elective")
    assert costs.volume_response(0.0, "elective", 0.4) == pytest.approx(math.exp(0.4 * gap))
    assert costs.volume_response(0.0, "elective", 0.4) < 1.0  # a block pays nothing more
    counts = {"outpatient": 10, "elective": 2, "emergency": 3, "ae": 4}
    expected = sum(costs.fixed[a] * counts[a] for a in counts) + 20 * 300.0
    assert costs.hospital_cost(counts, 20.0) == pytest.approx(expected)


def test_readmissions_fall_only_when_one_earns_less_than_under_the_tariff(costs):
    b = Behaviour(readmission_avoidance_max=0.4, readmission_avoidance_scale=0.5)
    assert readmission_response(costs, costs.average("readmission"), b) == 1.0
    assert readmission_response(costs, 2 * costs.average("readmission"), b) == 1.0
    loss = costs.reference_margin_rate("readmission") - costs.margin_rate(0.0, "readmission")
    assert readmission_response(costs, 0.0, b) == pytest.approx(
        1 - 0.4 * (1 - math.exp(-loss / 0.5))
    )


def test_prevention_spends_where_the_marginal_saving_equals_the_marginal_pound():
    half = 10.0
    spend, effect = prevention_response(np.array([0.0, half, half * math.e, 1e9]), half)
    assert spend[:2].tolist() == [0.0, 0.0] and effect[:2].tolist() == [0.0, 0.0]
    assert spend[2] == pytest.approx(half) and effect[2] == pytest.approx(1 - math.exp(-1))
    assert 0 < effect[3] < 1


def test_elementwise_is_the_scalar_function_of_each_value_in_its_shape():
    x = np.array([[0.0, 1.0], [-2.0, 3.5]])
    out = elementwise(math.exp, x)
    assert out.shape == (2, 2)
    assert out.ravel().tolist() == [math.exp(v) for v in x.ravel().tolist()]


def test_waits_hold_at_the_reference_load_and_stop_at_the_maximum():
    h = Hospital(waiting_weeks_base=8.0, reference_load=0.9, waiting_weeks_max=52.0)
    weeks = waiting_weeks(np.array([0.5, 0.9, 1.0, 100.0]), h)
    assert weeks[1] == pytest.approx(8.0) and weeks[3] == pytest.approx(52.0)
    assert weeks[0] < weeks[1] < weeks[2] < weeks[3]


def test_accounts_book_a_year_per_row_and_keep_reserves():
    accounts = ProviderAccounts()
    assert [accounts.add_row() for _ in range(3)] == [0, 1, 2] and len(accounts) == 3
    accounts.book([0, 2], [10.0, 5.0], [4.0, 8.0])
    accounts.book([0], [1.0], [2.0])
    assert accounts.revenue.tolist() == [1.0, 0.0, 5.0]
    assert accounts.surplus.tolist() == [-1.0, 0.0, -3.0]
    assert accounts.reserves.tolist() == [5.0, 0.0, -3.0]


def test_a_provider_reads_and_writes_its_own_row():
    model = mesa.Model(seed=1)
    model.books = ProviderAccounts()
    first, second = Provider(model, "first"), Provider(model, "second")
    second.revenue = 7.0
    second.book(revenue=9.0, cost=4.0)
    assert (first.row, second.row) == (0, 1)
    assert model.books.revenue.tolist() == [0.0, 9.0]
    assert (second.surplus, second.reserves, first.reserves) == (5.0, 5.0, 0.0)


def test_row_attribute_reads_any_table_an_agent_holds():
    class Agent:
        value = row_attribute("table", "at", "column", "one entry")

        def __init__(self, table, at):
            self.table, self.at = table, at

    table = SimpleNamespace(column=np.array([1.0, 2.0]))
    agent = Agent(table, 1)
    agent.value = 5.0
    assert table.column.tolist() == [1.0, 5.0] and agent.value == 5.0
    assert Agent.value.__doc__ == "one entry"


def test_the_commissioner_keeps_each_contracts_state_from_year_to_year():
    class Counting:
        def settle(self, settlement) -> float:
            settlement.state["years"] = settlement.state.get("years", 0) + 1
            return 10.0 * settlement.state["years"]

    commissioner = Commissioner(mesa.Model(seed=1), {})
    rule = Counting()
    amounts = [
        commissioner.settle("icp", rule, SimpleNamespace(payee=payee)) for payee in ("a", "a", "b")
    ]
    assert amounts == [10.0, 20.0, 10.0]
    assert commissioner.contract_state == {("icp", "a"): {"years": 2}, ("icp", "b"): {"years": 1}}
    assert commissioner.settlements[("icp", "a")] == 20.0
    commissioner.record({"a": 3.0, "b": 4.0})
    commissioner.rescue("a", 2.0)
    assert (commissioner.spend, commissioner.rescues) == (9.0, {"a": 2.0})


def test_the_plan_prices_its_own_contracts_activities_first():
    assert CONTRACT_TERMS[: len(PLANNED_ACTIVITIES)] == PLANNED_ACTIVITIES


def test_the_partnerships_table_declares_its_rate_factors_and_costs_row_by_row(costs):
    table = Partnerships(costs, Behaviour())
    for option, vertical in ((1, True), (2, False)):
        icp = icp_stand_in(option, vertical, management_cost=20.0, fixed_cost_per_resident=1.0)
        assert table.add(icp, waiting_base=8.0) == option - 1
    assert table.vertical.tolist() == [True, False] and len(table) == 2
    assert table.open_due(year=1).tolist() == [0, 1]
    table.elective_volume[:] = [0.9, 1.0]
    table.referral_management[:] = [0.0, 0.2]
    table.applied_acsc[:] = [-0.5, 0.7]  # an effect cannot make a rate negative
    factors = table.rate_factors(np.array([0, 1]))
    assert list(factors) == list(PLANNED_RATES)
    assert factors[("elective", None)].tolist() == pytest.approx([0.9, 0.8])
    assert factors[("acsc", True)].tolist() == [0.0, 0.7]
    table.quality_spend[:] = [5.0, 0.0]
    own = table.own_costs(np.array([100.0, 10.0]), np.array([0.0, 0.0]), np.array([50.0, 50.0]))
    assert own.tolist() == pytest.approx([(5.0 + 20.0) * 100 + 50.0, 20.0 * 10 + 50.0])
    assert Expectations(*range(7)).revenue == 0


def _two_icps(costs: HospitalCosts) -> Partnerships:
    """A table of two open ICPs (a vertical, a virtual one) on nothing but defaults."""
    table = Partnerships(costs, Behaviour())
    for option, vertical in ((1, True), (2, False)):
        table.add(icp_stand_in(option, vertical, management_cost=20.0), waiting_base=8.0)
    table.open_due(year=1)
    return table


def test_a_pound_saved_is_kept_unless_the_claw_back_would_take_it(costs):
    """Of a pound saved, an ICP keeps all while the quality it can buy would use up what a
    claw-back would take, none once even the most effort (0.3 points at GBP 40 per 0.1: 120
    a member) would leave some to be clawed back, and in between the chance its cost, moving
    by its year-to-year spread, uses the rest up."""
    table, rows = _two_icps(costs), np.array([0, 1])
    assert table.saving_kept(rows).tolist() == [1.0, 1.0]  # no claw-back seen
    table.clawback_headroom[:] = [100.0, 150.0]
    assert table.saving_kept(rows).tolist() == [1.0, 0.0]  # a spread of 0: certain
    table.cost_spread[:] = [20.0, 30.0]
    kept = table.saving_kept(rows)
    assert kept == pytest.approx(
        [0.5 * math.erfc(-1 / math.sqrt(2)), 0.5 * math.erfc(1 / math.sqrt(2))]
    )
    table.clawback_headroom[:] = -np.inf  # a rule that never claws back
    assert table.saving_kept(rows).tolist() == [1.0, 1.0]


def test_an_own_hospital_whose_savings_are_clawed_back_stops_cutting_volume(costs):
    """On capitation one more elective costs a vertical ICP's hospital its marginal cost; if
    the claw-back would take the saving, a unit rather earns its cost back, so volume is set
    as at that price: higher than capitation's, and in between for a part kept."""
    table = _two_icps(costs)
    table.members[0].rule = SimpleNamespace(marginal_price=lambda activity: 0.0)
    b, vertical = Behaviour(), np.array([0])

    def volume(kept: float) -> tuple[float, float, float]:
        table._plan_reimbursed_hospitals(vertical, np.array([kept]))
        return (
            float(table.elective_volume[0]),
            float(table.emergency_volume[0]),
            float(table.readmission_factor[0]),
        )

    capitated, none_kept, half = volume(1.0), volume(0.0), volume(0.5)
    assert capitated[0] == pytest.approx(
        costs.volume_response(0.0, "elective", b.induced_demand_elasticity)
    )
    cost_back = costs.marginal("elective")
    assert none_kept[0] == pytest.approx(
        costs.volume_response(cost_back, "elective", b.induced_demand_elasticity)
    )
    for k in range(3):
        assert capitated[k] <= half[k] <= none_kept[k]
    assert capitated[0] < half[0] < none_kept[0]


def test_an_icp_buys_quality_with_what_a_claw_back_would_take(costs):
    """Quality effort is the larger of what the margin calls for and what the headroom
    buys for nothing, up to the most effort can buy, whether members can leave or not."""
    table, rows = _two_icps(costs), np.array([0, 1])
    table.expect_revenue[:] = table.expect_care_cost[:] = 800.0  # no margin: no effort
    terms, none = {"monitors_quality": np.zeros(2)}, np.zeros(2)
    table._plan_quality(rows, terms, none)
    assert table.quality_spend.tolist() == [0.0, 0.0]
    table.clawback_headroom[:] = [60.0, 500.0]
    table.contestable[:] = [True, False]
    table._plan_quality(rows, terms, none)
    assert table.quality_spend.tolist() == pytest.approx([60.0, 120.0])
    assert table.quality.tolist() == pytest.approx([0.5 + 0.15, 0.5 + 0.3])
    # a margin calling for more than the headroom buys is spent as before
    table.expect_revenue[:] = 2_000.0
    margin = 2_000.0 - 800.0 - 20.0
    table._plan_quality(rows, terms, none)
    own = 400.0 * float(competitive_quality_gain(np.array([margin]), Behaviour())[0])
    assert own > 60.0 and table.quality_spend[0] == pytest.approx(own)


@settings(max_examples=200, deadline=None)
@given(
    margin=st.floats(-500.0, 5000.0),
    scale=st.floats(0.02, 0.5),
    cost=st.floats(10.0, 100.0),
    max_gain=st.floats(0.1, 0.4),
)
def test_quality_effort_is_what_the_margin_it_leaves_calls_for(
    margin: float, scale: float, cost: float, max_gain: float
) -> None:
    """The gain is a fixed point of the effort rule on the margin left after the effort, never
    spends more than the margin, stays below the most effort can buy, and rises with the
    margin; without a margin there is none."""
    b = Behaviour(
        quality_effort_scale=scale, quality_cost_per_enrolee=cost, quality_max_gain=max_gain
    )
    gain = float(competitive_quality_gain(np.array([margin]), b)[0])
    spent = cost * gain / 0.1
    if margin <= 0:
        assert gain == 0.0
        return
    z = scale * (margin - spent) / cost
    assert gain == pytest.approx(max_gain * z / (1 + z), rel=1e-9, abs=1e-12)
    assert 0.0 <= spent <= margin * (1 + 1e-12)
    assert gain < max_gain
    more = float(competitive_quality_gain(np.array([margin * 1.1 + 1.0]), b)[0])
    assert more >= gain
    # planned on the margin before its own cost, the old rule bought more
    z_gross = scale * margin / cost
    assert gain <= max_gain * z_gross / (1 + z_gross) + 1e-12
