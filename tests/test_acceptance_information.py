"""Acceptance rules and imperfect information, each against its counterfactual on common
random numbers (the same seeds and replicates in both arms).

Mandatory acceptance of enrolees is a safeguard of competing integrated systems (seed
000:758-765): without it, ICPs turn away applicants they expect to lose money on, and hold
healthier members still. Patients have little independent information to choose on (seed
000:511-514): the noisier what is published, the less enrolment follows quality, and what
neighbours say of an option (word of mouth) restores some of the link.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
from helpers import assert_greater, assert_one_clear_message, scenario, value

from sim.config.scenario import with_overrides
from sim.engine.run import simulate

ICPS = ("icp_north", "icp_south", "icp_rural")
SEED = 7


@cache
def run(overrides: tuple[tuple[str, object], ...], replicate: int, patients: int, years: int):
    """One replicate of ``competing_icps_capitation`` with ``overrides``, kept for reuse."""
    sc = with_overrides(scenario("competing_icps_capitation"), dict(overrides))
    return simulate(sc, seed=SEED, replicate=replicate, patients=patients, years=years)


def icp_selection_gap(df: pd.DataFrame, years: list[int]) -> float:
    """Enrolment-weighted selection gap of the ICPs (population risk minus theirs)."""
    gaps = [value(df, "selection_gap", system=s, years=years) for s in ICPS]
    sizes = [value(df, "population", system=s, years=years) for s in ICPS]
    return float(np.average(gaps, weights=sizes))


def quality_enrolment_link(df: pd.DataFrame, quality: str) -> float:
    """Correlation, over every (system, year) but the first, of a system's ``quality`` metric
    last year with the change in its enrolment share this year."""
    rows = df[(df.group == "all") & (df.system != "all")]
    wide = rows.pivot_table(index=["system", "year"], columns="metric", values="value")
    last_year, change = [], []
    for _, by_year in wide.groupby(level=0):
        by_year = by_year.droplevel(0).sort_index()
        lagged, moved = by_year[quality].shift(1), by_year["enrolment_share"].diff()
        known = lagged.notna() & moved.notna()
        last_year += lagged[known].tolist()
        change += moved[known].tolist()
    return float(np.corrcoef(last_year, change)[0, 1])


def test_without_mandatory_acceptance_icps_refuse_applicants_and_select_on_risk() -> None:
    """Switching mandatory acceptance off widens the ICPs' selection gap in every replicate,
    and the refusals behind it are reported (only where ICPs may refuse)."""
    reps, patients, years, late = 4, 10_000, 5, [4, 5]
    mandatory = [run((), r, patients, years) for r in range(reps)]
    selective = [
        run((("choice.acceptance", "selective"),), r, patients, years) for r in range(reps)
    ]
    assert_greater(
        [icp_selection_gap(d, late) for d in selective],
        [icp_selection_gap(d, late) for d in mandatory],
        what="ICPs' selection gap, selective minus mandatory acceptance",
    )
    refused = [value(d, "applicants_refused_share", years=late) for d in selective]
    assert min(refused) > 0 and max(refused) < 1, refused
    assert not (mandatory[0].metric == "applicants_refused_share").any()


PUBLISHED = (("quality.from_outcomes", True),)
"""Patients choose on the quality published from outcomes (a year late, with noise)."""


def test_noisier_published_quality_weakens_the_link_between_quality_and_enrolment() -> None:
    """The same markets with published counts 6 times noisier: enrolment follows last
    year's true (measured) quality less closely, in every replicate."""
    reps, patients, years = 10, 20_000, 8
    sharp, noisy = (
        [
            quality_enrolment_link(
                run((*PUBLISHED, ("quality.publication_noise", noise)), r, patients, years),
                "measured_quality",
            )
            for r in range(reps)
        ]
        for noise in (0.5, 3.0)
    )
    assert_greater(sharp, noisy, what="quality-enrolment correlation, low minus high noise")


def test_word_of_mouth_ties_enrolment_back_to_the_quality_of_care() -> None:
    """Under noisy publication, patients who also hear what members say of each option
    (choice.beta_word_of_mouth at the top of its range) follow the quality of care more."""
    reps, patients, years = 10, 20_000, 8
    noisy = (*PUBLISHED, ("quality.publication_noise", 3.0))
    links = [
        [
            quality_enrolment_link(run((*noisy, *extra), r, patients, years), "quality")
            for r in range(reps)
        ]
        for extra in ((("choice.beta_word_of_mouth", 4.0),), ())
    ]
    assert_greater(*links, what="quality-enrolment correlation, with minus without word of mouth")


def test_an_unknown_acceptance_rule_gets_one_clear_message(tmp_path) -> None:
    assert_one_clear_message(
        tmp_path, "open", '[choice]\nacceptance = "open"\n', "choice.acceptance", "'selective'"
    )
