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

import numpy as np

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
_GROUP_AGE = np.array([-1, 0, 1, -1, -1, -1, -1, -1])  # each group's cell in the ledger's margins
_GROUP_IMD = np.array([-1, -1, -1, 0, 1, 2, 3, 4])
COLUMNS = ("scenario", "replicate", "year", "system", "group", "metric", "value")


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


def fragmentation_by_system(model: ICSModel) -> np.ndarray:
    """:func:`fragmentation` of every option, then of all options together."""
    L = model.ledger
    holders = [model.rules["gp"], *(icp.rule for icp in model.icps)]
    prices = np.array([NATIONAL_PRICES[a] for a in SPEND])
    amount = prices[:, None] * L.option_margins(list(SPEND.values()))[:, :-1, -1, -1, -1]
    share = np.array([[h.accountable_share(a, price) for h in holders]
                      for a, price in zip(SPEND, prices, strict=True)])
    spend, accountable = amount.sum(axis=0), (amount * share).sum(axis=0)
    spend, accountable = np.append(spend, spend.sum()), np.append(accountable, accountable.sum())
    out = np.zeros_like(spend)
    np.divide(accountable, spend, out=out, where=spend > 0)
    return np.where(spend > 0, 1.0 - out, 0.0)


def fragmentation(model: ICSModel, option: int | None) -> float:
    """Share of care spend its patients' registered organisation is not accountable for."""
    return float(fragmentation_by_system(model)[-1 if option is None else option])


def year_metrics(model: ICSModel) -> list[dict]:
    """The metric rows for the year just simulated.

    Every metric is computed for every (system, group) at once from the ledger's margin
    tables, so a year of England's 74 systems costs a few array operations, not thousands
    of lookups. A metric is reported where it is defined (per-head rates need enrolees).
    """
    L = model.ledger
    names = ("population", "switched", "risk", *PER_1000.values(), "quality", "waiting",
             "expected_elective", "commissioner_payment", "hospital_payment")
    q = dict(zip(names, L.option_margins(names)[:, :, _GROUP_AGE, _GROUP_IMD, -1], strict=True))
    settled = model.accounts.option_margins(("commissioner_payment", "hospital_payment"))
    settled_cp, settled_hp = settled[:, :, _GROUP_AGE, _GROUP_IMD]
    n = q["population"]                    # (system, group); the last system is 'all'
    has = n > 0
    every = np.ones_like(has)
    group_n = n[-1]

    def per(x: np.ndarray, by: np.ndarray = n, where: np.ndarray = has) -> np.ndarray:
        return np.divide(x, by, out=np.zeros(np.broadcast(x, by).shape), where=where)

    values: dict[str, tuple[np.ndarray, np.ndarray]] = {  # metric -> (values, defined)
        "population": (n, every),
        "enrolment_share": (per(n, group_n, group_n > 0), every)}
    mean_risk = per(q["risk"])
    values.update(switching_rate=(per(q["switched"]), has), mean_risk=(mean_risk, has),
                  selection_gap=(per(q["risk"][-1], group_n, group_n > 0) - mean_risk, has))
    for metric, quantity in PER_1000.items():
        values[metric] = (per(1000 * q[quantity]), has)
    values.update(
        cost_per_capita=(per(q["commissioner_payment"] + settled_cp), has),
        settlement_per_capita=(per(settled_cp), has),
        trust_income_per_capita=(per(q["hospital_payment"] + settled_hp), has),
        quality=(per(q["quality"]), has), waiting_weeks=(per(q["waiting"]), has))
    expected = q["expected_elective"] * need_ratio(model)
    ratio = per(q["elective"], expected, has & (expected > 0))
    values.update(induced_demand=(np.maximum(0.0, ratio - 1.0), has & (expected > 0)),
                  under_service=(np.maximum(0.0, 1.0 - ratio), has & (expected > 0)))
    # whole-population metrics: the 'all' group only
    first = np.zeros_like(has)
    first[:, 0] = True
    systems = [*model.options, "all"]
    spent = np.append(model.transaction_costs, model.transaction_costs.sum())
    market = np.zeros_like(has)
    market[-1, 0] = True
    shares = (n[:-1, 0] / n[-1, 0]).tolist() if n[-1, 0] else []
    for metric, by_system, defined in (
            ("provider_surplus", [system_surplus(model, s) for s in systems], first),
            ("provider_reserves", [system_reserves(model, s) for s in systems], first),
            ("transaction_costs_per_capita", per(spent[:, None])[:, 0], first & has),
            ("fragmentation", fragmentation_by_system(model), first & has),
            ("icps_open", np.full(len(systems), float(sum(icp.is_open for icp in model.icps))),
             market),
            ("market_concentration", np.full(len(systems), float(sum(s * s for s in shares))),
             market)):
        values[metric] = (np.broadcast_to(np.asarray(by_system, dtype=float)[:, None], n.shape),
                          defined)
    return _rows(model, systems, values)


def _rows(model: ICSModel, systems: list[str],
          values: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[dict]:
    """Tidy rows, ordered by group, then system, then metric (as :data:`METRICS` lists them)."""
    value = np.stack([values[m][0] for m in METRICS]).transpose(2, 1, 0)  # group, system, metric
    defined = np.stack([values[m][1] for m in METRICS]).transpose(2, 1, 0)
    g, s, m = np.nonzero(defined)
    name, replicate, year = model.scenario.scenario.name, model.replicate, model.year
    return [{"scenario": name, "replicate": replicate, "year": year, "system": system,
             "group": group, "metric": metric, "value": v}
            for system, group, metric, v in zip(
                np.array(systems, dtype=object)[s].tolist(),
                np.array(GROUPS, dtype=object)[g].tolist(),
                np.array(METRICS, dtype=object)[m].tolist(), value[g, s, m].tolist(), strict=True)]
