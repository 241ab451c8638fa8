"""Annual choice of provider option: a random-utility (logit) rule.

Patient i's utility of option j in their locality is

    U_ij = b_quality q_j + b_waiting w_j + b_distance d_ij - s_j [i high-risk] + b_benefits x_j
           - b_premium p_j + b_word_of_mouth (n_lj - 0.5)
           + [j is current] (inertia_i + b_experience (experience_i - 0.5)) + Gumbel noise

Inertia (a switching cost) is higher for older people and people with a long-term
condition (calibration_targets 5.4). ``x_j`` is the extra benefits option j offers above
the standard package and ``p_j`` the top-up premium it charges, each in GBP 100 a
member-year (seed 000:479-483; the fragmented default charges none). ``q_j`` is the quality
option j *published* (:mod:`sim.engine.quality`: measured from outcomes a year earlier,
with sampling noise), not the quality of the care it gives now; ``experience_i`` is the
patient's own experience of their option last year (:mod:`sim.patients.experience`) and
``n_lj`` the mean experience of option j's members in the patient's locality l last year,
what neighbours say of it (word of mouth; ``b_word_of_mouth`` is 0 unless a scenario sets
it). Options closed in the locality are unavailable; a patient whose option closed must
choose again. Under mandatory acceptance (the default) every choice is granted, so an ICP
can deter high-risk applicants (s_j) but never refuse them; under selective acceptance an
ICP may refuse an applicant (:mod:`sim.engine.acceptance`), who then chooses among the
options left (``refused``).

England has about 70 options but a locality offers only a handful, so the engine works
on :class:`LocalOptions`: each locality's open options, padded to the widest locality,
and utilities of shape (patients, k) rather than (patients, all options).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.config.parameters import Choice

if TYPE_CHECKING:
    from sim.patients.population import Population


@dataclass
class OptionTable:
    """What patients can see of each option, by locality: shape (localities, options)."""

    available: np.ndarray  # bool
    quality: np.ndarray  # 0-1
    waiting: np.ndarray  # weeks
    selection: np.ndarray  # utility penalty for high-risk patients
    site: np.ndarray  # position of main site in the locality (0-1); NaN = local practice
    radius_km: np.ndarray  # (localities,)
    published_quality: np.ndarray | None = None  # 0-1, what patients choose on (None: quality)
    benefits: np.ndarray | None = None  # GBP a year of extra benefits per member (None: none)
    premium: np.ndarray | None = None  # GBP a year of top-up premium per member (None: none)
    neighbour_experience: np.ndarray | None = None  # 0-1, members' mean experience last year

    @property
    def seen_quality(self) -> np.ndarray:
        """The quality patients weigh: what was published, else the quality of care."""
        return self.quality if self.published_quality is None else self.published_quality


@dataclass
class LocalOptions:
    """Each locality's open options in option order, padded to ``k``: shape (k, localities).

    Column-major, so that column j of every patient is one contiguous gather. ``fixed``
    is the part of utility all patients of a locality share (quality, waiting, distance
    to a local practice; -inf in padding); ``site_km`` is beta_distance times km per unit
    of position between the patient and an option's main site (0 for local practices).
    ``column[l, o]`` is where option o sits in locality l's list, or -1.
    """

    option: np.ndarray  # (k, L) uint16 option index (0 in padding)
    fixed: np.ndarray  # (k, L) float32
    selection: np.ndarray  # (k, L) float32
    site: np.ndarray  # (k, L) float32 position of the main site (0 where none)
    site_km: np.ndarray  # (k, L) float32
    column: np.ndarray  # (L, options) int16

    layout: _Layout | None = None  # what depends only on which options are open where

    @classmethod
    def from_table(
        cls, table: OptionTable, params: Choice, previous: LocalOptions | None = None
    ) -> LocalOptions:
        """Each locality's options from ``table``; ``previous`` (last year's) lends its layout
        when the same options are open where they were, so most years only fill in values."""
        layout = previous.layout if previous is not None else None
        if layout is None or not layout.fits(table, params):
            layout = _Layout.build(table, params)
        option, rows, is_open = layout.option, layout.rows, layout.is_open
        fixed = (
            params.beta_quality * table.seen_quality[rows, option]
            + params.beta_waiting * table.waiting[rows, option]
            + layout.practice_distance
        )
        if table.benefits is not None:
            fixed = fixed + params.beta_benefits / 100 * table.benefits[rows, option]
        if table.premium is not None:
            fixed = fixed - params.beta_premium / 100 * table.premium[rows, option]
        if table.neighbour_experience is not None and params.beta_word_of_mouth:
            heard = table.neighbour_experience[rows, option] - 0.5
            fixed = fixed + params.beta_word_of_mouth * heard
        fixed = np.where(is_open, fixed, -np.inf)
        selection = np.where(is_open, table.selection[rows, option], 0.0)
        return cls(
            option=layout.option_t,
            fixed=np.ascontiguousarray(fixed.T, dtype=np.float32),
            selection=np.ascontiguousarray(selection.T, dtype=np.float32),
            site=layout.site_t,
            site_km=layout.site_km_t,
            column=layout.column,
            layout=layout,
        )


@dataclass
class _Layout:
    """Which option each locality lists in each column, and what follows from that alone."""

    params: Choice  # the choice parameters it was built with
    available: np.ndarray  # (L, options) the table's, as it was
    site_table: np.ndarray  # (L, options) the table's sites, as they were
    radius_km: np.ndarray  # (L,)
    option: np.ndarray  # (L, k) option index (0 in padding)
    rows: np.ndarray  # (L, 1) locality index
    is_open: np.ndarray  # (L, k)
    practice_distance: np.ndarray  # (L, k) utility of the distance to a local practice, or 0
    option_t: np.ndarray  # (k, L) uint16
    site_t: np.ndarray  # (k, L) float32
    site_km_t: np.ndarray  # (k, L) float32
    column: np.ndarray  # (L, options) int16

    @classmethod
    def build(cls, table: OptionTable, params: Choice) -> _Layout:
        n_loc, n_opt = table.available.shape
        n_open = table.available.sum(axis=1)
        k = max(1, int(n_open.max(initial=0)))
        # a stable sort puts each locality's open options first, in option order
        order = np.argsort(~table.available, axis=1, kind="stable")[:, :k]
        is_open = np.arange(k)[None, :] < n_open[:, None]
        option = np.where(is_open, order, 0).astype(np.uint16)
        column = np.full((n_loc, n_opt), -1, dtype=np.int16)
        li, j = np.nonzero(is_open)
        column[li, option[li, j]] = j
        rows = np.arange(n_loc)[:, None]
        site = table.site[rows, option]
        has_site = ~np.isnan(site)
        site_km = np.where(has_site, params.beta_distance * 2 * table.radius_km[:, None], 0.0)
        return cls(
            params=params,
            available=table.available.copy(),
            site_table=table.site.copy(),
            radius_km=table.radius_km.copy(),
            option=option,
            rows=rows,
            is_open=is_open,
            practice_distance=np.where(has_site, 0.0, params.beta_distance * params.gp_distance_km),
            option_t=np.ascontiguousarray(option.T),
            site_t=np.ascontiguousarray(np.where(has_site, site, 0.0).T, dtype=np.float32),
            site_km_t=np.ascontiguousarray(site_km.T, dtype=np.float32),
            column=column,
        )

    def fits(self, table: OptionTable, params: Choice) -> bool:
        """Whether ``table`` opens the same options in the same places, at the same sites."""
        return (
            params is self.params
            and np.array_equal(self.available, table.available)
            and np.array_equal(self.site_table, table.site, equal_nan=True)
            and np.array_equal(self.radius_km, table.radius_km)
        )


class LogitChoice:
    """Annual logit choice with inertia; draws with one uniform per patient (common numbers).

    :meth:`choose_patients` is the whole choice of a chunk of patients in one call; the
    steps it takes (:meth:`inertia`, :meth:`local_utilities`, :meth:`choose_local`) are
    public for teaching and tests.
    """

    def __init__(self, params: Choice):
        self.params = params
        p = params
        # the switching cost of each case (see inertia): the scenario's terms, resolved once
        self.inertia_table = np.array(
            [
                p.inertia,
                p.inertia + p.inertia_age_65_plus,
                p.inertia + p.inertia_ltc,
                p.inertia + p.inertia_age_65_plus + p.inertia_ltc,
            ]
            + [p.new_entrant_inertia] * 4,
            dtype=np.float32,
        )

    def inertia(
        self, age: np.ndarray, has_ltc: np.ndarray, years_enrolled: np.ndarray
    ) -> np.ndarray:
        """Switching cost: base, plus age 65+ and long-term condition; new entrants' own."""
        case = (age >= 65).view(np.uint8) + 2 * has_ltc.view(np.uint8)
        case += 4 * (years_enrolled == 0).view(np.uint8)
        return self.inertia_table[case]

    def choose_patients(
        self,
        local: LocalOptions,
        population: Population,
        rows: slice,
        high_risk: np.ndarray,
        uniform: np.ndarray,
        among: slice | np.ndarray = slice(None),
        refused: np.ndarray | None = None,
    ) -> np.ndarray:
        """This year's option of the patients ``among`` a chunk (``rows`` of ``population``).

        Each patient's inertia comes from their age, conditions and years enrolled, their
        utilities from their local options, and their choice from their uniform; ``high_risk``
        and ``uniform`` have an entry per row of the chunk. ``refused`` (k, patients among)
        marks the local columns that have refused each patient: those are never chosen.
        Returns option indices (uint16).
        """
        pop = population
        locality = pop.locality[rows][among]
        inertia = self.inertia(
            pop.age[rows][among], pop.conditions[rows][among] > 0, pop.years_enrolled[rows][among]
        )
        utilities = self.local_utilities(
            local,
            pop.option[rows][among],
            locality,
            pop.position[rows][among],
            high_risk[among],
            pop.experience[rows][among],
            inertia,
        )
        if refused is not None:
            utilities[refused] = -np.inf
        return self.choose_local(local, locality, utilities, uniform[among])

    def utilities(
        self,
        table: OptionTable,
        current: np.ndarray,
        locality: np.ndarray,
        position: np.ndarray,
        high_risk: np.ndarray,
        experience: np.ndarray,
        inertia: np.ndarray,
    ) -> np.ndarray:
        """Systematic utility of every option for every patient, shape (n, options)."""
        p = self.params
        loc = locality.astype(np.intp)
        n_options = table.available.shape[1]
        site = table.site[loc]  # (n, O)
        distance = np.where(
            np.isnan(site),
            p.gp_distance_km,
            np.abs(position[:, None].astype(np.float32) - site) * 2 * table.radius_km[loc][:, None],
        )
        u = (
            p.beta_quality * table.seen_quality[loc]
            + p.beta_waiting * table.waiting[loc]
            + p.beta_distance * distance
            - table.selection[loc] * high_risk[:, None]
        )
        if table.benefits is not None:
            u = u + p.beta_benefits / 100 * table.benefits[loc]
        if table.premium is not None:
            u = u - p.beta_premium / 100 * table.premium[loc]
        if table.neighbour_experience is not None and p.beta_word_of_mouth:
            u = u + p.beta_word_of_mouth * (table.neighbour_experience[loc] - 0.5)
        stay = np.arange(n_options)[None, :] == current[:, None]
        u = u + stay * (inertia + p.beta_experience * (experience - 0.5))[:, None]
        return np.where(table.available[loc], u, -np.inf).astype(np.float64)

    def local_utilities(
        self,
        local: LocalOptions,
        current: np.ndarray,
        locality: np.ndarray,
        position: np.ndarray,
        high_risk: np.ndarray,
        experience: np.ndarray,
        inertia: np.ndarray,
    ) -> np.ndarray:
        """:meth:`utilities` over each patient's local options only: shape (k, n), float32.

        Built column by column from per-locality tables, so nothing scales with the
        number of options in the country.
        """
        p = self.params
        loc = locality.astype(np.intp)
        k, n_loc = local.fixed.shape
        u = np.empty((k, len(loc)), dtype=np.float32)
        pos = position.astype(np.float32)
        risky = np.flatnonzero(high_risk)
        for j in range(k):
            np.take(local.fixed[j], loc, out=u[j])
            if local.site_km[j].any():
                distance = np.abs(pos - local.site[j][loc])
                distance *= local.site_km[j][loc]
                u[j] += distance
            if risky.size and local.selection[j].any():
                u[j][risky] -= local.selection[j][loc[risky]]
        column = local.column.ravel()[loc * local.column.shape[1] + current]
        bonus = experience.astype(np.float32) - np.float32(0.5)
        bonus *= np.float32(p.beta_experience)
        bonus += inertia
        for j in range(k):  # the current option's column gets the stay bonus
            u[j] += bonus * (column == j)
        return u

    def choose_local(
        self, local: LocalOptions, locality: np.ndarray, utilities: np.ndarray, uniform: np.ndarray
    ) -> np.ndarray:
        """Draw from :meth:`local_utilities` (shape (k, n)); returns option indices (uint16)."""
        k, n_loc = local.fixed.shape
        top = utilities.max(axis=0)
        weights = utilities - top
        np.exp(weights, out=weights)
        for j in range(1, k):  # running sums: row j becomes the CDF up to column j
            weights[j] += weights[j - 1]
        threshold = uniform * weights[-1]
        column = (threshold > weights).sum(axis=0)
        np.minimum(column, k - 1, out=column)
        column *= n_loc
        column += locality
        return local.option.ravel()[column]

    def choose(self, utilities: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """Draw an option (column) from the logit probabilities by inverse CDF."""
        top = utilities.max(axis=1, keepdims=True)
        weights = np.exp(utilities - top)
        cdf = np.cumsum(weights, axis=1)
        cdf /= cdf[:, -1:]
        chosen = (uniform[:, None] > cdf).sum(axis=1)
        return np.minimum(chosen, utilities.shape[1] - 1).astype(np.uint16)
