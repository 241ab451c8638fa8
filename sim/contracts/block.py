"""Block contracts: a fixed annual sum for a service, whatever the activity.

Cumbria paid its new community diabetes service by "a block contract" (seed 004
L603-604); Knowsley's contract was "part block and part performance" (L535). One more
unit of activity earns a block-paid provider nothing, so supplier-induced demand falls;
and the money does not follow patients who leave.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.contracts.payment import (
    BUILDERS,
    NATIONAL_PRICES,
    SCOPES,
    PaymentRule,
    RuleContext,
    Settlement,
)
from sim.contracts.terms import BlockContract
from sim.patients.calibration import Calibration


@dataclass
class BlockRule(PaymentRule):
    """A fixed annual value, paid in instalments per head and reconciled at year end.

    Instalments (``budget_ratio`` x expected spend per unit of risk x each patient's risk)
    let a provider see its expected income; at settlement the year's total is brought to
    the block's value, which is fixed in the first year and then moves only by the uplift.
    """

    activities: tuple[str, ...]
    spend_per_risk: float  # GBP expected spend in scope per unit of risk score
    budget_ratio: float
    annual_uplift: float
    admin_cost_per_head: float = 0.0

    def marginal_price(self, activity: str) -> float:
        return 0.0

    def per_enrolee(self, age, sex, risk):
        return self.budget_ratio * self.spend_per_risk * np.asarray(risk, dtype=np.float64)

    def patient_payments(self, counts, age, sex, risk):
        return self.per_enrolee(age, sex, risk)

    def settle(self, settlement: Settlement) -> float:
        state = settlement.state
        if "value" not in state:  # the first year fixes the block at the covered population
            state["value"] = self.budget_ratio * self.spend_per_risk * settlement.risk
        else:
            state["value"] *= 1 + self.annual_uplift
        return float(state["value"] - settlement.paid)


def build_block(
    config: BlockContract, scope: str, calibration: Calibration, context: RuleContext
) -> BlockRule:
    activities = SCOPES[scope]
    return BlockRule(
        activities=activities,
        spend_per_risk=context.mean_cost(activities, NATIONAL_PRICES),
        budget_ratio=config.budget_ratio,
        annual_uplift=config.annual_uplift,
        admin_cost_per_head=config.admin_cost_per_head,
    )


BUILDERS["block"] = build_block
