"""Where the year's money went: each kind of provider's books, the commissioner's spend, and
what the care cost to deliver.

Two totals per head are reported side by side:

* ``cost_per_capita``: what the commissioner spent - its contract payments (settlements
  and rescues included), what it paid trusts in deficit (bail-outs, takeovers' write-offs
  and costs) and the transaction costs it bore itself (running and procuring contracts);
* ``resource_cost_per_capita``: what the care cost the providers that delivered it, at
  their own costs (a virtual ICP's payments to trusts are replaced by what the trusts
  spent), plus every transaction cost (the commissioner's, and the ICPs' running costs
  already in their books) and the cost of any takeover.

Their difference is the providers' surpluses plus what the commissioner paid into trusts'
reserves, less any top-up premiums ICP members paid (in the ICPs' revenue, never the
commissioner's spend), so a regime that pays a fixed capitation reports one commissioner spend
whatever the care, but its resource cost follows the care delivered.

:func:`system_books` totals the books by system (each option, then ``all``) and
:func:`put_money_metrics` writes the metrics into the year's grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.engine.discharge import pooled_by_option
from sim.engine.state import YearState

MONEY_METRICS = (
    "resource_cost_per_capita",
    "commissioner_transaction_costs_per_capita",
    "trust_revenue_per_capita",
    "trust_cost_per_capita",
    "trust_surplus_per_capita",
    "trust_support_per_capita",
    "trust_reserves",
    "practice_revenue_per_capita",
    "practice_cost_per_capita",
    "practice_surplus_per_capita",
    "practice_reserves",
    "icp_revenue_per_capita",
    "icp_cost_per_capita",
    "icp_surplus_per_capita",
    "icp_reserves",
    "icp_quality_effort_per_capita",
    "icp_running_costs_per_capita",
    "icp_rescue_per_capita",
)
"""The metrics this module adds (group ``all`` only), in the order of the metric list."""


@dataclass(frozen=True)
class SystemBooks:
    """The year's GBP by system (each option, then ``all``), from the providers' books.

    Trusts are split between the systems whose patients they treat (by the cells they are
    paid for); their support (bail-outs, write-offs) and takeover costs follow their
    revenue. ``all`` totals each kind's books directly.
    """

    trust_revenue: np.ndarray
    trust_cost: np.ndarray
    trust_support: np.ndarray  # paid into trusts' reserves by the commissioner
    takeover_costs: np.ndarray
    practice_revenue: np.ndarray
    practice_cost: np.ndarray
    icp_revenue: np.ndarray
    icp_cost: np.ndarray
    icp_purchases: np.ndarray  # what ICPs paid trusts: in their cost, and trusts' revenue
    commissioner_transaction_costs: np.ndarray
    icp_running_costs: np.ndarray  # transaction costs the ICPs bore (in their cost)
    icp_quality_effort: np.ndarray  # what ICPs spent on quality effort (in their cost)
    icp_rescues: np.ndarray  # deficits of a locality's last option covered (in their revenue)
    pooled_to_social_care: np.ndarray  # health money a pool spent on social care (care bought)
    member_premiums: np.ndarray  # what ICP members paid their ICP (in its revenue)

    @property
    def commissioner_spend(self) -> np.ndarray:
        """Contract payments, support to trusts, takeovers and the commissioner's
        transaction costs (what providers received less what members paid them)."""
        paid = self.practice_revenue + self.icp_revenue + self.trust_revenue - self.icp_purchases
        return paid - self.member_premiums + self.commissioner_extra

    @property
    def commissioner_extra(self) -> np.ndarray:
        """What the commissioner spent beyond its contract payments."""
        extra = self.commissioner_transaction_costs + self.trust_support + self.takeover_costs
        return extra + self.pooled_to_social_care

    @property
    def resource_cost(self) -> np.ndarray:
        """Care at providers' own costs (social care a pool bought with health money
        included), plus transaction and takeover costs."""
        care = self.trust_cost + self.practice_cost + self.icp_cost - self.icp_purchases
        care = care + self.pooled_to_social_care
        return care + self.commissioner_transaction_costs + self.takeover_costs


def _by_system(by_option: np.ndarray, total: float) -> np.ndarray:
    return np.append(by_option, total)


def _sum(values: np.ndarray) -> float:
    """Added left to right, as the books' own totals are."""
    return float(sum(np.asarray(values, dtype=float).tolist()))


