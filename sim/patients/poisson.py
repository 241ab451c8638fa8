"""Poisson counts by inverse CDF from one uniform each, for many patients and activities.

Counts are monotone in the rate for a fixed uniform, which is what lets two scenarios with
the same seed share common random numbers: a patient whose rate falls can only lose
activity, never gain it by chance.
"""

from __future__ import annotations

import numpy as np

POISSON_BLOCK = 1 << 15
"""Patients searched at once: small enough that the search's arrays stay in cache."""
MAX_COUNT = 400
"""The search stops here (a rate would have to be far beyond any patient's to reach it)."""
SCALAR_TAIL = 64
"""Searches left at most this many are finished one by one rather than as arrays."""


def poisson_from_uniform(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson counts by inverse CDF: the smallest k with F(k; lam) >= u (vectorised).

    Monotone in ``lam`` for fixed ``u``, which is what makes common random numbers work.
    """
    return poisson_many([u], [lam])[0]


def poisson_many(uniforms: list[np.ndarray], lams: list[np.ndarray]) -> np.ndarray:
    """:func:`poisson_from_uniform` for several activities at once; shape (activities, n).

    Since exp(-lam) >= 1 - lam, anyone with u <= 1 - lam draws 0 without an exponential.
    The rest, of every activity together, sum the CDF term by term (float64) in
    cache-sized blocks; the few with long searches are then finished together.
    """
    n = len(uniforms[0])
    k = np.zeros(len(uniforms) * n, dtype=np.int32)
    idx, ua, la = [], [], []
    for j, (u, lam) in enumerate(zip(uniforms, lams, strict=True)):
        lam = np.asarray(lam)
        some = np.flatnonzero(u > 1 - lam)
        ua.append(u[some])
        la.append(lam[some] if lam.ndim else np.full(some.size, lam))
        some += j * n
        idx.append(some)
    idx, u_all, lam_all = (np.concatenate(x) for x in (idx, ua, la))
    tails = []
    for start in range(0, idx.size, POISSON_BLOCK):
        block = slice(start, start + POISSON_BLOCK)
        lam = lam_all[block].astype(np.float64)
        p = np.exp(-lam)
        search = _PoissonSearch(
            idx[block], u_all[block] - p, lam, p, np.zeros(lam.size, dtype=np.int32)
        )
        search.run(k, stop=lam.size // 32)
        if search.idx.size:
            tails.append(search)
    if tails:
        tail = _PoissonSearch(
            *(np.concatenate([getattr(t, f) for t in tails]) for f in _PoissonSearch.FIELDS)
        )
        tail.run(k, stop=0)
    return k.reshape(len(uniforms), n)


class _PoissonSearch:
    """Patients still summing their CDF: after ``count`` terms the last term was ``p`` and
    ``residual`` = u - F; the next term is p x lam / (count + 1)."""

    FIELDS = ("idx", "residual", "lam", "p", "count")

    def __init__(
        self,
        idx: np.ndarray,
        residual: np.ndarray,
        lam: np.ndarray,
        p: np.ndarray,
        count: np.ndarray,
    ):
        self.idx, self.residual, self.lam, self.p, self.count = idx, residual, lam, p, count

    def run(self, k: np.ndarray, stop: int) -> None:
        """Add terms until at most ``stop`` are still short of their uniform; write the finished.

        Those still searching have all added ``count`` terms, so the next term divides by
        ``count + 1``; within one block that is the same number for everyone.
        """
        live = np.empty(self.idx.size, dtype=bool)
        same_term = self.count.size > 0 and self.count.min() == self.count.max()
        term = int(self.count[0]) if same_term else 0
        while True:
            np.greater(self.residual, 0.0, out=live)
            if not same_term or term >= MAX_COUNT:
                live &= self.count < MAX_COUNT
            n_live = int(np.count_nonzero(live))
            if n_live <= stop or 2 * n_live < self.idx.size:
                k[self.idx] = self.count  # finished ones are final; the rest are updated later
                keep = np.flatnonzero(live)
                for name in self.FIELDS:
                    setattr(self, name, getattr(self, name)[keep])
                if n_live <= stop:
                    return
                if stop == 0 and n_live <= SCALAR_TAIL:
                    self._finish_one_by_one(k, same_term)
                    return
                live = np.ones(n_live, dtype=bool)
            self.count += live
            self.p *= self.lam
            if same_term:
                term += 1
                self.p *= 1.0 / term
            else:  # finished patients (not live) may carry a stale term: they stay finished
                self.p /= np.maximum(self.count, 1)
            self.residual -= self.p

    def _finish_one_by_one(self, k: np.ndarray, same_term: bool) -> None:
        """Finish the last few searches in plain Python: the same float64 steps, in the same
        order, as the array loop, which for a handful of patients costs more per step in
        overhead than in arithmetic."""
        for i, residual, lam, p, count in zip(
            *(getattr(self, f).tolist() for f in self.FIELDS), strict=True
        ):
            while residual > 0.0 and count < MAX_COUNT:
                count += 1
                p *= lam
                if same_term:
                    p *= 1.0 / count
                else:
                    p /= count
                residual -= p
            k[i] = count
