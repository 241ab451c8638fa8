"""The patients' parameter sections: demography, long-term conditions, utilisation.

Each section is a table of a scenario file (``[demography]``, ``[utilisation]``, ...)
and every default is declared with :func:`sim.config.declare.P` (unit plus source, or an
assumption with a range), so ``icsim params`` lists them. They are kept apart from
:mod:`sim.config.scenario`, which says how a scenario is put together and loaded, so the
modules that only need numbers (epidemiology, choice, providers) need not import it.
Choice is in :mod:`sim.config.choice_parameters` and the providers' sections (costs,
behaviour, hospital) in :mod:`sim.config.provider_parameters`, each re-exported here;
contract terms live beside their payment rules in :mod:`sim.contracts`.
"""

from __future__ import annotations

from pydantic import model_validator

from sim.base.schema import Strict
from sim.config.choice_parameters import Choice  # noqa: F401  (re-exported: every section is here)
from sim.config.declare import P
from sim.config.provider_parameters import (  # noqa: F401  (re-exported: every section is here)
    Behaviour,
    Costs,
    Hospital,
)

# --------------------------------------------------------------------------- epidemiology


class Demography(Strict):
    """Deaths and entrants: Gompertz mortality by age, deprivation and conditions."""

    mortality_gompertz_a: float = P(
        -10.7,
        "log annual death probability at age 0 (Gompertz), no long-term condition, IMD quintile 3",
        assumption=(-11.2, -10.2),
        note="tuned to about 9 deaths per 1,000 a year (England ~470k "
        "deaths, 53.5m people); q(80) about 0.05",
    )
    mortality_gompertz_b: float = P(0.093, "per year of age", assumption=(0.085, 0.1))
    infant_mortality: float = P(
        0.004, "probability of death in first year", assumption=(0.003, 0.005)
    )
    deprivation_mortality_gradient: float = P(
        0.1,
        "log mortality ratio per IMD quintile more deprived",
        assumption=(0.05, 0.2),
        note="Bolton life expectancy 82 to 67 (seed 003:208-211)",
    )
    ltc_mortality_weight: float = P(
        0.35, "relative increase in mortality per unit of condition weight", assumption=(0.1, 1.0)
    )
    entrant_birth_share: float = P(
        0.7,
        "share of entrants who are births (rest adults moving in)",
        assumption=(0.5, 0.9),
        ge=0,
        le=1,
    )


class Conditions(Strict):
    """Long-term conditions. Any-LTC prevalence by age from calibration_targets 4.26-4.28."""

    ltc_prevalence_under_40: float = P(
        0.14, "share with a long-term condition", "calibration_targets 4.28", ge=0, le=1
    )
    ltc_prevalence_40_59: float = P(
        0.33,
        "share with a long-term condition",
        "derived: 29% overall (calibration_targets 4.26) given 14% "
        "under 40 and 58% over 60 (4.28) and the age structure",
        ge=0,
        le=1,
    )
    ltc_prevalence_60_plus: float = P(
        0.58, "share with a long-term condition", "calibration_targets 4.28", ge=0, le=1
    )
    diabetes_prevalence: float = P(
        0.055,
        "share of population",
        assumption=(0.045, 0.07),
        note="Bolton 4.6% registered (seed 003:215-216)",
    )
    copd_prevalence: float = P(0.018, "share of population", assumption=(0.012, 0.025))
    heart_failure_prevalence: float = P(0.008, "share of population", assumption=(0.005, 0.012))
    dementia_prevalence: float = P(0.007, "share of population", assumption=(0.005, 0.01))
    condition_weights: list[float] = P(
        [1.0, 1.5, 2.0, 1.5, 1.0],
        "relative utilisation weight of diabetes, COPD, heart failure, dementia, other",
        assumption=(0.5, 3.0),
        min_length=5,
        max_length=5,
    )
    deprivation_odds_gradient: float = P(
        0.12,
        "log-odds of LTC per IMD quintile more deprived",
        assumption=(0.0, 0.25),
        note="Bolton life expectancy 82 vs 67 (seed 003:208-211)",
    )


# --------------------------------------------------------------------------- utilisation


