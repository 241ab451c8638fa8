"""The commissioner's rate-setting rules and the ICPs' bids and benefits, worked by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import assert_one_clear_message

from sim.config.commissioner_parameters import (
    BenefitsTerms,
    BiddingTerms,
    CommissionerTerms,
    ProfitCapTerms,
    RebasingTerms,
)
from sim.config.parameters import Choice
from sim.engine.market import rival_icps
from sim.patients.choice import LocalOptions, LogitChoice, OptionTable
from sim.providers.partnership_market import (
    bids,
    clawback_headroom,
    pass_through,
    plan_benefits,
    premium_and_benefits,
)
from sim.providers.rate_setting import (
    CompetitiveBids,
    ContractYear,
    FixedInAdvance,
    ProfitCap,
    Rates,
    Rebasing,
    build_rate_setting,
    standard_rates,
)


def contract_year(
    cost: list[float],
    base_paid: list[float],
    revenue: list[float] | None = None,
    enrolees: list[float] | None = None,
    benefits: list[float] | None = None,
    year: int = 1,
) -> ContractYear:
    n = len(cost)
    return ContractYear(
        year=year,
        is_open=np.ones(n, dtype=bool),
        enrolees=np.array(enrolees or [100.0] * n),
        base_paid=np.array(base_paid, dtype=float),
        cost=np.array(cost, dtype=float),
        benefits=np.array(benefits or [0.0] * n),
        revenue=np.array(revenue or base_paid, dtype=float),
        clawback=np.zeros(n),
        quality=np.full(n, 0.5),
    )


def test_fixed_in_advance_pays_the_contract_rate_whatever_happened() -> None:
    history = [contract_year([50.0, 60.0], [100.0, 100.0])]
    rates = FixedInAdvance().rates(history, Rates(np.array([0.9, 0.8]), np.zeros(2)), np.ones(2))
    assert rates.pay.tolist() == [1.0, 1.0] and rates.rebate.tolist() == [0.0, 0.0]


def test_rebasing_moves_part_way_to_pooled_cost_within_the_ratchet() -> None:
    # pooled cost ratio (80 + 90) / (100 + 100) = 0.85; with a 3% allowance 0.8755
    history = [contract_year([80.0, 90.0], [100.0, 100.0])]
    half = Rebasing(RebasingTerms(speed=0.5, margin_allowance=0.03, max_fall=0.1))
    current = standard_rates(2)
    assert half.rates(history, current, np.ones(2)).pay == pytest.approx([0.93775] * 2)
    # all the way would be 0.8755, but the rate may fall 10% a year at most
    full = Rebasing(RebasingTerms(speed=1.0, margin_allowance=0.03, max_fall=0.1))
    assert full.rates(history, current, np.ones(2)).pay == pytest.approx([0.9, 0.9])
    # cost above the rate: it may rise 2% a year at most (the ratchet)
    dear = [contract_year([120.0], [100.0])]
    rise = Rebasing(RebasingTerms(speed=1.0, max_rise=0.02))
    assert rise.rates(dear, standard_rates(1), np.ones(1)).pay == pytest.approx([1.02])


def test_rebasing_reads_the_year_lag_years_back_and_waits_for_it() -> None:
    old, new = contract_year([80.0], [100.0], year=1), contract_year([100.0], [100.0], year=2)
    rule = Rebasing(RebasingTerms(lag=2, speed=1.0, margin_allowance=0.0, max_fall=0.5))
    last = Rates(np.array([0.95]), np.zeros(1))
    assert rule.rates([old, new], last, np.ones(1)).pay == pytest.approx([0.8])
    assert rule.rates([new], last, np.ones(1)).pay == pytest.approx([0.95])  # not yet seen


def test_bids_mark_up_own_cost_by_less_with_more_rivals_and_are_paid_as_bid() -> None:
    last = contract_year([80.0, 80.0, 120.0], [100.0, 100.0, 100.0])
    offered = bids(last, np.array([0.0, 1.0, 1.0]), BiddingTerms(markup_no_rival=0.06))
    assert offered == pytest.approx([0.848, 0.824, 1.236])  # 0.8 x 1.06, 0.8 x 1.03, 1.2 x 1.03
    rule = CompetitiveBids(BiddingTerms(rebate_share=0.0))
    paid = rule.rates([last], standard_rates(3), offered)
    assert paid.pay == pytest.approx([0.848, 0.824, 1.0])  # never above the reference
    rebate = CompetitiveBids(BiddingTerms(rebate_share=0.5)).rates(
        [last], standard_rates(3), offered
    )
    assert rebate.rebate == pytest.approx([0.076, 0.088, 0.0])  # half of (1 - bid)
    assert rebate.pay == pytest.approx([0.924, 0.912, 1.0])
    # before any year is seen an ICP bids the reference
    assert np.isnan(bids(None, np.zeros(2), BiddingTerms())).all()
    assert rule.rates([], standard_rates(2), np.full(2, np.nan)).pay.tolist() == [1.0, 1.0]


def test_profit_cap_claws_back_what_leaves_the_cap_of_turnover() -> None:
    rule = ProfitCap(ProfitCapTerms(cap=0.075))
    clawed = rule.claw_back(np.array([100.0, 100.0, 100.0]), np.array([80.0, 95.0, 110.0]))
    assert clawed == pytest.approx([100 - 80 / 0.925, 0.0, 0.0])
    kept = 100 - clawed[0]
    assert (kept - 80) / kept == pytest.approx(0.075)  # 7.5% of what it is left with
    assert rule.rates([], standard_rates(2), np.ones(2)).pay.tolist() == [1.0, 1.0]


def test_the_headroom_is_what_could_be_spent_before_the_capped_surplus_paid_for_it() -> None:
    rule = ProfitCap(ProfitCapTerms(cap=0.075))
    revenue, cost = np.array([100.0, 100.0]), np.array([80.0, 95.0])
    room = rule.headroom(revenue, cost)
    assert room == pytest.approx([92.5 - 80.0, 92.5 - 95.0])
    # spending the headroom leaves nothing to claw back, and the surplus at the cap
    spent = cost[0] + room[0]
    assert rule.claw_back(revenue[:1], np.array([spent])) == pytest.approx([0.0], abs=1e-12)
    assert (100.0 - spent) / 100.0 == pytest.approx(0.075)
    # every pound of it the ICP does not spend is clawed back, and more
    assert rule.claw_back(revenue[:1], cost[:1]) == pytest.approx([room[0] / 0.925])
    for other in (FixedInAdvance(), Rebasing(RebasingTerms()), CompetitiveBids(BiddingTerms())):
        assert (other.headroom(revenue, cost) == -np.inf).all()


def test_an_icp_reads_its_headroom_and_the_spread_of_its_cost_from_its_books() -> None:
    rule = ProfitCap(ProfitCapTerms(cap=0.1))
    # 100 members each year; the contract paid GBP 1,000 a member; cost 800, 820, 790
    years = [
        contract_year([c * 100.0, d * 100.0], [100_000.0] * 2, enrolees=[100.0] * 2, year=y)
        for y, (c, d) in enumerate(((800.0, 700.0), (820.0, 760.0), (790.0, 720.0)), start=1)
    ]
    quality = np.array([30.0, 0.0])  # last year's quality effort per member
    room, spread = clawback_headroom(years, standard_rates(2), rule, quality)
    assert room == pytest.approx([900.0 - (790.0 - 30.0), 900.0 - 720.0])
    assert spread == pytest.approx([np.std([20.0, -30.0], ddof=1), np.std([60.0, -40.0], ddof=1)])
    _, one = clawback_headroom(years[:2], standard_rates(2), rule, quality)
    assert one == pytest.approx([20.0, 60.0])
    # at this year's rates, and never on a rebate it must spend on benefits
    lower = Rates(np.array([0.95, 0.95]), np.array([0.05, 0.05]))
    assert clawback_headroom(years, lower, rule, quality)[0] == pytest.approx(room - 100.0 * 0.9)
    before, none = clawback_headroom([], standard_rates(2), rule, quality)
    assert (before == -np.inf).all() and (none == 0).all()
    # a year an ICP did not run is no change in its cost: the second opens in year 2
    years[0].is_open[1] = False
    _, late = clawback_headroom(years, standard_rates(2), rule, quality)
    assert late == pytest.approx([np.std([20.0, -30.0], ddof=1), 40.0])
    years[1].is_open[1] = False
    assert clawback_headroom(years, standard_rates(2), rule, quality)[1][1] == 0.0


def test_pass_through_rises_with_rivals_from_the_least_to_the_most_competitive() -> None:
    terms = BenefitsTerms(enabled=True, competitive_rivals=2)
    assert pass_through(np.array([0.0, 1.0, 2.0, 5.0]), terms) == pytest.approx(
        [0.13, 0.435, 0.74, 0.74]
    )


def test_benefits_pass_on_a_share_of_the_surplus_kept_and_the_whole_rebate() -> None:
    # 100 members; the contract paid GBP 1,000 each, cost GBP 800 each
    last = contract_year([80_000.0], [100_000.0], enrolees=[100.0])
    terms = BenefitsTerms(enabled=True, pass_through_no_rival=0.13)
    fixed = plan_benefits(last, standard_rates(1), FixedInAdvance(), np.zeros(1), terms)
    assert fixed == pytest.approx([0.13 * 200.0])
    # a rate of 0.9 leaves GBP 100 a member
    lower = Rates(np.array([0.9]), np.zeros(1))
    assert plan_benefits(last, lower, FixedInAdvance(), np.zeros(1), terms) == pytest.approx([13.0])
    # under a 7.5% cap it passes on a share of what it would keep: 1000 - 800 / 0.925 - 800
    capped = plan_benefits(last, standard_rates(1), ProfitCap(ProfitCapTerms()), np.zeros(1), terms)
    assert capped == pytest.approx([0.13 * (800 / 0.925 - 800)])
    # a rebate is spent in full, whether or not the ICP passes on surplus
    rebate = Rates(np.array([0.95]), np.array([0.05]))
    off = BenefitsTerms(enabled=False)
    assert plan_benefits(last, rebate, FixedInAdvance(), np.zeros(1), off) == pytest.approx([50.0])
    assert plan_benefits(None, rebate, FixedInAdvance(), np.zeros(1), terms).tolist() == [0.0]


def test_what_an_icp_passes_on_lowers_its_premium_first_where_members_value_that_more() -> None:
    # GBP 30, 540 and 600 passed on against a GBP 540 top-up
    passed = np.array([30.0, 540.0, 600.0])
    premium, benefits = premium_and_benefits(passed, 540.0, beta_premium=1.05, beta_benefits=0.3)
    assert premium.tolist() == [510.0, 0.0, 0.0]  # never below nothing
    assert benefits.tolist() == [0.0, 0.0, 60.0]  # the rest as extra benefits
    # members valuing benefits more: the whole top-up is charged and benefits bought
    premium, benefits = premium_and_benefits(passed, 540.0, beta_premium=0.2, beta_benefits=0.3)
    assert premium.tolist() == [540.0] * 3 and benefits.tolist() == passed.tolist()
    # no top-up: what is passed on buys benefits, whatever members value more
    premium, benefits = premium_and_benefits(passed, 0.0, beta_premium=1.05, beta_benefits=0.3)
    assert premium.tolist() == [0.0] * 3 and benefits.tolist() == passed.tolist()


def test_contract_year_margins_and_cost_ratios() -> None:
    year = contract_year(
        [80.0, 50.0], [100.0, 0.0], revenue=[100.0, 60.0], benefits=[10.0, 0.0], year=3
    )
    assert year.margin() == pytest.approx([0.1, 10 / 60])
    assert year.pooled_margin() == pytest.approx((10 + 10) / 160)
    assert year.cost_ratio()[0] == pytest.approx(0.8) and np.isnan(year.cost_ratio()[1])
    assert year.pooled_cost_ratio() == pytest.approx(0.8)  # only where the contract paid


def test_rival_icps_counts_other_open_icps_in_the_busiest_locality() -> None:
    # localities x options (default first): ICPs 0 and 1 in locality 0, ICP 2 in both
    available = np.array([[True, True, True, True], [True, False, False, True]])
    cells = (np.array([0, 1, 2, 2]), np.array([0, 0, 0, 1]))
    assert rival_icps(available, cells).tolist() == [2.0, 2.0, 2.0]
    available[0, 2] = False  # ICP 1 closed: the others have one rival left, it has two
    assert rival_icps(available, cells).tolist() == [1.0, 2.0, 1.0]


def test_each_rule_is_built_from_its_name() -> None:
    for name, kind in (
        ("fixed", FixedInAdvance),
        ("rebasing", Rebasing),
        ("bidding", CompetitiveBids),
        ("profit_cap", ProfitCap),
    ):
        assert isinstance(build_rate_setting(CommissionerTerms(rate_setting=name)), kind)
    assert not CommissionerTerms().active


def test_an_unknown_rule_gets_one_clear_message(tmp_path: Path) -> None:
    text = '[commissioner]\nrate_setting = "auction"\n'
    assert_one_clear_message(tmp_path, "bad", text, "rate_setting", "rebasing")


@pytest.mark.parametrize(
    ("column", "beta", "per_gbp_100"),
    [("benefits", "beta_benefits", 0.3), ("premium", "beta_premium", -1.05)],
)
def test_benefits_add_and_a_premium_takes_its_beta_per_gbp_100_from_utility(
    column: str, beta: str, per_gbp_100: float
) -> None:
    """The one utility term benefits or a premium adds, the same in the dense and the local
    utilities: GBP 200 and 50 a year in the two ICPs, none in the fragmented default."""
    params = Choice(**{beta: abs(per_gbp_100)})
    plain = OptionTable(
        available=np.array([[True, True, True]]),
        quality=np.array([[0.5, 0.6, 0.7]]),
        waiting=np.array([[8.0, 8.0, 8.0]]),
        selection=np.zeros((1, 3)),
        site=np.array([[np.nan, 0.2, 0.8]]),
        radius_km=np.array([5.0]),
    )
    offered = OptionTable(**{**vars(plain), column: np.array([[0.0, 200.0, 50.0]])})
    rule = LogitChoice(params)
    args = (
        np.zeros(2, dtype=np.uint8),  # current option
        np.zeros(2, dtype=np.uint16),  # locality
        np.array([0.25, 0.75], dtype=np.float16),
        np.array([False, True]),
        np.full(2, 0.5, dtype=np.float32),
        np.full(2, 2.0, dtype=np.float32),
    )
    expected = np.array([[0.0, 2.0, 0.5]] * 2) * per_gbp_100
    gain = rule.utilities(offered, *args) - rule.utilities(plain, *args)
    assert gain == pytest.approx(expected)
    local = [LocalOptions.from_table(t, params) for t in (plain, offered)]
    local_gain = rule.local_utilities(local[1], *args) - rule.local_utilities(local[0], *args)
    assert pytest.approx(expected, abs=1e-5) == local_gain.T


def test_rebasing_on_each_icps_own_cost() -> None:
    history = [contract_year([80.0, 90.0], [100.0, 100.0])]
    own = Rebasing(RebasingTerms(basis="own", speed=1.0, margin_allowance=0.0, max_fall=0.5))
    assert own.rates(history, standard_rates(2), np.ones(2)).pay == pytest.approx([0.8, 0.9])
