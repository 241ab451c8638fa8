"""Local authorities: each locality's social-care budget, the care packages it buys for
people leaving hospital, the delays when packages are short, and a pooled budget with health.

Local authorities, not the NHS, are responsible for social care, "on which many of the most
vulnerable users depend" (seed 002 L662-664). Each year, in each locality:

* the budget is ``spend_per_head`` times the residents; ``discharge_share`` of it buys
  packages for people leaving hospital at ``package_cost`` each, less what it spends caring
  for patients the hospital discharged earlier than the calibrated stay (cost shifted to
  social care, seed 002 L858; seed 004 L1419);
* packages are needed by ``need_share`` of the emergency admissions of patients aged 65+;
  each such discharge finding no package left waits ``wait_days`` in a bed: delayed
  transfers of care;
* the calibrated lengths of stay already hold the delays of England's average budget
  (``reference_spend_per_head``), so the delays beyond that level are new bed days, booked
  in the hospital's activity and costs (cost shifted to health), and delays below it are
  bed days saved;
* with a pool (``pooled_share`` of both budgets), the joint manager tops up packages with
  health money where a package saves more hospital bed-day cost than it costs, up to the
  health share of the pool: the money Torbay's pooled budget moved into care at home
  (seed 002 L503-509; seed 003:546-573).

The arithmetic is in the module's functions, one array a locality each, so tests can
check it by hand; :class:`LocalAuthority` holds one locality's year as an agent.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.config.social_care_parameters import SocialCare


def delayed_days(needed: np.ndarray, bought: np.ndarray, p: SocialCare) -> np.ndarray:
    """Delayed transfer days a year: each discharge needing a package when none is left
    waits ``wait_days`` in a bed."""
    short = np.maximum(np.asarray(needed, dtype=float) - np.asarray(bought, dtype=float), 0.0)
    return p.wait_days * short


def pooled_packages(
    needed: np.ndarray, own: np.ndarray, bed_day_cost: float, limit: np.ndarray, p: SocialCare
) -> np.ndarray:
    """Packages the joint manager adds with the pool's health money (at most ``limit`` GBP).

    A package a discharge is waiting for saves ``wait_days`` bed days; the manager buys the
    packages short when those days cost more than the package, else none.
    """
    short = np.maximum(np.asarray(needed, dtype=float) - np.asarray(own, dtype=float), 0.0)
    if p.wait_days * bed_day_cost <= p.package_cost:
        return np.zeros_like(short)
    return np.minimum(short, np.asarray(limit, dtype=float) / p.package_cost)


@dataclass(frozen=True)
class SocialCareYear:
    """One year of every locality's social care, an entry per locality (GBP, days, packages)."""

    residents: np.ndarray
    budget: np.ndarray  # the local authority's own budget
    needed: np.ndarray  # packages discharges need
    early_days: np.ndarray  # days of care for patients discharged before the calibrated stay
    shifted_to_social_care: np.ndarray  # GBP: what caring for them cost social care
    packages: np.ndarray  # packages bought, the pool's included
    pooled_transfer: np.ndarray  # GBP of health money the pool spent on social care
    delayed_days: np.ndarray  # delayed transfer days
    booked_bed_days: np.ndarray  # delays beyond the calibrated level: new bed days (<0: saved)
    shifted_to_health: np.ndarray  # GBP: the booked bed days at the bed-day cost

    @property
    def spend(self) -> np.ndarray:
        """What social care spent: its own budget and the health money pooled into it."""
        return self.budget + self.pooled_transfer


def social_care_year(
    residents: np.ndarray,
    older_emergencies: np.ndarray,
    early_days: np.ndarray,
    bed_day_cost: float,
    p: SocialCare,
) -> SocialCareYear:
    """Every locality's social care this year, from its residents, the emergency admissions
    of its patients aged 65+ and the bed days its hospitals' shorter stays saved for patients
    needing care (``early_days``)."""
    residents = np.asarray(residents, dtype=float)
    budget = p.spend_per_head * residents
    needed = p.need_share * np.asarray(older_emergencies, dtype=float)
    early_days = np.asarray(early_days, dtype=float)
    shifted = p.care_cost_per_day * early_days
    own = np.maximum(p.discharge_share * budget - shifted, 0.0) / p.package_cost
    reference = p.discharge_share * p.reference_spend_per_head * residents / p.package_cost
    health_pool = p.pooled_share * p.health_spend_per_head * residents
    extra = pooled_packages(needed, own, bed_day_cost, health_pool, p)
    bought = own + extra
    delays = delayed_days(needed, bought, p)
    booked = delays - delayed_days(needed, reference, p)
    return SocialCareYear(
        residents=residents,
        budget=budget,
        needed=needed,
        early_days=early_days,
        shifted_to_social_care=shifted,
        packages=bought,
        pooled_transfer=extra * p.package_cost,
        delayed_days=delays,
        booked_bed_days=booked,
        shifted_to_health=booked * bed_day_cost,
    )


class LocalAuthority(mesa.Agent):
    """One locality's local authority: its social-care budget, packages and delays this year.

    Its numbers are set each year from the whole table of localities
    (:meth:`record`), so its year reads as one agent's.
    """

    def __init__(self, model: mesa.Model, name: str, locality: int):
        super().__init__(model)
        self.name = name
        self.locality = locality
        self.budget = 0.0  # GBP this year
        self.spend = 0.0  # GBP: budget plus health money pooled into social care
        self.packages = 0.0  # care packages bought for people leaving hospital
        self.delayed_days = 0.0  # delayed transfer days this year

    @staticmethod
    def record(authorities: list[LocalAuthority], year: SocialCareYear) -> None:
        """Each authority's share of ``year``, by its locality."""
        spend = year.spend
        for la in authorities:
            li = la.locality
            la.budget, la.spend = float(year.budget[li]), float(spend[li])
            la.packages, la.delayed_days = float(year.packages[li]), float(year.delayed_days[li])
