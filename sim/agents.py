"""Provider agents: hospital trusts, GP practices, integrated care partnerships, the commissioner.

Providers never ask which payment regime they are under. They see the margin that
one more unit of activity earns them (price minus marginal cost), the price their
contract puts on quality, and the surplus they expect per enrolee, and they respond
to those numbers:

* a :class:`HospitalTrust` adds elective and outpatient volume where the margin is
  above the national-tariff reference (supplier-induced demand), lowers its threshold
  for emergency admission where admissions pay, avoids readmissions that earn it less
  than they cost, and staffs its elective capacity to its margin, so waits rise when
  activity stops paying;
* an :class:`IntegratedCarePartnership` spends on prevention when avoided admissions
  save it money, manages referrals when hospital care is a cost to it, provides
  outpatient and day-case care itself where that is cheaper than buying it, raises
  quality when members are profitable and contestable or when its contract pays for
  quality, deters high-risk applicants when they lose it money, and - with a pooled
  budget - buys intermediate care to avoid admissions and delayed transfers;
* a :class:`GPPractice` is paid per head and refers; where its contract charges it for
  its patients' hospital care (practice-based commissioning), its engaged share manages
  referrals and invests in prevention;
* the :class:`Commissioner` pays every contract, keeps each contract's books from year to
  year and settles them at year end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np

from sim.contracts.base import SELF_PROVIDED, PartialPurchaseRule
from sim.modifiers import Scope
from sim.parameters import Behaviour, Costs, Hospital, Utilisation
from sim.payment import SPELL_ALIASES, PaymentRule, Settlement
from sim.scenario import IcpConfig, Prices

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
        self.los = {"elective": utilisation.elective_los_days,
                    "emergency": utilisation.emergency_los_days}
        self.fixed = {a: prices[a] - self.los.get(a, 0.0) * self.bed_day
                      for a in ("outpatient", "elective", "emergency", "ae")}
        self.gp_consultation = prices["gp_consultation"]
        self.marginal_share = costs.spell_marginal_share
        self.community_ratio = {"outpatient": costs.community_outpatient_cost_ratio,
                                "elective": costs.community_elective_cost_ratio}
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
    loss = (costs.reference_margin_rate("readmission")
            - costs.margin_rate(marginal_price, "readmission"))
    if loss <= 0:
        return 1.0
    return 1.0 - b.readmission_avoidance_max * (1 - math.exp(-loss / b.readmission_avoidance_scale))


def prevention_response(potential: float, half_spend: float) -> tuple[float, float]:
    """(spend, effect share) for an investment whose full effect would save ``potential``.

    Spending s achieves 1 - exp(-s/h) of the effect; the provider spends where the
    marginal saving equals the marginal pound: s = h ln(potential / h).
    """
    if potential <= half_spend:
        return 0.0, 0.0
    spend = half_spend * math.log(potential / half_spend)
    return spend, 1.0 - math.exp(-spend / half_spend)


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
        self.revenue, self.cost, self.reserves = (np.append(a, 0.0) for a in
                                                  (self.revenue, self.cost, self.reserves))
        return len(self.revenue) - 1

    def book(self, rows: np.ndarray | list[int], revenue, cost) -> None:
        """Close the year's accounts of the providers in ``rows``: the surplus adds to reserves."""
        revenue, cost = np.asarray(revenue, dtype=float), np.asarray(cost, dtype=float)
        self.revenue[rows], self.cost[rows] = revenue, cost
        self.reserves[rows] += revenue - cost

    @property
    def surplus(self) -> np.ndarray:
        return self.revenue - self.cost


