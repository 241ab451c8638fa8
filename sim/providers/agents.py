"""Provider agents: hospital trusts, GP practices and the commissioner, and the books and
costs every provider shares (integrated care partnerships are in :mod:`sim.providers.partnerships`).

Providers never ask which payment regime they are under. They see the margin that
one more unit of activity earns them (price minus marginal cost), the price their
contract puts on quality, and the surplus they expect per enrolee, and they respond
to those numbers:

* a :class:`HospitalTrust` adds elective and outpatient volume where the margin is
  above the national-tariff reference (supplier-induced demand), lowers its threshold
  for emergency admission where admissions pay, avoids readmissions that earn it less
  than they cost, and staffs its elective capacity to its margin, so waits rise when
  activity stops paying;
* an integrated care partnership (:mod:`sim.providers.partnerships`) spends on prevention when
  avoided admissions save it money, manages referrals when hospital care is a cost to it,
  makes care in the community where that is cheaper than buying it, raises quality when
  members are profitable and contestable or when its contract pays for quality, and
  deters high-risk applicants when they lose it money;
* a :class:`GPPractice` is paid per head and refers; where its contract charges it for
  its patients' hospital care (practice-based commissioning), its engaged share manages
  referrals and invests in prevention;
* the :class:`Commissioner` pays every contract, keeps each contract's books from year to
  year and settles them at year end.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np

from sim.config.parameters import Behaviour, Costs, Hospital, Utilisation
from sim.config.scenario import Prices
from sim.contracts.payment import SPELL_ALIASES, PaymentRule, Settlement
from sim.patients.modifiers import Scope

SPELLS = ("elective", "emergency")


class HospitalCosts:
    """What care costs whoever runs a hospital: average and marginal cost per activity.

    Tariff prices are national average costs, so the non-bed-day part of a spell is the
    price less its mean stay at the bed-day cost; marginal cost is a share of that part
    plus the stay. ACSC admissions and readmissions cost what emergency spells cost; a
    bed day (or a delayed-transfer day) costs the bed-day rate. Community settings
    provide outpatient and day-case care at a fixed ratio of the trust's average cost.
    """

    def __init__(self, costs: Costs, utilisation: Utilisation):
        prices = Prices().as_dict()
        self.bed_day = costs.bed_day
        self.los = {
            "elective": utilisation.elective_los_days,
            "emergency": utilisation.emergency_los_days,
        }
        self.fixed = {
            a: prices[a] - self.los.get(a, 0.0) * self.bed_day
            for a in ("outpatient", "elective", "emergency", "ae")
        }
        self.gp_consultation = prices["gp_consultation"]
        self.marginal_share = costs.spell_marginal_share
        self.community_ratio = {
            "outpatient": costs.community_outpatient_cost_ratio,
            "elective": costs.community_elective_cost_ratio,
        }
        # per activity (spell aliases and bed days included), worked out once: providers
        # ask for these hundreds of times a year
        kinds = (*self.fixed, *SPELL_ALIASES, "bed_day", "delayed_day")
        self._average = {a: self._unit_cost(a, 1.0) for a in kinds}
        self._marginal = {a: self._unit_cost(a, self.marginal_share) for a in kinds}
        self._reference_margin = {a: self.margin_rate(self._average[a], a) for a in kinds}

    def _unit_cost(self, activity: str, fixed_share: float) -> float:
        """A share of the non-bed-day cost of one unit plus its stay at the bed-day cost."""
        a = SPELL_ALIASES.get(activity, activity)
        if a in ("bed_day", "delayed_day"):
            return self.bed_day
        return fixed_share * self.fixed[a] + self.los.get(a, 0.0) * self.bed_day

    def average(self, activity: str) -> float:
        return self._average[activity]

    def marginal(self, activity: str) -> float:
        return self._marginal[activity]

    def community(self, activity: str) -> float:
        """Cost of one unit of ``activity`` provided in community or practice settings."""
        return self.community_ratio[activity] * self.average(activity)

    def margin_rate(self, marginal_price: float, activity: str) -> float:
        """Margin on one more unit, as a share of average cost."""
        return (marginal_price - self.marginal(activity)) / self.average(activity)

    def reference_margin_rate(self, activity: str) -> float:
        """The margin under the national tariff, where the England baseline is calibrated."""
        return self._reference_margin[activity]

    def volume_response(self, marginal_price: float, activity: str, elasticity: float) -> float:
        """Multiplier on discretionary volume chosen by whoever earns ``marginal_price``."""
        gap = self.margin_rate(marginal_price, activity) - self.reference_margin_rate(activity)
        return math.exp(elasticity * gap)

    def hospital_cost(self, counts: dict[str, float], bed_days: float) -> float:
        """Total cost of hospital activity (``counts['emergency']`` counts all emergency spells)."""
        return sum(self.fixed[a] * counts[a] for a in self.fixed) + bed_days * self.bed_day


def readmission_response(costs: HospitalCosts, marginal_price: float, b: Behaviour) -> float:
    """Multiplier on readmissions chosen by a provider earning ``marginal_price`` for one.

    Where a readmission earns less than under the tariff reference, the provider loses
    that gap on each one and invests in discharge planning and follow-up to avoid them,
    with diminishing returns up to ``readmission_avoidance_max``.
    """
    loss = costs.reference_margin_rate("readmission") - costs.margin_rate(
        marginal_price, "readmission"
    )
    if loss <= 0:
        return 1.0
    return 1.0 - b.readmission_avoidance_max * (1 - math.exp(-loss / b.readmission_avoidance_scale))


def prevention_response(potential: np.ndarray, half_spend: float) -> tuple[np.ndarray, np.ndarray]:
    """(spend, effect share) for investments whose full effect would save ``potential``.

    Spending s achieves 1 - exp(-s/h) of the effect; the provider spends where the
    marginal saving equals the marginal pound: s = h ln(potential / h), and nothing where
    the potential is at most h.
    """
    potential = np.asarray(potential, dtype=float)
    spend, effect = np.zeros(potential.shape), np.zeros(potential.shape)
    worth = potential > half_spend
    spend[worth] = half_spend * elementwise(math.log, potential[worth] / half_spend)
    effect[worth] = 1.0 - elementwise(math.exp, -spend[worth] / half_spend)
    return spend, effect


def elementwise(function, x: np.ndarray) -> np.ndarray:
    """A scalar ``math`` function of each value: the C library's results, which are the same
    on every machine, where numpy's own vectorised exp and log vary in the last bit with
    the processor's instruction set."""
    x = np.asarray(x, dtype=float)
    return np.fromiter(map(function, x.ravel().tolist()), dtype=float, count=x.size).reshape(
        x.shape
    )


