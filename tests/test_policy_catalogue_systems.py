"""Integration forms and market structures of the policy catalogue: the seeds' directions.

Paired arms on common random numbers, as in :mod:`test_policy_catalogue_payment`.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from helpers import assert_greater, scenario, value
from policy_helpers import LATE, arm, per_rep

from sim.config.scenario import with_overrides
from sim.engine.model import ICSModel

NO_ICPS = {"icps": []}


def test_vertical_and_virtual_integration_both_cut_hospital_use() -> None:
    """Kaiser N. California (vertical) and Colorado (virtual), seed 001:578-592: both forms hold
    promise (001:639-640); integration reduces hospital use (seed 000:857-861)."""
    vertical = arm(scenario("vertical_kaiser_nc"))
    virtual = arm(scenario("virtual_kaiser_colorado"))
    fragmented = arm(with_overrides(scenario("vertical_kaiser_nc"), NO_ICPS))
    for metric in ("avoidable_emergency_admissions_per_1000", "bed_days_per_1000"):
        base = per_rep(fragmented, metric, years=LATE)
        assert_greater(base, per_rep(vertical, metric, years=LATE), what=f"{metric}, vertical")
        assert_greater(base, per_rep(virtual, metric, years=LATE), what=f"{metric}, virtual")
    assert_greater(
        per_rep(virtual, "elective_admissions_per_1000", system="kaiser"),
        per_rep(vertical, "elective_admissions_per_1000", system="kaiser"),
        what="a vertical ICP bears the marginal cost of its own electives",
    )


def test_community_specialists_cut_admissions_and_bed_days() -> None:
    """Bolton: specialists out of hospital (seed 001:342-355; seed 003:219-227); lowest bed days
    per person with diabetes in Greater Manchester (seed 002 L493-495)."""
    sc = scenario("route_bolton_community_specialists")
    bolton = arm(sc)
    hospital_based = arm(
        with_overrides(
            sc, {"icps.0.community_specialists": 0.0, "icps.0.community_outpatient_max": 0.0}
        )
    )
    for metric in (
        "avoidable_emergency_admissions_per_1000",
        "bed_days_per_1000",
        "trust_income_per_capita",
    ):
        assert_greater(
            per_rep(hospital_based, metric, years=LATE),
            per_rep(bolton, metric, years=LATE),
            what=metric,
        )


def test_primary_care_reaching_in_moves_care_and_money_out_of_hospital() -> None:
    """Epsom: outpatients at 65% and day surgery at 87% of trust cost; over half of referrals to
    local services (seed 003:379-393); integrated systems take budget from hospitals (seed
    001:800-803)."""
    sc = scenario("route_epsom_primary_care_reach_in")
    epsom = arm(sc)
    buying = arm(
        with_overrides(
            sc, {"icps.0.community_outpatient_max": 0.0, "icps.0.community_elective_max": 0.0}
        )
    )
    assert_greater(
        per_rep(buying, "trust_income_per_capita"),
        per_rep(epsom, "trust_income_per_capita"),
        what="trust income per head",
    )
    assert_greater(
        per_rep(epsom, "provider_surplus", system="edics"),
        per_rep(buying, "provider_surplus", system="edics"),
        what="practices' surplus",
    )


def test_partnership_trust_accepts_lower_activity_but_keeps_more_care_than_reach_in() -> None:
    """Birmingham and Solihull: the trust accepts lower commissioned activity (seed 003:629-683)
    when it shares the savings (seed 004 L1384-1385); hospital-centred routes keep more care in
    hospital than primary care reaching in (seed 003:409-413)."""
    sc = scenario("route_birmingham_partnership")
    partnership = arm(sc)
    plain = arm(with_overrides(sc, {"contracts.icp_hospital": {"kind": "tariff"}}))
    epsom = arm(scenario("route_epsom_primary_care_reach_in"))
    for metric in ("elective_admissions_per_1000", "outpatient_per_1000"):
        assert_greater(per_rep(plain, metric), per_rep(partnership, metric), what=metric)
    assert_greater(
        per_rep(partnership, "trust_income_per_capita"),
        per_rep(epsom, "trust_income_per_capita"),
        what="trust income, B&S minus Epsom",
    )


def test_pooled_budget_buys_intermediate_care_and_cuts_older_peoples_bed_days() -> None:
    """Torbay: pooled budgets spent on intermediate care; occupied beds 750 -> 502, lowest
    emergency bed use over 65 (seed 002 L497-515; calibration_targets 7.1-7.4)."""
    sc = scenario("pooled_budget_torbay")
    pooled = arm(sc)
    separate = arm(with_overrides(sc, {"contracts.pool": {"kind": "capitation"}}))
    metrics = ("bed_days_per_1000", "emergency_admissions_per_1000")
    for metric in (*metrics, "frequent_85_plus_bed_days_per_1000"):  # Torbay's measure (7.2)
        assert_greater(
            per_rep(separate, metric, group="age_65_plus", years=LATE),
            per_rep(pooled, metric, group="age_65_plus", years=LATE),
            what=f"{metric}, 65 and over",
        )


def test_single_planned_system_uses_less_hospital_care_but_is_less_responsive() -> None:
    """Scotland/NZ: planning rather than choice (seed 000:699-710), which 'may be less effective
    in improving performance than ... competition between integrated systems' (000:711-716)."""
    sc = scenario("single_planned_system_scotland")
    planned = arm(sc)
    competing = arm(
        with_overrides(
            sc,
            {
                "choice.enabled": True,
                "icps": [
                    {
                        "name": "board_a",
                        "localities": ["urban", "rural"],
                        "integration": "vertical",
                        "initial_share": 0.5,
                        "years_integrated_at_start": 10,
                        "site_position": 0.3,
                    },
                    {
                        "name": "board_b",
                        "localities": ["urban", "rural"],
                        "integration": "vertical",
                        "initial_share": 0.5,
                        "years_integrated_at_start": 10,
                        "site_position": 0.7,
                    },
                ],
            },
        )
    )
    fragmented = arm(scenario("fragmented_tariff"))
    assert_greater(per_rep(competing, "quality"), per_rep(planned, "quality"), what="quality")
    for metric in ("avoidable_emergency_admissions_per_1000", "bed_days_per_1000"):
        assert_greater(
            per_rep(fragmented, metric, years=LATE),
            per_rep(planned, metric, years=LATE),
            what=metric,
        )


