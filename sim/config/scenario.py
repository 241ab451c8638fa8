"""Scenario files: TOML, validated by pydantic, with every default documented.

A scenario names its localities, the integrated care partnerships (ICPs) on offer,
the contracts that pay each kind of provider, and any parameter it overrides.
Everything it leaves out falls back to the defaults, each declared with
:func:`sim.config.declare.P` (unit plus source, or an assumption with a range): the structure
below, the parameter sections in :mod:`sim.config.parameters` and the contract terms in
:mod:`sim.contracts.terms`. Both are re-exported here, so ``from sim.config.scenario import
Choice`` keeps working.

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

from sim.base.schema import Strict
from sim.config.declare import P
from sim.config.parameters import (  # re-exported: the scenario's parameter sections
    Behaviour,
    Choice,
    Conditions,
    Costs,
    Demography,
    Hospital,
    Utilisation,
)
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
            msg = msg[len("Value error, ") :]
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
                raise ScenarioError(
                    f"{source}: field '{key}': index '{part}' is out of range; "
                    f"the list has {len(node)} items"
                )
            node = node[int(part)]
        else:
            if part not in node:
                if isinstance(nxt_default, dict):
                    node[part] = copy.deepcopy(nxt_default)
                elif nxt_default is None and not (isinstance(defaults, dict) and defaults):
                    node[part] = {}
                else:
                    allowed = sorted(defaults) if isinstance(defaults, dict) else []
                    raise ScenarioError(
                        f"{source}: field '{'.'.join(parts[: i + 1])}' is unknown; "
                        f"allowed: {', '.join(allowed)}"
                    )
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
    items = (
        overrides.items() if isinstance(overrides, dict) else map(parse_override, overrides or [])
    )
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