class Books:
    """Every provider's accounts, one row per provider: this year's revenue and cost, and
    reserves carried from year to year (GBP).

    Kept as arrays so that the year-end accounts book hundreds of providers, and the
    metrics total them, in a few array operations; each :class:`Provider` reads and
    writes its own row through its attributes.
    """

    def __init__(self) -> None:
        self.revenue, self.cost, self.reserves = np.zeros(0), np.zeros(0), np.zeros(0)

    def __len__(self) -> int:
        return len(self.revenue)

    def add_row(self) -> int:
        """A new provider's row, all zero; returns its index."""
        self.revenue, self.cost, self.reserves = (
            np.append(a, 0.0) for a in (self.revenue, self.cost, self.reserves)
        )
        return len(self.revenue) - 1

    def book(self, rows: np.ndarray | list[int], revenue, cost) -> None:
        """Close the year's accounts of the providers in ``rows``: the surplus adds to reserves."""
        revenue, cost = np.asarray(revenue, dtype=float), np.asarray(cost, dtype=float)
        self.revenue[rows], self.cost[rows] = revenue, cost
        self.reserves[rows] += revenue - cost

    @property
    def surplus(self) -> np.ndarray:
        return self.revenue - self.cost


def row_attribute(table: str, row: str, column: str, doc: str) -> property:
    """An agent attribute that is its own entry (row ``getattr(agent, row)``) in one column
    of a table the agent holds (``getattr(agent, table)``): the model's books, or the
    partnerships' plans."""

    def get(agent):
        return getattr(getattr(agent, table), column)[getattr(agent, row)].item()

    def put(agent, value) -> None:
        getattr(getattr(agent, table), column)[getattr(agent, row)] = value

    return property(get, put, doc=doc)


