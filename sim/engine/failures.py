"""Financial failure at year end: trusts in deficit follow the scenario's rule, a trust that
fails under the exit rule hands its patients to a successor, and an ICP whose reserves ran
out closes, unless its patients would have nowhere else to go."""

from __future__ import annotations

import numpy as np

from sim.engine.state import Market, YearState
from sim.providers.capacity import transfer_capacity


def resolve_trust_deficits(year: YearState) -> None:
    """Apply the scenario's rule (``[finance] trust_deficit``) to trusts whose reserves are
    below zero once the year's accounts are closed; sets ``year.trust_support`` and
    ``year.takeover_costs`` (GBP, by trust).

    * ``bail_out``: the commissioner pays in what the trust's reserves cannot cover, so they
      stand at zero (cash support to trusts in deficit, as in England: see
      :mod:`sim.config.finance_parameters`);
    * ``takeover``: a trust whose reserves fell below ``takeover_threshold`` of its revenue
      for the year is taken over: the commissioner writes its deficit off (reserves back to
      zero) and pays the takeover's cost; its patients and activity stay, under new
      management;
    * ``carry_forward``: nothing is paid; reserves stay negative.
    * ``exit``: deficits are carried forward; a trust whose reserves were below
      ``exit_threshold`` of its revenue at ``exit_years`` year ends in a row fails: the
      commissioner writes its deficit off (reserves back to zero) and it chooses a successor
      (:func:`choose_successor`), which takes over its localities from next year
      (:func:`hand_over_failed_trusts`). The last open trust cannot fail: its deficit is
      carried forward.

    What the commissioner pays is booked in its spend (:meth:`Commissioner.fund`) and in
    the trust's accounts as a transfer into reserves.
    """
    m = year.market
    finance = m.commissioner.finance
    rows = m.book_rows["trusts"]
    reserves, revenue = m.books.reserves[rows], m.books.revenue[rows]
    support, takeover = np.zeros(len(rows)), np.zeros(len(rows))
    if finance.trust_deficit == "bail_out":
        failing = reserves < 0
    elif finance.trust_deficit == "takeover":
        failing = reserves < -finance.takeover_threshold * np.maximum(revenue, 0.0)
        takeover[failing] = finance.takeover_cost_share * np.maximum(revenue[failing], 0.0)
    elif finance.trust_deficit == "exit":
        failing = _failing_trusts(m, reserves, revenue)
    else:
        failing = np.zeros(len(rows), dtype=bool)
    support[failing] = -reserves[failing]
    for k in np.flatnonzero(failing).tolist():
        m.books.transfer([rows[k]], [support[k]])
        m.commissioner.fund(m.trusts[k].name, float(support[k]), float(takeover[k]))
    year.trust_support, year.takeover_costs = support, takeover


def _failing_trusts(m: Market, reserves: np.ndarray, revenue: np.ndarray) -> np.ndarray:
    """Under the exit rule: which open trusts fail this year, each given its successor.

    Counts each open trust's year ends in a row below the threshold; those at ``exit_years``
    fail, in order, each only while another open trust is left to take its patients.
    """
    finance = m.commissioner.finance
    distress = reserves < -finance.exit_threshold * np.maximum(revenue, 0.0)
    failing = np.zeros(len(m.trusts), dtype=bool)
    for k, trust in enumerate(m.trusts):
        if trust.exited or trust.successor is not None:
            continue
        trust.years_in_distress = trust.years_in_distress + 1 if distress[k] else 0
        if trust.years_in_distress >= finance.exit_years:
            successor = choose_successor(m, k, reserves, revenue)
            if successor is not None:
                trust.successor, failing[k] = successor, True
    return failing


def choose_successor(m: Market, k: int, reserves: np.ndarray, revenue: np.ndarray) -> int | None:
    """The trust that takes over failing trust ``k``'s patients: of the trusts still open and
    not failing, the one with the largest reserves for its revenue (failed trusts' services
    have gone to strong neighbours, not the weakest); None when none is left."""
    candidates = [
        j for j, t in enumerate(m.trusts) if j != k and not t.exited and t.successor is None
    ]
    if not candidates:
        return None
    strength = [reserves[j] / max(float(revenue[j]), 1.0) for j in candidates]
    return candidates[int(np.argmax(strength))]


def hand_over_failed_trusts(m: Market) -> None:
    """At the start of a year, each trust that failed last year hands over to its successor.

    Every locality it served is served by the successor from now on (the patients stay in
    their localities and options, so nobody is lost), and ``capacity_transfer_share`` of its
    staffed capacity moves with them: the successor's capacity rises by what moved, the rest
    closes, and the successor's waits follow its combined demand (:mod:`sim.engine.waiting`).
    """
    if m.trust_host is None:
        return
    share = m.commissioner.finance.capacity_transfer_share
    for k, trust in enumerate(m.trusts):
        if trust.successor is None or trust.exited:
            continue
        successor = m.trusts[trust.successor]
        m.trust_host[m.trust_host == k] = trust.successor
        successor.staffed, trust.staffed = transfer_capacity(
            successor.staffed, trust.staffed, share
        )
        trust.exited = True


def close_failed_icps(year: YearState) -> None:
    """Close ICPs whose reserves ran out; the commissioner rescues a locality's last option.

    Members of a closed ICP choose again next year among the options still open, so
    nobody is left without care. Where an ICP is the only option left in one of its
    localities, closing it would leave patients with nowhere to go, so the commissioner
    covers its deficit instead (a settlement spread over its patients, booked as the ICP's
    revenue). ICPs are taken in order, each seeing the options left open by those before it.
    """
    m = year.market
    insolvent = m.partnerships.is_open & (m.books.reserves[m.book_rows["icps"]] < 0)
    for icp in (m.icps[i] for i in np.flatnonzero(insolvent)):
        alternatives = m.available()[icp.localities].sum(axis=1) - 1
        if (alternatives < 1).any():
            amount = -icp.reserves
            m.commissioner.rescue(icp.name, amount)
            year.settlements.spread(
                amount, year.ledger, {"option": icp.option}, ("commissioner_payment",)
            )
            m.books.add_revenue(icp.row, amount)  # its reserves back to zero
        else:
            icp.is_open = False
            icp.failed = True
