"""Quality measured from outcomes and published with noise and a lag, on hand-made sums."""

from __future__ import annotations

import numpy as np
import pytest

from sim.base.rng import stream
from sim.config.quality_parameters import QualityMeasure
from sim.engine.quality import Outcomes, QualityRecord, noisy_counts, quality_index

PARAMS = QualityMeasure()


def outcomes(scale: float = 1.0, better: float = 1.0, unmet: float = 0.0) -> Outcomes:
    """Two options of ``scale`` times 1,000 enrolees of risk 1 each: option 0 at the
    population's rates, option 1 with its counted events times ``better`` and ``unmet``
    of its need left unmet; every option together last."""
    n = 1000.0 * scale
    rates = {"amenable_deaths": 0.004, "acsc": 0.02, "readmission": 0.01}
    sums = {"population": [n, n], "risk": [n, n], "elective_need": [0.1 * n] * 2}
    sums["waiting"] = [10.0 * n, 10.0 * n]
    for k, r in rates.items():
        sums[k] = [r * n, r * n * better]
    sums["unmet_need"] = [0.0, unmet * 0.1 * n]
    return Outcomes({k: np.array([*v, sum(v)]) for k, v in sums.items()})


def test_the_population_expectation_scores_the_index_at_expected() -> None:
    q = quality_index(outcomes(), PARAMS)
    np.testing.assert_allclose(q, PARAMS.index_at_expected)


def test_fewer_deaths_admissions_and_readmissions_than_expected_raise_the_index() -> None:
    # option 1 has 20% fewer counted events; the population (both) 10% fewer, so option 0
    # is 1/0.9 - 1 worse and option 1 0.8/0.9 better than expected on 0.7 of the weight
    q = quality_index(outcomes(better=0.8), PARAMS)
    assert q[1] > PARAMS.index_at_expected > q[0]
    score_1 = 0.7 * (1 - 0.8 / 0.9)
    assert q[1] == pytest.approx(0.5 + PARAMS.index_per_ratio * score_1)


def test_unmet_need_beyond_the_tolerance_lowers_the_index_and_within_it_does_not() -> None:
    tol = PARAMS.unmet_need_tolerance
    within = quality_index(outcomes(unmet=tol / 2), PARAMS)
    beyond = quality_index(outcomes(unmet=2 * tol), PARAMS)
    # within tolerance the population's own share (tol / 4) is below the tolerance, so the
    # expectation is the tolerance and option 1 is no worse than allowed
    assert within[1] == pytest.approx(PARAMS.index_at_expected)
    # at twice the tolerance, the population's share is tol, so option 1's ratio is 2
    assert beyond[1] == pytest.approx(0.5 - PARAMS.index_per_ratio * 0.2 * 1.0)


def test_published_quality_tracks_true_quality_with_noise_that_shrinks_with_size() -> None:
    """Raw published ratios (no shrinkage): Poisson noise, relative error 1/sqrt(count)."""
    errors = {}
    for scale in (1.0, 100.0):
        out = outcomes(scale=scale, better=0.8)
        true = quality_index(out, PARAMS)
        drawn = [
            quality_index(out, PARAMS, noisy_counts(out, 1.0, stream(3, r, "quality_publication")))
            for r in range(400)
        ]
        errors[scale] = np.asarray(drawn)[:, 1] - true[1]
    # centred on the true index, and a provider 100 times larger is about 10 times less noisy
    for err in errors.values():
        assert abs(err.mean()) < 4 * err.std() / np.sqrt(len(err))
    ratio = errors[1.0].std() / errors[100.0].std()
    assert 7.0 < ratio < 14.0
    assert errors[100.0].std() > 0


def test_prior_events_shrink_a_small_providers_published_ratios_towards_expected() -> None:
    out = outcomes(better=0.5)  # a 1,000-patient option with half the expected events
    raw, shrunk = (quality_index(out, PARAMS, prior=m)[1] for m in (0.0, 10.0))
    assert PARAMS.index_at_expected < shrunk < raw
    big = outcomes(scale=1000.0, better=0.5)  # the same ratios on 1,000 times the events
    big_raw, big_shrunk = (quality_index(big, PARAMS, prior=m)[1] for m in (0.0, 10.0))
    assert big_raw == pytest.approx(raw) and big_shrunk == pytest.approx(big_raw, abs=0.005)


def test_noise_scale_zero_publishes_the_true_index() -> None:
    out = outcomes(better=0.8)
    counts = noisy_counts(out, 0.0, stream(3, 0, "quality_publication"))
    np.testing.assert_allclose(quality_index(out, PARAMS, counts), quality_index(out, PARAMS))


def test_year_ts_publication_reflects_year_t_minus_1() -> None:
    record = QualityRecord(
        QualityMeasure(publication_noise=0.0, publication_prior_events=0.0), 2, seed=1, replicate=0
    )
    np.testing.assert_allclose(record.published(1), PARAMS.index_at_expected)  # nothing yet
    first = record.record(1, outcomes(better=0.8))
    np.testing.assert_allclose(record.published(1), PARAMS.index_at_expected)
    np.testing.assert_allclose(record.published(2), first)
    second = record.record(2, outcomes(better=1.2))
    np.testing.assert_allclose(record.published(2), first)  # year 2's outcomes come in year 3
    np.testing.assert_allclose(record.published(3), second)
    assert not np.allclose(first, second)


def test_an_option_without_enrolees_keeps_its_last_publication() -> None:
    record = QualityRecord(
        QualityMeasure(publication_noise=0.0, publication_prior_events=0.0), 2, seed=1, replicate=0
    )
    first = record.record(1, outcomes(better=0.8))
    empty = outcomes(better=0.8)
    for k in empty.sums:
        empty.sums[k][1] = 0.0
        empty.sums[k][-1] = empty.sums[k][0]
    record.record(2, empty)
    assert np.isnan(record.true(2)[1])
    assert record.published(3)[1] == pytest.approx(first[1])
