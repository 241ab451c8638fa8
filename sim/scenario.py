"""Scenario files: TOML, validated by pydantic, with every default documented.

A scenario names its localities, the integrated care partnerships (ICPs) on offer,
the contracts that pay each kind of provider, and any parameter it overrides.
Everything it leaves out falls back to the defaults below, each declared with
:func:`sim.params.P` (unit plus source, or an assumption with a range).

Bad input never raises a traceback at the user: :func:`load_scenario` raises
:class:`ScenarioError`, whose message names the file, the field and what is allowed.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from sim.contracts.terms import (  # noqa: F401  (re-exported: the scenario's contract terms)
    ACTIVITIES,
    ROLE_NAMES,
    ROLES,
    BlendedContract,
    BlockContract,
    CapitationContract,
    Contract,
    Prices,
    TariffContract,
)
from sim.params import P
from sim.schema import Strict

# --------------------------------------------------------------------------- meta


class ScenarioMeta(Strict):
    name: str = Field("unnamed", description="Short name; used for the output folder.")
    description: str = ""
    sources: list[str] = Field(default_factory=list, description="Seed citations.")


class RunConfig(Strict):
    patients: int = P(100_000, "patients", assumption=(1_000, 56_000_000), gt=0,
                      note="England registered population is about 56 million")
    years: int = P(10, "years", assumption=(1, 30), gt=0, le=200)
    seed: int = P(20261123, "integer seed for numpy SeedSequence", assumption=(0, 2**63), ge=0)
    replicates: int = P(1, "replicates", assumption=(1, 1000), gt=0)


# --------------------------------------------------------------------------- geography


class Locality(Strict):
    name: str
    share: float = P(1.0, "share of population", assumption=(0, 1), gt=0)
    fragmented_default: bool = Field(
        True, description="Whether the fragmented default (GP practice plus tariff-paid trust) "
        "is open here. False gives a single integrated planned system (Scotland/NZ)."
    )
    radius_km: float = P(5.0, "km", assumption=(1, 40), gt=0,
                         note="urban about 5 km, rural 20 km or more (seed 001:642-645)")


class IcpConfig(Strict):
    name: str
    localities: list[str] = Field(..., min_length=1)
    integration: Literal["virtual", "vertical"] = Field(
        "virtual", description="vertical runs its own hospital (Kaiser N. California); virtual "
        "buys from the local trust at tariff (Kaiser Colorado, Group Health); seed 001:578-588"
    )
    contract: str = Field("icp", description="Name of the contract in [contracts] that pays it.")
    initial_share: float = P(0.0, "share of locality population enrolled at start",
                             assumption=(0, 1), ge=0, le=1)
    start_year: int = P(1, "simulation year in which it opens", assumption=(1, 30), ge=1)
    years_integrated_at_start: int = P(0, "years of integration maturity at start",
                                       assumption=(0, 30), ge=0)
    quality_monitoring: bool = Field(
        True, description="Commissioner monitors quality; without it capitation can under-serve "
        "(seed 002 L1293-1295)"
    )
    site_position: float = P(0.5, "position of the main site in the locality (0-1)",
                             assumption=(0, 1), ge=0, le=1)
    community_outpatient_max: float = P(
        0.0, "largest share of its outpatient attendances a virtual ICP can provide itself in "
        "community or practice settings", assumption=(0, 0.8), ge=0, le=1,
        note="Epsom: over half of referrals go to local rather than acute services "
        "(seed 003:379-393)")
    community_elective_max: float = P(
        0.0, "largest share of its elective (day-case) spells a virtual ICP can provide itself "
        "in community settings", assumption=(0, 0.6), ge=0, le=1,
        note="Epsom Day Surgery (seed 003:294-296)")
    community_specialists: float = P(
        0.0, "share of the ICP's specialists working in the community beside primary care",
        assumption=(0, 1), ge=0, le=1,
        note="Bolton's community diabetes team (seed 003:221-227; seed 001:342-355)")


# --------------------------------------------------------------------------- contracts


def _default_contracts() -> dict[str, Any]:
    return {
        "hospital": TariffContract(),
        "gp": CapitationContract(scope="primary_care", risk_adjustment="age_sex"),
        "icp": CapitationContract(),
        "icp_hospital": TariffContract(),
    }


# --------------------------------------------------------------------------- epidemiology


class Demography(Strict):
    mortality_gompertz_a: float = P(-10.7, "log annual death probability at age 0 (Gompertz), "
                                    "no long-term condition, IMD quintile 3",
                                    assumption=(-11.2, -10.2),
                                    note="tuned to about 9 deaths per 1,000 a year (England ~470k "
                                    "deaths, 53.5m people); q(80) about 0.05")
    mortality_gompertz_b: float = P(0.093, "per year of age", assumption=(0.085, 0.1))
    infant_mortality: float = P(0.004, "probability of death in first year",
                                assumption=(0.003, 0.005))
    deprivation_mortality_gradient: float = P(0.1, "log mortality ratio per IMD quintile more "
                                              "deprived", assumption=(0.05, 0.2),
                                              note="Bolton life expectancy 82 to 67 (seed "
                                              "003:208-211)")
    ltc_mortality_weight: float = P(0.35, "relative increase in mortality per unit of condition "
                                    "weight", assumption=(0.1, 1.0))
    entrant_birth_share: float = P(0.7, "share of entrants who are births (rest adults moving in)",
                                   assumption=(0.5, 0.9), ge=0, le=1)


class Conditions(Strict):
    """Long-term conditions. Any-LTC prevalence by age from calibration_targets 4.26-4.28."""

    ltc_prevalence_under_40: float = P(0.14, "share with a long-term condition",
                                       "calibration_targets 4.28", ge=0, le=1)
    ltc_prevalence_40_59: float = P(0.33, "share with a long-term condition",
                                    "derived: 29% overall (calibration_targets 4.26) given 14% "
                                    "under 40 and 58% over 60 (4.28) and the age structure",
                                    ge=0, le=1)
    ltc_prevalence_60_plus: float = P(0.58, "share with a long-term condition",
                                      "calibration_targets 4.28", ge=0, le=1)
    diabetes_prevalence: float = P(0.055, "share of population", assumption=(0.045, 0.07),
                                   note="Bolton 4.6% registered (seed 003:215-216)")
    copd_prevalence: float = P(0.018, "share of population", assumption=(0.012, 0.025))
    heart_failure_prevalence: float = P(0.008, "share of population", assumption=(0.005, 0.012))
    dementia_prevalence: float = P(0.007, "share of population", assumption=(0.005, 0.01))
    condition_weights: list[float] = P([1.0, 1.5, 2.0, 1.5, 1.0], "relative utilisation weight "
                                       "of diabetes, COPD, heart failure, dementia, other",
                                       assumption=(0.5, 3.0), min_length=5, max_length=5)
    deprivation_odds_gradient: float = P(0.12, "log-odds of LTC per IMD quintile more deprived",
                                         assumption=(0.0, 0.25),
                                         note="Bolton life expectancy 82 vs 67 (seed 003:208-211)")


# --------------------------------------------------------------------------- utilisation


class Utilisation(Strict):
    """England fragmented-tariff baseline (calibration_targets section 4)."""

    gp_consultations_per_person: float = P(5.3, "consultations per person-year",
                                           "calibration_targets 4.23", gt=0)
    outpatient_per_person: float = P(1.8, "attendances per person-year", assumption=(1.5, 2.2),
                                     note="NF in calibration_targets; HES ~95m attendances/yr")
    elective_per_1000: float = P(183.0, "elective spells per 1,000 per year",
                                 "derived: (15.1m FAEs - 5.3m emergency) / 53.5m, "
                                 "calibration_targets 4.16, 4.1, 4.8 (4.19 says derive)", gt=0)
    emergency_per_1000: float = P(99.0, "emergency admissions per 1,000 per year",
                                  "calibration_targets 4.8", gt=0)
    ae_per_1000: float = P(270.0, "major A&E attendances per 1,000 per year",
                           assumption=(220, 330),
                           note="26% of major attenders admitted (calibration_targets 4.6)")
    acsc_share: float = P(1 / 6, "share of emergency admissions that are ACSC (avoidable)",
                          "calibration_targets 4.29", gt=0, lt=1)
    readmission_rate: float = P(0.07, "emergency readmissions within 28 days per discharge",
                                assumption=(0.05, 0.12))
    ltc_readmission_weight: float = P(0.2, "relative increase in readmission risk per unit of "
                                      "condition weight", assumption=(0.0, 0.5))
    ltc_acsc_multiple: float = P(2.0, "LTC gradient of ACSC admissions relative to other "
                                 "emergency admissions", assumption=(1.0, 4.0),
                                 note="ACSC are mostly LTC exacerbations (calibration_targets 4.29)")
    emergency_los_days: float = P(5.8, "mean length of stay, emergency",
                                  "derived: 33.59m bed days / 5.8m admissions, "
                                  "calibration_targets 4.13", gt=0)
    elective_los_days: float = P(1.6, "mean length of stay, elective incl. day cases",
                                 "derived: emergency 67% of bed days (calibration_targets 4.3)",
                                 gt=0)
    ltc_share_gp: float = P(0.50, "share of GP appointments used by people with an LTC",
                            "calibration_targets 4.27", gt=0, lt=1)
    ltc_share_outpatient: float = P(0.64, "share of outpatient appointments, people with an LTC",
                                    "calibration_targets 4.28", gt=0, lt=1)
    frailty_shape: float = P(1.0, "shape of the gamma-distributed unobserved frailty that scales "
                             "each patient's rates (mean 1)", assumption=(0.5, 3.0),
                             note="gives over-dispersed (negative binomial) utilisation")
    spell_cost_cv: float = P(1.5, "coefficient of variation of spell cost across HRGs",
                             assumption=(1.0, 2.0),
                             note="used only to measure risk-adjustment R-squared against "
                             "realised cost, as published R-squared figures are")
    ltc_los_weight: float = P(0.1, "relative increase in length of stay per unit of condition "
                              "weight", assumption=(0.0, 0.3))
    ltc_share_bed_days: float = P(0.70, "share of bed days used by people with an LTC",
                                  "calibration_targets 4.27", gt=0, lt=1)
    female_gp_ratio: float = P(1.3, "female / male GP consultation rate", assumption=(1.1, 1.5))
    deprivation_emergency_gradient: float = P(0.09, "log rate ratio per IMD quintile more "
                                              "deprived, emergency and A&E",
                                              assumption=(0.0, 0.2))
    deprivation_acsc_gradient: float = P(0.17, "log rate ratio per IMD quintile more deprived, "
                                         "ACSC", "calibration_targets 4.30 (most deprived >2x "
                                         "least; 4 steps with LTC gradient)")


class Costs(Strict):
    """Provider costs. Tariff prices are average costs; marginal costs are lower."""

    bed_day: float = P(313.0, "GBP per inpatient day (marginal)", "calibration_targets 4.21 "
                       "(excess bed day)", gt=0)
    spell_marginal_share: float = P(0.6, "marginal / average non-bed-day cost of a spell",
                                    assumption=(0.4, 0.9))
    management_per_enrolee: float = P(20.0, "GBP per enrolee-year, ICP running cost",
                                      assumption=(5, 60),
                                      note="transaction costs, seed 000:187-188")
    community_outpatient_cost_ratio: float = P(
        0.65, "cost of an outpatient attendance in community or practice settings / the acute "
        "trust's average cost", "seed 003:383-385 (Epsom: outpatients at 65% of trust cost)",
        gt=0)
    community_elective_cost_ratio: float = P(
        0.87, "cost of a day-case spell in community settings / the acute trust's average cost",
        "seed 003:383-385 (Epsom: day surgery at 87% of trust cost)", gt=0)
    icp_fixed_cost_per_resident: float = P(
        0.0, "GBP a year per resident of an ICP's localities that it pays whatever its "
        "enrolment (governance, IT, networks)", assumption=(0, 10), ge=0,
        note="scale economies: surviving groups are large (seed 004 L1613-1619)")
    tender_cost_per_resident: float = P(
        2.0, "GBP per resident of the area, once, for the commissioner to procure an ICP or "
        "lead-provider contract", assumption=(0.5, 10), ge=0,
        note="'prohibitively costly' tendering (seed 004 L748-750, L757-759)")


# --------------------------------------------------------------------------- behaviour


class Behaviour(Strict):
    """How providers respond to the margins and surpluses their contracts create."""

    induced_demand_elasticity: float = P(0.4, "log change in elective volume per unit change "
                                         "in margin/price", assumption=(0.0, 1.0),
                                         note="direction: calibration_targets 2.1; seed "
                                         "001:202-205")
    emergency_admission_elasticity: float = P(
        0.1, "log change in emergency admissions per unit change in margin/price (admission "
        "thresholds)", assumption=(0.0, 0.3),
        note="0-1 day stays are 49% of emergency admissions (calibration_targets 4.11); growth "
        "levelled off under the marginal rate (2.9)")
    readmission_avoidance_max: float = P(
        0.25, "largest share of emergency readmissions a provider can avoid by discharge "
        "planning and follow-up", assumption=(0.1, 0.4),
        note="'high-quality care that avoids the need for readmission' (seed 004 L1411-1414)")
    readmission_avoidance_scale: float = P(
        0.5, "loss on a readmission / its price at which 63% of the largest cut is made",
        assumption=(0.2, 2.0), gt=0)
    community_specialist_prevention_gain: float = P(
        0.5, "relative increase in prevention effects when all of an ICP's specialists work in "
        "the community", assumption=(0.0, 1.0), ge=0,
        note="Bolton: lowest bed days per person with diabetes in Greater Manchester "
        "(seed 002 L493-495)")
    intermediate_care_admission_effect: float = P(
        0.15, "largest fractional cut in emergency admissions of high-risk enrolees from "
        "intermediate (step-up) care", assumption=(0.05, 0.3), ge=0, lt=1,
        note="Torbay: low emergency admissions over 65 (calibration_targets 7.4)")
    intermediate_care_los_effect: float = P(
        0.5, "largest share of delayed-transfer days removed by intermediate (step-down) care",
        assumption=(0.2, 0.9), ge=0, le=1,
        note="Torbay: minimal delayed transfers of care (calibration_targets 7.4)")
    delayed_transfer_share: float = P(
        0.1, "share of high-risk enrolees' bed days that are delayed transfers of care",
        assumption=(0.03, 0.2), ge=0, lt=1)
    intermediate_care_half_spend: float = P(
        100.0, "GBP per high-risk enrolee-year for 63% of the largest intermediate-care effect",
        assumption=(30, 300), gt=0)
    los_elasticity: float = P(0.25, "log change in LOS per unit change in unpaid share of "
                              "bed-day cost", assumption=(0.0, 0.5),
                              note="direction: calibration_targets 2.1, 2.4")
    referral_management_max: float = P(0.15, "max share of elective and outpatient referrals an "
                                       "ICP can avoid", assumption=(0.05, 0.3),
                                       note="seed 000:804-808 'minimise the use of hospital'")
    referral_management_scale: float = P(0.5, "net cost/price at which 63% of max is used",
                                         assumption=(0.2, 2.0))
    prevention_max_effect: float = P(0.3, "max fractional cut in avoidable emergency "
                                     "admissions of high-risk enrolees", assumption=(0.1, 0.5),
                                     note="Knowsley -12% short-stay cardiology (seed 004 "
                                     "L2507-2513); VHA -50% bed days is an upper bound "
                                     "(seed 001:609-613)")
    prevention_other_emergency_effect: float = P(0.1, "max fractional cut in other emergency "
                                                 "admissions of high-risk enrolees",
                                                 assumption=(0.0, 0.2))
    prevention_half_spend: float = P(50.0, "GBP per high-risk enrolee-year for 63% of max",
                                     assumption=(20, 300))
    coordination_los_effect: float = P(0.15, "max fractional cut in LOS of high-risk "
                                       "enrolees from care coordination", assumption=(0.0, 0.3),
                                       note="Torbay beds 750->502 (calibration_targets 7.3)")
    maturity_years: float = P(5.0, "time constant of integration maturity (years)",
                              "seed 004 L1618: 15-20 years for US groups (about 3 time constants)",
                              gt=0)
    high_risk_threshold: float = P(2.5, "risk score at or above which a patient is high-risk",
                                   assumption=(1.5, 4.0), gt=0)
    quality_base: float = P(0.5, "quality index of a provider with no extra effort (0-1)",
                            assumption=(0.3, 0.7), ge=0, le=1)
    quality_max_gain: float = P(0.3, "max quality gain from effort", assumption=(0.1, 0.4))
    quality_cost_per_enrolee: float = P(40.0, "GBP per enrolee-year per 0.1 of quality gain",
                                        assumption=(10, 100))
    quality_effort_scale: float = P(0.5, "surplus-weighted responsiveness of quality effort",
                                    assumption=(0.02, 0.5))
    under_service_quality_penalty: float = P(0.5, "quality lost per unit of referral management "
                                             "when quality is not monitored",
                                             assumption=(0.2, 1.0),
                                             note="seed 002 L1293-1295")
    selection_max: float = P(1.0, "max utility penalty an ICP can impose on high-risk "
                             "applicants", assumption=(0.3, 2.0),
                             note="seed 004 L1347-1358: avoidance of high-risk patients")
    selection_loss_scale: float = P(3000.0, "GBP expected loss per high-risk enrolee at which "
                                    "63% of max selection is used", assumption=(300, 3000))
    initial_reserves_share: float = P(0.05, "reserves / first-year revenue", assumption=(0.0, 0.1))
    planning_weight: float = P(0.5, "weight on last year's outcome in providers' expectations "
                               "(rest on the previous expectation)", assumption=(0.2, 1.0))


class Hospital(Strict):
    waiting_weeks_base: float = P(8.0, "weeks, median referral-to-treatment wait at reference "
                                  "load", assumption=(4, 18),
                                  note="over 90% treated within 18 weeks (seed 002 L147-149)")
    reference_load: float = P(0.9, "demand / capacity at which the base wait holds",
                              assumption=(0.8, 0.95), gt=0, lt=1)
    waiting_load_sensitivity: float = P(5.0, "log change in wait per unit change in load",
                                        assumption=(2, 10))
    capacity_margin_response: float = P(
        0.5, "log change in a trust's staffed elective capacity per log change in its "
        "margin-driven volume", assumption=(0.0, 1.0), ge=0, le=1,
        note="PbR's activity incentive cut waits (seed 002 L779-785; seed 001:569-575)")


class Choice(Strict):
    """Annual random-utility (logit) choice between the options open in a locality."""

    enabled: bool = True
    inertia: float = P(2.6, "utility of staying with the current option", assumption=(1.0, 5.0),
                       note="calibrated to ~5-10% annual switching; calibration_targets 5.5-5.7")
    inertia_age_65_plus: float = P(0.8, "extra inertia if aged 65+", assumption=(0.0, 2.0),
                                   note="calibration_targets 5.4")
    inertia_ltc: float = P(1.6, "extra inertia with a long-term condition",
                           "calibration_targets 5.4: chronically ill young 1% vs 17% switching")
    beta_quality: float = P(4.0, "utility per unit of quality index", assumption=(1.0, 8.0),
                            note="1 SD quality -> +17% practice size, calibration_targets 5.8")
    beta_experience: float = P(2.0, "utility per unit of own last-year experience relative "
                               "to 0.5", assumption=(0.5, 4.0),
                               note="calibration_targets 5.7: poor trust -> 4.6x disenrolment")
    beta_waiting: float = P(-0.04, "utility per week of waiting", assumption=(-0.1, -0.01),
                            note="waiting elasticity -0.04, calibration_targets 5.11")
    beta_distance: float = P(-0.15, "utility per km to the main site", assumption=(-0.4, -0.05),
                             note="proximity the top reason, 58% (calibration_targets 5.9)")
    gp_distance_km: float = P(1.0, "km to the nearest GP practice of the fragmented default",
                              assumption=(0.5, 3.0))
    experience_noise: float = P(0.1, "SD of experience around the option's quality",
                                assumption=(0.05, 0.2))
    experience_admission_penalty: float = P(0.1, "experience lost after an emergency admission",
                                            assumption=(0.0, 0.2))
    new_entrant_inertia: float = P(0.0, "inertia for patients choosing for the first time",
                                   assumption=(0.0, 1.0))


class Intervention(Strict):
    """A Vivarium-style value modifier: scale one named value for one option over some years."""

    value: Literal["quality", "gp_consultation", "outpatient", "elective", "emergency",
                   "acsc", "ae", "los", "readmission"]
    option: str = Field("all", description="option name, or 'all'")
    factor: float = Field(1.0, ge=0)
    start_year: int = Field(1, ge=1)
    end_year: int = Field(10_000, ge=1)


# --------------------------------------------------------------------------- scenario


class Scenario(Strict):
    scenario: ScenarioMeta = Field(default_factory=ScenarioMeta)
    run: RunConfig = Field(default_factory=RunConfig)
    localities: list[Locality] = Field(
        default_factory=lambda: [Locality(name="area", share=1.0)], min_length=1
    )
    icps: list[IcpConfig] = Field(default_factory=list)
    contracts: dict[str, Contract] = Field(default_factory=_default_contracts)
    demography: Demography = Field(default_factory=Demography)
    conditions: Conditions = Field(default_factory=Conditions)
    utilisation: Utilisation = Field(default_factory=Utilisation)
    costs: Costs = Field(default_factory=Costs)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    hospital: Hospital = Field(default_factory=Hospital)
    choice: Choice = Field(default_factory=Choice)
    interventions: list[Intervention] = Field(default_factory=list)

    @field_validator("contracts", mode="before")
    @classmethod
    def _default_roles(cls, value: Any) -> Any:
        """A file that names only some contracts keeps the defaults for the others."""
        if isinstance(value, dict):
            return {**_default_contracts(), **value}
        return value

    @model_validator(mode="after")
    def _check_references(self) -> Scenario:
        names = [loc.name for loc in self.localities]
        if len(set(names)) != len(names):
            raise ValueError("locality names must be unique")
        icp_names = [icp.name for icp in self.icps]
        if len(set(icp_names)) != len(icp_names) or FRAGMENTED in icp_names:
            raise ValueError(f"ICP names must be unique and not '{FRAGMENTED}'")
        for contract in ("hospital", "gp", "icp_hospital"):
            if contract not in self.contracts:
                raise ValueError(f"contracts.{contract} is required")
        for icp in self.icps:
            for loc in icp.localities:
                if loc not in names:
                    raise ValueError(f"ICP '{icp.name}' names unknown locality '{loc}'; "
                                     f"allowed: {', '.join(names)}")
            if icp.contract not in self.contracts:
                raise ValueError(f"ICP '{icp.name}' names unknown contract '{icp.contract}'; "
                                 f"allowed: {', '.join(self.contracts)}")
        roles = {"hospital": ["hospital"], "gp": ["gp"], "icp_hospital": ["purchase"]}
        for icp in self.icps:
            roles.setdefault(icp.contract, []).append("icp")
        for name, used_as in roles.items():
            kind = self.contracts[name].kind
            for role in used_as:
                if role not in ROLES[kind]:
                    fits = [k for k, r in ROLES.items() if role in r]
                    raise ValueError(f"contracts.{name}: kind '{kind}' cannot "
                                     f"{ROLE_NAMES[role]}; allowed there: {', '.join(fits)}")
                check = getattr(self.contracts[name], "check_role", None)
                problem = check(role) if check else None
                if problem:
                    raise ValueError(f"contracts.{name}: {problem}")
        for icp in self.icps:
            cap = getattr(self.contracts[icp.contract], "self_provision_cap", 1.0)
            if icp.integration == "vertical" and cap < 1:
                raise ValueError(f"ICP '{icp.name}' is vertical (it provides all its hospital "
                                 f"care itself), but contracts.{icp.contract} caps "
                                 f"self-provision at {cap:g}; allowed: integration = 'virtual'")
        for loc in self.localities:
            served = [i for i in self.icps if loc.name in i.localities]
            if not loc.fragmented_default and not served:
                raise ValueError(f"locality '{loc.name}' has no fragmented default and no ICP")
            if not loc.fragmented_default and sum(i.initial_share for i in served) < 1 - 1e-9:
                raise ValueError(f"locality '{loc.name}' has no fragmented default, so the "
                                 "initial_share of its ICPs must sum to 1")
        for iv in self.interventions:
            if iv.option not in ("all", FRAGMENTED, *icp_names):
                raise ValueError(f"intervention option '{iv.option}' is unknown; allowed: "
                                 f"all, {FRAGMENTED}, {', '.join(icp_names)}")
        return self

    @property
    def option_names(self) -> list[str]:
        """Provider options patients can be enrolled in: the fragmented default first."""
        return [FRAGMENTED, *[icp.name for icp in self.icps]]


FRAGMENTED = "fragmented"
"""Name of the fragmented default option (GP practice plus tariff-paid hospital)."""


# --------------------------------------------------------------------------- loading


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is meant for the user as is."""


