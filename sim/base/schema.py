"""The base of every scenario section: unknown keys, non-finite numbers and values outside a
parameter's physical domain are errors, never silently ignored or coerced.

Kept apart from :mod:`sim.config.scenario` so that the contract terms in :mod:`sim.contracts`
can share it without importing the whole scenario schema.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

FLOAT_LIMIT = 1e9
"""The largest magnitude any real number in a scenario may have. No quantity the model holds
is near it in its own unit (the largest, England's registered population, is 5.6e7 patients);
numbers beyond it only overflow inside a run, so they are refused when the file is read."""

INT_LIMIT = 2**63 - 1
"""The largest whole number a scenario may give: the range of the model's 64-bit arrays."""


def _kinds(annotation: Any) -> set[type]:
    """The scalar types a field accepts (``float | None`` gives {float}; lists their items)."""
    if annotation in (bool, int, float, str):
        return {annotation}
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, tuple):
        found: set[type] = set()
        for arg in typing.get_args(annotation):
            found |= _kinds(arg)
        return found
    return set()


def _check_scalar(value: Any, kinds: set[type]) -> None:
    numeric = bool(kinds & {int, float})
    if isinstance(value, bool):
        if numeric and bool not in kinds:
            raise ValueError(f"expected a number, not {str(value).lower()}")
        return
    if kinds == {bool} and value is not None:
        raise ValueError(f"expected true or false (got {value!r})")
    if numeric and isinstance(value, int) and abs(value) > INT_LIMIT:
        raise ValueError(f"a number of {len(str(abs(value)))} digits is too large")
    if numeric and isinstance(value, float) and math.isfinite(value) and abs(value) > FLOAT_LIMIT:
        raise ValueError(f"{value!r} is too large; allowed: at most {FLOAT_LIMIT:g} in magnitude")


def _describe(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"in [{lo:g}, {hi:g}]"
    return f">= {lo:g}" if lo is not None else f"<= {hi:g}"


class Strict(BaseModel):
    """Base for every scenario section.

    Unknown keys, NaN and infinity are refused; a number is never read from true/false nor a
    flag from a string or number; and a parameter declared with a physical domain
    (:func:`sim.config.declare.P`) refuses values outside it, naming the domain.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_coercion(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        problems = []
        for name, value in data.items():
            field = cls.model_fields.get(name)
            kinds = _kinds(field.annotation) if field is not None else set()
            items = value if isinstance(value, list | tuple) else [value]
            for i, item in enumerate(items if kinds else []):
                try:
                    _check_scalar(item, kinds)
                except ValueError as exc:
                    where = f"{name}.{i}" if isinstance(value, list | tuple) else name
                    problems.append(
                        InitErrorDetails(
                            type=PydanticCustomError("value_error", str(exc)),
                            loc=tuple(where.split(".")),
                            input=item,
                        )
                    )
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return data

    @field_validator("*", mode="after")
    @classmethod
    def _within_domain(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        extra = field.json_schema_extra if field is not None else None
        domain = extra.get("domain") if isinstance(extra, dict) else None
        if not domain:
            return value
        lo, hi = domain  # type: ignore[misc]
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, int | float) or isinstance(item, bool):
                continue
            if (lo is not None and item < lo) or (hi is not None and item > hi):
                unit = extra.get("unit", "")  # type: ignore[union-attr]
                raise ValueError(f"must be {_describe(lo, hi)} ({unit}); got {item!r}")
        return value
