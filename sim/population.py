"""Patients: the whole population as numpy arrays, one row per patient.

The engine never holds a Python object per patient: each attribute is one compact
array, so 56 million patients fit in about 1.5 GB. Students who want to follow a
person use :meth:`Population.patient`, which returns a readable :class:`PatientView`
of one row.

A row whose patient dies is reused for an entrant (a birth or someone moving in), so
the population stays about stable and arrays never grow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import epidemiology as epi
from sim.rng import chunks, stream
from sim.scenario import FRAGMENTED, Scenario

FIELDS: dict[str, type] = {
    "pid": np.uint32,             # patient identifier; a reused row gets a new one
    "age": np.uint8,              # years, 0..100
    "sex": np.uint8,              # 0 female, 1 male
    "imd": np.uint8,              # deprivation quintile, 1 most deprived .. 5 least
    "locality": np.uint16,        # index into scenario.localities
    "conditions": np.uint8,       # bitmask over epidemiology.CONDITIONS
    "frailty": np.float16,        # unobserved propensity to use care, gamma with mean 1
    "risk": np.float32,           # expected annual cost relative to the England mean
    "option": np.uint8,           # current enrolment: index into scenario.option_names
    "previous_option": np.uint8,  # enrolment last year (for switching)
    "years_enrolled": np.uint8,   # years with the current option
    "experience": np.float32,     # last year's experience of care, 0 (bad) .. 1 (good)
    "position": np.float16,       # place within the locality, 0..1 (for distance)
}


class Population:
    """Struct of arrays holding every patient; see :data:`FIELDS` for the columns."""

    def __init__(self, n: int):
        self.n = int(n)
        for name, dtype in FIELDS.items():
            setattr(self, name, np.zeros(self.n, dtype=dtype))
        self.next_pid = 0

    # The attributes are declared for type checkers and readers.
    pid: np.ndarray
    age: np.ndarray
    sex: np.ndarray
    imd: np.ndarray
    locality: np.ndarray
    conditions: np.ndarray
    frailty: np.ndarray
    risk: np.ndarray
    option: np.ndarray
    previous_option: np.ndarray
    years_enrolled: np.ndarray
    experience: np.ndarray
    position: np.ndarray

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f).nbytes for f in FIELDS)

    def patient(self, row: int) -> PatientView:
        """A readable view of one patient (row), for teaching and debugging."""
        return PatientView(self, int(row))

    def new_pids(self, count: int) -> np.ndarray:
        pids = np.arange(self.next_pid, self.next_pid + count, dtype=np.uint32)
        self.next_pid += count
        return pids


@dataclass
class PatientView:
    """One patient, read from the arrays. Changing the arrays changes what this shows."""

    population: Population
    row: int

    def __getattr__(self, name: str):
        if name in FIELDS:
            return getattr(self.population, name)[self.row].item()
        raise AttributeError(name)

    @property
    def condition_names(self) -> list[str]:
        mask = int(self.population.conditions[self.row])
        return [c for i, c in enumerate(epi.CONDITIONS) if mask >> i & 1]

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {name: getattr(self, name) for name in FIELDS}
        out["conditions"] = self.condition_names
        return out

    def __repr__(self) -> str:
        sex = "male" if self.sex else "female"
        conds = ", ".join(self.condition_names) or "no long-term condition"
        return (f"Patient {self.pid}: {self.age}-year-old {sex}, IMD quintile {self.imd}, "
                f"locality {self.locality}, {conds}; risk {self.risk:.2f}; option "
                f"{self.option} for {self.years_enrolled} years; experience {self.experience:.2f}")


# --------------------------------------------------------------------------- synthesis


def initial_options(scenario: Scenario, locality: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Starting enrolment: ICPs take their ``initial_share`` of each locality, the rest default.

    ``u`` is one uniform per patient, so the split is reproducible and shared across scenarios.
    """
    option = np.zeros(len(locality), dtype=np.uint8)
    for li, loc in enumerate(scenario.localities):
        here = locality == li
        lower = 0.0
        for oi, icp in enumerate(scenario.icps, start=1):
            if loc.name in icp.localities and icp.start_year <= 1 and icp.initial_share > 0:
                upper = lower + icp.initial_share
                option[here & (u >= lower) & (u < upper)] = oi
                lower = upper
        if not loc.fragmented_default:  # everyone must be in an ICP; the last one takes rounding
            served = [oi for oi, icp in enumerate(scenario.icps, start=1)
                      if loc.name in icp.localities]
            option[here & (option == 0)] = served[-1]
    return option


