"""Competition on a top-up premium: insurers pass surplus on as lower premiums, members move.

``dutch_nominal_premiums`` is ``dutch_regulated_competition`` with a community-rated top-up
premium each member pays their insurer (half the capitation) and surplus passed on to
members (seed 000:479-483: Dutch insurers "compete for members on the basis of the nominal
premiums they charge"). Members weigh a pound of premium above a pound of extra benefits,
so what insurers pass on lowers their premiums. Every arm runs the same seeds and
replicates (common random numbers), on a fifth of the scenario's population over its full
fifteen years.

Beside a free fragmented default (``competing_icps_capitation`` with a top-up set), the
same rule shows how a premium weighs against a default that charges nothing.

The premium elasticity test holds the fit of ``choice.beta_premium``: an insurer's
short-term premium elasticity of enrolment, measured by raising one insurer's premium for
one year against the same model left alone, lies within the -0.9 to -2.2 Douven, Katona,
Schut and Shestalova (2017) found in the Netherlands after the 2006 reform.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from helpers import assert_greater, replicates, scenario, value

from sim.engine.model import ICSModel

PATIENTS, YEARS, REPS = 20_000, 15, 8
TOP_UP = 540.0  # GBP a member-year, dutch_nominal_premiums.toml
AFTER_THE_FIRST = list(range(2, YEARS + 1))
ARMS = {
    "premiums": ("dutch_nominal_premiums", None),
    "premiums_kept": ("dutch_nominal_premiums", {"commissioner.benefits.enabled": False}),
    "no_premium": ("dutch_regulated_competition", None),
}
DUTCH_ELASTICITY = (-2.2, -0.9)  # short-term, 2007-2015 (Douven et al. 2017)


@pytest.fixture(scope="module")
def runs() -> dict[str, list[pd.DataFrame]]:
    return {
        arm: replicates(scenario(name, overrides), REPS, PATIENTS, YEARS)
        for arm, (name, overrides) in ARMS.items()
    }


def mean_over(runs: list[pd.DataFrame], metric: str, years: list[int]) -> np.ndarray:
    """Each replicate's ``metric`` for the whole market, averaged over ``years``."""
    return np.array([np.mean([value(d, metric, years=[y]) for y in years]) for d in runs])


def test_the_top_up_moves_cost_from_the_commissioner_to_members_and_nothing_else(runs) -> None:
    """With every insurer charging the whole top-up, the premium is the same in every option,
    so nobody chooses differently: care, resource cost and enrolment are as without a
    premium, and the commissioner spends the top-up less a head (everyone is a member)."""
    kept, none = runs["premiums_kept"], runs["no_premium"]
    for metric in ("resource_cost_per_capita", "bed_days_per_1000", "market_concentration"):
        assert mean_over(kept, metric, AFTER_THE_FIRST) == pytest.approx(
            mean_over(none, metric, AFTER_THE_FIRST), rel=1e-9
        ), metric
    spend = mean_over(none, "cost_per_capita", AFTER_THE_FIRST)
    assert mean_over(kept, "cost_per_capita", AFTER_THE_FIRST) == pytest.approx(
        spend - TOP_UP, abs=1e-6
    )
    for metric in ("icp_premium_per_capita", "premiums_per_capita"):  # per member, per head
        assert mean_over(kept, metric, AFTER_THE_FIRST) == pytest.approx(TOP_UP), metric


def test_competition_passes_surplus_on_as_lower_premiums_and_consolidates(runs) -> None:
    """Insurers in surplus lower their premium below the top-up, and members, who weigh a
    pound of premium heavily, move to the cheaper ones: the market concentrates faster
    than when every insurer charges the same."""
    paid = mean_over(runs["premiums"], "icp_premium_per_capita", AFTER_THE_FIRST)
    assert ((paid > 0) & (paid < TOP_UP)).all(), f"premium paid a member-year: {paid}"
    assert_greater(
        mean_over(runs["premiums"], "market_concentration", AFTER_THE_FIRST),
        mean_over(runs["premiums_kept"], "market_concentration", AFTER_THE_FIRST),
        what=f"market concentration with premium competition, years 2-{YEARS}",
    )


ENGLAND_TOP_UP = {"commissioner.premium.enabled": True, "commissioner.premium.top_up": 100.0}
"""A GBP 100 top-up for ICP members beside the free fragmented default: a scenario's choice."""


def test_beside_a_free_default_a_top_up_costs_icps_members_that_lower_premiums_win_back() -> None:
    """In ``competing_icps_capitation`` members weigh an ICP's top-up against a default that
    charges nothing: ICPs charging the whole GBP 100 enrol fewer than ICPs passing surplus on
    as benefits, and ICPs passing it on as a lower premium win part of them back."""
    arms = {
        "benefits": {"commissioner.benefits.enabled": True},
        "premium_lowered": {"commissioner.benefits.enabled": True, **ENGLAND_TOP_UP},
        "premium_kept": ENGLAND_TOP_UP,
    }
    years = list(range(2, 11))
    runs = {
        arm: replicates(scenario("competing_icps_capitation", on), REPS, PATIENTS, 10)
        for arm, on in arms.items()
    }

    def icp_share(arm: str) -> np.ndarray:
        default = [
            np.mean([value(d, "enrolment_share", system="fragmented", years=[y]) for y in years])
            for d in runs[arm]
        ]
        return 1 - np.array(default)

    assert_greater(icp_share("benefits"), icp_share("premium_lowered"), what="ICP share")
    assert_greater(icp_share("premium_lowered"), icp_share("premium_kept"), what="ICP share")
    lowered = mean_over(runs["premium_lowered"], "icp_premium_per_capita", years)
    assert (lowered < 100.0).all(), lowered


def premium_elasticities(
    seeds: tuple[int, ...], years: tuple[int, ...], rise: float = 0.05
) -> np.ndarray:
    """Each open insurer's short-term premium elasticity of enrolment in
    ``dutch_nominal_premiums``: its premium raised by ``rise`` for one year, in a copy of the
    model, against the same year without (the copies share every random number)."""
    out = []
    for seed in seeds:
        model = ICSModel(scenario("dutch_nominal_premiums"), seed=seed, patients=PATIENTS)
        for year in range(max(years) + 1):
            if year in years:
                left = copy.deepcopy(model)
                left.step()
                members = left.commissioner.last_year.enrolees
                for k in np.flatnonzero(members > 0).tolist():
                    raised = copy.deepcopy(model)
                    market = raised.planner.market
                    plan = market.plan_benefits

                    def plan_raised(rows, plan=plan, table=raised.partnerships, k=k) -> None:
                        plan(rows)
                        table.premium[k] *= 1 + rise

                    market.plan_benefits = plan_raised
                    raised.step()
                    change = raised.commissioner.last_year.enrolees[k] / members[k] - 1
                    out.append(change / rise)
            model.step()
    return np.array(out)


def test_an_insurers_premium_elasticity_lies_in_the_dutch_range() -> None:
    e = premium_elasticities(seeds=(3, 4, 5), years=(2, 4))
    mean, se = e.mean(), e.std(ddof=1) / np.sqrt(len(e))
    low, high = DUTCH_ELASTICITY
    assert low < mean - 3 * se and mean + 3 * se < high, (
        f"premium elasticity {mean:.2f} (SE {se:.2f}, {len(e)} pairs)"
    )
