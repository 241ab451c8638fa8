"""The patient attribute table and what reads it, on a hand-made two-locality scenario."""

from __future__ import annotations

import sys
from pathlib import Path

import mesa
import numpy as np
import pytest

from sim.base.rng import stream
from sim.config.scenario import IcpConfig, Locality, Scenario
from sim.patients import epidemiology as epi
from sim.patients.attributes import (
    ATTRIBUTES,
    FIELDS,
    Draws,
    Origins,
    entrant_options,
    initial_options,
)
from sim.patients.population import Population, synthesize

SCENARIO = Scenario(
    localities=[
        Locality(name="north", share=0.6),
        Locality(name="south", share=0.4, fragmented_default=False),
    ],
    icps=[
        IcpConfig(name="one", localities=["north"], initial_share=0.3),
        IcpConfig(name="two", localities=["south"], initial_share=1.0),
    ],
)
N, SEED = 3_000, 7
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def pop() -> Population:
    return synthesize(SCENARIO, N, SEED)


def test_every_attribute_is_declared_with_its_type_meaning_and_draws():
    names = [a.name for a in ATTRIBUTES]
    assert len(set(names)) == len(names) and list(FIELDS) == names
    for a in ATTRIBUTES:
        assert issubclass(a.dtype, np.generic) and a.doc, a.name
        assert a.initial is None or callable(a.initial), a.name
        assert a.entrant is None or callable(a.entrant), a.name
    undrawn = {a.name for a in ATTRIBUTES if a.initial is None}
    kept = {a.name for a in ATTRIBUTES if a.entrant is None}
    assert undrawn == {"risk"}  # worked out by the engine each year
    assert kept == {"imd", "locality", "risk"}  # an entrant settles where someone died


def test_the_population_holds_one_array_per_attribute():
    empty = Population(4)
    for a in ATTRIBUTES:
        column = getattr(empty, a.name)
        assert column.dtype == a.dtype and column.tolist() == [0] * 4
    assert empty.nbytes == 4 * sum(np.dtype(a.dtype).itemsize for a in ATTRIBUTES)


def test_patient_view_shows_every_attribute(pop):
    view = pop.patient(5)
    shown = view.as_dict()
    assert list(shown) == [a.name for a in ATTRIBUTES]
    for a in ATTRIBUTES:
        assert getattr(view, a.name) == getattr(pop, a.name)[5].item()
        assert a.name in dir(view)
    assert shown["conditions"] == view.condition_names
    assert f"Patient {view.pid}:" in repr(view)
    pop.age[5] += 1  # a view, not a copy
    assert view.age == shown["age"] + 1
    pop.age[5] -= 1


def test_synthesis_draws_each_attribute_within_its_meaning(pop):
    assert pop.pid.tolist() == list(range(N)) and pop.next_pid == N
    assert pop.age.max() <= epi.MAX_AGE and set(np.unique(pop.sex)) == {0, 1}
    assert set(np.unique(pop.imd)) == {1, 2, 3, 4, 5}
    assert 0.55 < (pop.locality == 0).mean() < 0.65  # north holds 60%
    north = pop.locality == 0
    assert set(np.unique(pop.option[north])) == {0, 1} and (pop.option[~north] == 2).all()
    assert 0.25 < (pop.option[north] == 1).mean() < 0.35  # its ICP starts with 30%
    assert (pop.previous_option == pop.option).all()
    assert pop.years_enrolled.min() >= 1 and pop.years_enrolled.max() <= 10
    assert (pop.frailty > 0).all() and abs(pop.frailty.astype(float).mean() - 1) < 0.1
    for unit in (pop.position, pop.experience):
        assert (unit >= 0).all() and (unit <= 1).all()
    assert (pop.risk == 0).all()


