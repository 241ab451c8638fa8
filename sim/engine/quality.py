"""Quality as an outcome: measured from each option's patients, published late and noisy.

Each year, after the patients' pass and the waits, every option's quality is **measured**
from its enrolees' outcomes, each against what England's rates would give them
(indirectly standardised by risk score, as SHMI is by case mix; the expectation is fixed at
set-up, :mod:`sim.engine.quality_standard`, so every provider can improve at once):

* amenable deaths, avoidable (ACSC) emergency admissions and readmissions: observed over
  the count England's rate per unit of risk expects for the option's summed risk;
* waits: the mean elective wait of the option's enrolees over England's base wait;
* unmet need: electives needed and not supplied over the option's need times the
  tolerance monitoring allows (England meets need).

Each indicator scores ``1 - observed / expected`` (clipped to [-1, 1]); the index is
``index_at_expected + index_per_ratio * weighted mean score``, clipped to [0, 1], with the
weights of the scenario's ``[quality]`` section (:mod:`sim.config.quality_parameters`).
So a provider whose patients fare as England's rates expect scores 0.5, the index the
fragmented default used to be fixed at, and the default's index now moves with its
patients' outcomes too. (Without a standard, :func:`quality_index` takes the whole
population's rates, which hand-made tests use.)

What is **published** is the same index computed from counts drawn with Poisson sampling
noise (its own stream, ``quality_publication``), so the noise shrinks with the provider's
size, and it is published ``publication_lag_years`` later: patients choosing in year t see
year t-1's outcomes (SHMI is published 4-6 months after its 12-month window). A publisher
bands a small provider's ratio 'as expected' unless the evidence is strong (113 of 137
trusts sit in SHMI's 'as expected' band), so each published count ratio is shrunk towards 1
by ``publication_prior_events`` added to observed and expected alike. Waits are
administrative counts of every patient and carry no sampling noise. Before anything is
published, patients see ``index_at_expected``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.base.rng import stream
from sim.config.quality_parameters import QualityMeasure
from sim.engine.ledger import Ledger
from sim.engine.quality_standard import QualityStandard

COUNTED = ("amenable_deaths", "acsc", "readmission", "unmet_need")
"""Indicators that are counts of events, published with sampling noise."""
READ = ("population", "risk", "elective_need", "waiting", *COUNTED)
"""Ledger quantities the measurement reads."""


@dataclass(frozen=True)
class Outcomes:
    """One year's outcome sums by option (every option together last), from the ledger."""

    sums: dict[str, np.ndarray]  # each of READ: (options + 1,)

    @classmethod
    def from_ledger(cls, ledger: Ledger) -> Outcomes:
        margins = ledger.option_margins(READ)[:, :, -1, -1, -1]
        return cls(dict(zip(READ, margins.astype(float), strict=True)))

    @classmethod
    def by_locality(cls, ledger: Ledger, option: int) -> Outcomes:
        """``option``'s outcomes in each locality (everyone together last): what a trust or
        practice paid on its own patients' quality is measured from."""
        totals = ledger.option_margins(READ)[:, -1, -1, -1, -1].astype(float)
        return cls(
            {
                k: np.append(ledger.table(k, keep=(0, 1))[option].astype(float), total)
                for k, total in zip(READ, totals, strict=True)
            }
        )


def _ratio_score(observed: np.ndarray, expected: np.ndarray, prior: float = 0.0) -> np.ndarray:
    """``1 - observed / expected`` in [-1, 1]; 0 (as expected) where nothing is expected.

    ``prior`` events as expected are added to both (a gamma prior on the Poisson ratio), so
    a provider with few events is published nearer 'as expected'.
    """
    observed, expected = observed + prior, expected + prior
    score = np.zeros(np.broadcast(observed, expected).shape)
    np.divide(observed, expected, out=score, where=expected > 0)
    return np.clip(np.where(expected > 0, 1.0 - score, 0.0), -1.0, 1.0)


def quality_index(
    outcomes: Outcomes,
    params: QualityMeasure,
    counts: dict[str, np.ndarray] | None = None,
    prior: float = 0.0,
    standard: QualityStandard | None = None,
) -> np.ndarray:
    """Each option's quality index (0-1; NaN without enrolees) from ``outcomes``.

    Expected counts come from ``standard`` (England's rates,
    :mod:`sim.engine.quality_standard`), or without one from the whole population's rates.
    ``counts`` replaces the options' observed counts by published ones, drawn with sampling
    noise; ``prior`` events shrink each counted ratio towards 1, as a publisher does (none
    for the true index).
    """
    s = outcomes.sums
    observed = {k: s[k][:-1] for k in COUNTED} | (counts or {})
    risk, need, n = s["risk"][:-1], s["elective_need"][:-1], s["population"][:-1]
    if standard is not None:  # England meets need, so only the tolerance is expected unmet
        per_risk = standard.per_risk
        unmet_share, mean_wait = 0.0, standard.mean_wait_weeks
    else:
        per_risk = {k: s[k][-1] / s["risk"][-1] if s["risk"][-1] > 0 else 0.0 for k in COUNTED}
        total_need = s["elective_need"][-1]
        unmet_share = s["unmet_need"][-1] / total_need if total_need > 0 else 0.0
        mean_wait = s["waiting"][-1] / s["population"][-1] if s["population"][-1] > 0 else 0.0
    scores = {
        "amenable_deaths": _ratio_score(
            observed["amenable_deaths"], per_risk["amenable_deaths"] * risk, prior
        ),
        "avoidable_admissions": _ratio_score(observed["acsc"], per_risk["acsc"] * risk, prior),
        "readmissions": _ratio_score(
            observed["readmission"], per_risk["readmission"] * risk, prior
        ),
        "waits": _ratio_score(s["waiting"][:-1], mean_wait * n),
        # meeting need is the standard, so unmet need only ever lowers the index
        "unmet_need": np.minimum(
            _ratio_score(
                observed["unmet_need"],
                max(unmet_share, params.unmet_need_tolerance) * need,
                prior,
            ),
            0.0,
        ),
    }
    weights = {k: getattr(params, f"weight_{k}") for k in scores}
    total = sum(weights.values())
    score = sum(w * scores[k] for k, w in weights.items()) / (total if total > 0 else 1.0)
    index = np.clip(params.index_at_expected + params.index_per_ratio * score, 0.0, 1.0)
    return np.where(n > 0, index, np.nan)


