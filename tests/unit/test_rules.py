"""Each payment rule's marginal prices and payments, worked out by hand on tiny inputs.

Rules are built through :func:`build_rule` from their scenario terms on a calibration of
four reference patients (:mod:`tiny_contracts`), or directly where a rule's own arithmetic
is the point. National prices: GP 45, outpatient 120, elective 1,857, emergency 2,360,
A&E 148 (GBP).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.contracts.adjustment import NoRiskAdjustment
from sim.contracts.block import BlockContract, BlockRule
from sim.contracts.budgets import PooledBudgetContract, PracticeBudgetContract
from sim.contracts.bundles import EpisodeBundleContract, EpisodeBundleRule, YearOfCareContract
from sim.contracts.core import (
    BlendedContract,
    CapitationContract,
    CapitationRule,
    TariffContract,
    TariffRule,
)
from sim.contracts.payment import NATIONAL_PRICES, build_rule
from sim.contracts.performance import LeadProviderContract, WithholdContract, WithholdRule
from sim.contracts.risk import (
    CarveOutContract,
    CarveOutRule,
    CorridorRule,
    SharedSavingsContract,
    SharedSavingsRule,
)
from sim.contracts.rule import HOSPITAL_ACTIVITIES
from sim.contracts.tariffs import MarginalRateContract, ReadmissionContract
from sim.contracts.terms import ACTIVITIES

from .tiny_contracts import DIABETES, TinyCalibration, settlement, tiny_context

GP, OP, EL, EM, AE = 45.0, 120.0, 1857.0, 2360.0, 148.0
AGE, SEX, RISK = np.array([30, 70]), np.array([0, 1]), np.array([0.5, 3.0])
HOSPITAL_SPEND = OP * 2.0 + EL * 0.5 + EM * 0.4 + AE * 0.25  # per tiny reference patient
"""Mean expected hospital spend of the four reference patients at national prices."""


def build(terms, scope: str = "all"):
    context = tiny_context()
    return build_rule(terms, scope, context.calibration, context)


def counts(**values: list[float]) -> dict[str, np.ndarray]:
    """Two patients' year: every activity zero unless given."""
    out = {a: np.zeros(2) for a in (*ACTIVITIES, "acsc", "readmission")}
    out.update({a: np.asarray(v, dtype=float) for a, v in values.items()})
    return out


def hospital_tariff() -> TariffRule:
    return TariffRule(prices=dict(NATIONAL_PRICES), activities=HOSPITAL_ACTIVITIES)


# --------------------------------------------------------------------------- core


def test_tariff_pays_the_national_price_for_activity_in_scope_only() -> None:
    rule = build(TariffContract(price_scale=0.5), "hospital")
    assert rule.marginal_price("elective") == 0.5 * EL
    assert rule.marginal_price("acsc") == rule.marginal_price("readmission") == 0.5 * EM
    assert rule.marginal_price("gp_consultation") == 0.0
    paid = rule.patient_payments(counts(elective=[1, 0], ae=[2, 1]), AGE, SEX, RISK)
    assert paid == pytest.approx([0.5 * (EL + 2 * AE), 0.5 * AE])


@pytest.mark.parametrize(
    ("adjustment", "predicted"),
    [("none", [1.0, 1.0]), ("age_sex", [0.5, 2.0]), ("full", [0.5, 2.5])],
)
def test_capitation_pays_a_risk_adjusted_rate_per_head(adjustment: str, predicted) -> None:
    rule = build(CapitationContract(rate_ratio=0.8, risk_adjustment=adjustment))
    assert all(rule.marginal_price(a) == 0.0 for a in ACTIVITIES)
    paid = rule.patient_payments(counts(elective=[5, 0]), AGE, SEX, RISK)
    assert paid == pytest.approx(0.8 * 1000.0 * np.array(predicted))  # full: 2 + 0.5 x (3 - 2)


def test_capitation_for_primary_care_is_set_on_gp_spend() -> None:
    rule = build(CapitationContract(scope="primary_care", risk_adjustment="none"))
    assert rule.rate_per_head == 200.0 and rule.activities == ("gp_consultation",)


