"""Risk scores: each patient's expected cost at national prices over England's mean.

Every formula is looked up by (age, sex, IMD, conditions) cell in the calibration's rate
tables and scaled by the patient's frailty, so a chunk of patients is scored in a few
array operations.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from sim.base.rng import chunks
from sim.contracts.payment import NATIONAL_PRICES
from sim.patients.calibration import Calibration
from sim.patients.population import Population
from sim.patients.utilisation import COUNTED


class RiskScorer:
    """Scores patients' risk from a calibration's rate tables."""

    def __init__(self, calibration: Calibration):
        self.calibration = calibration
        self.tables = calibration.rates.tables

    @cached_property
    def risk_table(self) -> np.ndarray:
        """Risk score of each (age, sex, IMD, conditions) cell at frailty 1: it never changes."""
        return self.calibration.risk_score(self.tables.expected_cost(NATIONAL_PRICES))

    def score(self, pop: Population, rows: slice) -> dict[str, np.ndarray]:
        """Store risk scores for ``rows``; return their baseline expected counts (float32).

        ``_key`` (each patient's cell in the rate tables) rides along for the later steps.
        """
        tables = self.tables
        key = tables.key(pop.age[rows], pop.sex[rows], pop.imd[rows], pop.conditions[rows])
        frailty = pop.frailty[rows].astype(np.float32)
        expected = {}
        for a in COUNTED:
            lam = tables.expected[a][key]
            lam *= frailty
            expected[a] = lam
        risk = self.risk_table[key]
        risk *= frailty
        pop.risk[rows] = risk
        expected["_key"] = key
        return expected

    def score_everyone(self, pop: Population, n_localities: int) -> np.ndarray:
        """Set every patient's risk score; returns baseline elective demand by locality."""
        demand = np.zeros(n_localities)
        for _, rows in chunks(pop.n):
            expected = self.score(pop, rows)
            demand += np.bincount(
                pop.locality[rows], weights=expected["elective"], minlength=len(demand)
            )
        return demand
