"""Payment rules: small pluggable objects that turn activity and enrolment into money.

A rule answers two questions, and providers see nothing else of it:

* :meth:`PaymentRule.marginal_price` - what one more unit of an activity earns the payee;
* :meth:`PaymentRule.patient_payments` - what each patient brings in this year.

Providers respond to the margins and per-enrolee surpluses these imply, never to the
kind of rule. New regimes register a builder in :data:`BUILDERS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.calibration import Calibration
from sim.scenario import (
    ACTIVITIES,
    BlendedContract,
    CapitationContract,
    TariffContract,
)

HOSPITAL_ACTIVITIES = ("outpatient", "elective", "emergency", "ae")
PRIMARY_ACTIVITIES = ("gp_consultation",)
SCOPES = {"all": ACTIVITIES, "hospital": HOSPITAL_ACTIVITIES, "primary_care": PRIMARY_ACTIVITIES}


# --------------------------------------------------------------------------- risk adjustment


class RiskAdjuster(ABC):
    """Predicts a patient's cost relative to the national mean, from what a formula can see."""

    @abstractmethod
    def predict(self, age: np.ndarray, sex: np.ndarray, risk: np.ndarray) -> np.ndarray: ...


class NoRiskAdjustment(RiskAdjuster):
    def predict(self, age, sex, risk):
        return np.ones(len(age), dtype=np.float32)


@dataclass
class AgeSexRiskAdjustment(RiskAdjuster):
    calibration: Calibration

    def predict(self, age, sex, risk):
        return self.calibration.age_sex_prediction(age, sex).astype(np.float32)


@dataclass
class FullRiskAdjustment(RiskAdjuster):
    """Age-sex plus a share ``weight`` of the gap to true expected cost (diagnoses, prior use)."""

    calibration: Calibration
    weight: float

    def predict(self, age, sex, risk):
        base = self.calibration.age_sex_prediction(age, sex)
        return (base + self.weight * (risk - base)).astype(np.float32)


def make_risk_adjuster(config: CapitationContract, calibration: Calibration) -> RiskAdjuster:
    if config.risk_adjustment == "none":
        return NoRiskAdjustment()
    if config.risk_adjustment == "age_sex":
        return AgeSexRiskAdjustment(calibration)
    return FullRiskAdjustment(calibration, calibration.full_adjustment_weight(config.r_squared))


# --------------------------------------------------------------------------- rules


class PaymentRule(ABC):
    """How one payer pays one kind of provider for the activities in its scope."""

    activities: tuple[str, ...]

    @abstractmethod
    def marginal_price(self, activity: str) -> float:
        """GBP the payee receives for one more unit of ``activity`` (0 if not paid per unit)."""

    @abstractmethod
    def patient_payments(self, counts: dict[str, np.ndarray], age: np.ndarray,
                         sex: np.ndarray, risk: np.ndarray) -> np.ndarray:
        """GBP paid this year for each patient (float64)."""

    def per_enrolee(self, age: np.ndarray, sex: np.ndarray, risk: np.ndarray) -> np.ndarray:
        """GBP per patient that does not depend on activity (capitation); zero by default."""
        return np.zeros(len(age))


@dataclass
class TariffRule(PaymentRule):
    """A national price for each activity in scope (Payment by Results)."""

    prices: dict[str, float]
    activities: tuple[str, ...]

    def marginal_price(self, activity: str) -> float:
        return self.prices[activity] if activity in self.activities else 0.0

    def patient_payments(self, counts, age, sex, risk):
        total = np.zeros(len(age))
        for a in self.activities:
            total += self.prices[a] * counts[a]
        return total


@dataclass
class CapitationRule(PaymentRule):
    """A risk-adjusted amount per enrolee per year, whatever the activity."""

    rate_per_head: float
    adjuster: RiskAdjuster
    activities: tuple[str, ...]

    def marginal_price(self, activity: str) -> float:
        return 0.0

    def per_enrolee(self, age, sex, risk):
        return self.rate_per_head * self.adjuster.predict(age, sex, risk).astype(np.float64)

    def patient_payments(self, counts, age, sex, risk):
        return self.per_enrolee(age, sex, risk)


@dataclass
class BlendedRule(PaymentRule):
    """A share of capitation plus the remaining share of tariff."""

    capitation: CapitationRule
    tariff: TariffRule
    capitation_share: float

    @property
    def activities(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.tariff.activities

    def marginal_price(self, activity: str) -> float:
        return (1 - self.capitation_share) * self.tariff.marginal_price(activity)

    def per_enrolee(self, age, sex, risk):
        return self.capitation_share * self.capitation.per_enrolee(age, sex, risk)

    def patient_payments(self, counts, age, sex, risk):
        return (self.per_enrolee(age, sex, risk)
                + (1 - self.capitation_share) * self.tariff.patient_payments(counts, age, sex,
                                                                             risk))


# --------------------------------------------------------------------------- building


def _tariff(config: TariffContract, scope: str, calibration: Calibration) -> TariffRule:
    prices = {a: p * config.price_scale for a, p in config.prices.as_dict().items()}
    return TariffRule(prices=prices, activities=SCOPES[scope])


def _capitation(config: CapitationContract, scope: str, calibration: Calibration) -> CapitationRule:
    covered = config.scope if scope == "all" else scope
    baseline = calibration.mean_gp_cost if covered == "primary_care" else (
        calibration.mean_expected_cost)
    return CapitationRule(rate_per_head=config.rate_ratio * baseline,
                          adjuster=make_risk_adjuster(config, calibration),
                          activities=SCOPES[covered])


def _blended(config: BlendedContract, scope: str, calibration: Calibration) -> BlendedRule:
    return BlendedRule(capitation=_capitation(config.capitation, scope, calibration),
                       tariff=_tariff(config.tariff, scope, calibration),
                       capitation_share=config.capitation_share)


BUILDERS: dict[str, Callable[..., PaymentRule]] = {
    "tariff": _tariff,
    "capitation": _capitation,
    "blended": _blended,
}


def build_rule(config, scope: str, calibration: Calibration) -> PaymentRule:
    """The payment rule for a contract config, paying for the activities in ``scope``."""
    return BUILDERS[config.kind](config, scope, calibration)
