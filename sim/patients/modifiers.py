"""Named rate modifiers: how providers and interventions change patients' use of care.

In the manner of value modifiers, nobody edits the utilisation formulas. Each year the
model starts every named rate at 1 and lets each provider (and each intervention)
scale the cells it is responsible for. A cell is (option, locality, high-risk flag), so
a vertical ICP's prevention programme touches only its own high-risk enrolees, and a
trust's induced demand touches only the patients it treats.
"""

from __future__ import annotations

import numpy as np

from sim.patients.utilisation import MODIFIED, PatientValue, PerPatient

Scope = tuple[str, bool | None]
"""A named rate and the patients a factor on it applies to: True high-risk only, None all."""


class RateModifiers:
    """Multiplicative modifiers on each named rate, by (option, locality, high-risk)."""

    def __init__(self, n_options: int, n_localities: int):
        self.shape = (n_options, n_localities, 2)
        self.tables = {rate: np.ones(self.shape, dtype=np.float32) for rate in MODIFIED}
        self.changed: set[str] = set()  # rates some factor other than 1 has scaled

    def scale(
        self,
        rate: str,
        factor: float,
        option: int | None = None,
        locality: int | None = None,
        high_risk: bool | None = None,
    ) -> None:
        """Multiply ``rate`` by ``factor`` in the matching cells (None matches all)."""
        index = tuple(slice(None) if v is None else int(v) for v in (option, locality, high_risk))
        self.tables[rate][index] *= np.float32(factor)
        if factor != 1:
            self.changed.add(rate)

    def scale_cells(
        self, rate: str, factors: np.ndarray, option: np.ndarray, locality: np.ndarray
    ) -> None:
        """:meth:`scale` each (option, locality) cell given, both risk flags, by its factor.

        The cells must be distinct (a repeated cell would be scaled once).
        """
        f = np.asarray(factors, dtype=np.float32)
        self.tables[rate][option, locality] *= f[:, None]
        if (f != 1).any():
            self.changed.add(rate)

    def scale_many(
        self,
        rate: str,
        factors,
        option: np.ndarray,
        locality: np.ndarray | None = None,
        high_risk: bool | None = None,
    ) -> None:
        """:meth:`scale` many cells at once: ``factors[i]`` for ``option[i]`` (and ``locality[i]``).

        Without ``locality`` each factor covers its option everywhere. The (option,
        locality) pairs must be distinct (a repeated one would be scaled once).
        """
        f = np.asarray(factors, dtype=np.float32)
        table = self.tables[rate]
        if locality is None:
            index: tuple = (option,) if high_risk is None else (option, slice(None), int(high_risk))
        else:
            index = (option, locality) if high_risk is None else (option, locality, int(high_risk))
        table[index] *= f.reshape(f.shape + (1,) * (table[index].ndim - 1))
        if (f != 1).any():
            self.changed.add(rate)

    def apply(
        self,
        declared: dict[Scope, float | np.ndarray],
        option: np.ndarray | int,
        locality: np.ndarray | None = None,
    ) -> None:
        """Apply the factors providers declared on their patients' named rates.

        ``declared`` maps (rate, risk flag) to the multiplier each provider puts on the
        patients of ``option[i]`` (in ``locality[i]``, or wherever it enrols them): an array
        with an entry per provider, or one number for them all. The risk flag is True for
        high-risk patients only, None for everyone. Factors are applied in the order
        declared.
        """
        if locality is None:  # a slice for one axis, when the other is not an array too
            option = _as_range(option)
        elif np.ndim(option) == 0:
            locality = _as_range(locality)
        for (rate, high_risk), factor in declared.items():
            self.scale_many(rate, factor, option, locality, high_risk)

    def for_patients(
        self, option: np.ndarray, locality: np.ndarray, high_risk: np.ndarray
    ) -> dict[str, PatientValue]:
        """Each named rate's modifier for these patients.

        A rate nobody changed this year is the scalar 1; the others are looked up lazily
        by each patient's cell, so the hot path pays only for rates that changed.
        """
        cell = None
        out: dict[str, PatientValue] = {}
        for rate, table in self.tables.items():
            if rate not in self.changed:
                out[rate] = np.float32(1.0)
                continue
            if cell is None:
                cell = option.astype(np.intp)
                cell *= self.shape[1]
                cell += locality
                cell *= 2
                cell += high_risk
            out[rate] = PerPatient(table.ravel(), cell)
        return out


def _as_range(index):
    """Consecutive indices as a slice, which scales a view in place rather than gathering
    and scattering the cells (every ICP, or every locality, usually is one)."""
    if not isinstance(index, np.ndarray) or index.ndim != 1 or index.size < 2:
        return index
    start = int(index[0])
    if not np.array_equal(index, np.arange(start, start + index.size)):
        return index
    return slice(start, start + index.size)
