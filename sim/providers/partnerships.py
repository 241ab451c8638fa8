"""Integrated care partnerships: risk-bearing providers paid per enrolee, who make or buy care.

Each :class:`IntegratedCarePartnership` is a Mesa agent with its own contract, localities
and accounts. What it plans each year and what it expects of its enrolees are its row of
one :class:`sim.providers.partnership_table.Partnerships` table, a row per ICP (as its
accounts are its row of :class:`sim.providers.accounts.ProviderAccounts`); how it plans is
in :mod:`sim.providers.partnership_plans`.
"""

from __future__ import annotations

import math
from dataclasses import astuple
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.contracts.base import SELF_PROVIDED, PartialPurchaseRule
from sim.contracts.payment import PaymentRule
from sim.providers.accounts import Provider, row_attribute
from sim.providers.partnership_table import EXPECTED, Expectations, Partnerships

if TYPE_CHECKING:
    from sim.config.scenario import IcpConfig


def _column(name: str, doc: str) -> property:
    """An ICP attribute that is its own entry in one column of the partnerships' table."""
    return row_attribute("table", "plan_row", name, doc)


class IntegratedCarePartnership(Provider):
    """A risk-bearing partnership paid per enrolee by its contract; it makes or buys care.

    Its plan and expectations are row ``plan_row`` of the model's :class:`Partnerships`
    (``model.partnerships``), which plans every open ICP at once; its accounts are row
    ``row`` of the model's provider accounts, as every provider's are.
    """

    def __init__(
        self,
        model: mesa.Model,
        config: IcpConfig,
        option: int,
        localities: list[int],
        rule: PaymentRule,
        purchase_rule: PaymentRule | None,
        expectations: Expectations,
        management_cost: float,
        waiting_base: float,
        fixed_cost_per_resident: float = 0.0,
    ):
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
        self.table: Partnerships = model.partnerships
        self.plan_row = self.table.add(self, waiting_base)
        self.expect = expectations

    is_open = _column("is_open", "Open this year: enrolling patients and paid for them.")
    failed = _column("failed", "Closed for good when its reserves ran out.")
    contestable = _column("contestable", "Another option is open in a locality it serves.")
    years_active = _column("years_active", "Years it has run.")
    quality = _column("quality", "Quality index it published this year (0-1).")
    quality_spend = _column("quality_spend", "GBP per enrolee spent on quality.")
    selection = _column("selection", "Utility penalty it imposes on high-risk applicants.")
    prevention_spend = _column("prevention_spend", "GBP per high-risk enrolee on prevention.")
    prevention_effect = _column("prevention_effect", "Share of prevention's maximum effect.")
    referral_management = _column("referral_management", "Share of referrals it avoids.")
    elective_volume = _column("elective_volume", "Own hospital's elective volume response.")
    emergency_volume = _column("emergency_volume", "Own hospital's admission threshold.")
    readmission_factor = _column("readmission_factor", "Own hospital's readmissions kept.")
    intermediate_spend = _column("intermediate_spend", "GBP per high-risk enrolee (pooled).")
    intermediate_effect = _column("intermediate_effect", "Share of its maximum effect.")
    capacity = _column("capacity", "Own hospital's elective capacity (vertical only).")
    waiting_weeks = _column("waiting_weeks", "Own hospital's elective wait (vertical only).")
    stranded_cost = _column("stranded_cost", "GBP of its own hospital's unused fixed cost.")
    benefits = _column("benefits", "GBP per enrolee of extra benefits it offers this year.")
    premium = _column("premium", "GBP a year of top-up premium its members pay this year.")
    clawback_headroom = _column(
        "clawback_headroom", "GBP per enrolee it could spend before its own surplus paid."
    )
    cost_spread = _column("cost_spread", "GBP per enrolee its cost moves from year to year.")

    @property
    def vertical(self) -> bool:
        return self.purchase_rule is None

    @property
    def peer_quality(self) -> float | None:
        """Mean quality the other open ICPs published last year (None when it has no peers)."""
        value = float(self.table.peer_quality[self.plan_row])
        return None if math.isnan(value) else value

    @property
    def saving_kept(self) -> float:
        """Share of a pound saved on care it keeps: see :meth:`Partnerships.saving_kept`."""
        return float(self.table.saving_kept(np.array([self.plan_row]))[0])

    @property
    def maturity(self) -> float:
        """How far integration has matured (0-1): see :meth:`Partnerships.maturity`."""
        return float(self.table.maturity(np.array([self.plan_row]))[0])

    @property
    def self_provision(self) -> dict[str, float]:
        """Share of outpatient and day-case care it makes in the community."""
        return {a: float(getattr(self.table, f"made_{a}")[self.plan_row]) for a in SELF_PROVIDED}

    @property
    def applied(self) -> dict[str, float]:
        """Multipliers its prevention and intermediate care put on high-risk enrolees."""
        return {
            k: float(getattr(self.table, f"applied_{k}")[self.plan_row])
            for k in ("acsc", "emergency", "los")
        }

    @property
    def expect(self) -> Expectations:
        """What it expects per enrolee next year (a copy: the table keeps the values)."""
        return Expectations(
            *(float(getattr(self.table, f"expect_{k}")[self.plan_row]) for k in EXPECTED)
        )

    @expect.setter
    def expect(self, value: Expectations) -> None:
        for k, v in zip(EXPECTED, astuple(value), strict=True):
            getattr(self.table, f"expect_{k}")[self.plan_row] = v
