"""Social care's year in the metrics (with ``[social_care]`` on): what the local authorities
spent, the delayed transfers of care, and the costs each side shifted onto the other.

All are whole-market figures (system ``all``, group ``all``) per resident, from the year's
:class:`~sim.providers.social_care.SocialCareYear`:

* ``social_care_spend_per_capita``: the authorities' budgets plus the health money a pooled
  budget spent on social care (GBP per resident);
* ``delayed_transfer_days_per_1000``: days patients ready to leave hospital waited for a
  care package (per 1,000 residents);
* ``cost_shifted_to_social_care_per_capita``: social care for patients discharged before
  the calibrated stay (seed 002 L858; seed 004 L1419);
* ``cost_shifted_to_health_per_capita``: the bed-day cost of delays beyond those England's
  average budget gives, booked in the hospitals' costs (negative where care is better);
* ``pooled_to_social_care_per_capita``: health money a pool moved into social care
  (Torbay, seed 002 L503-509).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.engine.state import YearState

SOCIAL_CARE_METRICS = (
    "social_care_spend_per_capita",
    "delayed_transfer_days_per_1000",
    "cost_shifted_to_social_care_per_capita",
    "cost_shifted_to_health_per_capita",
    "pooled_to_social_care_per_capita",
)
"""The metrics this module adds (system ``all``, group ``all``), in the order of the list."""


def _total(values: np.ndarray) -> float:
    return float(sum(np.asarray(values, dtype=float).tolist()))


def put_social_care_metrics(
    year: YearState,
    names: Sequence[str],
    value: np.ndarray,
    defined: np.ndarray,
    population: np.ndarray,
) -> None:
    """Write :data:`SOCIAL_CARE_METRICS` into the year's (metric, system, group) grid; none
    without ``[social_care]``. ``population``: enrolees by (system, group)."""
    care = year.social_care
    residents = float(population[-1, 0])
    if care is None or residents <= 0:
        return
    index = {name: i for i, name in enumerate(names)}
    for metric, total, scale in (
        ("social_care_spend_per_capita", care.spend, 1.0),
        ("delayed_transfer_days_per_1000", care.delayed_days, 1000.0),
        ("cost_shifted_to_social_care_per_capita", care.shifted_to_social_care, 1.0),
        ("cost_shifted_to_health_per_capita", care.shifted_to_health, 1.0),
        ("pooled_to_social_care_per_capita", care.pooled_transfer, 1.0),
    ):
        value[index[metric], -1, 0] = scale * _total(total) / residents
        defined[index[metric], -1, 0] = True
