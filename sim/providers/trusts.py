"""Acute hospital trusts: paid by activity, they treat the fragmented default and virtual ICPs.

A :class:`HospitalTrust` adds elective and outpatient volume where the margin is above the
national-tariff reference (supplier-induced demand), lowers its threshold for emergency
admission where admissions pay and avoids readmissions that earn it less than they cost.
Where its contract pays for quality (a withhold paid on quality, as CQUIN makes a share
of contract value conditional on quality goals: seed 002 L1262-1263), it buys quality
(:func:`~sim.providers.costs.paid_quality_gain`) and books what that costs.
Its capacity, cost and waits follow the model every hospital shares
(:mod:`sim.providers.capacity`): capacity follows activity with a lag, fixed costs are
stranded when activity leaves, and waits rise as capacity is released after a cut.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from sim.config.parameters import Behaviour, Hospital
from sim.contracts.payment import PaymentRule
from sim.providers.accounts import Provider
from sim.providers.capacity import empty_staffing, follow_activity
from sim.providers.costs import (
    HospitalCosts,
    paid_quality_gain,
    quality_effort_cost,
    readmission_response,
)


class HospitalTrust(Provider):
    """An acute trust paid by activity; it treats the fragmented default and virtual ICPs."""

    def __init__(
        self, model: mesa.Model, name: str, locality: int, capacity: float, params: Hospital
    ):
        super().__init__(model, name)
        self.locality = locality
        self.capacity = max(capacity, 1e-9)  # electives a year at the reference load
        self.params = params
        self.waiting_weeks = params.waiting_weeks_base
        self.staffed = empty_staffing(1)[0]  # by CAPACITY_ACTIVITIES; NaN before year 1
        self.stranded_cost = 0.0  # GBP this year of fixed cost of capacity left unused
        self.years_in_distress = 0  # year ends in a row below the exit threshold (exit rule)
        self.successor: int | None = None  # the trust taking over its patients, once it fails
        self.exited = False  # its localities are served by its successor
        self.quality_gain = 0.0  # quality index points bought this year over the base
        self.quality_spend = 0.0  # GBP per fragmented-default patient-year spent on quality
        self.revenue_per_patient = math.nan  # GBP its default patients paid last year

    def plan_quality(self, rule: PaymentRule, b: Behaviour, first_revenue: float) -> None:
        """Quality effort for the fragmented default's patients, from what ``rule`` pays for
        quality on last year's revenue per patient (``first_revenue`` before any)."""
        revenue = (
            first_revenue if math.isnan(self.revenue_per_patient) else self.revenue_per_patient
        )
        self.quality_gain = paid_quality_gain(rule, revenue, None, b)
        self.quality_spend = quality_effort_cost(b, self.quality_gain)

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
    def update_capacity(
        trusts: list[HospitalTrust],
        activity: np.ndarray,
        elective_demand: np.ndarray,
        costs: HospitalCosts,
        params: Hospital,
        taken_over: np.ndarray | None = None,
    ) -> None:
        """Each trust's capacity, stranded cost and wait this year, all trusts at once, from
        what it treated (``activity``: a row per trust, a column per capacity activity), the
        electives referred to it and the capacity it took over from, or handed to, the
        hospitals its patients moved to (:func:`~sim.providers.capacity.follow_activity`)."""
        year = follow_activity(
            np.array([trust.staffed for trust in trusts]),
            activity,
            elective_demand,
            costs,
            params,
            taken_over,
        )
        for k, trust in enumerate(trusts):
            trust.staffed = year.staffed[k]
            trust.stranded_cost = float(year.stranded_cost[k])
            trust.waiting_weeks = float(year.waiting_weeks[k])
            trust.capacity = float(year.elective_capacity[k])
