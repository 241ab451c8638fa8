"""Step 5 of the year: an ICP whose reserves ran out closes, unless its patients would
have nowhere else to go."""

from __future__ import annotations

import numpy as np

from sim.engine.state import YearState


def close_failed_icps(year: YearState) -> None:
    """Close ICPs whose reserves ran out; the commissioner rescues a locality's last option.

    Members of a closed ICP choose again next year among the options still open, so
    nobody is left without care. Where an ICP is the only option left in one of its
    localities, closing it would leave patients with nowhere to go, so the commissioner
    covers its deficit instead (a settlement spread over its patients). ICPs are taken in
    order, each seeing the options left open by those before it.
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
            icp.revenue += amount
            icp.reserves = 0.0
        else:
            icp.is_open = False
            icp.failed = True
