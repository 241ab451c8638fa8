"""Local authorities' social care: the arithmetic by hand, delays booked as bed days, the
pooled budget's direction (Torbay, seed 002 L497-515) and the costs each side shifts.

Scenario comparisons run paired replicates on common random numbers and compare the mean
paired difference with three standard errors of it.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from helpers import scenario

from sim.config.social_care_parameters import SocialCare
from sim.engine.discharge import discharge_year
from sim.engine.ledger import Ledger
from sim.engine.model import ICSModel
from sim.providers.social_care import delayed_days, pooled_packages, social_care_year

REPLICATES = 8
PATIENTS = 3_000
PAIRED = 10_000  # patients in each of the paired runs, over four localities
YEARS = 3
UNPOOLED = {"social_care.pooled_share": 0.0, "contracts.pool.intermediate_care_limit": 0.0}
METRICS = (
    "delayed_transfer_days_per_1000",
    "social_care_spend_per_capita",
    "pooled_to_social_care_per_capita",
    "cost_shifted_to_health_per_capita",
    "cost_shifted_to_social_care_per_capita",
    "bed_days_per_1000",
    "emergency_admissions_per_1000",
    "trust_cost_per_capita",
)


# --------------------------------------------------------------------------- by hand


def test_a_local_authoritys_year_by_hand() -> None:
    """1,000 residents, 50 emergency admissions aged 65+, 10 days of early discharges."""
    p = SocialCare(enabled=True)  # 362 GBP a head, 10% on discharges at 3,900 GBP a package
    year = social_care_year(np.array([1000.0]), np.array([50.0]), np.array([10.0]), 300.0, p)
    assert year.budget[0] == pytest.approx(362_000.0)
    assert year.needed[0] == pytest.approx(10.0)  # 20% of 50
    assert year.shifted_to_social_care[0] == pytest.approx(600.0)  # 10 days at 60 GBP
    own = (36_200.0 - 600.0) / 3_900.0  # what is left for packages
    assert year.packages[0] == pytest.approx(own)
    assert year.delayed_days[0] == pytest.approx(20.0 * (10.0 - own))  # 20 days each short
    # England's budget buys 36,200 / 3,900 packages; the early discharges cost 600 / 3,900
    # of them, so 20 x 600 / 3,900 days more than the calibrated stays hold
    assert year.booked_bed_days[0] == pytest.approx(20.0 * 600.0 / 3_900.0)
    assert year.shifted_to_health[0] == pytest.approx(300.0 * 20.0 * 600.0 / 3_900.0)
    assert year.pooled_transfer[0] == 0.0 and year.spend[0] == pytest.approx(362_000.0)


def test_the_pool_tops_packages_up_with_health_money_while_it_pays() -> None:
    pooled = SocialCare(enabled=True, pooled_share=0.02)  # 38,000 GBP of health money
    year = social_care_year(np.array([1000.0]), np.array([50.0]), np.array([10.0]), 300.0, pooled)
    # a package (3,900 GBP) saves 20 bed days (6,000 GBP): it buys the packages short
    assert year.packages[0] == pytest.approx(10.0)
    assert year.pooled_transfer[0] == pytest.approx(10 * 3_900.0 - 35_600.0)
    assert year.delayed_days[0] == 0.0
    assert year.spend[0] == pytest.approx(362_000.0 + 3_400.0)
    assert year.booked_bed_days[0] == pytest.approx(-20.0 * (10.0 - 36_200.0 / 3_900.0))
    # at most the pool's health money, and nothing where a package saves less than it costs
    assert pooled_packages(np.array([10.0]), np.array([8.0]), 300.0, np.array([1_950.0]), pooled)[
        0
    ] == pytest.approx(0.5)
    assert (
        pooled_packages(np.array([10.0]), np.array([8.0]), 150.0, np.array([1e9]), pooled)[0] == 0
    )
    assert delayed_days(np.array([10.0, 5.0]), np.array([8.0, 9.0]), pooled).tolist() == [40.0, 0.0]


def test_delays_are_shared_with_the_oldest_by_their_emergency_admissions() -> None:
    """Delayed days go to the older patients' cells by their emergency admissions, and the
    oldest with repeated admissions take the share of them their admissions are."""
    book = Ledger(1, 1)
    for quantity, cell, value in (
        ("population", (0, 0, 0, 0), 600.0),
        ("population", (0, 1, 0, 0), 400.0),
        ("emergency_total", (0, 1, 0, 0), 40.0),
        ("emergency_total", (0, 1, 1, 0), 10.0),
        ("frequent_85_plus_emergencies", (0, 1, 0, 0), 8.0),
    ):
        values = np.zeros(book.cell_shape)
        values[cell] = value
        book.add_cells(quantity, values)
    stays_as_calibrated = SimpleNamespace(tables={"los": np.ones((1, 1, 2))})
    short = SocialCare(enabled=True, spend_per_head=300.0)  # fewer packages than England's
    year = discharge_year(book, stays_as_calibrated, 300.0, short)
    booked = float(year.booked_bed_days[0])
    assert booked > 0
    assert book.sum("bed_days") == pytest.approx(booked)
    assert book.sum("bed_days", imd=1) == pytest.approx(booked * 10 / 50)
    assert book.sum("frequent_85_plus_bed_days") == pytest.approx(booked * 8 / 50)


# --------------------------------------------------------------------------- in the model


def test_social_care_at_england_defaults_moves_no_existing_metric() -> None:
    """Stays calibrated to England hold England's delays, so local authorities at England's
    budget, with nothing discharged early, add their metrics and change nothing else."""
    frames = []
    for on in (False, True):
        m = ICSModel(
            scenario("fragmented_tariff", {"social_care.enabled": on}),
            seed=5,
            patients=PATIENTS,
            years=YEARS,
        )
        frames.append(m.run().frame())
    off, on = frames
    new = ~on.metric.isin(set(off.metric))
    assert set(on.metric[new]) >= {"delayed_transfer_days_per_1000", "social_care_spend_per_capita"}
    assert on[~new].reset_index(drop=True).equals(off)
    # England's budget leaves delays: over the years (a small locality may, in one year,
    # need fewer packages than its budget buys)
    delays = on[on.metric == "delayed_transfer_days_per_1000"].value
    assert (delays >= 0).all() and delays.mean() > 0


def paired(name: str, overrides: dict, baseline: dict) -> dict[str, tuple[float, float]]:
    """Mean over replicates of (``overrides`` - ``baseline``) for each of METRICS averaged
    over the years (system and group ``all``), with its standard error."""
    diffs = {metric: [] for metric in METRICS}
    for r in range(REPLICATES):
        values = []
        for ov in (overrides, baseline):
            m = ICSModel(scenario(name, ov), seed=11, replicate=r, patients=PAIRED, years=YEARS)
            df = m.run().frame()
            df = df[(df.system == "all") & (df.group == "all")]
            values.append(df.groupby("metric", observed=True).value.mean())
        for metric in METRICS:
            diffs[metric].append(values[0][metric] - values[1][metric])
    return {
        k: (float(np.mean(v)), float(np.std(v, ddof=1) / np.sqrt(len(v)))) for k, v in diffs.items()
    }


def below(diff: tuple[float, float]) -> bool:
    """The mean difference is below zero by more than three standard errors."""
    mean, se = diff
    return mean + 3 * se < 0


def above(diff: tuple[float, float]) -> bool:
    """The mean difference is above zero by more than three standard errors."""
    mean, se = diff
    return mean - 3 * se > 0


def test_pooling_moves_money_into_social_care_and_cuts_delays_and_bed_days() -> None:
    """Torbay: pooled budgets spent on intermediate care and care at home gave fewer
    occupied beds, low emergency admissions over 65 and negligible delayed transfers
    (seed 002 L503-515; calibration_targets 7.3-7.4)."""
    d = paired("social_care_torbay", {}, UNPOOLED)
    assert below(d["delayed_transfer_days_per_1000"])
    assert below(d["bed_days_per_1000"])
    assert below(d["emergency_admissions_per_1000"])
    assert below(d["trust_cost_per_capita"])  # health spends less on hospital care
    assert above(d["social_care_spend_per_capita"])  # and social care more, with health money
    spend = d["social_care_spend_per_capita"][0]
    assert d["pooled_to_social_care_per_capita"][0] == pytest.approx(spend)


def test_cutting_care_packages_shifts_cost_to_hospitals() -> None:
    cut = {"social_care.pooled_share": 0.0, "social_care.spend_per_head": 300.0}
    d = paired("social_care_torbay", cut, {"social_care.pooled_share": 0.0})
    assert above(d["cost_shifted_to_health_per_capita"])
    assert above(d["delayed_transfer_days_per_1000"])
    assert above(d["bed_days_per_1000"])
    assert above(d["trust_cost_per_capita"])


def test_discharging_early_shifts_cost_to_social_care() -> None:
    """Shorter stays than calibrated leave their patients' care to social care, whose
    budget then buys fewer packages, so delays rise."""
    early = {"interventions": [{"value": "los", "factor": 0.8}], "social_care.enabled": True}
    frames = [
        ICSModel(scenario("fragmented_tariff", ov), seed=5, patients=PATIENTS, years=YEARS)
        .run()
        .frame()
        for ov in (early, {"social_care.enabled": True})
    ]
    shifted = [f[f.metric == "cost_shifted_to_social_care_per_capita"].value for f in frames]
    assert (shifted[0] > 0).all() and (shifted[1] == 0).all()
    delays = [f[f.metric == "delayed_transfer_days_per_1000"].value.to_numpy() for f in frames]
    assert (delays[0] >= delays[1]).all() and delays[0].sum() > delays[1].sum()
