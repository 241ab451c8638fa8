"""Acute hospital trusts: paid by activity, they treat the fragmented default and virtual ICPs.

A :class:`HospitalTrust` adds elective and outpatient volume where the margin is above the
national-tariff reference (supplier-induced demand), lowers its threshold for emergency
admission where admissions pay, avoids readmissions that earn it less than they cost, and
staffs its elective capacity to its margin, so waits rise when activity stops paying
(:func:`waiting_weeks`).
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from sim.config.parameters import Behaviour, Hospital
from sim.contracts.payment import PaymentRule
from sim.providers.accounts import Provider
from sim.providers.costs import HospitalCosts, elementwise, readmission_response


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
