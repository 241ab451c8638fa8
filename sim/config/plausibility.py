"""Values outside a parameter's plausible range: a warning by default, an error when strict.

A parameter declared as an assumption (:func:`sim.config.declare.P`) carries the range its
author finds plausible. A value outside it may be a deliberate experiment, so it only warns;
a value outside the *physical* domain is always an error (:class:`sim.base.schema.Strict`).
``--strict`` on ``icsim run``, ``compare`` and ``sweep``, or ``ICSIM_STRICT=1`` in the
environment (which Dask workers inherit), turns these warnings into errors.
"""

from __future__ import annotations

import logging
import os

from pydantic import BaseModel

from sim.config.declare import iter_parameters

STRICT_ENV = "ICSIM_STRICT"
"""Environment variable that, set to 1, makes plausibility warnings errors."""

STRICT_HELP = (
    f"Refuse values outside their plausible range instead of warning (or set {STRICT_ENV}=1)."
)

log = logging.getLogger("icsim.inputs")


def strict_inputs() -> bool:
    """Whether values outside their plausible range are errors (``--strict`` or the env)."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes")


def set_strict(value: bool) -> bool:
    """Command-line callback for ``--strict``: sets :data:`STRICT_ENV` for this process."""
    if value:
        os.environ[STRICT_ENV] = "1"
    return value


def implausible(model: BaseModel) -> list[str]:
    """One line per value outside its declared plausible range, naming parameter and range."""
    found = []
    for p in iter_parameters(model):
        if p.assumption_range is None:
            continue
        lo, hi = p.assumption_range
        values = p.value if isinstance(p.value, list) else [p.value]
        for v in values:
            slack = 1e-9 * max(abs(lo), abs(hi), 1.0)  # sampled ends land a rounding off
            if (
                isinstance(v, int | float)
                and not isinstance(v, bool)
                and not (lo - slack <= v <= hi + slack)
            ):
                found.append(
                    f"field '{p.key}' = {v:g} is outside its plausible range "
                    f"{lo:g}-{hi:g} ({p.unit})"
                )
                break
    return found


_reported: set[str] = set()


def report(lines: list[str], source: str) -> None:
    """Log each line as a warning naming ``source``, once per process (sweeps repeat them)."""
    for line in lines:
        if line not in _reported:
            _reported.add(line)
            log.warning("warning: %s: %s", source, line)