def test_blended_pays_each_share_of_capitation_and_tariff() -> None:
    terms = BlendedContract(
        capitation_share=0.25, capitation=CapitationContract(risk_adjustment="none")
    )
    rule = build(terms)
    assert rule.marginal_price("emergency") == 0.75 * EM
    paid = rule.patient_payments(counts(gp_consultation=[2, 0]), AGE, SEX, RISK)
    assert paid == pytest.approx([0.25 * 1000 + 0.75 * 2 * GP, 0.25 * 1000])


# --------------------------------------------------------------------------- block and tariffs


def test_block_is_fixed_in_year_one_then_moves_by_the_uplift() -> None:
    rule = build(BlockContract(budget_ratio=0.9, annual_uplift=0.02), "hospital")
    assert isinstance(rule, BlockRule) and rule.marginal_price("elective") == 0.0
    assert rule.spend_per_risk == pytest.approx(HOSPITAL_SPEND)
    # full adjustment (weight 0.5): age-sex [0.5, 2.0] plus half the gap to risk [0.5, 3.0]
    assert rule.per_enrolee(AGE, SEX, RISK) == pytest.approx(
        0.9 * HOSPITAL_SPEND * np.array([0.5, 2.5])
    )
    state: dict = {}
    value = 0.9 * HOSPITAL_SPEND * (8 + 0.5 * (10 - 8))  # observed risk of the first year
    first = settlement(paid=1000.0, age_sex_risk=8.0, state=state)
    assert rule.settle(first) == pytest.approx(value - 1000)
    assert rule.settle(settlement(paid=0.0, risk=99.0, state=state)) == pytest.approx(1.02 * value)


def test_marginal_rate_pays_a_share_of_tariff_above_the_baseline() -> None:
    rule = build(MarginalRateContract(marginal_rate_by_year=[0.3, 0.7]), "hospital")
    assert rule.marginal_price("emergency") == rule.marginal_price("acsc") == 0.3 * EM
    assert rule.marginal_price("elective") == EL
    baseline = 0.91 * 0.4 * 9  # baseline ratio x emergency spells per head x observed risk
    claw = rule.settle(settlement(counts={"emergency": 5.0}, age_sex_risk=8.0))
    assert claw == pytest.approx(-0.7 * EM * (5 - baseline))
    rule.begin_year(2)
    assert rule.marginal_price("emergency") == 0.7 * EM
    below = settlement(counts={"emergency": 1.0}, age_sex_risk=8.0)
    assert rule.settle(below) == 0.0  # below the baseline


def test_readmissions_after_planned_care_are_not_paid() -> None:
    rule = build(ReadmissionContract(), "hospital")
    planned = (0.1 * 5 / 6 + 0.1 * 5 / 8 + 0.2 * 5 / 9) / 0.4  # elective share of discharges
    assert rule.marginal_price("readmission") == pytest.approx(EM * (1 - planned))
    assert rule.marginal_price("emergency") == EM
    year = counts(elective=[1, 0], emergency=[2, 1], readmission=[1, 1])
    tariff = EL + 2 * EM, EM
    unpaid = [0.5, 0.0]  # first patient: one elective and one emergency first spell
    paid = rule.patient_payments(year, AGE, SEX, RISK)
    assert paid == pytest.approx(np.array(tariff) - EM * np.array(unpaid))


# --------------------------------------------------------------------------- bundles


def test_year_of_care_pays_an_annual_sum_for_the_covered_care() -> None:
    rule = build(YearOfCareContract(price_ratio=1.0))
    annual = ((GP * 6 + OP * 2) + (GP * 8 + OP * 4)) / 2  # patients 2 and 3 have diabetes
    assert rule.annual_sum == pytest.approx(annual)
    assert rule.marginal_price("gp_consultation") == pytest.approx(GP * (1 - 14 / 20))
    assert rule.marginal_price("outpatient") == pytest.approx(OP * (1 - 6 / 8))
    assert rule.marginal_price("elective") == EL
    year = counts(gp_consultation=[3, 3], outpatient=[1, 1], elective=[1, 1])
    year["conditions"] = np.array([DIABETES, 0])
    paid = rule.patient_payments(year, AGE, SEX, RISK)
    assert paid == pytest.approx([EL + annual, 3 * GP + OP + EL])


