"""The year's ledger: per-patient quantities summed into small cells.

A cell is (option, locality, age band, IMD quintile, high-risk flag). Payments,
provider accounts and every metric are read from these sums, so nothing downstream
touches per-patient arrays, and a 56-million-patient year adds up chunk by chunk.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from operator import index

import numpy as np
from scipy import sparse

from sim.engine.health_metrics import HEALTH_QUANTITIES
from sim.engine.older_bed_use import OLDER_QUANTITIES

QUANTITIES = (
    "population",
    "switched",
    "risk",
    "high_risk",
    "gp_consultation",
    "outpatient",
    "elective",
    "emergency",
    "acsc",
    "ae",
    "readmission",
    "emergency_total",
    "bed_days",
    "experience",
    "quality",
    "waiting",
    "commissioner_payment",
    "gp_payment",
    "hospital_payment",
    "expected_elective",
    "age_sex_risk",
    *HEALTH_QUANTITIES,
    "applications",  # by the option applied to: applicants it screened (selective acceptance)
    "refusals",  # by the option applied to: applicants it refused
    *OLDER_QUANTITIES,
)
AGE_GROUPS = ("age_0_64", "age_65_plus")
IMD_GROUPS = tuple(f"imd_q{q}" for q in range(1, 6))
_MARGIN_SHAPE = (3, 6, 3)  # age, IMD, high-risk, each with an 'all' entry last


def _margin_matrix() -> np.ndarray:
    """0/1 map of the 20 (age, IMD, high-risk) cells onto the 54 margins each one counts in."""
    out = np.zeros((2, 5, 2, *_MARGIN_SHAPE))
    for a, i, h in np.ndindex(2, 5, 2):
        out[a, i, h][np.ix_((a, -1), (i, -1), (h, -1))] = 1.0
    return out.reshape(20, -1)


_MARGINS = _margin_matrix()
_TOTALS = np.ascontiguousarray(_MARGINS.reshape(20, *_MARGIN_SHAPE)[:, -1, -1, :])
"""The three margins every age and IMD quintile count in: not high-risk, high-risk, all."""


BLAS_ONE_THREAD_BELOW = 65536 * 4
"""Multiply-adds below which OpenBLAS runs a product on one thread (its SMP threshold)."""


def cell_margins(
    cells: np.ndarray, margins: np.ndarray = _MARGINS, shape: tuple[int, ...] = _MARGIN_SHAPE
) -> np.ndarray:
    """Trailing (age, IMD, high-risk) cells, 20 of them, summed into their (3, 6, 3) margins
    (or into the columns of another 0/1 ``margins`` matrix, shaped ``shape``).

    The product is taken in blocks of rows small enough that BLAS keeps each on one
    thread: more threads only wait on the other workers of a sweep (or anything else
    busy), which made it ten times slower, and switching BLAS's threads for each product
    cost more than the product. Each row's sums are the same whatever the blocks.
    """
    flat = cells.reshape(-1, margins.shape[0])
    out = np.empty((len(flat), margins.shape[1]))
    step = max(1, (BLAS_ONE_THREAD_BELOW - 1) // margins.size)
    for start in range(0, len(flat), step):
        np.matmul(flat[start : start + step], margins, out=out[start : start + step])
    return out.reshape(*cells.shape[:-1], *shape)


class Ledger:
    """Sums of :data:`QUANTITIES` over cells (option, locality, age band, IMD, high-risk).

    Only (option, locality) pairs where an option can hold patients get cells (``pairs``;
    all pairs when not given): England has 73 options and 150 localities but about 400
    such pairs, so adding a chunk and reading sums touch 8 thousand cells, not 220 thousand.
    Reads go through marginal tables (by pair, option, locality, or over all cells), each
    built when first read after the last :meth:`add`, so each :meth:`sum` is a lookup,
    whatever the number of cells.

    ``data`` is pair-major, (pair, quantity, age, IMD, high-risk), so that a pair's sums are
    one contiguous row: adding pairs into options or localities is then one sparse product
    over rows (in pair order, term by term), and summing all pairs is a sum of rows.
    """

    def __init__(self, n_options: int, n_localities: int, pairs: np.ndarray | None = None):
        self.shape = (n_options, n_localities, 2, 5, 2)  # the cells as addressed by sum()
        if pairs is None:
            pairs = np.ones((n_options, n_localities), dtype=bool)
        self.pair_option, self.pair_locality = np.nonzero(pairs)
        self.pair_index = np.full((n_options, n_localities), -1, dtype=np.intp)
        self.pair_index[self.pair_option, self.pair_locality] = np.arange(len(self.pair_option))
        n_pairs = len(self.pair_option)
        self.cell_shape = (n_pairs, 2, 5, 2)
        self.size = n_pairs * 20  # cells
        self.data = np.zeros((n_pairs, len(QUANTITIES), 2, 5, 2))
        self.index = {q: i for i, q in enumerate(QUANTITIES)}
        self._margins: dict | None = None
        # which pairs add up into each option and each locality: 0/1 rows over pairs
        self._groups = {
            name: sparse.csr_matrix(
                (np.ones(n_pairs), (group, np.arange(n_pairs))), shape=(size, n_pairs)
            )
            for name, group, size in (
                ("option", self.pair_option, n_options),
                ("locality", self.pair_locality, n_localities),
            )
        }

    def copy(self) -> Ledger:
        """A ledger with the same cells and sums (its own), and no margin tables yet.

        Copying an empty ledger starts a year without working out its cells again.
        """
        out = copy.copy(self)
        out.data = self.data.copy()
        out._margins = None
        return out

    def keys(
        self,
        option: np.ndarray,
        locality: np.ndarray,
        age: np.ndarray,
        imd: np.ndarray,
        high_risk: np.ndarray,
    ) -> np.ndarray:
        """Each patient's cell index."""
        key = self.pair_index.ravel()[option.astype(np.intp) * self.shape[1] + locality]
        if key.size and key.min() < 0:
            raise ValueError(
                "a patient is enrolled in an option that does not serve their locality"
            )
        key *= 2
        key += age >= 65
        key *= 5
        key += imd
        key -= 1
        key *= 2
        key += high_risk
        return key

    def add(self, keys: np.ndarray, values: dict[str, np.ndarray | None]) -> np.ndarray:
        """Add per-patient ``values`` into their cells; returns patients per cell.

        ``population`` needs no values: pass ``None`` and the cell counts are added.
        """
        self._margins = None
        counts = np.bincount(keys, minlength=self.size).reshape(self.cell_shape)
        for name, v in values.items():
            if v is None:
                self.cells(name)[:] += counts
            elif v.dtype == bool:
                self.cells(name)[:] += np.bincount(keys[v], minlength=self.size).reshape(
                    self.cell_shape
                )
            else:
                self.cells(name)[:] += np.bincount(keys, weights=v, minlength=self.size).reshape(
                    self.cell_shape
                )
        return counts

    def add_cells(self, quantity: str, values: np.ndarray) -> None:
        """Add whole cells at once; ``values`` broadcasts to (pairs, age, IMD, high-risk)."""
        self._margins = None
        self.cells(quantity)[:] += values

    def cells(self, quantity: str) -> np.ndarray:
        """One quantity's sums, (pair, age, IMD, high-risk): a view, so do not change it
        (:meth:`add` and :meth:`add_cells` do, and keep the margin tables in step)."""
        return self.data[:, self.index[quantity]]

    # ------------------------------------------------------------------ reading

    def sum(
        self, quantity: str, option=None, locality=None, age=None, imd=None, high_risk=None
    ) -> float:
        """Total of ``quantity`` over the cells matching the given indices (None = all)."""
        q = self.index[quantity]
        try:
            a = -1 if age is None else index(age)
            i = -1 if imd is None else index(imd)
            h = -1 if high_risk is None else index(high_risk)
            if option is None:
                if locality is None:
                    return float(self._margin("all")[q, a, i, h])
                return float(self._margin("locality")[q, index(locality), a, i, h])
            if locality is None:
                return float(self._margin("option")[q, index(option), a, i, h])
            pair = self.pair_index[index(option), index(locality)]
        except TypeError:  # slices, lists or arrays of indices: sum the full cells
            sel = tuple(
                slice(None) if v is None else v for v in (option, locality, age, imd, high_risk)
            )
            return float(self.dense(quantity)[sel].sum())
        return float(self._margin("pair")[q, pair, a, i, h]) if pair >= 0 else 0.0

    def sums(
        self,
        quantities: Sequence[str],
        option: int | None = None,
        locality: int | None = None,
        high_risk: int | None = None,
    ) -> list[float]:
        """:meth:`sum` of several quantities over the same cells (any age and IMD), at once."""
        rows = [self.index[q] for q in quantities]
        h = -1 if high_risk is None else high_risk
        if option is None:
            table = (
                self._margin("all") if locality is None else self._margin("locality")[:, locality]
            )
        elif locality is None:
            table = self._margin("option")[:, option]
        else:
            pair = self.pair_index[option, locality]
            if pair < 0:
                return [0.0] * len(rows)
            table = self._margin("pair")[:, pair]
        return table[rows, -1, -1, h].tolist()

    def pair_sums(
        self,
        quantities: Sequence[str],
        option: np.ndarray,
        locality: np.ndarray,
        high_risk: int | None = None,
    ) -> np.ndarray:
        """Totals of ``quantities`` in each (option, locality) pair given: (quantity, pair)."""
        pair = self.pair_index[option, locality]
        rows = [self.index[q] for q in quantities]
        h = -1 if high_risk is None else high_risk
        return np.where(pair >= 0, self._pair_totals(rows)[:, pair, h], 0.0)

    def option_sums(self, quantities: Sequence[str], high_risk: int | None = None) -> np.ndarray:
        """:meth:`sums` for every option at once (any locality, age and IMD): (quantity, option)."""
        rows = [self.index[q] for q in quantities]
        return self._margin("option")[:, :, -1, -1, -1 if high_risk is None else high_risk][rows]

    def locality_sums(self, quantities: Sequence[str]) -> np.ndarray:
        """Totals of ``quantities`` in every locality (any option, age, IMD): (quantity, locality).

        Added up from the pairs' totals, which are needed anyway, rather than from a
        table by locality that nothing else may read this year.
        """
        rows = [self.index[q] for q in quantities]
        totals = self._pair_totals(rows)[:, :, -1]
        out = np.zeros((len(rows), self.shape[1]))
        for k, by_pair in enumerate(totals):
            out[k] = np.bincount(self.pair_locality, weights=by_pair, minlength=self.shape[1])
        return out

    def _margin(self, name: str) -> np.ndarray:
        """Sums by pair, option, locality or over ``all`` cells: (quantity, rows, 3, 6, 3).

        Each of the age, IMD and high-risk axes gets an 'all' entry (index -1). A table is
        built the first time it is read after an :meth:`add`: a year in England reads
        some of them hundreds of times and others never.
        """
        margins = self._margins if self._margins is not None else self._reset_margins()
        if name not in margins:
            n_pairs, n_q = self.data.shape[:2]
            by_pair = self.data.reshape(n_pairs, -1)  # (pair, quantity x 20 cells)
            if name == "pair":
                table = self.data
            elif name == "all":
                table = by_pair.sum(axis=0)
            else:  # pairs added into options or localities, in pair order
                table = self._groups[name] @ by_pair
            # one product maps each row's 20 (age, IMD, high-risk) cells onto the 54 margins
            # they count in: reductions along those short inner axes would cost more
            margins[name] = np.moveaxis(cell_margins(table.reshape(-1, n_q, 20)), 0, 1)
            if name == "all":
                margins[name] = margins[name][:, 0]
        return margins[name]

    def _pair_totals(self, rows: list[int]) -> np.ndarray:
        """Each pair's sums of the quantities ``rows`` by high-risk flag, then in all:
        (quantity, pair, 3).

        What most reads by pair need, without the pair table's age and IMD margins; the
        same product as the margins, so the two agree to the last bit. A quantity's totals
        are worked out the first time they are read: a year reads about half of them.
        """
        margins = self._margins if self._margins is not None else self._reset_margins()
        done = margins.setdefault("pair_totals", {})
        missing = [q for q in dict.fromkeys(rows) if q not in done]
        if missing:
            totals = cell_margins(
                self.data[:, missing].reshape(len(self.data), len(missing), -1), _TOTALS, (3,)
            )
            done.update({q: totals[:, k] for k, q in enumerate(missing)})
        return np.stack([done[q] for q in rows])

    def _reset_margins(self) -> dict:
        self._margins = {"dense": {}}
        return self._margins

    def option_margins(self, quantities: Sequence[str]) -> np.ndarray:
        """Sums by option, every option together last: (quantity, option + 1, age, IMD, hr).

        The age, IMD and high-risk axes end with an 'all' entry, as :meth:`sum` reads them.
        """
        rows = [self.index[q] for q in quantities]
        return np.concatenate(
            [self._margin("option")[rows], self._margin("all")[rows][:, None]], axis=1
        )

    def dense(self, quantity: str) -> np.ndarray:
        """One quantity over every (option, locality, age, IMD, high-risk) cell (read-only)."""
        dense = (self._margins if self._margins is not None else self._reset_margins())["dense"]
        if quantity not in dense:
            out = np.zeros(self.shape)
            out[self.pair_option, self.pair_locality] = self.cells(quantity)
            out.flags.writeable = False
            dense[quantity] = out
        return dense[quantity]

    def table(self, quantity: str, keep: tuple[int, ...]) -> np.ndarray:
        """Sum over every axis except those in ``keep`` (0 option, 1 locality, 2 age, 3 imd, 4 hr).

        Keeping every axis returns the full cells themselves, read-only and without a copy.
        """
        drop = tuple(ax for ax in range(5) if ax not in keep)
        full = self.dense(quantity)
        return full if not drop else full.sum(axis=drop)
