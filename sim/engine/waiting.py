"""Step 3 of the year: hospitals set waiting times from elective demand against capacity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.config.parameters import Hospital
from sim.engine.ledger import Ledger
from sim.engine.planning import YearPlan
from sim.engine.provider_costs import bought
from sim.providers.partnership_table import Partnerships
from sim.providers.trusts import HospitalTrust, waiting_weeks


def set_waiting_times(
    ledger: Ledger,
    plan: YearPlan,
    trust_pairs: tuple[np.ndarray, np.ndarray],
    trusts: Sequence[HospitalTrust],
    partnerships: Partnerships,
    hospital: Hospital,
) -> None:
    """Waits from referred demand against capacity staffed to each provider's margin.

    A trust's elective volume for each paying contract (``trust_pairs``) is its referrals
    times its supplier factor; it staffs capacity with a share
    (``capacity_margin_response``) of that factor, so a contract that stops paying for
    activity lengthens waits. A vertical ICP's own hospital is staffed to expected demand.
    """
    option, locality = trust_pairs
    factor = plan.supplier_volume
    demand = (
        ledger.pair_sums(("elective",), option, locality)[0]
        * bought(partnerships, "elective")[option]
    )
    referred = np.bincount(locality, weights=demand / factor, minlength=len(trusts))
    staffed = np.bincount(locality, weights=demand / factor * plan.staffing, minlength=len(trusts))
    share = np.divide(staffed, referred, out=np.ones_like(referred), where=referred > 0)
    HospitalTrust.update_waits(list(trusts), referred, share, hospital)
    icps = partnerships
    own = np.flatnonzero(icps.vertical & icps.is_open)
    expected, elective = ledger.option_sums(("expected_elective", "elective"))[:, icps.option[own]]
    icps.capacity[own] = np.maximum(expected / hospital.reference_load, 1e-9)
    icps.waiting_weeks[own] = waiting_weeks(elective / icps.capacity[own], hospital)
