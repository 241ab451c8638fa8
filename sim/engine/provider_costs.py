"""What providers spend on the year's care, and what running the contracts costs.

Read from the year's ledger (and, for an ICP buying hospital care, what it paid trusts,
settlements included) by :mod:`sim.engine.settlement` and the waiting-time step. A
hospital's cost is its activity at average cost plus the fixed cost of capacity it holds
but did not use (its stranded cost, :mod:`sim.providers.capacity`, set by the waiting-time
step): a trust's is shared over the cells it is paid for; an ICP's own hospital's is one
of the ICP's own costs (:meth:`~sim.providers.partnership_table.Partnerships.own_costs`).
"""

from __future__ import annotations

import numpy as np

from sim.contracts.base import SELF_PROVIDED
from sim.engine.ledger import Ledger
from sim.engine.state import Market, YearState
from sim.providers.costs import CAPACITY_ACTIVITIES, HospitalCosts
from sim.providers.partnership_table import Partnerships

TRUST_COST_QUANTITIES = ("outpatient", "elective", "ae", "emergency_total", "bed_days")
"""Ledger quantities a trust's cost is worked out from."""
CARE_COST_QUANTITIES = ("gp_consultation", *TRUST_COST_QUANTITIES)
"""Ledger quantities an ICP's cost of care is worked out from."""
HOSPITAL_QUANTITIES = tuple(
    "emergency_total" if a == "emergency" else a for a in CAPACITY_ACTIVITIES
)
"""Ledger quantities of a hospital's activity, in the order of CAPACITY_ACTIVITIES."""


def bought(partnerships: Partnerships, activity: str) -> np.ndarray:
    """Share of each option's ``activity`` its trust provides (the rest made in the community)."""
    made = getattr(partnerships, f"made_{activity}") if activity in SELF_PROVIDED else 0.0
    return np.concatenate([[1.0], np.broadcast_to(1.0 - made, len(partnerships))])


def hospital_counts(sums: dict[str, float]) -> tuple[dict[str, float], float]:
    """Hospital activity counts (all emergency spells together) and bed days from ledger sums."""
    counts = {a: sums[a] for a in ("outpatient", "elective", "ae")}
    counts["emergency"] = sums["emergency_total"]
    return counts, sums["bed_days"]


def trust_activity(
    ledger: Ledger,
    trust_pairs: tuple[np.ndarray, np.ndarray],
    partnerships: Partnerships,
    costs: HospitalCosts,
) -> np.ndarray:
    """What trusts treat in each cell they are paid for (``trust_pairs``), less the care the
    cell's ICP makes in the community: a row per cell, a column per CAPACITY_ACTIVITIES."""
    option = trust_pairs[0]
    sums = dict(
        zip(HOSPITAL_QUANTITIES, ledger.pair_sums(HOSPITAL_QUANTITIES, *trust_pairs), strict=True)
    )
    made = 1.0 - bought(partnerships, "elective")[option]
    sums["bed_days"] = np.maximum(
        sums["bed_days"] - made * sums["elective"] * costs.los["elective"], 0.0
    )
    sums["elective"] = sums["elective"] * (1.0 - made)
    sums["outpatient"] = sums["outpatient"] * bought(partnerships, "outpatient")[option]
    return np.stack([sums[q] for q in HOSPITAL_QUANTITIES], axis=1)


def vertical_activity(ledger: Ledger, partnerships: Partnerships, rows: np.ndarray) -> np.ndarray:
    """What the own hospitals of the ICPs in ``rows`` treat: a row per ICP, a column per
    CAPACITY_ACTIVITIES."""
    return ledger.option_sums(HOSPITAL_QUANTITIES)[:, partnerships.option[rows]].T


def stranded_costs(market: Market) -> tuple[np.ndarray, np.ndarray]:
    """GBP of fixed cost of capacity held but unused this year: each trust's (in the order of
    ``market.trusts``), each ICP's own hospital's (zero for virtual ICPs and closed ones)."""
    trusts = np.array([trust.stranded_cost for trust in market.trusts])
    icps = market.partnerships
    return trusts, np.where(icps.vertical & icps.is_open, icps.stranded_cost, 0.0)


