"""Hospital bed use of the oldest patients with repeated emergency admissions.

Torbay's integrated care was judged by it: the area used 47% of the bed days of similar
areas for people aged 85 and over with two or more emergency admissions in a year
(calibration_targets 7.2). The patients' pass adds each chunk's share of it to the ledger
(:func:`older_bed_use`), and :func:`older_bed_use_metrics` gives, on the metrics'
(system, group) grid:

* ``frequent_85_plus_bed_days_per_1000``: bed days (emergency and elective alike, and
  their share of delayed transfers where social care is modelled) of patients aged 85 and
  over with two or more emergency admissions this year, per 1,000 patients aged 85 and
  over; defined where the system and group hold anyone that old.
"""

from __future__ import annotations

import numpy as np

from sim.patients.utilisation import Activity

OLDEST_AGE = 85
"""Years of age from which a patient counts among the oldest (calibration_targets 7.2)."""
REPEATED_ADMISSIONS = 2
"""Emergency admissions in a year that make a patient's admissions repeated (7.2)."""

OLDER_QUANTITIES = (
    "aged_85_plus",
    "frequent_85_plus_bed_days",
    "frequent_85_plus_emergencies",
)
"""Ledger quantities this module adds: patients aged 85 and over, and the bed days and
emergency admissions of those of them with repeated emergency admissions (the admissions
share out the days of delayed transfers among them, :mod:`sim.engine.discharge`)."""
OLDER_METRICS = ("frequent_85_plus_bed_days_per_1000",)
"""The metrics :func:`older_bed_use_metrics` returns."""


def older_bed_use(
    keys: np.ndarray, age: np.ndarray, activity: Activity, cells: int
) -> dict[str, np.ndarray]:
    """A chunk's :data:`OLDER_QUANTITIES` summed into the ledger's ``cells`` (``keys``: each
    patient's cell, as :meth:`~sim.engine.ledger.Ledger.keys` gives them).

    Only the few patients who count are gathered, so a chunk costs three small bincounts.
    """
    oldest = np.flatnonzero(age >= OLDEST_AGE)
    emergencies = activity.emergency_total[oldest]
    repeated = emergencies >= REPEATED_ADMISSIONS
    cell = keys[oldest[repeated]]
    return {
        "aged_85_plus": np.bincount(keys[oldest], minlength=cells),
        "frequent_85_plus_bed_days": np.bincount(
            cell, weights=activity.bed_days[oldest[repeated]], minlength=cells
        ),
        "frequent_85_plus_emergencies": np.bincount(
            cell, weights=emergencies[repeated], minlength=cells
        ),
    }


def older_bed_use_metrics(
    sums: dict[str, np.ndarray],
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each metric's (value, defined) over the (system, group) grid, from
    :data:`OLDER_QUANTITIES` summed on it."""
    oldest = sums["aged_85_plus"]
    has = oldest > 0
    per_1000 = np.divide(
        1000.0 * sums["frequent_85_plus_bed_days"],
        oldest,
        out=np.zeros(oldest.shape),
        where=has,
    )
    return {"frequent_85_plus_bed_days_per_1000": (per_1000, has)}
