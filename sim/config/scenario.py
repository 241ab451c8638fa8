"""Scenario files: TOML read, ``--set`` overrides applied, and validated with clear messages.

The schema is :mod:`sim.config.scenario_schema` (with the parameter sections and contract
terms it is made of); everything in it is re-exported here, so ``from sim.config.scenario
import Scenario, Choice`` keeps working.

Bad input never raises a traceback at the user: :func:`load_scenario` raises
:class:`ScenarioError`, whose message names the file, the field and what is allowed.
"""

from __future__ import annotations

import copy
import re
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
from sim.config.plausibility import (  # noqa: F401  (STRICT_HELP, set_strict: for the CLI)
    STRICT_HELP,
    implausible,
    report,
    set_strict,
    strict_inputs,
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
        loc = ".".join(
            str(p) for p in _user_loc(model, e["loc"]) if not str(p).startswith("function-after")
        )
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
        if not loc and msg.startswith("field '"):  # a rule across fields names its own
            lines.append(f"{source}: {msg}")
        else:
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


def _user_loc(model: type[BaseModel], loc: tuple[Any, ...]) -> list[Any]:
    """``loc`` as the user writes it: without the contract kind pydantic adds after a union."""
    current: Any = model
    candidates: list[Any] = []
    kept: list[Any] = []
    for part in loc:
        tagged = [m for m in candidates if _kind_of(m) == part]
        if tagged:
            current, candidates = tagged[0], []
            continue
        kept.append(part)
        if isinstance(part, int) or current is None:
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            if not candidates:
                current = None
            continue
        candidates = _models_in(field.annotation)
        current = candidates[0] if candidates else None
        if len(candidates) == 1:
            candidates = []
    return kept


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
    except (ValueError, RecursionError):  # past the digit limit, or nested too deeply
        raise ScenarioError(f"--set {key}: the value is too large or nested too deeply") from None
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
        elif not isinstance(node, dict):
            raise ScenarioError(
                f"{source}: field '{'.'.join(parts[:i])}' is a single value, "
                f"so it has no field '{part}'"
            )
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
    elif not isinstance(node, dict):
        raise ScenarioError(
            f"{source}: field '{'.'.join(parts[:-1])}' is a single value, "
            f"so it has no field '{last}'"
        )
    else:
        node[last] = value


def _child(defaults: Any, part: str) -> Any:
    if isinstance(defaults, dict):
        return defaults.get(part)
    if isinstance(defaults, list) and part.isdigit() and int(part) < len(defaults):
        return defaults[int(part)]
    return None


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a plain dict; raise :class:`ScenarioError` with a user-facing message.

    Values outside their plausible range warn (once each), or are refused when strict.
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_validation_error(source, err, Scenario)) from None
    except RecursionError:
        raise ScenarioError(f"{source}: the scenario is nested too deeply") from None
    check_plausible(scenario, source)
    return scenario


MAX_FILE_BYTES = 1_000_000
"""The largest input file read: the largest shipped scenario is a few kilobytes."""

MAX_DEPTH = 32
"""The deepest nesting of tables and arrays an input file may have; scenarios use four."""


def read_toml(path: str | Path, kind: str = "scenario") -> dict[str, Any]:
    """Read a TOML file into a dict, with one clear message for a missing or broken file.

    The file is read as bytes and decoded here, so compressed, binary, UTF-16 or otherwise
    non-UTF-8 input is named as such with its line, not met as a decoding traceback.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such {kind} file")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read the {kind} file: {err.strerror}") from None
    data = parse_toml(raw, str(path))
    return data


def parse_toml(raw: bytes, source: str) -> dict[str, Any]:
    """Decode and parse TOML ``raw``; every problem is a :class:`ScenarioError` naming ``source``."""
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            f"{source}: the file is {len(raw):,} bytes; allowed: at most {MAX_FILE_BYTES:,}"
        )
    text = _decode(raw, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{source}: not valid TOML: {_toml_problem(str(err), text)}") from None
    except RecursionError:
        raise ScenarioError(
            f"{source}: arrays or tables are nested too deeply; allowed: {MAX_DEPTH} levels"
        ) from None
    except ValueError as err:  # an integer past Python's digit limit
        raise ScenarioError(f"{source}: not valid TOML: {err}".split("; use sys.")[0]) from None
    if _depth(data) > MAX_DEPTH:
        raise ScenarioError(
            f"{source}: arrays or tables are nested too deeply; allowed: {MAX_DEPTH} levels"
        )
    return data


def _decode(raw: bytes, source: str) -> str:
    if raw[:2] == b"\x1f\x8b":
        raise ScenarioError(
            f"{source}: the file is gzip-compressed; allowed: a plain TOML text file"
        )
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ScenarioError(f"{source}: the file is UTF-16; allowed: UTF-8 text (save it as UTF-8)")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ScenarioError(f"{source}: line {line}: a NUL byte: this is a binary file, not TOML")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ScenarioError(
            f"{source}: line {line}: byte 0x{raw[err.start]:02x} is not UTF-8; "
            "allowed: UTF-8 text (save the file as UTF-8)"
        ) from None


def _toml_problem(message: str, text: str) -> str:
    """The parser's message, with the dotted field named when a key is given twice."""
    match = re.search(r"Cannot overwrite a value \(at line (\d+)", message)
    if not match:
        return message
    number = int(match.group(1))
    lines = text.splitlines()
    key = lines[number - 1].split("=", 1)[0].strip() if number <= len(lines) else ""
    table = ""
    for previous in reversed(lines[: number - 1]):
        header = re.match(r"\s*\[+\s*([^\]]+?)\s*\]+", previous)
        if header:
            table = header.group(1) + "."
            break
    return f"field '{table}{key}' is given twice (line {number}); allowed: once"


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


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


def check_plausible(scenario: Scenario, source: str) -> None:
    """Warn of values outside their plausible range; refuse them when inputs are strict."""
    lines = implausible(scenario)
    if lines and strict_inputs():
        raise ScenarioError(
            "\n".join(f"{source}: {line} (refused: strict inputs)" for line in lines)
        )
    report(lines, source)


def with_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A copy of ``scenario`` with dotted-key overrides applied and re-validated."""
    data = scenario.model_dump(mode="python")
    for key, value in overrides.items():
        apply_override(data, key, value, source=f"override {key}")
    return scenario_from_dict(data, source=f"scenario '{scenario.scenario.name}'")


def scenario_to_toml(scenario: Scenario) -> str:
    """The fully resolved scenario, every default filled in, as TOML."""
    return tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True))
