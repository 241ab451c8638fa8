"""The fragmented default's GP practices, one agent per locality: paid per head, they refer.

Where their contract charges them for their patients' hospital care (practice-based
commissioning), the engaged share of practices manages referrals and invests in
prevention for high-risk patients. Where it pays for quality (as the GMS contract rewards
the team for the quality of care it delivers: seed 001:284-286, 480-483), they buy quality
(:func:`~sim.providers.costs.paid_quality_gain`) and bear its cost.
"""

from __future__ import annotations

import math

import mesa

from sim.config.parameters import Behaviour
from sim.contracts.payment import PaymentRule
from sim.patients.modifiers import Scope
from sim.providers.accounts import Provider
from sim.providers.costs import (
    HospitalCosts,
    paid_quality_gain,
    prevention_response,
    quality_effort_cost,
)


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
        self.quality_gain = 0.0  # quality index points bought this year over the base
        self.quality_spend = 0.0  # GBP per patient-year spent on quality
        self.revenue_per_patient = math.nan  # GBP per patient the contract paid last year

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

    def plan_quality(self, rule: PaymentRule, b: Behaviour, first_revenue: float) -> None:
        """Quality effort from what ``rule`` pays for quality on last year's revenue per
        patient (``first_revenue`` before any)."""
        revenue = (
            first_revenue if math.isnan(self.revenue_per_patient) else self.revenue_per_patient
        )
        self.quality_gain = paid_quality_gain(rule, revenue, None, b)
        self.quality_spend = quality_effort_cost(b, self.quality_gain)

    def follow(self, other: GPPractice) -> None:
        """Take the plan of practices on the same contract: the same prices bring the same plan."""
        self.engaged, self.referral_management = other.engaged, other.referral_management
        self.prevention_spend = other.prevention_spend
        self.prevention_effect = other.prevention_effect
        self.quality_gain, self.quality_spend = other.quality_gain, other.quality_spend

    def rate_factors(self, b: Behaviour) -> dict[Scope, float]:
        """What this year's effort does to the patients' named rates (see
        :mod:`sim.patients.modifiers`)."""
        keep = 1 - self.referral_management
        return {
            ("elective", None): keep,
            ("outpatient", None): keep,
            ("acsc", True): 1 - b.prevention_max_effect * self.prevention_effect,
            ("emergency", True): 1 - b.prevention_other_emergency_effect * self.prevention_effect,
        }

    def own_costs(self, high_risk_patients: float, patients: float = 0.0) -> float:
        """GBP spent this year on prevention by the engaged practices and on quality."""
        return self.prevention_spend * self.engaged * high_risk_patients + (
            self.quality_spend * patients
        )
