"""Step 3 of the year: every hospital's capacity follows its activity, and sets its wait.

Trusts and the hospitals vertical ICPs run share one model
(:mod:`sim.providers.capacity`): staffed capacity follows what the hospital treats with a
lag, the fixed cost of capacity left unused is its stranded cost (booked with its costs,
:mod:`sim.engine.provider_costs`), and its elective wait is set by the electives referred
to it against the elective capacity it holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.config.parameters import Hospital
from sim.engine.ledger import Ledger
from sim.engine.planning import YearPlan
from sim.engine.provider_costs import trust_activity, vertical_activity
from sim.providers.capacity import ELECTIVE
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
    HospitalTrust.update_capacity(list(trusts), activity, referred, costs, hospital)
    icps = partnerships
    own = np.flatnonzero(icps.vertical & icps.is_open)
    if len(own):
        treated = vertical_activity(ledger, icps, own)
        demand = treated[:, ELECTIVE] / np.maximum(icps.elective_volume[own], 1e-9)
        icps.update_capacity(own, treated, demand, hospital)
