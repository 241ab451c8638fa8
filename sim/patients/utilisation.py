"""Annual use of care per patient: expected rates, and counts drawn from them.

A patient's expected rate of each activity is

    base[a] x age_profile[a](age) x sex[a] x deprivation[a](imd) x (1 + ltc[a] x W)
            x modifier[a](option, locality, high_risk)

where W is the sum of the patient's condition weights, times the patient's unobserved
frailty (gamma, mean 1). ``base`` and ``ltc`` are solved
by :mod:`sim.patients.calibration` so that the fragmented-tariff baseline reproduces England
(calibration_targets section 4). Providers never edit these formulas: they change the
named ``modifier`` tables (see :mod:`sim.patients.modifiers`).

Each year an acute episode multiplies a patient's hospital rates and a stays' factor their
bed days (:mod:`sim.patients.cost_spread`), both mean 1, so individual cost is as
concentrated and persistent as English spending while every mean stays calibrated.

Counts are drawn by inverse-CDF from one uniform per patient and activity, so two
scenarios with the same seed use the same uniforms (common random numbers): a patient
whose rate falls can only lose activity, never gain it by chance.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sim.patients import epidemiology as epi
from sim.patients.cost_spread import DAYS_IN_YEAR, HOSPITAL_RATES, AnnualSpread
from sim.patients.poisson import poisson_from_uniform, poisson_many

COUNTED = ("gp_consultation", "outpatient", "elective", "emergency", "acsc", "ae")
"""Activities drawn as counts. 'emergency' here means non-ACSC first emergency admissions."""

MODIFIED = (*COUNTED, "los", "readmission")
"""Named rates that providers and interventions may modify."""


@dataclass
class RateModel:
    """Calibrated coefficients of the expected-rate formula (see module docstring)."""

    base: dict[str, float]
    ltc: dict[str, float]
    age: dict[str, np.ndarray]  # (101,) per activity, plus los_emergency/elective
    imd: dict[str, np.ndarray]  # (5,) per activity
    female_gp_factor: float
    male_gp_factor: float
    los_base: dict[str, float]  # emergency, elective: days
    ltc_los: float
    readmission_base: float
    ltc_readmission: float
    condition_weights: np.ndarray = field(repr=False)

    def condition_weight(self, conditions: np.ndarray) -> np.ndarray:
        return epi.condition_weight(conditions, self.condition_weights)

    def expected(
        self,
        age: np.ndarray,
        sex: np.ndarray,
        imd: np.ndarray,
        weight: np.ndarray,
        frailty: np.ndarray | float = 1.0,
    ) -> dict[str, np.ndarray]:
        """Baseline expected counts per activity (no provider modifiers), float32."""
        out = {}
        qi = imd.astype(np.intp) - 1
        frail = np.asarray(frailty, dtype=np.float32)
        for a in COUNTED:
            lam = (
                self.base[a]
                * self.age[a][age]
                * self.imd[a][qi]
                * (1 + self.ltc[a] * weight)
                * frail
            )
            if a == "gp_consultation":
                lam = lam * np.where(sex == 0, self.female_gp_factor, self.male_gp_factor)
            out[a] = lam.astype(np.float32)
        return out

    def length_of_stay(self, age: np.ndarray, weight: np.ndarray) -> dict[str, np.ndarray]:
        """Expected length of stay per spell (days) for emergency and elective spells."""
        ltc = 1 + self.ltc_los * weight
        return {
            kind: (self.los_base[kind] * self.age[f"los_{kind}"][age] * ltc).astype(np.float32)
            for kind in ("emergency", "elective")
        }

    def readmission_probability(self, weight: np.ndarray) -> np.ndarray:
        """Expected emergency readmissions within 28 days per discharge."""
        return (self.readmission_base * (1 + self.ltc_readmission * weight)).astype(np.float32)

    @cached_property
    def tables(self) -> RateTables:
        """The formulas above evaluated once for every (age, sex, IMD, conditions) cell."""
        return RateTables.build(self)


@dataclass
class RateTables:
    """Expected rates per patient cell, so a chunk needs gathers instead of formulas.

    A cell is (age, sex, IMD quintile, condition mask), indexed by :meth:`key`; the
    entries are :meth:`RateModel.expected` at frailty 1 (multiply by frailty), lengths of
    stay, readmission probability and condition weight, all float32.
    """

    expected: dict[str, np.ndarray]
    los: dict[str, np.ndarray]
    readmission: np.ndarray
    weight: np.ndarray

    @staticmethod
    def key(
        age: np.ndarray, sex: np.ndarray, imd: np.ndarray, conditions: np.ndarray
    ) -> np.ndarray:
        """Cell index ``((age * 2 + sex) * 5 + imd - 1) * 32 + conditions``."""
        k = age.astype(np.intp) * 2
        k += sex
        k *= epi.IMD_QUINTILES
        k += imd
        k -= 1
        k *= 1 << len(epi.CONDITIONS)
        k += conditions
        return k

    def expected_cost(self, prices: dict[str, float]) -> np.ndarray:
        """:func:`expected_cost` of each cell at frailty 1 (scale by frailty)."""
        return expected_cost(self.expected, self.readmission, prices)

    @classmethod
    def build(cls, rates: RateModel) -> RateTables:
        n_mask = 1 << len(epi.CONDITIONS)
        grid = np.indices((epi.MAX_AGE + 1, 2, epi.IMD_QUINTILES, n_mask)).reshape(4, -1)
        age, sex = grid[0].astype(np.uint8), grid[1].astype(np.uint8)
        imd, mask = (grid[2] + 1).astype(np.uint8), grid[3]
        weight = rates.condition_weight(mask)
        return cls(
            expected=rates.expected(age, sex, imd, weight),
            los=rates.length_of_stay(age, weight),
            readmission=rates.readmission_probability(weight),
            weight=weight,
        )


@dataclass
class Activity:
    """One year's activity for a chunk of patients (one entry per patient)."""

    counts: dict[str, np.ndarray]  # COUNTED plus 'readmission'
    bed_days: np.ndarray  # float32

    @cached_property
    def emergency_total(self) -> np.ndarray:
        """All emergency admissions: ACSC, other first admissions and readmissions."""
        return self.counts["emergency"] + self.counts["acsc"] + self.counts["readmission"]


