"""The year's books: per-patient quantities summed into small cells.

A cell is (option, locality, age band, IMD quintile, high-risk flag). Payments,
provider accounts and every metric are read from these sums, so nothing downstream
touches per-patient arrays, and a 56-million-patient year adds up chunk by chunk.
"""

from __future__ import annotations

from operator import index

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
    """Sums of :data:`QUANTITIES` over cells (option, locality, age band, IMD, high-risk).

    Only (option, locality) pairs where an option can hold patients get cells (``pairs``;
    all pairs when not given): England has 73 options and 150 localities but about 400
    such pairs, so adding a chunk and reading sums touch 8 thousand cells, not 220 thousand.
    Reads go through marginal tables built once per year (after the last :meth:`add`),
    so each :meth:`sum` is a lookup, whatever the number of cells.
    """

    def __init__(self, n_options: int, n_localities: int, pairs: np.ndarray | None = None):
        self.shape = (n_options, n_localities, 2, 5, 2)   # the cells as addressed by sum()
        if pairs is None:
            pairs = np.ones((n_options, n_localities), dtype=bool)
        self.pair_option, self.pair_locality = np.nonzero(pairs)
        self.pair_index = np.full((n_options, n_localities), -1, dtype=np.intp)
        self.pair_index[self.pair_option, self.pair_locality] = np.arange(len(self.pair_option))
        self.cell_shape = (len(self.pair_option), 2, 5, 2)
        self.data = np.zeros((len(QUANTITIES), *self.cell_shape))
        self.index = {q: i for i, q in enumerate(QUANTITIES)}
        self._margins: dict | None = None

    @property
    def size(self) -> int:
        return int(np.prod(self.cell_shape))

    def keys(self, option: np.ndarray, locality: np.ndarray, age: np.ndarray, imd: np.ndarray,
             high_risk: np.ndarray) -> np.ndarray:
        """Each patient's cell index."""
        key = self.pair_index.ravel()[option.astype(np.intp) * self.shape[1] + locality]
        if key.size and key.min() < 0:
            raise ValueError("a patient is enrolled in an option that does not serve their "
                             "locality")
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
                self.data[self.index[name]] += counts
            elif v.dtype == bool:
                self.data[self.index[name]] += np.bincount(
                    keys[v], minlength=self.size).reshape(self.cell_shape)
            else:
                self.data[self.index[name]] += np.bincount(
                    keys, weights=v, minlength=self.size).reshape(self.cell_shape)
        return counts

    def add_cells(self, quantity: str, values: np.ndarray) -> None:
        """Add whole cells at once; ``values`` broadcasts to (pairs, age, IMD, high-risk)."""
        self._margins = None
        self.data[self.index[quantity]] += values

    # ------------------------------------------------------------------ reading

    def sum(self, quantity: str, option=None, locality=None, age=None, imd=None,
            high_risk=None) -> float:
        """Total of ``quantity`` over the cells matching the given indices (None = all)."""
        m = self._margins or self._build_margins()
        q = self.index[quantity]
        try:
            a = -1 if age is None else index(age)
            i = -1 if imd is None else index(imd)
            h = -1 if high_risk is None else index(high_risk)
            if option is None:
                if locality is None:
                    return float(m["all"][q, a, i, h])
                return float(m["locality"][q, index(locality), a, i, h])
            if locality is None:
                return float(m["option"][q, index(option), a, i, h])
            pair = self.pair_index[index(option), index(locality)]
        except TypeError:  # slices, lists or arrays of indices: sum the full cells
            sel = tuple(slice(None) if v is None else v
                        for v in (option, locality, age, imd, high_risk))
            return float(self.dense(quantity)[sel].sum())
        return float(m["pair"][q, pair, a, i, h]) if pair >= 0 else 0.0

    def _build_margins(self) -> dict:
        """Sums with an extra 'all' entry (index -1) on the age, IMD and high-risk axes."""
        cube = self.data
        for axis in (2, 3, 4):
            cube = np.concatenate([cube, cube.sum(axis=axis, keepdims=True)], axis=axis)
        n_opt, n_loc = self.shape[:2]
        by_option = np.zeros((cube.shape[0], n_opt, *cube.shape[2:]))
        by_locality = np.zeros((cube.shape[0], n_loc, *cube.shape[2:]))
        for out, group in ((by_option, self.pair_option), (by_locality, self.pair_locality)):
            order = np.argsort(group, kind="stable")
            present, starts = np.unique(group[order], return_index=True)
            if present.size:
                out[:, present] = np.add.reduceat(cube[:, order], starts, axis=1)
        self._margins = {"pair": cube, "option": by_option, "locality": by_locality,
                         "all": cube.sum(axis=1), "dense": {}}
        return self._margins

    def dense(self, quantity: str) -> np.ndarray:
        """One quantity over every (option, locality, age, IMD, high-risk) cell (read-only)."""
        m = self._margins or self._build_margins()
        if quantity not in m["dense"]:
            out = np.zeros(self.shape)
            out[self.pair_option, self.pair_locality] = self.data[self.index[quantity]]
            out.flags.writeable = False
            m["dense"][quantity] = out
        return m["dense"][quantity]

    def table(self, quantity: str, keep: tuple[int, ...]) -> np.ndarray:
        """Sum over every axis except those in ``keep`` (0 option, 1 locality, 2 age, 3 imd, 4 hr).

        Keeping every axis returns the full cells themselves, read-only and without a copy.
        """
        drop = tuple(ax for ax in range(5) if ax not in keep)
        full = self.dense(quantity)
        return full if not drop else full.sum(axis=drop)