def _account(column: str, doc: str) -> property:
    """A provider attribute that is its own entry in one column of the model's books."""
    return row_attribute("books", "row", column, doc)


class Provider(mesa.Agent):
    """Anything that is paid and has costs: it keeps a surplus and reserves.

    Its accounts are its row of the model's :class:`Books` (``model.books``).
    """

    def __init__(self, model: mesa.Model, name: str):
        super().__init__(model)
        self.name = name
        self.books: Books = model.books
        self.row = self.books.add_row()

    revenue = _account("revenue", "GBP received this year.")
    cost = _account("cost", "GBP spent this year.")
    reserves = _account("reserves", "GBP of surpluses kept, less deficits, since the start.")

    @property
    def surplus(self) -> float:
        return self.revenue - self.cost

    def book(self, revenue: float, cost: float) -> None:
        """Close the year's accounts."""
        self.books.book([self.row], [revenue], [cost])


class HospitalTrust(Provider):
    """An acute trust paid by activity; it treats the fragmented default and virtual ICPs."""

    def __init__(
        self, model: mesa.Model, name: str, locality: int, capacity: float, params: Hospital
    ):
        super().__init__(model, name)
        self.locality = locality
        self.capacity = max(capacity, 1e-9)
        self.params = params
        self.waiting_weeks = params.waiting_weeks_base

    def induced_volume(
        self, rule: PaymentRule, activity: str, costs: HospitalCosts, elasticity: float
    ) -> float:
        """Supplier-induced demand for patients whose care ``rule`` pays for."""
        return costs.volume_response(rule.marginal_price(activity), activity, elasticity)

    def admission_volume(self, rule: PaymentRule, costs: HospitalCosts, elasticity: float) -> float:
        """Emergency admissions at the trust's threshold for patients ``rule`` pays for."""
        return costs.volume_response(rule.marginal_price("emergency"), "emergency", elasticity)

    def readmissions(self, rule: PaymentRule, costs: HospitalCosts, b: Behaviour) -> float:
        """Readmissions left after the discharge effort ``rule``'s readmission price buys."""
        return readmission_response(costs, rule.marginal_price("readmission"), b)

    @staticmethod
    def update_waits(
        trusts: list[HospitalTrust],
        elective_demand: np.ndarray,
        capacity_factor: np.ndarray,
        params: Hospital,
    ) -> None:
        """Each trust's wait from its referred demand against the capacity it staffs to its
        margins (``capacity_factor``: a share of its capacity), all trusts at once."""
        capacity = np.array([trust.capacity for trust in trusts])
        load = elective_demand / (capacity * np.maximum(capacity_factor, 1e-9))
        for trust, wait in zip(trusts, waiting_weeks(load, params).tolist(), strict=True):
            trust.waiting_weeks = wait


def waiting_weeks(load: np.ndarray, params: Hospital) -> np.ndarray:
    """Referral-to-treatment wait at each load, rising exponentially as demand outruns
    capacity, up to ``waiting_weeks_max`` (a handful of patients can far outrun a tiny
    capacity)."""
    growth = params.waiting_load_sensitivity * (
        np.asarray(load, dtype=float) - params.reference_load
    )
    ceiling = math.log(params.waiting_weeks_max / params.waiting_weeks_base)
    return params.waiting_weeks_base * elementwise(math.exp, np.minimum(growth, ceiling))


