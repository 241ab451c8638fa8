"""Care withheld costs health; care above need does not.

Each test runs a regime and its counterfactual arm on the same seeds and replicates
(common random numbers), so the spread of the paired differences is the noise an effect
must stand clear of (:func:`helpers.assert_greater`: every pair, and the mean beyond three
standard errors). The counterfactuals are the policy catalogue's: the tariff for the
block contract (tests/test_policy_catalogue_payment.py), the fragmented default for the
single planned system (tests/test_policy_catalogue_systems.py).
"""

from __future__ import annotations

import numpy as np
from helpers import SCENARIOS, SINGLE_ICP, assert_greater, replicates, scenario

from sim.config.scenario import load_scenario, with_overrides

PATIENTS, YEARS, REPS = 10_000, 6, 5
LATE = [4, 5, 6]  # the health state builds up over the first years
TARIFF = {"contracts.hospital": {"kind": "tariff"}}


def arm(sc, patients: int = PATIENTS) -> list:
    return replicates(sc, REPS, patients, YEARS)


def per_rep(runs: list, metric: str) -> list[float]:
    out = []
    for df in runs:
        sel = df[(df.metric == metric) & (df.system == "all") & (df.group == "all")]
        out.append(float(sel[sel.year.isin(LATE)].value.mean()))
    return out


def assert_withheld_care_harms(regime: list, counterfactual: list, what: str) -> None:
    """More unmet need, and worse health: more QALYs lost against full access and fewer
    QALYs lived."""
    for metric in ("unmet_need_per_1000", "qalys_lost_per_capita"):
        assert_greater(
            per_rep(regime, metric), per_rep(counterfactual, metric), what=f"{what}: {metric}"
        )
    assert_greater(
        per_rep(counterfactual, "qalys_per_capita"),
        per_rep(regime, "qalys_per_capita"),
        what=f"{what}: QALYs lived, counterfactual minus regime",
    )


def test_block_contract_leaves_need_unmet_and_costs_health() -> None:
    """Cumbria's block earns nothing at the margin: electives fall below clinical need and
    waits lengthen (seed 004 L603-604; seed 002 L779-785), against the tariff."""
    sc = scenario("block_contract_cumbria")
    assert_withheld_care_harms(arm(sc), arm(with_overrides(sc, TARIFF)), "block vs tariff")


def test_single_planned_system_leaves_need_unmet_and_costs_health() -> None:
    """Scotland's board cuts electives under its allocation (seed 000:699-710), against the
    fragmented default on the same localities."""
    planned = arm(scenario("single_planned_system_scotland"))
    assert_withheld_care_harms(planned, arm(scenario("fragmented_tariff")), "planned vs fragmented")


def test_raising_an_icps_under_service_by_override_costs_health() -> None:
    """A vertical ICP on capitation cuts its own hospital's electives by its margin; a
    stronger response (``--set behaviour.induced_demand_elasticity=0.8``) cuts more."""
    path = SCENARIOS / "fragmented_tariff.toml"
    plain = with_overrides(load_scenario(path), SINGLE_ICP)
    harsher = with_overrides(
        load_scenario(path, ["behaviour.induced_demand_elasticity=0.8"]), SINGLE_ICP
    )
    plain_runs, harsher_runs = arm(plain), arm(harsher)
    assert_greater(
        per_rep(harsher_runs, "under_service"),
        per_rep(plain_runs, "under_service"),
        what="under-service",
    )
    assert_withheld_care_harms(harsher_runs, plain_runs, "harsher ICP vs plain ICP")


def test_cutting_only_induced_demand_costs_no_health() -> None:
    """Trusts paid above the tariff for electives supply more than patients' conditions
    call for (induced demand); the plain tariff cuts only that excess, so no need goes
    unmet and health is no worse: not by three standard errors of the paired differences.

    Induced electives take up theatre capacity without treating anyone on the waiting list
    (:mod:`sim.providers.capacity`), so cutting them leaves waits no longer.
    """
    tariff = scenario("fragmented_tariff")
    above = with_overrides(tariff, {"contracts.hospital.prices.elective": 2600.0})
    cut, induced = arm(tariff), arm(above)
    assert_greater(
        per_rep(induced, "elective_admissions_per_1000"),
        per_rep(cut, "elective_admissions_per_1000"),
        what="electives: the cut is real",
    )
    assert min(per_rep(induced, "induced_demand")) > 0.05
    assert max(per_rep(cut, "unmet_need_per_1000")) == 0.0
    assert max(per_rep(induced, "unmet_need_per_1000")) == 0.0
    for metric in ("waiting_weeks", "qalys_lost_per_capita", "amenable_deaths_per_1000"):
        d = np.subtract(per_rep(cut, metric), per_rep(induced, metric))
        se = d.std(ddof=1) / np.sqrt(len(d))
        assert d.mean() <= 3 * se + 1e-12, f"{metric}: cutting induced demand cost {d.mean():.3g}"
