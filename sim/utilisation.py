"""Annual use of care per patient: expected rates, and counts drawn from them.

A patient's expected rate of each activity is

    base[a] x age_profile[a](age) x sex[a] x deprivation[a](imd) x (1 + ltc[a] x W)
            x modifier[a](option, locality, high_risk)

where W is the sum of the patient's condition weights, times the patient's unobserved
frailty (gamma, mean 1). ``base`` and ``ltc`` are solved
by :mod:`sim.calibration` so that the fragmented-tariff baseline reproduces England
(calibration_targets section 4). Providers never edit these formulas: they change the
named ``modifier`` tables (see :mod:`sim.modifiers`).

Counts are drawn by inverse-CDF from one uniform per patient and activity, so two
scenarios with the same seed use the same uniforms (common random numbers): a patient
whose rate falls can only lose activity, never gain it by chance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim import epidemiology as epi

COUNTED = ("gp_consultation", "outpatient", "elective", "emergency", "acsc", "ae")
"""Activities drawn as counts. 'emergency' here means non-ACSC first emergency admissions."""

MODIFIED = (*COUNTED, "los", "readmission")
"""Named rates that providers and interventions may modify."""


@dataclass
class RateModel:
    """Calibrated coefficients of the expected-rate formula (see module docstring)."""

    base: dict[str, float]
    ltc: dict[str, float]
    age: dict[str, np.ndarray]                 # (101,) per activity, plus los_emergency/elective
    imd: dict[str, np.ndarray]                 # (5,) per activity
    female_gp_factor: float
    male_gp_factor: float
    los_base: dict[str, float]                 # emergency, elective: days
    ltc_los: float
    readmission_base: float
    ltc_readmission: float
    condition_weights: np.ndarray = field(repr=False)

    def condition_weight(self, conditions: np.ndarray) -> np.ndarray:
        return epi.condition_weight(conditions, self.condition_weights)

    def expected(self, age: np.ndarray, sex: np.ndarray, imd: np.ndarray, weight: np.ndarray,
                 frailty: np.ndarray | float = 1.0) -> dict[str, np.ndarray]:
        """Baseline expected counts per activity (no provider modifiers), float32."""
        out = {}
        qi = imd.astype(np.intp) - 1
        frail = np.asarray(frailty, dtype=np.float32)
        for a in COUNTED:
            lam = (self.base[a] * self.age[a][age] * self.imd[a][qi] * (1 + self.ltc[a] * weight)
                   * frail)
            if a == "gp_consultation":
                lam = lam * np.where(sex == 0, self.female_gp_factor, self.male_gp_factor)
            out[a] = lam.astype(np.float32)
        return out

    def length_of_stay(self, age: np.ndarray, weight: np.ndarray) -> dict[str, np.ndarray]:
        """Expected length of stay per spell (days) for emergency and elective spells."""
        ltc = 1 + self.ltc_los * weight
        return {kind: (self.los_base[kind] * self.age[f"los_{kind}"][age] * ltc).astype(np.float32)
                for kind in ("emergency", "elective")}

    def readmission_probability(self, weight: np.ndarray) -> np.ndarray:
        """Expected emergency readmissions within 28 days per discharge."""
        return (self.readmission_base * (1 + self.ltc_readmission * weight)).astype(np.float32)


def poisson_from_uniform(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson counts by inverse CDF: the smallest k with F(k; lam) >= u (vectorised).

    Monotone in ``lam`` for fixed ``u``, which is what makes common random numbers work.
    """
    lam64 = lam.astype(np.float64)
    k = np.zeros(u.shape, dtype=np.int32)
    p = np.exp(-lam64)
    idx = np.flatnonzero(u > p)
    if idx.size == 0:
        return k
    pa, fa, la, ua = p[idx], p[idx].copy(), lam64[idx], u[idx]
    j = 0
    while idx.size and j < 400:
        j += 1
        k[idx] = j
        pa *= la / j
        fa += pa
        keep = ua > fa
        if not keep.all():
            idx, pa, fa, la, ua = idx[keep], pa[keep], fa[keep], la[keep], ua[keep]
    return k


@dataclass
class Activity:
    """One year's activity for a chunk of patients (one entry per patient)."""

    counts: dict[str, np.ndarray]   # COUNTED plus 'readmission'
    bed_days: np.ndarray            # float32

    @property
    def emergency_total(self) -> np.ndarray:
        """All emergency admissions: ACSC, other first admissions and readmissions."""
        return self.counts["emergency"] + self.counts["acsc"] + self.counts["readmission"]


def draw_activity(rates: RateModel, expected: dict[str, np.ndarray], los: dict[str, np.ndarray],
                  weight: np.ndarray, modifiers: dict[str, np.ndarray],
                  uniforms: np.ndarray) -> Activity:
    """Draw counts given baseline expectations and per-patient modifier values.

    ``uniforms`` has one column per counted activity plus one for readmissions.
    """
    counts = {}
    for j, a in enumerate(COUNTED):
        counts[a] = poisson_from_uniform(uniforms[:, j], expected[a] * modifiers[a])
    discharges = counts["elective"] + counts["emergency"] + counts["acsc"]
    lam_readmit = rates.readmission_probability(weight) * modifiers["readmission"] * discharges
    counts["readmission"] = poisson_from_uniform(uniforms[:, len(COUNTED)], lam_readmit)
    emergency_spells = counts["emergency"] + counts["acsc"] + counts["readmission"]
    bed_days = (emergency_spells * los["emergency"] + counts["elective"] * los["elective"])
    return Activity(counts=counts, bed_days=(bed_days * modifiers["los"]).astype(np.float32))


def expected_cost(expected: dict[str, np.ndarray], readmit_p: np.ndarray,
                  prices: dict[str, float]) -> np.ndarray:
    """Expected annual cost at tariff prices: the basis of the risk score."""
    emergency = expected["emergency"] + expected["acsc"]
    readmissions = readmit_p * (emergency + expected["elective"])
    cost = (expected["gp_consultation"] * prices["gp_consultation"]
            + expected["outpatient"] * prices["outpatient"]
            + expected["elective"] * prices["elective"]
            + (emergency + readmissions) * prices["emergency"]
            + expected["ae"] * prices["ae"])
    return cost.astype(np.float32)
