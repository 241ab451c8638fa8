"""Risk adjustment: how a capitation or budget predicts each patient's cost from what it sees.

A formula sees age and sex, and at best part of what diagnoses and prior use reveal:
``none`` pays everyone the mean, ``age_sex`` the mean of their age-sex cell, and ``full``
adds a share of the gap to true expected cost chosen to reach a published R-squared
(calibration_targets 6.6, 6.10).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.contracts.context import CalibrationView


class RiskAdjuster(ABC):
    """Predicts a patient's cost relative to the national mean, from what a formula can see."""

    @abstractmethod
    def predict(self, age: np.ndarray, sex: np.ndarray, risk: np.ndarray) -> np.ndarray: ...


class NoRiskAdjustment(RiskAdjuster):
    def predict(self, age, sex, risk):
        return np.ones(len(age), dtype=np.float32)


@dataclass
class AgeSexRiskAdjustment(RiskAdjuster):
    calibration: CalibrationView

    def predict(self, age, sex, risk):
        return self.calibration.age_sex_prediction(age, sex).astype(np.float32)


@dataclass
class FullRiskAdjustment(RiskAdjuster):
    """Age-sex plus a share ``weight`` of the gap to true expected cost (diagnoses, prior use)."""

    calibration: CalibrationView
    weight: float

    def predict(self, age, sex, risk):
        base = self.calibration.age_sex_prediction(age, sex)
        return (base + self.weight * (risk - base)).astype(np.float32)


def make_risk_adjuster(config: Any, calibration: CalibrationView) -> RiskAdjuster:
    """The adjuster named by ``config.risk_adjustment`` (with ``config.r_squared`` for full)."""
    if config.risk_adjustment == "none":
        return NoRiskAdjustment()
    if config.risk_adjustment == "age_sex":
        return AgeSexRiskAdjustment(calibration)
    return FullRiskAdjustment(calibration, calibration.full_adjustment_weight(config.r_squared))
