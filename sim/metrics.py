"""Yearly metrics in tidy long form: one row per (year, system, group, metric).

``system`` is each provider option plus ``all``; ``group`` is ``all``, the two age
bands and the five IMD quintiles. Rates are per 1,000 people in the cell; money is GBP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.ledger import AGE_GROUPS, IMD_GROUPS

if TYPE_CHECKING:
    from sim.model import ICSModel

METRICS = (
    "population", "enrolment_share", "switching_rate", "mean_risk",
    "gp_consultations_per_1000", "outpatient_per_1000", "elective_admissions_per_1000",
    "emergency_admissions_per_1000", "avoidable_emergency_admissions_per_1000",
    "bed_days_per_1000", "readmissions_per_1000", "ae_attendances_per_1000",
    "cost_per_capita", "provider_surplus", "quality", "waiting_weeks",
)
PER_1000 = {
    "gp_consultations_per_1000": "gp_consultation",
    "outpatient_per_1000": "outpatient",
    "elective_admissions_per_1000": "elective",
    "emergency_admissions_per_1000": "emergency_total",
    "avoidable_emergency_admissions_per_1000": "acsc",
    "bed_days_per_1000": "bed_days",
    "readmissions_per_1000": "readmission",
    "ae_attendances_per_1000": "ae",
}
GROUPS = ("all", *AGE_GROUPS, *IMD_GROUPS)
COLUMNS = ("scenario", "replicate", "year", "system", "group", "metric", "value")


def _cell(group: str) -> dict[str, int]:
    if group in AGE_GROUPS:
        return {"age": AGE_GROUPS.index(group)}
    if group in IMD_GROUPS:
        return {"imd": IMD_GROUPS.index(group)}
    return {}


def system_surplus(model: ICSModel, system: str) -> float:
    """Surplus of the providers that make up a system (GBP, this year)."""
    if system == "all":
        providers = [*model.practices.values(), *model.trusts, *model.icps]
    elif system == model.options[0]:
        providers = [*model.practices.values(), *model.trusts]
    else:
        providers = [icp for icp in model.icps if icp.name == system]
    return float(sum(p.surplus for p in providers))


def year_metrics(model: ICSModel) -> list[dict]:
    """The metric rows for the year just simulated."""
    L = model.ledger
    name = model.scenario.scenario.name
    rows = []
    systems = [(s, i) for i, s in enumerate(model.options)] + [("all", None)]
    for group in GROUPS:
        where = _cell(group)
        group_population = L.sum("population", **where)
        for system, option in systems:
            n = L.sum("population", option=option, **where)
            values = {"population": n,
                      "enrolment_share": n / group_population if group_population else 0.0}
            if n > 0:
                values["switching_rate"] = L.sum("switched", option=option, **where) / n
                values["mean_risk"] = L.sum("risk", option=option, **where) / n
                for metric, quantity in PER_1000.items():
                    values[metric] = 1000 * L.sum(quantity, option=option, **where) / n
                values["cost_per_capita"] = L.sum("commissioner_payment", option=option,
                                                  **where) / n
                values["quality"] = L.sum("quality", option=option, **where) / n
                values["waiting_weeks"] = L.sum("waiting", option=option, **where) / n
            if group == "all":
                values["provider_surplus"] = system_surplus(model, system)
            for metric in METRICS:
                if metric in values:
                    rows.append({"scenario": name, "replicate": model.replicate,
                                 "year": model.year, "system": system, "group": group,
                                 "metric": metric, "value": float(values[metric])})
    return rows
