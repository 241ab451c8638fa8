"""What each patient brings in under their option's contracts, chunk by chunk.

The commissioner pays each option's rule; in the fragmented default that is the practices'
rule (per head) and the trust's (per activity); a virtual ICP pays the trust in turn.
Beside the payments, each patient's age-sex prediction is summed into the ledger
(``age_sex_risk``): with head counts and true risk it gives any contract's risk formula
its total over a payee's patients, which is what budgets, benchmarks, block values and
baselines are set on (:meth:`sim.contracts.rule.Settlement.observed_risk`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from sim.contracts.payment import PaymentRule
from sim.patients.population import Population
from sim.patients.utilisation import Activity, CountsSubset
from sim.providers.partnerships import IntegratedCarePartnership

BILLED_ACTIVITIES = ("gp_consultation", "outpatient", "elective", "emergency", "ae")
"""Activities a payment rule is paid for per unit (``emergency``: every emergency spell,
readmissions and ACSC admissions included)."""

Payer = tuple[PaymentRule, PaymentRule | None, bool]
"""A group's (rule, hospital rule or None, fragmented default or not)."""

AgeSexPrediction = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""Each patient's risk predicted from age and sex (the calibration's age-sex formula)."""


class PaymentGroups(NamedTuple):
    """Who pays for whom this year: see :func:`payment_groups`."""

    group_of: np.ndarray  # each option's group
    payers: list[Payer]  # each group's payer
    age_sex: AgeSexPrediction  # what the commissioner's formulas see of a patient


def payment_groups(
    n_options: int,
    gp_rule: PaymentRule,
    hospital_rule: PaymentRule,
    icps: Sequence[IntegratedCarePartnership],
    age_sex: AgeSexPrediction,
) -> PaymentGroups:
    """Options whose patients the same rules pay: each option's group, and each group's
    payer - so England's 70-odd ICPs on one contract are paid in a call or two rather
    than one call each. ``age_sex`` scores each patient as the commissioner sees them.
    """
    group_of = np.zeros(n_options, dtype=np.uint16)  # small ints sort in linear time
    payers: list[Payer] = []
    found: dict[tuple, int] = {}
    for o, rule, purchase_rule, fragmented in [(0, gp_rule, hospital_rule, True)] + [
        (icp.option, icp.rule, icp.purchase_rule, False) for icp in icps
    ]:
        payer = (
            rule.payments_rule,
            None if purchase_rule is None else purchase_rule.payments_rule,
            fragmented,
        )
        key = tuple(id(x) for x in payer)
        if key not in found:
            found[key] = len(payers)
            payers.append(payer)
        group_of[o] = found[key]
    return PaymentGroups(group_of, payers, age_sex)


def chunk_payments(
    pop: Population, rows: slice, activity: Activity, groups: PaymentGroups
) -> dict[str, np.ndarray]:
    """What each patient in ``rows`` brings in: from the commissioner, and to the hospital;
    and each one's age-sex prediction (``age_sex_risk``), the observable part of their risk.

    Patients are sorted once (a stable sort) by the rules that pay them, so each rule
    sees its patients as one contiguous slice, without a pass over the chunk per
    option; a rule is handed only the activity counts it asks for. ``groups`` is
    :func:`payment_groups`.
    """
    option = pop.option[rows]
    counts = {a: activity.counts[a] for a in BILLED_ACTIVITIES if a != "emergency"}
    counts["emergency"] = activity.emergency_total
    counts.update(
        acsc=activity.counts["acsc"],
        readmission=activity.counts["readmission"],
        conditions=pop.conditions[rows],
    )  # for bundles and readmission rules
    n = len(option)
    group_of, payers, age_sex = groups
    group = group_of[option]
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(payers) + 1))
    by_group = CountsSubset(counts, order)  # counts in group order, gathered on demand
    age, sex, risk = pop.age[rows][order], pop.sex[rows][order], pop.risk[rows][order]
    commissioner, gp, hospital = np.zeros(n), np.zeros(n), np.zeros(n)
    for g, (rule, hospital_rule, fragmented) in enumerate(payers):
        if bounds[g] == bounds[g + 1]:
            continue
        sel = slice(bounds[g], bounds[g + 1])
        sub = CountsSubset(by_group, sel)
        a, s, r = age[sel], sex[sel], risk[sel]
        paid = rule.patient_payments(sub, a, s, r)
        to_hospital = (
            hospital_rule.patient_payments(sub, a, s, r) if hospital_rule is not None else 0.0
        )
        if fragmented:
            gp[sel] = paid
            commissioner[sel] = paid + to_hospital
        else:
            commissioner[sel] = paid
        hospital[sel] = to_hospital
    out = {}
    for name, sorted_values in (
        ("commissioner_payment", commissioner),
        ("gp_payment", gp),
        ("hospital_payment", hospital),
    ):
        out[name] = np.empty(n)
        out[name][order] = sorted_values  # back to the chunk's row order
    out["age_sex_risk"] = age_sex(pop.age[rows], pop.sex[rows])
    return out
