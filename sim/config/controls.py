"""The scenario a dashboard's controls describe: a scenario file with its ICP contracts,
risk adjustment, the commissioner's rate setting, choice inertia and number of urban ICPs
set as the presenter chose.

Every control starts at "as in scenario", so an untouched control changes nothing; the
result is validated like any scenario file. The page itself is :mod:`sim.app`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, get_args

from sim.config.commissioner_parameters import RateSettingRule
from sim.config.parameters import Choice
from sim.config.scenario import Scenario, apply_override, read_scenario_dict, scenario_from_dict

AS_IN_SCENARIO = "as in scenario"
BUILT_IN = "built-in defaults"
REGIMES = ("tariff", "capitation", "blended")
RISK_ADJUSTMENTS = ("none", "age_sex", "full")
RATE_SETTINGS: tuple[str, ...] = get_args(RateSettingRule)
"""The commissioner's rules for what it pays ICPs (``commissioner.rate_setting``)."""
DEFAULT_SCENARIO = "competing_icps_capitation"
INERTIA = Choice.model_fields["inertia"].default
"""The inertia control starts at ``choice.inertia`` as declared, with its unit and source."""


def scenario_dir() -> Path | None:
    """Where the scenario files are: $ICSIM_SCENARIOS, ./scenarios, or beside the package."""
    candidates = [
        os.environ.get("ICSIM_SCENARIOS"),
        Path.cwd() / "scenarios",
        Path(__file__).resolve().parents[2] / "scenarios",
    ]
    for c in candidates:
        if c and Path(c).is_dir() and any(Path(c).glob("*.toml")):
            return Path(c)
    return None


def scenario_files() -> dict[str, Path | None]:
    """Scenario choices by name (file stem); the built-in defaults when no folder exists."""
    folder = scenario_dir()
    if folder is None:
        return {BUILT_IN: None}
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def _capitation_terms(current: dict[str, Any]) -> dict[str, Any]:
    """The capitation terms inside a contract (itself, or its ``capitation`` part)."""
    if current.get("kind") == "capitation":
        return {k: v for k, v in current.items() if k != "scope"}
    inner = current.get("capitation")
    return {k: v for k, v in inner.items() if k != "scope"} if isinstance(inner, dict) else {}


def _contract(current: dict[str, Any], regime: str, risk_adjustment: str) -> dict[str, Any]:
    """An ICP contract for a payment regime, keeping the scenario's capitation settings.

    "as in scenario" keeps the scenario's contract (any kind), changing only its risk
    adjustment where it has capitation in it.
    """
    current = dict(current)
    if regime == AS_IN_SCENARIO:
        if risk_adjustment != AS_IN_SCENARIO:
            if current.get("kind") == "capitation" or "risk_adjustment" in current:
                current["risk_adjustment"] = risk_adjustment
            elif isinstance(current.get("capitation"), dict):
                current["capitation"] = {
                    **current["capitation"],
                    "risk_adjustment": risk_adjustment,
                }
        return current
    capitation = {**_capitation_terms(current), "kind": "capitation"}
    if risk_adjustment != AS_IN_SCENARIO:
        capitation["risk_adjustment"] = risk_adjustment
    if regime == "tariff":
        return current if current.get("kind") == "tariff" else {"kind": "tariff"}
    if regime == "capitation":
        return capitation
    share = (
        {"capitation_share": current["capitation_share"]}
        if current.get("kind") == "blended" and "capitation_share" in current
        else {}
    )
    return {"kind": "blended", **share, "capitation": capitation}


def _urban_locality(data: dict[str, Any]) -> str:
    """The locality the ICP slider fills: ``urban`` where there is one, else the first."""
    names = [loc["name"] for loc in data.get("localities", [{"name": "area"}])]
    return "urban" if "urban" in names else names[0]


def urban_icp_count(path: Path | None) -> int:
    """How many ICPs a scenario file (None: the built-in defaults) has in its urban locality."""
    data = read_scenario_dict(path) if path else Scenario().model_dump(mode="json")
    urban = _urban_locality(data)
    return sum(icp["localities"] == [urban] for icp in data.get("icps", []))


def _urban_icps(data: dict[str, Any], n_icps: int) -> list[dict[str, Any]]:
    """The scenario's ICPs with exactly ``n_icps`` in the urban (else first) locality.

    Existing urban ICPs are kept in order; extra ones alternate virtual and vertical
    integration and spread their main sites across the locality.
    """
    urban = _urban_locality(data)
    icps = list(data.get("icps", []))
    here = [i for i in icps if i["localities"] == [urban]]
    others = [i for i in icps if i["localities"] != [urban]]
    template = dict(here[0]) if here else {"years_integrated_at_start": 3}
    kept = here[:n_icps]
    taken = {i["name"] for i in icps}
    for k in range(len(kept), n_icps):
        name = next(
            f"icp_{urban}_{j}" for j in range(k + 1, 100) if f"icp_{urban}_{j}" not in taken
        )
        taken.add(name)
        kept.append(
            {
                **{key: template[key] for key in ("years_integrated_at_start",) if key in template},
                "name": name,
                "localities": [urban],
                "integration": "virtual" if k % 2 == 0 else "vertical",
                "site_position": round((k + 0.5) / n_icps, 2),
            }
        )
    return kept + others


def dashboard_scenario(
    scenario: str = DEFAULT_SCENARIO,
    payment_regime: str = AS_IN_SCENARIO,
    risk_adjustment: str = AS_IN_SCENARIO,
    inertia: float | None = None,
    n_icps: int | None = None,
    rate_setting: str = AS_IN_SCENARIO,
) -> Scenario:
    """The scenario the dashboard controls describe, validated like any scenario file.

    ``inertia`` and ``n_icps`` None keep the scenario's own, as "as in scenario" keeps its
    contracts and its commissioner's rule (with that rule's terms as the scenario sets
    them, else their defaults).
    """
    files = scenario_files()
    path = files.get(scenario)
    data = read_scenario_dict(path) if path else Scenario().model_dump(mode="json")
    if "contracts" not in data:
        data["contracts"] = Scenario().model_dump(mode="json")["contracts"]
    if n_icps is not None:
        data["icps"] = _urban_icps(data, int(n_icps))
    for name in {"icp", *(icp.get("contract", "icp") for icp in data.get("icps", []))}:
        data["contracts"][name] = _contract(
            data["contracts"].get(name, {"kind": "capitation"}), payment_regime, risk_adjustment
        )
    if inertia is not None:
        apply_override(data, "choice.inertia", float(inertia), source="dashboard")
    if rate_setting != AS_IN_SCENARIO:
        apply_override(data, "commissioner.rate_setting", rate_setting, source="dashboard")
    return scenario_from_dict(data, source=f"dashboard scenario '{scenario}'")
