"""The interface of every payment rule, and the scopes and settlements rules work with.

A rule answers two questions per patient, and providers see nothing else of it:

* :meth:`PaymentRule.marginal_price` - what one more unit of an activity earns the payee
  (negative where it costs the payee, as under a practice budget);
* :meth:`PaymentRule.patient_payments` - what each patient brings in this year.

Two aggregate hooks complete a contract: :meth:`PaymentRule.begin_year` (terms that change
by contract year) and :meth:`PaymentRule.settle`, which the model calls when the year's
accounts are settled for year-end adjustments (withholds paid on quality, shared
savings, corridors, marginal rates above a baseline, block values). A rule may also put
a price on quality (:meth:`PaymentRule.quality_reward`) or cap self-provision.

Providers respond to the margins and per-enrolee surpluses these imply, never to the
kind of rule. Each kind's rule lives beside its terms; :mod:`sim.contracts.registry`
lists them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.contracts.adjustment import RiskAdjuster
from sim.contracts.terms import ACTIVITIES

HOSPITAL_ACTIVITIES = ("outpatient", "elective", "emergency", "ae")
PRIMARY_ACTIVITIES = ("gp_consultation",)
SCOPES = {"all": ACTIVITIES, "hospital": HOSPITAL_ACTIVITIES, "primary_care": PRIMARY_ACTIVITIES}
SPELL_ALIASES = {"acsc": "emergency", "readmission": "emergency"}
"""Avoidable admissions and readmissions are emergency spells, paid at the emergency price."""


# --------------------------------------------------------------------------- settlement


@dataclass
class Settlement:
    """What the payer knows at year end about one payee under one contract.

    ``counts`` are the year's totals for the patients the contract covers, in payment
    terms: the :data:`ACTIVITIES` (``emergency`` counts every emergency spell), plus
    ``acsc``, ``readmission``, ``elective_discharge_readmission`` (readmissions after
    planned care) and ``bed_days``. ``state`` is the payee's memory under this contract,
    kept by the payer from year to year (a block's value, a baseline).

    ``risk`` is the covered patients' true risk, which no contract may set terms on;
    terms per unit of risk read :meth:`observed_risk`, what the commissioner's formula
    sees of it.
    """

    payee: str
    year: int
    enrolees: float
    risk: float  # sum of covered patients' (true) risk scores
    counts: dict[str, float]
    paid: float  # GBP paid this year through patient_payments
    cost: float  # GBP the payee spent serving them
    quality: float  # payee's quality index this year (0-1)
    peer_quality: float | None = None  # mean quality of comparable ICPs last year
    state: dict[str, Any] = field(default_factory=dict)
    age_sex_risk: float | None = None  # sum of covered patients' age-sex predictions

    def observed_risk(self, adjuster: RiskAdjuster) -> float:
        """The covered population's risk as ``adjuster`` sees it (its predictions summed)."""
        return adjuster.total(self.enrolees, self.age_sex_risk, self.risk)


# --------------------------------------------------------------------------- rules


class PaymentRule(ABC):
    """How one payer pays one kind of provider for the activities in its scope."""

    activities: tuple[str, ...]
    admin_cost_per_head: float = 0.0
    """GBP per covered patient-year the payer spends running the contract (transaction cost)."""

    @abstractmethod
    def marginal_price(self, activity: str) -> float:
        """GBP the payee receives for one more unit of ``activity`` (0 if not paid per unit).

        Beyond the priced activities, ``acsc`` and ``readmission`` (emergency spells of those
        kinds) and ``bed_day`` may be asked; a negative price is a cost to the payee.
        """

    @abstractmethod
    def patient_payments(
        self, counts: dict[str, np.ndarray], age: np.ndarray, sex: np.ndarray, risk: np.ndarray
    ) -> np.ndarray:
        """GBP paid this year for each patient (float64).

        ``counts`` holds each patient's year: the :data:`ACTIVITIES` (``emergency`` counts
        every emergency spell) and, where known, ``acsc``, ``readmission`` and
        ``conditions`` (the condition bitmask).
        """

    def per_enrolee(self, age: np.ndarray, sex: np.ndarray, risk: np.ndarray) -> np.ndarray:
        """GBP per patient that does not depend on activity (capitation); zero by default."""
        return np.zeros(len(age))

    # -- aggregate hooks, neutral by default

    def begin_year(self, year: int) -> None:  # noqa: B027 - a hook, neutral by default
        """Set the terms of contract ``year`` (1 = the first); schedules override this."""

    def settle(self, settlement: Settlement) -> float:
        """Year-end adjustment in GBP: positive pays the payee more, negative claws back."""
        return 0.0

    @property
    def has_settlement(self) -> bool:
        """Whether :meth:`settle` can owe anything: False lets year-end accounts skip the payee.

        True for any rule that overrides :meth:`settle`, so a new regime with year-end terms
        is settled without having to say so; wrappers ask their base.
        """
        return type(self).settle is not PaymentRule.settle

    @property
    def has_schedule(self) -> bool:
        """Whether :meth:`begin_year` can change the terms: False lets answers be kept.

        True for any rule that overrides :meth:`begin_year` (a withhold or marginal rate
        that follows a schedule); wrappers that only pass it on ask their base.
        """
        return type(self).begin_year is not PaymentRule.begin_year

    def quality_reward(self, revenue_per_enrolee: float, peer_quality: float | None) -> float:
        """GBP per enrolee-year one more unit of quality index earns the payee at the margin.

        A contract that pays for quality measures it, so one that overrides this also says
        it :attr:`monitors_quality` (payees of other contracts do not ask).
        """
        return 0.0

    def quality_target(self, peer_quality: float | None) -> float | None:
        """Quality index at which rewarded quality stops paying more; None if unrewarded."""
        return None

    @property
    def monitors_quality(self) -> bool:
        """Whether the contract measures quality (which deters under-service)."""
        return False

    @property
    def risk_adjuster(self) -> RiskAdjuster | None:
        """The formula by which the contract sees its patients' risk; None if it sees none."""
        return None

    @property
    def self_provision_cap(self) -> float:
        """Largest share of the service the payee may deliver itself rather than subcontract."""
        return 1.0

    @property
    def engagement(self) -> float:
        """Share of the payee's practices that act on the contract's incentives."""
        return 1.0

    @property
    def intermediate_care_limit(self) -> float:
        """GBP per high-risk enrolee-year the payee may spend on intermediate care (pooled)."""
        return 0.0

    @property
    def pricing_rule(self) -> PaymentRule:
        """The rule whose :meth:`marginal_price` answers this one's are: itself, unless it
        passes them on unchanged; a provider's response to prices is then worked out once."""
        return self

    @property
    def payments_rule(self) -> PaymentRule:
        """The rule whose :meth:`patient_payments` this one's are: itself, unless it passes
        them on unchanged; the model pays every patient of one such rule in one call."""
        return self

    def accountable_share(self, activity: str, price: float) -> float:
        """Share of the cost of ``activity`` (national ``price``) the payee bears itself.

        A capitated payee bears all of what is in scope and a tariff-paid one none of it;
        a negative marginal price (a budget for care others provide) adds to it.
        """
        if price <= 0:
            return 0.0
        in_scope = 1.0 if activity in self.activities else 0.0
        return float(np.clip(in_scope - self.marginal_price(activity) / price, 0.0, 1.0))


def spell(activity: str) -> str:
    """The priced activity an activity is paid as: avoidable admissions and readmissions are
    emergency spells (:data:`SPELL_ALIASES`); every other activity is itself."""
    return SPELL_ALIASES.get(activity, activity)
