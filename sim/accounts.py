"""Year-end contract settlements, kept beside the ledger of the year's per-patient payments.

The ledger sums what patients brought in as care happened. Contracts settle after the
year: withholds paid on quality, shared savings, corridors, marginal rates above a
baseline, block reconciliations and rescues. Each settlement is spread over the cells
of the patients it concerns (pro rata to what they were paid, or per head), so cost per
head by age and deprivation includes it, and the commissioner's spend always equals what
its payees received.

:class:`SettlementBook` holds those amounts; :class:`YearEndAccounts` works out the
settlements and books each provider's revenue and cost, in the order
:meth:`sim.model.ICSModel.step` gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.ledger import cell_margins
from sim.payment import Settlement

if TYPE_CHECKING:
    from sim.agents import IntegratedCarePartnership
    from sim.model import ICSModel

SETTLED = ("commissioner_payment", "gp_payment", "hospital_payment")
"""Ledger quantities a settlement can add to."""
SUMMED = ("population", "risk", "gp_consultation", "outpatient", "elective", "ae",
          "emergency_total", "acsc", "readmission", "bed_days", *SETTLED)
"""Ledger quantities a settlement reads, looked up together for each payee's cells."""


class SettlementBook:
    """Settlement amounts by (option, locality, age band, IMD quintile, high-risk) cell."""

    def __init__(self, n_options: int, n_localities: int):
        self.shape = (n_options, n_localities, 2, 5, 2)
        self.reset()

    def reset(self) -> None:
        self.data = {q: np.zeros(self.shape) for q in SETTLED}
        self.empty = True  # nothing settled yet: every sum is zero

    @staticmethod
    def select(option=None, locality=None, age=None, imd=None, high_risk=None) -> tuple:
        """The cell selection for keyword filters, as :meth:`sim.ledger.Ledger.sum` takes them."""
        return tuple(slice(None) if v is None else v
                     for v in (option, locality, age, imd, high_risk))

    def add(self, amount: float, weights: np.ndarray, where: dict,
            quantities: tuple[str, ...]) -> None:
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

    def option_margins(self, quantities: Sequence[str]) -> np.ndarray:
        """Sums by (option, age band, IMD quintile), over localities and high-risk flags.

        Shaped as :meth:`sim.ledger.Ledger.option_margins` without its high-risk axis: every
        option together last, and an 'all' entry last on the age and IMD axes.
        """
        n_opt, n_loc = self.shape[:2]
        cells = np.stack([self.data[q].reshape(n_opt, n_loc, -1).sum(axis=1)
                          for q in quantities])
        cells = np.concatenate([cells, cells.sum(axis=1, keepdims=True)], axis=1)
        return cell_margins(cells)[..., -1]


def _hospital_counts(sums: dict[str, float]) -> tuple[dict[str, float], float]:
    """Hospital activity counts (all emergency spells together) and bed days from ledger sums."""
    counts = {a: sums[a] for a in ("outpatient", "elective", "ae")}
    counts["emergency"] = sums["emergency_total"]
    return counts, sums["bed_days"]


