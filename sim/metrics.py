"""Yearly metrics in tidy long form: one row per (year, system, group, metric).

``system`` is each provider option plus ``all``; ``group`` is ``all``, the two age
bands and the five IMD quintiles. Rates are per 1,000 people in the cell; money is GBP
and includes year-end contract settlements.

Side-effects the seeds warn about are reported beside the core metrics:

* ``selection_gap`` - mean risk of the whole population (in the group) less that of the
  system's enrolees: positive when a system holds healthier patients than average
  (risk selection, seed 004 L1347-1358);
* ``induced_demand`` and ``under_service`` - elective volume above, or below, what a
  provider with no margin on activity would supply (expected electives at England rates
  scaled to zero margin): supplier-induced demand under tariff (seed 004 L1234-1239) and
  care withheld under capitation (seed 002 L1293-1295, seed 004 L1352-1353);
* ``transaction_costs_per_capita`` - contract administration, ICP running and fixed
  costs and procurement of new ICPs (seed 000:187-188, seed 004 L748-750);
* ``fragmentation`` - share of the system's care spend (at national prices) that the
  organisation its patients are registered with is not financially accountable for
  (seed 001:371-372; seed 004 L1417-1423): about 0.8 for practices beside tariff-paid
  hospitals, 0 for an ICP holding the whole budget;
* ``settlement_per_capita`` (year-end contract adjustments), ``trust_income_per_capita``
  (payments to acute trusts), ``provider_reserves``; and for the whole market
  ``icps_open`` and ``market_concentration`` (Herfindahl index of enrolment shares).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.ledger import AGE_GROUPS, IMD_GROUPS
from sim.payment import NATIONAL_PRICES

if TYPE_CHECKING:
    from sim.model import ICSModel

METRICS = (
    "population", "enrolment_share", "switching_rate", "mean_risk",
    "gp_consultations_per_1000", "outpatient_per_1000", "elective_admissions_per_1000",
    "emergency_admissions_per_1000", "avoidable_emergency_admissions_per_1000",
    "bed_days_per_1000", "readmissions_per_1000", "ae_attendances_per_1000",
    "cost_per_capita", "provider_surplus", "quality", "waiting_weeks",
    "selection_gap", "induced_demand", "under_service", "transaction_costs_per_capita",
    "fragmentation", "settlement_per_capita", "trust_income_per_capita", "provider_reserves",
    "icps_open", "market_concentration",
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
SPEND = {"gp_consultation": "gp_consultation", "outpatient": "outpatient",
         "elective": "elective", "emergency": "emergency_total", "ae": "ae"}
"""Priced activity -> ledger quantity, for spend at national prices."""
GROUPS = ("all", *AGE_GROUPS, *IMD_GROUPS)
COLUMNS = ("scenario", "replicate", "year", "system", "group", "metric", "value")


def _cell(group: str) -> dict[str, int]:
    if group in AGE_GROUPS:
        return {"age": AGE_GROUPS.index(group)}
    if group in IMD_GROUPS:
        return {"imd": IMD_GROUPS.index(group)}
    return {}


def _providers(model: ICSModel, system: str) -> list:
    if system == "all":
        return [*model.practices.values(), *model.trusts, *model.icps]
    if system == model.options[0]:
        return [*model.practices.values(), *model.trusts]
    return [icp for icp in model.icps if icp.name == system]


def system_surplus(model: ICSModel, system: str) -> float:
    """Surplus of the providers that make up a system (GBP, this year)."""
    return float(sum(p.surplus for p in _providers(model, system)))


def system_reserves(model: ICSModel, system: str) -> float:
    """Reserves of the providers that make up a system (GBP, at year end)."""
    return float(sum(p.reserves for p in _providers(model, system)))


def need_ratio(model: ICSModel) -> float:
    """Elective volume at zero margin / volume under the tariff the baseline is calibrated on."""
    costs, b = model.costs, model.scenario.behaviour
    return math.exp(-b.induced_demand_elasticity * costs.reference_margin_rate("elective"))


def fragmentation(model: ICSModel, option: int | None) -> float:
    """Share of care spend its patients' registered organisation is not accountable for."""
    L = model.ledger
    options = range(len(model.options)) if option is None else [option]
    spend = accountable = 0.0
    for o in options:
        holder = model.rules["gp"] if o == 0 else model.icps[o - 1].rule
        for activity, quantity in SPEND.items():
            price = NATIONAL_PRICES[activity]
            amount = price * L.sum(quantity, option=o)
            spend += amount
            accountable += amount * holder.accountable_share(activity, price)
    return 1.0 - accountable / spend if spend > 0 else 0.0


def year_metrics(model: ICSModel) -> list[dict]:
    """The metric rows for the year just simulated."""
    L = model.ledger
    name = model.scenario.scenario.name
    rows = []
    systems = [(s, i) for i, s in enumerate(model.options)] + [("all", None)]
    need = need_ratio(model)
    for group in GROUPS:
        where = _cell(group)
        group_population = L.sum("population", **where)
        group_risk = L.sum("risk", **where) / group_population if group_population else 0.0
        for system, option in systems:
            n = L.sum("population", option=option, **where)
            values = {"population": n,
                      "enrolment_share": n / group_population if group_population else 0.0}
            if n > 0:
                values["switching_rate"] = L.sum("switched", option=option, **where) / n
                values["mean_risk"] = L.sum("risk", option=option, **where) / n
                values["selection_gap"] = group_risk - values["mean_risk"]
                for metric, quantity in PER_1000.items():
                    values[metric] = 1000 * L.sum(quantity, option=option, **where) / n
                values["cost_per_capita"] = model.paid("commissioner_payment", option=option,
                                                       **where) / n
                values["settlement_per_capita"] = model.accounts.sum(
                    "commissioner_payment", option=option, **where) / n
                values["trust_income_per_capita"] = model.paid("hospital_payment", option=option,
                                                               **where) / n
                values["quality"] = L.sum("quality", option=option, **where) / n
                values["waiting_weeks"] = L.sum("waiting", option=option, **where) / n
                expected = L.sum("expected_elective", option=option, **where) * need
                if expected > 0:
                    ratio = L.sum("elective", option=option, **where) / expected
                    values["induced_demand"] = max(0.0, ratio - 1.0)
                    values["under_service"] = max(0.0, 1.0 - ratio)
            if group == "all":
                values["provider_surplus"] = system_surplus(model, system)
                values["provider_reserves"] = system_reserves(model, system)
                if n > 0:
                    spent = (model.transaction_costs.sum() if option is None
                             else model.transaction_costs[option])
                    values["transaction_costs_per_capita"] = spent / n
                    values["fragmentation"] = fragmentation(model, option)
                if option is None:
                    values["icps_open"] = float(sum(icp.is_open for icp in model.icps))
                    shares = [L.sum("population", option=o) / n for o in range(len(model.options))]
                    values["market_concentration"] = float(sum(s * s for s in shares)) if n else 0.0
            for metric in METRICS:
                if metric in values:
                    rows.append({"scenario": name, "replicate": model.replicate,
                                 "year": model.year, "system": system, "group": group,
                                 "metric": metric, "value": float(values[metric])})
    return rows
