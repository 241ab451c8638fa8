"""Each patient's health state: what care received and care withheld do to health and survival.

Clinical need for elective care is what a patient's conditions and risk call for at
England's rates (the calibrated expected electives, less any share of England's volume
declared above need, ``health.elective_above_need_share``), whatever any provider earns
at the margin. A provider whose rate modifier supplies less than that leaves the rest
unmet; one that supplies more induces demand above need, which does no harm and no good.

Each year the state moves, per patient (``h`` in EQ-5D points, :class:`HealthYear`):

* untreated elective need lowers utility by ``waiting_utility_loss_per_month`` a month
  (Clement et al 2021): need unmet this year adds twelve months' loss to ``h``; need met
  restores ``treated_recovery`` of it; need met after a wait of W months costs the
  decline while waiting, c W^2 / 2 utility-months, in this year's QALYs;
* an ACSC admission not prevented and a preventable readmission cost QALYs and raise the
  probability of death;
* a provider's quality below 1 raises an admitted patient's probability of death.

The probability of death next year is the full-access one
(:func:`sim.patients.epidemiology.death_probability`) plus an excess
(``excess_death_risk``, :func:`sim.patients.epidemiology.death_given_care`): those deaths are amenable, deaths timely care would have
avoided. QALYs lived weigh each year by the Ara and Brazier (2010) age-sex norm less
condition decrements and ``h``; QALYs lost against full access add the morbidity loss and
the discounted QALYs an amenable death takes away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.health_parameters import Health
from sim.config.parameters import Demography
from sim.patients import epidemiology as epi

WEEKS_PER_MONTH = 52.0 / 12.0


def utility_norm(age: np.ndarray, sex: np.ndarray, params: Health) -> np.ndarray:
    """EQ-5D-3L general-population utility by age and sex (Ara and Brazier 2010)."""
    a = np.asarray(age, dtype=np.float64)
    return (
        params.utility_intercept
        + params.utility_male * np.asarray(sex, dtype=np.float64)
        + params.utility_age * a
        + params.utility_age_squared * a * a
    )


def quality_adjusted_life_left(
    utility: np.ndarray, death: np.ndarray, discount_rate: float
) -> np.ndarray:
    """Discounted QALYs an amenable death at each age takes away: the rest of that year at
    its utility (half a year on average) and, surviving the year's background risk, every
    later year the patient would have lived.

    ``utility`` and ``death`` are (age, ...) tables; conditions are held as they are, and
    the oldest age repeats (a geometric tail).
    """
    keep = 1.0 / (1.0 + discount_rate)
    later = np.zeros_like(utility)  # QALYs from the start of age a + 1, discounted to it
    top = epi.MAX_AGE
    survive = (1.0 - death[top]) * keep
    ahead = utility[top] * (1.0 - death[top] / 2) / np.maximum(1.0 - survive, 1e-9)
    for age in range(top, -1, -1):
        later[age] = ahead
        ahead = utility[age] * (1.0 - death[age] / 2) + (1.0 - death[age]) * keep * ahead
    return 0.5 * utility + (1.0 - death) * keep * later


@dataclass(frozen=True)
class HealthTables:
    """Utility, full-access death probability and QALYs left, per rate-table cell.

    Cells are (age, sex, IMD quintile, condition mask) in the layout of
    :meth:`sim.patients.utilisation.RateTables.key`, so a chunk gathers them with the key
    it already has.
    """

    utility: np.ndarray
    death: np.ndarray
    qalys_left: np.ndarray

    @classmethod
    def build(
        cls, params: Health, demography: Demography, weights: list[float] | np.ndarray
    ) -> HealthTables:
        n_mask = len(epi.MASKS)
        shape = (epi.MAX_AGE + 1, 2, epi.IMD_QUINTILES, n_mask)
        death = epi.death_table(demography, weights).astype(np.float64)
        death = np.broadcast_to(death.reshape(shape[0], 1, *shape[2:]), shape)
        norm = utility_norm(epi.AGES[:, None], np.arange(2)[None, :], params)
        bits = (epi.MASKS[:, None] >> np.arange(len(epi.CONDITIONS))) & 1
        decrement = bits @ np.asarray(params.condition_decrements())
        utility = np.minimum(norm[:, :, None, None] - decrement[None, None, None, :], 1.0)
        utility = np.broadcast_to(utility, shape)
        left = quality_adjusted_life_left(utility, death, params.discount_rate)
        return cls(
            utility=utility.astype(np.float32).ravel(),
            death=death.astype(np.float32).ravel(),
            qalys_left=left.astype(np.float32).ravel(),
        )


@dataclass
class HealthYear:
    """One year of care's effect on a set of patients (one entry each, float32).

    ``health_loss`` and ``excess_death_risk`` are the state carried into next year;
    the rest are this year's sums for the ledger.
    """

    unmet_need: np.ndarray  # electives needed and not supplied (expected)
    induced: np.ndarray  # electives supplied above need (expected)
    health_loss: np.ndarray  # EQ-5D points at year end
    excess_death_risk: np.ndarray  # added to next year's probability of death
    qalys: np.ndarray  # QALYs lived this year
    qalys_lost: np.ndarray  # against full access, amenable deaths' QALYs included


def year_of_care(
    params: Health,
    expected_elective: np.ndarray,
    elective_modifier: np.ndarray | float,
    wait_weeks: np.ndarray | float,
    health_loss: np.ndarray,
    acsc: np.ndarray,
    readmissions: np.ndarray,
    admitted: np.ndarray,
    quality: np.ndarray | float,
    cells: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> HealthYear:
    """The health state after this year's care, and this year's health sums.

    ``expected_elective``: electives at England's rates (the patient's risk, before any
    provider's modifier); ``elective_modifier``: the provider's factor on them;
    ``wait_weeks``: the patient's elective wait; ``health_loss``: the state at the start
    of the year; ``acsc``, ``readmissions``: this year's counts; ``admitted``: True where
    the patient had a spell; ``quality``: their provider's quality index; ``cells``: the
    patient's utility, full-access death probability and QALYs left
    (:class:`HealthTables`, gathered).
    """
    f32 = np.float32
    c = f32(params.waiting_utility_loss_per_month)
    in_need = f32(1.0 - params.elective_above_need_share)
    need = expected_elective * in_need
    served = np.minimum(np.asarray(elective_modifier, dtype=np.float32) / in_need, f32(1.0))
    unmet = need * (f32(1.0) - served)
    induced = np.maximum(expected_elective * elective_modifier - need, f32(0.0))
    months = need * served  # needs met after a wait ...
    wait = np.asarray(wait_weeks, dtype=np.float32) / f32(WEEKS_PER_MONTH)
    waiting_loss = months * wait * wait * (c / f32(24.0))  # ... declining c a month, in QALYs
    months = months * wait  # need-months waited by needs met this year
    h = health_loss * (f32(1.0) - f32(params.treated_recovery) * served)
    h += unmet * (c * f32(12.0))
    np.minimum(h, f32(params.health_loss_max), out=h)
    acsc = acsc.astype(np.float32)
    preventable = readmissions.astype(np.float32) * f32(params.readmission_preventable_share)
    morbidity = (health_loss + h) * f32(0.5) + waiting_loss
    morbidity += acsc * f32(params.acsc_qaly_loss) + preventable * f32(params.readmission_qaly_loss)
    utility, death, qalys_left = cells
    per_point = (
        params.waiting_mortality_per_month / params.waiting_utility_loss_per_month if c else 0
    )
    relative = months * f32(params.waiting_mortality_per_month) + h * f32(per_point)
    relative += admitted * (f32(params.quality_mortality_effect) * (f32(1.0) - quality))
    excess = death * relative
    excess += acsc * f32(params.acsc_death_risk) + preventable * f32(params.readmission_death_risk)
    np.minimum(excess, f32(1.0) - death, out=excess)
    return HealthYear(
        unmet_need=unmet,
        induced=induced,
        health_loss=h,
        excess_death_risk=excess,
        qalys=utility - morbidity,
        qalys_lost=morbidity + excess * qalys_left,
    )