def system_books(year: YearState) -> SystemBooks:
    """Each kind's revenue and cost, and the commissioner's extra spend, by system."""
    m = year.market
    n_opt, books, rows = m.n_options, m.books, m.book_rows
    option, locality = m.trust_pairs
    paid = year.paid_pairs("hospital_payment", option, locality)
    spent = year.trust_costs if len(year.trust_costs) == len(option) else np.zeros(len(option))

    def trusts(per_pair: np.ndarray, total: float) -> np.ndarray:
        return _by_system(np.bincount(option, per_pair, minlength=n_opt), total)

    # each trust's support and takeover cost, split over its cells pro rata to its revenue
    n_trusts = len(rows["trusts"])
    support = _padded(year.trust_support, n_trusts)
    takeover = _padded(year.takeover_costs, n_trusts)
    host = m.trust_hosts()[locality]  # the trust serving each cell
    trust_paid = np.bincount(host, paid, minlength=n_trusts)
    first = np.zeros(len(option), dtype=bool)
    first[np.unique(host, return_index=True)[1]] = True  # each trust's first cell
    weight = np.where(
        trust_paid[host] > 0,
        np.divide(paid, trust_paid[host], out=np.zeros(len(option)), where=trust_paid[host] > 0),
        first.astype(float),
    )

    icp_rows, icp_option = rows["icps"], m.partnerships.option

    def icps(column: np.ndarray) -> np.ndarray:
        out = np.zeros(n_opt)
        out[icp_option] = column[icp_rows]
        return _by_system(out, _sum(column[icp_rows]))

    purchases = np.zeros(n_opt)
    purchases[icp_option] = year.paid_by_option("hospital_payment")[icp_option]
    # quality effort is planned per enrolee; a closed ICP has none
    enrolled = year.ledger.option_sums(("population",))[0]
    effort = np.zeros(n_opt)
    effort[icp_option] = m.partnerships.quality_spend * enrolled[icp_option]
    rescued = np.zeros(n_opt)
    rescued[icp_option] = [m.commissioner.rescues.get(icp.name, 0.0) for icp in m.icps]
    practice = rows["practices"]

    def practices(column: np.ndarray) -> np.ndarray:
        """All practices belong to the fragmented default (the first option)."""
        out = np.zeros(n_opt)
        out[0] = _sum(column[practice])
        return _by_system(out, out[0])

    commissioner = _padded(year.commissioner_transaction_costs, n_opt)
    pooled = np.zeros(n_opt)
    if year.social_care is not None:
        pooled = pooled_by_option(year.ledger, year.social_care, n_opt)
    all_costs = _padded(year.transaction_costs, n_opt)
    premiums = np.zeros(n_opt)
    premiums[icp_option] = _padded(year.member_premiums, len(icp_option))
    return SystemBooks(
        trust_revenue=trusts(paid, _sum(books.revenue[rows["trusts"]])),
        trust_cost=trusts(spent, _sum(books.cost[rows["trusts"]])),
        trust_support=trusts(weight * support[host], _sum(support)),
        takeover_costs=trusts(weight * takeover[host], _sum(takeover)),
        practice_revenue=practices(books.revenue),
        practice_cost=practices(books.cost),
        icp_revenue=icps(books.revenue),
        icp_cost=icps(books.cost),
        icp_purchases=_by_system(purchases, _sum(purchases)),
        commissioner_transaction_costs=_by_system(commissioner, _sum(commissioner)),
        icp_running_costs=_by_system(all_costs - commissioner, _sum(all_costs - commissioner)),
        icp_quality_effort=_by_system(effort, _sum(effort)),
        icp_rescues=_by_system(rescued, _sum(rescued)),
        pooled_to_social_care=_by_system(
            pooled, 0.0 if year.social_care is None else _sum(year.social_care.pooled_transfer)
        ),
        member_premiums=_by_system(premiums, _sum(premiums[icp_option])),
    )


