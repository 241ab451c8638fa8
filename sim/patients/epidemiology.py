"""Age, conditions, deprivation and death: the epidemiological curves behind the population.

All curves are indexed by single year of age 0..100. Long-term-condition (LTC)
prevalence follows calibration_targets 4.26-4.28; the named conditions take shares
of it, and "other" makes up the rest, so the any-LTC curve is hit by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources

import numpy as np

from sim.config.parameters import Conditions, Demography

MAX_AGE = 100
AGES = np.arange(MAX_AGE + 1)
CONDITIONS = ("diabetes", "copd", "heart_failure", "dementia", "other")
"""Bit i of a patient's condition mask means CONDITIONS[i]."""

# Shape of each named condition's age curve (logistic midpoint, width in years). ASSUMPTION:
# onset mostly after 40 for diabetes, after 55 for COPD, in old age for heart failure and dementia.
_CONDITION_SHAPE = {
    "diabetes": (62.0, 11.0),
    "copd": (72.0, 10.0),
    "heart_failure": (82.0, 8.0),
    "dementia": (87.0, 5.0),
}
_LTC_SHAPE = (60.0, 16.0)  # midpoint, width: fits the three prevalence bands of 4.28 exactly
IMD_QUINTILES = 5  # quintile 1 is the most deprived (English IMD convention)


def _read_csv(name: str) -> np.ndarray:
    text = resources.files("sim.data").joinpath(name).read_text()
    rows = [r for r in text.splitlines() if r and not r.startswith("#")]
    return np.array([[float(x) for x in r.split(",")] for r in rows[1:]])


@lru_cache(maxsize=1)
def england_age_sex() -> np.ndarray:
    """Population share by (age 0..100, sex 0=female 1=male), summing to 1."""
    table = _read_csv("ons_england_2012_age_sex.csv")
    dist = np.zeros((MAX_AGE + 1, 2))
    for a0, a1, male, female in table:
        lo, hi = int(a0), int(a1)
        width = hi - lo + 1
        if lo >= 90:  # taper the open top band: survivors fall ~25% a year past 90
            shape = 0.75 ** np.arange(width)
            shape /= shape.sum()
        else:
            shape = np.full(width, 1 / width)
        dist[lo : hi + 1, 0] += female * shape
        dist[lo : hi + 1, 1] += male * shape
    return dist / dist.sum()


