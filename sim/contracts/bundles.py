"""Bundled payments: a year of care for a long-term condition; an episode with a window.

Bundles "remove incentives to deliver increasing volumes of care by bundling together
payments" and place "responsibility on providers for avoiding and correcting errors"
(seed 004 L1360-1367). The covered activities no longer earn their price one by one,
so their marginal price falls to what the unbundled remainder pays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.contracts.base import TariffVariant
from sim.contracts.payment import BUILDERS, RuleContext, TariffRule, _spell, _tariff
from sim.contracts.tariffs import planned_share
from sim.contracts.terms import EpisodeBundleContract, YearOfCareContract
from sim.patients import epidemiology as epi
from sim.patients.calibration import Calibration


def _price_of(tariff: TariffRule, activity: str) -> float:
    return tariff.marginal_price(activity)


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
    config: YearOfCareContract, scope: str, calibration: Calibration, context: RuleContext
) -> YearOfCareRule:
    tariff = _tariff(config.tariff, scope, calibration)
    covers = tuple(a for a in config.covers if _spell(a) in tariff.activities)
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


@dataclass(kw_only=True)
class EpisodeBundleRule(TariffVariant):
    """One price per elective spell covering follow-up attendances and readmissions.

    The bundle price is the spell's tariff plus the expected tariff cost of the follow-up
    attendances and readmissions that fall inside the window; those are then not paid one
    by one, so each avoided readmission is the provider's gain.
    """

    followups_per_spell: float  # covered follow-up attendances per elective spell
    readmissions_per_spell: float  # expected readmissions after an elective spell
    followup_volume_share: float  # share of all outpatient attendances that are covered
    mean_planned_share: float  # share of readmissions that follow planned care

    @property
    def episode_price(self) -> float:
        return (
            self.tariff.prices["elective"]
            + self.followups_per_spell * self.tariff.prices["outpatient"]
            + self.readmissions_per_spell * self.tariff.prices["emergency"]
        )

    def marginal_price(self, activity: str) -> float:
        price = _price_of(self.tariff, activity)
        if activity == "elective":
            return self.episode_price
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
    config: EpisodeBundleContract, scope: str, calibration: Calibration, context: RuleContext
) -> EpisodeBundleRule:
    tariff = _tariff(config.tariff, scope, calibration)
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


BUILDERS["year_of_care"] = build_year_of_care
BUILDERS["episode_bundle"] = build_episode_bundle