def premiums_by_cell(year: YearState, population: np.ndarray) -> np.ndarray | None:
    """GBP ICP members paid their ICPs in top-up premiums by (system, group), ``all`` last;
    None where the scenario sets no premium. ``population``: enrolees by (system, group).

    An ICP charges every member the same premium (``Partnerships.premium``; none where it
    did not run), so each group of its members paid that premium a head; the fragmented
    default charges none.
    """
    if not year.market.commissioner.terms.premium.enabled:
        return None
    icps = year.market.partnerships
    out = np.zeros(population.shape)
    out[icps.option] = icps.premium[:, None] * population[icps.option]
    out[-1] = out[:-1].sum(axis=0)
    return out


def _padded(values: np.ndarray, n: int) -> np.ndarray:
    """``values``, or zeros where a year-end step has not set them (a year not settled)."""
    return values if len(values) == n else np.zeros(n)


def put_money_metrics(
    year: YearState,
    names: Sequence[str],
    value: np.ndarray,
    defined: np.ndarray,
    population: np.ndarray,
) -> None:
    """Write the money metrics into the year's (metric, system, group) grid.

    Adds the commissioner's spend beyond contract payments (spread per head within each
    system) to ``cost_per_capita`` in every group, and writes :data:`MONEY_METRICS` for
    group ``all``. ``population``: enrolees by (system, group).
    """
    b = system_books(year)
    m = year.market
    n = population[:, 0]
    has = n > 0
    index = {name: i for i, name in enumerate(names)}

    def per_head(total: np.ndarray) -> np.ndarray:
        return np.divide(total, n, out=np.zeros(len(n)), where=has)

    cost = index["cost_per_capita"]
    extra = per_head(b.commissioner_extra)
    value[cost] += np.where(population > 0, extra[:, None], 0.0)

    systems = np.ones(len(n), dtype=bool)
    fragmented = np.zeros(len(n), dtype=bool)
    fragmented[[0, -1]] = len(m.book_rows["practices"]) > 0
    icp = np.zeros(len(n), dtype=bool)
    icp[m.partnerships.option] = True
    icp[-1] = len(m.book_rows["icps"]) > 0
    market = np.zeros(len(n), dtype=bool)
    market[-1] = True
    books, rows = m.books, m.book_rows
    practice_reserves = _sum(books.reserves[rows["practices"]])
    icp_reserves = np.zeros(len(n))
    icp_reserves[m.partnerships.option] = books.reserves[rows["icps"]]
    icp_reserves[-1] = _sum(books.reserves[rows["icps"]])
    for metric, x, where in (
        ("resource_cost_per_capita", per_head(b.resource_cost), has),
        (
            "commissioner_transaction_costs_per_capita",
            per_head(b.commissioner_transaction_costs),
            has,
        ),
        ("trust_revenue_per_capita", per_head(b.trust_revenue), has),
        ("trust_cost_per_capita", per_head(b.trust_cost), has),
        ("trust_surplus_per_capita", per_head(b.trust_revenue - b.trust_cost), has),
        ("trust_support_per_capita", per_head(b.trust_support + b.takeover_costs), has),
        ("trust_reserves", _sum(books.reserves[rows["trusts"]]), market),
        ("practice_revenue_per_capita", per_head(b.practice_revenue), has & fragmented),
        ("practice_cost_per_capita", per_head(b.practice_cost), has & fragmented),
        (
            "practice_surplus_per_capita",
            per_head(b.practice_revenue - b.practice_cost),
            has & fragmented,
        ),
        ("practice_reserves", practice_reserves, fragmented & systems),
        ("icp_revenue_per_capita", per_head(b.icp_revenue), has & icp),
        ("icp_cost_per_capita", per_head(b.icp_cost), has & icp),
        ("icp_surplus_per_capita", per_head(b.icp_revenue - b.icp_cost), has & icp),
        ("icp_reserves", icp_reserves, icp),
        ("icp_quality_effort_per_capita", per_head(b.icp_quality_effort), has & icp),
        ("icp_running_costs_per_capita", per_head(b.icp_running_costs), has & icp),
        ("icp_rescue_per_capita", per_head(b.icp_rescues), has & icp),
    ):
        value[index[metric], :, 0] = x
        defined[index[metric], :, 0] = where
