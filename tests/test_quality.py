"""Quality measured from outcomes and published: what monitoring and noise do to a market.

Paired arms share seeds and replicates (common random numbers), so the spread of the paired
differences is the noise an effect must stand clear of (:func:`helpers.assert_greater`:
every pair, and the mean beyond three standard errors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from helpers import assert_greater, replicates, scenario

from sim.config.scenario import Scenario, with_overrides

PATIENTS, YEARS, REPS = 10_000, 6, 5

ON = {"quality.from_outcomes": True}
"""The regime under test: quality measured from outcomes, published, and chosen on."""


def unmonitored(sc: Scenario) -> Scenario:
    return sc.model_copy(
        update={"icps": [i.model_copy(update={"quality_monitoring": False}) for i in sc.icps]}
    )


def under_service(runs: list[pd.DataFrame]) -> list[float]:
    out = []
    for df in runs:
        sel = df[(df.metric == "under_service") & (df.system == "all") & (df.group == "all")]
        out.append(float(sel[sel.year >= 2].value.mean()))
    return out


def quality_enrolment_link(runs: list[pd.DataFrame]) -> list[float]:
    """Per replicate: the correlation, over ICPs and years, between an ICP's true measured
    quality in year t and the change in its enrolment share from year t to t+1 (the year
    patients choose on year t's outcomes, as published)."""
    out = []
    for df in runs:
        sel = df[
            (df.group == "all")
            & df.metric.isin(["measured_quality", "enrolment_share"])
            & df.system.str.startswith("icp")
        ]
        wide = sel.pivot_table(index=["system", "year"], columns="metric", values="value")
        x, y = [], []
        for _, g in wide.groupby(level="system"):
            g = g.sort_index()
            x += list(g["measured_quality"].to_numpy()[:-1])
            y += list(np.diff(g["enrolment_share"].to_numpy()))
        out.append(float(np.corrcoef(x, y)[0, 1]))
    return out


def test_a_monitored_icp_leaves_less_need_unmet_than_an_unmonitored_one() -> None:
    """Monitored ICPs free to lose members cut electives no further than the tolerance of
    unmet need (seed 002 L1514-1517: plans monitor so patients are not denied necessary
    care); unmonitored, the same ICPs cut by their margins."""
    sc = scenario("competing_icps_capitation", ON)
    watched = replicates(sc, REPS, PATIENTS, YEARS)
    unwatched = replicates(unmonitored(sc), REPS, PATIENTS, YEARS)
    assert_greater(under_service(unwatched), under_service(watched), what="under-service")


def test_noisier_publication_weakens_the_link_between_true_quality_and_enrolment() -> None:
    """Patients choose on what is published: published with three times a count's own
    sampling noise (the top of its plausible range) rather than exactly, the ICPs whose
    outcomes were better gain fewer members the next year. Both arms publish raw ratios (no
    prior events), which would otherwise shrink the ICPs' few events to 'as expected' in
    both; 20,000 patients and eight replicates give the ICPs events enough for a signal."""
    sc = scenario("competing_icps_capitation", {**ON, "quality.publication_prior_events": 0.0})
    exact = replicates(with_overrides(sc, {"quality.publication_noise": 0.0}), 8, 20_000, YEARS)
    noisy = replicates(with_overrides(sc, {"quality.publication_noise": 3.0}), 8, 20_000, YEARS)
    assert_greater(
        quality_enrolment_link(exact), quality_enrolment_link(noisy), what="quality-enrolment link"
    )


def test_the_fragmented_default_has_measured_quality_that_moves() -> None:
    """The default's quality is measured from its patients' outcomes, not fixed at 0.5, and
    what it publishes in year t is year t-1's, with noise."""
    df = replicates(scenario("competing_icps_capitation", ON), 1, PATIENTS, 4)[0]
    sel = df[(df.system == "fragmented") & (df.group == "all")]
    quality = sel[sel.metric == "measured_quality"].set_index("year").value
    published = sel[sel.metric == "published_quality"].set_index("year").value
    assert quality.nunique() == len(quality) and not np.allclose(quality, 0.5)
    assert published[1] == 0.5  # nothing published before the first year's outcomes
    assert (published.iloc[1:] != 0.5).all()
