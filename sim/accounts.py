"""Year-end contract settlements, kept beside the ledger of the year's per-patient payments.

The ledger sums what patients brought in as care happened. Contracts settle after the
year: withholds paid on quality, shared savings, corridors, marginal rates above a
baseline, block reconciliations and rescues. Each settlement is spread over the cells
of the patients it concerns (pro rata to what they were paid, or per head), so cost per
head by age and deprivation includes it, and the commissioner's spend always equals what
its payees received.
"""

from __future__ import annotations

import numpy as np

SETTLED = ("commissioner_payment", "gp_payment", "hospital_payment")
"""Ledger quantities a settlement can add to."""


class SettlementBook:
    """Settlement amounts by (option, locality, age band, IMD quintile, high-risk) cell."""

    def __init__(self, n_options: int, n_localities: int):
        self.shape = (n_options, n_localities, 2, 5, 2)
        self.reset()

    def reset(self) -> None:
        self.data = {q: np.zeros(self.shape) for q in SETTLED}

    @staticmethod
    def select(option=None, locality=None, age=None, imd=None, high_risk=None) -> tuple:
        """The cell selection for keyword filters, as :meth:`sim.ledger.Ledger.sum` takes them."""
        return tuple(slice(None) if v is None else v
                     for v in (option, locality, age, imd, high_risk))

    def add(self, amount: float, weights: np.ndarray, where: dict,
            quantities: tuple[str, ...]) -> None:
        """Spread ``amount`` over the cells in ``where`` in proportion to ``weights``."""
        if amount == 0:
            return
        mask = np.zeros(self.shape, dtype=bool)
        mask[self.select(**where)] = True
        w = np.where(mask, np.maximum(weights, 0.0), 0.0)
        if w.sum() <= 0:
            return
        for q in quantities:
            self.data[q] += amount * w / w.sum()

    def sum(self, quantity: str, **where) -> float:
        return float(self.data[quantity][self.select(**where)].sum())