def _format_validation_error(source: str, err: ValidationError, model: type[BaseModel]) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-after"))
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, e["loc"][:-1])
            msg = "unknown field" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
        elif "input" in e and e["type"] not in ("missing", "value_error"):
            msg = f"{msg} (got {e['input']!r})"
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        lines.append(f"{source}: field '{loc or '(top level)'}': {msg}")
    return "\n".join(lines)


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the sub-model at ``loc``, for 'unknown field' messages.

    Inside a dict of models (``contracts``) the key is skipped; inside a union tagged by
    ``kind`` the tag in the location picks the member.
    """
    current: Any = model
    candidates: list[Any] = []
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        tagged = [m for m in candidates if _kind_of(m) == part]
        if tagged:
            current, candidates = tagged[0], []
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            if candidates:  # a dict key (a contract's name): stay with the value's models
                continue
            return []
        candidates = _models_in(field.annotation)
        current = candidates[0] if candidates else None
        if len(candidates) == 1:
            candidates = []
    return sorted(getattr(current, "model_fields", {}).keys()) if current else []


def _kind_of(model: Any) -> Any:
    field = getattr(model, "model_fields", {}).get("kind")
    return field.default if field is not None else None


def _models_in(annotation: Any) -> list[Any]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[Any] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(m for m in _models_in(arg) if m not in found)
    return found


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE`` from ``--set``; the value is read as TOML, else as a string."""
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected KEY=VALUE, e.g. choice.inertia=3.0")
    key, raw = text.split("=", 1)
    key = key.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def apply_override(data: dict[str, Any], key: str, value: Any, source: str = "--set") -> None:
    """Set a dotted ``key`` (list items by index, e.g. ``icps.0.integration``) in ``data``."""
    parts = key.replace("[", ".").replace("]", "").split(".")
    node: Any = data
    defaults: Any = Scenario().model_dump()
    for i, part in enumerate(parts[:-1]):
        nxt_default = _child(defaults, part)
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(f"{source}: field '{key}': index '{part}' is out of range; "
                                    f"the list has {len(node)} items")
            node = node[int(part)]
        else:
            if part not in node:
                if isinstance(nxt_default, dict):
                    node[part] = copy.deepcopy(nxt_default)
                elif nxt_default is None and not (isinstance(defaults, dict) and defaults):
                    node[part] = {}
                else:
                    allowed = sorted(defaults) if isinstance(defaults, dict) else []
                    raise ScenarioError(f"{source}: field '{'.'.join(parts[:i + 1])}' is unknown; "
                                        f"allowed: {', '.join(allowed)}")
            node = node[part]
        defaults = nxt_default if nxt_default is not None else {}
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise ScenarioError(f"{source}: field '{key}': index '{last}' is out of range")
        node[int(last)] = value
    else:
        node[last] = value


