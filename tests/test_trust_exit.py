"""A trust that fails under the exit rule hands its patients, activity and capacity to a
successor, and no patient and no pound is lost in the year it fails or after.

Trusts unpaid for readmissions run deficits (``trust_exit``: ``readmission_non_payment``
under ``[finance] trust_deficit = "exit"``); the first to stay below the threshold fails.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import scenario
from test_money_identities import PENNY, check_year

from sim.engine.failures import hand_over_failed_trusts
from sim.engine.model import ICSModel
from sim.providers.capacity import transfer_capacity

EXIT = {"finance.exit_years": 1}  # fail at the first year end in distress
YEARS = 4


def model(overrides: dict | None = None) -> ICSModel:
    return ICSModel(
        scenario("trust_exit", {**EXIT, **(overrides or {})}),
        seed=3,
        patients=3_000,
        years=YEARS,
    )


def locality_population(m: ICSModel) -> np.ndarray:
    return m.ledger.locality_sums(("population",))[0]


def test_a_failed_trust_hands_over_without_losing_a_patient_or_a_pound() -> None:
    m, kept = model(), model({"finance.trust_deficit": "carry_forward"})
    failed_in = None
    for _ in range(YEARS):
        m.step()
        kept.step()
        check_year(m)  # every identity, the failing year's included
        # patients stay in their localities whoever serves them: the same seeds give the
        # same people, locality by locality, as a run where no trust fails
        assert np.array_equal(locality_population(m), locality_population(kept))
        if failed_in is None and any(t.successor is not None for t in m.trusts):
            failed_in = m.year
            failed = next(t for t in m.trusts if t.successor is not None)
            # its deficit is written off into its reserves, paid by the commissioner
            assert failed.reserves == pytest.approx(0.0, abs=PENNY)
            assert m.commissioner.support[failed.name] > 0
    assert failed_in is not None and failed_in < YEARS, "no trust failed in the test run"
    successor = m.trusts[failed.successor]
    # from the year after, its successor serves and is paid for its locality's patients
    assert failed.exited and failed.revenue == 0.0 and failed.cost == 0.0
    served = m.market.trust_hosts()[failed.locality]
    assert served == failed.successor
    assert successor.revenue == pytest.approx(m.paid("hospital_payment"), abs=PENNY)
    # the last trust open cannot fail: its deficit is carried forward
    assert not successor.exited and successor.reserves < 0


def test_capacity_follows_the_patients_and_waits_respond() -> None:
    """The successor's staffed capacity rises by the declared share of what the failed
    trust staffed; capacity beyond what the combined patients use is stranded, and the failed
    trust's patients see the successor's wait."""
    stranded = {}
    for share in (1.0, 0.5):
        m = model({"finance.capacity_transfer_share": share})
        while not any(t.successor is not None for t in m.trusts):
            m.step()
        failed = next(t for t in m.trusts if t.successor is not None)
        successor = m.trusts[failed.successor]
        before, moved = successor.staffed.copy(), failed.staffed.copy()
        hand_over_failed_trusts(m.market)  # what the next year opens with
        assert np.allclose(successor.staffed, before + share * moved, rtol=1e-12)
        assert not failed.staffed.any()
        m.step()  # handing over twice changes nothing
        check_year(m)
        table = m.option_table()
        assert table.waiting[failed.locality, 0] == pytest.approx(successor.waiting_weeks)
        assert failed.stranded_cost == 0.0
        stranded[share] = successor.stranded_cost
    assert stranded[1.0] > stranded[0.5]


def test_without_the_exit_rule_no_trust_fails() -> None:
    m = model({"finance.trust_deficit": "carry_forward"})
    m.run()
    assert all(t.successor is None and not t.exited for t in m.trusts)
    assert np.array_equal(m.market.trust_hosts(), np.arange(len(m.trusts)))


def test_capacity_moves_by_the_declared_share_by_hand() -> None:
    receiving, leaving = transfer_capacity(np.array([10.0, 4.0]), np.array([6.0, np.nan]), 0.5)
    assert receiving.tolist() == [13.0, 4.0] and leaving.tolist() == [0.0, 0.0]
