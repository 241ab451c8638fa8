"""Year-end contract settlements, kept beside the ledger of the year's per-patient payments.

The ledger sums what patients brought in as care happened. Contracts settle after the
year: withholds paid on quality, shared savings, corridors, marginal rates above a
baseline, block reconciliations and rescues. Each settlement is spread over the cells
of the patients it concerns (pro rata to what they were paid, or per head), so cost per
head by age and deprivation includes it, and the commissioner's spend always equals what
its payees received.

:class:`SettlementBook` holds those amounts; :class:`YearEndAccounts` works out the
settlements and books each provider's revenue and cost, in the order
:meth:`sim.engine.model.ICSModel.step` gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from sim.contracts.base import SELF_PROVIDED
from sim.contracts.payment import Settlement
from sim.engine.ledger import cell_margins

if TYPE_CHECKING:
    from sim.engine.model import ICSModel

SETTLED = ("commissioner_payment", "gp_payment", "hospital_payment")
"""Ledger quantities a settlement can add to."""
HIGH_RISK_COUNTS = ("acsc", "emergency", "bed_days")
"""Ledger counts of an ICP's high-risk enrolees its expectations follow."""
SUMMED = (
    "population",
    "risk",
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


class SettlementBook:
    """Settlement amounts by (option, locality, age band, IMD quintile, high-risk) cell."""

    def __init__(self, n_options: int, n_localities: int):
        self.shape = (n_options, n_localities, 2, 5, 2)
        self.data = {q: np.zeros(self.shape) for q in SETTLED}
        self.empty = True  # nothing settled yet: every sum is zero

    def reset(self) -> None:
        """Start a new year; a book nothing was added to is already clear (England's, 5 MB)."""
        if not self.empty:
            self.data = {q: np.zeros(self.shape) for q in SETTLED}
            self.empty = True

    @staticmethod
    def select(option=None, locality=None, age=None, imd=None, high_risk=None) -> tuple:
        """The cell selection for keyword filters, as :meth:`sim.engine.ledger.Ledger.sum` takes them."""
        return tuple(
            slice(None) if v is None else v for v in (option, locality, age, imd, high_risk)
        )

    def add(
        self, amount: float, weights: np.ndarray, where: dict, quantities: tuple[str, ...]
    ) -> None:
        """Spread ``amount`` over the cells in ``where`` in proportion to ``weights``."""
        if amount == 0:
            return
        mask = np.zeros(self.shape, dtype=bool)
        mask[self.select(**where)] = True
        w = np.where(mask, np.maximum(weights, 0.0), 0.0)
        if w.sum() <= 0:
            return
        self.empty = False
        for q in quantities:
            self.data[q] += amount * w / w.sum()

    def sum(self, quantity: str, **where) -> float:
        if self.empty:
            return 0.0
        return float(self.data[quantity][self.select(**where)].sum())

    def pair_sums(self, quantity: str, option: np.ndarray, locality: np.ndarray) -> np.ndarray:
        """:meth:`sum` in each (option, locality) pair given, at once: (pair,).

        Each row of cells is summed as :meth:`sum` sums it, so totals agree to the bit.
        """
        if self.empty:
            return np.zeros(len(option))
        cells = self.data[quantity][option, locality]
        return cells.reshape(len(cells), np.prod(self.shape[2:])).sum(axis=1)

    def option_sums(self, quantity: str, high_risk: int | None = None) -> np.ndarray:
        """:meth:`sum` by option (of patients with that high-risk flag, if given): (option,)."""
        if self.empty:
            return np.zeros(self.shape[0])
        cells = self.data[quantity]
        if high_risk is not None:
            cells = cells[..., high_risk]
        return cells.reshape(self.shape[0], -1).sum(axis=1)

    def option_margins(self, quantities: Sequence[str]) -> np.ndarray:
        """Sums by (option, age band, IMD quintile), over localities and high-risk flags.

        Shaped as :meth:`sim.engine.ledger.Ledger.option_margins` without its high-risk axis: every
        option together last, and an 'all' entry last on the age and IMD axes.
        """
        n_opt, n_loc = self.shape[:2]
        if self.empty:
            return np.zeros((len(quantities), n_opt + 1, 3, 6))
        cells = np.stack([self.data[q].reshape(n_opt, n_loc, -1).sum(axis=1) for q in quantities])
        cells = np.concatenate([cells, cells.sum(axis=1, keepdims=True)], axis=1)
        return cell_margins(cells)[..., -1]


def _hospital_counts(sums: dict[str, float]) -> tuple[dict[str, float], float]:
    """Hospital activity counts (all emergency spells together) and bed days from ledger sums."""
    counts = {a: sums[a] for a in ("outpatient", "elective", "ae")}
    counts["emergency"] = sums["emergency_total"]
    return counts, sums["bed_days"]


def _members(groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Each group's member indices as a row, padded with -1: see :func:`_group_sums`."""
    out = np.full((len(groups), max(map(len, groups), default=0)), -1, dtype=np.intp)
    for row, group in zip(out, groups, strict=True):
        row[: len(group)] = group
    return out


def _group_sums(values: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Each group's total of ``values`` (``members`` from :func:`_members`), added left to right.

    That is the order a loop over the members adds in; numpy's own sums pair terms up,
    which rounds differently. Padding adds zero.
    """
    padded = np.append(values, 0.0)
    total = np.zeros(len(members))
    for column in members.T:
        total += padded[column]
    return total


class YearEndAccounts:
    """Steps 4 and 5 of a model's year: settle the contracts, book the providers, close failures.

    Kept apart from :class:`sim.engine.model.ICSModel`, which calls it, so that the model reads as
    set-up, planning and the patients' pass. It reads the year's ledger, providers and
    rules from the model and writes the settlement book (``model.accounts``), each
    provider's books, ICPs' expectations and ``model.transaction_costs``.

    England has hundreds of providers, so each step reads its sums for all of them at once
    (as arrays over practices, trust cells or ICPs) and the loops left only set each
    provider's books; a contract is settled payee by payee only where its rule has
    year-end terms (:attr:`sim.contracts.payment.PaymentRule.has_settlement`).
    """

    def __init__(self, model: ICSModel):
        self.model = model

    # ------------------------------------------------------------------ structure
    # Who is paid for which cells is fixed once the providers exist (as model.trust_pairs is).

    @cached_property
    def _practice_names(self) -> list[str]:
        return [p.name for p in self.model.practices.values()]

    @cached_property
    def _icp_names(self) -> list[str]:
        return [icp.name for icp in self.model.icps]

    @cached_property
    def _trust_names(self) -> list[str]:
        return [t.name for t in self.model.trusts]

    @cached_property
    def _trust_members(self) -> np.ndarray:
        """Each trust's positions in ``model.trust_pairs``, the fragmented default's first."""
        locality = self.model.trust_pairs[1]
        return _members(
            [np.flatnonzero(locality == t.locality).tolist() for t in self.model.trusts]
        )

    @cached_property
    def _trust_pair_position(self) -> dict[tuple[int, int], int]:
        cells = zip(*(c.tolist() for c in self.model.trust_pairs), strict=True)
        return {cell: k for k, cell in enumerate(cells)}

    @cached_property
    def _icp_settled(self) -> np.ndarray:
        """Whether each ICP's contract has year-end terms (a rule's terms are its type's)."""
        return np.array([icp.rule.has_settlement for icp in self.model.icps], dtype=bool)

    @cached_property
    def _icp_running_cost(self) -> np.ndarray:
        """GBP per enrolee-year of running each ICP and its contracts."""
        return np.array(
            [
                icp.rule.admin_cost_per_head
                + icp.management_cost
                + (0.0 if icp.vertical else icp.purchase_rule.admin_cost_per_head)
                for icp in self.model.icps
            ]
        )

    @cached_property
    def _icp_localities(self) -> np.ndarray:
        return _members([icp.localities for icp in self.model.icps])

    # ------------------------------------------------------------------ queries

    def bought(self, activity: str) -> np.ndarray:
        """Share of each option's ``activity`` its trust provides (the rest made in the community)."""
        icps = self.model.partnerships
        made = getattr(icps, f"made_{activity}") if activity in SELF_PROVIDED else 0.0
        return np.concatenate([[1.0], np.broadcast_to(1.0 - made, len(icps))])

    def _sums(self, **where) -> dict[str, float]:
        """Ledger sums of :data:`SUMMED` in the cells ``where``, in one lookup."""
        return dict(zip(SUMMED, self.model.ledger.sums(SUMMED, **where), strict=True))

    def paid(self, quantity: str, **where) -> float:
        """GBP of ``quantity`` in the cells: payments as care happened plus settlements."""
        return self.model.ledger.sum(quantity, **where) + self.model.accounts.sum(quantity, **where)

    def _paid_pairs(self, quantity: str, option: np.ndarray, locality: np.ndarray) -> np.ndarray:
        """:meth:`paid` in each (option, locality) pair given."""
        m = self.model
        return m.ledger.pair_sums((quantity,), option, locality)[0] + m.accounts.pair_sums(
            quantity, option, locality
        )

    def _paid_options(self, quantity: str, high_risk: int | None = None) -> np.ndarray:
        """:meth:`paid` by option (of patients with that high-risk flag, if given)."""
        m = self.model
        return m.ledger.option_sums((quantity,), high_risk)[0] + m.accounts.option_sums(
            quantity, high_risk
        )

    # ------------------------------------------------------------------ 4. settlement

    def settle(self) -> None:
        """Settle every contract for the year, then book each provider's revenue and cost.

        Order: what virtual ICPs owe trusts; practices and trusts (the commissioner's
        fragmented contracts); then ICPs, whose costs include what they paid trusts.
        Each step's settlements are booked before its providers' revenue is read, so
        revenue includes them.
        """
        m = self.model
        m.accounts.reset()
        self._trust_costs = self._all_trust_costs()
        self._settle_icp_hospital_contracts()
        payments = self._settle_practices()
        payments.update(self._settle_trusts())
        residents = _group_sums(m.ledger.locality_sums(("population",))[0], self._icp_localities)
        payments.update(self._settle_icps(residents))
        m.commissioner.record(payments)
        self._count_transaction_costs(residents)

    def _settle_icp_hospital_contracts(self) -> None:
        """What each open virtual ICP owes each of its localities' trusts at year end."""
        m, table = self.model, self.model.partnerships
        for i in np.flatnonzero(table.is_open & ~table.vertical).tolist():
            icp = m.icps[i]
            if not icp.purchase_rule.has_settlement:
                continue
            for li in icp.localities:
                where = {"option": icp.option, "locality": li}
                sums = self._sums(**where)
                s = self._settlement(
                    m.trusts[li].name,
                    sums,
                    sums["hospital_payment"],
                    self._trust_cost(icp.option, li),
                    icp.quality,
                )
                amount = m.commissioner.settle(f"icp_hospital/{icp.name}", icp.purchase_rule, s)
                self._book_settlement(amount, where, ("hospital_payment",))

    def _settle_practices(self) -> dict[str, float]:
        """The GP contract: settle each practice, then book them all; returns what each was paid.

        A practice's cost is its consultations plus its engaged share's prevention.
        """
        m = self.model
        L, rule = m.ledger, m.rules["gp"]
        practices, li = list(m.practices.values()), m.practice_localities
        default = np.zeros_like(li)
        high_risk = L.pair_sums(("population",), default, li, high_risk=1)[0].tolist()
        cost = (
            L.pair_sums(("gp_consultation",), default, li)[0] * m.costs.gp_consultation
            + [p.own_costs(n) for p, n in zip(practices, high_risk, strict=True)]
        ).tolist()
        if rule.has_settlement:
            quality = float(m.option_quality()[0])
            for practice, c in zip(practices, cost, strict=True):
                where = {"option": 0, "locality": practice.locality}
                sums = self._sums(**where)
                s = self._settlement(practice.name, sums, sums["gp_payment"], c, quality)
                amount = m.commissioner.settle("gp", rule, s)
                self._book_settlement(amount, where, ("gp_payment", "commissioner_payment"))
        revenue = self._paid_pairs("gp_payment", default, li)
        m.books.book(m.book_rows["practices"], revenue, cost)
        return dict(zip(self._practice_names, revenue.tolist(), strict=True))

    def _settle_trusts(self) -> dict[str, float]:
        """The hospital contract: settle each trust for the fragmented default, then book them.

        A trust's revenue is what every contract paying it paid (the default's and virtual
        ICPs', settlements included); returns what the default paid each.
        """
        m = self.model
        rule = m.rules["hospital"]
        if rule.has_settlement:
            quality = float(m.option_quality()[0])
            for trust in m.trusts:
                li = trust.locality
                if not m.scenario.localities[li].fragmented_default:
                    continue
                where = {"option": 0, "locality": li}
                sums = self._sums(**where)
                s = self._settlement(
                    trust.name, sums, sums["hospital_payment"], self._trust_cost(0, li), quality
                )
                amount = m.commissioner.settle("hospital", rule, s)
                self._book_settlement(amount, where, ("hospital_payment", "commissioner_payment"))
        paid = self._paid_pairs("hospital_payment", *m.trust_pairs)
        m.books.book(
            m.book_rows["trusts"],
            _group_sums(paid, self._trust_members),
            _group_sums(self._trust_costs, self._trust_members),
        )
        by_default = paid[self._trust_members[:, 0]].tolist()
        return dict(zip(self._trust_names, by_default, strict=True))

    def _settle_icps(self, residents: np.ndarray) -> dict[str, float]:
        """Each open ICP's contract, then its books and expectations; returns what each was paid.

        An ICP's cost is its care (:meth:`_icp_care_costs`) plus its own spending
        (``residents``: its area's population); one not yet open, or closed, has no
        patients, so no revenue or cost this year.
        """
        m = self.model
        L, b, icps, o = m.ledger, m.scenario.behaviour, m.icps, m.partnerships.option
        care = self._icp_care_costs()  # (high-risk flag, ICP)
        enrolees = np.stack([L.option_sums(("population",), hr)[0][o] for hr in (0, 1)])
        care_total, enrolled = care[0] + care[1], enrolees[0] + enrolees[1]
        table = m.partnerships
        cost = care_total + table.own_costs(enrolled, enrolees[1], residents)
        for i in np.flatnonzero(table.is_open & self._icp_settled).tolist():
            icp = icps[i]
            sums = self._sums(option=icp.option)
            s = self._settlement(
                icp.name,
                sums,
                sums["commissioner_payment"],
                float(cost[i]),
                icp.quality,
                icp.peer_quality,
            )
            amount = m.commissioner.settle(icp.config.contract, icp.rule, s)
            self._book_settlement(amount, {"option": icp.option}, ("commissioner_payment",))
        revenue = self._paid_options("commissioner_payment")[o]
        first_paid = L.option_sums(("commissioner_payment",))[0][o]  # seeds reserves
        # its high-risk enrolees': revenue, care cost, number, then HIGH_RISK_COUNTS (rows)
        high_risk = np.vstack(
            [
                self._paid_options("commissioner_payment", 1)[o],
                care[1],
                enrolees[1],
                L.option_sums(HIGH_RISK_COUNTS, 1)[:, o],
            ]
        )
        books, rows = m.books, m.book_rows["icps"]
        is_open = np.flatnonzero(table.is_open)
        first = is_open[(table.years_active[is_open] == 0) & (books.reserves[rows[is_open]] == 0.0)]
        books.reserves[rows[first]] = b.initial_reserves_share * first_paid[first]
        booked = np.zeros((2, len(icps)))  # revenue and cost; none for an ICP not open
        booked[0, is_open] = revenue[is_open]
        booked[1, is_open] = cost[is_open]
        table.years_active[is_open] += 1  # another year run
        table.update_expectations(
            is_open, revenue[is_open], care_total[is_open], enrolled[is_open], high_risk[:, is_open]
        )
        books.book(rows, *booked)
        return dict(zip(self._icp_names, revenue.tolist(), strict=True))

    def _settlement(
        self,
        payee: str,
        sums: dict[str, float],
        paid: float,
        cost: float,
        quality: float,
        peer_quality: float | None = None,
    ) -> Settlement:
        """What a contract's ``settle`` sees of one payee's year (``sums``: see :meth:`_sums`)."""
        counts, bed_days = _hospital_counts(sums)
        counts.update(
            gp_consultation=sums["gp_consultation"],
            acsc=sums["acsc"],
            readmission=sums["readmission"],
            bed_days=bed_days,
        )
        return Settlement(
            payee=payee,
            year=self.model.year,
            enrolees=sums["population"],
            risk=sums["risk"],
            counts=counts,
            paid=paid,
            cost=cost,
            quality=quality,
            peer_quality=peer_quality,
        )

    def _book_settlement(self, amount: float, where: dict, quantities: tuple[str, ...]) -> None:
        """Spread a settlement over its cells, pro rata to what they were paid (else per head)."""
        if amount == 0:
            return
        ledger = self.model.ledger
        weights = ledger.table(quantities[0], (0, 1, 2, 3, 4))
        covered = weights[SettlementBook.select(**where)]
        if np.sum(np.abs(covered)) <= 0 or (covered < 0).any():
            weights = ledger.table("population", (0, 1, 2, 3, 4))
        self.model.accounts.add(amount, weights, where, quantities)

    def _trust_cost(self, option: int, locality: int) -> float:
        """What the trust spends on an option's patients (less care made in the community)."""
        return float(self._trust_costs[self._trust_pair_position[option, locality]])

    def _all_trust_costs(self) -> np.ndarray:
        """:meth:`_trust_cost` of every cell a trust is paid for (``model.trust_pairs``)."""
        m = self.model
        costs, option = m.costs, m.trust_pairs[0]
        sums = m.ledger.pair_sums(
            ("outpatient", "elective", "ae", "emergency_total", "bed_days"), *m.trust_pairs
        )
        counts = dict(zip(("outpatient", "elective", "ae", "emergency"), sums[:4], strict=True))
        made = 1.0 - self.bought("elective")[option]
        bed_days = sums[4] - made * counts["elective"] * costs.los["elective"]
        counts["elective"] = counts["elective"] * (1.0 - made)
        counts["outpatient"] = counts["outpatient"] * self.bought("outpatient")[option]
        return costs.hospital_cost(counts, np.maximum(bed_days, 0.0))

    def _icp_care_costs(self) -> np.ndarray:
        """Each ICP's cost of care, by high-risk flag (rows 0 and 1): primary care, hospital
        care it runs (vertical) or buys (virtual), and care it makes in the community."""
        m = self.model
        L, costs, o = m.ledger, m.costs, m.partnerships.option
        share = {a: getattr(m.partnerships, f"made_{a}") for a in SELF_PROVIDED}
        quantities = (
            "gp_consultation",
            "outpatient",
            "elective",
            "ae",
            "emergency_total",
            "bed_days",
        )
        out = []
        for hr in (0, 1):
            sums = dict(zip(quantities, L.option_sums(quantities, hr)[:, o], strict=True))
            primary = sums["gp_consultation"] * costs.gp_consultation
            counts, bed_days = _hospital_counts(sums)
            runs = primary + costs.hospital_cost(counts, bed_days)
            made = sum(
                np.where(share[a] > 0, share[a] * sums[a] * costs.community(a), 0.0)
                for a in SELF_PROVIDED
            )
            buys = primary + made + self._paid_options("hospital_payment", hr)[o]
            out.append(np.where(m.partnerships.vertical, runs, buys))
        return np.array(out)

    def _count_transaction_costs(self, residents: np.ndarray) -> None:
        """GBP spent this year running contracts and ICPs, and procuring new ICPs, by option.

        ``residents``: each ICP's area's population.
        """
        m = self.model
        rules, c = m.rules, m.scenario.costs
        population = m.ledger.option_sums(("population",))[0]
        out = np.zeros(len(m.options))
        out[0] = population[0] * (
            rules["gp"].admin_cost_per_head + rules["hospital"].admin_cost_per_head
        )
        icps = m.partnerships
        per_head = self._icp_running_cost
        fixed = np.where(icps.is_open, icps.fixed_cost_per_resident, 0.0)
        first_year = icps.is_open & (icps.years_active == 1)  # procured for its first year
        o = icps.option
        out[o] = population[o] * per_head + fixed * residents
        out[o] += np.where(first_year > 0, c.tender_cost_per_resident * residents, 0.0)
        m.transaction_costs = out

    # ------------------------------------------------------------------ 5. failures

    def close_failed_icps(self) -> None:
        """Close ICPs whose reserves ran out; the commissioner rescues a locality's last option.

        Members of a closed ICP choose again next year among the options still open, so
        nobody is left without care. Where an ICP is the only option left in one of its
        localities, closing it would leave patients with nowhere to go, so the commissioner
        covers its deficit instead (booked as a settlement on its patients).
        """
        m = self.model
        insolvent = m.partnerships.is_open & (m.books.reserves[m.book_rows["icps"]] < 0)
        for icp in (m.icps[i] for i in np.flatnonzero(insolvent)):
            table = m.option_table()
            alternatives = table.available[icp.localities].sum(axis=1) - 1
            if (alternatives < 1).any():
                amount = -icp.reserves
                m.commissioner.rescue(icp.name, amount)
                self._book_settlement(amount, {"option": icp.option}, ("commissioner_payment",))
                icp.revenue += amount
                icp.reserves = 0.0
            else:
                icp.is_open = False
                icp.failed = True
