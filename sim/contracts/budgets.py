"""Budgets held by those who refer and plan: practice-based commissioning, pooled budgets.

* Practice-based commissioning: practices are paid per head for primary care and hold a
  budget for their patients' hospital care. Under a hard budget they keep underspend and
  bear overspend; under a soft (notional) one only part of an underspend is released,
  and nothing is at risk (seed 003:399-401, 795-802, 374-376). One more referral then
  costs the practice the retained share of its price, a negative marginal price. Only
  engaged practices act: about 50% motivated x about 2/3 competent = about 1/3 effective
  (seed 000:368-373), and motivation grows with the strength of the incentive (seed
  000:357-358, 611-613).
* Pooled health and social care budgets may be spent on intermediate care, and the pool
  carries the social-care cost of delayed transfers (seed 003:546-573; seed 002
  L505-509; Torbay, calibration_targets 7.1-7.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from sim.base.schema import Strict
from sim.config.declare import P
from sim.contracts.base import BaseTerms, CapitationVariant, WrappedRule
from sim.contracts.core import CapitationContract, TariffContract, build_capitation
from sim.contracts.rule import HOSPITAL_ACTIVITIES, Settlement, spell

if TYPE_CHECKING:
    from sim.contracts.context import BuildContext, CalibrationView


def motivated_share(base: float, strength: float, reference: float) -> float:
    """Share of practices motivated by an incentive of ``strength`` (retained share of savings).

    ``base`` is the share motivated at the ``reference`` strength (the soft budget the
    50% estimate describes); each further multiple of it halves the unmotivated share as
    the first did: 1 - (1 - base) ** (strength / reference).
    """
    if reference <= 0:
        return base if strength <= 0 else 1.0
    return 1.0 - (1.0 - base) ** (strength / reference)


class PracticeBudgetContract(Strict):
    """Practice-based commissioning: practices hold a budget for their patients' hospital care.

    Soft (notional) budgets versus "a full, capitated provider contract" or a "hard"
    budget (seed 003:399-401, 795-798). Only engaged practices act on it: about 50%
    motivated, and of those about 2/3 competent, so about 1/3 effective (seed 000:368-373);
    motivation depends on how strong the incentive is (seed 000:357-358, 611-613).
    """

    roles: ClassVar[tuple[str, ...]] = ("gp",)
    kind: Literal["practice_budget"] = "practice_budget"
    capitation: CapitationContract = Field(
        default_factory=lambda: CapitationContract(scope="primary_care", risk_adjustment="age_sex")
    )
    tariff: TariffContract = Field(default_factory=TariffContract)
    budget: Literal["soft", "hard"] = Field(
        "soft",
        description="soft: a notional budget, part of any underspend released for "
        "reinvestment; hard: practices keep underspend and bear overspend",
    )
    soft_retained_share: float = P(
        0.3,
        "share of a notional underspend released to practices",
        assumption=(0.0, 0.7),
        ge=0,
        le=1,
        note="'the practice still has not received a real budget' (seed 003:374-376)",
    )
    hard_retained_share: float = P(
        1.0,
        "share of underspend kept, and overspend borne, under a hard budget",
        "seed 003:795-802 (risk for deficits as well as surpluses)",
        ge=0,
        le=1,
    )
    budget_ratio: float = P(
        1.0,
        "hospital budget / expected hospital spend at England rates for the practices' patients",
        assumption=(0.95, 1.05),
        gt=0,
    )
    motivated_share: float = P(
        0.5,
        "share of practices motivated to commission under a soft budget",
        "seed 000:368-373",
        ge=0,
        le=1,
    )
    competent_share: float = P(
        2 / 3,
        "share of practices competent to commission",
        "seed 000:368-373 and the 2x2 box 000:393-419",
        ge=0,
        le=1,
    )
    admin_cost_per_head: float = P(
        8.0,
        "GBP per patient-year of commissioning support for practices",
        assumption=(2, 20),
        ge=0,
        note="'primary care-led commissioning increases transaction costs' (seed 000:187-188)",
    )


@dataclass(kw_only=True)
class PracticeBudgetRule(CapitationVariant):
    """Capitation for primary care plus a budget for the practices' patients' hospital care.

    The budget follows the practices' patients' risk as the capitation's formula sees it:
    the commissioner sets both on the same observed risk.
    """

    prices: dict[str, float]  # what the budget is charged per hospital activity
    retained: float  # share of underspend kept (and overspend borne if hard)
    hard: bool
    engaged: float  # motivated x competent share of practices
    budget_per_risk: float  # GBP of hospital budget per unit of risk score

    def marginal_price(self, activity: str) -> float:
        a = spell(activity)
        if a in self.activities or a not in HOSPITAL_ACTIVITIES:
            return 0.0
        return -self.retained * self.prices[a]

    def settle(self, settlement: Settlement) -> float:
        spend = sum(self.prices[a] * settlement.counts.get(a, 0.0) for a in HOSPITAL_ACTIVITIES)
        budget = self.budget_per_risk * settlement.observed_risk(self.capitation.adjuster)
        balance = budget - spend
        if balance > 0 or self.hard:
            return self.retained * balance
        return 0.0

    @property
    def engagement(self) -> float:
        return self.engaged


def build_practice_budget(
    config: PracticeBudgetContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> PracticeBudgetRule:
    hard = config.budget == "hard"
    retained = config.hard_retained_share if hard else config.soft_retained_share
    motivated = motivated_share(config.motivated_share, retained, config.soft_retained_share)
    prices = {a: p * config.tariff.price_scale for a, p in config.tariff.prices.as_dict().items()}
    return PracticeBudgetRule(
        base=build_capitation(config.capitation, "primary_care", calibration),
        own_admin_cost=config.admin_cost_per_head,
        prices=prices,
        retained=retained,
        hard=hard,
        engaged=motivated * config.competent_share,
        budget_per_risk=config.budget_ratio * context.mean_cost(HOSPITAL_ACTIVITIES, prices),
    )


class PooledBudgetContract(Strict):
    """A pooled health and social care budget that may be spent on intermediate care.

    "If the pool is protected so that savings made in one area can be reinvested ... this
    may liberate change" (seed 003:546-550). Torbay's integrated teams used pooled budgets
    to spend on intermediate care (seed 002 L505-509): occupied beds 750 -> 502
    (calibration_targets 7.3) and minimal delayed transfers (7.4).
    """

    roles: ClassVar[tuple[str, ...]] = ("icp",)
    kind: Literal["pooled_budget"] = "pooled_budget"
    base: BaseTerms = Field(default_factory=CapitationContract)
    intermediate_care_limit: float = P(
        300.0,
        "GBP per high-risk enrolee-year of pooled funds that may go on intermediate care",
        assumption=(100, 1000),
        ge=0,
    )
    delayed_day_value: float = P(
        150.0,
        "GBP the pool saves per delayed hospital day avoided "
        "(social care placement and reimbursement costs it carries)",
        assumption=(50, 313),
        ge=0,
        note="fines versus pooled investment, seed 003:552-573",
    )
    admin_cost_per_head: float = P(
        3.0, "GBP per covered patient-year to govern the pool", assumption=(1, 10), ge=0
    )


@dataclass
class PooledBudgetRule(WrappedRule):
    """The base payment, with the pool's freedom to fund intermediate care.

    The pool carries the social-care cost of each delayed transfer day of its members
    (a negative price on ``delayed_day``), and may spend up to ``limit`` per high-risk
    enrolee on intermediate care to avoid them.
    """

    limit: float = 300.0
    delayed_day_value: float = 150.0

    def marginal_price(self, activity: str) -> float:
        if activity == "delayed_day":
            return self.base.marginal_price(activity) - self.delayed_day_value
        return self.base.marginal_price(activity)

    @property
    def intermediate_care_limit(self) -> float:
        return self.limit


def build_pooled_budget(
    config: PooledBudgetContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> PooledBudgetRule:
    return PooledBudgetRule(
        base=context.build_rule(config.base, scope, calibration),
        own_admin_cost=config.admin_cost_per_head,
        limit=config.intermediate_care_limit,
        delayed_day_value=config.delayed_day_value,
    )
