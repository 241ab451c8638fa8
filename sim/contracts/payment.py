"""Payment rules as the model asks for them: :func:`build_rule`, its context, the national tariff.

The model builds one rule per contract with :func:`build_rule`, which looks the contract's
``kind`` up in :mod:`sim.contracts.registry` and hands its builder the terms, the scope it
pays for, the calibration and a :class:`RuleContext` (the reference population, the
national tariff, and a way to build the contract a wrapper is built on). Risk scores,
budgets and benchmarks are expected cost at :data:`NATIONAL_PRICES`.

The rule interface (:class:`~sim.contracts.rule.PaymentRule`), the core rules
(:mod:`sim.contracts.core`) and the risk adjusters (:mod:`sim.contracts.adjustment`) are
re-exported, so the model and providers import what they use of contracts from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

from sim.config.parameters import Conditions
from sim.config.scenario import Scenario
from sim.contracts.adjustment import (
    AgeSexRiskAdjustment,
    FullRiskAdjustment,
    NoRiskAdjustment,
    RiskAdjuster,
    make_risk_adjuster,
)
from sim.contracts.core import BlendedRule, CapitationRule, TariffRule
from sim.contracts.registry import KINDS
from sim.contracts.rule import (
    HOSPITAL_ACTIVITIES,
    PRIMARY_ACTIVITIES,
    SCOPES,
    SPELL_ALIASES,
    PaymentRule,
    Settlement,
)
from sim.contracts.terms import ACTIVITIES, Prices
from sim.patients.calibration import REFERENCE_PATIENTS, REFERENCE_SEED, Calibration
from sim.patients.population import synthesize

__all__ = [
    "HOSPITAL_ACTIVITIES",
    "NATIONAL_PRICES",
    "PRIMARY_ACTIVITIES",
    "SCOPES",
    "SPELL_ALIASES",
    "AgeSexRiskAdjustment",
    "BlendedRule",
    "CapitationRule",
    "FullRiskAdjustment",
    "NoRiskAdjustment",
    "PaymentRule",
    "RiskAdjuster",
    "RuleContext",
    "Settlement",
    "TariffRule",
    "build_rule",
    "make_risk_adjuster",
]

NATIONAL_PRICES = Prices().as_dict()
"""The national tariff: risk scores and budgets are expected cost at these prices."""


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
    for one condition or the share of readmissions that follow planned care. Builders
    read the national tariff here too (:attr:`national_prices`), and build the contract
    a wrapper is built on with :meth:`build_rule`, so no rule module imports this one.
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

    @property
    def national_prices(self) -> dict[str, float]:
        """The national tariff (:data:`NATIONAL_PRICES`): budgets and benchmarks are
        expected spend at these prices."""
        return NATIONAL_PRICES

    def build_rule(self, terms, scope: str, calibration: Calibration) -> PaymentRule:
        """The rule for ``terms`` another contract is built on (its ``base``), in this context."""
        return build_rule(terms, scope, calibration, self)


def build_rule(
    config, scope: str, calibration: Calibration, context: RuleContext | None = None
) -> PaymentRule:
    """The payment rule for a contract config, paying for the activities in ``scope``."""
    build = KINDS[config.kind].build
    return build(config, scope, calibration, context or RuleContext(calibration))
