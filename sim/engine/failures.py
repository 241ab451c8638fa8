"""Financial failure at year end: trusts in deficit follow the scenario's rule, and an ICP
whose reserves ran out closes, unless its patients would have nowhere else to go."""

from __future__ import annotations

import numpy as np

from sim.engine.state import YearState


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
    else:
        failing = np.zeros(len(rows), dtype=bool)
    support[failing] = -reserves[failing]
    for k in np.flatnonzero(failing).tolist():
        m.books.transfer([rows[k]], [support[k]])
        m.commissioner.fund(m.trusts[k].name, float(support[k]), float(takeover[k]))
    year.trust_support, year.takeover_costs = support, takeover


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
