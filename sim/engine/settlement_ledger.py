"""Year-end settlement amounts, kept by cell beside the ledger of per-patient payments.

The :class:`~sim.engine.ledger.Ledger` sums what patients brought in as care happened.
Contracts settle after the year (withholds, shared savings, corridors, blocks, rescues);
each settlement is spread over the cells of the patients it concerns, so that cost per
head by age and deprivation includes it, and the commissioner's spend always equals what
its payees received.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.engine.ledger import Ledger, cell_margins

SETTLED = ("commissioner_payment", "gp_payment", "hospital_payment")
"""Ledger quantities a settlement can add to."""


def select(option=None, locality=None, age=None, imd=None, high_risk=None) -> tuple:
    """The cell selection for keyword filters, as :meth:`sim.engine.ledger.Ledger.sum` takes them."""
    return tuple(slice(None) if v is None else v for v in (option, locality, age, imd, high_risk))


class SettlementLedger:
    """Settlement amounts by (option, locality, age band, IMD quintile, high-risk) cell."""

    def __init__(self, n_options: int, n_localities: int):
        self.shape = (n_options, n_localities, 2, 5, 2)
        self.data = {q: np.zeros(self.shape) for q in SETTLED}
        self.empty = True  # nothing settled yet: every sum is zero

    def reset(self) -> None:
        """Start a new year; a ledger nothing was added to is already clear (England's, 5 MB)."""
        if not self.empty:
            self.data = {q: np.zeros(self.shape) for q in SETTLED}
            self.empty = True

    def add(
        self, amount: float, weights: np.ndarray, where: dict, quantities: tuple[str, ...]
    ) -> None:
        """Spread ``amount`` over the cells in ``where`` in proportion to ``weights``."""
        if amount == 0:
            return
        mask = np.zeros(self.shape, dtype=bool)
        mask[select(**where)] = True
        w = np.where(mask, np.maximum(weights, 0.0), 0.0)
        if w.sum() <= 0:
            return
        self.empty = False
        for q in quantities:
            self.data[q] += amount * w / w.sum()

    def spread(
        self, amount: float, ledger: Ledger, where: dict, quantities: tuple[str, ...]
    ) -> None:
        """Spread a settlement over the cells in ``where``, pro rata to what the ledger says
        they were paid of ``quantities[0]`` (per head where that is nothing or negative)."""
        if amount == 0:
            return
        weights = ledger.table(quantities[0], (0, 1, 2, 3, 4))
        covered = weights[select(**where)]
        if np.sum(np.abs(covered)) <= 0 or (covered < 0).any():
            weights = ledger.table("population", (0, 1, 2, 3, 4))
        self.add(amount, weights, where, quantities)

    def sum(self, quantity: str, **where) -> float:
        if self.empty:
            return 0.0
        return float(self.data[quantity][select(**where)].sum())

    def pair_sums(self, quantity: str, option: np.ndarray, locality: np.ndarray) -> np.ndarray:
        """:meth:`sum` in each (option, locality) pair given, at once: (pair,).

        Each row of cells is summed as :meth:`sum` sums it, so totals agree to the bit.
        """
        if self.empty:
            return np.zeros(len(option))
        cells = self.data[quantity][option, locality]
        return cells.reshape(len(cells), np.prod(self.shape[2:])).sum(axis=1)

    def option_sums(self, quantity: str, high_risk: int | None = None) -> np.ndarray:
        """:meth:`sum` by option (of patients with that high-risk flag, if given): (option,)."""
        if self.empty:
            return np.zeros(self.shape[0])
        cells = self.data[quantity]
        if high_risk is not None:
            cells = cells[..., high_risk]
        return cells.reshape(self.shape[0], -1).sum(axis=1)

    def option_margins(self, quantities: Sequence[str]) -> np.ndarray:
        """Sums by (option, age band, IMD quintile), over localities and high-risk flags.

        Shaped as :meth:`sim.engine.ledger.Ledger.option_margins` without its high-risk
        axis: every option together last, and an 'all' entry last on the age and IMD axes.
        """
        n_opt, n_loc = self.shape[:2]
        if self.empty:
            return np.zeros((len(quantities), n_opt + 1, 3, 6))
        cells = np.stack([self.data[q].reshape(n_opt, n_loc, -1).sum(axis=1) for q in quantities])
        cells = np.concatenate([cells, cells.sum(axis=1, keepdims=True)], axis=1)
        return cell_margins(cells)[..., -1]