def test_episode_bundle_prices_follow_up_and_readmissions_into_the_spell() -> None:
    rule = build(EpisodeBundleContract(), "hospital")
    per_spell = (0.1 * 5 / 6 + 0.1 * 5 / 8 + 0.2 * 5 / 9) / 2.0  # planned readmissions / spell
    episode = EL + 1.0 * OP + per_spell * EM
    assert rule.episode_price == pytest.approx(episode)
    assert rule.marginal_price("outpatient") == pytest.approx(OP * (1 - 2.0 / 8))
    year = counts(elective=[1, 0], outpatient=[3, 2], emergency=[1, 0], readmission=[1, 0])
    paid = rule.patient_payments(year, AGE, SEX, RISK)
    # first patient: one follow-up and the readmission after planned care are in the bundle
    assert paid == pytest.approx([episode + 2 * OP, 2 * OP])


def test_episode_bundle_nets_the_carried_care_off_the_spells_marginal_price() -> None:
    """One more spell earns the bundle price but brings follow-ups and readmissions the
    provider must now fund: net of them, at the prices the bundle was built from, a spell
    earns no more than under the tariff, so the bundle adds no volume incentive."""
    tariff = hospital_tariff()
    rule = EpisodeBundleRule(
        base=tariff,
        followups_per_spell=1.5,
        readmissions_per_spell=0.05,
        followup_volume_share=0.25,
        mean_planned_share=0.4,
    )
    assert rule.carried_cost == pytest.approx(1.5 * OP + 0.05 * EM)
    assert rule.episode_price == pytest.approx(EL + 1.5 * OP + 0.05 * EM)
    assert rule.marginal_price("elective") == pytest.approx(EL)
    assert rule.marginal_price("elective") <= tariff.marginal_price("elective")
    # the carried care is what the provider now gains by avoiding
    assert rule.marginal_price("outpatient") == pytest.approx(0.75 * OP)
    assert rule.marginal_price("readmission") == pytest.approx(0.6 * EM)
    scaled = build(EpisodeBundleContract(tariff=TariffContract(price_scale=1.2)), "hospital")
    assert scaled.marginal_price("elective") == pytest.approx(1.2 * EL)


# --------------------------------------------------------------------------- performance


def test_withhold_holds_back_a_share_and_pays_it_on_quality() -> None:
    rule = WithholdRule(base=hospital_tariff(), shares=[0.3], targets=[0.7], floor=0.5)
    assert rule.marginal_price("elective") == pytest.approx(0.7 * EL)
    # 700 paid upfront of 1,000 due; quality 0.6 is half way from floor to target
    assert rule.settle(settlement(paid=700.0, quality=0.6)) == pytest.approx(150.0)
    assert rule.quality_reward(1000.0, None) == pytest.approx(0.3 * 1000 / 0.2)
    peers = WithholdRule(base=hospital_tariff(), peers=True, peer_band=0.1)
    assert peers.bounds(0.8) == (pytest.approx(0.7), 0.8)


def test_withhold_built_on_capitation_through_the_context() -> None:
    terms = WithholdContract(base=CapitationContract(risk_adjustment="none"))
    rule = build(terms)
    assert isinstance(rule, WithholdRule) and isinstance(rule.base, CapitationRule)
    paid = rule.patient_payments(counts(), AGE, SEX, RISK)
    assert paid == pytest.approx([700.0, 700.0]) and rule.monitors_quality


def test_lead_provider_budget_and_bonus() -> None:
    rule = build(LeadProviderContract(risk_adjustment="none", self_provision_cap=0.4))
    assert rule.marginal_price("elective") == 0.0 and rule.self_provision_cap == 0.4
    assert rule.patient_payments(counts(), AGE, SEX, RISK) == pytest.approx([900.0, 900.0])
    bonus = rule.settle(settlement(quality=0.6))  # half of 5% of spend for risk 10
    assert bonus == pytest.approx(0.5 * 0.05 * 1000 * 10)