@functools.cache
def _dutch_market() -> tuple[pd.DataFrame, ...]:
    # Consolidation is path-dependent: replicates end with one survivor or with four or
    # five, so the concentration's rise varies from 0.04 to 0.83 between replicates. Eight
    # replicates were enough for a three-SE bound until quality effort followed the margin
    # left after it (2.85 SE then); twelve give about 4 SE.
    return tuple(arm(scenario("dutch_regulated_competition"), years=15, reps=12))


def test_regulated_competition_consolidates_the_market() -> None:
    """Netherlands: annual choice, open enrolment, risk equalisation; insurers fell from over
    100 to about 20 in fifteen years (seed 000:476-500), perhaps to five (000:530-532)."""
    runs = list(_dutch_market())
    first = per_rep(runs, "icps_open", years=[1])
    last = per_rep(runs, "icps_open", years=[15])
    assert max(first) == 6.0, first
    assert all(1 <= n < 6 for n in last), last
    assert_greater(
        per_rep(runs, "market_concentration", years=[15]),
        per_rep(runs, "market_concentration", years=[1]),
        what="concentration",
    )
    switching = per_rep(runs, "switching_rate", years=[1])
    assert all(0.1 < s < 0.3 for s in switching), "about 20% switched in the first year"


@pytest.mark.xfail(
    strict=True,
    reason=(
        "a known miss: with quality measured from outcomes a watched insurer is held to need, "
        "so no rent from under-service covers a small insurer's fixed costs; a replicate can "
        "lose half its insurers in the first year and most end with one within about eight "
        "years, faster than the seed's 100 to 20 in fifteen (capitation carries no allowance "
        "for running costs)"
    ),
)
def test_regulated_competition_consolidates_over_years_not_at_once() -> None:
    """Consolidation takes years (seed 000:476-500): no replicate loses more than a third of
    its insurers in the first year, and more than one insurer is left after fifteen."""
    runs = list(_dutch_market())
    first = per_rep(runs, "icps_open", years=[1])
    last = per_rep(runs, "icps_open", years=[15])
    assert min(first) >= 4.0, first
    assert min(last) >= 2.0, last


