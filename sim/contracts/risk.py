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
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from sim.base.schema import Strict
from sim.config.declare import P
from sim.contracts.adjustment import (
    NoRiskAdjustment,
    RiskAdjuster,
    RiskAdjustmentTerms,
    make_risk_adjuster,
)
from sim.contracts.base import BaseTerms, CapitationVariant, WrappedRule
from sim.contracts.core import CapitationContract, TariffContract, build_capitation
from sim.contracts.rule import HOSPITAL_ACTIVITIES, Settlement, spell

if TYPE_CHECKING:
    from sim.contracts.context import BuildContext, CalibrationView


class SharedSavingsContract(RiskAdjustmentTerms):
    """Gain-sharing: the provider keeps a share of spend saved against a benchmark.

    Birmingham East and North's lead provider was funded after year 1 "dependent on the
    savings the provider delivered" (seed 004 L330-332); "the aim is to use incentives to
    share gains with providers" (L2257); practices offered "a share of the savings made"
    (seed 000:264-266). The benchmark follows the covered population's risk as the base
    contract's risk formula sees it (a capitation's, a block's), or, where the base sees
    none (a tariff), as ``risk_adjustment`` does.
    """

    roles: ClassVar[tuple[str, ...]] = ("hospital", "purchase", "icp")
    kind: Literal["shared_savings"] = "shared_savings"
    base: BaseTerms = Field(default_factory=TariffContract)
    savings_share: float = P(
        0.5,
        "share of savings against the benchmark paid to the provider",
        assumption=(0.2, 0.8),
        ge=0,
        le=1,
    )
    two_sided: bool = Field(
        False, description="the provider also repays the same share of any overspend"
    )
    minimum_savings_rate: float = P(
        0.02,
        "savings, as a share of the benchmark, below which nothing is shared",
        assumption=(0.0, 0.04),
        ge=0,
        lt=1,
    )
    cap_share: float = P(
        0.1,
        "largest payment (or repayment) as a share of the benchmark",
        assumption=(0.05, 0.2),
        gt=0,
        le=1,
    )
    benchmark_ratio: float = P(
        1.0,
        "benchmark / expected spend at England rates on the covered population's risk",
        assumption=(0.95, 1.05),
        gt=0,
    )
    admin_cost_per_head: float = P(
        3.0,
        "GBP per covered patient-year to set and reconcile the benchmark",
        assumption=(1, 10),
        ge=0,
    )


@dataclass
class SharedSavingsRule(WrappedRule):
    """The base payment, plus a share of savings against a risk-based benchmark.

    The benchmark is set on the covered population's risk as ``adjuster`` sees it (head
    counts only for a rule built by hand without one).
    """

    savings_share: float = 0.5
    two_sided: bool = False
    minimum_savings_rate: float = 0.02
    cap_share: float = 0.1
    benchmark_per_risk: float = 0.0  # GBP of expected spend per unit of risk score
    adjuster: RiskAdjuster = field(default_factory=NoRiskAdjustment)

    def marginal_price(self, activity: str) -> float:
        return (1 - self.savings_share) * self.base.marginal_price(activity)

    @property
    def risk_adjuster(self) -> RiskAdjuster:
        return self.adjuster

    def settle(self, settlement: Settlement) -> float:
        base = self.base.settle(settlement)
        benchmark = self.benchmark_per_risk * settlement.observed_risk(self.adjuster)
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
    config: SharedSavingsContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> SharedSavingsRule:
    base = context.build_rule(config.base, scope, calibration)
    benchmark = config.benchmark_ratio * context.mean_cost(base.activities, context.national_prices)
    return SharedSavingsRule(
        base=base,
        own_admin_cost=config.admin_cost_per_head,
        savings_share=config.savings_share,
        two_sided=config.two_sided,
        minimum_savings_rate=config.minimum_savings_rate,
        cap_share=config.cap_share,
        benchmark_per_risk=benchmark,
        adjuster=base.risk_adjuster or make_risk_adjuster(config, calibration),
    )


class CorridorContract(Strict):
    """Risk-sharing corridor: gains and losses beyond a band are shared with the commissioner.

    "Innovative funding and risk-sharing mechanisms which may help to support sustainable
    strategic partnerships" (seed 004 L1482-1483); US groups that survived had "a clear
    and negotiated approach to financial risk" (seed 004 L1623-1625).
    """

    roles: ClassVar[tuple[str, ...]] = ("hospital", "purchase", "icp")
    kind: Literal["risk_corridor"] = "risk_corridor"
    base: BaseTerms = Field(default_factory=CapitationContract)
    band: float = P(
        0.03,
        "surplus or deficit, as a share of contract revenue, the provider bears alone",
        assumption=(0.01, 0.1),
        ge=0,
        lt=1,
    )
    commissioner_share: float = P(
        0.5,
        "share of surplus or deficit beyond the band taken by the commissioner",
        assumption=(0.5, 0.9),
        ge=0,
        le=1,
    )
    admin_cost_per_head: float = P(
        2.0,
        "GBP per covered patient-year to audit costs for the corridor",
        assumption=(0.5, 8),
        ge=0,
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
    config: CorridorContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> CorridorRule:
    return CorridorRule(
        base=context.build_rule(config.base, scope, calibration),
        own_admin_cost=config.admin_cost_per_head,
        band=config.band,
        commissioner_share=config.commissioner_share,
    )


def hospital_cost_at_tariff(counts: dict, prices: dict[str, float]) -> np.ndarray:
    """Each patient's hospital care this year at tariff (emergency counts every spell)."""
    return sum(prices[a] * np.asarray(counts[a], dtype=np.float64) for a in HOSPITAL_ACTIVITIES)


class CarveOutContract(Strict):
    """Capitation with high-cost care carved out and paid at tariff.

    "Expensive, low-volume services such as HIV services and transplants would be managed
    outside the contract" (seed 003:406-408); Epsom "block back" higher-risk services the
    practice did not want to take on (seed 003:305-307). A patient's hospital care beyond
    ``threshold`` a year (at tariff) is paid outside the capitation, whose rate falls by the
    expected carved cost.
    """

    roles: ClassVar[tuple[str, ...]] = ("icp",)
    kind: Literal["carve_out"] = "carve_out"
    capitation: CapitationContract = Field(default_factory=CapitationContract)
    threshold: float = P(
        10_000.0,
        "GBP a patient-year of hospital care at tariff above which care is carved out",
        assumption=(5_000, 50_000),
        gt=0,
    )
    admin_cost_per_head: float = P(
        1.0, "GBP per covered patient-year to pay carved-out care", assumption=(0.5, 5), ge=0
    )


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
        a = spell(activity)
        return self.prices.get(a, 0.0) * self.carved_share.get(a, 0.0)

    def carved(self, counts: dict) -> np.ndarray:
        return np.maximum(hospital_cost_at_tariff(counts, self.prices) - self.threshold, 0.0)

    def patient_payments(self, counts, age, sex, risk):
        return self.capitation.per_enrolee(age, sex, risk) + self.carved(counts)


def build_carve_out(
    config: CarveOutContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> CarveOutRule:
    base = build_capitation(config.capitation, scope, calibration)
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
    cost = hospital_cost_at_tariff(realised, context.national_prices)
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
        prices=dict(context.national_prices),
        carved_share=shares,
    )
