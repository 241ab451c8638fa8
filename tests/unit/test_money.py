"""The year-end money rules on a hand-made market (see :mod:`markets`): what happens to a
trust in deficit under each rule, and the books the money metrics read."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.finance_parameters import Finance
from sim.engine.failures import resolve_trust_deficits
from sim.engine.metrics import GROUPS, METRICS, year_metrics
from sim.engine.money_metrics import system_books
from sim.engine.settlement import YearEndSettlement
from sim.providers.accounts import ProviderAccounts

from .markets import market, year_state


def _trusts_in_deficit(rule: str, **terms):
    """The market with trust a 100 short on 1,000 of revenue and trust b 40 short."""
    m = market()
    m.commissioner.finance = Finance(trust_deficit=rule, **terms)
    m.commissioner.record({})
    m.books.book(m.book_rows["trusts"], [1000.0, 1000.0], [1100.0, 1040.0])
    year = year_state(m)
    resolve_trust_deficits(year)
    return m, year


def test_accounts_keep_opening_reserves_and_transfers() -> None:
    books = ProviderAccounts()
    row = books.add_row()
    books.book([row], [10.0], [4.0])
    books.book([row], [3.0], [5.0])
    books.transfer([row], [7.0])
    assert (books.opening[row], books.transfers[row], books.reserves[row]) == (6.0, 7.0, 11.0)
    assert books.reserves[row] == books.opening[row] + books.surplus[row] + books.transfers[row]
    books.book([row], [0.0], [0.0])  # a new year: no transfer yet
    assert (books.opening[row], books.transfers[row]) == (11.0, 0.0)


def test_a_bail_out_funds_what_a_trust_cannot_cover_and_the_commissioner_pays() -> None:
    m, year = _trusts_in_deficit("bail_out")
    a, b = m.trusts
    assert (a.reserves, b.reserves) == (0.0, 0.0)
    assert (a.transfers, b.transfers) == (100.0, 40.0)
    assert m.commissioner.support == {"trust_a": 100.0, "trust_b": 40.0}
    assert m.commissioner.total_spend == 140.0
    assert year.trust_support.tolist() == [100.0, 40.0]
    assert year.takeover_costs.tolist() == [0.0, 0.0]
    assert a.surplus == -100.0  # the deficit is still reported; only reserves are made good


def test_reserves_a_bail_out_finds_are_used_first() -> None:
    m = market()
    m.commissioner.record({})
    m.trusts[0].reserves = 30.0
    m.books.book(m.book_rows["trusts"], [1000.0, 1000.0], [1100.0, 1000.0])
    resolve_trust_deficits(year_state(m))
    assert m.commissioner.support == {"trust_a": 70.0}


def test_a_takeover_comes_only_below_the_threshold_and_its_cost_is_booked() -> None:
    m, year = _trusts_in_deficit("takeover", takeover_threshold=0.05, takeover_cost_share=0.02)
    a, b = m.trusts
    assert a.reserves == 0.0 and a.transfers == 100.0  # 100 short of 1,000: below -50
    assert b.reserves == -40.0 and b.transfers == 0.0  # 40 short: carried forward
    assert m.commissioner.support == {"trust_a": 100.0}
    assert m.commissioner.takeover_costs == {"trust_a": 20.0}
    assert m.commissioner.total_spend == 120.0
    assert year.takeover_costs.tolist() == [20.0, 0.0]
    assert a.revenue == 1000.0 and a.cost == 1100.0  # it keeps its patients and activity


def test_carried_forward_deficits_cost_the_commissioner_nothing() -> None:
    m, year = _trusts_in_deficit("carry_forward")
    assert [t.reserves for t in m.trusts] == [-100.0, -40.0]
    assert m.commissioner.support == {} and m.commissioner.total_spend == 0.0
    assert year.trust_support.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("rule", ["bail_out", "takeover", "carry_forward"])
def test_settled_books_add_up_under_each_rule(rule: str) -> None:
    """Settle the hand-made year: spend is payments plus support plus admin, and the
    metrics' commissioner spend and resource cost are the books' own."""
    m = market()
    m.commissioner.finance = Finance(trust_deficit=rule, takeover_threshold=0.0)
    year = year_state(m)
    YearEndSettlement(m).settle(year)
    c = m.commissioner
    assert c.transaction_costs == pytest.approx(15.0)  # both contracts' admin, 3 patients
    paid = year.paid("commissioner_payment")
    support = sum(c.support.values()) + sum(c.takeover_costs.values())
    assert c.total_spend == pytest.approx(paid + 15.0 + support)
    b = system_books(year)
    assert b.commissioner_spend[-1] == pytest.approx(c.total_spend)
    care = sum(m.books.cost.tolist())
    assert b.resource_cost[-1] == pytest.approx(care + 15.0 + sum(c.takeover_costs.values()))
    block = year_metrics(year)
    group, system, metric = block.codes()

    def get(name: str) -> float:
        hit = (group == GROUPS.index("all")) & (system == 1) & (metric == METRICS.index(name))
        return float(block.value[hit][0])

    assert get("cost_per_capita") * 3 == pytest.approx(c.total_spend)
    assert get("resource_cost_per_capita") * 3 == pytest.approx(b.resource_cost[-1])
    surplus = sum(m.books.surplus.tolist())
    assert (get("cost_per_capita") - get("resource_cost_per_capita")) * 3 == pytest.approx(
        surplus + sum(c.support.values())
    )
    deficit = np.minimum(m.books.revenue - m.books.cost, 0.0)[m.book_rows["trusts"]]
    if rule == "carry_forward":
        assert get("trust_reserves") == pytest.approx(sum(m.books.surplus[m.book_rows["trusts"]]))
    elif deficit.any():
        assert sum(c.support.values()) == pytest.approx(-deficit.sum())
