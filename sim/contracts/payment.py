"""Payment rules: small pluggable objects that turn activity and enrolment into money.

A rule answers two questions per patient, and providers see nothing else of it:

* :meth:`PaymentRule.marginal_price` - what one more unit of an activity earns the payee
  (negative where it costs the payee, as under a practice budget);
* :meth:`PaymentRule.patient_payments` - what each patient brings in this year.

Two aggregate hooks complete a contract: :meth:`PaymentRule.begin_year` (terms that change
by contract year) and :meth:`PaymentRule.settle`, which the model calls when the year's
accounts are settled for year-end adjustments (withholds paid on quality, shared
savings, corridors, marginal rates above a baseline, block values). A rule may also put
a price on quality (:meth:`PaymentRule.quality_reward`) or cap self-provision.

Providers respond to the margins and per-enrolee surpluses these imply, never to the
kind of rule. New regimes register a builder in :data:`BUILDERS`; the policy catalogue's
live in :mod:`sim.contracts`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from sim.config.parameters import Conditions
from sim.config.scenario import (
    ACTIVITIES,
    BlendedContract,
    CapitationContract,
    Prices,
    Scenario,
    TariffContract,
)
from sim.patients.calibration import REFERENCE_PATIENTS, REFERENCE_SEED, Calibration
from sim.patients.population import synthesize

HOSPITAL_ACTIVITIES = ("outpatient", "elective", "emergency", "ae")
PRIMARY_ACTIVITIES = ("gp_consultation",)
SCOPES = {"all": ACTIVITIES, "hospital": HOSPITAL_ACTIVITIES, "primary_care": PRIMARY_ACTIVITIES}
NATIONAL_PRICES = Prices().as_dict()
"""The national tariff: risk scores and budgets are expected cost at these prices."""
SPELL_ALIASES = {"acsc": "emergency", "readmission": "emergency"}
"""Avoidable admissions and readmissions are emergency spells, paid at the emergency price."""


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


def make_risk_adjuster(config: Any, calibration: Calibration) -> RiskAdjuster:
    """The adjuster named by ``config.risk_adjustment`` (with ``config.r_squared`` for full)."""
    if config.risk_adjustment == "none":
        return NoRiskAdjustment()
    if config.risk_adjustment == "age_sex":
        return AgeSexRiskAdjustment(calibration)
    return FullRiskAdjustment(calibration, calibration.full_adjustment_weight(config.r_squared))


# --------------------------------------------------------------------------- settlement


@dataclass
class Settlement:
    """What the payer knows at year end about one payee under one contract.

    ``counts`` are the year's totals for the patients the contract covers, in payment
    terms: the :data:`ACTIVITIES` (``emergency`` counts every emergency spell), plus
    ``acsc``, ``readmission``, ``elective_discharge_readmission`` (readmissions after
    planned care) and ``bed_days``. ``state`` is the payee's memory under this contract,
    kept by the payer from year to year (a block's value, a baseline).
    """

    payee: str
    year: int
    enrolees: float
    risk: float  # sum of covered patients' risk scores
    counts: dict[str, float]
    paid: float  # GBP paid this year through patient_payments
    cost: float  # GBP the payee spent serving them
    quality: float  # payee's quality index this year (0-1)
    peer_quality: float | None = None  # mean quality of comparable ICPs last year
    state: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- rules


class PaymentRule(ABC):
    """How one payer pays one kind of provider for the activities in its scope."""

    activities: tuple[str, ...]
    admin_cost_per_head: float = 0.0
    """GBP per covered patient-year the payer spends running the contract (transaction cost)."""

    @abstractmethod
    def marginal_price(self, activity: str) -> float:
        """GBP the payee receives for one more unit of ``activity`` (0 if not paid per unit).

        Beyond the priced activities, ``acsc`` and ``readmission`` (emergency spells of those
        kinds) and ``bed_day`` may be asked; a negative price is a cost to the payee.
        """

    @abstractmethod
    def patient_payments(
        self, counts: dict[str, np.ndarray], age: np.ndarray, sex: np.ndarray, risk: np.ndarray
    ) -> np.ndarray:
        """GBP paid this year for each patient (float64).

        ``counts`` holds each patient's year: the :data:`ACTIVITIES` (``emergency`` counts
        every emergency spell) and, where known, ``acsc``, ``readmission`` and
        ``conditions`` (the condition bitmask).
        """

    def per_enrolee(self, age: np.ndarray, sex: np.ndarray, risk: np.ndarray) -> np.ndarray:
        """GBP per patient that does not depend on activity (capitation); zero by default."""
        return np.zeros(len(age))

    # -- aggregate hooks, neutral by default

    def begin_year(self, year: int) -> None:  # noqa: B027 - a hook, neutral by default
        """Set the terms of contract ``year`` (1 = the first); schedules override this."""

    def settle(self, settlement: Settlement) -> float:
        """Year-end adjustment in GBP: positive pays the payee more, negative claws back."""
        return 0.0

    @property
    def has_settlement(self) -> bool:
        """Whether :meth:`settle` can owe anything: False lets year-end accounts skip the payee.

        True for any rule that overrides :meth:`settle`, so a new regime with year-end terms
        is settled without having to say so; wrappers ask their base.
        """
        return type(self).settle is not PaymentRule.settle

    @property
    def has_schedule(self) -> bool:
        """Whether :meth:`begin_year` can change the terms: False lets answers be kept.

        True for any rule that overrides :meth:`begin_year` (a withhold or marginal rate
        that follows a schedule); wrappers that only pass it on ask their base.
        """
        return type(self).begin_year is not PaymentRule.begin_year

    def quality_reward(self, revenue_per_enrolee: float, peer_quality: float | None) -> float:
        """GBP per enrolee-year one more unit of quality index earns the payee at the margin.

        A contract that pays for quality measures it, so one that overrides this also says
        it :attr:`monitors_quality` (payees of other contracts do not ask).
        """
        return 0.0

    def quality_target(self, peer_quality: float | None) -> float | None:
        """Quality index at which rewarded quality stops paying more; None if unrewarded."""
        return None

    @property
    def monitors_quality(self) -> bool:
        """Whether the contract measures quality (which deters under-service)."""
        return False

    @property
    def self_provision_cap(self) -> float:
        """Largest share of the service the payee may deliver itself rather than subcontract."""
        return 1.0

    @property
    def engagement(self) -> float:
        """Share of the payee's practices that act on the contract's incentives."""
        return 1.0

    @property
    def intermediate_care_limit(self) -> float:
        """GBP per high-risk enrolee-year the payee may spend on intermediate care (pooled)."""
        return 0.0

    @property
    def pricing_rule(self) -> PaymentRule:
        """The rule whose :meth:`marginal_price` answers this one's are: itself, unless it
        passes them on unchanged; a provider's response to prices is then worked out once."""
        return self

    @property
    def payments_rule(self) -> PaymentRule:
        """The rule whose :meth:`patient_payments` this one's are: itself, unless it passes
        them on unchanged; the model pays every patient of one such rule in one call."""
        return self

    def accountable_share(self, activity: str, price: float) -> float:
        """Share of the cost of ``activity`` (national ``price``) the payee bears itself.

        A capitated payee bears all of what is in scope and a tariff-paid one none of it;
        a negative marginal price (a budget for care others provide) adds to it.
        """
        if price <= 0:
            return 0.0
        in_scope = 1.0 if activity in self.activities else 0.0
        return float(np.clip(in_scope - self.marginal_price(activity) / price, 0.0, 1.0))


