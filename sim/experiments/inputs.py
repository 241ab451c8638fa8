"""Reading experiment files (sweeps, sensitivity): strict models and one-line messages.

Experiment files are validated as strictly as scenarios: an unknown key is an error,
and every problem becomes one line naming the file, the field and what is allowed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from sim.base.schema import Strict as ScenarioStrict
from sim.config.scenario import ScenarioError


class Strict(ScenarioStrict):
    """Experiment files are read as strictly as scenarios: unknown keys, non-finite numbers
    and values of the wrong kind (``crn = "yes"``, ``true`` for a number) are errors."""


def validation_message(source: str, err: ValidationError, prefix: str = "") -> str:
    """One line per problem: ``source: field 'x': what is allowed``."""
    lines = []
    for e in err.errors():
        parts = [
            prefix.rstrip("."),
            *(str(p) for p in e["loc"] if not str(p).startswith("function-")),
        ]
        loc = ".".join(p for p in parts if p)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] not in ("missing", "value_error") and "input" in e:
            msg = f"{msg} (got {e['input']!r})"
        lines.append(f"{source}: field '{loc or '(top level)'}': {msg}")
    return "\n".join(lines)


def validate(model: type[BaseModel], data: Any, source: str, prefix: str = "") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(
            with_allowed(validation_message(source, err, prefix), model, err, source, prefix)
        ) from None


def with_allowed(
    message: str, model: type[BaseModel], err: ValidationError, source: str, prefix: str
) -> str:
    """Add the allowed field names to 'unknown field' messages."""
    lines = message.splitlines()
    for i, e in enumerate(err.errors()):
        if e["type"] != "extra_forbidden":
            continue
        current: Any = model
        for part in e["loc"][:-1]:
            fields = getattr(current, "model_fields", {})
            current = getattr(fields[part], "annotation", None) if part in fields else None
        if isinstance(current, type) and issubclass(current, BaseModel):
            lines[i] += f"; allowed here: {', '.join(current.model_fields)}"
    return "\n".join(lines)


def value_at(data: Any, key: str) -> Any:
    """The value at a dotted key in a plain scenario dict, or None where there is none."""
    node = data
    for part in key.replace("[", ".").replace("]", "").split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
