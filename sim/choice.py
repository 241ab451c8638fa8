"""Annual choice of provider option: a random-utility (logit) rule.

Patient i's utility of option j in their locality is

    U_ij = b_quality q_j + b_waiting w_j + b_distance d_ij - s_j [i high-risk]
           + [j is current] (inertia_i + b_experience (experience_i - 0.5)) + Gumbel noise

Inertia (a switching cost) is higher for older people and people with a long-term
condition (calibration_targets 5.4). Options closed in the locality are unavailable;
a patient whose option closed must choose again. Mandatory acceptance: every choice
is granted, so an ICP can deter high-risk applicants (s_j) but never refuse them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import Choice


@dataclass
class OptionTable:
    """What patients can see of each option, by locality: shape (localities, options)."""

    available: np.ndarray   # bool
    quality: np.ndarray     # 0-1
    waiting: np.ndarray     # weeks
    selection: np.ndarray   # utility penalty for high-risk patients
    site: np.ndarray        # position of main site in the locality (0-1); NaN = local practice
    radius_km: np.ndarray   # (localities,)


class LogitChoice:
    """Annual logit choice with inertia; draws with one uniform per patient (common numbers)."""

    def __init__(self, params: Choice):
        self.params = params

    def inertia(self, age: np.ndarray, has_ltc: np.ndarray, years_enrolled: np.ndarray) -> np.ndarray:
        p = self.params
        value = (p.inertia + p.inertia_age_65_plus * (age >= 65) + p.inertia_ltc * has_ltc)
        return np.where(years_enrolled == 0, p.new_entrant_inertia, value).astype(np.float32)

    def utilities(self, table: OptionTable, current: np.ndarray, locality: np.ndarray,
                  position: np.ndarray, high_risk: np.ndarray, experience: np.ndarray,
                  inertia: np.ndarray) -> np.ndarray:
        """Systematic utility of every option for every patient, shape (n, options)."""
        p = self.params
        loc = locality.astype(np.intp)
        n_options = table.available.shape[1]
        site = table.site[loc]                                         # (n, O)
        distance = np.where(np.isnan(site), p.gp_distance_km,
                            np.abs(position[:, None].astype(np.float32) - site)
                            * 2 * table.radius_km[loc][:, None])
        u = (p.beta_quality * table.quality[loc] + p.beta_waiting * table.waiting[loc]
             + p.beta_distance * distance - table.selection[loc] * high_risk[:, None])
        stay = (np.arange(n_options)[None, :] == current[:, None])
        u = u + stay * (inertia + p.beta_experience * (experience - 0.5))[:, None]
        return np.where(table.available[loc], u, -np.inf).astype(np.float64)

    def choose(self, utilities: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """Draw an option from the logit probabilities by inverse CDF."""
        top = utilities.max(axis=1, keepdims=True)
        weights = np.exp(utilities - top)
        cdf = np.cumsum(weights, axis=1)
        cdf /= cdf[:, -1:]
        chosen = (uniform[:, None] > cdf).sum(axis=1)
        return np.minimum(chosen, utilities.shape[1] - 1).astype(np.uint8)