# --------------------------------------------------------------------------- risk


def test_shared_savings_pay_a_share_of_savings_beyond_the_threshold() -> None:
    rule = SharedSavingsRule(base=hospital_tariff(), savings_share=0.5, benchmark_per_risk=1000.0)
    assert rule.marginal_price("elective") == 0.5 * EL
    assert rule.settle(settlement(paid=9000.0)) == pytest.approx(500.0)
    assert rule.settle(settlement(paid=9900.0)) == 0.0  # under the 2% minimum savings rate
    assert rule.settle(settlement(paid=11000.0)) == 0.0  # one-sided: overspend not repaid
    assert rule.settle(settlement(paid=5000.0)) == pytest.approx(1000.0)  # capped at 10%
    built = build(SharedSavingsContract(benchmark_ratio=1.1), "hospital")
    assert built.benchmark_per_risk == pytest.approx(1.1 * HOSPITAL_SPEND)


def test_corridor_shares_surplus_and_deficit_beyond_the_band() -> None:
    rule = CorridorRule(base=hospital_tariff(), band=0.03, commissioner_share=0.5)
    assert rule.marginal_price("elective") == EL
    assert rule.settle(settlement(paid=1000.0, cost=900.0)) == pytest.approx(-35.0)
    assert rule.settle(settlement(paid=1000.0, cost=1100.0)) == pytest.approx(35.0)
    assert rule.settle(settlement(paid=1000.0, cost=980.0)) == 0.0


def test_carve_out_pays_hospital_care_beyond_the_threshold_at_tariff() -> None:
    capitation = CapitationRule(
        rate_per_head=1000.0, adjuster=NoRiskAdjustment(), activities=ACTIVITIES
    )
    rule = CarveOutRule(
        base=capitation,
        threshold=5000.0,
        prices=dict(NATIONAL_PRICES),
        carved_share={"elective": 0.4, "emergency": 0.2},
    )
    assert rule.marginal_price("elective") == pytest.approx(0.4 * EL)
    assert rule.marginal_price("acsc") == pytest.approx(0.2 * EM)
    assert rule.marginal_price("gp_consultation") == 0.0
    paid = rule.patient_payments(counts(elective=[3, 0], gp_consultation=[9, 9]), AGE, SEX, RISK)
    assert paid == pytest.approx([1000.0 + 3 * EL - 5000.0, 1000.0])
    built = build(CarveOutContract(capitation=CapitationContract(risk_adjustment="none")))
    assert 0 < built.capitation.rate_per_head <= 1000.0  # lowered by the expected carved cost


# --------------------------------------------------------------------------- budgets


def test_practice_budget_charges_referrals_at_the_retained_share() -> None:
    soft = build(PracticeBudgetContract(), "primary_care")
    assert soft.marginal_price("gp_consultation") == 0.0
    assert soft.marginal_price("elective") == pytest.approx(-0.3 * EL)
    assert soft.marginal_price("readmission") == pytest.approx(-0.3 * EM)
    assert soft.engagement == pytest.approx(0.5 * 2 / 3)
    budget = HOSPITAL_SPEND * 8  # on the age-sex risk its capitation sees, not the true 10
    under = soft.settle(settlement(counts={"elective": 5.0}, age_sex_risk=8.0))
    assert under == pytest.approx(0.3 * (budget - 5 * EL))
    over = settlement(counts={"elective": 50.0}, age_sex_risk=8.0)
    assert soft.settle(over) == 0.0  # soft: nothing at risk
    hard = build(PracticeBudgetContract(budget="hard"), "primary_care")
    assert hard.settle(over) == pytest.approx(budget - 50 * EL)
    assert hard.engagement > soft.engagement


def test_pooled_budget_carries_delayed_days_and_funds_intermediate_care() -> None:
    rule = build(PooledBudgetContract(intermediate_care_limit=250.0, delayed_day_value=150.0))
    assert rule.marginal_price("delayed_day") == -150.0
    assert rule.marginal_price("elective") == 0.0  # its capitation base
    assert rule.intermediate_care_limit == 250.0
    assert isinstance(rule.base, CapitationRule)


