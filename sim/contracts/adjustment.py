"""Risk adjustment: how a capitation or budget predicts each patient's cost from what it sees.

A formula sees age and sex, and at best part of what diagnoses and prior use reveal:
``none`` pays everyone the mean, ``age_sex`` the mean of their age-sex cell, and ``full``
adds a share of the gap to true expected cost chosen to reach a published R-squared
(calibration_targets 6.6, 6.10). Frailty and the rest of a patient's true risk are the
commissioner's blind spot: whatever a contract sets per unit of risk it sets on this
prediction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field

from sim.base.schema import Strict
from sim.config.declare import P

if TYPE_CHECKING:
    from sim.contracts.context import CalibrationView


class RiskAdjuster(ABC):
    """Predicts a patient's cost relative to the national mean, from what a formula can see.

    Budgets, benchmarks, block values and baselines are set on what the commissioner can
    observe, never on patients' true risk: each is the adjuster's prediction summed over
    the covered population (:meth:`total`).
    """

    @abstractmethod
    def predict(self, age: np.ndarray, sex: np.ndarray, risk: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def total(self, enrolees: float, age_sex: float | None, risk: float) -> float:
        """:meth:`predict` summed over a population, from its head count, its sum of age-sex
        predictions (None if unknown) and its sum of true risk scores.

        Every adjuster is linear in these three, so a payer's year-end sums suffice.
        """


def _need(age_sex: float | None) -> float:
    if age_sex is None:
        raise ValueError(
            "this contract's risk adjustment needs the covered population's sum of age-sex "
            "predictions, which the settlement does not carry"
        )
    return age_sex


class NoRiskAdjustment(RiskAdjuster):
    def predict(self, age, sex, risk):
        return np.ones(len(age), dtype=np.float32)

    def total(self, enrolees, age_sex, risk):
        return float(enrolees)


@dataclass
class AgeSexRiskAdjustment(RiskAdjuster):
    calibration: CalibrationView

    def predict(self, age, sex, risk):
        return self.calibration.age_sex_prediction(age, sex).astype(np.float32)

    def total(self, enrolees, age_sex, risk):
        return float(_need(age_sex))


@dataclass
class FullRiskAdjustment(RiskAdjuster):
    """Age-sex plus a share ``weight`` of the gap to true expected cost (diagnoses, prior use)."""

    calibration: CalibrationView
    weight: float

    def predict(self, age, sex, risk):
        base = self.calibration.age_sex_prediction(age, sex)
        return (base + self.weight * (risk - base)).astype(np.float32)

    def total(self, enrolees, age_sex, risk):
        base = _need(age_sex)
        return float(base + self.weight * (risk - base))


class RiskAdjustmentTerms(Strict):
    """The commissioner's risk formula for a contract that sets a budget, benchmark, block
    value or baseline and pays no capitation of its own.

    The defaults are the capitation's (:class:`sim.contracts.core.CapitationContract`): the
    commissioner's national formula, so by default every contract sees the same risk.
    """

    risk_adjustment: Literal["none", "age_sex", "full"] = Field(
        "full",
        description="what the commissioner sees of each covered patient's risk: nothing "
        "(a head count), their age-sex cell, or age-sex plus diagnoses and prior use up to "
        "r_squared",
    )
    r_squared: float = P(
        0.15,
        "R-squared of predicted vs realised individual annual cost",
        "calibration_targets 6.6 (0.11) and 6.10 (0.169)",
        ge=0,
        le=1,
    )


def make_risk_adjuster(config: Any, calibration: CalibrationView) -> RiskAdjuster:
    """The adjuster named by ``config.risk_adjustment`` (with ``config.r_squared`` for full)."""
    if config.risk_adjustment == "none":
        return NoRiskAdjustment()
    if config.risk_adjustment == "age_sex":
        return AgeSexRiskAdjustment(calibration)
    return FullRiskAdjustment(calibration, calibration.full_adjustment_weight(config.r_squared))
