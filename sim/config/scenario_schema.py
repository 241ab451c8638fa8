"""The scenario schema: what a scenario file may say, validated by pydantic.

A scenario names its localities, the integrated care partnerships (ICPs) on offer,
the contracts that pay each kind of provider, and any parameter it overrides.
Everything it leaves out falls back to the defaults, each declared with
:func:`sim.config.declare.P` (unit plus source, or an assumption with a range): the structure
below, the parameter sections in :mod:`sim.config.parameters` and the contract terms of
each kind listed in :mod:`sim.contracts.registry` (the union :data:`Contract`).
Loading files and applying ``--set`` overrides is :mod:`sim.config.scenario`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.base.schema import Strict
from sim.config.commissioner_parameters import CommissionerTerms
from sim.config.declare import P
from sim.config.finance_parameters import Finance
from sim.config.health_parameters import Health
from sim.config.parameters import (
    Behaviour,
    Choice,
    Conditions,
    Costs,
    Demography,
    Hospital,
    Utilisation,
)
from sim.config.quality_parameters import QualityMeasure
from sim.config.social_care_parameters import SocialCare
from sim.contracts.core import CapitationContract, TariffContract
from sim.contracts.registry import ROLES, Contract
from sim.contracts.terms import ROLE_NAMES

# --------------------------------------------------------------------------- meta


class ScenarioMeta(Strict):
    name: str = Field("unnamed", description="Short name; used for the output folder.")
    description: str = ""
    sources: list[str] = Field(default_factory=list, description="Seed citations.")


class RunConfig(Strict):
    patients: int = P(
        100_000,
        "patients",
        assumption=(1_000, 56_000_000),
        gt=0,
        note="England registered population is about 56 million",
    )
    years: int = P(10, "years", assumption=(1, 30), gt=0, le=200)
    seed: int = P(20261123, "integer seed for numpy SeedSequence", assumption=(0, 2**63), ge=0)
    replicates: int = P(1, "replicates", assumption=(1, 1000), gt=0)


# --------------------------------------------------------------------------- geography


class Locality(Strict):
    name: str
    share: float = P(1.0, "share of population", assumption=(0, 1), gt=0)
    fragmented_default: bool = Field(
        True,
        description="Whether the fragmented default (GP practice plus tariff-paid trust) "
        "is open here. False gives a single integrated planned system (Scotland/NZ).",
    )
    radius_km: float = P(
        5.0,
        "km",
        assumption=(1, 40),
        gt=0,
        note="urban about 5 km, rural 20 km or more (seed 001:642-645)",
    )


class IcpConfig(Strict):
    name: str
    localities: list[str] = Field(..., min_length=1)
    integration: Literal["virtual", "vertical"] = Field(
        "virtual",
        description="vertical runs its own hospital (Kaiser N. California); virtual "
        "buys from the local trust at tariff (Kaiser Colorado, Group Health); seed 001:578-588",
    )
    contract: str = Field("icp", description="Name of the contract in [contracts] that pays it.")
    initial_share: float = P(
        0.0, "share of locality population enrolled at start", assumption=(0, 1), ge=0, le=1
    )
    start_year: int = P(1, "simulation year in which it opens", assumption=(1, 30), ge=1)
    years_integrated_at_start: int = P(
        0, "years of integration maturity at start", assumption=(0, 30), ge=0
    )
    quality_monitoring: bool = Field(
        True,
        description="Commissioner monitors quality; without it capitation can under-serve "
        "(seed 002 L1293-1295)",
    )
    site_position: float = P(
        0.5, "position of the main site in the locality (0-1)", assumption=(0, 1), ge=0, le=1
    )
    community_outpatient_max: float = P(
        0.0,
        "largest share of its outpatient attendances a virtual ICP can provide itself in "
        "community or practice settings",
        assumption=(0, 0.8),
        ge=0,
        le=1,
        note="Epsom: over half of referrals go to local rather than acute services "
        "(seed 003:379-393)",
    )
    community_elective_max: float = P(
        0.0,
        "largest share of its elective (day-case) spells a virtual ICP can provide itself "
        "in community settings",
        assumption=(0, 0.6),
        ge=0,
        le=1,
        note="Epsom Day Surgery (seed 003:294-296)",
    )
    community_specialists: float = P(
        0.0,
        "share of the ICP's specialists working in the community beside primary care",
        assumption=(0, 1),
        ge=0,
        le=1,
        note="Bolton's community diabetes team (seed 003:221-227; seed 001:342-355)",
    )


# --------------------------------------------------------------------------- contracts


def _default_contracts() -> dict[str, Any]:
    return {
        "hospital": TariffContract(),
        "gp": CapitationContract(scope="primary_care", risk_adjustment="age_sex"),
        "icp": CapitationContract(),
        "icp_hospital": TariffContract(),
    }


# --------------------------------------------------------------------------- interventions


class Intervention(Strict):
    """A Vivarium-style value modifier: scale one named value for one option over some years."""

    value: Literal[
        "quality",
        "gp_consultation",
        "outpatient",
        "elective",
        "emergency",
        "acsc",
        "ae",
        "los",
        "readmission",
    ]
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
    finance: Finance = Field(default_factory=Finance)
    commissioner: CommissionerTerms = Field(default_factory=CommissionerTerms)
    health: Health = Field(default_factory=Health)
    quality: QualityMeasure = Field(default_factory=QualityMeasure)
    social_care: SocialCare = Field(default_factory=SocialCare)
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
                    raise ValueError(
                        f"ICP '{icp.name}' names unknown locality '{loc}'; "
                        f"allowed: {', '.join(names)}"
                    )
            if icp.contract not in self.contracts:
                raise ValueError(
                    f"ICP '{icp.name}' names unknown contract '{icp.contract}'; "
                    f"allowed: {', '.join(self.contracts)}"
                )
        roles = {"hospital": ["hospital"], "gp": ["gp"], "icp_hospital": ["purchase"]}
        for icp in self.icps:
            roles.setdefault(icp.contract, []).append("icp")
        for name, used_as in roles.items():
            kind = self.contracts[name].kind
            for role in used_as:
                if role not in ROLES[kind]:
                    fits = [k for k, r in ROLES.items() if role in r]
                    raise ValueError(
                        f"contracts.{name}: kind '{kind}' cannot "
                        f"{ROLE_NAMES[role]}; allowed there: {', '.join(fits)}"
                    )
                check = getattr(self.contracts[name], "check_role", None)
                problem = check(role) if check else None
                if problem:
                    raise ValueError(f"contracts.{name}: {problem}")
        for icp in self.icps:
            cap = getattr(self.contracts[icp.contract], "self_provision_cap", 1.0)
            if icp.integration == "vertical" and cap < 1:
                raise ValueError(
                    f"ICP '{icp.name}' is vertical (it provides all its hospital "
                    f"care itself), but contracts.{icp.contract} caps "
                    f"self-provision at {cap:g}; allowed: integration = 'virtual'"
                )
        for loc in self.localities:
            served = [i for i in self.icps if loc.name in i.localities]
            if not loc.fragmented_default and not served:
                raise ValueError(f"locality '{loc.name}' has no fragmented default and no ICP")
            if not loc.fragmented_default and sum(i.initial_share for i in served) < 1 - 1e-9:
                raise ValueError(
                    f"locality '{loc.name}' has no fragmented default, so the "
                    "initial_share of its ICPs must sum to 1"
                )
        for iv in self.interventions:
            if iv.option not in ("all", FRAGMENTED, *icp_names):
                raise ValueError(
                    f"intervention option '{iv.option}' is unknown; allowed: "
                    f"all, {FRAGMENTED}, {', '.join(icp_names)}"
                )
        return self

    @model_validator(mode="after")
    def _check_shares_and_years(self) -> Scenario:
        """Shares that must add up are checked, never normalised; interventions end after
        they start."""
        total = sum(loc.share for loc in self.localities)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            shares = " + ".join(f"{loc.share:g}" for loc in self.localities[:6])
            shares += " + ..." if len(self.localities) > 6 else ""
            raise ValueError(
                f"field 'localities.*.share': the shares of the population must sum to 1; "
                f"got {shares} = {total:g}"
            )
        for loc in self.localities:
            served = [i for i in self.icps if loc.name in i.localities]
            enrolled = sum(i.initial_share for i in served)
            if enrolled > 1.0 + SHARE_TOLERANCE:
                shares = " + ".join(f"{i.name} {i.initial_share:g}" for i in served)
                raise ValueError(
                    f"field 'icps.*.initial_share': in locality '{loc.name}' the ICPs' "
                    f"initial shares sum to {enrolled:g} ({shares}); allowed: at most 1"
                )
        for n, iv in enumerate(self.interventions):
            if iv.end_year < iv.start_year:
                raise ValueError(
                    f"field 'interventions.{n}.end_year': {iv.end_year} is before start_year "
                    f"{iv.start_year}; allowed: end_year >= start_year"
                )
        return self

    @property
    def option_names(self) -> list[str]:
        """Provider options patients can be enrolled in: the fragmented default first."""
        return [FRAGMENTED, *[icp.name for icp in self.icps]]


SHARE_TOLERANCE = 1e-3
"""How far shares that must sum to 1 may miss it: rounding in a file that writes them to a few
decimals (England's 150 localities to six, six insurers' 1/6 each as 0.166667)."""

FRAGMENTED = "fragmented"
"""Name of the fragmented default option (GP practice plus tariff-paid hospital)."""
