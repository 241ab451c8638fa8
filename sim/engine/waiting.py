"""Step 3 of the year: every hospital's capacity follows its activity, and sets its wait.

Trusts and the hospitals vertical ICPs run share one model
(:mod:`sim.providers.capacity`): staffed capacity follows what the hospital treats with a
lag, the fixed cost of capacity left unused is its stranded cost (booked with its costs,
:mod:`sim.engine.provider_costs`), and its elective wait is set by the electives referred
to it against the elective capacity it holds. Capacity follows patients between the
hospitals of a locality: part of what one holds idle passes to another short of capacity
for its activity (``capacity_takeover_share``), the hospital of an ICP that closed included.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.config.parameters import Hospital
from sim.engine.ledger import Ledger
from sim.engine.planning import YearPlan
from sim.engine.provider_costs import trust_activity, vertical_activity
from sim.providers.capacity import ELECTIVE, adjusted_staffing, take_over_idle
from sim.providers.costs import HospitalCosts
from sim.providers.partnership_table import Partnerships
from sim.providers.trusts import HospitalTrust


def set_waiting_times(
    ledger: Ledger,
    plan: YearPlan,
    trust_pairs: tuple[np.ndarray, np.ndarray],
    trusts: Sequence[HospitalTrust],
    partnerships: Partnerships,
    hospital: Hospital,
    hosts: np.ndarray | None = None,
) -> None:
    """Every hospital's capacity, stranded cost and wait this year.

    Electives referred to a hospital are those it treated over its own volume factor (its
    supplier response: ``plan.supplier_volume`` for each cell a trust is paid for, a
    vertical ICP's ``elective_volume``), so a hospital that cuts electives keeps the
    demand it does not treat, and a partnership that manages referrals away does not.
    ``hosts``: the trust serving each locality (its own when not given).
    """
    costs = partnerships.costs
    locality = trust_pairs[1] if hosts is None else hosts[trust_pairs[1]]
    by_pair = trust_activity(ledger, trust_pairs, partnerships, costs)
    activity = np.stack(
        [np.bincount(locality, weights=column, minlength=len(trusts)) for column in by_pair.T],
        axis=1,
    )
    referred = np.bincount(
        locality, weights=by_pair[:, ELECTIVE] / plan.supplier_volume, minlength=len(trusts)
    )
    icps = partnerships
    own = np.flatnonzero(icps.vertical & icps.is_open)
    treated = vertical_activity(ledger, icps, own)
    demand = treated[:, ELECTIVE] / np.maximum(icps.elective_volume[own], 1e-9)
    # a closed ICP's hospital treats nobody: it hands capacity to its localities' trusts once
    closed = np.flatnonzero(icps.vertical & ~icps.is_open & ~np.isnan(icps.staffed).all(axis=1))
    hosts = np.arange(len(trusts)) if hosts is None else hosts
    served = [
        sorted({int(hosts[li]) for li in icps.members[i].localities})
        for i in np.concatenate([own, closed])
    ]
    idle = np.zeros((len(closed), treated.shape[1]))
    to_trusts, to_icps = capacity_following_patients(
        (np.array([trust.staffed for trust in trusts]), activity, referred),
        (
            np.concatenate([icps.staffed[own], icps.staffed[closed]]),
            np.concatenate([treated, idle]),
            np.concatenate([demand, idle[:, ELECTIVE]]),
        ),
        served,
        costs,
    )
    HospitalTrust.update_capacity(list(trusts), activity, referred, costs, hospital, to_trusts)
    if len(own):
        icps.update_capacity(own, treated, demand, hospital, to_icps[: len(own)])
    icps.staffed[closed] = np.nan  # what did not pass to a trust has closed


Hospitals = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Some hospitals' staffed capacity last year, activity this year (a row each, a column per
capacity activity) and electives referred to them."""


def capacity_following_patients(
    trusts: Hospitals, own: Hospitals, served: list[list[int]], costs: HospitalCosts
) -> tuple[np.ndarray, np.ndarray]:
    """Capacity each trust and each vertical ICP's own hospital takes over (positive) or
    hands over (negative) this year, a row each: between every own hospital and each trust
    serving its localities (``served``, one list per own hospital), in that order, the
    capacity one holds idle passes to the other where it is short
    (:func:`~sim.providers.capacity.take_over_idle`). The hospital of an ICP that has
    closed comes last, treating nothing: its trusts take over what they lack of it."""
    trust_now, own_now = adjusted_staffing(*trusts, costs), adjusted_staffing(*own, costs)
    to_trusts, to_own = np.zeros_like(trust_now), np.zeros_like(own_now)
    share = costs.takeover_share
    if share == 0:
        return to_trusts, to_own
    for i, trust_rows in enumerate(served):
        for k in trust_rows:
            moved = take_over_idle(trust_now[k], trusts[1][k], own_now[i], own[1][i], share)
            moved = moved - take_over_idle(
                own_now[i] + moved, own[1][i], trust_now[k] - moved, trusts[1][k], share
            )  # then the other way, where the own hospital is the one left idle
            trust_now[k] -= moved
            own_now[i] += moved
            to_trusts[k] -= moved
            to_own[i] += moved
    return to_trusts, to_own
