"""Step 4 of the year: settle every contract, then book each provider's revenue and cost.

The ledger sums what patients brought in as care happened. Contracts settle after the
year: withholds paid on quality, shared savings, corridors, marginal rates above a
baseline, block reconciliations. Each settlement is spread over the cells of the patients
it concerns (:class:`~sim.engine.settlement_ledger.SettlementLedger`), so revenue read
afterwards includes it.

:class:`YearEndSettlement` reads a :class:`~sim.engine.state.YearState` (never the model)
and writes the year's settlements and transaction costs into it, and each provider's
accounts and each ICP's expectations into the providers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from sim.contracts.payment import Settlement
from sim.engine.failures import resolve_trust_deficits
from sim.engine.market import settle_rates
from sim.engine.provider_costs import hospital_counts, icp_care_costs, trust_costs
from sim.engine.provider_costs import transaction_costs as count_transaction_costs
from sim.engine.settlement_ledger import SETTLED
from sim.engine.state import Market, YearState

HIGH_RISK_COUNTS = ("acsc", "emergency", "bed_days")
"""Ledger counts of an ICP's high-risk enrolees its expectations follow."""
SUMMED = (
    "population",
    "risk",
    "age_sex_risk",
    "gp_consultation",
    "outpatient",
    "elective",
    "ae",
    "emergency_total",
    "acsc",
    "readmission",
    "bed_days",
    *SETTLED,
)
"""Ledger quantities a settlement reads, looked up together for each payee's cells."""