class GPPractice(Provider):
    """The fragmented default's practices in one locality, paid per head; they refer.

    Under practice-based commissioning their contract charges them part of each
    referral's price (a negative marginal price); the engaged share of practices then
    manages referrals and invests in prevention for high-risk patients.
    """

    def __init__(self, model: mesa.Model, name: str, locality: int):
        super().__init__(model, name)
        self.locality = locality
        self.engaged = 0.0
        self.referral_management = 0.0
        self.prevention_spend = 0.0  # GBP per high-risk patient of engaged practices
        self.prevention_effect = 0.0  # share of the maximum effect, across all practices

    def plan(
        self,
        rule: PaymentRule,
        costs: HospitalCosts,
        b: Behaviour,
        high_risk_rates: dict[str, float],
    ) -> None:
        """Set referral management and prevention from what hospital care costs the practices."""
        self.engaged = rule.engagement
        net = max(0.0, -rule.marginal_price("elective")) / costs.average("elective")
        self.referral_management = (
            self.engaged
            * b.referral_management_max
            * (1 - math.exp(-net / b.referral_management_scale))
        )
        potential = b.prevention_max_effect * high_risk_rates["acsc"] * max(
            0.0, -rule.marginal_price("acsc")
        ) + b.prevention_other_emergency_effect * high_risk_rates["emergency"] * max(
            0.0, -rule.marginal_price("emergency")
        )
        spend, effect = prevention_response(potential, b.prevention_half_spend)
        self.prevention_spend = float(spend)
        self.prevention_effect = self.engaged * float(effect)

    def follow(self, other: GPPractice) -> None:
        """Take the plan of practices on the same contract: the same prices bring the same plan."""
        self.engaged, self.referral_management = other.engaged, other.referral_management
        self.prevention_spend = other.prevention_spend
        self.prevention_effect = other.prevention_effect

    def rate_factors(self, b: Behaviour) -> dict[Scope, float]:
        """What this year's effort does to the patients' named rates (see :mod:`sim.patients.modifiers`)."""
        keep = 1 - self.referral_management
        return {
            ("elective", None): keep,
            ("outpatient", None): keep,
            ("acsc", True): 1 - b.prevention_max_effect * self.prevention_effect,
            ("emergency", True): 1 - b.prevention_other_emergency_effect * self.prevention_effect,
        }

    def own_costs(self, high_risk_patients: float) -> float:
        """GBP spent this year on prevention by the engaged practices."""
        return self.prevention_spend * self.engaged * high_risk_patients


class Commissioner(mesa.Agent):
    """Holds the population budget, pays each contract by its rule and settles it at year end.

    Each (contract, payee) pair has its own books (:attr:`books`), kept across years,
    which the rule reads and writes at settlement (a block's value, a baseline), and its
    latest settlement (:attr:`settlements`). Only contracts with year-end terms
    (:attr:`sim.contracts.payment.PaymentRule.has_settlement`) are settled, so only they appear.
    """

    def __init__(self, model: mesa.Model, rules: dict[str, PaymentRule]):
        super().__init__(model)
        self.rules = rules
        self.spend = 0.0
        self.spend_by_payee: dict[str, float] = {}
        self.rescues: dict[str, float] = {}
        self.books: dict[tuple[str, str], dict[str, Any]] = {}
        self.settlements: dict[tuple[str, str], float] = {}

    def settle(self, contract: str, rule: PaymentRule, settlement: Settlement) -> float:
        """Year-end adjustment owed to ``settlement.payee`` under ``contract`` (GBP)."""
        key = (contract, settlement.payee)
        settlement.state = self.books.setdefault(key, {})
        amount = float(rule.settle(settlement))
        self.settlements[key] = amount
        return amount

    def record(self, payments: dict[str, float]) -> None:
        """Record this year's contract payments (rescues are added by :meth:`rescue`)."""
        self.spend_by_payee = dict(zip(payments, map(float, payments.values()), strict=True))
        self.spend = float(sum(payments.values()))
        self.rescues = {}

    def rescue(self, payee: str, amount: float) -> None:
        """Cover an insolvent provider's deficit where it cannot be allowed to close."""
        self.rescues[payee] = self.rescues.get(payee, 0.0) + float(amount)
        self.spend += float(amount)