class Utilisation(Strict):
    """England fragmented-tariff baseline (calibration_targets section 4)."""

    gp_consultations_per_person: float = P(
        5.3, "consultations per person-year", "calibration_targets 4.23", gt=0
    )
    outpatient_per_person: float = P(
        1.8,
        "attendances per person-year",
        assumption=(1.5, 2.2),
        note="NF in calibration_targets; HES ~95m attendances/yr",
    )
    elective_per_1000: float = P(
        177.0,
        "elective spells per 1,000 per year",
        "fitted by scenarios/calibration/baseline.toml to 183 in every one of ten years "
        "(derived: (15.1m FAEs - 5.3m emergency) / 53.5m, calibration_targets 4.16, 4.1, 4.8; "
        "4.19 says derive): best trial 173.5, sd of the best trials 4.2; 177 keeps year 1 "
        "inside the 4% band as well",
        gt=0,
        le=1000,
    )
    emergency_per_1000: float = P(
        98.0,
        "emergency admissions per 1,000 per year",
        "fitted by scenarios/calibration/baseline.toml to 99 (calibration_targets 4.8) in "
        "every one of ten years: best trial 98.2, sd of the best trials 0.65",
        gt=0,
        le=1000,
    )
    ae_per_1000: float = P(
        270.0,
        "major A&E attendances per 1,000 per year",
        assumption=(220, 330),
        ge=0,
        le=1000,
        note="26% of major attenders admitted (calibration_targets 4.6)",
    )
    acsc_share: float = P(
        1 / 6,
        "share of emergency admissions that are ACSC (avoidable)",
        "calibration_targets 4.29",
        gt=0,
        lt=1,
    )
    readmission_rate: float = P(
        0.07,
        "emergency readmissions within 28 days per discharge",
        assumption=(0.05, 0.12),
        ge=0,
        le=1,
    )
    ltc_readmission_weight: float = P(
        0.2,
        "relative increase in readmission risk per unit of condition weight",
        assumption=(0.0, 0.5),
    )
    ltc_acsc_multiple: float = P(
        2.0,
        "LTC gradient of ACSC admissions relative to other emergency admissions",
        assumption=(1.0, 4.0),
        note="ACSC are mostly LTC exacerbations (calibration_targets 4.29)",
    )
    emergency_los_days: float = P(
        5.8,
        "mean length of stay, emergency",
        "derived: 33.59m bed days / 5.8m admissions, calibration_targets 4.13",
        gt=0,
    )
    elective_los_days: float = P(
        1.6,
        "mean length of stay, elective incl. day cases",
        "derived: emergency 67% of bed days (calibration_targets 4.3)",
        gt=0,
    )
    ltc_share_gp: float = P(
        0.50,
        "share of GP appointments used by people with an LTC",
        "calibration_targets 4.27",
        gt=0,
        lt=1,
    )
    ltc_share_outpatient: float = P(
        0.64,
        "share of outpatient appointments, people with an LTC",
        "calibration_targets 4.28",
        gt=0,
        lt=1,
    )
    frailty_shape: float = P(
        0.85,
        "shape of the gamma-distributed lifelong frailty that scales each patient's rates (mean 1)",
        "fitted to calibration_targets 9.1-9.4 by sim.patients.cost_fit.fit_spread",
        gt=0,
        note="persistent over-dispersion of use; the episode chain and stays add the "
        "transient part (sim.patients.cost_spread)",
    )
    episode_probability: float = P(
        0.47,
        "long-run probability that a year is a patient's acute episode year",
        "fitted to calibration_targets 9.1-9.4 by sim.patients.cost_fit.fit_spread",
        gt=0,
        lt=1,
    )
    episode_persistence: float = P(
        0.27,
        "probability of an episode year after an episode year",
        "fitted to calibration_targets 9.1-9.4 by sim.patients.cost_fit.fit_spread",
        ge=0,
        lt=1,
    )
    episode_share: float = P(
        0.7,
        "share of a patient's expected hospital use that comes in their episode years",
        "fitted to calibration_targets 9.1-9.4 by sim.patients.cost_fit.fit_spread",
        ge=0,
        le=1,
    )
    los_cv: float = P(
        2.7,
        "coefficient of variation of length of stay across a patient's spells",
        "fitted to calibration_targets 9.1-9.4 by sim.patients.cost_fit.fit_spread",
        ge=0,
        le=5,
    )
    ltc_los_weight: float = P(
        0.1,
        "relative increase in length of stay per unit of condition weight",
        assumption=(0.0, 0.3),
    )
    ltc_share_bed_days: float = P(
        0.70, "share of bed days used by people with an LTC", "calibration_targets 4.27", gt=0, lt=1
    )
    female_gp_ratio: float = P(1.3, "female / male GP consultation rate", assumption=(1.1, 1.5))
    deprivation_emergency_gradient: float = P(
        0.09,
        "log rate ratio per IMD quintile more deprived, emergency and A&E",
        assumption=(0.0, 0.2),
    )
    deprivation_acsc_gradient: float = P(
        0.17,
        "log rate ratio per IMD quintile more deprived, ACSC",
        "calibration_targets 4.30 (most deprived >2x least; 4 steps with LTC gradient)",
    )

    @model_validator(mode="after")
    def _episodes_possible(self) -> Utilisation:
        p, r = self.episode_probability, self.episode_persistence
        if p * (1 - r) > 1 - p:
            raise ValueError(
                "utilisation.episode_persistence: with episode_probability "
                f"{p:g} it must be at least {(2 * p - 1) / p:g}, or more than every patient "
                "without an episode would need one next year"
            )
        return self
