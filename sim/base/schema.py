"""The base of every scenario section: unknown keys are errors, never silently ignored.

Kept apart from :mod:`sim.config.scenario` so that the contract terms in :mod:`sim.contracts`
can share it without importing the whole scenario schema.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
