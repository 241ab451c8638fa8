"""What providers spend on the year's care, and what running the contracts costs.

Read from the year's ledger (and, for an ICP buying hospital care, what it paid trusts,
settlements included) by :mod:`sim.engine.settlement` and the waiting-time step.
"""

from __future__ import annotations

import numpy as np

from sim.contracts.base import SELF_PROVIDED
from sim.engine.state import Market, YearState
from sim.providers.partnership_table import Partnerships

TRUST_COST_QUANTITIES = ("outpatient", "elective", "ae", "emergency_total", "bed_days")
"""Ledger quantities a trust's cost is worked out from."""
CARE_COST_QUANTITIES = ("gp_consultation", *TRUST_COST_QUANTITIES)
"""Ledger quantities an ICP's cost of care is worked out from."""


def bought(partnerships: Partnerships, activity: str) -> np.ndarray:
    """Share of each option's ``activity`` its trust provides (the rest made in the community)."""
    made = getattr(partnerships, f"made_{activity}") if activity in SELF_PROVIDED else 0.0
    return np.concatenate([[1.0], np.broadcast_to(1.0 - made, len(partnerships))])


def hospital_counts(sums: dict[str, float]) -> tuple[dict[str, float], float]:
    """Hospital activity counts (all emergency spells together) and bed days from ledger sums."""
    counts = {a: sums[a] for a in ("outpatient", "elective", "ae")}
    counts["emergency"] = sums["emergency_total"]
    return counts, sums["bed_days"]


def trust_costs(market: Market, year: YearState) -> np.ndarray:
    """What trusts spend on each cell they are paid for (``market.trust_pairs``), less the
    care the cell's ICP makes in the community."""
    costs, option = market.costs, market.trust_pairs[0]
    sums = year.ledger.pair_sums(TRUST_COST_QUANTITIES, *market.trust_pairs)
    counts = dict(zip(("outpatient", "elective", "ae", "emergency"), sums[:4], strict=True))
    made = 1.0 - bought(market.partnerships, "elective")[option]
    bed_days = sums[4] - made * counts["elective"] * costs.los["elective"]
    counts["elective"] = counts["elective"] * (1.0 - made)
    counts["outpatient"] = counts["outpatient"] * bought(market.partnerships, "outpatient")[option]
    return costs.hospital_cost(counts, np.maximum(bed_days, 0.0))


def icp_care_costs(market: Market, year: YearState) -> np.ndarray:
    """Each ICP's cost of care, by high-risk flag (rows 0 and 1): primary care, hospital
    care it runs (vertical) or buys (virtual: what it paid trusts so far, settlements
    included), and care it makes in the community."""
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
