"""A hand-made calibration of four reference patients, small enough to price rules by hand.

Builders read a calibration (mean costs, the risk formula, reference patients' expected
counts) and a :class:`RuleContext`; these stand-ins give them numbers simple enough that
every expected payment in the tests can be worked out on paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.contracts.payment import RuleContext
from sim.contracts.rule import Settlement
from sim.patients import epidemiology as epi

DIABETES = 1 << epi.CONDITIONS.index("diabetes")


def _reference() -> dict[str, np.ndarray]:
    """Four reference patients; ``emergency`` excludes avoidable admissions and readmissions,
    as the calibration's reference does."""
    columns = {
        "age": [30, 50, 70, 85],
        "sex": [0, 1, 0, 1],
        "risk": [0.5, 1.0, 1.5, 2.0],
        "gp_consultation": [2.0, 4.0, 6.0, 8.0],
        "outpatient": [1.0, 1.0, 2.0, 4.0],
        "elective": [0.0, 0.5, 0.5, 1.0],
        "emergency": [0.0, 0.1, 0.2, 0.5],
        "acsc": [0.0, 0.0, 0.1, 0.3],
        "readmission": [0.0, 0.1, 0.1, 0.2],
        "ae": [0.1, 0.2, 0.3, 0.4],
    }
    return {k: np.asarray(v) for k, v in columns.items()}


@dataclass
class TinyCalibration:
    """What builders read of a calibration: mean costs, the risk formula, reference patients."""

    mean_expected_cost: float = 1000.0
    mean_gp_cost: float = 200.0
    weight: float = 0.5  # full risk adjustment's weight on (risk - age-sex prediction)
    reference: dict[str, np.ndarray] = field(default_factory=_reference)

    def age_sex_prediction(self, age: np.ndarray, sex: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(age) >= 65, 2.0, 0.5)

    def full_adjustment_weight(self, r_squared: float) -> float:
        return self.weight


def tiny_context() -> RuleContext:
    """A rule context on the tiny calibration; patients 2 and 3 have diabetes."""
    context = RuleContext(TinyCalibration())  # type: ignore[arg-type]
    context.conditions = np.array([0, 0, DIABETES, DIABETES])  # instead of synthesising
    return context


def settlement(**values) -> Settlement:
    """A year-end settlement with neutral values for whatever a test does not set."""
    terms = {
        "payee": "p",
        "year": 1,
        "enrolees": 10.0,
        "risk": 10.0,
        "counts": {},
        "paid": 0.0,
        "cost": 0.0,
        "quality": 0.5,
    }
    return Settlement(**{**terms, **values})