def synthesize(scenario: Scenario, n: int, seed: int, replicate: int = 0) -> Population:
    """A synthetic population shaped like England (age, sex, deprivation, conditions)."""
    pop = Population(n)
    dist = epi.england_age_sex().ravel()  # (age, sex) flattened
    cdf = np.cumsum(dist)
    loc_share = np.array([loc.share for loc in scenario.localities], dtype=float)
    loc_cdf = np.cumsum(loc_share / loc_share.sum())
    curves = epi.condition_curves(scenario.conditions)
    shape = scenario.utilisation.frailty_shape
    pop.pid[:] = pop.new_pids(n)
    for index, rows in chunks(n):
        rng = stream(seed, replicate, "population", 0, index)
        m = rows.stop - rows.start
        cell = np.minimum(np.searchsorted(cdf, rng.random(m), side="right"), len(dist) - 1)
        pop.age[rows] = cell // 2
        pop.sex[rows] = cell % 2
        pop.imd[rows] = 1 + (rng.random(m) * 5).astype(np.uint8)
        pop.locality[rows] = np.searchsorted(loc_cdf, rng.random(m) * loc_cdf[-1], side="right")
        prev = curves.prevalence_for(pop.age[rows], pop.imd[rows])
        has = rng.random((m, len(epi.CONDITIONS))) < prev
        pop.conditions[rows] = (has * (1 << np.arange(len(epi.CONDITIONS)))).sum(axis=1)
        pop.frailty[rows] = rng.gamma(shape, 1 / shape, m)
        pop.option[rows] = initial_options(scenario, pop.locality[rows], rng.random(m))
        pop.years_enrolled[rows] = 1 + (rng.random(m) * 10).astype(np.uint8)
        pop.experience[rows] = np.clip(0.5 + 0.1 * rng.standard_normal(m), 0, 1)
        pop.position[rows] = stream(seed, replicate, "geography", 0, index).random(m)
    np.minimum(pop.locality, len(scenario.localities) - 1, out=pop.locality)
    pop.previous_option[:] = pop.option
    return pop


# --------------------------------------------------------------------------- demography


class Demography:
    """Ageing, new conditions, deaths and entrants for one chunk of rows at a time.

    A dead patient's row goes to an entrant: a birth (age 0) or an adult moving in, in
    the same locality and IMD quintile, who starts in the locality's default option
    with no enrolment history, so the population stays stable.
    """

    def __init__(self, scenario: Scenario):
        self.params = scenario.demography
        self.curves = epi.condition_curves(scenario.conditions)
        self.weights = scenario.conditions.condition_weights
        self.frailty_shape = scenario.utilisation.frailty_shape
        self.default_option = _default_option_by_locality(scenario)

    def step_chunk(self, pop: Population, rows: slice, rng: np.random.Generator) -> int:
        """Advance ``rows`` by one year; returns the number of deaths (= entrants)."""
        m = rows.stop - rows.start
        age, imd = pop.age[rows], pop.imd[rows]
        n_cond = len(epi.CONDITIONS)
        u_incidence = rng.random((m, n_cond), dtype=np.float32)
        u_death = rng.random(m, dtype=np.float32)
        new = u_incidence < self.curves.incidence_for(age, imd)
        pop.conditions[rows] |= (new * (1 << np.arange(n_cond))).sum(axis=1).astype(np.uint8)
        weight = epi.condition_weight(pop.conditions[rows], self.weights)
        q = epi.death_probability(age, weight, imd, self.params)
        dead = np.flatnonzero(u_death < q) + rows.start
        pop.age[rows] = np.minimum(age + 1, epi.MAX_AGE)
        pop.years_enrolled[rows] = np.minimum(pop.years_enrolled[rows].astype(np.int16) + 1, 255)
        if dead.size:
            _admit_entrants(pop, dead, rng, self.curves, self.params.entrant_birth_share,
                            self.default_option, self.frailty_shape)
        return int(dead.size)


def _default_option_by_locality(scenario: Scenario) -> np.ndarray:
    """Where an entrant enrols first: the fragmented default, or the locality's first ICP."""
    out = np.zeros(len(scenario.localities), dtype=np.uint8)
    for li, loc in enumerate(scenario.localities):
        if not loc.fragmented_default:
            out[li] = next(oi for oi, icp in enumerate(scenario.icps, start=1)
                           if loc.name in icp.localities)
    assert scenario.option_names[0] == FRAGMENTED
    return out


def _admit_entrants(pop: Population, rows: np.ndarray, rng: np.random.Generator,
                    curves: epi.ConditionCurves, birth_share: float,
                    default_option: np.ndarray, frailty_shape: float) -> None:
    k = rows.size
    born = rng.random(k) < birth_share
    age = np.where(born, 0, 18 + (rng.random(k) * 28).astype(np.int64)).astype(np.uint8)
    pop.pid[rows] = pop.new_pids(k)
    pop.age[rows] = age
    pop.sex[rows] = rng.random(k) < 0.5
    prev = curves.prevalence_for(age, pop.imd[rows])
    has = rng.random((k, len(epi.CONDITIONS))) < prev
    pop.conditions[rows] = (has * (1 << np.arange(len(epi.CONDITIONS)))).sum(axis=1)
    pop.option[rows] = default_option[pop.locality[rows]]
    pop.previous_option[rows] = pop.option[rows]
    pop.years_enrolled[rows] = 0
    pop.experience[rows] = 0.5
    pop.position[rows] = rng.random(k)
    pop.frailty[rows] = rng.gamma(frailty_shape, 1 / frailty_shape, k)