def _competing_years(df, systems: tuple[str, ...]) -> list[int]:
    """Years after the first in which every one of ``systems`` has members."""
    years = sorted(int(y) for y in df.year.unique() if y > 1)
    return [
        y for y in years if all(value(df, "population", system=s, years=[y]) > 0 for s in systems)
    ]


def test_yardstick_competition_stands_in_for_real_competition() -> None:
    """Rural monopoly judged against urban competitors (seed 001:767-777; VHA 001:629-635)."""
    # Quality is what the outcomes show (sim.engine.quality, against England's rates): the
    # rural monopoly judged against the urban ICPs' published quality is held to need, so
    # its patients fare better than the same monopoly's left alone, which cuts care. The
    # city beats the lone monopoly while it has competition: once one urban ICP has
    # closed the survivor is a monopoly too, so those years are left out.
    sc = scenario("urban_vs_rural_yardstick")
    yardstick = arm(sc)
    alone = arm(with_overrides(sc, {"icps.2.contract": "icp"}))
    measured = "measured_quality"
    rural_with = per_rep(yardstick, measured, system="rural", years=LATE)
    rural_alone = per_rep(alone, measured, system="rural", years=LATE)
    assert_greater(rural_with, rural_alone, what="rural quality, yardstick minus none")
    city = ("urban_north", "urban_south")
    urban, monopoly = [], []
    for d in alone:
        years = _competing_years(d, city)
        urban.append(np.mean([value(d, measured, system=s, years=years) for s in city]))
        monopoly.append(value(d, measured, system="rural", years=years))
    assert_greater(urban, monopoly, what="competition raises urban quality over the monopoly")


def test_icp_life_cycle_entry_maturation_and_exit_without_loss() -> None:
    """Entry (seed 000:754-758), benefits that lag for 15-20 years (seed 004 L1613-1619) and exit
    on insolvency (seed 001:724-725; seed 004 L415-419), members moved without loss."""
    sc = scenario("icp_life_cycle")
    for rep in range(3):
        model = ICSModel(sc, seed=7, replicate=rep, patients=20_000, years=12)
        entrant = next(i for i in model.icps if i.name == "entrant")
        effects, maturity = [], []
        for _ in range(12):
            model.step()
            assert model.population.n == 20_000 and (model.population.option < 4).all()
            if entrant.is_open:
                effects.append(entrant.maturity * entrant.prevention_effect)
                maturity.append(entrant.maturity)
        df = model.metrics.frame()
        entrant_share = [
            value(df, "enrolment_share", system="entrant", years=[y]) for y in range(1, 13)
        ]
        assert entrant_share[:2] == [0.0, 0.0] and min(entrant_share[2:]) > 0
        # its fifth open year, not its third: an admission its own hospital avoids now saves
        # it only the variable cost and the capacity shed within the year (the marginal cost
        # of sim/providers/capacity.py's cost function, which its books then show), so
        # prevention pays only once integration has matured further
        # integration matures year on year; the benefit is that maturity times the prevention
        # the plan buys, which follows the margin each year, so it may dip in a year
        assert np.all(np.diff(maturity) >= 0) and maturity[-1] > maturity[0], maturity
        assert effects[-1] > effects[4] > effects[0] == 0, (
            "integration benefits start at nothing and build over the years"
        )
        under = next(i for i in model.icps if i.name == "underbidder")
        assert under.failed and not under.is_open
        assert (model.population.option != under.option).all(), "its members enrolled elsewhere"
        # The entrant has matured and stays; the established ICP, whose margin is thin once a
        # watched contract holds it to need (sim.engine.quality), may close too as members
        # move to the entrant's better published outcomes (one replicate of these three).
        established = next(i for i in model.icps if i.name == "established")
        assert entrant.is_open and not entrant.failed
        assert value(df, "icps_open", years=[12]) == 1.0 + established.is_open
