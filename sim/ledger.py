"""The year's books: per-patient quantities summed into small cells.

A cell is (option, locality, age band, IMD quintile, high-risk flag). Payments,
provider accounts and every metric are read from these sums, so nothing downstream
touches per-patient arrays, and a 56-million-patient year adds up chunk by chunk.
"""

from __future__ import annotations

import numpy as np

QUANTITIES = (
    "population", "switched", "risk", "high_risk",
    "gp_consultation", "outpatient", "elective", "emergency", "acsc", "ae", "readmission",
    "emergency_total", "bed_days", "experience", "quality", "waiting",
    "commissioner_payment", "gp_payment", "hospital_payment", "expected_elective",
)
AGE_GROUPS = ("age_0_64", "age_65_plus")
IMD_GROUPS = tuple(f"imd_q{q}" for q in range(1, 6))


class Ledger:
    """Sums of :data:`QUANTITIES` over cells (option, locality, age band, IMD, high-risk)."""

    def __init__(self, n_options: int, n_localities: int):
        self.shape = (n_options, n_localities, 2, 5, 2)
        self.data = np.zeros((len(QUANTITIES), *self.shape))
        self.index = {q: i for i, q in enumerate(QUANTITIES)}

    @staticmethod
    def cell_keys(shape: tuple[int, ...], option: np.ndarray, locality: np.ndarray,
                  age: np.ndarray, imd: np.ndarray, high_risk: np.ndarray) -> np.ndarray:
        _, n_loc, _, _, _ = shape
        key = option.astype(np.intp) * n_loc + locality
        key = (key * 2 + (age >= 65)) * 5 + (imd.astype(np.intp) - 1)
        return key * 2 + high_risk

    def add(self, keys: np.ndarray, values: dict[str, np.ndarray]) -> None:
        size = int(np.prod(self.shape))
        for name, v in values.items():
            self.data[self.index[name]] += np.bincount(keys, weights=v, minlength=size).reshape(
                self.shape)

    def sum(self, quantity: str, option=None, locality=None, age=None, imd=None,
            high_risk=None) -> float:
        """Total of ``quantity`` over the cells matching the given indices (None = all)."""
        sel = tuple(slice(None) if v is None else v
                    for v in (option, locality, age, imd, high_risk))
        return float(self.data[self.index[quantity]][sel].sum())

    def table(self, quantity: str, keep: tuple[int, ...]) -> np.ndarray:
        """Sum over every axis except those in ``keep`` (0 option, 1 locality, 2 age, 3 imd, 4 hr)."""
        drop = tuple(ax for ax in range(5) if ax not in keep)
        return self.data[self.index[quantity]].sum(axis=drop)
