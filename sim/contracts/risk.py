"""Sharing financial risk: gain-sharing against a benchmark, corridors, carve-outs.

* Shared savings: the provider keeps a share of spend saved against a benchmark (seed 004
  L330-332, L2257; seed 000:264-266), so one more unit of activity costs it that share
  of its price - the pull towards prevention that a pure tariff lacks.
* Corridors: surpluses and deficits beyond a band are shared with the commissioner
  (seed 004 L1482-1483, L1623-1625), so a capitated provider is less exposed to ruin.
* Carve-outs: high-cost care is paid outside the capitation (seed 003:406-408,
  305-307), which takes the costliest patients' tail off the provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.contracts.base import CapitationVariant, WrappedRule
from sim.contracts.payment import (
    BUILDERS,
    HOSPITAL_ACTIVITIES,
    NATIONAL_PRICES,
    RuleContext,
    Settlement,
    _capitation,
    _spell,
    build_rule,
)
from sim.contracts.terms import CarveOutContract, CorridorContract, SharedSavingsContract
from sim.patients.calibration import Calibration


@dataclass
class SharedSavingsRule(WrappedRule):
    """The base payment, plus a share of savings against a risk-based benchmark."""

    savings_share: float = 0.5
    two_sided: bool = False
    minimum_savings_rate: float = 0.02
    cap_share: float = 0.1
    benchmark_per_risk: float = 0.0  # GBP of expected spend per unit of risk score

    def marginal_price(self, activity: str) -> float:
        return (1 - self.savings_share) * self.base.marginal_price(activity)

    def settle(self, settlement: Settlement) -> float:
        base = self.base.settle(settlement)
        benchmark = self.benchmark_per_risk * settlement.risk
        savings = benchmark - (settlement.paid + base)
        if savings >= self.minimum_savings_rate * benchmark or (
            self.two_sided and savings <= -self.minimum_savings_rate * benchmark
        ):
            share = self.savings_share * savings
            return base + float(
                np.clip(share, -self.cap_share * benchmark, self.cap_share * benchmark)
            )
        return base


def build_shared_savings(
    config: SharedSavingsContract, scope: str, calibration: Calibration, context: RuleContext
) -> SharedSavingsRule:
    base = build_rule(config.base, scope, calibration, context)
    benchmark = config.benchmark_ratio * context.mean_cost(base.activities, NATIONAL_PRICES)
    return SharedSavingsRule(
        base=base,
        own_admin_cost=config.admin_cost_per_head,
        savings_share=config.savings_share,
        two_sided=config.two_sided,
        minimum_savings_rate=config.minimum_savings_rate,
        cap_share=config.cap_share,
        benchmark_per_risk=benchmark,
    )


@dataclass
class CorridorRule(WrappedRule):
    """The base payment; beyond ``band`` of revenue the commissioner shares surplus or deficit.

    Inside the band the provider bears every pound, so its marginal prices are the base's.
    """

    band: float = 0.03
    commissioner_share: float = 0.5

    def settle(self, settlement: Settlement) -> float:
        base = self.base.settle(settlement)
        revenue = settlement.paid + base
        result = revenue - settlement.cost
        limit = self.band * abs(revenue)
        if result > limit:
            return base - self.commissioner_share * (result - limit)
        if result < -limit:
            return base + self.commissioner_share * (-result - limit)
        return base


def build_corridor(
    config: CorridorContract, scope: str, calibration: Calibration, context: RuleContext
) -> CorridorRule:
    return CorridorRule(
        base=build_rule(config.base, scope, calibration, context),
        own_admin_cost=config.admin_cost_per_head,
        band=config.band,
        commissioner_share=config.commissioner_share,
    )


def hospital_cost_at_tariff(counts: dict, prices: dict[str, float]) -> np.ndarray:
    """Each patient's hospital care this year at tariff (emergency counts every spell)."""
    return sum(prices[a] * np.asarray(counts[a], dtype=np.float64) for a in HOSPITAL_ACTIVITIES)


@dataclass(kw_only=True)
class CarveOutRule(CapitationVariant):
    """Capitation for everything but each patient's hospital care beyond ``threshold``.

    Care beyond the threshold is paid at tariff; the capitation rate is lowered by its
    expected cost. One more unit of hospital care earns its price only when it falls
    beyond a patient's threshold: ``carved_share`` is how often that is, by activity.
    """

    threshold: float
    prices: dict[str, float]
    carved_share: dict[str, float] = field(default_factory=dict)

    def marginal_price(self, activity: str) -> float:
        a = _spell(activity)
        return self.prices.get(a, 0.0) * self.carved_share.get(a, 0.0)

    def carved(self, counts: dict) -> np.ndarray:
        return np.maximum(hospital_cost_at_tariff(counts, self.prices) - self.threshold, 0.0)

    def patient_payments(self, counts, age, sex, risk):
        return self.capitation.per_enrolee(age, sex, risk) + self.carved(counts)


def build_carve_out(
    config: CarveOutContract, scope: str, calibration: Calibration, context: RuleContext
) -> CarveOutRule:
    base = _capitation(config.capitation, scope, calibration)
    expected = context.expected_counts
    rng = np.random.default_rng(20_030_406)  # fixed: a year of realised care at England rates
    realised = {
        a: rng.poisson(expected[a]).astype(np.float64)
        for a in ("outpatient", "elective", "ae", "acsc", "readmission")
    }
    realised["emergency"] = (
        rng.poisson(expected["emergency"] - expected["acsc"] - expected["readmission"]).astype(
            np.float64
        )
        + realised["acsc"]
        + realised["readmission"]
    )
    cost = hospital_cost_at_tariff(realised, NATIONAL_PRICES)
    beyond = cost > config.threshold
    carved_mean = float(np.maximum(cost - config.threshold, 0.0).mean())
    shares = {
        a: float(realised[a][beyond].sum() / max(realised[a].sum(), 1.0))
        for a in HOSPITAL_ACTIVITIES
    }
    base.rate_per_head *= max(0.0, 1 - carved_mean / calibration.mean_expected_cost)
    return CarveOutRule(
        base=base,
        own_admin_cost=config.admin_cost_per_head,
        threshold=config.threshold,
        prices=dict(NATIONAL_PRICES),
        carved_share=shares,
    )


BUILDERS["shared_savings"] = build_shared_savings
BUILDERS["risk_corridor"] = build_corridor
BUILDERS["carve_out"] = build_carve_out