class YearEndAccounts:
    """Steps 4 and 5 of a model's year: settle the contracts, book the providers, close failures.

    Kept apart from :class:`sim.model.ICSModel`, which calls it, so that the model reads as
    set-up, planning and the patients' pass. It reads the year's ledger, providers and
    rules from the model and writes the settlement book (``model.accounts``), each
    provider's books, ICPs' expectations and ``model.transaction_costs``.
    """

    def __init__(self, model: ICSModel):
        self.model = model

    # ------------------------------------------------------------------ queries

    def bought(self, option: int, activity: str) -> float:
        """Share of an option's ``activity`` its trust provides (the rest made in the community)."""
        if option == 0:
            return 1.0
        return 1.0 - self.model.icps[option - 1].self_provision.get(activity, 0.0)

    def hospital_counts(self, **where) -> tuple[dict[str, float], float]:
        """Hospital activity counts (all emergency spells together) and bed days in cells."""
        return _hospital_counts(self._sums(**where))

    def _sums(self, **where) -> dict[str, float]:
        """Ledger sums of :data:`SUMMED` in the cells ``where``, in one lookup."""
        return dict(zip(SUMMED, self.model.ledger.sums(SUMMED, **where), strict=True))

    def paid(self, quantity: str, **where) -> float:
        """GBP of ``quantity`` in the cells: payments as care happened plus settlements."""
        return self.model.ledger.sum(quantity, **where) + self.model.accounts.sum(quantity, **where)

    # ------------------------------------------------------------------ 4. settlement

    def settle(self) -> None:
        """Settle every contract for the year, then book each provider's revenue and cost.

        Order: what virtual ICPs owe trusts; practices and trusts (the commissioner's
        fragmented contracts); then ICPs, whose costs include what they paid trusts.
        """
        m = self.model
        L, b = m.ledger, m.scenario.behaviour
        m.accounts.reset()
        self._trust_costs = self._all_trust_costs()
        base_quality = float(m.option_quality()[0])
        for icp in m.icps:
            if icp.vertical or not icp.is_open:
                continue
            for li in icp.localities:
                where = {"option": icp.option, "locality": li}
                sums = self._sums(**where)
                s = self._settlement(m.trusts[li].name, sums, sums["hospital_payment"],
                                     self._trust_cost(icp.option, li), icp.quality)
                amount = m.commissioner.settle(f"icp_hospital/{icp.name}", icp.purchase_rule, s)
                self._book_settlement(amount, where, ("hospital_payment",))
        payments = {}
        for li, practice in m.practices.items():
            where = {"option": 0, "locality": li}
            sums = self._sums(**where)
            cost = (sums["gp_consultation"] * m.costs.gp_consultation
                    + practice.own_costs(L.sum("population", high_risk=1, **where)))
            s = self._settlement(practice.name, sums, sums["gp_payment"], cost, base_quality)
            amount = m.commissioner.settle("gp", m.rules["gp"], s)
            self._book_settlement(amount, where, ("gp_payment", "commissioner_payment"))
            practice.book(self.paid("gp_payment", **where), cost)
            payments[practice.name] = self.paid("gp_payment", **where)
        for trust in m.trusts:
            li = trust.locality
            where = {"option": 0, "locality": li}
            if m.scenario.localities[li].fragmented_default:
                sums = self._sums(**where)
                s = self._settlement(trust.name, sums, sums["hospital_payment"],
                                     self._trust_cost(0, li), base_quality)
                amount = m.commissioner.settle("hospital", m.rules["hospital"], s)
                self._book_settlement(amount, where, ("hospital_payment", "commissioner_payment"))
            options = [o for o, _ in m.paid_at_trust(li)]
            trust.book(sum(self.paid("hospital_payment", option=o, locality=li) for o in options),
                       sum(self._trust_cost(o, li) for o in options))
            payments[trust.name] = self.paid("hospital_payment", **where)
        for icp in m.icps:
            o = icp.option
            if icp.is_open:
                care = [self._icp_care_cost(icp, hr) for hr in (0, 1)]
                enrolees = [L.sum("population", option=o, high_risk=hr) for hr in (0, 1)]
                residents = sum(L.sum("population", locality=li) for li in icp.localities)
                if icp.years_active == 0 and icp.reserves == 0.0:
                    icp.reserves = (b.initial_reserves_share
                                    * L.sum("commissioner_payment", option=o))
                own = icp.own_costs(sum(enrolees), enrolees[1], residents)
                sums = self._sums(option=o)
                s = self._settlement(icp.name, sums, sums["commissioner_payment"],
                                     sum(care) + own, icp.quality, icp.peer_quality)
                amount = m.commissioner.settle(icp.config.contract, icp.rule, s)
                self._book_settlement(amount, {"option": o}, ("commissioner_payment",))
                icp.settle(self.paid("commissioner_payment", option=o), sum(care), sum(enrolees),
                           enrolees[1], residents)
                self._update_expectations(icp, care, enrolees)
            else:  # not yet open, or closed: no patients, so no revenue or cost this year
                icp.book(0.0, 0.0)
            payments[icp.name] = self.paid("commissioner_payment", option=o)
        m.commissioner.record(payments)
        self._count_transaction_costs()

    def _settlement(self, payee: str, sums: dict[str, float], paid: float, cost: float,
                    quality: float, peer_quality: float | None = None) -> Settlement:
        """What a contract's ``settle`` sees of one payee's year (``sums``: see :meth:`_sums`)."""
        counts, bed_days = _hospital_counts(sums)
        counts.update(gp_consultation=sums["gp_consultation"], acsc=sums["acsc"],
                      readmission=sums["readmission"], bed_days=bed_days)
        return Settlement(payee=payee, year=self.model.year, enrolees=sums["population"],
                          risk=sums["risk"], counts=counts, paid=paid, cost=cost,
                          quality=quality, peer_quality=peer_quality)

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
        return self._trust_costs[option, locality]

    def _all_trust_costs(self) -> dict[tuple[int, int], float]:
        """:meth:`_trust_cost` of every cell a trust is paid for, as arrays over the cells."""
        m = self.model
        costs, option = m.costs, m.trust_pairs[0]
        sums = m.ledger.pair_sums(("outpatient", "elective", "ae", "emergency_total", "bed_days"),
                                  *m.trust_pairs)
        counts = dict(zip(("outpatient", "elective", "ae", "emergency"), sums[:4], strict=True))
        made = 1.0 - np.array([self.bought(o, "elective") for o in option.tolist()])
        bed_days = sums[4] - made * counts["elective"] * costs.los["elective"]
        counts["elective"] = counts["elective"] * (1.0 - made)
        counts["outpatient"] = counts["outpatient"] * np.array(
            [self.bought(o, "outpatient") for o in option.tolist()])
        cost = costs.hospital_cost(counts, np.maximum(bed_days, 0.0))
        cells = zip(*(c.tolist() for c in m.trust_pairs), strict=True)
        return dict(zip(cells, cost.tolist(), strict=True))

    def _icp_care_cost(self, icp: IntegratedCarePartnership, high_risk: int) -> float:
        """An ICP's cost of care: primary care, hospital care it runs or buys, community care."""
        L, costs = self.model.ledger, self.model.costs
        o = icp.option
        primary = L.sum("gp_consultation", option=o, high_risk=high_risk) * costs.gp_consultation
        if icp.vertical:
            counts, bed_days = self.hospital_counts(option=o, high_risk=high_risk)
            return primary + costs.hospital_cost(counts, bed_days)
        made = sum(share * L.sum(a, option=o, high_risk=high_risk) * costs.community(a)
                   for a, share in icp.self_provision.items() if share > 0)
        return primary + made + self.paid("hospital_payment", option=o, high_risk=high_risk)

    def _update_expectations(self, icp: IntegratedCarePartnership, care: list[float],
                             enrolees: list[float]) -> None:
        """Update what the ICP expects; high-risk rates are before its own prevention."""
        L, b = self.model.ledger, self.model.scenario.behaviour
        o = icp.option
        n, n_hr = sum(enrolees), enrolees[1]
        if n <= 0:
            return
        applied = icp.applied
        observed = {"revenue": self.paid("commissioner_payment", option=o) / n,
                    "care_cost": sum(care) / n}
        if n_hr > 0:
            observed.update(
                revenue_high_risk=self.paid("commissioner_payment", option=o, high_risk=1) / n_hr,
                care_cost_high_risk=care[1] / n_hr,
                acsc_high_risk=L.sum("acsc", option=o, high_risk=1) / n_hr
                / max(applied["acsc"] * icp.emergency_volume, 1e-6),
                other_emergency_high_risk=L.sum("emergency", option=o, high_risk=1) / n_hr
                / max(applied["emergency"] * icp.emergency_volume, 1e-6),
                bed_days_high_risk=L.sum("bed_days", option=o, high_risk=1) / n_hr
                / max(applied["los"], 1e-6))
        icp.expect.update(observed, b.planning_weight)

    def _count_transaction_costs(self) -> None:
        """GBP spent this year running contracts and ICPs, and procuring new ICPs, by option."""
        m = self.model
        L, c = m.ledger, m.scenario.costs
        out = np.zeros(len(m.options))
        out[0] = L.sum("population", option=0) * (m.rules["gp"].admin_cost_per_head
                                                  + m.rules["hospital"].admin_cost_per_head)
        for icp in m.icps:
            n = L.sum("population", option=icp.option)
            per_head = icp.rule.admin_cost_per_head + icp.management_cost + (
                0.0 if icp.vertical else icp.purchase_rule.admin_cost_per_head)
            residents = sum(L.sum("population", locality=li) for li in icp.localities)
            out[icp.option] = n * per_head + (icp.fixed_cost_per_resident * residents
                                              if icp.is_open else 0.0)
            if icp.is_open and icp.years_active == 1:  # procured for its first year
                out[icp.option] += c.tender_cost_per_resident * residents
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
        for icp in m.icps:
            if not (icp.is_open and icp.reserves < 0):
                continue
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
