"""The commissioner's market each year: re-tender, entry, rates, benefits, premiums, claw-back.

Planning (:mod:`sim.engine.planning`) asks :class:`CommissionerMarket`, before ICPs open,
to end the contracts that fail a re-tender and to admit entrants on the scenario's terms
(building on the ICPs' start years and the closures of :mod:`sim.engine.failures`); once
they are open, to set this year's rates (asking ICPs for bids where the rule takes them);
and once ICPs have planned, to have each set its extra benefits and, where the scenario
sets a top-up premium, its premium. Settlement (:mod:`sim.engine.settlement`) then pays
each ICP this year's rate less the top-up for each member, and claws back what the rule
takes (:func:`settle_rates`); members pay the ICP its premium. The metrics report the
margins, benefits, premiums and claw-backs (:func:`put_market_metrics`). With the
scenario's default ``[commissioner]`` none of this runs, so results stay as they were.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.engine.options import OptionTables
from sim.engine.state import YearState
from sim.providers.commissioner import Commissioner
from sim.providers.partnership_market import (
    bids,
    clawback_headroom,
    plan_benefits,
    premium_and_benefits,
)
from sim.providers.partnership_table import Partnerships
from sim.providers.rate_setting import ContractYear, standard_rates

MARKET_METRICS = (
    "icp_margin",
    "icp_benefits_per_capita",
    "icp_clawback_per_capita",
    "capitation_rate_ratio",
    "icp_premium_per_capita",
)
"""The metrics this module adds (group ``all`` only; reported only when the commissioner's
market rules are on, so scenarios without them write the rows they always did, and the
premium only where a scenario sets one)."""


def rival_icps(available: np.ndarray, icp_cells: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Each ICP's rival open ICPs: the most other open ICPs in any locality it serves.

    ``available`` is (localities, options), the fragmented default first; ``icp_cells`` the
    (ICP, locality) pairs it serves (:attr:`OptionTables.icp_cells`).
    """
    icp, loc = icp_cells
    n_icps = available.shape[1] - 1
    per_locality = available[:, 1:].sum(axis=1)
    others = per_locality[loc] - available[loc, icp + 1]
    out = np.zeros(n_icps)
    np.maximum.at(out, icp, others.astype(float))
    return out


class CommissionerMarket:
    """The commissioner's part in planning: re-tender, entry, rates and benefits."""

    def __init__(
        self, commissioner: Commissioner, partnerships: Partnerships, option_tables: OptionTables
    ):
        self.commissioner = commissioner
        self.partnerships = partnerships
        self.option_tables = option_tables

    @property
    def active(self) -> bool:
        return self.commissioner.terms.active

    def rivals(self) -> np.ndarray:
        return rival_icps(self.option_tables.available(), self.option_tables.icp_cells)

    def before_opening(self, year: int) -> None:
        """End the contracts that fail a re-tender due this year; defer entrants not admitted."""
        if self.active:
            self.retender(year)
            self.admit(year)

    def retender(self, year: int) -> None:
        """Every ``every_years`` years, end the contract of each open ICP whose margin last
        year was above ``max_margin`` or whose quality was below ``min_quality``.

        Its members choose again among the options still open, as when an ICP fails; an
        ICP that is the last option in one of its localities keeps its contract.
        """
        terms, last = self.commissioner.terms.retender, self.commissioner.last_year
        if terms.every_years == 0 or last is None or (year - 1) % terms.every_years:
            return
        table = self.partnerships
        margin = np.nan_to_num(last.margin(), nan=0.0)
        fails = table.is_open & ((margin > terms.max_margin) | (last.quality < terms.min_quality))
        icp, loc = self.option_tables.icp_cells
        for i in np.flatnonzero(fails).tolist():
            alternatives = self.option_tables.available()[loc[icp == i]].sum(axis=1) - 1
            if (alternatives >= 1).all():
                table.is_open[i] = False
                table.failed[i] = True

    def admit(self, year: int) -> None:
        """Under ``when_profitable`` entry, an ICP whose start year has come opens only once
        the open ICPs' pooled margin last year reached ``entry_margin``; else it waits."""
        terms, last = self.commissioner.terms.entry, self.commissioner.last_year
        if terms.rule == "scheduled" or last is None or not last.is_open.any():
            return
        table = self.partnerships
        due = ~table.is_open & ~table.failed & (table.start_year <= year)
        if due.any() and not last.pooled_margin() >= terms.entry_margin:
            table.start_year[due] = year + 1

    def set_rates(self) -> None:
        """This year's rates, from the years settled so far and, under bidding, ICPs' bids;
        each ICP then works out from its books what the claw-back leaves it to spend."""
        c, n = self.commissioner, len(self.partnerships)
        if not self.active:
            return
        current = c.rates if len(c.rates.pay) == n else standard_rates(n)
        rule = c.rate_setting
        offered = (
            bids(c.last_year, self.rivals(), c.terms.bidding) if rule.takes_bids else np.ones(n)
        )
        c.rates = rule.rates(c.history, current, offered)
        table = self.partnerships
        table.clawback_headroom[:], table.cost_spread[:] = clawback_headroom(
            c.history, c.rates, rule, table.quality_spend
        )

    def plan_benefits(self, rows: np.ndarray) -> None:
        """Each open ICP in ``rows`` sets this year's extra benefits and premium per member."""
        if not self.active:
            return
        c, table = self.commissioner, self.partnerships
        offered = plan_benefits(
            c.last_year, c.rates, c.rate_setting, self.rivals(), c.terms.benefits
        )
        table.benefits[:] = 0.0
        table.premium[:] = 0.0
        premium = c.terms.premium
        if premium.enabled:
            choice = self.option_tables.scenario.choice
            charged, offered = premium_and_benefits(
                offered, premium.top_up, choice.beta_premium, choice.beta_benefits
            )
            table.premium[rows] = charged[rows]
        table.benefits[rows] = offered[rows]