def test_tiny_calibration_prices_as_documented() -> None:
    context = tiny_context()
    assert context.mean_cost(HOSPITAL_ACTIVITIES, NATIONAL_PRICES) == pytest.approx(HOSPITAL_SPEND)
    assert context.national_prices is NATIONAL_PRICES
    assert isinstance(context.calibration, TinyCalibration)


# --------------------------------------------------------------------------- observed risk

FRAIL = np.array([0.6, 1.8, 0.7, 1.4])
"""Frailty multipliers: what no risk formula sees."""


def covered(risk: np.ndarray, **values):
    """The year-end settlement of four patients aged 30, 50, 70 and 85 with ``risk``."""
    age, sex = np.array([30, 50, 70, 85]), np.array([0, 1, 0, 1])
    seen = TinyCalibration().age_sex_prediction(age, sex)
    terms = {"enrolees": 4.0, "risk": float(risk.sum()), "age_sex_risk": float(seen.sum())}
    return settlement(**{**terms, **values})


BUDGETS = {
    "block value": (lambda a: BlockContract(risk_adjustment=a), "hospital"),
    "shared-savings benchmark on tariff": (
        lambda a: SharedSavingsContract(risk_adjustment=a),
        "hospital",
    ),
    "shared-savings benchmark on capitation": (  # the capitation's formula
        lambda a: SharedSavingsContract(base=CapitationContract(risk_adjustment=a)),
        "all",
    ),
    "marginal-rate baseline": (lambda a: MarginalRateContract(risk_adjustment=a), "hospital"),
    "lead provider's bonus": (lambda a: LeadProviderContract(risk_adjustment=a), "all"),
}


@pytest.mark.parametrize("name", list(BUDGETS))
def test_budgets_set_on_what_the_commissioner_sees_ignore_frailty(name: str) -> None:
    """Two populations differing only in frailty get the same block value, benchmark,
    baseline and bonus under age-sex adjustment; under full adjustment part of the
    difference shows through (what diagnoses and prior use reveal)."""
    terms, scope = BUDGETS[name]
    risk = np.array([0.5, 1.0, 1.5, 2.0])
    year = {"paid": 100.0, "counts": {"emergency": 50.0}, "quality": 0.7}

    def settled(adjustment: str, risk: np.ndarray) -> float:
        rule = build(terms(adjustment), scope)
        return rule.settle(covered(risk, **year, state={}))

    assert settled("age_sex", risk) == pytest.approx(settled("age_sex", risk * FRAIL))
    assert settled("full", risk) != pytest.approx(settled("full", risk * FRAIL))


def test_practice_budget_and_block_instalments_ignore_frailty() -> None:
    """A practice budget is set on the risk its capitation sees (age-sex by default), and a
    block's instalments on the risk its formula sees, whatever the patients' frailty."""
    risk = np.array([0.5, 1.0, 1.5, 2.0])
    budget = build(PracticeBudgetContract(), "primary_care")
    assert budget.settle(covered(risk)) == pytest.approx(budget.settle(covered(risk * FRAIL)))
    assert budget.settle(covered(risk)) == pytest.approx(0.3 * HOSPITAL_SPEND * 5.0)
    block = build(BlockContract(risk_adjustment="age_sex"), "hospital")
    age, sex = np.array([30, 50, 70, 85]), np.array([0, 1, 0, 1])
    paid = block.per_enrolee(age, sex, risk)
    assert block.per_enrolee(age, sex, risk * FRAIL) == pytest.approx(paid)
    assert paid == pytest.approx(HOSPITAL_SPEND * np.array([0.5, 0.5, 2.0, 2.0]))


def test_a_formula_that_sees_age_and_sex_needs_their_sum() -> None:
    rule = build(BlockContract(risk_adjustment="age_sex"), "hospital")
    with pytest.raises(ValueError, match="age-sex predictions"):
        rule.settle(settlement())
