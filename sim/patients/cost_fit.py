"""Fitting the spread of individual cost to calibration_targets 9.1-9.4.

The fragmented baseline pays hospitals at the national tariff, where providers' rate
modifiers are 1 (the baseline is calibrated there), so two years of its patients' care can
be drawn from the calibrated rates alone, without providers: :func:`two_years` does that on
a synthetic population (lifelong frailty, the episode chain, stays and counts), and
:func:`figures` measures it (:mod:`sim.patients.cost_distribution`). :func:`fit_spread`
chooses the frailty shape, the episode probability, share and persistence and the
length-of-stay CV (:data:`FITTED`) that bring the section 9 figures closest to their
targets (relative errors, least squares, SciPy's Nelder-Mead); the defaults of
``[utilisation]`` are its result, rounded::

    python -m sim.patients.cost_fit

:func:`adjuster_r_squared` measures the R-squared of the age-sex formula and of a full
adjuster on annual cost, for the validation report.

The age-sex formula's R-squared is measured, not fitted: the age gradient of use comes
from the section 4 rates the baseline is solved for, and with "a few per cent"
(:data:`AGE_SEX_R2`) in the fit the five spread parameters could not reach it (0.08-0.10
wherever they stood) and traded away persistence for it (top-1% persistence 0.26 against
0.14-0.20). It stays a row of the validation report, a miss said plainly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.base.rng import stream
from sim.config.scenario import Prices, Scenario, with_overrides
from sim.patients import epidemiology as epi
from sim.patients.calibration import calibrate
from sim.patients.cost_distribution import (
    TARGETS,
    UnitCosts,
    concentration,
    patient_costs,
    persistence_figures,
    r_squared,
)
from sim.patients.cost_spread import AnnualSpread
from sim.patients.utilisation import COUNTED, MODIFIED, draw_activity, expected_cost

FIT_PATIENTS = 400_000
FIT_SEED = 11
AGE_SEX_R2 = 0.025
"""R-squared of a demographic adjuster on annual cost, derived: a diagnosis-based model's
0.11-0.17 (calibration_targets 6.6, 6.10) over 1.75 (claims diagnoses 75% more predictive
than a survey model, 6.9) and over 3-4 (survey models 3-4 times demographic ones, 6.9):
0.016-0.032, about 0.025."""
AGE_SEX_R2_BAND = (0.015, 0.05)
"""What "a few per cent" admits: 6.9's 0.016-0.032 (above), widened upwards to 0.05 as an
assumption, since those figures come from Medicare's over-65s while the model's population
runs from birth to old age, whose cost differs more by age."""
FITTED = (
    "utilisation.frailty_shape",
    "utilisation.episode_probability",
    "utilisation.episode_share",
    "utilisation.episode_persistence",
    "utilisation.los_cv",
)


@dataclass(frozen=True)
class TwoYears:
    """Two consecutive years of the same patients' care at baseline rates."""

    hospital: np.ndarray  # (2, patients) GBP
    total: np.ndarray  # (2, patients) GBP, general practice included
    age: np.ndarray
    sex: np.ndarray
    risk: np.ndarray  # true expected cost relative to the mean


def two_years(scenario: Scenario, patients: int, seed: int) -> TwoYears:
    """:class:`TwoYears` of a synthetic population (no ageing, deaths or providers)."""
    from sim.patients.population import synthesize  # population imports scenario only

    cal = calibrate(scenario)
    rates = cal.rates
    pop = synthesize(scenario, patients, seed)
    weight = epi.condition_weight(pop.conditions, rates.condition_weights).astype(np.float32)
    expected = rates.expected(pop.age, pop.sex, pop.imd, weight, pop.frailty)
    los = rates.length_of_stay(pop.age, weight)
    prices = Prices().as_dict()
    unit = UnitCosts.from_parameters(prices, scenario.costs, scenario.utilisation)
    ones = {k: np.float32(1.0) for k in MODIFIED}
    hospital, total = np.zeros((2, pop.n), np.float32), np.zeros((2, pop.n), np.float32)
    for year in (0, 1):
        rng = stream(seed, 0, "cost_spread", year)
        spread = AnnualSpread.draw(scenario.utilisation, rng, pop.episode)
        u = list(rng.random((len(COUNTED) + 1, pop.n), dtype=np.float32))
        act = draw_activity(rates, expected, los, weight, ones, u, spread)
        hospital[year], total[year] = patient_costs(act.counts, act.bed_days, unit)
    risk = cal.risk_score(expected_cost(expected, rates.readmission_probability(weight), prices))
    return TwoYears(hospital, total, pop.age.copy(), pop.sex.copy(), risk)


def figures(scenario: Scenario, patients: int = FIT_PATIENTS, seed: int = FIT_SEED) -> dict:
    """The calibration_targets section 9 figures of :func:`two_years`, and the age-sex
    formula's R-squared on the first year's cost."""
    years = two_years(scenario, patients, seed)
    out = concentration(years.hospital[0], years.total[0], years.age)
    out.update(persistence_figures(years.total[0], years.total[1]))
    age_sex = calibrate(scenario).age_sex_prediction(years.age, years.sex)
    out["cost_r2_age_sex"] = r_squared(age_sex, years.total[0])
    return out


def adjuster_r_squared(
    scenario: Scenario, r_squared_asked: float, patients: int = FIT_PATIENTS, seed: int = FIT_SEED
) -> dict[str, float]:
    """R-squared on annual cost of the age-sex formula (``age_sex``), of the full adjuster
    asked for ``r_squared_asked`` (``full``) and of true expected cost (``expected``),
    measured on a population other than the calibration's reference: what a validation
    report sets beside calibration_targets 6.6-6.10."""
    cal = calibrate(scenario)
    years = two_years(scenario, patients, seed)
    age_sex = cal.age_sex_prediction(years.age, years.sex).astype(np.float64)
    weight = cal.full_adjustment_weight(r_squared_asked)
    full = age_sex + weight * (years.risk - age_sex)
    cost = years.total[0]
    return {
        "age_sex": r_squared(age_sex, cost),
        "full": r_squared(full, cost),
        "expected": r_squared(years.risk, cost),
    }


def distance(values: dict[str, float]) -> float:
    """Sum of squared relative errors against :data:`TARGETS` (section 9 only)."""
    return float(sum((values[k] / t - 1) ** 2 for k, t in TARGETS.items()))


def fit_spread(
    scenario: Scenario, patients: int = FIT_PATIENTS, evaluations: int = 200
) -> dict[str, float]:
    """The :data:`FITTED` parameters bringing :func:`figures` closest to :data:`TARGETS`,
    from the scenario's own values."""
    from scipy.optimize import minimize

    def current(key: str) -> float:
        return float(getattr(scenario.utilisation, key.split(".")[1]))

    def loss(x: np.ndarray) -> float:
        try:
            sc = with_overrides(scenario, dict(zip(FITTED, (float(v) for v in x), strict=True)))
        except ValueError:  # outside a parameter's domain
            return 1e9
        return distance(figures(sc, patients))

    start = np.array([current(k) for k in FITTED])
    best = minimize(loss, start, method="Nelder-Mead", options={"maxfev": evaluations})
    return dict(zip(FITTED, (float(v) for v in best.x), strict=True))


if __name__ == "__main__":  # pragma: no cover
    from sim.config.scenario import load_scenario

    base = load_scenario("scenarios/fragmented_tariff.toml")
    fitted = fit_spread(base)
    print(fitted)
    print(figures(with_overrides(base, fitted)))