def _child(defaults: Any, part: str) -> Any:
    if isinstance(defaults, dict):
        return defaults.get(part)
    if isinstance(defaults, list) and part.isdigit() and int(part) < len(defaults):
        return defaults[int(part)]
    return None


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a plain dict; raise :class:`ScenarioError` with a user-facing message."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_validation_error(source, err, Scenario)) from None


def read_toml(path: str | Path, kind: str = "scenario") -> dict[str, Any]:
    """Read a TOML file into a dict, with one clear message for a missing or broken file."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such {kind} file")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: not valid TOML: {err}") from None


def read_scenario_dict(path: str | Path) -> dict[str, Any]:
    """Read a TOML scenario file into a dict (see :func:`read_toml`)."""
    return read_toml(path, "scenario")


def load_scenario(
    path: str | Path, overrides: list[str] | dict[str, Any] | None = None
) -> Scenario:
    """Load and validate a scenario file, applying ``--set`` style overrides first."""
    data = read_scenario_dict(path)
    items = overrides.items() if isinstance(overrides, dict) else map(parse_override, overrides or [])
    for key, value in items:
        apply_override(data, key, value, source=f"{path} (--set {key})")
    return scenario_from_dict(data, source=str(path))


def with_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A copy of ``scenario`` with dotted-key overrides applied and re-validated."""
    data = scenario.model_dump(mode="python")
    for key, value in overrides.items():
        apply_override(data, key, value, source=f"override {key}")
    return scenario_from_dict(data, source=f"scenario '{scenario.scenario.name}'")


def scenario_to_toml(scenario: Scenario) -> str:
    """The fully resolved scenario, every default filled in, as TOML."""
    return tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True))
