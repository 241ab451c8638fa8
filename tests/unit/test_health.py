"""The health state's update and the mortality response, on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.health_parameters import Health
from sim.config.scenario import Scenario
from sim.patients import epidemiology as epi
from sim.patients.health import (
    WEEKS_PER_MONTH,
    HealthTables,
    quality_adjusted_life_left,
    utility_norm,
    year_of_care,
)
from sim.patients.population import Demography, synthesize

H = Health()
N = 4
UTILITY, DEATH, LEFT = 0.8, 0.02, 10.0


def care(params: Health = H, **given) -> object:
    """A year of care for four identical patients; ``given`` overrides the defaults: need
    0.5 electives met in full without a wait, no health loss, no admissions."""
    f = np.float32
    args = {
        "expected_elective": np.full(N, 0.5, f),
        "elective_modifier": f(1.0),
        "wait_weeks": f(0.0),
        "health_loss": np.zeros(N, f),
        "acsc": np.zeros(N, np.int32),
        "readmissions": np.zeros(N, np.int32),
        "admitted": np.zeros(N, bool),
        "quality": f(1.0),
        "cells": (np.full(N, UTILITY, f), np.full(N, DEATH, f), np.full(N, LEFT, f)),
    }
    args.update(given)
    return year_of_care(params, **args)


def test_full_access_leaves_health_as_the_norm() -> None:
    h = care()
    assert np.all(h.unmet_need == 0) and np.all(h.induced == 0)
    assert np.all(h.health_loss == 0) and np.all(h.excess_death_risk == 0)
    np.testing.assert_allclose(h.qalys, UTILITY)
    assert np.all(h.qalys_lost == 0)


def test_need_withheld_builds_a_health_loss_and_raises_mortality() -> None:
    h = care(elective_modifier=np.float32(0.6))
    unmet = 0.5 * 0.4
    np.testing.assert_allclose(h.unmet_need, unmet, rtol=1e-6)
    loss = unmet * 12 * H.waiting_utility_loss_per_month  # a year untreated
    np.testing.assert_allclose(h.health_loss, loss, rtol=1e-5)
    per_point = H.waiting_mortality_per_month / H.waiting_utility_loss_per_month
    np.testing.assert_allclose(h.excess_death_risk, DEATH * per_point * loss, rtol=1e-5)
    np.testing.assert_allclose(h.qalys, UTILITY - loss / 2, rtol=1e-6)  # half the year's loss
    assert np.all(h.qalys_lost > loss / 2)  # with the QALYs amenable deaths take away


def test_care_above_need_does_no_harm_and_no_good() -> None:
    above = care(elective_modifier=np.float32(1.3))
    np.testing.assert_allclose(above.induced, 0.5 * 0.3, rtol=1e-5)
    for name in ("unmet_need", "health_loss", "excess_death_risk", "qalys", "qalys_lost"):
        np.testing.assert_array_equal(getattr(above, name), getattr(care(), name))


def test_a_share_of_englands_volume_above_need_absorbs_a_smaller_cut() -> None:
    params = Health(elective_above_need_share=0.1)
    h = care(params, elective_modifier=np.float32(0.95))
    assert np.all(h.unmet_need == 0) and np.all(h.health_loss == 0)
    np.testing.assert_allclose(h.induced, 0.5 * 0.05, rtol=1e-4)


def test_treating_the_need_restores_the_loss_and_a_cap_holds() -> None:
    carried = np.full(N, 0.2, np.float32)
    np.testing.assert_allclose(care(health_loss=carried).health_loss, 0.0)  # full recovery
    half = care(Health(treated_recovery=0.5), health_loss=carried)
    np.testing.assert_allclose(half.health_loss, 0.1, rtol=1e-6)
    worst = care(elective_modifier=np.float32(0.0), health_loss=np.full(N, 0.49, np.float32))
    np.testing.assert_allclose(worst.health_loss, H.health_loss_max)


def test_a_wait_costs_the_decline_while_waiting() -> None:
    weeks = np.float32(26.0)
    h = care(wait_weeks=weeks)
    months = 26.0 / WEEKS_PER_MONTH
    decline = 0.5 * H.waiting_utility_loss_per_month * months**2 / 24
    np.testing.assert_allclose(UTILITY - h.qalys, decline, rtol=1e-5)
    np.testing.assert_allclose(
        h.excess_death_risk, DEATH * H.waiting_mortality_per_month * 0.5 * months, rtol=1e-5
    )
    assert np.all(h.health_loss == 0)  # treated in the end


def test_avoidable_admissions_readmissions_and_quality_raise_the_risk_of_death() -> None:
    one = np.ones(N, np.int32)
    acsc = care(acsc=one)
    np.testing.assert_allclose(acsc.excess_death_risk, H.acsc_death_risk, rtol=1e-6)
    np.testing.assert_allclose(UTILITY - acsc.qalys, H.acsc_qaly_loss, rtol=1e-5)
    readmitted = care(readmissions=one)
    share = H.readmission_preventable_share
    np.testing.assert_allclose(
        readmitted.excess_death_risk, share * H.readmission_death_risk, rtol=1e-6
    )
    poor = care(admitted=np.ones(N, bool), quality=np.float32(0.5))
    np.testing.assert_allclose(
        poor.excess_death_risk, DEATH * H.quality_mortality_effect * 0.5, rtol=1e-5
    )
    assert np.all(care(quality=np.float32(0.5)).excess_death_risk == 0)  # not admitted


def test_the_excess_never_takes_the_probability_of_death_past_one() -> None:
    many = np.full(N, 200, np.int32)
    h = care(acsc=many)
    np.testing.assert_allclose(h.excess_death_risk, 1 - DEATH)
    q = epi.death_given_care(np.full(N, 0.9, np.float32), np.full(N, 0.5, np.float16))
    assert np.all(q == 1.0)
    none = epi.death_given_care(np.array([0.1], np.float32), np.zeros(1, np.float16))
    np.testing.assert_array_equal(none, np.array([0.1], np.float32))  # exactly as before


def test_utilities_follow_ara_and_brazier_and_conditions() -> None:
    assert utility_norm(np.array([40]), np.array([0]), H)[0] == pytest.approx(0.8874, abs=1e-4)
    assert utility_norm(np.array([75]), np.array([1]), H)[0] == pytest.approx(0.766, abs=1e-3)
    sc = Scenario()
    tables = HealthTables.build(H, sc.demography, sc.conditions.condition_weights)
    cells = tables.utility.reshape(epi.MAX_AGE + 1, 2, 5, len(epi.MASKS))
    copd = 1 << epi.CONDITIONS.index("copd")
    np.testing.assert_allclose(
        cells[70, 0, 2, 0] - cells[70, 0, 2, copd], H.utility_decrement_copd, rtol=1e-5
    )
    left = tables.qalys_left.reshape(cells.shape)
    assert np.all(np.diff(left[20:, 0, 2, 0]) < 0)  # fewer QALYs ahead as age rises
    assert left[20, 0, 2, 0] > left[20, 0, 2, copd]


def test_qalys_left_of_someone_sure_to_die_are_the_rest_of_the_year() -> None:
    utility = np.full(epi.MAX_AGE + 1, 0.8)
    np.testing.assert_allclose(quality_adjusted_life_left(utility, np.ones_like(utility), 0.0), 0.4)
    never = quality_adjusted_life_left(utility, np.zeros_like(utility), 0.5)
    np.testing.assert_allclose(never, 0.4 + (1 / 1.5) * 0.8 / (1 - 1 / 1.5), rtol=1e-9)


def test_mortality_responds_to_the_health_state_on_common_random_numbers() -> None:
    """The same uniforms decide deaths: an excess risk only adds deaths, never removes one."""
    sc = Scenario()
    demography = Demography(sc)
    deaths = []
    for excess in (0.0, 0.05):
        pop = synthesize(sc, 20_000, seed=3)
        pop.excess_death_risk[:] = excess
        died = demography.step_chunk(pop, slice(0, pop.n), np.random.default_rng(11))
        deaths.append(set(died.rows.tolist()))
        assert np.all(pop.excess_death_risk[died.rows] == 0), "entrants start with none"
    assert deaths[0] < deaths[1]
    assert len(deaths[1]) - len(deaths[0]) == pytest.approx(0.05 * 20_000, rel=0.15)
