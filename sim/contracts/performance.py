"""Pay for performance: withholds paid on quality targets, and lead providers with a bonus.

Tower Hamlets held back 30% of its diabetes contract for outcomes (seed 004 L230-232);
Knowsley's performance share rose from 20% to 40% over three years (L2493-2495); Milton
Keynes offered its lead provider about 90% of current spend plus 5% for performance
(L2334-2336). Quality that earns money has a price: one more unit of the quality index
earns the payee the withheld (or bonus) money divided by the distance from the floor to
the target, and providers weigh that against what quality costs them. Measuring quality
also deters under-service (seed 002 L1293-1295). With peer benchmarks the target is the
other systems' published quality: yardstick competition (seed 001:771-777).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from sim.base.schema import Strict
from sim.config.declare import P
from sim.contracts.adjustment import make_risk_adjuster
from sim.contracts.base import BaseTerms, CapitationVariant, WrappedRule
from sim.contracts.core import CapitationContract, CapitationRule
from sim.contracts.rule import SCOPES, Settlement
from sim.contracts.tariffs import by_year
from sim.contracts.terms import check_shares

if TYPE_CHECKING:
    from sim.contracts.context import BuildContext, CalibrationView


def achievement(quality: float, floor: float, target: float) -> float:
    """Share of the performance money earned: 0 at or below the floor, 1 at the target."""
    if target <= floor:
        return float(quality >= target)
    return float(np.clip((quality - floor) / (target - floor), 0.0, 1.0))


class WithholdContract(Strict):
    """Pay for performance: a share of the base payment held back and paid on quality.

    Tower Hamlets: "70 per cent of the contract is provided upfront and 30 per cent is
    held back" (seed 004 L230-232); Knowsley's performance share rose "from 20 per cent
    in the first year to 40 per cent in the third year" (seed 004 L2493-2495). With
    ``benchmark = "peers"`` the target is the other ICPs' published quality: yardstick
    competition (seed 001:771-777). On a trust's or the practices' contract it is CQUIN's
    kind of scheme, a share of contract value conditional on quality goals (seed 002
    L1262-1263), paid on the fragmented default's measured quality in their locality.
    """

    roles: ClassVar[tuple[str, ...]] = ("icp", "hospital", "gp")
    kind: Literal["p4p_withhold"] = "p4p_withhold"
    base: BaseTerms = Field(default_factory=CapitationContract)
    withhold_share_by_year: list[float] = P(
        [0.3],
        "share of the base payment held back and paid on quality, by contract year "
        "(the last value persists)",
        "seed 004 L230-232 (Tower Hamlets 30%)",
    )
    benchmark: Literal["fixed", "peers"] = Field(
        "fixed",
        description="fixed quality targets by year, or the mean quality the other "
        "ICPs achieved last year (yardstick competition)",
    )
    target_quality_by_year: list[float] = P(
        [0.7],
        "quality index at which the whole withheld share is paid, by contract year",
        assumption=(0.55, 0.9),
        note="Knowsley targets rise year on year (seed 004 L2577-2646)",
    )
    floor_quality: float = P(
        0.5, "quality index at or below which none of it is paid", assumption=(0.3, 0.6), ge=0, le=1
    )
    peer_band: float = P(
        0.1,
        "with peer benchmarks: quality below the peers' mean at which nothing is paid",
        assumption=(0.05, 0.2),
        gt=0,
        le=1,
    )
    admin_cost_per_head: float = P(
        5.0,
        "GBP per covered patient-year to measure and audit quality",
        assumption=(1, 15),
        ge=0,
        note="outcome data must be shared, agreed, funded and trusted (seed 004 L986-993)",
    )

    _check_share = field_validator("withhold_share_by_year")(check_shares)
    _check_target = field_validator("target_quality_by_year")(check_shares)


@dataclass
class WithholdRule(WrappedRule):
    """The base payment less a withheld share, paid back at year end on quality achieved."""

    shares: list[float] = field(default_factory=lambda: [0.3])
    targets: list[float] = field(default_factory=lambda: [0.7])
    floor: float = 0.5
    peers: bool = False
    peer_band: float = 0.1
    share: float = field(init=False, default=0.0)
    target: float = field(init=False, default=0.7)

    def __post_init__(self) -> None:
        self.begin_year(1)

    def begin_year(self, year: int) -> None:
        self.base.begin_year(year)
        self.share = by_year(self.shares, year)
        self.target = by_year(self.targets, year)

    def bounds(self, peer_quality: float | None) -> tuple[float, float]:
        """(floor, target) this year: fixed, or set by the peers' published quality."""
        if self.peers and peer_quality is not None:
            return peer_quality - self.peer_band, peer_quality
        return self.floor, self.target

    def marginal_price(self, activity: str) -> float:
        return (1 - self.share) * self.base.marginal_price(activity)

    def patient_payments(self, counts, age, sex, risk):
        return (1 - self.share) * self.base.patient_payments(counts, age, sex, risk)

    def per_enrolee(self, age, sex, risk):
        return (1 - self.share) * self.base.per_enrolee(age, sex, risk)

    def settle(self, settlement: Settlement) -> float:
        upfront = 1 - self.share
        base_paid = settlement.paid / upfront if upfront > 0 else 0.0
        base_due = base_paid + self.base.settle(
            Settlement(**{**settlement.__dict__, "paid": base_paid})
        )
        floor, target = self.bounds(settlement.peer_quality)
        earned = self.share * base_due * achievement(settlement.quality, floor, target)
        return upfront * base_due + earned - settlement.paid

    def quality_reward(self, revenue_per_enrolee: float, peer_quality: float | None) -> float:
        floor, target = self.bounds(peer_quality)
        return self.share * revenue_per_enrolee / max(target - floor, 1e-6)

    def quality_target(self, peer_quality: float | None) -> float | None:
        return self.bounds(peer_quality)[1]

    @property
    def monitors_quality(self) -> bool:
        return True


