"""The quality section: how each provider's quality is measured from outcomes and published.

A scenario's ``[quality]`` table (:mod:`sim.engine.quality`). Quality is measured from the
outcomes of each option's enrolees against what the whole population's rates would give
them (indirectly standardised by risk score, as SHMI is by case mix), published once a year
with the sampling noise of counts and a lag, and patients choose on what is published.
"""

from __future__ import annotations

from sim.base.schema import Strict
from sim.config.declare import P


class QualityMeasure(Strict):
    """Weights of the outcome indicators, the index scale, publication noise and lag.

    ``from_outcomes`` switches the regime: on, each option's quality is the index measured
    from its patients' outcomes, contracts pay on it, patients choose on what was published
    a year earlier, and a monitored contract holds unmet need to the tolerance (the default:
    quality is what patients' outcomes show, seed 002 L1514-1517); off, quality is each
    provider's effort index as it plans it, seen as it is, as before outcomes were measured.
    The measured and published indices are reported either way.
    """

    from_outcomes: bool = True

    weight_amenable_deaths: float = P(
        0.3,
        "weight of amenable deaths (observed over expected) in the measured index",
        assumption=(0.1, 0.5),
        note="mortality ratios are the headline published indicator (SHMI); the weights "
        "are normalised to sum to 1",
        ge=0,
    )
    weight_avoidable_admissions: float = P(
        0.2,
        "weight of avoidable (ACSC) emergency admissions in the measured index",
        assumption=(0.1, 0.4),
        ge=0,
    )
    weight_readmissions: float = P(
        0.2,
        "weight of emergency readmissions in the measured index",
        assumption=(0.1, 0.4),
        note="patients' demand responds to readmission rates (calibration_targets 5.11)",
        ge=0,
    )
    weight_waits: float = P(
        0.1,
        "weight of mean elective wait in the measured index",
        assumption=(0.0, 0.3),
        note="demand elasticity to waits is a fifth of that to readmissions "
        "(calibration_targets 5.11: -0.04 against -0.2)",
        ge=0,
    )
    weight_unmet_need: float = P(
        0.2,
        "weight of electives needed and not supplied in the measured index",
        assumption=(0.1, 0.4),
        note="plans monitor so that patients are not denied necessary care (seed 002 L1514-1517)",
        ge=0,
    )
    index_at_expected: float = P(
        0.5,
        "quality index (0-1) of a provider whose outcomes are those the population's rates "
        "expect; equals the old fixed index of the fragmented default",
        assumption=(0.4, 0.6),
        ge=0,
        le=1,
    )
    index_per_ratio: float = P(
        1.0,
        "quality index gained per unit of weighted (1 - observed/expected): outcomes 10% "
        "better than expected on every indicator add 0.1",
        assumption=(0.5, 2.0),
        gt=0,
    )
    unmet_need_tolerance: float = P(
        0.05,
        "share of clinical need a monitored contract lets go unmet before the measured "
        "quality counts it; also the most a monitored ICP plans to leave unmet",
        assumption=(0.0, 0.15),
        ge=0,
        le=1,
    )
    publication_lag_years: int = P(
        1,
        "years between the outcomes measured and the year patients choose on them",
        "SHMI: a rolling 12 months published 4-6 months after the window ends (NHS "
        "Digital SHMI release calendar, docs/references.md 'Published quality'), so "
        "choices in year t see year t-1",
        ge=1,
        le=3,
    )
    publication_noise: float = P(
        1.0,
        "multiplier on the Poisson sampling noise of published counts (1: a count's own "
        "Poisson variation; 0: published without noise)",
        assumption=(0.5, 3.0),
        note="only 24 of 137 trusts fall outside SHMI's 'as expected' band (HSCIC SHMI "
        "Jul 2013-Jun 2014): most differences are within noise",
        ge=0,
    )
    publication_prior_events: float = P(
        10.0,
        "events as expected added to each published count and its expectation, shrinking "
        "a small provider's published ratios towards 'as expected' (0: raw ratios)",
        assumption=(0.0, 50.0),
        note="SHMI bands 113 of 137 trusts 'as expected' (HSCIC SHMI Jul 2013-Jun 2014)",
        ge=0,
    )
