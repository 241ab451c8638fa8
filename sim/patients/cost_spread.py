"""What spreads individual annual cost beyond Poisson counts around a lifelong propensity.

Two draws a patient a year, from their own stream (``cost_spread``), so no other draw moves:

* whether this is an **acute episode year**: a patient is in one with probability
  ``utilisation.episode_probability`` in the long run, and with
  ``utilisation.episode_persistence`` after one (a two-state Markov chain whose stationary
  share is that probability, so the population's share stays put). A share
  ``utilisation.episode_share`` of each patient's expected hospital use (outpatient,
  elective, emergency, ACSC and A&E) comes in their episode years: the multiplier on those
  rates is ``1 - share + share / probability`` in an episode year and ``1 - share``
  otherwise, mean 1. Admissions, attendances and follow-ups come together, and most people
  have no hospital use in most years;
* a **length-of-stay factor** on the year's bed days, lognormal with mean 1 and the
  coefficient of variation of the sum of the year's spells when each spell's stay varies
  with ``utilisation.los_cv`` (``los_cv / sqrt(spells)``): one long stay makes a year
  expensive, several spells average out; no year holds more than 365 bed days.

Both have mean 1 whatever a patient's rates, so every population mean the baseline is
calibrated to (calibration_targets section 4) is kept in expectation; only the spread and
the year-to-year persistence of cost change. With the lifelong gamma frailty
(:mod:`sim.patients.attributes`) they reproduce the concentration and persistence of
spending of calibration_targets 9.1-9.4 (fitted by :func:`sim.patients.cost_fit.fit_spread`).
Each draw is monotone in its uniform or normal deviate, so common random numbers still hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.parameters import Utilisation

DAYS_IN_YEAR = 365
"""The most bed days a patient's year can hold, whatever the stays' factor."""
HOSPITAL_RATES = ("outpatient", "elective", "emergency", "acsc", "ae")
"""The rates an acute episode raises together."""


def episode_chance(utilisation: Utilisation, last_year: np.ndarray | bool) -> np.ndarray | float:
    """Probability of an episode year after a year with (True) or without one."""
    p, r = utilisation.episode_probability, utilisation.episode_persistence
    after_none = p * (1 - r) / (1 - p) if p < 1 else 1.0
    return np.where(last_year, np.float32(r), np.float32(after_none))


def episode_multiplier(utilisation: Utilisation, episode: np.ndarray | bool) -> np.ndarray | float:
    """Multiplier (mean 1 over the population) on :data:`HOSPITAL_RATES` in a year with or
    without an episode."""
    p, a = utilisation.episode_probability, utilisation.episode_share
    return np.where(episode, np.float32(1 - a + a / p), np.float32(1 - a))


@dataclass(frozen=True)
class AnnualSpread:
    """One year's spread for a chunk of patients: who is in an episode year, and a standard
    normal deviate each for their stays' factor (``stay_z``)."""

    multiplier: np.ndarray | float  # on HOSPITAL_RATES, one per patient
    los_cv: float
    stay_z: np.ndarray  # float32, one per patient

    @classmethod
    def draw(
        cls, utilisation: Utilisation, rng: np.random.Generator, episode: np.ndarray
    ) -> AnnualSpread:
        """This year's draws; ``episode`` (last year's episode flags, one per patient) is
        set to this year's in place."""
        n = len(episode)
        u = rng.random(n, dtype=np.float32)
        stay = rng.standard_normal(n, dtype=np.float32)
        if utilisation.episode_share == 0:
            return cls(1.0, float(utilisation.los_cv), stay)
        np.less(u, episode_chance(utilisation, episode.astype(bool)), out=u)
        episode[:] = u
        return cls(episode_multiplier(utilisation, u.astype(bool)), utilisation.los_cv, stay)

    def episode(self) -> np.ndarray | float:
        """Each patient's multiplier on :data:`HOSPITAL_RATES` this year (mean 1)."""
        return self.multiplier

    def stay(self, rows: np.ndarray, spells: np.ndarray) -> np.ndarray | float:
        """Factor (mean 1) on the bed days of patients ``rows``, who have ``spells`` (> 0)."""
        return stay_factor(self.stay_z[rows], spells, self.los_cv)


def stay_factor(z: np.ndarray, spells: np.ndarray, los_cv: float) -> np.ndarray | float:
    """Lognormal factor of mean 1 whose CV is ``los_cv / sqrt(spells)``, at deviates ``z``:
    the sum of ``spells`` stays each varying with CV ``los_cv``, matched in mean and variance."""
    if los_cv == 0:
        return 1.0
    var = np.log1p(np.float32(los_cv * los_cv) / spells.astype(np.float32))
    return np.exp(z * np.sqrt(var) - var / 2).astype(np.float32)