def build_withhold(
    config: WithholdContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> WithholdRule:
    return WithholdRule(
        base=context.build_rule(config.base, scope, calibration),
        own_admin_cost=config.admin_cost_per_head,
        shares=list(config.withhold_share_by_year),
        targets=list(config.target_quality_by_year),
        floor=config.floor_quality,
        peers=config.benchmark == "peers",
        peer_band=config.peer_band,
    )


class LeadProviderContract(Strict):
    """A lead provider on a fixed budget below current spend, with a bonus for performance.

    Milton Keynes: "a budget of approximately 90 per cent of the current expenditure,
    with an additional 5 per cent" for performance (seed 004 L2334-2336). Birmingham East
    and North limited its lead provider to "delivering up to 40 per cent of the service"
    (seed 004 L2240, L2249), "to avoid having one provider dominate delivery" (L316-318).
    """

    roles: ClassVar[tuple[str, ...]] = ("icp",)
    kind: Literal["lead_provider"] = "lead_provider"
    budget_ratio: float = P(
        0.90,
        "budget / current expected spend for the covered population",
        "seed 004 L2334-2336",
        gt=0,
    )
    performance_ratio: float = P(
        0.05,
        "maximum performance payment / current expected spend",
        "seed 004 L2334-2336",
        ge=0,
        le=0.5,
    )
    target_quality: float = P(
        0.7,
        "quality index at which the whole performance payment is earned",
        assumption=(0.55, 0.9),
        ge=0,
        le=1,
    )
    floor_quality: float = P(
        0.5,
        "quality index at or below which none of it is earned",
        assumption=(0.3, 0.6),
        ge=0,
        le=1,
    )
    self_provision_cap: float = P(
        1.0,
        "maximum share of the service the lead provider may "
        "deliver itself (the rest it subcontracts)",
        assumption=(0.4, 1.0),
        ge=0,
        le=1,
        note="Birmingham East and North: 40% (seed 004 L2240, L2249)",
    )
    risk_adjustment: Literal["none", "age_sex", "full"] = "full"
    r_squared: float = P(
        0.15,
        "R-squared of the budget's risk adjustment",
        "calibration_targets 6.6 (0.11) and 6.10 (0.169)",
        ge=0,
        le=1,
    )
    admin_cost_per_head: float = P(
        8.0,
        "GBP per covered patient-year to manage the supply chain and the outcome contract",
        assumption=(2, 20),
        ge=0,
    )


@dataclass(kw_only=True)
class LeadProviderRule(CapitationVariant):
    """A risk-adjusted budget below current spend, plus a bonus paid on quality.

    The budget is the capitation it builds on; the bonus is a share of current spend on
    the population's risk as the budget's formula sees it. It may also cap how much of
    the service the lead provider delivers itself.
    """

    spend_per_risk: float  # current expected spend per unit of risk (GBP)
    performance_ratio: float
    floor: float
    target: float
    cap: float

    def marginal_price(self, activity: str) -> float:
        return 0.0

    def settle(self, settlement: Settlement) -> float:
        observed = settlement.observed_risk(self.capitation.adjuster)
        possible = self.performance_ratio * self.spend_per_risk * observed
        return possible * achievement(settlement.quality, self.floor, self.target)

    def quality_reward(self, revenue_per_enrolee: float, peer_quality: float | None) -> float:
        ratio = (
            self.performance_ratio * self.spend_per_risk / max(self.capitation.rate_per_head, 1e-9)
        )
        return ratio * revenue_per_enrolee / max(self.target - self.floor, 1e-6)

    def quality_target(self, peer_quality: float | None) -> float | None:
        return self.target

    @property
    def monitors_quality(self) -> bool:
        return True

    @property
    def self_provision_cap(self) -> float:
        return self.cap


def build_lead_provider(
    config: LeadProviderContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> LeadProviderRule:
    spend = calibration.mean_expected_cost
    budget = CapitationRule(
        rate_per_head=config.budget_ratio * spend,
        adjuster=make_risk_adjuster(config, calibration),
        activities=SCOPES[scope],
    )
    return LeadProviderRule(
        base=budget,
        own_admin_cost=config.admin_cost_per_head,
        spend_per_risk=spend,
        performance_ratio=config.performance_ratio,
        floor=config.floor_quality,
        target=config.target_quality,
        cap=config.self_provision_cap,
    )
