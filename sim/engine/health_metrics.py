"""Health metrics of a year, by system and group, from the ledger's health sums.

* ``deaths_per_1000``: deaths this year, in the system and group the dead were in;
* ``amenable_deaths_per_1000``: deaths that timely care would have avoided, the excess
  over the probability of death with full access, expected next year from this year's
  care (so a system answers for the care it gave);
* ``qalys_per_capita``: QALYs lived this year (Ara and Brazier 2010 age-sex norms less
  condition decrements and the health state's loss, :mod:`sim.patients.health`);
* ``qalys_lost_per_capita``: QALYs lost against full access: the morbidity of care
  withheld or poor this year and the discounted QALYs its amenable deaths take away;
* ``unmet_need_per_1000``: electives that patients' conditions call for (clinical need)
  and that were not supplied this year;
* ``induced_demand`` and ``under_service``: electives supplied above, or need left
  unmet, as a share of clinical need.

Clinical need is what patients' conditions and risk call for at England's rates, whatever
any provider earns at the margin, so the fragmented default at the national tariff shows
the induced demand ``health.elective_above_need_share`` declares (none by default), not
an artefact of a zero-margin yardstick.
"""

from __future__ import annotations

import numpy as np

HEALTH_QUANTITIES = (
    "elective_need",
    "unmet_need",
    "induced_electives",
    "deaths",
    "amenable_deaths",
    "qalys",
    "qalys_lost",
)
"""Ledger quantities the health metrics read."""

_PER_HEAD = {
    "deaths_per_1000": ("deaths", 1000.0),
    "amenable_deaths_per_1000": ("amenable_deaths", 1000.0),
    "qalys_per_capita": ("qalys", 1.0),
    "qalys_lost_per_capita": ("qalys_lost", 1.0),
    "unmet_need_per_1000": ("unmet_need", 1000.0),
}
HEALTH_METRICS = (*_PER_HEAD, "induced_demand", "under_service")
"""The metrics :func:`health_metrics` returns."""


def health_metrics(
    sums: dict[str, np.ndarray], population: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each health metric's (value, defined) over the (system, group) grid.

    ``sums``: each of :data:`HEALTH_QUANTITIES` summed by system and group; ``population``
    the head counts on the same grid. Rates per head need enrolees; shares of need need need.
    """
    has = population > 0
    out = {}
    for metric, (quantity, scale) in _PER_HEAD.items():
        value = np.divide(
            sums[quantity] * scale, population, out=np.zeros(population.shape), where=has
        )
        out[metric] = (value, has)
    need = sums["elective_need"]
    needed = has & (need > 0)
    for metric, quantity in (
        ("induced_demand", "induced_electives"),
        ("under_service", "unmet_need"),
    ):
        share = np.divide(sums[quantity], need, out=np.zeros(need.shape), where=needed)
        out[metric] = (share, needed)
    return out
