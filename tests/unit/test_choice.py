"""The annual logit choice on hand-made options and patients: inertia, utilities, and the
probabilities the draws follow."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.config.parameters import Choice
from sim.patients.choice import LocalOptions, LogitChoice, OptionTable
from sim.patients.population import Population

PARAMS = Choice(
    inertia=2.0,
    inertia_age_65_plus=0.5,
    inertia_ltc=1.0,
    new_entrant_inertia=0.25,
    beta_quality=4.0,
    beta_waiting=-0.04,
    beta_distance=-0.15,
    beta_experience=2.0,
    gp_distance_km=1.0,
)
TABLE = OptionTable(  # two localities, three options; option 0 is local practices (no site)
    available=np.array([[True, True, False], [True, True, True]]),
    quality=np.array([[0.5, 0.7, 0.9], [0.5, 0.6, 0.8]]),
    waiting=np.array([[8.0, 10.0, 4.0], [8.0, 12.0, 6.0]]),
    selection=np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 1.0]]),
    site=np.array([[np.nan, 0.2, 0.5], [np.nan, 0.8, 0.1]]),
    radius_km=np.array([5.0, 20.0]),
)
RULE = LogitChoice(PARAMS)


def utility(locality: int, option: int, position: float, high_risk: bool) -> float:
    """The systematic utility of one option, written out from the module's formula."""
    site, radius = TABLE.site[locality, option], TABLE.radius_km[locality]
    km = PARAMS.gp_distance_km if math.isnan(site) else abs(position - site) * 2 * radius
    return (
        PARAMS.beta_quality * TABLE.quality[locality, option]
        + PARAMS.beta_waiting * TABLE.waiting[locality, option]
        + PARAMS.beta_distance * km
        - TABLE.selection[locality, option] * high_risk
    )


def test_inertia_adds_age_and_conditions_and_is_its_own_for_new_entrants():
    age = np.array([30, 70, 30, 70, 70], dtype=np.uint8)
    ltc = np.array([False, False, True, True, True])
    years = np.array([3, 3, 3, 3, 0], dtype=np.uint8)
    assert RULE.inertia(age, ltc, years).tolist() == [2.0, 2.5, 3.0, 3.5, 0.25]


def test_each_locality_lists_its_open_options_in_order():
    local = LocalOptions.from_table(TABLE, PARAMS)
    assert local.option.T.tolist() == [[0, 1, 0], [0, 1, 2]]
    assert local.column.tolist() == [[0, 1, -1], [0, 1, 2]]
    assert local.fixed[2, 0] == -np.inf  # padding is never chosen
    again = LocalOptions.from_table(TABLE, PARAMS, previous=local)
    assert again.layout is local.layout  # the same options open: the layout is kept
    closed = OptionTable(**{**vars(TABLE), "available": TABLE.available & [True, True, False]})
    assert LocalOptions.from_table(closed, PARAMS, previous=local).layout is not local.layout


def test_utilities_follow_the_formula_and_add_the_stay_bonus_to_the_current_option():
    local = LocalOptions.from_table(TABLE, PARAMS)
    current = np.array([0, 2, 1], dtype=np.uint8)
    locality = np.array([0, 1, 1], dtype=np.uint16)
    position = np.array([0.125, 0.375, 0.875], dtype=np.float16)  # exact in float16
    high_risk = np.array([True, False, True])
    experience = np.array([0.5, 0.9, 0.2], dtype=np.float32)
    inertia = np.array([2.0, 3.0, 0.25], dtype=np.float32)
    u = RULE.local_utilities(local, current, locality, position, high_risk, experience, inertia)
    dense = RULE.utilities(TABLE, current, locality, position, high_risk, experience, inertia)
    for i in range(3):
        for j, option in enumerate(local.option[:, locality[i]].tolist()):
            if local.column[locality[i], option] != j:  # padding
                continue
            expected = utility(int(locality[i]), option, float(position[i]), bool(high_risk[i]))
            if option == current[i]:
                expected += inertia[i] + PARAMS.beta_experience * (experience[i] - 0.5)
            assert u[j, i] == pytest.approx(expected, abs=1e-4)
            assert dense[i, option] == pytest.approx(expected, abs=1e-4)
    assert dense[0, 2] == -np.inf  # closed in the north


