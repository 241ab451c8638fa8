"""Provider agents: hospital trusts, GP practices, integrated care partnerships, the commissioner.

Providers never ask which payment regime they are under. They see the margin that
one more unit of activity earns them (price minus marginal cost) and the surplus
they expect per enrolee, and they respond to those numbers:

* a :class:`HospitalTrust` adds elective and outpatient volume where the margin is
  above the national-tariff reference (supplier-induced demand), and its waits rise
  with load;
* an :class:`IntegratedCarePartnership` spends on prevention when avoided admissions
  save it money, manages referrals when hospital care is a cost to it, raises quality
  when members are profitable and contestable, and deters high-risk applicants when
  they lose it money;
* a :class:`GPPractice` is paid per head and refers;
* the :class:`Commissioner` pays every contract and records spend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mesa
import numpy as np

from sim.payment import PaymentRule
from sim.scenario import Behaviour, Costs, Hospital, IcpConfig, Prices, Utilisation

SPELLS = ("elective", "emergency")


class HospitalCosts:
    """What care costs whoever runs a hospital: average and marginal cost per activity.

    Tariff prices are national average costs, so the non-bed-day part of a spell is the
    price less its mean stay at the bed-day cost; marginal cost is a share of that part
    plus the stay.
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

    def average(self, activity: str) -> float:
        return self.fixed[activity] + self.los.get(activity, 0.0) * self.bed_day

    def marginal(self, activity: str) -> float:
        return self.marginal_share * self.fixed[activity] + self.los.get(activity, 0.0) * self.bed_day

    def margin_rate(self, marginal_price: float, activity: str) -> float:
        """Margin on one more unit, as a share of average cost."""
        return (marginal_price - self.marginal(activity)) / self.average(activity)

    def reference_margin_rate(self, activity: str) -> float:
        """The margin under the national tariff, where the England baseline is calibrated."""
        return self.margin_rate(self.average(activity), activity)

    def volume_response(self, marginal_price: float, activity: str, elasticity: float) -> float:
        """Multiplier on discretionary volume chosen by whoever earns ``marginal_price``."""
        gap = self.margin_rate(marginal_price, activity) - self.reference_margin_rate(activity)
        return math.exp(elasticity * gap)

    def hospital_cost(self, counts: dict[str, float], bed_days: float) -> float:
        """Total cost of hospital activity (``counts['emergency']`` counts all emergency spells)."""
        return sum(self.fixed[a] * counts[a] for a in self.fixed) + bed_days * self.bed_day


class Provider(mesa.Agent):
    """Anything that is paid and has costs: it keeps a surplus and reserves."""

    def __init__(self, model: mesa.Model, name: str):
        super().__init__(model)
        self.name = name
        self.revenue = 0.0
        self.cost = 0.0
        self.reserves = 0.0

    @property
    def surplus(self) -> float:
        return self.revenue - self.cost

    def book(self, revenue: float, cost: float) -> None:
        """Close the year's accounts."""
        self.revenue, self.cost = float(revenue), float(cost)
        self.reserves += self.surplus


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

    def update_waiting(self, elective_demand: float) -> None:
        load = elective_demand / self.capacity
        self.waiting_weeks = waiting_weeks(load, self.params)


def waiting_weeks(load: float, params: Hospital) -> float:
    """Referral-to-treatment wait, rising exponentially as demand outruns capacity."""
    return float(params.waiting_weeks_base
                 * math.exp(params.waiting_load_sensitivity * (load - params.reference_load)))


class GPPractice(Provider):
    """The fragmented default's practices in one locality, paid per head; they refer."""

    def __init__(self, model: mesa.Model, name: str, locality: int):
        super().__init__(model, name)
        self.locality = locality


class Commissioner(mesa.Agent):
    """Holds the population budget and pays each contract by its rule; records spend."""

    def __init__(self, model: mesa.Model, rules: dict[str, PaymentRule]):
        super().__init__(model)
        self.rules = rules
        self.spend = 0.0
        self.spend_by_payee: dict[str, float] = {}
        self.rescues: dict[str, float] = {}

    def record(self, payments: dict[str, float]) -> None:
        """Record this year's contract payments (rescues are added by :meth:`rescue`)."""
        self.spend_by_payee = {k: float(v) for k, v in payments.items()}
        self.spend = float(sum(payments.values()))
        self.rescues: dict[str, float] = {}

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
        for key, value in observed.items():
            if np.isfinite(value):
                setattr(self, key, (1 - weight) * getattr(self, key) + weight * value)