def test_synthesis_draws_in_the_order_of_the_table():
    """The streams' values in table order: what keeps every population byte-identical."""
    n, sc = 50, SCENARIO
    pop = synthesize(sc, n, SEED)
    rng = stream(SEED, 0, "population", 0, 0)
    origins = Origins(sc)
    cell = epi.inverse_cdf(origins.age_sex_cdf, rng.random(n, dtype=np.float32))
    age = (cell >> 1).astype(np.uint8)
    imd = rng.integers(1, 6, n, dtype=np.uint8)
    loc = np.minimum(epi.inverse_cdf(origins.locality_cdf, rng.random(n, dtype=np.float32)), 1)
    conditions = origins.curves.draw_prevalent(
        epi.cell_index(age, imd), rng.random(n, dtype=np.float32)
    )
    shape = sc.utilisation.frailty_shape
    frailty = rng.standard_gamma(shape, n, dtype=np.float32) * np.float32(1 / shape)
    option = initial_options(sc, loc, rng.random(n, dtype=np.float32))
    years = rng.integers(1, 11, n, dtype=np.uint8)
    experience = np.clip(rng.standard_normal(n, dtype=np.float32) * 0.1 + 0.5, 0, 1)
    position = stream(SEED, 0, "geography", 0, 0).random(n, dtype=np.float32)
    expected = dict(
        age=age,
        sex=cell & 1,
        imd=imd,
        locality=loc,
        conditions=conditions,
        frailty=frailty,
        option=option,
        years_enrolled=years,
        experience=experience,
        position=position,
    )
    for name, values in expected.items():
        column = getattr(pop, name)
        assert column.tobytes() == values.astype(column.dtype).tobytes(), name


def test_entrants_take_the_rows_of_the_dead_and_keep_their_place():
    pop = synthesize(SCENARIO, 200, SEED)
    before = {a.name: getattr(pop, a.name).copy() for a in ATTRIBUTES}
    rows = np.array([3, 50, 199])
    Draws(Origins(SCENARIO), pop, rows, stream(SEED, 0, "demography", 1, 0)).fill("entrant")
    others = np.setdiff1d(np.arange(200), rows)
    for a in ATTRIBUTES:
        assert (getattr(pop, a.name)[others] == before[a.name][others]).all(), a.name
    for name in ("imd", "locality", "risk"):
        assert (getattr(pop, name)[rows] == before[name][rows]).all(), name
    assert pop.pid[rows].tolist() == [200, 201, 202] and pop.next_pid == 203
    assert all(age == 0 or 18 <= age <= 45 for age in pop.age[rows].tolist())
    first = entrant_options(SCENARIO)[pop.locality[rows]]
    assert (pop.option[rows] == first).all() and (pop.previous_option[rows] == first).all()
    assert (pop.years_enrolled[rows] == 0).all() and (pop.experience[rows] == 0.5).all()


def test_first_enrolment_stacks_the_icps_shares_and_entrants_join_the_default():
    locality = np.array([0, 0, 0, 1, 1], dtype=np.uint16)
    u = np.array([0.0, 0.29, 0.31, 0.0, 0.99], dtype=np.float32)
    assert initial_options(SCENARIO, locality, u).tolist() == [1, 1, 0, 2, 2]
    assert entrant_options(SCENARIO).tolist() == [0, 2]


def test_the_reference_patient_has_the_tables_attributes():
    sys.path.insert(0, str(BENCHMARKS))
    from reference_mesa import DRAWN, PERSON, Patient

    bookkeeping = {a.name for a in ATTRIBUTES if a.bookkeeping}
    assert bookkeeping == {"pid", "previous_option"}
    assert [a.name for a in PERSON] == [a.name for a in ATTRIBUTES if not a.bookkeeping]
    model = mesa.Model(seed=1)
    drawn = dict.fromkeys(DRAWN, 1)
    patient = Patient(model, **drawn)
    assert all(hasattr(patient, a.name) for a in PERSON) and patient.risk == 0.0
    del drawn["frailty"]
    with pytest.raises(TypeError, match="missing \\['frailty'\\]"):
        Patient(model, **drawn)
