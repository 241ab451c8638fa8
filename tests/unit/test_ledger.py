"""The ledger and the settlement ledger on a few hand-placed patients."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.ledger import Ledger
from sim.engine.settlement_ledger import SettlementLedger

# five patients: (option, locality, age, IMD quintile, high-risk), and what each used
OPTION = np.array([0, 0, 1, 1, 0], dtype=np.uint8)
LOCALITY = np.array([0, 1, 1, 1, 0], dtype=np.intp)
AGE = np.array([30, 70, 40, 80, 50])
IMD = np.array([1, 5, 3, 3, 1])
HIGH_RISK = np.array([False, True, False, True, False])
ELECTIVE = np.array([1.0, 2.0, 0.0, 3.0, 4.0])
PAID = np.array([100.0, 250.0, 0.0, 300.0, 50.0])


def filled(pairs: np.ndarray | None = None) -> Ledger:
    ledger = Ledger(2, 2, pairs)
    keys = ledger.keys(OPTION, LOCALITY, AGE, IMD, HIGH_RISK.astype(np.intp))
    ledger.add(
        keys,
        {"population": None, "switched": HIGH_RISK, "elective": ELECTIVE, "gp_payment": PAID},
    )
    return ledger


def test_sums_by_any_cells_are_the_patients_in_them() -> None:
    ledger = filled()
    assert ledger.sum("population") == 5
    assert ledger.sum("elective") == ELECTIVE.sum()
    assert ledger.sum("elective", option=0) == 1.0 + 2.0 + 4.0
    assert ledger.sum("elective", option=1, locality=1) == 3.0
    assert ledger.sum("elective", locality=0) == 5.0
    assert ledger.sum("elective", age=1) == 5.0  # aged 65 and over
    assert ledger.sum("elective", imd=2) == 3.0  # third quintile
    assert ledger.sum("population", high_risk=1) == 2
    assert ledger.sum("switched") == 2  # a flag counts the patients it is true for
    assert ledger.sum("elective", option=[0, 1], locality=slice(None)) == ELECTIVE.sum()


def test_every_way_of_reading_agrees_with_sum() -> None:
    ledger = filled()
    option, locality = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    by_pair = ledger.pair_sums(("elective", "population"), option, locality)
    assert by_pair.tolist() == [[5.0, 2.0, 0.0, 3.0], [2, 1, 0, 2]]
    assert ledger.option_sums(("elective",))[0].tolist() == [7.0, 3.0]
    assert ledger.option_sums(("population",), high_risk=1)[0].tolist() == [1, 1]
    assert ledger.locality_sums(("gp_payment",))[0].tolist() == [150.0, 550.0]
    assert ledger.sums(("elective", "gp_payment"), option=0) == [7.0, 400.0]
    margins = ledger.option_margins(("elective",))  # (quantity, option + all, age, IMD, hr)
    assert margins.shape == (1, 3, 3, 6, 3)
    assert margins[0, -1, -1, -1, -1] == ledger.sum("elective")
    assert margins[0, 0, 0, 0, -1] == ledger.sum("elective", option=0, age=0, imd=0)
    assert ledger.table("elective", (0,)).tolist() == [7.0, 3.0]


def test_only_served_pairs_have_cells() -> None:
    serves = np.array([[True, True], [False, True]])
    ledger = filled(serves)
    assert ledger.cell_shape == (3, 2, 5, 2)
    assert ledger.sum("elective", option=1, locality=0) == 0.0
    assert ledger.sum("elective") == ELECTIVE.sum()
    with pytest.raises(ValueError, match="does not serve their locality"):
        ledger.keys(np.array([1]), np.array([0]), np.array([20]), np.array([1]), np.array([0]))


def test_a_copy_adds_on_its_own() -> None:
    empty = Ledger(2, 2)
    year = empty.copy()
    year.add_cells("elective", 1.0)
    assert year.sum("elective") == 2 * 2 * 20
    assert empty.sum("elective") == 0.0


def test_a_settlement_spreads_pro_rata_to_what_cells_were_paid() -> None:
    ledger, settled = filled(), SettlementLedger(2, 2)
    assert settled.empty and settled.sum("gp_payment") == 0.0
    settled.spread(40.0, ledger, {"option": 0}, ("gp_payment", "commissioner_payment"))
    assert not settled.empty
    # option 0's patients were paid 100, 250 and 50 (of 400)
    assert settled.sum("gp_payment") == pytest.approx(40.0)
    assert settled.sum("gp_payment", option=0, locality=1) == pytest.approx(25.0)
    assert settled.sum("commissioner_payment", option=0, locality=0) == pytest.approx(15.0)
    assert settled.sum("hospital_payment") == 0.0
    assert settled.sum("gp_payment", option=1) == 0.0
    pairs = settled.pair_sums("gp_payment", np.array([0, 0, 1]), np.array([0, 1, 1]))
    assert pairs.tolist() == [settled.sum("gp_payment", option=0, locality=li) for li in (0, 1)] + [
        0.0
    ]
    assert settled.option_sums("gp_payment").tolist() == [
        settled.sum("gp_payment", option=o) for o in (0, 1)
    ]
    margins = settled.option_margins(("gp_payment",))  # no high-risk axis
    assert margins.shape == (1, 3, 3, 6)
    assert margins[0, -1, -1, -1] == pytest.approx(40.0)


def test_a_settlement_on_cells_paid_nothing_is_spread_per_head() -> None:
    ledger, settled = filled(), SettlementLedger(2, 2)
    settled.spread(-20.0, ledger, {"option": 1}, ("hospital_payment",))  # nothing paid there
    assert settled.sum("hospital_payment", option=1) == pytest.approx(-20.0)
    assert settled.sum("hospital_payment", option=1, high_risk=1) == pytest.approx(-10.0)
    settled.spread(0.0, ledger, {"option": 0}, ("hospital_payment",))
    assert settled.sum("hospital_payment", option=0) == 0.0


def test_reset_clears_a_settlement_ledger() -> None:
    ledger, settled = filled(), SettlementLedger(2, 2)
    settled.spread(10.0, ledger, {"option": 0}, ("gp_payment",))
    settled.reset()
    assert settled.empty and settled.sum("gp_payment") == 0.0
    assert not settled.option_sums("gp_payment").any()
    assert settled.option_margins(("gp_payment",)).shape == (1, 3, 3, 6)
