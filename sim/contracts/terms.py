"""Term pieces every contract shares: the activities, the roles a contract fills, the prices.

Each contract ``kind`` declares its own terms (a pydantic model) beside its payment rule,
and :mod:`sim.contracts.registry` lists the kinds. What they have in common is here:
the :data:`ACTIVITIES` a tariff prices, the roles a contract may fill (:data:`ROLE_NAMES`),
the national :class:`Prices` and the check on schedules of shares (:func:`check_shares`).
Every default is declared with :func:`sim.config.declare.P` (unit plus a seed or
calibration source, or an assumption with a range), so ``icsim params`` lists them.
"""

from __future__ import annotations

from sim.base.schema import Strict
from sim.config.declare import P

ACTIVITIES = ("gp_consultation", "outpatient", "elective", "emergency", "ae")
"""Activity types a tariff can price. Bed days are a cost, paid inside a spell price."""

ALL_ROLES = ("hospital", "gp", "purchase", "icp")
"""Every role a contract may fill; a kind's terms say which of them it fills (``roles``)."""

ROLE_NAMES = {
    "hospital": "pay acute trusts for the fragmented default (contracts.hospital)",
    "gp": "pay GP practices (contracts.gp)",
    "purchase": "set what virtual ICPs pay trusts (contracts.icp_hospital)",
    "icp": "pay an ICP",
}
"""What a contract in each role does, for messages naming a kind that cannot fill it."""


def check_shares(values: list[float]) -> list[float]:
    """A schedule of shares by contract year: at least one value, each between 0 and 1."""
    if not values:
        raise ValueError("give at least one value (one per contract year; the last persists)")
    if any(not 0.0 <= v <= 1.0 for v in values):
        raise ValueError("every value must lie between 0 and 1")
    return values


class Prices(Strict):
    """National tariff prices, set at national average reference cost (seed 000:324-326)."""

    gp_consultation: float = P(45.0, "GBP per consultation", "calibration_targets 4.25", ge=0)
    outpatient: float = P(120.0, "GBP per attendance", "calibration_targets 4.21", ge=0)
    elective: float = P(
        1857.0,
        "GBP per elective spell",
        "derived: 0.62 x 738 day case + 0.38 x 3,684 inpatient, calibration_targets "
        "4.21 with day-case share 6.1m/9.8m from 4.16 and 4.1",
        ge=0,
    )
    emergency: float = P(2360.0, "GBP per emergency spell", "calibration_targets 4.10", ge=0)
    ae: float = P(148.0, "GBP per A&E attendance", "calibration_targets 4.21", ge=0)

    def as_dict(self) -> dict[str, float]:
        return {a: float(getattr(self, a)) for a in ACTIVITIES}