class IntegratedCarePartnership(Provider):
    """A risk-bearing partnership paid per enrolee by its contract; it makes or buys care."""

    def __init__(self, model: mesa.Model, config: IcpConfig, option: int, localities: list[int],
                 rule: PaymentRule, purchase_rule: PaymentRule | None, costs: HospitalCosts,
                 behaviour: Behaviour, expectations: Expectations, management_cost: float,
                 waiting_base: float):
        super().__init__(model, config.name)
        self.management_cost = management_cost  # GBP per enrolee-year
        self.config = config
        self.option = option
        self.localities = localities
        self.rule = rule
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
        self.prevention_spend = 0.0     # GBP per high-risk enrolee
        self.prevention_effect = 0.0    # share of the maximum effect achieved (0-1)
        self.quality = behaviour.quality_base
        self.quality_spend = 0.0        # GBP per enrolee
        self.selection = 0.0            # utility penalty imposed on high-risk applicants
        self.referral_management = 0.0  # share of discretionary referrals avoided
        self.elective_volume = 1.0      # own-hospital volume response (vertical only)

    @property
    def vertical(self) -> bool:
        return self.purchase_rule is None

    @property
    def maturity(self) -> float:
        """How far integration has matured: benefits lag (seed 004 L1618)."""
        years = self.config.years_integrated_at_start + self.years_active
        return 1.0 - math.exp(-years / self.behaviour.maturity_years)

    def hospital_price(self, activity: str) -> float:
        """What one more unit of hospital activity costs the ICP."""
        if self.vertical:
            return self.costs.marginal(activity)
        return self.purchase_rule.marginal_price(activity)

    def plan(self) -> None:
        """Choose this year's prevention, referral management, quality and selection effort."""
        b, e = self.behaviour, self.expect
        # prevention: value of avoided admissions and bed days, net of what activity earns
        save_admission = max(0.0, self.hospital_price("emergency")
                             - self.rule.marginal_price("emergency"))
        save_bed_day = self.costs.bed_day if self.vertical else 0.0
        potential = self.maturity * (
            b.prevention_max_effect * e.acsc_high_risk * save_admission
            + b.prevention_other_emergency_effect * e.other_emergency_high_risk * save_admission
            + b.coordination_los_effect * e.bed_days_high_risk * save_bed_day)
        h = b.prevention_half_spend
        self.prevention_spend = h * math.log(potential / h) if potential > h else 0.0
        self.prevention_effect = 1.0 - math.exp(-self.prevention_spend / h)
        # discretionary referrals: managed when hospital care costs more than it earns
        if self.vertical:
            self.elective_volume = self.costs.volume_response(
                self.rule.marginal_price("elective"), "elective", b.induced_demand_elasticity)
            self.referral_management = 0.0
            under_service = max(0.0, 1.0 - self.elective_volume)
        else:
            net = ((self.hospital_price("elective") - self.rule.marginal_price("elective"))
                   / self.costs.average("elective"))
            self.referral_management = (b.referral_management_max
                                        * (1 - math.exp(-max(net, 0.0)
                                                        / b.referral_management_scale)))
            under_service = self.referral_management
        # quality: worth raising when members are profitable and free to leave
        margin = e.revenue - e.care_cost
        gain = 0.0
        if self.contestable and margin > 0:
            z = b.quality_effort_scale * margin / b.quality_cost_per_enrolee
            gain = b.quality_max_gain * z / (1 + z)
        self.quality_spend = b.quality_cost_per_enrolee * gain / 0.1
        quality = b.quality_base + gain
        if not self.config.quality_monitoring:
            quality -= b.under_service_quality_penalty * under_service
        self.quality = float(np.clip(quality, 0.0, 1.0))
        # selection: deter high-risk applicants when they lose money
        loss = e.care_cost_high_risk - e.revenue_high_risk
        self.selection = (b.selection_max * (1 - math.exp(-max(loss, 0.0) / b.selection_loss_scale))
                          if self.contestable else 0.0)

    def apply_modifiers(self, modifiers) -> None:
        """Scale the named rates of this ICP's enrolees (see :mod:`sim.modifiers`)."""
        b = self.behaviour
        o = self.option
        for activity in ("elective", "outpatient"):
            modifiers.scale(activity, self.elective_volume * (1 - self.referral_management),
                            option=o)
        effect = self.maturity * self.prevention_effect
        modifiers.scale("acsc", 1 - b.prevention_max_effect * effect, option=o, high_risk=True)
        modifiers.scale("emergency", 1 - b.prevention_other_emergency_effect * effect, option=o,
                        high_risk=True)
        modifiers.scale("los", 1 - b.coordination_los_effect * effect, option=o, high_risk=True)

    def settle(self, revenue: float, care_cost: float, enrolees: float,
               high_risk_enrolees: float) -> None:
        """Book the year: care plus prevention, quality and running costs."""
        own = (self.prevention_spend * high_risk_enrolees
               + (self.quality_spend + self.management_cost) * enrolees)
        self.book(revenue, care_cost + own)
        self.years_active += 1