def trust_costs(market: Market, year: YearState) -> np.ndarray:
    """What trusts spend on each cell they are paid for (``market.trust_pairs``), less the
    care the cell's ICP makes in the community: its activity at average cost, plus its share
    (by that cost; the fragmented default's cell when the trust treated nobody) of its trust's
    stranded cost, and, in the default's cell, what the trust spent on quality for them."""
    costs, (option, locality) = market.costs, market.trust_pairs
    activity = trust_activity(year.ledger, market.trust_pairs, market.partnerships, costs)
    outpatient, elective, emergency, ae, bed_days = activity.T
    counts = {"outpatient": outpatient, "elective": elective, "ae": ae, "emergency": emergency}
    average = costs.hospital_cost(counts, bed_days)
    host = market.trust_hosts()[locality]  # the trust serving each cell
    stranded = stranded_costs(market)[0][host]
    total = np.bincount(host, weights=average, minlength=len(market.trusts))[host]
    share = np.divide(average, total, out=(option == 0).astype(float), where=total > 0)
    cost = average + share * stranded
    quality = np.array([trust.quality_spend for trust in market.trusts])[host]
    if quality.any():  # what a trust spends on quality for the default's patients
        patients = year.ledger.table("population", keep=(0, 1))[0][locality]
        cost = cost + np.where(option == 0, quality * patients, 0.0)
    return cost


def icp_care_costs(market: Market, year: YearState) -> np.ndarray:
    """Each ICP's cost of care, by high-risk flag (rows 0 and 1): primary care, hospital
    care it runs (vertical, at average cost) or buys (virtual: what it paid trusts so far,
    settlements included), and care it makes in the community.

    Its own hospital's stranded cost is caused by no enrolee, so it is not here but in the
    ICP's own costs (:meth:`~sim.providers.partnership_table.Partnerships.own_costs`).
    """
    costs, table = market.costs, market.partnerships
    o = table.option
    share = {a: getattr(table, f"made_{a}") for a in SELF_PROVIDED}
    out = []
    for hr in (0, 1):
        sums = dict(
            zip(
                CARE_COST_QUANTITIES,
                year.ledger.option_sums(CARE_COST_QUANTITIES, hr)[:, o],
                strict=True,
            )
        )
        primary = sums["gp_consultation"] * costs.gp_consultation
        counts, bed_days = hospital_counts(sums)
        runs = primary + costs.hospital_cost(counts, bed_days)
        made = sum(
            np.where(share[a] > 0, share[a] * sums[a] * costs.community(a), 0.0)
            for a in SELF_PROVIDED
        )
        buys = primary + made + year.paid_by_option("hospital_payment", hr)[o]
        out.append(np.where(table.vertical, runs, buys))
    return np.array(out)


def transaction_costs(
    market: Market, year: YearState, residents: np.ndarray, icp_running_cost: np.ndarray
) -> np.ndarray:
    """GBP spent this year running contracts and ICPs, and procuring new ICPs, by option.

    ``residents``: each ICP's area's population; ``icp_running_cost``: GBP per enrolee-year
    of running each ICP and its contracts.
    """
    rules = market.rules
    population = year.ledger.option_sums(("population",))[0]
    out = np.zeros(market.n_options)
    out[0] = population[0] * (
        rules["gp"].admin_cost_per_head + rules["hospital"].admin_cost_per_head
    )
    icps = market.partnerships
    fixed = np.where(icps.is_open, icps.fixed_cost_per_resident, 0.0)
    first_year = icps.is_open & (icps.years_active == 1)  # procured for its first year
    o = icps.option
    out[o] = population[o] * icp_running_cost + fixed * residents
    out[o] += np.where(
        first_year > 0, market.cost_parameters.tender_cost_per_resident * residents, 0.0
    )
    return out
