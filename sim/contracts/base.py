"""Building blocks of the catalogue's rules: wrappers around a base rule, partial purchase.

A wrapper (:class:`WrappedRule`) changes a few answers of the rule it is built on - a
marginal price, a year-end settlement - and passes the rest through, so a withhold, a
savings share or a corridor can sit on any base contract (:data:`BaseTerms`).
:class:`TariffVariant` and :class:`CapitationVariant` are wrappers whose base is always a
tariff or a capitation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import Field

from sim.contracts.adjustment import RiskAdjuster
from sim.contracts.block import BlockContract
from sim.contracts.core import (
    BlendedContract,
    CapitationContract,
    CapitationRule,
    TariffContract,
    TariffRule,
)
from sim.contracts.rule import PaymentRule, Settlement

BaseTerms = Annotated[
    TariffContract | CapitationContract | BlendedContract | BlockContract,
    Field(discriminator="kind"),
]
"""The contracts other kinds build on (a withhold, savings share or corridor wraps one)."""


@dataclass
class WrappedRule(PaymentRule):
    """A rule built on another (``base``): everything it does not override is the base's.

    Withholds, savings shares, corridors and pooled budgets are wrappers: they change a
    few answers (a marginal price, a year-end settlement) and pass the rest through.
    """

    base: PaymentRule
    own_admin_cost: float = 0.0

    @property
    def activities(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.base.activities

    @property
    def admin_cost_per_head(self) -> float:  # type: ignore[override]
        return self.base.admin_cost_per_head + self.own_admin_cost

    def marginal_price(self, activity: str) -> float:
        return self.base.marginal_price(activity)

    @property
    def pricing_rule(self) -> PaymentRule:
        passes_on = type(self).marginal_price is WrappedRule.marginal_price
        return self.base.pricing_rule if passes_on else self

    def patient_payments(self, counts, age, sex, risk):
        return self.base.patient_payments(counts, age, sex, risk)

    def per_enrolee(self, age, sex, risk):
        return self.base.per_enrolee(age, sex, risk)

    def begin_year(self, year: int) -> None:
        self.base.begin_year(year)

    def settle(self, settlement: Settlement) -> float:
        return self.base.settle(settlement)

    @property
    def has_settlement(self) -> bool:
        return type(self).settle is not WrappedRule.settle or self.base.has_settlement

    @property
    def has_schedule(self) -> bool:
        return type(self).begin_year is not WrappedRule.begin_year or self.base.has_schedule

    def quality_reward(self, revenue_per_enrolee: float, peer_quality: float | None) -> float:
        return self.base.quality_reward(revenue_per_enrolee, peer_quality)

    def quality_target(self, peer_quality: float | None) -> float | None:
        return self.base.quality_target(peer_quality)

    @property
    def monitors_quality(self) -> bool:
        return self.base.monitors_quality

    @property
    def risk_adjuster(self) -> RiskAdjuster | None:
        return self.base.risk_adjuster

    @property
    def self_provision_cap(self) -> float:
        return self.base.self_provision_cap

    @property
    def engagement(self) -> float:
        return self.base.engagement

    @property
    def intermediate_care_limit(self) -> float:
        return self.base.intermediate_care_limit


@dataclass(kw_only=True)
class TariffVariant(WrappedRule):
    """A national tariff with some prices or payments changed; the rest is the tariff's.

    Marginal rates, unpaid readmissions and bundles change how a tariff pays, so they are
    built on one and keep its scope, running cost and every answer they leave alone.
    Subclasses are keyword-only dataclasses (their terms follow ``own_admin_cost``).
    """

    base: TariffRule

    @property
    def tariff(self) -> TariffRule:
        """The tariff this rule changes (its ``base``)."""
        return self.base


@dataclass(kw_only=True)
class CapitationVariant(WrappedRule):
    """A risk-adjusted capitation with terms of its own: a hospital budget, a carve-out, a bonus.

    Its scope, per-enrolee payment and running cost are the capitation's unless overridden.
    """

    base: CapitationRule

    @property
    def capitation(self) -> CapitationRule:
        """The capitation this rule builds on (its ``base``)."""
        return self.base


SELF_PROVIDED = ("outpatient", "elective")
"""Hospital activities an ICP can provide itself in community settings (Epsom, Bolton)."""


@dataclass
class PartialPurchaseRule(WrappedRule):
    """What a virtual ICP pays the trust when it provides part of the care itself.

    The trust is paid under ``base`` for the share of outpatient and elective activity it
    still provides (``bought``); its price per unit it treats is unchanged, so its
    margins (and supplier-induced demand) are the base's.
    """

    bought: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SELF_PROVIDED, 1.0))

    def _scaled(self, counts: dict) -> dict:
        return {a: (v * self.bought[a] if a in self.bought else v) for a, v in counts.items()}

    def patient_payments(self, counts, age, sex, risk):
        if self.buys_everything:
            return self.base.patient_payments(counts, age, sex, risk)
        return self.base.patient_payments(self._scaled(counts), age, sex, risk)

    @property
    def buys_everything(self) -> bool:
        return set(self.bought.values()) <= {1.0}  # every share 1 (or none given)

    @property
    def payments_rule(self) -> PaymentRule:
        return self.base.payments_rule if self.buys_everything else self

    def settle(self, settlement: Settlement) -> float:
        scaled = Settlement(**{**settlement.__dict__, "counts": self._scaled(settlement.counts)})
        scaled.state = settlement.state
        return self.base.settle(scaled)

    @property
    def has_settlement(self) -> bool:  # its settle only rescales what the base settles
        return self.base.has_settlement
