"""Bundled payments: a year of care for a long-term condition; an episode with a window.

Bundles "remove incentives to deliver increasing volumes of care by bundling together
payments" and place "responsibility on providers for avoiding and correcting errors"
(seed 004 L1360-1367). The covered activities no longer earn their price one by one,
so their marginal price falls to what the unbundled remainder pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from sim.base.schema import Strict
from sim.config.declare import P
from sim.contracts.base import TariffVariant
from sim.contracts.core import TariffContract, TariffRule, build_tariff
from sim.contracts.rule import spell
from sim.contracts.tariffs import planned_share
from sim.contracts.terms import ALL_ROLES
from sim.patients import epidemiology as epi

if TYPE_CHECKING:
    from sim.contracts.context import BuildContext, CalibrationView


def _price_of(tariff: TariffRule, activity: str) -> float:
    return tariff.marginal_price(activity)


class YearOfCareContract(Strict):
    """A year-of-care payment: one annual sum per patient with a long-term condition.

    The "year of care" approach for people with diabetes (seed 001:478-480), tested in
    three national pilots (seed 002 L1251-1252; seed 004 L1391-1392). The covered care of
    patients with the condition is paid by the annual sum; everything else at tariff.
    """

    roles: ClassVar[tuple[str, ...]] = ALL_ROLES
    kind: Literal["year_of_care"] = "year_of_care"
    tariff: TariffContract = Field(default_factory=TariffContract)
    condition: Literal["diabetes", "copd", "heart_failure", "dementia"] = "diabetes"
    covers: list[Literal["gp_consultation", "outpatient", "elective", "acsc"]] = Field(
        default_factory=lambda: ["gp_consultation", "outpatient"],
        min_length=1,
        description="care paid by the annual sum for patients with the condition (within the "
        "contract's scope); 'acsc' means their avoidable emergency admissions",
    )
    price_ratio: float = P(
        1.0,
        "annual sum per patient / their expected tariff cost of the covered care at England rates",
        assumption=(0.8, 1.2),
        gt=0,
    )
    admin_cost_per_head: float = P(
        4.0,
        "GBP per covered patient-year to register patients and price the year of care",
        assumption=(1, 15),
        ge=0,
    )

    def check_role(self, role: str) -> str | None:
        """A year of care must cover some of the care the contract pays for in ``role``."""
        scope = {
            "hospital": ("outpatient", "elective", "acsc"),
            "purchase": ("outpatient", "elective", "acsc"),
            "gp": ("gp_consultation",),
            "icp": ("gp_consultation", "outpatient", "elective", "acsc"),
        }[role]
        if not set(self.covers) & set(scope):
            return (
                f"covers {', '.join(self.covers)}, none of which it pays for here; "
                f"allowed there: {', '.join(scope)}"
            )
        return None


@dataclass(kw_only=True)
class YearOfCareRule(TariffVariant):
    """Tariff, except that the covered care of patients with ``condition`` is one annual sum.

    The sum is the covered care's expected tariff cost for people with the condition at
    England rates (times ``price_ratio``). Because a provider's book mixes covered and
    uncovered patients, one more unit of a covered activity earns the price times the
    share of that activity which is still paid by tariff.
    """

    bit: int  # condition bit in the patient's mask
    covers: tuple[str, ...]  # activities (and 'acsc') paid by the annual sum
    annual_sum: float  # GBP per patient-year with the condition
    covered_share: dict[str, float]  # share of each activity's volume inside the bundle

    def marginal_price(self, activity: str) -> float:
        return _price_of(self.tariff, activity) * (1 - self.covered_share.get(activity, 0.0))

    def patient_payments(self, counts, age, sex, risk):
        paid = self.tariff.patient_payments(counts, age, sex, risk)
        if "conditions" not in counts:
            return paid
        has = (np.asarray(counts["conditions"]).astype(np.intp) >> self.bit) & 1 == 1
        unbundled = sum(
            _price_of(self.tariff, a) * np.asarray(counts[a], dtype=np.float64) for a in self.covers
        )
        return np.where(has, paid - unbundled + self.annual_sum, paid)


def build_year_of_care(
    config: YearOfCareContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> YearOfCareRule:
    tariff = build_tariff(config.tariff, scope, calibration)
    covers = tuple(a for a in config.covers if spell(a) in tariff.activities)
    if not covers:
        raise ValueError(
            f"year_of_care covers {config.covers}, none of which this contract "
            f"pays for ({', '.join(tariff.activities)})"
        )
    bit = epi.CONDITIONS.index(config.condition)
    counts = context.expected_counts
    has = (context.conditions.astype(np.intp) >> bit) & 1 == 1
    per_patient = sum(_price_of(tariff, a) * counts[a] for a in covers)
    covered_share = {a: float(counts[a][has].sum() / counts[a].sum()) for a in covers}
    if "acsc" in covers:  # avoidable admissions are part of all emergency spells
        covered_share["emergency"] = float(counts["acsc"][has].sum() / counts["emergency"].sum())
    return YearOfCareRule(
        base=tariff,
        own_admin_cost=config.admin_cost_per_head,
        bit=bit,
        covers=covers,
        annual_sum=config.price_ratio * float(per_patient[has].mean()),
        covered_share=covered_share,
    )


class EpisodeBundleContract(Strict):
    """One price per elective episode covering follow-up care inside a window after discharge.

    Geisinger ProvenCare: a global fee covering care from pre-admission to 90 days after
    surgery (seed 002 L1239-1242; seed 004 L1362-1364). Bundles "remove incentives to
    deliver increasing volumes of care" and make providers responsible "for avoiding
    and correcting errors" (seed 004 L1360-1367).
    """

    roles: ClassVar[tuple[str, ...]] = ("hospital", "purchase", "icp")
    kind: Literal["episode_bundle"] = "episode_bundle"
    tariff: TariffContract = Field(default_factory=TariffContract)
    window_days: int = P(
        90,
        "days after discharge covered by the episode price",
        "seed 004 L1362-1364 (Geisinger, 90 days)",
        ge=28,
        le=365,
    )
    followup_outpatients_per_spell: float = P(
        1.0, "outpatient follow-up attendances per elective spell", assumption=(0.5, 2.0), ge=0
    )
    followup_horizon_days: float = P(
        90.0,
        "days after discharge over which an elective spell's follow-up attendances fall",
        assumption=(42, 180),
        gt=0,
    )
    admin_cost_per_head: float = P(
        6.0,
        "GBP per covered patient-year to define episodes and reconcile them",
        assumption=(2, 20),
        ge=0,
        note="'difficult to define episodes', 'data intensive' (seed 004 L1306-1329)",
    )


@dataclass(kw_only=True)
class EpisodeBundleRule(TariffVariant):
    """One price per elective spell covering follow-up attendances and readmissions.

    The bundle price is the spell's tariff plus the expected tariff cost of the follow-up
    attendances and readmissions that fall inside the window; those are then not paid one
    by one, so each avoided readmission is the provider's gain.

    One more spell earns the bundle price but obliges the provider to fund the follow-ups
    and readmissions it brings, which earn nothing more. A provider weighs each activity
    against that activity's own cost only, so the spell's marginal price is the bundle
    price less that carried care, valued as the bundle priced it: at the tariff, which is
    what the care costs the provider on average (tariff prices are national average
    costs, :class:`sim.providers.costs.HospitalCosts`). The spell then earns what the
    tariff pays for it: a bundle removes the incentive to add volume (seed 004
    L1360-1367) rather than adding one; what it changes is the price of the covered
    follow-ups and readmissions, which the provider now gains by avoiding.
    """

    followups_per_spell: float  # covered follow-up attendances per elective spell
    readmissions_per_spell: float  # expected readmissions after an elective spell
    followup_volume_share: float  # share of all outpatient attendances that are covered
    mean_planned_share: float  # share of readmissions that follow planned care

    @property
    def carried_cost(self) -> float:
        """GBP per spell of the follow-ups and readmissions the bundle makes the provider fund."""
        return (
            self.followups_per_spell * self.tariff.prices["outpatient"]
            + self.readmissions_per_spell * self.tariff.prices["emergency"]
        )

    @property
    def episode_price(self) -> float:
        return self.tariff.prices["elective"] + self.carried_cost

    def marginal_price(self, activity: str) -> float:
        price = _price_of(self.tariff, activity)
        if activity == "elective":
            return self.episode_price - self.carried_cost
        if activity == "outpatient":
            return price * (1 - self.followup_volume_share)
        if activity == "readmission":
            return price * (1 - self.mean_planned_share)
        return price

    def patient_payments(self, counts, age, sex, risk):
        paid = self.tariff.patient_payments(counts, age, sex, risk)
        prices = self.tariff.prices
        elective = np.asarray(counts["elective"], dtype=np.float64)
        followups = np.minimum(
            np.asarray(counts["outpatient"], dtype=np.float64), self.followups_per_spell * elective
        )
        readmissions = np.asarray(counts.get("readmission", 0.0), dtype=np.float64) * planned_share(
            counts
        )
        return (
            paid
            + elective * (self.episode_price - prices["elective"])
            - followups * prices["outpatient"]
            - readmissions * prices["emergency"]
        )


def build_episode_bundle(
    config: EpisodeBundleContract, scope: str, calibration: CalibrationView, context: BuildContext
) -> EpisodeBundleRule:
    tariff = build_tariff(config.tariff, scope, calibration)
    missing = {"elective", "outpatient", "emergency"} - set(tariff.activities)
    if missing:
        raise ValueError(
            f"an episode bundle needs elective, outpatient and emergency care in "
            f"scope; this contract lacks {', '.join(sorted(missing))}"
        )
    counts = context.expected_counts
    followups = config.followup_outpatients_per_spell * min(
        1.0, config.window_days / config.followup_horizon_days
    )
    share = context.planned_readmission_share
    readmissions = counts["readmission"]
    return EpisodeBundleRule(
        base=tariff,
        own_admin_cost=config.admin_cost_per_head,
        followups_per_spell=followups,
        readmissions_per_spell=float((readmissions * share).sum() / counts["elective"].sum()),
        followup_volume_share=float(
            min(1.0, followups * counts["elective"].sum() / counts["outpatient"].sum())
        ),
        mean_planned_share=float((readmissions * share).sum() / readmissions.sum()),
    )
