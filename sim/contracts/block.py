"""Block contracts: a fixed annual sum for a service, whatever the activity.

Cumbria paid its new community diabetes service by "a block contract" (seed 004
L603-604); Knowsley's contract was "part block and part performance" (L535). One more
unit of activity earns a block-paid provider nothing, so supplier-induced demand falls;
and the money does not follow patients who leave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from sim.config.declare import P
from sim.contracts.adjustment import (
    NoRiskAdjustment,
    RiskAdjuster,
    RiskAdjustmentTerms,
    make_risk_adjuster,
)
from sim.contracts.rule import SCOPES, PaymentRule, Settlement
from sim.contracts.terms import ALL_ROLES

if TYPE_CHECKING:
    from sim.contracts.context import BuildContext, CalibrationView


class BlockContract(RiskAdjustmentTerms):
    """A fixed annual sum for a service, whatever the activity (seed 004 L603-604, Cumbria).

    The value is set in the first contract year from the covered population's expected
    spend at tariff, as the commissioner's risk formula (``risk_adjustment``) sees that
    population, and then changes only by ``annual_uplift``: money does not follow
    patients who leave, and one more unit of activity earns nothing.
    """

    roles: ClassVar[tuple[str, ...]] = ALL_ROLES
    kind: Literal["block"] = "block"
    budget_ratio: float = P(
        1.0,
        "block value / expected spend at tariff on the services in "
        "scope for the population covered in the first year",
        assumption=(0.8, 1.1),
        gt=0,
    )
    annual_uplift: float = P(
        0.0,
        "yearly proportional change in the block's value",
        assumption=(-0.04, 0.04),
        ge=-0.5,
        le=0.5,
        note="flat real funding to 2015, seed 002 L237-254",
    )
    admin_cost_per_head: float = P(
        1.0,
        "GBP per covered patient-year to agree and monitor the block",
        assumption=(0.5, 5),
        ge=0,
    )


@dataclass
class BlockRule(PaymentRule):
    """A fixed annual value, paid in instalments per head and reconciled at year end.

    Instalments (``budget_ratio`` x expected spend per unit of risk x each patient's risk
    as ``adjuster`` predicts it) let a provider see its expected income; at settlement the
    year's total is brought to the block's value, which is fixed in the first year on the
    covered population's predicted risk and then moves only by the uplift. A rule built by
    hand without an adjuster sees head counts only.
    """

    activities: tuple[str, ...]
    spend_per_risk: float  # GBP expected spend in scope per unit of risk score
    budget_ratio: float
    annual_uplift: float
    admin_cost_per_head: float = 0.0
    adjuster: RiskAdjuster = field(default_factory=NoRiskAdjustment)

    def marginal_price(self, activity: str) -> float:
        return 0.0

    @property
    def risk_adjuster(self) -> RiskAdjuster:
        return self.adjuster

    def per_enrolee(self, age, sex, risk):
        predicted = self.adjuster.predict(age, sex, risk).astype(np.float64)
        return self.budget_ratio * self.spend_per_risk * predicted

    def patient_payments(self, counts, age, sex, risk):
        return self.per_enrolee(age, sex, risk)

    def settle(self, settlement: Settlement) -> float:
        state = settlement.state
        if "value" not in state:  # the first year fixes the block at the covered population
            observed = settlement.observed_risk(self.adjuster)
            state["value"] = self.budget_ratio * self.spend_per_risk * observed
        else:
            state["value"] *= 1 + self.annual_uplift
        return float(state["value"] - settlement.paid)


def build_block(
    config: BlockContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> BlockRule:
    """Instalments and first-year value from expected spend in ``scope`` at national prices,
    on the risk the contract's formula sees."""
    activities = SCOPES[scope]
    return BlockRule(
        activities=activities,
        spend_per_risk=context.mean_cost(activities, context.national_prices),
        budget_ratio=config.budget_ratio,
        annual_uplift=config.annual_uplift,
        admin_cost_per_head=config.admin_cost_per_head,
        adjuster=make_risk_adjuster(config, calibration),
    )