def _spell(activity: str) -> str:
    return SPELL_ALIASES.get(activity, activity)


@dataclass
class TariffRule(PaymentRule):
    """A national price for each activity in scope (Payment by Results)."""

    prices: dict[str, float]
    activities: tuple[str, ...]
    admin_cost_per_head: float = 0.0

    def marginal_price(self, activity: str) -> float:
        a = _spell(activity)
        return self.prices[a] if a in self.activities else 0.0

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
    admin_cost_per_head: float = 0.0

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

    @property
    def admin_cost_per_head(self) -> float:  # type: ignore[override]
        return self.capitation.admin_cost_per_head + self.tariff.admin_cost_per_head

    def marginal_price(self, activity: str) -> float:
        return (1 - self.capitation_share) * self.tariff.marginal_price(activity)

    def per_enrolee(self, age, sex, risk):
        return self.capitation_share * self.capitation.per_enrolee(age, sex, risk)

    def patient_payments(self, counts, age, sex, risk):
        return self.per_enrolee(age, sex, risk) + (
            1 - self.capitation_share
        ) * self.tariff.patient_payments(counts, age, sex, risk)


# --------------------------------------------------------------------------- building


@lru_cache(maxsize=8)
def _reference_conditions(conditions_json: str) -> np.ndarray:
    conditions = Conditions.model_validate_json(conditions_json)
    return synthesize(
        Scenario(conditions=conditions), REFERENCE_PATIENTS, REFERENCE_SEED
    ).conditions


