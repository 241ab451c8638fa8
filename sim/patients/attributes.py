"""Every patient attribute, declared once: its name, type, meaning and how it is drawn.

Each :class:`Attribute` of :data:`ATTRIBUTES` says what a new patient of the synthetic
population starts with (``initial``) and what an entrant taking a dead patient's row
starts with (``entrant``). The population's arrays (:class:`sim.patients.population.Population`),
the readable view of one patient (``PatientView``), the start-of-run synthesis, the
entrants of each year's demography and the one-object-per-patient reference model
(``benchmarks/reference_mesa.py``) all read this table, so a new attribute is one entry here.

Draws run in the order of the table, initial and entrant alike, each from the generator of
its chunk (positions have their own stream, so geography can change without moving any
other draw). A new attribute goes at the end: every draw before it stays as it was.

To add an attribute: append its :class:`Attribute` here (with draws that use only
attributes above it); give the reference model's ``_populate`` and ``Patient.newcomer``
its scalar draws (``benchmarks/reference_mesa.py`` refuses to create a patient without
every drawn attribute); then read it where the model uses it (``population.<name>``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from sim.config.scenario import FRAGMENTED, Scenario
from sim.patients import epidemiology as epi


class PatientArrays(Protocol):
    """The population's arrays as draws read them: an array per attribute, by name, and
    fresh patient ids (:class:`sim.patients.population.Population`)."""

    def new_pids(self, count: int) -> np.ndarray: ...


Draw = Callable[["Draws"], Any]
"""Values of one attribute for the rows of a :class:`Draws` (an array, or one value for all)."""


@dataclass(frozen=True)
class Attribute:
    """One column of the population: one value per patient.

    ``initial``: how the synthetic population draws it (None: starts at zero, worked out by
    the engine before it is read). ``entrant``: what an entrant taking a row starts with
    (None: the row keeps its value: an entrant settles in the same locality and deprivation
    quintile). ``bookkeeping``: the arrays' own record (a reused row's identifier, last
    year's option), which a model holding one object per patient does not need.
    """

    name: str
    dtype: type[np.generic]
    doc: str
    initial: Draw | None
    entrant: Draw | None
    bookkeeping: bool = False


class Origins:
    """Where a scenario's patients come from: what the draws need, worked out once."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.curves = epi.condition_curves(scenario.conditions)
        self.frailty_shape = scenario.utilisation.frailty_shape
        self.episode_probability = scenario.utilisation.episode_probability
        self.birth_share = scenario.demography.entrant_birth_share
        self.entrant_option = entrant_options(scenario)

    @cached_property
    def age_sex_cdf(self) -> np.ndarray:
        """England's (age, sex) shares, flattened and cumulated."""
        return np.cumsum(epi.england_age_sex().ravel())

    @cached_property
    def locality_cdf(self) -> np.ndarray:
        share = np.array([loc.share for loc in self.scenario.localities], dtype=float)
        return np.cumsum(share / share.sum())

    @cached_property
    def first_option(self) -> InitialOptions:
        return InitialOptions(self.scenario)


@dataclass
class Draws:
    """One set of rows being filled: a chunk of new patients, or the entrants of a chunk.

    ``drawn`` holds what has been drawn so far, as drawn (before the arrays' own type), so
    a later draw (conditions by age and deprivation) sees the same numbers it always has.
    """

    origins: Origins
    population: PatientArrays
    rows: slice | np.ndarray
    rng: np.random.Generator
    geography: np.random.Generator | None = None  # positions' own stream (synthesis)
    drawn: dict[str, Any] = field(default_factory=dict)
    age_sex_cell: np.ndarray | None = None  # England's (age, sex) cell: age's draw, sex's value

    @property
    def size(self) -> int:
        rows = self.rows
        return rows.stop - rows.start if isinstance(rows, slice) else len(rows)

    def __getitem__(self, name: str) -> Any:
        """An attribute of these rows: as drawn just now, else as the population holds it."""
        if name in self.drawn:
            return self.drawn[name]
        return getattr(self.population, name)[self.rows]

    def fill(self, stage: str) -> None:
        """Draw every attribute that has a draw for ``stage`` ("initial" or "entrant"), in
        the order of :data:`ATTRIBUTES`, into the population's arrays."""
        for attribute in ATTRIBUTES:
            draw: Draw | None = getattr(attribute, stage)
            if draw is not None:
                value = draw(self)
                self.drawn[attribute.name] = value
                getattr(self.population, attribute.name)[self.rows] = value


# --------------------------------------------------------------------------- the draws


def _initial_age(d: Draws) -> np.ndarray:
    """Age and sex together, from one uniform on England's (age, sex) shares."""
    d.age_sex_cell = epi.inverse_cdf(d.origins.age_sex_cdf, d.rng.random(d.size, dtype=np.float32))
    return (d.age_sex_cell >> 1).astype(np.uint8)


def _entrant_age(d: Draws) -> np.ndarray:
    """A birth (age 0) or an adult moving in, aged 18 to 45."""
    born = d.rng.random(d.size) < d.origins.birth_share
    return np.where(born, 0, d.rng.integers(18, 46, d.size)).astype(np.uint8)


def _initial_locality(d: Draws) -> np.ndarray:
    n_localities = len(d.origins.scenario.localities)
    u = d.rng.random(d.size, dtype=np.float32)
    return np.minimum(epi.inverse_cdf(d.origins.locality_cdf, u), n_localities - 1)


