"""What the one-object-per-patient reference (:mod:`reference_mesa`) is handed each year.

Providers are reduced to what a patient's year needs: a :class:`ProviderYear` per year,
with each option's quality, waiting time, selection penalty and site and the rate
modifiers, recorded from an engine run of the same scenario (:func:`provider_years`); and
the plain-Python payment of one patient under a rule (:func:`pay`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.config.scenario import Scenario
from sim.contracts.payment import (
    AgeSexRiskAdjustment,
    BlendedRule,
    CapitationRule,
    FullRiskAdjustment,
    PaymentRule,
    TariffRule,
)
from sim.engine.ledger import QUANTITIES
from sim.engine.model import ICSModel
from sim.patients.calibration import AGE_BANDS, Calibration

# --------------------------------------------------------------------------- providers


@dataclass
class LocalOption:
    """One option as the patients of one locality see it this year."""

    option: int
    quality: float  # as published (what patients choose on; sim.engine.quality)
    waiting: float  # weeks
    selection: float  # utility penalty for high-risk patients
    site: float | None  # position of the main site (0-1); None = a local GP practice


@dataclass
class ProviderYear:
    """What patients see of providers in one year."""

    local: list[list[LocalOption]]  # open options, by locality
    radius_km: list[float]  # by locality
    quality: list[float]  # by option
    waiting: list[list[float]]  # weeks, by locality and option
    modifiers: dict[str, list]  # rate -> [option][locality][high_risk] multiplier

    @classmethod
    def from_engine(cls, model: ICSModel) -> ProviderYear:
        """Read this year's option table and rate modifiers from an engine model."""
        table = model.option_table()
        n_loc, n_opt = table.available.shape
        local = [
            [
                LocalOption(
                    o,
                    float(table.seen_quality[li, o]),
                    float(table.waiting[li, o]),
                    float(table.selection[li, o]),
                    None if np.isnan(table.site[li, o]) else float(table.site[li, o]),
                )
                for o in range(n_opt)
                if table.available[li, o]
            ]
            for li in range(n_loc)
        ]
        return cls(
            local=local,
            radius_km=table.radius_km.tolist(),
            quality=table.quality[0].tolist(),
            waiting=table.waiting.tolist(),
            modifiers={r: t.tolist() for r, t in model.modifiers.tables.items()},
        )


class RecordingModel(ICSModel):
    """The engine, noting what patients saw of providers at the start of each year, and the
    year's ledger sums by option (before any year-end settlement) and deaths."""

    def patients_year(self) -> None:
        if not hasattr(self, "provider_record"):
            self.provider_record: list[ProviderYear] = []
            self.ledger_record: list[dict] = []
        self.provider_record.append(ProviderYear.from_engine(self))
        super().patients_year()
        self.ledger_record.append(
            {
                "deaths": self.deaths,
                "by_option": {
                    o: {q: self.ledger.sum(q, option=o) for q in QUANTITIES}
                    for o in range(len(self.options))
                },
            }
        )


def run_engine(
    scenario: Scenario, patients: int, years: int, seed: int
) -> tuple[ICSModel, list[ProviderYear]]:
    """Run the engine; return the model and the providers its patients saw each year."""
    model = RecordingModel(scenario, seed=seed, patients=patients, years=years)
    model.run()
    return model, model.provider_record


def provider_years(
    scenario: Scenario, years: int, seed: int, patients: int = 20_000
) -> list[ProviderYear]:
    """Providers for a reference run, taken from an engine run of the same scenario."""
    return run_engine(scenario, patients, years, seed)[1]


# --------------------------------------------------------------------------- payments


def pay(
    rule: PaymentRule | None,
    counts: dict[str, int],
    age: int,
    sex: int,
    risk: float,
    calibration: Calibration,
) -> float:
    """What one patient's year earns under ``rule`` (GBP): the engine's rules, one patient."""
    if rule is None:
        return 0.0
    if isinstance(rule, TariffRule):
        return sum(rule.prices[a] * counts[a] for a in rule.activities)
    if isinstance(rule, CapitationRule):
        return rule.rate_per_head * predicted_risk(rule, age, sex, risk, calibration)
    if isinstance(rule, BlendedRule):
        return rule.capitation_share * pay(rule.capitation, counts, age, sex, risk, calibration) + (
            1 - rule.capitation_share
        ) * pay(rule.tariff, counts, age, sex, risk, calibration)
    # any other contract: ask the engine's rule about this one patient
    one = {a: np.array([k]) for a, k in counts.items()}
    return float(
        rule.patient_payments(
            one,
            np.array([age], dtype=np.uint8),
            np.array([sex], dtype=np.uint8),
            np.array([risk], dtype=np.float32),
        )[0]
    )


def predicted_risk(
    rule: CapitationRule, age: int, sex: int, risk: float, calibration: Calibration
) -> float:
    """The capitation formula's prediction of a patient's cost relative to the mean."""
    adjuster = rule.adjuster
    if isinstance(adjuster, (AgeSexRiskAdjustment, FullRiskAdjustment)):
        age_sex = float(calibration.age_sex_risk[AGE_BANDS[age], sex])
        if isinstance(adjuster, FullRiskAdjustment):
            return age_sex + adjuster.weight * (risk - age_sex)
        return age_sex
    return 1.0


def poisson(lam: float, u: float) -> int:
    """Poisson count by inverse CDF from one uniform: the smallest k with F(k) >= u."""
    k, p = 0, math.exp(-lam)
    f = p
    while u > f and k < 400:
        k += 1
        p *= lam / k
        f += p
    return k