def noisy_counts(
    outcomes: Outcomes, noise: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Each option's counted indicators as a sample would show them: Poisson around the
    true count, its deviation scaled by ``noise``, so relative error falls as 1/sqrt(count)."""
    out = {}
    for k in COUNTED:
        true = outcomes.sums[k][:-1]
        drawn = rng.poisson(np.maximum(true, 0.0)).astype(float)
        out[k] = np.maximum(true + noise * (drawn - true), 0.0)
    return out


@dataclass
class QualityRecord:
    """Every year's measured quality by option and what is published when.

    ``measured[y]`` is the true index of year y's outcomes; ``published[y]`` what patients
    choosing in year y see (year y - lag's outcomes with sampling noise).
    """

    params: QualityMeasure
    n_options: int
    seed: int
    replicate: int
    measured: dict[int, np.ndarray] = field(default_factory=dict)
    sampled: dict[int, np.ndarray] = field(default_factory=dict)
    default_by_locality: dict[int, np.ndarray] = field(default_factory=dict)
    standard: QualityStandard | None = None  # England's expectation (set by the model)

    def measure(self, year: int, ledger: Ledger) -> np.ndarray:
        """Measure ``year``'s quality from its ledger and draw what will be published; the
        fragmented default's is also measured locality by locality (its trusts and practices
        are paid on their own patients' outcomes)."""
        self.default_by_locality[year] = quality_index(
            Outcomes.by_locality(ledger, 0), self.params, standard=self.standard
        )
        return self.record(year, Outcomes.from_ledger(ledger))

    def record(self, year: int, outcomes: Outcomes) -> np.ndarray:
        """Measure ``year``'s quality from ``outcomes`` and draw what will be published."""
        standard = self.standard
        self.measured[year] = quality_index(outcomes, self.params, standard=standard)
        rng = stream(self.seed, self.replicate, "quality_publication", year)
        counts = noisy_counts(outcomes, self.params.publication_noise, rng)
        prior = self.params.publication_prior_events
        self.sampled[year] = quality_index(outcomes, self.params, counts, prior, standard)
        return self.measured[year]

    def published(self, year: int) -> np.ndarray:
        """What patients choosing in ``year`` see of each option (0-1).

        The latest publication an option has: an option without enrolees in the measured
        year keeps its earlier figure, and before any, ``index_at_expected``.
        """
        out = np.full(self.n_options, self.params.index_at_expected)
        last = year - self.params.publication_lag_years
        for y in sorted(k for k in self.sampled if k <= last):
            out = np.where(np.isnan(self.sampled[y]), out, self.sampled[y])
        return out

    def true(self, year: int) -> np.ndarray | None:
        """The measured index of ``year`` (NaN where an option had no enrolees), if measured."""
        return self.measured.get(year)


QUALITY_METRICS = ("measured_quality", "published_quality")
"""The metrics :func:`quality_metrics` returns (``quality``, the quality of care given, is the
ledger's enrolment-weighted mean of the options' effort index)."""


def quality_metrics(
    record: QualityRecord, year: int, population: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Measured and published quality, (value, defined) over the (system, group) grid.

    A provider's index is one figure for all its enrolees, so every group of a system shows
    it; the ``all`` system shows the enrolment-weighted mean of the options in the group.
    """
    has = population > 0
    out = {}
    measured = record.true(year)
    for metric, by_option in (
        (
            "measured_quality",
            measured if measured is not None else np.full(record.n_options, np.nan),
        ),
        ("published_quality", record.published(year)),
    ):
        known = ~np.isnan(by_option)
        q = np.where(known, by_option, 0.0)
        weights = population[:-1] * known[:, None]
        total = weights.sum(axis=0)
        mean = np.divide(
            (weights * q[:, None]).sum(axis=0), total, out=np.zeros(total.shape), where=total > 0
        )
        value = np.vstack([np.broadcast_to(q[:, None], population[:-1].shape), mean[None]])
        where = has & np.vstack(
            [np.broadcast_to(known[:, None], population[:-1].shape), total[None] > 0]
        )
        out[metric] = (value, where)
    return out