def group_members(groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Each group's member indices as a row, padded with -1: see :func:`group_sums`."""
    out = np.full((len(groups), max(map(len, groups), default=0)), -1, dtype=np.intp)
    for row, group in zip(out, groups, strict=True):
        row[: len(group)] = group
    return out


def group_sums(values: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Each group's total of ``values`` (``members`` from :func:`group_members`), added left
    to right.

    That is the order a loop over the members adds in; numpy's own sums pair terms up,
    which rounds differently. Padding adds zero.
    """
    padded = np.append(values, 0.0)
    total = np.zeros(len(members))
    for column in members.T:
        total += padded[column]
    return total


class YearEndSettlement:
    """Settles a market's contracts each year and books its providers (``model.settlement``).

    England has hundreds of providers, so each step reads its sums for all of them at once
    (as arrays over practices, trust cells or ICPs) and the loops left only set each
    provider's accounts; a contract is settled payee by payee only where its rule has
    year-end terms (:attr:`sim.contracts.payment.PaymentRule.has_settlement`).
    """

    def __init__(self, market: Market):
        self.market = market

    # ------------------------------------------------------------------ structure
    # Who is paid for which cells is fixed once the providers exist (as market.trust_pairs is);
    # each is worked out at the first settlement, once contracts have begun their first year.

    @cached_property
    def _practice_names(self) -> list[str]:
        return [p.name for p in self.market.practices]

    @cached_property
    def _icp_names(self) -> list[str]:
        return [icp.name for icp in self.market.icps]

    @cached_property
    def _trust_names(self) -> list[str]:
        return [t.name for t in self.market.trusts]

    @property
    def _trust_members(self) -> np.ndarray:
        """Each trust's positions in ``market.trust_pairs`` (those of the localities it serves:
        its own, and any a failed trust handed it), in pair order."""
        host = self.market.trust_hosts()[self.market.trust_pairs[1]]
        if getattr(self, "_members_of", (None,))[0] != host.tobytes():
            members = group_members(
                [np.flatnonzero(host == k).tolist() for k in range(len(self.market.trusts))]
            )
            self._members_of = (host.tobytes(), members)
        return self._members_of[1]

    @cached_property
    def _trust_pair_position(self) -> dict[tuple[int, int], int]:
        cells = zip(*(c.tolist() for c in self.market.trust_pairs), strict=True)
        return {cell: k for k, cell in enumerate(cells)}

    @cached_property
    def _icp_settled(self) -> np.ndarray:
        """Whether each ICP's contract has year-end terms (a rule's terms are its type's)."""
        return np.array([icp.rule.has_settlement for icp in self.market.icps], dtype=bool)

    @cached_property
    def _icp_running_cost(self) -> np.ndarray:
        """GBP per enrolee-year of running each ICP and its contracts."""
        return np.array(
            [
                icp.rule.admin_cost_per_head
                + icp.management_cost
                + (0.0 if icp.vertical else icp.purchase_rule.admin_cost_per_head)
                for icp in self.market.icps
            ]
        )

    @cached_property
    def _icp_localities(self) -> np.ndarray:
        return group_members([icp.localities for icp in self.market.icps])

    # ------------------------------------------------------------------ 4. settlement

    def settle(self, year: YearState) -> None:
        """Settle every contract for the year, then book each provider's revenue and cost.

        Order: what virtual ICPs owe trusts; practices and trusts (the commissioner's
        fragmented contracts); then ICPs, whose costs include what they paid trusts.
        Each step's settlements are spread over the cells before its providers' revenue is
        read, so revenue includes them. Sets ``year.transaction_costs`` and the part the
        commissioner bears, and ``year.trust_costs``; last, trusts left in deficit follow the
        scenario's rule (:func:`~sim.engine.failures.resolve_trust_deficits`).
        """
        m = self.market
        year.settlements.reset()
        self._trust_costs = trust_costs(m, year)
        self._settle_icp_hospital_contracts(year)
        payments = self._settle_practices(year)
        payments.update(self._settle_trusts(year))
        population = year.ledger.locality_sums(("population",))[0]
        residents = group_sums(population, self._icp_localities)
        payments.update(self._settle_icps(year, residents))
        m.commissioner.record(payments)
        if year.social_care is not None:  # health money a pooled budget spent on social care
            m.commissioner.pool(sum(year.social_care.pooled_transfer.tolist()))
        year.transaction_costs = count_transaction_costs(m, year, residents, self._icp_running_cost)
        year.trust_costs = self._trust_costs
        year.commissioner_transaction_costs = self._commissioner_share(year, residents)
        m.commissioner.bear_transaction_costs(sum(year.commissioner_transaction_costs.tolist()))
        resolve_trust_deficits(year)

    def _settle_icp_hospital_contracts(self, year: YearState) -> None:
        """What each open virtual ICP owes each of its localities' trusts at year end."""
        m, table = self.market, self.market.partnerships
        for i in np.flatnonzero(table.is_open & ~table.vertical).tolist():
            icp = m.icps[i]
            if not icp.purchase_rule.has_settlement:
                continue
            for li in icp.localities:
                where = {"option": icp.option, "locality": li}
                sums = self._sums(year, **where)
                s = self._settlement(
                    year,
                    m.trusts[li].name,
                    sums,
                    sums["hospital_payment"],
                    self._trust_cost(icp.option, li),
                    icp.quality,
                )
                amount = m.commissioner.settle(f"icp_hospital/{icp.name}", icp.purchase_rule, s)
                year.settlements.spread(amount, year.ledger, where, ("hospital_payment",))

    def _settle_practices(self, year: YearState) -> dict[str, float]:
        """The GP contract: settle each practice, then book them all; returns what each was paid.

        A practice's cost is its consultations plus its engaged share's prevention.
        """
        m = self.market
        L, rule = year.ledger, m.rules["gp"]
        practices, li = m.practices, m.practice_localities
        default = np.zeros_like(li)
        high_risk = L.pair_sums(("population",), default, li, high_risk=1)[0].tolist()
        patients = L.pair_sums(("population",), default, li)[0].tolist()
        cost = (
            L.pair_sums(("gp_consultation",), default, li)[0] * m.costs.gp_consultation
            + [
                p.own_costs(n, everyone)
                for p, n, everyone in zip(practices, high_risk, patients, strict=True)
            ]
        ).tolist()
        if rule.has_settlement:
            for practice, c in zip(practices, cost, strict=True):
                where = {"option": 0, "locality": practice.locality}
                sums = self._sums(year, **where)
                s = self._settlement(
                    year,
                    practice.name,
                    sums,
                    sums["gp_payment"],
                    c,
                    float(year.default_quality[practice.locality]),
                )
                amount = m.commissioner.settle("gp", rule, s)
                year.settlements.spread(
                    amount, year.ledger, where, ("gp_payment", "commissioner_payment")
                )
        revenue = year.paid_pairs("gp_payment", default, li)
        m.books.book(m.book_rows["practices"], revenue, cost)
        for practice, paid, n in zip(practices, revenue.tolist(), patients, strict=True):
            practice.revenue_per_patient = paid / n if n > 0 else math.nan
        return dict(zip(self._practice_names, revenue.tolist(), strict=True))

    def _settle_trusts(self, year: YearState) -> dict[str, float]:
        """The hospital contract: settle each trust for the fragmented default, then book them.

        A trust's revenue is what every contract paying it paid (the default's and virtual
        ICPs', settlements included); returns what the default paid each.
        """
        m = self.market
        rule = m.rules["hospital"]
        if rule.has_settlement:
            for trust in m.trusts:
                li = trust.locality
                if not m.fragmented_default[li]:
                    continue
                where = {"option": 0, "locality": li}
                sums = self._sums(year, **where)
                s = self._settlement(
                    year,
                    trust.name,
                    sums,
                    sums["hospital_payment"],
                    self._trust_cost(0, li),
                    float(year.default_quality[li]),
                )
                amount = m.commissioner.settle("hospital", rule, s)
                year.settlements.spread(
                    amount, year.ledger, where, ("hospital_payment", "commissioner_payment")
                )
        paid = year.paid_pairs("hospital_payment", *m.trust_pairs)
        m.books.book(
            m.book_rows["trusts"],
            group_sums(paid, self._trust_members),
            group_sums(self._trust_costs, self._trust_members),
        )
        default_paid = np.where(m.trust_pairs[0] == 0, paid, 0.0)
        by_default = group_sums(default_paid, self._trust_members).tolist()
        # each trust's default patients: those of every locality it serves (its successor's
        # too, once a trust has exited)
        default_patients = year.ledger.table("population", keep=(0, 1))[0]
        patients = np.bincount(m.trust_hosts(), weights=default_patients, minlength=len(m.trusts))
        for trust, amount, n in zip(m.trusts, by_default, patients.tolist(), strict=True):
            trust.revenue_per_patient = amount / n if n > 0 else math.nan
        return dict(zip(self._trust_names, by_default, strict=True))

    def _settle_icps(self, year: YearState, residents: np.ndarray) -> dict[str, float]:
        """Each open ICP's contract, then its books and expectations; returns what each was paid.

        An ICP's cost is its care (:func:`~sim.engine.provider_costs.icp_care_costs`) plus
        its own spending (``residents``: its area's population); one not yet open, or
        closed, has no patients, so no revenue or cost this year.
        """
        m = self.market
        L, b, icps, o = year.ledger, m.behaviour, m.icps, m.partnerships.option
        care = icp_care_costs(m, year)  # (high-risk flag, ICP)
        enrolees = np.stack([L.option_sums(("population",), hr)[0][o] for hr in (0, 1)])
        care_total, enrolled = care[0] + care[1], enrolees[0] + enrolees[1]
        table = m.partnerships
        cost = care_total + table.own_costs(enrolled, enrolees[1], residents)
        for i in np.flatnonzero(table.is_open & self._icp_settled).tolist():
            icp = icps[i]
            sums = self._sums(year, option=icp.option)
            s = self._settlement(
                year,
                icp.name,
                sums,
                sums["commissioner_payment"],
                float(cost[i]),
                icp.quality,
                icp.peer_quality,
            )
            amount = m.commissioner.settle(icp.config.contract, icp.rule, s)
            year.settlements.spread(
                amount, year.ledger, {"option": icp.option}, ("commissioner_payment",)
            )
        # the commissioner's rate this year, less any top-up premium, and claw-back
        top_up = settle_rates(year, cost, enrolled)
        paid = year.paid_by_option("commissioner_payment")[o]
        revenue = paid + year.member_premiums  # what members paid it, with a premium
        first_paid = L.option_sums(("commissioner_payment",))[0][o]  # seeds reserves
        # its high-risk enrolees': revenue, care cost, number, then HIGH_RISK_COUNTS (rows);
        # it expects the whole top-up, as it plans what it passes on to members from there
        high_risk = np.vstack(
            [
                year.paid_by_option("commissioner_payment", 1)[o] + top_up * enrolees[1],
                care[1],
                enrolees[1],
                L.option_sums(HIGH_RISK_COUNTS, 1)[:, o],
            ]
        )
        books, rows = m.books, m.book_rows["icps"]
        is_open = np.flatnonzero(table.is_open)
        first = is_open[(table.years_active[is_open] == 0) & (books.reserves[rows[is_open]] == 0.0)]
        booked = np.zeros((2, len(icps)))  # revenue and cost; none for an ICP not open
        booked[0, is_open] = revenue[is_open]
        booked[1, is_open] = cost[is_open]
        table.years_active[is_open] += 1  # another year run
        expected = (paid + top_up * enrolled)[is_open]
        table.update_expectations(
            is_open, expected, care_total[is_open], enrolled[is_open], high_risk[:, is_open]
        )
        books.book(rows, *booked)
        # an ICP opens with capital from its owners: a transfer into reserves, not revenue
        books.transfer(rows[first], b.initial_reserves_share * first_paid[first])
        return dict(zip(self._icp_names, paid.tolist(), strict=True))

    def _commissioner_share(self, year: YearState, residents: np.ndarray) -> np.ndarray:
        """The year's transaction costs the commissioner bears, by option: all of them less
        the running and fixed costs each open ICP pays itself (booked in its own cost)."""
        table = self.market.partnerships
        population = year.ledger.option_sums(("population",))[0]
        own = table.management_cost * population[table.option]
        own = own + np.where(table.is_open, table.fixed_cost_per_resident, 0.0) * residents
        out = year.transaction_costs.copy()
        out[table.option] -= own
        return out

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _sums(year: YearState, **where) -> dict[str, float]:
        """Ledger sums of :data:`SUMMED` in the cells ``where``, in one lookup."""
        return dict(zip(SUMMED, year.ledger.sums(SUMMED, **where), strict=True))

    @staticmethod
    def _settlement(
        year: YearState,
        payee: str,
        sums: dict[str, float],
        paid: float,
        cost: float,
        quality: float,
        peer_quality: float | None = None,
    ) -> Settlement:
        """What a contract's ``settle`` sees of one payee's year (``sums``: see :meth:`_sums`)."""
        counts, bed_days = hospital_counts(sums)
        counts.update(
            gp_consultation=sums["gp_consultation"],
            acsc=sums["acsc"],
            readmission=sums["readmission"],
            bed_days=bed_days,
        )
        return Settlement(
            payee=payee,
            year=year.year,
            enrolees=sums["population"],
            risk=sums["risk"],
            age_sex_risk=sums["age_sex_risk"],
            counts=counts,
            paid=paid,
            cost=cost,
            quality=quality,
            peer_quality=peer_quality,
        )

    def _trust_cost(self, option: int, locality: int) -> float:
        """What the trust spends on an option's patients (less care made in the community)."""
        return float(self._trust_costs[self._trust_pair_position[option, locality]])
