"""The core contracts: national tariff, capitation and a blend of the two.

Payment by Results pays a national price for each activity (seed 001:202-205);
capitation pays a risk-adjusted sum per enrolee whatever the activity (seed 000:761-765;
seed 001:817-818); a blend pays a share of each. Every other kind in the catalogue is
built on these. Each kind's terms (what a scenario file writes), rule and builder sit
together; :mod:`sim.contracts.registry` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from sim.base.schema import Strict
from sim.config.declare import P
from sim.contracts.adjustment import RiskAdjuster, make_risk_adjuster
from sim.contracts.rule import SCOPES, PaymentRule, spell
from sim.contracts.terms import ALL_ROLES, Prices

if TYPE_CHECKING:
    from sim.contracts.context import BuildContext, CalibrationView


# --------------------------------------------------------------------------- tariff


class TariffContract(Strict):
    """Payment by Results: a national price for each activity (seed 001:202-205)."""

    roles: ClassVar[tuple[str, ...]] = ALL_ROLES
    kind: Literal["tariff"] = "tariff"
    prices: Prices = Field(default_factory=Prices)
    price_scale: float = P(1.0, "multiplier on national prices", assumption=(0.5, 1.5), ge=0)
    admin_cost_per_head: float = P(
        10.0,
        "GBP per covered patient-year to count, code, validate and challenge activity",
        assumption=(2, 30),
        ge=0,
        note="transaction costs of contracting: seed 000:778-789; coding audits seed 003:672-676",
    )


@dataclass
class TariffRule(PaymentRule):
    """A national price for each activity in scope (Payment by Results)."""

    prices: dict[str, float]
    activities: tuple[str, ...]
    admin_cost_per_head: float = 0.0

    def marginal_price(self, activity: str) -> float:
        a = spell(activity)
        return self.prices[a] if a in self.activities else 0.0

    def patient_payments(self, counts, age, sex, risk):
        total = np.zeros(len(age))
        for a in self.activities:
            total += self.prices[a] * counts[a]
        return total


def build_tariff(
    config: TariffContract,
    scope: str,
    calibration: CalibrationView,
    context: BuildContext | None = None,
) -> TariffRule:
    """National prices (times ``price_scale``) for the activities in ``scope``."""
    prices = {a: p * config.price_scale for a, p in config.prices.as_dict().items()}
    return TariffRule(
        prices=prices, activities=SCOPES[scope], admin_cost_per_head=config.admin_cost_per_head
    )


# --------------------------------------------------------------------------- capitation


class CapitationContract(Strict):
    """Person-based capitation with risk adjustment (seed 000:761-765; seed 001:817-818)."""

    roles: ClassVar[tuple[str, ...]] = ALL_ROLES
    kind: Literal["capitation"] = "capitation"
    scope: Literal["all", "primary_care"] = Field(
        "all", description="all modelled services (an ICP) or primary care only (a GP practice)"
    )
    rate_ratio: float = P(
        1.0,
        "capitation per head / baseline expected spend per head on the services in scope",
        assumption=(0.75, 1.1),
        gt=0,
        note="Alzira capitation <75% of regional cost, calibration_targets 3.9",
    )
    risk_adjustment: Literal["none", "age_sex", "full"] = "full"
    r_squared: float = P(
        0.15,
        "R-squared of predicted vs realised individual annual cost",
        "calibration_targets 6.6 (0.11) and 6.10 (0.169)",
        ge=0,
        le=1,
    )
    admin_cost_per_head: float = P(
        3.0, "GBP per enrolee-year to keep lists and risk data", assumption=(1, 10), ge=0
    )


@dataclass
class CapitationRule(PaymentRule):
    """A risk-adjusted amount per enrolee per year, whatever the activity."""

    rate_per_head: float
    adjuster: RiskAdjuster
    activities: tuple[str, ...]
    admin_cost_per_head: float = 0.0

    def marginal_price(self, activity: str) -> float:
        return 0.0

    @property
    def risk_adjuster(self) -> RiskAdjuster:
        return self.adjuster

    def per_enrolee(self, age, sex, risk):
        return self.rate_per_head * self.adjuster.predict(age, sex, risk).astype(np.float64)

    def patient_payments(self, counts, age, sex, risk):
        return self.per_enrolee(age, sex, risk)


def build_capitation(
    config: CapitationContract,
    scope: str,
    calibration: CalibrationView,
    context: BuildContext | None = None,
) -> CapitationRule:
    """A rate per head of ``rate_ratio`` x baseline spend on the services covered: primary
    care for a GP practice, everything in ``scope`` otherwise."""
    covered = config.scope if scope == "all" else scope
    baseline = (
        calibration.mean_gp_cost if covered == "primary_care" else (calibration.mean_expected_cost)
    )
    return CapitationRule(
        rate_per_head=config.rate_ratio * baseline,
        adjuster=make_risk_adjuster(config, calibration),
        activities=SCOPES[covered],
        admin_cost_per_head=config.admin_cost_per_head,
    )


# --------------------------------------------------------------------------- blended


class BlendedContract(Strict):
    """A share of capitation plus a share of tariff."""

    roles: ClassVar[tuple[str, ...]] = ALL_ROLES
    kind: Literal["blended"] = "blended"
    capitation_share: float = P(
        0.5, "share of payment by capitation", assumption=(0, 1), ge=0, le=1
    )
    capitation: CapitationContract = Field(default_factory=CapitationContract)
    tariff: TariffContract = Field(default_factory=TariffContract)


@dataclass
class BlendedRule(PaymentRule):
    """A share of capitation plus the remaining share of tariff."""

    capitation: CapitationRule
    tariff: TariffRule
    capitation_share: float

    @property
    def activities(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.tariff.activities

    @property
    def admin_cost_per_head(self) -> float:  # type: ignore[override]
        return self.capitation.admin_cost_per_head + self.tariff.admin_cost_per_head

    @property
    def risk_adjuster(self) -> RiskAdjuster:
        return self.capitation.adjuster

    def marginal_price(self, activity: str) -> float:
        return (1 - self.capitation_share) * self.tariff.marginal_price(activity)

    def per_enrolee(self, age, sex, risk):
        return self.capitation_share * self.capitation.per_enrolee(age, sex, risk)

    def patient_payments(self, counts, age, sex, risk):
        return self.per_enrolee(age, sex, risk) + (
            1 - self.capitation_share
        ) * self.tariff.patient_payments(counts, age, sex, risk)


def build_blended(
    config: BlendedContract,
    scope: str,
    calibration: CalibrationView,
    context: BuildContext | None = None,
) -> BlendedRule:
    """Its capitation and tariff, each built for ``scope`` as on their own."""
    return BlendedRule(
        capitation=build_capitation(config.capitation, scope, calibration),
        tariff=build_tariff(config.tariff, scope, calibration),
        capitation_share=config.capitation_share,
    )
