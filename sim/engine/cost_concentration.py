"""The distribution of individual annual cost, measured in the run: concentration,
persistence, and the R-squared of risk adjusters on it.

The patients' pass hands each chunk's activity to :meth:`CostRecord.record`, which keeps
each patient's cost of care (:func:`patient_costs`) for the patients of the first chunk,
a random sample of the population of up to ``CHUNK_SIZE`` rows (rows are drawn alike, and
an entrant takes a dead patient's row), so the measurement costs the same in a run of
England as in one of 100,000. At year end :meth:`CostRecord.figures` measures
(:mod:`sim.patients.cost_distribution`):

* the concentration figures of calibration_targets 9.1-9.3 (:data:`CONCENTRATION`);
* their persistence from last year (9.4), among patients registered in both years;
* ``cost_r2_age_sex``, ``cost_r2_adjuster`` and ``cost_r2_expected``: the R-squared on
  annual cost of the age-sex formula, of the scenario's risk adjuster (its ICP capitation's,
  else its GP contract's) and of each patient's true expected cost (the ceiling).

The metrics are written for system ``all``, group ``all`` (:mod:`sim.engine.metrics`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.base.rng import CHUNK_SIZE
from sim.config.scenario import Prices, Scenario
from sim.patients.calibration import Calibration
from sim.patients.cost_distribution import (
    CONCENTRATION,
    PERSISTENCE,
    UnitCosts,
    concentration,
    patient_costs,
    persistence_figures,
    r_squared,
)
from sim.patients.population import Population
from sim.patients.utilisation import Activity

R_SQUARED = ("cost_r2_age_sex", "cost_r2_adjuster", "cost_r2_expected")
COST_METRICS = (*CONCENTRATION, *PERSISTENCE, *R_SQUARED)
"""The metrics this module gives (system ``all``, group ``all``)."""

__all__ = ["COST_METRICS", "CostRecord", "patient_costs", "scenario_adjuster_terms"]


def scenario_adjuster_terms(scenario: Scenario) -> Any:
    """The contract whose risk formula ``cost_r2_adjuster`` measures: the ICP capitation's
    (``contracts.icp``), else the GP contract's; None when neither adjusts for risk."""
    for role in ("icp", "gp"):
        terms = scenario.contracts.get(role)
        if terms is not None and hasattr(terms, "risk_adjustment"):
            return terms
    return None


class CostRecord:
    """Each sampled patient's cost of care this year and last, and the figures of each year."""

    def __init__(self, scenario: Scenario, calibration: Calibration, patients: int):
        self.unit = UnitCosts.from_parameters(
            Prices().as_dict(), scenario.costs, scenario.utilisation
        )
        self.calibration = calibration
        self.sample = min(patients, CHUNK_SIZE)
        self.hospital = np.zeros(self.sample, dtype=np.float32)
        self.total = np.zeros(self.sample, dtype=np.float32)
        self.last_total: np.ndarray | None = None
        self.last_pid: np.ndarray | None = None
        terms = scenario_adjuster_terms(scenario)
        self.adjuster = None if terms is None else terms.risk_adjustment
        self.weight = (
            calibration.full_adjustment_weight(terms.r_squared) if self.adjuster == "full" else 0.0
        )

    def record(self, rows: slice, activity: Activity) -> None:
        """Keep the cost of the sampled patients among ``rows`` (a chunk)."""
        if rows.start >= self.sample:
            return
        hospital, total = patient_costs(activity.counts, activity.bed_days, self.unit)
        keep = slice(rows.start, min(rows.stop, self.sample))
        self.hospital[keep] = hospital[: keep.stop - keep.start]
        self.total[keep] = total[: keep.stop - keep.start]

    def figures(self, population: Population) -> dict[str, float]:
        """This year's :data:`COST_METRICS` (persistence from the second year on); then this
        year becomes last year."""
        rows = slice(0, self.sample)
        age, sex, pid = population.age[rows], population.sex[rows], population.pid[rows]
        risk = population.risk[rows].astype(np.float64)
        out = concentration(self.hospital, self.total, age)
        if self.last_total is not None and self.last_pid is not None:
            same = pid == self.last_pid
            out.update(persistence_figures(self.last_total[same], self.total[same]))
        age_sex = self.calibration.age_sex_prediction(age, sex).astype(np.float64)
        if self.adjuster == "none":
            predicted = np.ones(len(age))
        else:
            predicted = age_sex + self.weight * (risk - age_sex)
        out["cost_r2_age_sex"] = r_squared(age_sex, self.total)
        out["cost_r2_adjuster"] = (
            float("nan") if self.adjuster is None else (r_squared(predicted, self.total))
        )
        out["cost_r2_expected"] = r_squared(risk, self.total)
        self.last_total, self.total = self.total, np.zeros(self.sample, dtype=np.float32)
        self.last_pid = pid.copy()
        return {k: v for k, v in out.items() if np.isfinite(v)}