@dataclass
class RuleContext:
    """What builders may read besides their terms: the calibration's reference population.

    The reference patients (``calibration.reference``) carry expected counts at England
    rates; :attr:`conditions` adds their condition masks, so a rule can price a bundle
    for one condition or the share of readmissions that follow planned care.
    """

    calibration: Calibration
    conditions_params: Conditions = field(default_factory=Conditions)

    @cached_property
    def conditions(self) -> np.ndarray:
        return _reference_conditions(self.conditions_params.model_dump_json())

    @cached_property
    def expected_counts(self) -> dict[str, np.ndarray]:
        """Reference patients' expected counts in payment terms (float64)."""
        ref = self.calibration.reference
        counts = {a: np.asarray(ref[a], dtype=np.float64) for a in ACTIVITIES if a != "emergency"}
        counts["acsc"] = np.asarray(ref["acsc"], dtype=np.float64)
        counts["readmission"] = np.asarray(ref["readmission"], dtype=np.float64)
        counts["emergency"] = (
            np.asarray(ref["emergency"], dtype=np.float64) + counts["acsc"] + counts["readmission"]
        )
        return counts

    @cached_property
    def planned_readmission_share(self) -> np.ndarray:
        """Per reference patient: share of their readmissions that follow an elective spell."""
        ref = self.calibration.reference
        elective = np.asarray(ref["elective"], dtype=np.float64)
        discharges = elective + ref["emergency"] + ref["acsc"]
        return np.divide(elective, discharges, out=np.zeros_like(elective), where=discharges > 0)

    def mean_cost(self, activities: tuple[str, ...], prices: dict[str, float]) -> float:
        """Mean expected spend per reference patient on ``activities`` at ``prices`` (GBP)."""
        counts = self.expected_counts
        return float(sum(prices[a] * counts[a].mean() for a in activities))


def _tariff(
    config: TariffContract, scope: str, calibration: Calibration, context: RuleContext | None = None
) -> TariffRule:
    prices = {a: p * config.price_scale for a, p in config.prices.as_dict().items()}
    return TariffRule(
        prices=prices, activities=SCOPES[scope], admin_cost_per_head=config.admin_cost_per_head
    )


def _capitation(
    config: CapitationContract,
    scope: str,
    calibration: Calibration,
    context: RuleContext | None = None,
) -> CapitationRule:
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


def _blended(
    config: BlendedContract,
    scope: str,
    calibration: Calibration,
    context: RuleContext | None = None,
) -> BlendedRule:
    return BlendedRule(
        capitation=_capitation(config.capitation, scope, calibration),
        tariff=_tariff(config.tariff, scope, calibration),
        capitation_share=config.capitation_share,
    )


BUILDERS: dict[str, Callable[..., PaymentRule]] = {
    "tariff": _tariff,
    "capitation": _capitation,
    "blended": _blended,
}
"""Contract kind -> builder(config, scope, calibration, context). :mod:`sim.contracts` adds more."""


def load_catalogue() -> dict[str, Callable[..., PaymentRule]]:
    """Import the policy catalogue's rules (each registers its builder); returns the registry."""
    importlib.import_module("sim.contracts.catalogue")
    return BUILDERS


def build_rule(
    config, scope: str, calibration: Calibration, context: RuleContext | None = None
) -> PaymentRule:
    """The payment rule for a contract config, paying for the activities in ``scope``."""
    if config.kind not in BUILDERS:
        load_catalogue()
    return BUILDERS[config.kind](config, scope, calibration, context or RuleContext(calibration))
