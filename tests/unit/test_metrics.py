"""A year's metrics, provider totals and fragmentation on a hand-made market (see :mod:`markets`)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.contracts.payment import NATIONAL_PRICES
from sim.engine.fragmentation import (
    SPEND,
    AccountableShares,
    fragmentation,
    fragmentation_by_system,
)
from sim.engine.ledger import Ledger
from sim.engine.metrics import GROUPS, METRICS, provider_totals
from sim.engine.metrics_log import MetricsLog
from sim.engine.older_bed_use import OLDER_QUANTITIES, older_bed_use, older_bed_use_metrics
from sim.engine.settlement import YearEndSettlement
from sim.patients.utilisation import Activity

from .markets import YEAR, PerHead, PerHeadWithBonus, market, year_state


def settled_year(bonus: float = 0.1):
    m = market(PerHeadWithBonus(bonus=bonus))
    year = year_state(m)
    YearEndSettlement(m).settle(year)
    return year


def metric(frame, name: str, group: str = "all", system: str = "all") -> float:
    row = frame[(frame.metric == name) & (frame.group == group) & (frame.system == system)]
    return float(row["value"].iloc[0])


def test_a_year_of_metrics_reads_the_ledger_and_the_settlements() -> None:
    log = MetricsLog("hand_made", 0, ["fragmented"])
    year = settled_year()
    block = log.record(year)
    # cost_per_capita is all the commissioner spends: its payments, plus (per head) the
    # contracts' administration (5) and the bail-out of the trust left in deficit
    extra = 5.0 + sum(year.market.commissioner.support.values()) / 3
    assert block.shape == (len(GROUPS), 2, len(METRICS))
    df = log.frame()
    assert set(df["year"]) == {1}
    assert metric(df, "population") == 3
    assert metric(df, "enrolment_share", system="fragmented") == 1.0
    assert metric(df, "gp_consultations_per_1000") == pytest.approx(16.0 / 3 * 1000)
    assert metric(df, "cost_per_capita") == pytest.approx((3550.0 + 45.0) / 3 + extra)
    assert metric(df, "settlement_per_capita") == pytest.approx(45.0 / 3)
    assert metric(df, "trust_income_per_capita") == pytest.approx(3100.0 / 3)
    assert metric(df, "cost_per_capita", group="age_65_plus") == pytest.approx(
        2150.0 + 15.0 + extra
    )
    assert metric(df, "mean_risk", group="imd_q4") == 0.5
    assert metric(df, "selection_gap") == 0.0  # one system holds everyone
    assert metric(df, "transaction_costs_per_capita") == pytest.approx(5.0)
    assert metric(df, "icps_open") == 0.0 and metric(df, "market_concentration") == 1.0
    assert "switching_rate" in set(df["metric"])
    # nobody in the third IMD quintile: no per-head rates there, but a head count of 0
    q3 = df[df.group == "imd_q3"]
    assert set(q3["metric"]) == {"population", "enrolment_share"}


def test_provider_totals_add_practices_and_trusts_into_the_default() -> None:
    year = settled_year()
    m = year.market
    surplus, reserves = provider_totals(m)
    own = [p.surplus for p in (*m.practices, *m.trusts)]
    assert surplus.tolist() == [sum(own), sum(own)]
    # a first year: reserves are its surplus, plus the bail-out of the trust left in deficit
    support = sum(m.commissioner.support.values())
    assert reserves.tolist() == pytest.approx((surplus + support).tolist())


def test_fragmentation_is_the_spend_its_registered_holder_does_not_bear() -> None:
    year = settled_year()
    spend = {a: NATIONAL_PRICES[a] * sum(YEAR[q]) for a, q in SPEND.items()}
    expected = 1.0 - spend["gp_consultation"] / sum(spend.values())  # a per-head GP contract
    assert fragmentation_by_system(year).tolist() == pytest.approx([expected, expected])
    counts = np.zeros((len(SPEND), 2))
    assert fragmentation(counts, np.ones((len(SPEND), 2))).tolist() == [0.0, 0.0, 0.0]


def test_accountable_shares_are_kept_for_rules_without_a_schedule() -> None:
    shares, rule = AccountableShares(), PerHead()
    first = shares([rule], 1)
    assert first[:, 0].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert shares([rule], 2) is first  # the same rules: the same answers, not worked out again
    other = PerHead(activities=("gp_consultation", "outpatient"))
    assert shares([other], 2)[:, 0].tolist() == [1.0, 1.0, 0.0, 0.0, 0.0]


def test_the_oldest_bed_use_counts_those_85_and_over_with_repeated_emergency_admissions() -> None:
    """Torbay's measure by hand: patients 85+ with two or more emergency admissions, their
    bed days per 1,000 patients aged 85+; the 84-year-old and the 70-year-old do not count."""
    age = np.array([84, 85, 90, 92, 70])
    emergencies = np.array([3, 2, 1, 4, 5])
    bed_days = np.array([10.0, 6.0, 3.0, 20.0, 30.0], dtype=np.float32)
    activity = Activity(counts={}, bed_days=bed_days)
    activity.emergency_total = emergencies
    book = Ledger(1, 1)
    n = len(age)
    keys = book.keys(
        np.zeros(n, dtype=np.uint8),
        np.zeros(n, dtype=np.intp),
        age,
        np.ones(n, int),
        np.zeros(n, int),
    )
    for quantity, sums in older_bed_use(keys, age, activity, book.size).items():
        book.add_cells(quantity, sums.reshape(book.cell_shape))
    assert book.sum("aged_85_plus") == 3
    assert book.sum("frequent_85_plus_bed_days") == 26.0
    assert book.sum("frequent_85_plus_emergencies") == 6.0  # the 85- and 92-year-olds'
    assert book.sum("aged_85_plus", age=0) == 0  # all of them in the 65+ band
    sums = {q: np.array([[book.sum(q), book.sum(q, age=0)]]) for q in OLDER_QUANTITIES}
    ((value, defined),) = older_bed_use_metrics(sums).values()
    assert value.tolist() == [[pytest.approx(26.0 / 3 * 1000), 0.0]]
    assert defined.tolist() == [[True, False]]  # none aged 85+ under 65: not defined there
