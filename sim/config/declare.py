"""Parameters that carry their evidence.

Every numeric default in icsim is declared with :func:`P`, which attaches a unit,
a source (seed file and line, or a ``calibration_targets`` row) or an explicit
assumption with a plausible range. ``icsim params`` lists them all, so a modeller
can see at a glance which numbers rest on evidence and which on judgement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field


def P(
    value: Any,
    unit: str,
    source: str | None = None,
    *,
    assumption: tuple[float, float] | None = None,
    note: str = "",
    domain: tuple[float | None, float | None] | None = None,
    **field_kwargs: Any,
) -> Any:
    """Declare a parameter default with its unit and either a source or an assumption range.

    ``source`` cites a seed (``seed 001:202-205``) or a calibration row
    (``calibration_targets 4.8``). ``assumption`` gives a (low, high) plausible range
    and marks the value as judgement rather than evidence. One of the two is required.

    ``domain`` is the physical (low, high) range, None for an open side: values outside it
    are errors (:class:`sim.base.schema.Strict`), while values outside ``assumption`` only
    warn. Left out, it follows from the unit and the default (:func:`physical_domain`).
    """
    if source is None and assumption is None:
        raise ValueError("a parameter needs a source or an assumption range")
    extra: dict[str, Any] = {"unit": unit, "source": source or "", "note": note}
    if assumption is not None:
        extra["assumption_range"] = list(assumption)
    if domain is None:
        domain = physical_domain(unit, value, field_kwargs)
    if domain != (None, None):
        extra["domain"] = list(domain)
    return Field(value, json_schema_extra=extra, **field_kwargs)


_FRACTION = re.compile(r"\bshare\b|\bprobability\b|R-squared|\(0-1\)|fractional")


def physical_domain(
    unit: str, value: Any, bounds: dict[str, Any]
) -> tuple[float | None, float | None]:
    """The physical range a parameter's unit and default imply, where not declared.

    A share, a probability or a fraction lies in [0, 1] (a *relative* or *log* change of one
    need not); otherwise the default's sign is the quantity's sign: counts, rates, prices, costs,
    durations and elasticities are non-negative, and a disutility (a negative default) is
    non-positive. A side bounded explicitly (``ge``/``gt``/``le``/``lt``) is left to that.
    """
    sample = value[0] if isinstance(value, list) and value else value
    if not isinstance(sample, int | float) or isinstance(sample, bool):
        return (None, None)
    fraction = bool(_FRACTION.search(unit)) and not unit.startswith(("relative", "log"))
    lo: float | None = 0.0 if sample >= 0 else None
    hi: float | None = 1.0 if fraction else (0.0 if sample < 0 else None)
    if fraction:
        lo = 0.0
    if "ge" in bounds or "gt" in bounds:
        lo = None
    if "le" in bounds or "lt" in bounds:
        hi = None
    return (lo, hi)


@dataclass(frozen=True)
class ParameterInfo:
    """One row of the parameter listing."""

    key: str
    value: Any
    unit: str
    source: str
    assumption_range: tuple[float, float] | None
    note: str
    domain: tuple[float | None, float | None] | None = None

    @property
    def evidence(self) -> str:
        if self.assumption_range is not None:
            lo, hi = self.assumption_range
            label = f"assumption (range {lo:g}-{hi:g})"
            return f"{label}; {self.source}" if self.source else label
        return self.source


def iter_parameters(model: BaseModel, prefix: str = "") -> Iterator[ParameterInfo]:
    """Walk a pydantic model and yield every field declared with :func:`P`."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}{name}"
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else None
        if extra and "unit" in extra:
            rng = extra.get("assumption_range")
            yield ParameterInfo(
                key=key,
                value=value,
                unit=str(extra["unit"]),
                source=str(extra.get("source", "")),
                assumption_range=tuple(rng) if rng else None,  # type: ignore[arg-type]
                note=str(extra.get("note", "")),
                domain=tuple(extra["domain"]) if extra.get("domain") else None,  # type: ignore[arg-type]
            )
        elif isinstance(value, BaseModel):
            yield from iter_parameters(value, key + ".")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from iter_parameters(item, f"{key}[{i}].")
        elif isinstance(value, dict):  # named sections, e.g. the scenario's contracts
            for name_, item in value.items():
                if isinstance(item, BaseModel):
                    yield from iter_parameters(item, f"{key}.{name_}.")
