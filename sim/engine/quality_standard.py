"""England's standard: what each quality indicator would count at England's rates.

A published indicator compares a provider's outcomes with what a national model expects
for its case mix (SHMI's expected deaths come from the national rates of every trust).
Measuring against the simulated market's own rates instead would make quality a
tournament: the market's mean would sit at 'as expected' by construction, a monopoly could
never score anything else, and a change every provider makes (a national pay-for-quality
scheme) could never show. So the expectation is fixed once, at set-up, from the starting
population cared for at England's rates: no provider's modifier, every elective need met
after the base wait, and care of the base quality. Per unit of risk score, as the
measurement standardises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.base.rng import chunks
from sim.config.scenario import Scenario
from sim.engine.risk import RiskScorer
from sim.patients.health import HealthTables, year_of_care
from sim.patients.population import Population


@dataclass(frozen=True)
class QualityStandard:
    """Each counted indicator's events per unit of risk score, and the mean wait, that
    England's rates give (what a provider scoring 'as expected' achieves)."""

    per_risk: dict[str, float]  # amenable_deaths, acsc, readmission: events per unit of risk
    mean_wait_weeks: float


def england_standard(
    population: Population, risk: RiskScorer, health: HealthTables, scenario: Scenario
) -> QualityStandard:
    """The standard from ``population`` as it starts, cared for at England's rates.

    Readmissions are the expected readmissions per discharge times the expected spells;
    a patient is admitted with the probability of at least one spell (Poisson); the
    amenable deaths are the excess death risk :func:`~sim.patients.health.year_of_care`
    gives that care. ``risk.score`` rewrites each patient's risk score with the value it
    already holds, so nothing in the population moves.
    """
    tables = risk.tables
    behaviour, wait = scenario.behaviour, scenario.hospital.waiting_weeks_base
    sums = {"amenable_deaths": 0.0, "acsc": 0.0, "readmission": 0.0, "risk": 0.0}
    for _, rows in chunks(population.n):
        expected = risk.score(population, rows)
        key = expected["_key"]
        spells = expected["elective"] + expected["emergency"] + expected["acsc"]
        readmissions = tables.readmission[key] * spells
        n = len(spells)
        care = year_of_care(
            scenario.health,
            expected["elective"],
            1.0,
            wait,
            np.zeros(n, dtype=np.float32),
            expected["acsc"],
            readmissions,
            (1.0 - np.exp(-spells)).astype(np.float32),
            behaviour.quality_base,
            (health.utility[key], health.death[key], health.qalys_left[key]),
        )
        sums["amenable_deaths"] += float(care.excess_death_risk.sum(dtype=np.float64))
        sums["acsc"] += float(expected["acsc"].sum(dtype=np.float64))
        sums["readmission"] += float(readmissions.sum(dtype=np.float64))
        sums["risk"] += float(population.risk[rows].sum(dtype=np.float64))
    total_risk = sums.pop("risk")
    per_risk = {k: v / total_risk if total_risk > 0 else 0.0 for k, v in sums.items()}
    return QualityStandard(per_risk=per_risk, mean_wait_weeks=float(wait))
