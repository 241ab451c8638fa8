"""Scenario files: TOML read, ``--set`` overrides applied, and validated with clear messages.

The schema is :mod:`sim.config.scenario_schema` (with the parameter sections and contract
terms it is made of); everything in it is re-exported here, so ``from sim.config.scenario
import Scenario, Choice`` keeps working.

Bad input never raises a traceback at the user: :func:`load_scenario` raises
:class:`ScenarioError`, whose message names the file, the field and what is allowed.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from sim.config.parameters import (  # noqa: F401  (re-exported: the scenario's parameter sections)
    Behaviour,
    Choice,
    Conditions,
    Costs,
    Demography,
    Hospital,
    Utilisation,
)
from sim.config.scenario_schema import (  # noqa: F401  (re-exported: the schema)
    FRAGMENTED,
    IcpConfig,
    Intervention,
    Locality,
    RunConfig,
    Scenario,
    ScenarioMeta,
)
from sim.contracts.block import BlockContract  # noqa: F401
from sim.contracts.core import (  # noqa: F401  (re-exported: the core contract terms)
    BlendedContract,
    CapitationContract,
    TariffContract,
)
from sim.contracts.registry import ROLES, Contract  # noqa: F401
from sim.contracts.terms import ACTIVITIES, ROLE_NAMES, Prices  # noqa: F401

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
        elif e["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc, msg = _tag_message(e, model, loc)
        elif "input" in e and e["type"] not in ("missing", "value_error"):
            msg = f"{msg} (got {e['input']!r})"
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        lines.append(f"{source}: field '{loc or '(top level)'}': {msg}")
    return "\n".join(lines)


def _tag_message(error: Any, model: type[BaseModel], loc: str) -> tuple[str, str]:
    """Field and message for a contract whose ``kind`` is unknown or missing.

    The message lists the kinds allowed at that place (every kind, or the kinds another
    contract may be built on) rather than echoing the whole table back.
    """
    tag = error.get("ctx", {}).get("discriminator", "'kind'").strip("'")
    field = f"{loc}.{tag}" if loc else tag
    kinds = [repr(_kind_of(m)) for m in _models_at(model, error["loc"])[1]]
    allowed = ", ".join(kinds) or error.get("ctx", {}).get("expected_tags", "")
    if error["type"] == "union_tag_invalid":
        return field, f"unknown contract kind {error['ctx']['tag']!r}; allowed: {allowed}"
    return field, f"missing: every contract names its kind; allowed: {allowed}"


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the sub-model at ``loc``, for 'unknown field' messages."""
    current = _models_at(model, loc)[0]
    return sorted(getattr(current, "model_fields", {}).keys()) if current else []


def _models_at(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, list[Any]]:
    """The sub-model at ``loc`` and, inside a union tagged by ``kind``, the union's members.

    Inside a dict of models (``contracts``) the key is skipped; inside a union tagged by
    ``kind`` the tag in the location picks the member. (None, []) if ``loc`` names no model.
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
            return None, []
        candidates = _models_in(field.annotation)
        current = candidates[0] if candidates else None
        if len(candidates) == 1:
            candidates = []
    return current, candidates


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