def test_choices_follow_the_logit_probabilities():
    """Evenly spaced uniforms: each option's share is its probability, to within 1/n."""
    n = 20_000
    local = LocalOptions.from_table(TABLE, PARAMS)
    locality = np.ones(n, dtype=np.uint16)
    current = np.zeros(n, dtype=np.uint8)
    args = (np.full(n, 0.375, dtype=np.float16), np.zeros(n, dtype=bool))
    no_bonus = (np.full(n, 0.5, np.float32), np.zeros(n, np.float32))  # experience, inertia
    u = RULE.local_utilities(local, current, locality, *args, *no_bonus)
    uniform = ((np.arange(n) + 0.5) / n).astype(np.float32)
    chosen = RULE.choose_local(local, locality, u, uniform)
    v = np.array([utility(1, j, 0.375, False) for j in range(3)])
    p = np.exp(v - v.max()) / np.exp(v - v.max()).sum()
    share = np.bincount(chosen, minlength=3) / n
    assert share == pytest.approx(p, abs=1 / n + 1e-5)
    whole = RULE.utilities(TABLE, current, locality, *args, *no_bonus)
    dense = np.bincount(RULE.choose(whole, uniform), minlength=3) / n
    assert dense == pytest.approx(p, abs=1 / n + 1e-5)  # the whole table draws alike


def test_a_closed_option_is_never_chosen_and_selection_deters_the_high_risk():
    n = 5_000
    local = LocalOptions.from_table(TABLE, PARAMS)
    locality = np.zeros(n, dtype=np.uint16)
    uniform = ((np.arange(n) + 0.5) / n).astype(np.float32)
    shares = []
    for high_risk in (False, True):
        u = RULE.local_utilities(
            local,
            np.zeros(n, np.uint8),
            locality,
            np.full(n, 0.2, np.float16),
            np.full(n, high_risk),
            np.full(n, 0.5, np.float32),
            np.zeros(n, np.float32),
        )
        chosen = RULE.choose_local(local, locality, u, uniform)
        assert (chosen != 2).all()
        shares.append(np.bincount(chosen, minlength=3) / n)
    odds = [s[1] / s[0] for s in shares]  # the ICP's penalty is 0.5 for the high-risk
    assert math.log(odds[0] / odds[1]) == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("among", [slice(None), np.array([0, 2, 3])])
def test_one_call_chooses_as_the_three_steps_do(among):
    pop = Population(6)
    pop.age[:] = [30, 70, 40, 80, 20, 66]
    pop.conditions[:] = [0, 1, 0, 4, 0, 2]
    pop.years_enrolled[:] = [3, 0, 1, 9, 2, 5]
    pop.locality[:] = [0, 1, 1, 0, 1, 1]
    pop.option[:] = [1, 2, 0, 0, 1, 2]
    pop.position[:] = [0.1, 0.5, 0.9, 0.3, 0.7, 0.2]
    pop.experience[:] = [0.5, 0.1, 0.9, 0.4, 0.6, 0.8]
    rows = slice(1, 6)
    high_risk = np.array([True, False, True, False, True])
    uniform = np.array([0.1, 0.5, 0.9, 0.3, 0.7], dtype=np.float32)
    local = LocalOptions.from_table(TABLE, PARAMS)
    inertia = RULE.inertia(
        pop.age[rows][among], pop.conditions[rows][among] > 0, pop.years_enrolled[rows][among]
    )
    utilities = RULE.local_utilities(
        local,
        pop.option[rows][among],
        pop.locality[rows][among],
        pop.position[rows][among],
        high_risk[among],
        pop.experience[rows][among],
        inertia,
    )
    steps = RULE.choose_local(local, pop.locality[rows][among], utilities, uniform[among])
    one = RULE.choose_patients(local, pop, rows, high_risk, uniform, among=among)
    assert one.dtype == np.uint16 and one.tobytes() == steps.tobytes()
