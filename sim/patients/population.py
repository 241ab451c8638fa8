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

from sim.base.heap import keep_heap_warm
from sim.base.rng import chunks, stream
from sim.config.scenario import FRAGMENTED, Scenario
from sim.patients import epidemiology as epi

FIELDS: dict[str, type] = {
    "pid": np.uint32,  # patient identifier; a reused row gets a new one
    "age": np.uint8,  # years, 0..100
    "sex": np.uint8,  # 0 female, 1 male
    "imd": np.uint8,  # deprivation quintile, 1 most deprived .. 5 least
    "locality": np.uint16,  # index into scenario.localities
    "conditions": np.uint8,  # bitmask over epidemiology.CONDITIONS
    "frailty": np.float16,  # unobserved propensity to use care, gamma with mean 1
    "risk": np.float32,  # expected annual cost relative to the England mean
    "option": np.uint8,  # current enrolment: index into scenario.option_names
    "previous_option": np.uint8,  # enrolment last year (for switching)
    "years_enrolled": np.uint8,  # years with the current option
    "experience": np.float32,  # last year's experience of care, 0 (bad) .. 1 (good)
    "position": np.float16,  # place within the locality, 0..1 (for distance)
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
        return (
            f"Patient {self.pid}: {self.age}-year-old {sex}, IMD quintile {self.imd}, "
            f"locality {self.locality}, {conds}; risk {self.risk:.2f}; option "
            f"{self.option} for {self.years_enrolled} years; experience {self.experience:.2f}"
        )


# --------------------------------------------------------------------------- synthesis


def initial_options(scenario: Scenario, locality: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Starting enrolment: ICPs take their ``initial_share`` of each locality, the rest default.

    ``u`` is one uniform per patient, so the split is reproducible and shared across scenarios.
    Within a locality the ICPs' shares are stacked in scenario order from 0; patients above
    the last share stay in the fragmented default, or, where there is none, join the last
    ICP serving the locality.
    """
    return InitialOptions(scenario)(locality, u)


class InitialOptions:
    """:func:`initial_options` with its per-locality tables built once."""

    def __init__(self, scenario: Scenario):
        uppers: list[list[float]] = []
        choices: list[list[int]] = []
        for loc in scenario.localities:
            bounds, opts, lower = [], [], 0.0
            served = [
                oi for oi, icp in enumerate(scenario.icps, start=1) if loc.name in icp.localities
            ]
            for oi in served:
                icp = scenario.icps[oi - 1]
                if icp.start_year <= 1 and icp.initial_share > 0:
                    lower += icp.initial_share
                    bounds.append(lower)
                    opts.append(oi)
            opts.append(0 if loc.fragmented_default else served[-1])
            uppers.append(bounds)
            choices.append(opts)
        n_loc = len(uppers)
        width = max(len(b) for b in uppers)
        self.upper = np.full((n_loc, width), 2.0)  # 2.0: never reached by a uniform
        self.option = np.zeros((n_loc, width + 1), dtype=np.uint8)
        for li in range(n_loc):
            self.upper[li, : len(uppers[li])] = uppers[li]
            self.option[li, :] = choices[li][-1]
            self.option[li, : len(choices[li])] = choices[li]

    def __call__(self, locality: np.ndarray, u: np.ndarray) -> np.ndarray:
        loc = locality.astype(np.intp)
        if self.upper.shape[1] == 0:  # no ICP starts with members: everyone takes the fallback
            return self.option[loc, 0]
        column = (u[:, None] >= self.upper[loc]).sum(axis=1)
        return self.option[loc, column]


def synthesize(scenario: Scenario, n: int, seed: int, replicate: int = 0) -> Population:
    """A synthetic population shaped like England (age, sex, deprivation, conditions).

    Built chunk by chunk with float32 draws and table lookups, so no full-size float64
    temporary is ever allocated and England's 56 million rows take well under a year's time.
    """
    keep_heap_warm()
    pop = Population(n)
    dist = epi.england_age_sex().ravel()  # (age, sex) flattened
    cdf = np.cumsum(dist)
    loc_share = np.array([loc.share for loc in scenario.localities], dtype=float)
    loc_cdf = np.cumsum(loc_share / loc_share.sum())
    curves = epi.condition_curves(scenario.conditions)
    shape = scenario.utilisation.frailty_shape
    n_loc = len(scenario.localities)
    enrol = InitialOptions(scenario)
    for index, rows in chunks(n):
        rng = stream(seed, replicate, "population", 0, index)
        m = rows.stop - rows.start
        pop.pid[rows] = np.arange(rows.start, rows.stop, dtype=np.uint32)
        cell = epi.inverse_cdf(cdf, rng.random(m, dtype=np.float32))
        age = (cell >> 1).astype(np.uint8)
        pop.age[rows] = age
        pop.sex[rows] = cell & 1
        imd = rng.integers(1, 6, m, dtype=np.uint8)
        pop.imd[rows] = imd
        locality = np.minimum(epi.inverse_cdf(loc_cdf, rng.random(m, dtype=np.float32)), n_loc - 1)
        pop.locality[rows] = locality
        pop.conditions[rows] = curves.draw_prevalent(
            epi.cell_index(age, imd), rng.random(m, dtype=np.float32)
        )
        pop.frailty[rows] = _frailty(rng, shape, m)
        pop.option[rows] = enrol(locality, rng.random(m, dtype=np.float32))
        pop.years_enrolled[rows] = rng.integers(1, 11, m, dtype=np.uint8)
        experience = rng.standard_normal(m, dtype=np.float32)
        experience *= 0.1
        experience += 0.5
        pop.experience[rows] = np.clip(experience, 0, 1, out=experience)
        pop.position[rows] = stream(seed, replicate, "geography", 0, index).random(
            m, dtype=np.float32
        )
    pop.next_pid = n
    pop.previous_option[:] = pop.option
    return pop


def _frailty(rng: np.random.Generator, shape: float, m: int) -> np.ndarray:
    """Gamma frailty with mean 1 (shape ``shape``), drawn in float32."""
    f = rng.standard_gamma(shape, m, dtype=np.float32)
    f *= np.float32(1 / shape)
    return f


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
        self.death = epi.death_table(self.params, self.weights)  # by (age, imd, conditions)

    def step_chunk(self, pop: Population, rows: slice, rng: np.random.Generator) -> int:
        """Advance ``rows`` by one year; returns the number of deaths (= entrants).

        New conditions come first; death depends on age before the birthday, deprivation
        and the conditions held at the end of the year.
        """
        m = rows.stop - rows.start
        age, conditions = pop.age[rows], pop.conditions[rows]  # views: updated in place
        cell = epi.cell_index(age, pop.imd[rows])
        conditions |= self.curves.draw_incident(cell, rng.random(m, dtype=np.float32))
        cell *= len(epi.MASKS)
        cell += conditions
        q = self.death[cell]
        dead = np.flatnonzero(rng.random(m, dtype=np.float32) < q) + rows.start
        age += age < epi.MAX_AGE
        years = pop.years_enrolled[rows]
        years += years < 255
        if dead.size:
            _admit_entrants(
                pop,
                dead,
                rng,
                self.curves,
                self.params.entrant_birth_share,
                self.default_option,
                self.frailty_shape,
            )
        return int(dead.size)


def _default_option_by_locality(scenario: Scenario) -> np.ndarray:
    """Where an entrant enrols first: the fragmented default, or the locality's first ICP."""
    out = np.zeros(len(scenario.localities), dtype=np.uint8)
    for li, loc in enumerate(scenario.localities):
        if not loc.fragmented_default:
            out[li] = next(
                oi for oi, icp in enumerate(scenario.icps, start=1) if loc.name in icp.localities
            )
    assert scenario.option_names[0] == FRAGMENTED
    return out


def _admit_entrants(
    pop: Population,
    rows: np.ndarray,
    rng: np.random.Generator,
    curves: epi.ConditionCurves,
    birth_share: float,
    default_option: np.ndarray,
    frailty_shape: float,
) -> None:
    k = rows.size
    born = rng.random(k) < birth_share
    age = np.where(born, 0, rng.integers(18, 46, k)).astype(np.uint8)
    pop.pid[rows] = pop.new_pids(k)
    pop.age[rows] = age
    pop.sex[rows] = rng.random(k) < 0.5
    pop.conditions[rows] = curves.draw_prevalent(
        epi.cell_index(age, pop.imd[rows]), rng.random(k, dtype=np.float32)
    )
    pop.option[rows] = default_option[pop.locality[rows]]
    pop.previous_option[rows] = pop.option[rows]
    pop.years_enrolled[rows] = 0
    pop.experience[rows] = 0.5
    pop.position[rows] = rng.random(k)
    pop.frailty[rows] = _frailty(rng, frailty_shape, k)
