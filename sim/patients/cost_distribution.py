"""How individual annual cost is distributed: each patient's cost of care, its concentration,
its persistence from one year to the next, and how much of it a risk adjuster explains.

The cost of a patient's year is the care at providers' average resource cost, the unit
costs the resource-cost metrics use (:class:`sim.providers.costs.HospitalCosts`): a spell's
non-bed-day cost plus every inpatient day at the bed-day cost, and GP consultations,
outpatient and A&E attendances at their national prices. Hospital cost is all of it but
general practice. The figures are those of calibration_targets section 9:

* ``hospital_cost_top1_population_share``: hospital cost of the 1% of the population
  with the most, as a share of all hospital cost (9.1: 32%), and
  ``hospital_cost_top1_patient_share`` the same among people with any hospital use
  (9.1: 18%); ``..._65plus`` the same among people aged 65 and over (9.1: 22%, 13%);
* ``cost_top5_share`` and ``cost_top1_share``: all care cost of the top 5% and 1%
  (9.2: about 50%; 9.3, US: nearly half and over 20%);
* ``cost_top1_persistence`` and ``cost_top10_persistence``: of the top 1% (10%) by all
  care cost one year, the share in the top 1% (10%) the next, among people alive and
  registered in both years (9.4, US: 14-20%, 43-45%).

All of it is plain arrays in, numbers out, so the engine, the calibration and the
validation report measure the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.config.parameters import Costs, Utilisation

CONCENTRATION = (
    "hospital_cost_top1_population_share",
    "hospital_cost_top1_patient_share",
    "hospital_cost_top1_population_share_65plus",
    "hospital_cost_top1_patient_share_65plus",
    "cost_top1_share",
    "cost_top5_share",
)
PERSISTENCE = ("cost_top1_persistence", "cost_top10_persistence")
TARGETS = {
    "hospital_cost_top1_population_share": 0.32,
    "hospital_cost_top1_patient_share": 0.18,
    "hospital_cost_top1_population_share_65plus": 0.22,
    "hospital_cost_top1_patient_share_65plus": 0.13,
    "cost_top5_share": 0.50,
    "cost_top1_persistence": 0.17,
    "cost_top10_persistence": 0.44,
}
"""calibration_targets 9.1 (hospital shares), 9.2 (top 5%) and 9.4 (persistence: the
middle of 14-20% and of 43-45%)."""


@dataclass(frozen=True)
class UnitCosts:
    """GBP of one unit of each activity at providers' average resource cost."""

    gp_consultation: float
    outpatient: float
    elective: float  # a spell's non-bed-day cost
    emergency: float  # an emergency spell's non-bed-day cost (ACSC and readmissions alike)
    ae: float
    bed_day: float

    @classmethod
    def from_parameters(
        cls, prices: Mapping[str, float], costs: Costs, utilisation: Utilisation
    ) -> UnitCosts:
        """National prices are average costs; a spell's price less its mean stay at the
        bed-day cost is what the spell costs beside its stay (as ``HospitalCosts`` has it)."""
        day = costs.bed_day
        return cls(
            gp_consultation=prices["gp_consultation"],
            outpatient=prices["outpatient"],
            elective=prices["elective"] - utilisation.elective_los_days * day,
            emergency=prices["emergency"] - utilisation.emergency_los_days * day,
            ae=prices["ae"],
            bed_day=day,
        )


def patient_costs(
    counts: Mapping[str, np.ndarray], bed_days: np.ndarray, unit: UnitCosts
) -> tuple[np.ndarray, np.ndarray]:
    """(hospital cost, all care cost) of each patient's year, GBP, float32.

    ``counts`` has the counted activities and ``readmission`` (an activity's
    ``Activity.counts``); every emergency spell (first, ACSC, readmission) costs the same.
    """
    f = np.float32
    emergency = counts["emergency"] + counts["acsc"] + counts["readmission"]
    hospital = bed_days.astype(np.float32) * f(unit.bed_day)
    hospital += counts["outpatient"] * f(unit.outpatient)
    hospital += counts["elective"] * f(unit.elective)
    hospital += emergency * f(unit.emergency)
    hospital += counts["ae"] * f(unit.ae)
    return hospital, hospital + counts["gp_consultation"] * f(unit.gp_consultation)


def _top(cost: np.ndarray, share: float) -> np.ndarray:
    """Indices of the ``share`` of ``cost`` with the highest values (at least one)."""
    k = max(1, int(round(share * len(cost))))
    return np.argpartition(cost, len(cost) - k)[len(cost) - k :]


def top_share(cost: np.ndarray, share: float) -> float:
    """Share of the total held by the ``share`` of entries with the most (NaN if none)."""
    cost = np.asarray(cost, dtype=np.float64)
    total = cost.sum()
    if len(cost) == 0 or total <= 0:
        return float("nan")
    return float(cost[_top(cost, share)].sum() / total)


def persistence(first: np.ndarray, second: np.ndarray, share: float) -> float:
    """Of the top ``share`` by ``first``, the share also in the top ``share`` by ``second``
    (the same people in the same order in both arrays)."""
    if len(first) == 0:
        return float("nan")
    before = np.zeros(len(first), dtype=bool)
    before[_top(np.asarray(first), share)] = True
    after = np.zeros(len(second), dtype=bool)
    after[_top(np.asarray(second), share)] = True
    return float((before & after).sum() / before.sum())


def concentration(hospital: np.ndarray, total: np.ndarray, age: np.ndarray) -> dict[str, float]:
    """The :data:`CONCENTRATION` figures of one year's costs (one entry per person)."""
    older = np.asarray(age) >= 65
    out = {}
    for suffix, who in (("", slice(None)), ("_65plus", older)):
        h = hospital[who]
        out[f"hospital_cost_top1_population_share{suffix}"] = top_share(h, 0.01)
        out[f"hospital_cost_top1_patient_share{suffix}"] = top_share(h[h > 0], 0.01)
    out["cost_top1_share"] = top_share(total, 0.01)
    out["cost_top5_share"] = top_share(total, 0.05)
    return out


def persistence_figures(first: np.ndarray, second: np.ndarray) -> dict[str, float]:
    """The :data:`PERSISTENCE` figures from two consecutive years' all care cost."""
    return {
        "cost_top1_persistence": persistence(first, second, 0.01),
        "cost_top10_persistence": persistence(first, second, 0.10),
    }


def r_squared(predicted: np.ndarray, cost: np.ndarray) -> float:
    """Share of the variance of individual cost a prediction explains, when cost is regressed
    on it (the squared correlation), as published R-squared figures are (calibration_targets
    6.6, 6.10)."""
    x = np.asarray(predicted, dtype=np.float64)
    y = np.asarray(cost, dtype=np.float64)
    x, y = x - x.mean(), y - y.mean()
    den = (x @ x) * (y @ y)
    return float((x @ y) ** 2 / den) if den > 0 else float("nan")
