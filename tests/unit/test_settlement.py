"""Year-end settlement and failures on a hand-made market (see :mod:`markets`)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.failures import close_failed_icps
from sim.engine.ledger import Ledger
from sim.engine.settlement import YearEndSettlement, group_members, group_sums
from sim.engine.settlement_ledger import SettlementLedger
from sim.engine.state import Market, YearState
from sim.providers.accounts import ProviderAccounts

from .markets import PerHeadWithBonus, market, year_state


def test_group_sums_add_each_groups_members_left_to_right() -> None:
    values = np.array([1e16, 1.0, -1e16, 1.0, 5.0])
    members = group_members([[0, 1, 2, 3], [4], []])
    assert members.tolist() == [[0, 1, 2, 3], [4, -1, -1, -1], [-1, -1, -1, -1]]
    total = 0.0
    for v in values[:4]:
        total += v
    assert group_sums(values, members).tolist() == [total, 5.0, 0.0]


def test_providers_are_booked_what_they_were_paid_and_what_they_spent() -> None:
    m = market()
    year = year_state(m)
    YearEndSettlement(m).settle(year)
    practice, trust = m.practices[0], m.trusts[0]
    assert (practice.revenue, m.practices[1].revenue) == (300.0, 150.0)
    assert practice.cost == 14.0 * m.costs.gp_consultation  # no prevention planned
    assert (trust.revenue, m.trusts[1].revenue) == (2900.0, 200.0)
    counts = {"outpatient": 5.0, "elective": 1.0, "ae": 1.0, "emergency": 1.0}
    assert trust.cost == pytest.approx(m.costs.hospital_cost(counts, 8.0))
    assert practice.reserves == practice.revenue - practice.cost
    assert year.settlements.empty  # neither contract has year-end terms
    assert m.commissioner.spend == year.ledger.sum("commissioner_payment") == 3550.0
    assert year.transaction_costs.tolist() == [3 * (2.0 + 3.0)]  # both contracts' admin


def test_a_settlement_is_spread_over_its_payees_cells_and_paid_by_the_commissioner() -> None:
    rule = PerHeadWithBonus(bonus=0.1)
    m = market(rule)
    year = year_state(m)
    YearEndSettlement(m).settle(year)
    assert [s.payee for s in rule.seen] == ["practices_a", "practices_b"]
    seen = rule.seen[0]
    assert (seen.year, seen.enrolees, seen.risk, seen.paid) == (1, 2.0, 2.8, 300.0)
    assert seen.counts["gp_consultation"] == 14.0 and seen.counts["emergency"] == 1.0
    assert seen.counts["bed_days"] == 8.0 and seen.quality == 0.6
    assert seen.cost == m.practices[0].cost
    assert (m.practices[0].revenue, m.practices[1].revenue) == pytest.approx((330.0, 165.0))
    # pro rata to what each patient was paid: both of locality a's were paid 150
    assert year.settlements.sum("gp_payment", locality=0, high_risk=1) == pytest.approx(15.0)
    assert year.settlements.sum("commissioner_payment") == pytest.approx(45.0)
    assert year.settlements.sum("hospital_payment") == 0.0
    assert m.commissioner.spend == pytest.approx(year.paid("commissioner_payment"))
    assert m.commissioner.spend == pytest.approx(3595.0)


def test_each_year_starts_with_no_settlements() -> None:
    m = market(PerHeadWithBonus(bonus=0.1))
    settlement, year = YearEndSettlement(m), year_state(m)
    settlement.settle(year)
    settlement.settle(year)  # the same year again: its settlements are not added twice
    assert year.settlements.sum("gp_payment") == pytest.approx(45.0)


class FakeICP:
    """What failures read of an ICP: its row in the books and its row of the plans."""

    def __init__(self, name: str, option: int, localities: list[int], books, is_open):
        self.name, self.option, self.localities = name, option, localities
        self.row, self.books, self.table, self.failed = option - 1, books, is_open, False

    reserves = property(
        lambda s: s.books.reserves[s.row], lambda s, v: s.books.reserves.__setitem__(s.row, v)
    )
    revenue = property(
        lambda s: s.books.revenue[s.row], lambda s, v: s.books.revenue.__setitem__(s.row, v)
    )
    is_open = property(lambda s: s.table[s.row], lambda s, v: s.table.__setitem__(s.row, v))


def test_an_insolvent_icp_closes_unless_it_is_the_last_option_left() -> None:
    """ICP 'wide' (localities 0 and 1) and 'local' (locality 1, without the default) both
    run out; 'wide' closes first, which leaves 'local' the only option in locality 1, so
    the commissioner covers its deficit rather than close it."""
    books, is_open = ProviderAccounts(), np.array([True, True])
    books.add_row(), books.add_row()
    books.reserves[:] = [-10.0, -4.0]
    wide = FakeICP("wide", 1, [0, 1], books, is_open)
    local = FakeICP("local", 2, [1], books, is_open)

    def available() -> np.ndarray:
        out = np.zeros((2, 3), dtype=bool)
        out[0, 0] = True  # the fragmented default, in locality 0 only
        out[:, 1], out[1, 2] = is_open[0], is_open[1]
        return out

    class Rescuer:
        def __init__(self) -> None:
            self.rescues: dict[str, float] = {}

        def rescue(self, payee: str, amount: float) -> None:
            self.rescues[payee] = amount

    ledger = Ledger(3, 2)
    keys = ledger.keys(
        np.array([2, 2]), np.array([1, 1]), np.array([20, 80]), np.array([1, 1]), np.array([0, 1])
    )
    ledger.add(keys, {"population": None, "commissioner_payment": np.array([300.0, 100.0])})
    m = Market(
        n_options=3,
        rules={},
        costs=None,
        behaviour=None,
        cost_parameters=None,
        practices=(),
        practice_localities=np.zeros(0, dtype=np.intp),
        trusts=(),
        trust_pairs=(np.zeros(0, dtype=np.intp),) * 2,
        icps=(wide, local),
        partnerships=type("Table", (), {"is_open": is_open})(),
        commissioner=Rescuer(),
        books=books,
        book_rows={"icps": np.array([0, 1])},
        fragmented_default=np.array([True, False]),
        available=available,
    )
    year = YearState(m, 1, ledger, SettlementLedger(3, 2), 0.5, np.zeros(3))
    close_failed_icps(year)
    assert (wide.is_open, wide.failed) == (False, True)
    assert (local.is_open, local.failed) == (True, False)
    assert m.commissioner.rescues == {"local": 4.0}
    assert (local.reserves, local.revenue) == (0.0, 4.0)
    assert year.settlements.sum("commissioner_payment", option=2, high_risk=0) == 3.0
    assert year.settlements.sum("commissioner_payment", option=2, high_risk=1) == 1.0
