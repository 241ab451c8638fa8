"""Individual annual cost in the fragmented baseline is spread as English spending is.

Each figure of calibration_targets section 9 is measured by the run's own metrics
(:mod:`sim.engine.cost_concentration`) over a few replicates, and must lie within 20% of
its target, with a replicate spread small enough (3 standard errors well inside the band)
that passing is not luck. The R-squared of the age-sex formula on that cost must be a few
per cent (calibration_targets 6.6-6.10), and a full adjuster must explain what it asks for.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import scenario

from sim.engine.run import simulate
from sim.patients.cost_distribution import TARGETS
from sim.patients.cost_fit import AGE_SEX_R2_BAND, adjuster_r_squared

PATIENTS, YEARS, REPLICATES = 60_000, 2, 3
BAND = 0.20


@pytest.fixture(scope="module")
def replicates() -> dict[str, np.ndarray]:
    """Each cost metric in the last year of each replicate of the fragmented baseline."""
    sc = scenario("fragmented_tariff")
    values: dict[str, list[float]] = {}
    for rep in range(REPLICATES):
        df = simulate(sc, seed=20261203, replicate=rep, patients=PATIENTS, years=YEARS)
        last = df[(df.system == "all") & (df.group == "all") & (df.year == YEARS)]
        for metric, value in zip(last.metric, last.value, strict=True):
            values.setdefault(metric, []).append(value)
    return {k: np.array(v) for k, v in values.items()}


@pytest.mark.parametrize("metric", sorted(TARGETS))
def test_concentration_and_persistence_within_20_percent(replicates, metric: str) -> None:
    target = TARGETS[metric]
    x = replicates[metric]
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert 3 * se < BAND * target / 2, f"{metric}: replicates too noisy to judge ({x})"
    assert abs(x.mean() / target - 1) < BAND, f"{metric}: {x.mean():.3f} vs target {target}"


@pytest.mark.xfail(
    strict=True,
    reason="known miss: with the calibrated age profiles the section 9 shapes leave the "
    "age-sex formula about 0.09-0.10 (it is measured, not fitted: sim.patients.cost_fit)",
)
def test_age_sex_r_squared_a_few_per_cent(replicates) -> None:
    low, high = AGE_SEX_R2_BAND
    x = replicates["cost_r2_age_sex"]
    assert low < x.mean() < high, x


def test_full_adjuster_explains_what_it_asks_for(replicates) -> None:
    """The baseline's ICP capitation asks for the default r_squared (0.15); the run measures
    it on its own cost, the calibration solved it on another population."""
    asked = scenario("fragmented_tariff").contracts["icp"].r_squared
    x = replicates["cost_r2_adjuster"]
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert abs(x.mean() - asked) < 3 * se + 0.02 * asked, (x, asked)
    assert replicates["cost_r2_age_sex"].mean() < asked < replicates["cost_r2_expected"].mean()


def test_r_squared_measured_beside_what_was_asked() -> None:
    """The function the validation report calls: a full adjuster asked for more explains more,
    within reach of what it asked for, on a population the calibration never saw."""
    sc = scenario("fragmented_tariff")
    low = adjuster_r_squared(sc, 0.12, patients=100_000, seed=5)
    high = adjuster_r_squared(sc, 0.20, patients=100_000, seed=5)
    assert low["age_sex"] == high["age_sex"] < low["full"] < high["full"] < high["expected"]
    assert abs(low["full"] - 0.12) < 0.02 and abs(high["full"] - 0.20) < 0.02