def _account(column: str, doc: str) -> property:
    """A provider attribute that is its own entry in one column of the model's books."""
    return property(lambda self: float(getattr(self.books, column)[self.row]),
                    lambda self, value: getattr(self.books, column).__setitem__(self.row, value),
                    doc=doc)


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

    def __init__(self, model: mesa.Model, name: str, locality: int, capacity: float,
                 params: Hospital):
        super().__init__(model, name)
        self.locality = locality
        self.capacity = max(capacity, 1e-9)
        self.params = params
        self.waiting_weeks = params.waiting_weeks_base

    def induced_volume(self, rule: PaymentRule, activity: str, costs: HospitalCosts,
                       elasticity: float) -> float:
        """Supplier-induced demand for patients whose care ``rule`` pays for."""
        return costs.volume_response(rule.marginal_price(activity), activity, elasticity)

    def admission_volume(self, rule: PaymentRule, costs: HospitalCosts, elasticity: float) -> float:
        """Emergency admissions at the trust's threshold for patients ``rule`` pays for."""
        return costs.volume_response(rule.marginal_price("emergency"), "emergency", elasticity)

    def readmissions(self, rule: PaymentRule, costs: HospitalCosts, b: Behaviour) -> float:
        """Readmissions left after the discharge effort ``rule``'s readmission price buys."""
        return readmission_response(costs, rule.marginal_price("readmission"), b)

    @staticmethod
    def update_waits(trusts: list[HospitalTrust], elective_demand: np.ndarray,
                     capacity_factor: np.ndarray) -> None:
        """Each trust's wait from its referred demand against the capacity it staffs to its
        margins (``capacity_factor``: a share of its capacity), all trusts at once."""
        capacity = np.array([trust.capacity for trust in trusts])
        load = elective_demand / (capacity * np.maximum(capacity_factor, 1e-9))
        for trust, x in zip(trusts, load.tolist(), strict=True):
            trust.waiting_weeks = waiting_weeks(x, trust.params)


def waiting_weeks(load: float, params: Hospital) -> float:
    """Referral-to-treatment wait, rising exponentially as demand outruns capacity, up to
    ``waiting_weeks_max`` (a handful of patients can far outrun a tiny capacity)."""
    growth = params.waiting_load_sensitivity * (load - params.reference_load)
    ceiling = math.log(params.waiting_weeks_max / params.waiting_weeks_base)
    return float(params.waiting_weeks_base * math.exp(min(growth, ceiling)))


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
        self.prevention_spend = 0.0     # GBP per high-risk patient of engaged practices
        self.prevention_effect = 0.0    # share of the maximum effect, across all practices

    def plan(self, rule: PaymentRule, costs: HospitalCosts, b: Behaviour,
             high_risk_rates: dict[str, float]) -> None:
        """Set referral management and prevention from what hospital care costs the practices."""
        self.engaged = rule.engagement
        net = max(0.0, -rule.marginal_price("elective")) / costs.average("elective")
        self.referral_management = (self.engaged * b.referral_management_max
                                    * (1 - math.exp(-net / b.referral_management_scale)))
        potential = (b.prevention_max_effect * high_risk_rates["acsc"]
                     * max(0.0, -rule.marginal_price("acsc"))
                     + b.prevention_other_emergency_effect * high_risk_rates["emergency"]
                     * max(0.0, -rule.marginal_price("emergency")))
        self.prevention_spend, effect = prevention_response(potential, b.prevention_half_spend)
        self.prevention_effect = self.engaged * effect

    def follow(self, other: GPPractice) -> None:
        """Take the plan of practices on the same contract: the same prices bring the same plan."""
        self.engaged, self.referral_management = other.engaged, other.referral_management
        self.prevention_spend = other.prevention_spend
        self.prevention_effect = other.prevention_effect

    def rate_factors(self, b: Behaviour) -> dict[Scope, float]:
        """What this year's effort does to the patients' named rates (see :mod:`sim.modifiers`)."""
        keep = 1 - self.referral_management
        return {("elective", None): keep, ("outpatient", None): keep,
                ("acsc", True): 1 - b.prevention_max_effect * self.prevention_effect,
                ("emergency", True): 1 - b.prevention_other_emergency_effect
                * self.prevention_effect}

    def own_costs(self, high_risk_patients: float) -> float:
        """GBP spent this year on prevention by the engaged practices."""
        return self.prevention_spend * self.engaged * high_risk_patients