class CountsSubset(Mapping):
    """Some patients' activity counts (``rows``: indices or a slice), each taken when asked.

    Payment rules read only the activities they price, so a capitation rule costs no
    gathers at all.
    """

    def __init__(self, counts: Mapping[str, np.ndarray], rows: np.ndarray | slice):
        self._counts, self._rows = counts, rows
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, activity: str) -> np.ndarray:
        if activity not in self._cache:
            self._cache[activity] = self._counts[activity][self._rows]
        return self._cache[activity]

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)


def draw_activity(
    rates: RateModel,
    expected: dict[str, np.ndarray],
    los: dict[str, np.ndarray],
    weight: np.ndarray,
    modifiers: dict[str, np.ndarray],
    uniforms: np.ndarray | list[np.ndarray],
    spread: AnnualSpread | None = None,
) -> Activity:
    """Draw counts given baseline expectations and per-patient modifier values.

    ``uniforms`` has one column (or one array) per counted activity plus one for
    readmissions. Readmission probability follows ``weight``.
    """
    return draw_counts(
        expected, modifiers, uniforms, rates.readmission_probability(weight), los, spread
    )


@dataclass
class PerPatient:
    """A value per patient, looked up in ``table`` by each patient's ``cell`` when needed.

    Indexing with rows gathers only those rows: lengths of stay, say, matter only for
    the fifth of patients admitted in a year.
    """

    table: np.ndarray
    cell: np.ndarray

    def __getitem__(self, rows: np.ndarray | slice) -> np.ndarray:
        return self.table[self.cell[rows]]


PatientValue = np.ndarray | PerPatient | float
"""Per-patient arrays, lazy :class:`PerPatient` lookups, or one number for everyone."""


def _at(value: PatientValue, rows: np.ndarray) -> np.ndarray | float:
    return value[rows] if isinstance(value, np.ndarray | PerPatient) else value


def _scaled(rate: np.ndarray, modifier: PatientValue) -> np.ndarray:
    """``rate x modifier``, without a copy when the modifier is 1 for everyone."""
    if isinstance(modifier, PerPatient):
        return rate * modifier[slice(None)]
    if np.ndim(modifier) == 0 and modifier == 1:
        return rate
    return rate * modifier


def draw_counts(
    expected: dict[str, np.ndarray],
    modifiers: dict[str, PatientValue],
    uniforms: np.ndarray | list[np.ndarray],
    readmit_p: np.ndarray | PerPatient,
    los: dict[str, np.ndarray | PerPatient],
    spread: AnnualSpread | None = None,
) -> Activity:
    """:func:`draw_activity` given each patient's readmission probability per discharge.

    Readmissions and bed days are worked out only for patients with a spell. ``spread``:
    this year's episode multipliers and length-of-stay factors (:mod:`sim.patients.cost_spread`).
    """
    column = (lambda j: uniforms[j]) if isinstance(uniforms, list) else (lambda j: uniforms[:, j])
    episode = 1.0 if spread is None else spread.episode()
    drawn = poisson_many(
        [column(j) for j in range(len(COUNTED))],
        [
            _scaled(_scaled(expected[a], modifiers[a]), episode if a in HOSPITAL_RATES else 1.0)
            for a in COUNTED
        ],
    )
    counts = dict(zip(COUNTED, drawn, strict=True))
    discharges = counts["elective"] + counts["emergency"] + counts["acsc"]
    u_readmit = column(len(COUNTED))
    readmission = np.zeros(len(discharges), dtype=np.int32)
    some = np.flatnonzero(discharges)  # no discharge, no readmission or stay
    lam = readmit_p[some] * _at(modifiers["readmission"], some) * discharges[some]
    readmission[some] = poisson_from_uniform(u_readmit[some], lam)
    counts["readmission"] = readmission
    emergency_spells = counts["emergency"] + counts["acsc"]
    emergency_spells += readmission
    bed_days = np.zeros(len(discharges), dtype=np.float32)
    stay = emergency_spells[some] * los["emergency"][some]
    stay += counts["elective"][some] * los["elective"][some]
    stay *= _at(modifiers["los"], some)
    if spread is not None:  # a long stay makes a year expensive, but a year has 365 days
        stay *= spread.stay(some, emergency_spells[some] + counts["elective"][some])
        np.minimum(stay, np.float32(DAYS_IN_YEAR), out=stay)
    bed_days[some] = stay
    activity = Activity(counts=counts, bed_days=bed_days)
    activity.emergency_total = emergency_spells
    return activity


def expected_cost(
    expected: dict[str, np.ndarray], readmit_p: np.ndarray, prices: dict[str, float]
) -> np.ndarray:
    """Expected annual cost at tariff prices: the basis of the risk score."""
    emergency = expected["emergency"] + expected["acsc"]
    readmissions = readmit_p * (emergency + expected["elective"])
    cost = (
        expected["gp_consultation"] * prices["gp_consultation"]
        + expected["outpatient"] * prices["outpatient"]
        + expected["elective"] * prices["elective"]
        + (emergency + readmissions) * prices["emergency"]
        + expected["ae"] * prices["ae"]
    )
    return cost.astype(np.float32)