def _conditions(d: Draws) -> np.ndarray:
    """Long-term conditions held, by age and deprivation (prevalence, one uniform each)."""
    cell = epi.cell_index(d["age"], d["imd"])
    return d.origins.curves.draw_prevalent(cell, d.rng.random(d.size, dtype=np.float32))


def _frailty(d: Draws) -> np.ndarray:
    """Gamma frailty with mean 1 (shape ``utilisation.frailty_shape``), drawn in float32."""
    shape = d.origins.frailty_shape
    f = d.rng.standard_gamma(shape, d.size, dtype=np.float32)
    f *= np.float32(1 / shape)
    return f


def _episode(d: Draws) -> np.ndarray:
    """Whether last year was an acute episode year: the long-run share, one uniform each
    (next years follow the chain of :mod:`sim.patients.cost_spread`)."""
    return d.rng.random(d.size, dtype=np.float32) < d.origins.episode_probability


def _initial_experience(d: Draws) -> np.ndarray:
    experience = d.rng.standard_normal(d.size, dtype=np.float32)
    experience *= 0.1
    experience += 0.5
    return np.clip(experience, 0, 1, out=experience)


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "pid",
        np.uint32,
        "patient identifier; a reused row gets a new one",
        initial=lambda d: np.arange(d.rows.start, d.rows.stop, dtype=np.uint32),
        entrant=lambda d: d.population.new_pids(d.size),
        bookkeeping=True,
    ),
    Attribute("age", np.uint8, "years, 0..100", initial=_initial_age, entrant=_entrant_age),
    Attribute(
        "sex",
        np.uint8,
        "0 female, 1 male",
        initial=lambda d: d.age_sex_cell & 1,
        entrant=lambda d: d.rng.random(d.size) < 0.5,
    ),
    Attribute(
        "imd",
        np.uint8,
        "deprivation quintile, 1 most deprived .. 5 least",
        initial=lambda d: d.rng.integers(1, 6, d.size, dtype=np.uint8),
        entrant=None,
    ),
    Attribute(
        "locality", np.uint16, "index into scenario.localities", _initial_locality, entrant=None
    ),
    Attribute(
        "conditions",
        np.uint8,
        "bitmask over epidemiology.CONDITIONS",
        initial=_conditions,
        entrant=_conditions,
    ),
    Attribute(
        "position",
        np.float16,
        "place within the locality, 0..1 (for distance)",
        initial=lambda d: d.geography.random(d.size, dtype=np.float32),
        entrant=lambda d: d.rng.random(d.size),
    ),
    Attribute(
        "frailty",
        np.float16,
        "unobserved propensity to use care, gamma with mean 1",
        initial=_frailty,
        entrant=_frailty,
    ),
    Attribute(
        "risk",
        np.float32,
        "expected annual cost relative to the England mean",
        initial=None,
        entrant=None,
    ),
    Attribute(
        "option",
        np.uint16,
        "current enrolment: index into scenario.option_names",
        initial=lambda d: d.origins.first_option(
            d["locality"], d.rng.random(d.size, dtype=np.float32)
        ),
        entrant=lambda d: d.origins.entrant_option[d["locality"]],
    ),
    Attribute(
        "previous_option",
        np.uint16,
        "enrolment last year (for switching)",
        initial=lambda d: d["option"],
        entrant=lambda d: d["option"],
        bookkeeping=True,
    ),
    Attribute(
        "years_enrolled",
        np.uint8,
        "years with the current option",
        initial=lambda d: d.rng.integers(1, 11, d.size, dtype=np.uint8),
        entrant=lambda d: 0,
    ),
    Attribute(
        "experience",
        np.float32,
        "last year's experience of care, 0 (bad) .. 1 (good)",
        initial=_initial_experience,
        entrant=lambda d: 0.5,
    ),
    Attribute(
        "health_loss",
        np.float32,
        "EQ-5D points lost to elective need left untreated (sim.patients.health); none at "
        "the start, as for an entrant",
        initial=lambda d: 0.0,
        entrant=lambda d: 0.0,
    ),
    Attribute(
        "excess_death_risk",
        np.float32,
        "probability of death added this year by last year's care withheld or poor "
        "(amenable; sim.patients.health); none at the start, as for an entrant",
        initial=lambda d: 0.0,
        entrant=lambda d: 0.0,
    ),
    Attribute(
        "episode",
        np.uint8,
        "1 if the patient's latest year was an acute episode year (sim.patients.cost_spread)",
        initial=_episode,
        entrant=_episode,
    ),
)
"""The population's columns, in the order they are drawn."""

FIELDS: dict[str, type[np.generic]] = {a.name: a.dtype for a in ATTRIBUTES}
"""Each attribute's array type, by name."""


# --------------------------------------------------------------------------- enrolment


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
        self.option = np.zeros((n_loc, width + 1), dtype=np.uint16)
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


def entrant_options(scenario: Scenario) -> np.ndarray:
    """Where an entrant enrols first, by locality: the fragmented default, or the locality's
    first ICP."""
    out = np.zeros(len(scenario.localities), dtype=np.uint16)
    for li, loc in enumerate(scenario.localities):
        if not loc.fragmented_default:
            out[li] = next(
                oi for oi, icp in enumerate(scenario.icps, start=1) if loc.name in icp.localities
            )
    assert scenario.option_names[0] == FRAGMENTED
    return out