def settle_rates(year: YearState, cost: np.ndarray, enrolled: np.ndarray) -> np.ndarray:
    """Pay each open ICP this year's rate less the top-up premium for each member, claw
    back what the rule takes, and record the year; returns the top-up withheld per member.

    ``cost``: each ICP's cost this year (its extra benefits included), ``enrolled`` its
    member-years. What the contract's own rate paid as care happened is scaled to this
    year's rate, and the claw-back is taken from the revenue that leaves with the premiums
    members paid (``year.member_premiums``, set here), each as a settlement spread over the
    ICP's patients (so revenue read afterwards includes both); the top-up is withheld per
    head.
    """
    m = year.market
    c, table = m.commissioner, m.partnerships
    n, o = len(m.icps), table.option
    if not c.terms.active:
        year.member_premiums = np.zeros(n)
        return np.zeros(n)
    rates = c.rates if len(c.rates.pay) == n else standard_rates(n)
    is_open = table.is_open.copy()
    members = np.asarray(enrolled, dtype=float).copy()
    top_up = np.where(is_open & c.terms.premium.enabled, c.terms.premium.top_up, 0.0)
    withheld, premiums = top_up * members, np.where(is_open, table.premium, 0.0) * members
    base = year.ledger.option_sums(("commissioner_payment",))[0][o]
    adjust = np.where(is_open, (rates.pay - 1.0) * base, 0.0)
    revenue = year.paid_by_option("commissioner_payment")[o] + adjust - withheld + premiums
    clawback = np.where(is_open, c.rate_setting.claw_back(revenue, cost), 0.0)
    for i in np.flatnonzero(is_open & ((adjust != 0) | (clawback != 0))).tolist():
        year.settlements.spread(
            float(adjust[i] - clawback[i]),
            year.ledger,
            {"option": int(o[i])},
            ("commissioner_payment",),
        )
    if withheld.any():
        heads = year.ledger.table("population", (0, 1, 2, 3, 4))
        for i in np.flatnonzero(withheld != 0).tolist():
            where = {"option": int(o[i])}
            year.settlements.add(-float(withheld[i]), heads, where, ("commissioner_payment",))
    year.member_premiums = premiums
    benefits = table.benefits * enrolled
    c.history.append(
        ContractYear(
            year=year.year,
            is_open=is_open,
            enrolees=members,
            base_paid=base,
            cost=cost - benefits,
            benefits=benefits,
            revenue=revenue - clawback,
            clawback=clawback,
            quality=table.quality.copy(),
        )
    )
    return top_up


def put_market_metrics(
    year: YearState, names: Sequence[str], value: np.ndarray, defined: np.ndarray
) -> None:
    """Write :data:`MARKET_METRICS` into the year's (metric, system, group) grid, group
    ``all``: each ICP's system, and the open ICPs pooled as ``all``."""
    c = year.market.commissioner
    last = c.last_year
    if not c.terms.active or last is None or last.year != year.year:
        return
    o, is_open = year.market.partnerships.option, last.is_open
    members = last.enrolees
    has = is_open & (members > 0)
    index = {name: i for i, name in enumerate(names)}
    paid = last.base_paid[has].sum()
    rates = c.rates.pay if len(c.rates.pay) == len(o) else np.ones(len(o))

    def per_member(x: np.ndarray) -> tuple[np.ndarray, float]:
        each = np.divide(x, members, out=np.zeros(len(x)), where=has)
        total = float(members[has].sum())
        return each, float(x[has].sum()) / total if total > 0 else 0.0

    margin = last.margin()
    pooled_rate = float((rates * last.base_paid)[has].sum() / paid) if paid > 0 else 1.0
    for metric, (each, pooled), where in (
        ("icp_margin", (np.nan_to_num(margin), last.pooled_margin()), has & ~np.isnan(margin)),
        ("icp_benefits_per_capita", per_member(last.benefits), has),
        ("icp_clawback_per_capita", per_member(last.clawback), has),
        ("capitation_rate_ratio", (rates, pooled_rate), has),
        (
            "icp_premium_per_capita",
            per_member(year.member_premiums),
            has & c.terms.premium.enabled,
        ),
    ):
        k = index[metric]
        value[k, o, 0] = each
        defined[k, o, 0] = where
        value[k, -1, 0] = 0.0 if np.isnan(pooled) else pooled
        defined[k, -1, 0] = bool(where.any())
