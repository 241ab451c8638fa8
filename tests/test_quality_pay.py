"""Trusts and practices buy quality when their contract pays for it, and patients gain.

CQUIN makes a share of a trust's contract value conditional on quality (seed 002
L1262-1263); the scenario ``cquin_hospital_quality`` withholds 2.5% of each trust's tariff
income and pays it back on the quality its own patients' outcomes show.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from helpers import assert_greater, scenario
from policy_helpers import LATE, arm, per_rep

from sim.config.parameters import Behaviour
from sim.config.scenario import with_overrides
from sim.providers.costs import paid_quality_gain


@dataclass
class PricedQuality:
    """A contract paying ``reward`` a patient-year per unit of quality up to ``target``."""

    reward: float
    target: float | None

    def quality_reward(self, revenue_per_enrolee: float, peer_quality: float | None) -> float:
        return self.reward

    def quality_target(self, peer_quality: float | None) -> float | None:
        return self.target


def test_quality_bought_is_the_reward_share_of_the_way_to_the_target() -> None:
    b = Behaviour()  # base 0.5, 40 GBP per 0.1 of quality, at most 0.3 gained
    # 2.5% of 1,000 GBP over a band of 0.2: 125 GBP per unit; a unit costs 400
    reward = 0.025 * 1000 / 0.2
    gain = paid_quality_gain(PricedQuality(reward, 0.7), 1000.0, None, b)
    assert gain == pytest.approx(0.2 * (125 / 400) / (1 + 125 / 400))
    assert paid_quality_gain(PricedQuality(0.0, 0.7), 1000.0, None, b) == 0.0
    assert paid_quality_gain(PricedQuality(reward, None), 1000.0, None, b) == 0.0
    far = paid_quality_gain(PricedQuality(1e9, 0.95), 1000.0, None, b)
    assert far == pytest.approx(b.quality_max_gain, rel=1e-6), "never past the most effort buys"


def test_cquin_raises_hospital_quality_and_lowers_amenable_deaths_at_a_cost() -> None:
    cquin = arm(scenario("cquin_hospital_quality"))
    tariff = arm(scenario("fragmented_tariff"))
    default = {"system": "fragmented", "years": LATE}
    assert_greater(
        per_rep(cquin, "quality", **default), per_rep(tariff, "quality", **default), what="care"
    )
    assert_greater(
        per_rep(cquin, "measured_quality", **default),
        per_rep(tariff, "measured_quality", **default),
        what="measured quality",
    )
    assert_greater(
        per_rep(tariff, "amenable_deaths_per_1000", **default),
        per_rep(cquin, "amenable_deaths_per_1000", **default),
        what="amenable deaths, tariff minus CQUIN",
    )
    assert_greater(
        per_rep(cquin, "trust_cost_per_capita", **default),
        per_rep(tariff, "trust_cost_per_capita", **default),
        what="trusts bear what quality costs",
    )


def test_practices_paid_on_quality_buy_it_too() -> None:
    """The same withhold on the practices' capitation (the GMS contract rewards the team for
    the quality of care it delivers: seed 001:284-286)."""
    sc = scenario("fragmented_tariff")
    paid = with_overrides(
        sc,
        {
            "contracts.gp": {
                "kind": "p4p_withhold",
                "withhold_share_by_year": [0.1],
                "base": {"kind": "capitation", "scope": "primary_care"},
            }
        },
    )
    with_pay, without = arm(paid, years=3, reps=3), arm(sc, years=3, reps=3)
    default = {"system": "fragmented", "years": [2, 3]}
    assert_greater(
        per_rep(with_pay, "quality", **default), per_rep(without, "quality", **default), what="q"
    )
