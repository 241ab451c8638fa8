"""Fragmentation: the share of a system's care spend, at national prices, that the
organisation its patients are registered with is not financially accountable for
(seed 001:371-372; seed 004 L1417-1423).

About 0.8 for practices beside tariff-paid hospitals, 0 for an ICP holding the whole
budget. Reported by :mod:`sim.engine.metrics`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.contracts.payment import NATIONAL_PRICES, PaymentRule
from sim.engine.state import Market, YearState

SPEND = {
    "gp_consultation": "gp_consultation",
    "outpatient": "outpatient",
    "elective": "elective",
    "emergency": "emergency_total",
    "ae": "ae",
}
"""Priced activity -> ledger quantity, for spend at national prices."""
SPEND_PRICES = np.array([NATIONAL_PRICES[a] for a in SPEND])
"""National price of each :data:`SPEND` activity, GBP."""


def _accountable_shares(rule: PaymentRule) -> list[float]:
    return [rule.accountable_share(a, price) for a, price in zip(SPEND, SPEND_PRICES, strict=True)]


class AccountableShares:
    """Each option's accountable share of each priced activity, kept while its terms hold.

    Fragmentation needs, every year, the share of each priced activity that the
    organisation patients are registered with bears itself: England asks 74 rules about 5
    activities. The answers change only with a rule's terms, so they are worked out when
    a rule is first seen and, each year, again only for rules whose terms follow a
    schedule (:attr:`~sim.contracts.payment.PaymentRule.has_schedule`). Rules are
    recognised by identity: a model that gave an option a new rule object would have its
    shares worked out afresh.
    """

    def __init__(self) -> None:
        self._holders: list[PaymentRule] = []
        self._share = np.zeros((len(SPEND), 0))
        self._scheduled: list[int] = []  # holders whose terms can change year by year
        self._year: int | None = None

    def __call__(self, holders: Sequence[PaymentRule], year: int) -> np.ndarray:
        """(activity, holder) shares for ``year``; read it, do not change it."""
        same = len(holders) == len(self._holders) and all(
            a is b for a, b in zip(holders, self._holders, strict=True)
        )
        if not same:
            self._holders = list(holders)
            self._share = (
                np.array([_accountable_shares(h) for h in holders])
                .reshape(len(holders), len(SPEND))
                .T.copy()
            )
            self._scheduled = [j for j, h in enumerate(holders) if h.has_schedule]
        elif year != self._year:
            for j in self._scheduled:
                self._share[:, j] = _accountable_shares(holders[j])
        self._year = year
        return self._share


def registered_holders(market: Market) -> list[PaymentRule]:
    """The rule paying the organisation each option's patients are registered with."""
    return [market.rules["gp"], *(icp.rule for icp in market.icps)]


def fragmentation(counts: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Fragmentation of each option, then of all, from (activity, option) counts and shares."""
    amount = SPEND_PRICES[:, None] * counts
    spend, accountable = amount.sum(axis=0), (amount * share).sum(axis=0)
    spend, accountable = np.append(spend, spend.sum()), np.append(accountable, accountable.sum())
    out = np.zeros_like(spend)
    np.divide(accountable, spend, out=out, where=spend > 0)
    return np.where(spend > 0, 1.0 - out, 0.0)


def fragmentation_by_system(year: YearState, shares: AccountableShares | None = None) -> np.ndarray:
    """Fragmentation of every option, then of all options together, in ``year``.

    ``shares`` keeps the rules' accountable shares from year to year (a model's
    :class:`~sim.engine.metrics_log.MetricsLog` holds one); without it they are worked out now.
    """
    counts = year.ledger.option_margins(list(SPEND.values()))[:, :-1, -1, -1, -1]
    shares = shares if shares is not None else AccountableShares()
    return fragmentation(counts, shares(registered_holders(year.market), year.year))
