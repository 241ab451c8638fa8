"""Tariff variants: a marginal rate for emergency admissions, and unpaid readmissions.

* The marginal rate emergency tariff paid providers 30% of tariff for emergency activity
  above a 2008/09 baseline from 2010/11, later 70% (calibration_targets 2.7-2.8); growth
  in emergency admissions "levelled off" (2.9).
* Trusts were made "responsible for emergency readmissions that occur within 28 days of
  discharge after planned hospital care" (seed 004 L1409-1411): such readmissions are not
  paid, which is "designed to counteract" the volume incentive of Payment by Results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from sim.base.schema import Strict
from sim.config.declare import P
from sim.contracts.adjustment import (
    NoRiskAdjustment,
    RiskAdjuster,
    RiskAdjustmentTerms,
    make_risk_adjuster,
)
from sim.contracts.base import TariffVariant
from sim.contracts.core import TariffContract, build_tariff
from sim.contracts.rule import Settlement, spell
from sim.contracts.terms import check_shares

if TYPE_CHECKING:
    from sim.contracts.context import BuildContext, CalibrationView


def by_year(values: list[float], year: int) -> float:
    """The value for contract ``year`` (1-based); the last value persists."""
    return float(values[min(max(year, 1), len(values)) - 1])


class MarginalRateContract(RiskAdjustmentTerms):
    """Marginal rate emergency tariff: emergency spells above a baseline paid at a share of tariff.

    Providers were paid 30% of tariff for emergency activity above their 2008/09 baseline
    from 2010/11, later 70% (calibration_targets 2.7-2.8). The baseline follows the covered
    population's risk as the commissioner's formula (``risk_adjustment``) sees it.
    """

    roles: ClassVar[tuple[str, ...]] = ("hospital", "purchase", "icp")
    kind: Literal["marginal_rate_emergency"] = "marginal_rate_emergency"
    tariff: TariffContract = Field(default_factory=TariffContract)
    marginal_rate_by_year: list[float] = P(
        [0.3, 0.3, 0.3, 0.3, 0.3, 0.7],
        "share of tariff paid for each emergency spell above the "
        "baseline, by contract year (the last value persists)",
        "calibration_targets 2.7 (30% from 2010/11) and 2.8 (70% later)",
    )
    baseline_ratio: float = P(
        0.91,
        "baseline emergency spells / the covered population's emergency spells at England rates",
        "derived: two years of 4.6% growth between the 2008/09 baseline "
        "and 2010/11 (calibration_targets 2.7, 2.9): 1/1.046^2",
        gt=0,
    )

    _check = field_validator("marginal_rate_by_year")(check_shares)


@dataclass(kw_only=True)
class MarginalRateRule(TariffVariant):
    """Full tariff up to a baseline of emergency spells; above it, ``rate`` x tariff.

    Providers operate above the baseline (it is set below expected activity, as the
    2008/09 baseline was by 2010/11), so one more emergency spell earns ``rate`` x price.
    Patients' payments are the tariff's; the clawback comes at settlement. The baseline is
    set on the covered population's risk as ``adjuster`` sees it (head counts only for a
    rule built by hand without one).
    """

    rates: list[float]
    baseline_per_risk: float  # emergency spells per unit of risk at the baseline
    adjuster: RiskAdjuster = field(default_factory=NoRiskAdjustment)
    rate: float = field(init=False)

    def __post_init__(self) -> None:
        self.rate = by_year(self.rates, 1)

    def begin_year(self, year: int) -> None:
        self.rate = by_year(self.rates, year)

    @property
    def risk_adjuster(self) -> RiskAdjuster:
        return self.adjuster

    def marginal_price(self, activity: str) -> float:
        price = self.tariff.marginal_price(activity)
        return self.rate * price if spell(activity) == "emergency" else price

    def settle(self, settlement: Settlement) -> float:
        baseline = self.baseline_per_risk * settlement.observed_risk(self.adjuster)
        above = max(0.0, settlement.counts["emergency"] - baseline)
        return -(1 - self.rate) * self.tariff.marginal_price("emergency") * above


def build_marginal_rate(
    config: MarginalRateContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> MarginalRateRule:
    emergency_per_head = float(context.expected_counts["emergency"].mean())
    return MarginalRateRule(
        base=build_tariff(config.tariff, scope, calibration),
        rates=list(config.marginal_rate_by_year),
        baseline_per_risk=config.baseline_ratio * emergency_per_head,
        adjuster=make_risk_adjuster(config, calibration),
    )


def planned_share(counts: dict[str, np.ndarray]) -> np.ndarray:
    """Each patient's share of readmissions that follow planned care: their elective share
    of discharges (every spell carries the same readmission risk)."""
    elective = np.asarray(counts["elective"], dtype=np.float64)
    readmissions = np.asarray(counts.get("readmission", 0.0), dtype=np.float64)
    first = elective + np.asarray(counts["emergency"], dtype=np.float64) - readmissions
    return np.divide(elective, first, out=np.zeros_like(elective), where=first > 0)


class ReadmissionContract(Strict):
    """Tariff with no payment for emergency readmissions within 28 days of planned care.

    Trusts are "responsible for emergency readmissions that occur within 28 days of
    discharge after planned hospital care" (seed 004 L1409-1411), to counteract the
    volume incentive of Payment by Results (L1411-1414).
    """

    roles: ClassVar[tuple[str, ...]] = ("hospital", "purchase", "icp")
    kind: Literal["readmission_non_payment"] = "readmission_non_payment"
    tariff: TariffContract = Field(default_factory=TariffContract)
    after: Literal["planned", "all"] = Field(
        "planned",
        description="unpaid readmissions: after planned (elective) care only, as "
        "in seed 004 L1409-1411, or after any admission",
    )
    window_days: int = P(
        28,
        "days after discharge within which a readmission is unpaid",
        "seed 004 L1409-1411",
        ge=1,
        le=28,
        note="modelled readmissions are those within 28 days; a shorter "
        "window leaves unpaid a proportional share (uniform hazard, an "
        "assumption)",
    )


@dataclass(kw_only=True)
class ReadmissionRule(TariffVariant):
    """Tariff, less the emergency price of readmissions it does not pay for."""

    unpaid_share: float  # of eligible readmissions (window / 28 days)
    planned_only: bool
    mean_planned_share: float  # readmission-weighted, at England rates

    def marginal_price(self, activity: str) -> float:
        price = self.tariff.marginal_price(activity)
        if activity != "readmission":
            return price
        eligible = self.mean_planned_share if self.planned_only else 1.0
        return price * (1 - self.unpaid_share * eligible)

    def unpaid(self, counts: dict[str, np.ndarray]) -> np.ndarray:
        """Unpaid readmissions per patient (expected where the index spell is unknown)."""
        readmissions = np.asarray(counts.get("readmission", 0.0), dtype=np.float64)
        eligible = planned_share(counts) if self.planned_only else 1.0
        return self.unpaid_share * readmissions * eligible

    def patient_payments(self, counts, age, sex, risk):
        paid = self.tariff.patient_payments(counts, age, sex, risk)
        if "emergency" not in self.tariff.activities:
            return paid
        return paid - self.tariff.prices["emergency"] * self.unpaid(counts)


def build_readmission(
    config: ReadmissionContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> ReadmissionRule:
    readmissions = context.expected_counts["readmission"]
    share = float((readmissions * context.planned_readmission_share).sum() / readmissions.sum())
    return ReadmissionRule(
        base=build_tariff(config.tariff, scope, calibration),
        unpaid_share=config.window_days / 28.0,
        planned_only=config.after == "planned",
        mean_planned_share=share,
    )