@lru_cache(maxsize=1)
def age_profiles() -> dict[str, np.ndarray]:
    """Relative utilisation by single year of age, per activity (see data/age_profiles.csv)."""
    text = resources.files("sim.data").joinpath("age_profiles.csv").read_text()
    rows = [r for r in text.splitlines() if r and not r.startswith("#")]
    header = rows[0].split(",")
    table = np.array([[float(x) for x in r.split(",")] for r in rows[1:]])
    out = {}
    for j, name in enumerate(header[2:], start=2):
        curve = np.zeros(MAX_AGE + 1)
        for row in table:
            curve[int(row[0]) : int(row[1]) + 1] = row[j]
        out[name] = curve
    return out


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class ConditionCurves:
    """Prevalence (age x condition) at IMD quintile 3, and odds multipliers by quintile.

    Per-patient lookups go through small tables over (age, IMD quintile) cells, built
    once, so a chunk of a million patients costs one gather rather than a recomputation.
    """

    prevalence: np.ndarray  # (101, 5)
    any_ltc: np.ndarray  # (101,)
    imd_odds: np.ndarray  # (5,) for quintiles 1..5

    @cached_property
    def _prevalence_table(self) -> np.ndarray:
        """Prevalence by cell ``age * 5 + imd - 1``, shape (505, conditions), float64."""
        p = self.prevalence[:, None, :]
        odds = p / np.maximum(1 - p, 1e-9) * self.imd_odds[None, :, None]
        return (odds / (1 + odds)).reshape(-1, len(CONDITIONS))

    @cached_property
    def _incidence_table(self) -> np.ndarray:
        now = self._prevalence_table.reshape(MAX_AGE + 1, IMD_QUINTILES, -1)
        nxt = now[np.minimum(AGES + 1, MAX_AGE)]
        inc = np.clip((nxt - now) / np.maximum(1 - now, 1e-9), 0.0, 1.0)
        return inc.reshape(-1, len(CONDITIONS))

    @cached_property
    def _prevalence_mask_cdf(self) -> np.ndarray:
        return _mask_cdf(self._prevalence_table)

    @cached_property
    def _incidence_mask_cdf(self) -> np.ndarray:
        return _mask_cdf(self._incidence_table)

    def prevalence_for(self, age: np.ndarray, imd: np.ndarray) -> np.ndarray:
        """Prevalence of each condition for given ages and IMD quintiles, shape (n, 5)."""
        return self._prevalence_table[cell_index(age, imd)]

    def incidence_for(self, age: np.ndarray, imd: np.ndarray) -> np.ndarray:
        """Annual probability of acquiring each condition at ``age`` (none remit).

        Chosen so that prevalence by age stays on its curve: (p(a+1) - p(a)) / (1 - p(a)).
        """
        return self._incidence_table[cell_index(age, imd)]

    def draw_prevalent(self, cell: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Condition bitmasks of people in ``cell`` (see :func:`cell_index`), one uniform each.

        Conditions are independent given age and deprivation, so the 32 possible masks
        have product probabilities; inverting their CDF needs one uniform, not five.
        """
        return _draw_mask(self._prevalence_mask_cdf, cell, u)

    def draw_incident(self, cell: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Bitmask of conditions newly acquired this year (OR it into the current mask)."""
        return _draw_mask(self._incidence_mask_cdf, cell, u)


def cell_index(age: np.ndarray, imd: np.ndarray) -> np.ndarray:
    """Index of the (age, IMD quintile) cell: ``age * 5 + imd - 1``."""
    return age.astype(np.intp) * IMD_QUINTILES + imd.astype(np.intp) - 1


MASKS = np.arange(1 << len(CONDITIONS))
_BITS = (MASKS[:, None] >> np.arange(len(CONDITIONS))) & 1  # (32, 5)


def _mask_cdf(p: np.ndarray) -> np.ndarray:
    """CDF over the 32 bitmasks (mask 0 first) of independent conditions with probabilities p."""
    prob = np.prod(np.where(_BITS[None] == 1, p[:, None, :], 1 - p[:, None, :]), axis=2)
    cdf = np.cumsum(prob, axis=1)
    cdf /= cdf[:, -1:]
    return cdf.astype(np.float32)


def _draw_mask(cdf: np.ndarray, cell: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Invert each row's CDF over the 32 masks: a five-step binary search per person."""
    mask = np.zeros(len(u), dtype=np.uint8)
    some = np.flatnonzero(u >= cdf[cell, 0])  # most people draw mask 0: decide them cheaply
    if some.size:
        flat = cdf.ravel()
        base = cell[some] * len(MASKS)
        us = u[some]
        found = np.zeros(some.size, dtype=np.intp)
        step = len(MASKS) // 2
        while step:  # found = number of CDF entries <= u, i.e. the first above u
            found += step * (flat[base + found + (step - 1)] <= us)
            step //= 2
        mask[some] = np.minimum(found, len(MASKS) - 1)
    return mask


def inverse_cdf(cdf: np.ndarray, u: np.ndarray, guide_bits: int = 14) -> np.ndarray:
    """Index of the first ``cdf`` entry above ``u`` (``searchsorted(side="right")``), fast.

    A guide table maps the leading bits of ``u`` to a starting index, so a draw needs a
    gather and a step or two instead of a binary search per element.
    """
    cdf = np.asarray(cdf, dtype=np.float64)
    size = 1 << guide_bits
    guide = np.searchsorted(cdf, np.arange(size) / size, side="right")
    top = len(cdf) - 1
    idx = guide[np.minimum((u * size).astype(np.intp), size - 1)]
    behind = np.flatnonzero((u >= cdf[idx]) & (idx < top))
    while behind.size:
        idx[behind] += 1
        ahead = idx[behind]
        behind = behind[(u[behind] >= cdf[ahead]) & (ahead < top)]
    return idx


def condition_curves(params: Conditions) -> ConditionCurves:
    """Build the prevalence curves from the scenario's condition parameters."""
    weights = england_age_sex().sum(axis=1)
    mid, width = _LTC_SHAPE
    shape = _logistic((AGES - mid) / width)
    bands = [
        (0, 39, params.ltc_prevalence_under_40),
        (40, 59, params.ltc_prevalence_40_59),
        (60, MAX_AGE, params.ltc_prevalence_60_plus),
    ]
    design, target = [], []
    for lo, hi, value in bands:
        w = weights[lo : hi + 1] / weights[lo : hi + 1].sum()
        design.append([1.0, float((shape[lo : hi + 1] * w).sum())])
        target.append(value)
    (a, b), *_ = np.linalg.lstsq(np.array(design), np.array(target), rcond=None)
    any_ltc = np.clip(a + b * shape, 0.0, 0.98)

    named = []
    for cond in CONDITIONS[:-1]:
        m, s = _CONDITION_SHAPE[cond]
        curve = _logistic((AGES - m) / s)
        overall = getattr(params, f"{cond}_prevalence")
        named.append(np.clip(curve * overall / float((curve * weights).sum()), 0, 0.9))
    named_arr = np.stack(named, axis=1)
    none_named = np.prod(1 - named_arr, axis=1)
    other = np.clip(1 - (1 - any_ltc) / none_named, 0.0, 0.95)
    prevalence = np.column_stack([named_arr, other])
    quintile_steps = 3 - np.arange(1, IMD_QUINTILES + 1)  # +2 .. -2, quintile 1 most deprived
    imd_odds = np.exp(params.deprivation_odds_gradient * quintile_steps)
    return ConditionCurves(prevalence=prevalence, any_ltc=any_ltc, imd_odds=imd_odds)


def condition_weight(mask: np.ndarray, weights: list[float] | np.ndarray) -> np.ndarray:
    """Sum of condition weights for each patient's bitmask (float32)."""
    return weight_table(tuple(float(w) for w in weights))[mask]


@lru_cache(maxsize=32)
def weight_table(weights: tuple[float, ...]) -> np.ndarray:
    """Summed condition weight of each of the 32 bitmasks (float32)."""
    w = np.asarray(weights, dtype=np.float32)
    return np.array(
        [sum(w[i] for i in range(len(CONDITIONS)) if m >> i & 1) for m in MASKS], dtype=np.float32
    )


def death_probability(
    age: np.ndarray, cond_weight: np.ndarray, imd: np.ndarray, params: Demography
) -> np.ndarray:
    """Annual probability of death with full access to care: Gompertz in age, raised by
    conditions and deprivation. Care withheld or poor adds to it (:func:`death_given_care`)."""
    q = np.exp(params.mortality_gompertz_a + params.mortality_gompertz_b * age.astype(np.float32))
    q = np.where(age == 0, params.infant_mortality, q)
    imd_factor = np.exp(params.deprivation_mortality_gradient * (3 - imd.astype(np.float32)))
    q = q * (1 + params.ltc_mortality_weight * cond_weight)
    return np.clip(q * imd_factor, 0.0, 1.0).astype(np.float32)


def death_table(params: Demography, weights: list[float] | np.ndarray) -> np.ndarray:
    """:func:`death_probability` for every (age, IMD quintile, condition mask), float32: the
    probability with full access (add the excess from care with :func:`death_given_care`).

    Indexed by ``cell_index(age, imd) * 32 + mask``; one gather replaces the formula.
    """
    age = np.repeat(AGES, IMD_QUINTILES * len(MASKS)).astype(np.uint8)
    imd = np.tile(np.repeat(np.arange(1, IMD_QUINTILES + 1), len(MASKS)), len(AGES))
    mask = np.tile(MASKS, len(AGES) * IMD_QUINTILES)
    return death_probability(age, condition_weight(mask, weights), imd.astype(np.uint8), params)


def death_given_care(death: np.ndarray, excess_death_risk: np.ndarray) -> np.ndarray:
    """The probability of death this year given last year's care: the full-access probability
    plus the excess that care withheld or poor left (``excess_death_risk``, worked out by
    :func:`sim.patients.health.year_of_care`), at most 1."""
    q = death + excess_death_risk
    return np.minimum(q, np.float32(1.0), out=q)