class Commissioner(mesa.Agent):
    """Holds the population budget, pays each contract by its rule and settles it at year end.

    Each (contract, payee) pair has its own books (:attr:`books`), kept across years,
    which the rule reads and writes at settlement (a block's value, a baseline), and its
    latest settlement (:attr:`settlements`). Only contracts with year-end terms
    (:attr:`sim.payment.PaymentRule.has_settlement`) are settled, so only they appear.
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


@dataclass
class Expectations:
    """What an ICP expects per enrolee and per high-risk enrolee next year (GBP, counts)."""

    revenue: float
    care_cost: float
    revenue_high_risk: float
    care_cost_high_risk: float
    acsc_high_risk: float          # counterfactual: before the ICP's own prevention
    other_emergency_high_risk: float
    bed_days_high_risk: float
    history: list[dict[str, float]] = field(default_factory=list)

    def update(self, observed: dict[str, float], weight: float) -> None:
        """Move each expectation ``weight`` of the way to what was observed (if finite)."""
        state = vars(self)
        for key, value in observed.items():
            if math.isfinite(value):
                state[key] = (1 - weight) * state[key] + weight * value


class IntegratedCarePartnership(Provider):
    """A risk-bearing partnership paid per enrolee by its contract; it makes or buys care."""

    def __init__(self, model: mesa.Model, config: IcpConfig, option: int, localities: list[int],
                 rule: PaymentRule, purchase_rule: PaymentRule | None, costs: HospitalCosts,
                 behaviour: Behaviour, expectations: Expectations, management_cost: float,
                 waiting_base: float, fixed_cost_per_resident: float = 0.0):
        super().__init__(model, config.name)
        self.management_cost = management_cost  # GBP per enrolee-year
        self.fixed_cost_per_resident = fixed_cost_per_resident  # GBP per resident of its area
        self.config = config
        self.option = option
        self.localities = localities
        self.rule = rule
        if purchase_rule is not None and not isinstance(purchase_rule, PartialPurchaseRule):
            purchase_rule = PartialPurchaseRule(base=purchase_rule)
        self.purchase_rule = purchase_rule  # None when vertically integrated
        self.costs = costs
        self.behaviour = behaviour
        self.expect = expectations
        self.is_open = False
        self.failed = False
        self.years_active = 0
        self.contestable = True
        self.capacity = 1e-9
        self.waiting_weeks = waiting_base  # weeks, own hospital (vertical only)
        self.peer_quality: float | None = None  # other ICPs' published quality last year
        self.prevention_spend = 0.0     # GBP per high-risk enrolee
        self.prevention_effect = 0.0    # share of the maximum effect achieved (0-1)
        self.prevention_gain = 1.0      # multiplier on prevention effects (community specialists)
        self.quality = behaviour.quality_base
        self.quality_spend = 0.0        # GBP per enrolee
        self.selection = 0.0            # utility penalty imposed on high-risk applicants
        self.referral_management = 0.0  # share of discretionary referrals avoided
        self.elective_volume = 1.0      # own-hospital volume response (vertical only)
        self.emergency_volume = 1.0     # own-hospital admission threshold (vertical only)
        self.readmission_factor = 1.0   # own-hospital readmissions kept (vertical only)
        self.self_provision = dict.fromkeys(SELF_PROVIDED, 0.0)  # share made in the community
        self.intermediate_spend = 0.0   # GBP per high-risk enrolee (pooled budgets)
        self.intermediate_effect = 0.0  # share of the maximum effect achieved (0-1)
        self.applied: dict[str, float] = {"acsc": 1.0, "emergency": 1.0, "los": 1.0}

    @property
    def vertical(self) -> bool:
        return self.purchase_rule is None

    @staticmethod
    def peer_quality_of(open_icps: list[IntegratedCarePartnership]) -> list[float | None]:
        """Mean quality the other open ICPs published last year, for each open ICP."""
        n = len(open_icps)
        if n < 2:
            return [None] * n
        quality = np.array([icp.quality for icp in open_icps])
        others = np.arange(n - 1)[None, :]
        others = others + (others >= np.arange(n)[:, None])  # row i: every ICP but i
        return quality[others].mean(axis=1).tolist()

    @property
    def maturity(self) -> float:
        """How far integration has matured: benefits lag (seed 004 L1618)."""
        years = self.config.years_integrated_at_start + self.years_active
        return 1.0 - math.exp(-years / self.behaviour.maturity_years)

    @property
    def monitored(self) -> bool:
        """Quality is watched, by the commissioner or because the contract pays on it."""
        return self.config.quality_monitoring or self.rule.monitors_quality

    def hospital_price(self, activity: str) -> float:
        """What one more unit of hospital activity costs the ICP."""
        if self.vertical:
            return self.costs.marginal(activity)
        bought = self.purchase_rule.marginal_price(activity)
        share = self.self_provision.get(activity, 0.0)
        return share * self.costs.community(activity) + (1 - share) * bought if share else bought

    def plan(self) -> None:
        """Choose this year's make-or-buy, prevention, referral, quality and selection effort."""
        b, e = self.behaviour, self.expect
        maturity = self.maturity
        self._plan_self_provision(maturity)
        # prevention: value of avoided admissions and bed days, net of what activity earns
        save_acsc = max(0.0, self.hospital_price("acsc") - self.rule.marginal_price("acsc"))
        save_other = max(0.0, self.hospital_price("emergency")
                         - self.rule.marginal_price("emergency"))
        save_bed_day = max(0.0, self.hospital_price("bed_day") - self.rule.marginal_price("bed_day"))
        self.prevention_gain = 1.0 + b.community_specialist_prevention_gain * (
            self.config.community_specialists)
        potential = maturity * (
            self.prevention_gain * b.prevention_max_effect * e.acsc_high_risk * save_acsc
            + self.prevention_gain * b.prevention_other_emergency_effect
            * e.other_emergency_high_risk * save_other
            + b.coordination_los_effect * e.bed_days_high_risk * save_bed_day)
        self.prevention_spend, self.prevention_effect = prevention_response(
            potential, b.prevention_half_spend)
        self._plan_intermediate_care(save_acsc, save_other, maturity)
        # discretionary referrals: managed when hospital care costs more than it earns
        if self.vertical:
            self.elective_volume = self.costs.volume_response(
                self.rule.marginal_price("elective"), "elective", b.induced_demand_elasticity)
            self.emergency_volume = self.costs.volume_response(
                self.rule.marginal_price("emergency"), "emergency",
                b.emergency_admission_elasticity)
            self.readmission_factor = readmission_response(
                self.costs, self.rule.marginal_price("readmission"), b)
            self.referral_management = 0.0
            under_service = max(0.0, 1.0 - self.elective_volume)
        else:
            net = ((self.hospital_price("elective") - self.rule.marginal_price("elective"))
                   / self.costs.average("elective"))
            self.referral_management = (b.referral_management_max
                                        * (1 - math.exp(-max(net, 0.0)
                                                        / b.referral_management_scale)))
            under_service = self.referral_management
        self._plan_quality(under_service)
        # selection: deter high-risk applicants when they lose money
        loss = e.care_cost_high_risk - e.revenue_high_risk
        self.selection = (b.selection_max * (1 - math.exp(-max(loss, 0.0) / b.selection_loss_scale))
                          if self.contestable else 0.0)
        self._plan_effects(maturity)

    def _plan_self_provision(self, maturity: float) -> None:
        """Make rather than buy outpatient and day-case care where the community is cheaper.

        Capability is the ICP's (``community_*_max``), limited by its contract's cap on
        self-provision, and it builds up as integration matures.
        """
        if self.vertical:
            return
        limits = {"outpatient": self.config.community_outpatient_max,
                  "elective": self.config.community_elective_max}
        for activity in SELF_PROVIDED:
            cheaper = self.costs.community(activity) < self.purchase_rule.marginal_price(activity)
            share = min(limits[activity], self.rule.self_provision_cap) * maturity
            self.self_provision[activity] = share if cheaper else 0.0
        self.purchase_rule.bought = {a: 1.0 - s for a, s in self.self_provision.items()}

    def _plan_intermediate_care(self, save_acsc: float, save_other: float,
                                maturity: float) -> None:
        """With a pooled budget, buy intermediate care to avoid admissions and delayed days."""
        b, e = self.behaviour, self.expect
        limit = self.rule.intermediate_care_limit
        if limit <= 0:
            self.intermediate_spend = self.intermediate_effect = 0.0
            return
        save_day = max(0.0, self.hospital_price("bed_day") - self.rule.marginal_price("delayed_day"))
        potential = maturity * (
            b.intermediate_care_admission_effect
            * (e.acsc_high_risk * save_acsc + e.other_emergency_high_risk * save_other)
            + b.intermediate_care_los_effect * b.delayed_transfer_share * e.bed_days_high_risk
            * save_day)
        spend, _ = prevention_response(potential, b.intermediate_care_half_spend)
        self.intermediate_spend = min(spend, limit)
        self.intermediate_effect = 1.0 - math.exp(-self.intermediate_spend
                                                  / b.intermediate_care_half_spend)

    def _plan_quality(self, under_service: float) -> None:
        """Quality: worth raising when members are profitable and free to leave, or paid for."""
        b, e = self.behaviour, self.expect
        penalty = 0.0 if self.monitored else b.under_service_quality_penalty * under_service
        margin = e.revenue - e.care_cost
        gain = 0.0
        if self.contestable and margin > 0:
            z = b.quality_effort_scale * margin / b.quality_cost_per_enrolee
            gain = b.quality_max_gain * z / (1 + z)
        reward = self.rule.quality_reward(max(e.revenue, 0.0), self.peer_quality)
        target = self.rule.quality_target(self.peer_quality)
        if reward > 0 and target is not None:
            cost_per_unit = b.quality_cost_per_enrolee / 0.1
            needed = min(max(target - (b.quality_base - penalty), 0.0), b.quality_max_gain)
            ratio = reward / cost_per_unit
            gain = max(gain, needed * ratio / (1 + ratio))
        self.quality_spend = b.quality_cost_per_enrolee * gain / 0.1
        self.quality = min(max(b.quality_base + gain - penalty, 0.0), 1.0)

    def _plan_effects(self, maturity: float) -> None:
        """Multipliers prevention and intermediate care put on high-risk enrolees' rates."""
        b = self.behaviour
        effect = maturity * self.prevention_effect
        care = b.intermediate_care_admission_effect * self.intermediate_effect
        self.applied = {
            "acsc": (1 - self.prevention_gain * b.prevention_max_effect * effect) * (1 - care),
            "emergency": (1 - self.prevention_gain * b.prevention_other_emergency_effect * effect)
            * (1 - care),
            "los": (1 - b.coordination_los_effect * effect)
            * (1 - b.delayed_transfer_share * b.intermediate_care_los_effect
               * self.intermediate_effect)}

    def rate_factors(self) -> dict[Scope, float]:
        """What this year's plan does to enrolees' named rates (see :mod:`sim.modifiers`)."""
        volume = self.elective_volume * (1 - self.referral_management)
        return {("elective", None): volume, ("outpatient", None): volume,
                ("emergency", None): self.emergency_volume, ("acsc", None): self.emergency_volume,
                ("readmission", None): self.readmission_factor,
                **{(rate, True): max(factor, 0.0) for rate, factor in self.applied.items()}}

    def own_costs(self, enrolees: float, high_risk_enrolees: float, residents: float) -> float:
        """GBP of prevention, intermediate care, quality, running and fixed costs this year."""
        return ((self.prevention_spend + self.intermediate_spend) * high_risk_enrolees
                + (self.quality_spend + self.management_cost) * enrolees
                + self.fixed_cost_per_resident * residents)

    def close_year(self, care_cost: float, enrolees: float, high_risk_enrolees: float,
                   residents: float = 0.0) -> float:
        """Count another year of running; returns the year's cost for the books: care plus
        prevention, quality, running and fixed costs."""
        self.years_active += 1
        return care_cost + self.own_costs(enrolees, high_risk_enrolees, residents)
