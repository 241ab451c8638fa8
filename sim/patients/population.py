"""Patients: the whole population as numpy arrays, one row per patient.

The engine never holds a Python object per patient: each attribute is one compact
array, so 56 million patients fit in about 1.5 GB. Students who want to follow a
person use :meth:`Population.patient`, which returns a readable :class:`PatientView`
of one row. The attributes, and how each is drawn, are declared once, in
:data:`sim.patients.attributes.ATTRIBUTES`.

A row whose patient dies is reused for an entrant (a birth or someone moving in), so
the population stays about stable and arrays never grow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.base.heap import keep_heap_warm
from sim.base.rng import chunks, stream
from sim.config.scenario import Scenario
from sim.patients import epidemiology as epi
from sim.patients.attributes import ATTRIBUTES, FIELDS, Draws, Origins


class Population:
    """Struct of arrays holding every patient: one array per attribute of
    :data:`~sim.patients.attributes.ATTRIBUTES`, named as it is (``pop.age``, ``pop.risk``)."""

    def __init__(self, n: int, localities: Sequence[str] = (), options: Sequence[str] = ()):
        self.n = int(n)
        for attribute in ATTRIBUTES:
            setattr(self, attribute.name, np.zeros(self.n, dtype=attribute.dtype))
        self.next_pid = 0
        # names of the scenario's localities and options, so a patient reads as a sentence
        # ("urban", "icp_north") rather than as the indices the arrays hold
        self.locality_names = tuple(localities)
        self.option_names = tuple(options)

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

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *FIELDS]

    @property
    def condition_names(self) -> list[str]:
        mask = int(self.population.conditions[self.row])
        return [c for i, c in enumerate(epi.CONDITIONS) if mask >> i & 1]

    @property
    def locality_name(self) -> str:
        """The name of the patient's locality (its index when the population has no names)."""
        return _name(self.population.locality_names, self.locality)

    @property
    def option_name(self) -> str:
        """The name of the option the patient is enrolled with (else its index)."""
        return _name(self.population.option_names, self.option)

    def as_dict(self) -> dict[str, object]:
        """Every attribute, in the order of the table; conditions by name."""
        out: dict[str, object] = {name: getattr(self, name) for name in FIELDS}
        out["conditions"] = self.condition_names
        return out

    def __repr__(self) -> str:
        sex = "male" if self.sex else "female"
        conds = ", ".join(self.condition_names) or "no long-term condition"
        return (
            f"Patient {self.pid}: {self.age}-year-old {sex}, IMD quintile {self.imd}, "
            f"{self.locality_name} locality, {conds}; risk {self.risk:.2f}; with "
            f"{self.option_name} for {self.years_enrolled} years; "
            f"experience {self.experience:.2f}"
        )


def _name(names: tuple[str, ...], index: int) -> str:
    return names[index] if 0 <= index < len(names) else str(index)


# --------------------------------------------------------------------------- synthesis


def synthesize(scenario: Scenario, n: int, seed: int, replicate: int = 0) -> Population:
    """A synthetic population shaped like England (age, sex, deprivation, conditions).

    Built chunk by chunk with float32 draws and table lookups, so no full-size float64
    temporary is ever allocated and England's 56 million rows take well under a year's time.
    Each attribute is drawn by its ``initial`` draw (:data:`~sim.patients.attributes.ATTRIBUTES`).
    """
    keep_heap_warm()
    pop = Population(n, [loc.name for loc in scenario.localities], scenario.option_names)
    origins = Origins(scenario)
    for index, rows in chunks(n):
        Draws(
            origins,
            pop,
            rows,
            rng=stream(seed, replicate, "population", 0, index),
            geography=stream(seed, replicate, "geography", 0, index),
        ).fill("initial")
    pop.next_pid = n
    return pop


# --------------------------------------------------------------------------- demography


class Demography:
    """Ageing, new conditions, deaths and entrants for one chunk of rows at a time.

    A dead patient's row goes to an entrant: a birth (age 0) or an adult moving in, in
    the same locality and IMD quintile, who starts in the locality's default option
    with no enrolment history, so the population stays stable. What else an entrant
    starts with is each attribute's ``entrant`` draw (:data:`~sim.patients.attributes.ATTRIBUTES`).
    """

    def __init__(self, scenario: Scenario):
        self.params = scenario.demography
        self.origins = Origins(scenario)
        self.curves = self.origins.curves
        self.weights = scenario.conditions.condition_weights
        self.death = epi.death_table(self.params, self.weights)  # by (age, imd, conditions)

    def step_chunk(self, pop: Population, rows: slice, rng: np.random.Generator) -> Deaths:
        """Advance ``rows`` by one year; returns who died (their rows went to entrants).

        New conditions come first; death depends on age before the birthday, deprivation
        and the conditions held at the end of the year, plus the excess last year's care
        left (:func:`~sim.patients.epidemiology.death_given_care`).
        """
        m = rows.stop - rows.start
        age, conditions = pop.age[rows], pop.conditions[rows]  # views: updated in place
        cell = epi.cell_index(age, pop.imd[rows])
        conditions |= self.curves.draw_incident(cell, rng.random(m, dtype=np.float32))
        cell *= len(epi.MASKS)
        cell += conditions
        q = epi.death_given_care(self.death[cell], pop.excess_death_risk[rows])
        dead = np.flatnonzero(rng.random(m, dtype=np.float32) < q) + rows.start
        deaths = Deaths.of(pop, dead)
        age += age < epi.MAX_AGE
        years = pop.years_enrolled[rows]
        years += years < 255
        if dead.size:
            Draws(self.origins, pop, dead, rng).fill("entrant")
        return deaths


@dataclass(frozen=True)
class Deaths:
    """The patients who died in a chunk's year, as they were when they died (age before the
    birthday, conditions of the year's end), before entrants took their rows."""

    rows: np.ndarray
    attributes: dict[str, np.ndarray]

    RECORDED = ("age", "sex", "imd", "locality", "conditions", "risk", "option", "health_loss")

    @classmethod
    def of(cls, pop: Population, dead: np.ndarray) -> Deaths:
        return cls(dead, {name: getattr(pop, name)[dead] for name in cls.RECORDED})

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.attributes[name]
