"""What care costs whoever provides it, and how a provider responds to what one more unit earns.

:class:`HospitalCosts` gives the average cost of each activity, the fixed part of it that
a hospital's capacity carries (:attr:`HospitalCosts.capacity_cost`, see
:mod:`sim.providers.capacity`) and the marginal cost one more unit has under that cost
function; the response functions turn a margin into a decision: how much discretionary
volume to add (:meth:`HospitalCosts.volume_response`), how many readmissions to avoid
(:func:`readmission_response`), how much to spend on prevention
(:func:`prevention_response`), how much quality a quality payment buys
(:func:`paid_quality_gain`) and how much a margin buys where members can leave
(:func:`competitive_quality_gain`). Trusts, practices and partnerships all use them, so the
same prices bring the same response whoever earns them.
"""

from __future__ import annotations

import math

import numpy as np

from sim.config.parameters import Behaviour, Costs, Utilisation
from sim.config.scenario import Prices
from sim.contracts.payment import SPELL_ALIASES, PaymentRule

CAPACITY_ACTIVITIES = ("outpatient", "elective", "emergency", "ae", "bed_days")
"""What a hospital holds capacity for, in the order of an activity matrix's last axis
(``emergency`` counts every emergency spell; ``bed_days`` every inpatient day)."""


class HospitalCosts:
    """What care costs whoever runs a hospital: average, fixed and marginal cost per activity.

    Tariff prices are national average costs, so the non-bed-day part of a spell
    (:attr:`fixed`, by its old name) is the price less its mean stay at the bed-day cost.
    A share ``hospital_fixed_share`` of every unit's average cost is the fixed cost of the
    capacity that treats it (:attr:`capacity_cost`, per unit of capacity held); the rest
    is variable. Capacity follows activity at ``capacity_adjustment_speed`` a year
    (:mod:`sim.providers.capacity`), so one unit fewer this year saves its variable cost
    and that share of its fixed cost: that is the marginal cost providers plan on, and the
    cost their books then show. ACSC admissions and readmissions cost what emergency
    spells cost; a bed day (or a delayed-transfer day) costs the bed-day rate. Community
    settings provide outpatient and day-case care at a fixed ratio of the trust's average
    cost.
    """

    def __init__(self, costs: Costs, utilisation: Utilisation):
        prices = Prices().as_dict()
        self.bed_day = costs.bed_day
        self.los = {
            "elective": utilisation.elective_los_days,
            "emergency": utilisation.emergency_los_days,
        }
        self.fixed = {
            a: prices[a] - self.los.get(a, 0.0) * self.bed_day
            for a in ("outpatient", "elective", "emergency", "ae")
        }
        self.gp_consultation = prices["gp_consultation"]
        self.fixed_share = costs.hospital_fixed_share
        self.adjustment_speed = costs.capacity_adjustment_speed
        self.takeover_share = costs.capacity_takeover_share
        unit = {**self.fixed, "bed_days": self.bed_day}
        self.capacity_cost = np.array([self.fixed_share * unit[a] for a in CAPACITY_ACTIVITIES])
        """GBP of fixed cost a year per unit of each :data:`CAPACITY_ACTIVITIES` held."""
        self.marginal_share = 1.0 - self.fixed_share * (1.0 - self.adjustment_speed)
        self.community_ratio = {
            "outpatient": costs.community_outpatient_cost_ratio,
            "elective": costs.community_elective_cost_ratio,
        }
        # per activity (spell aliases and bed days included), worked out once: providers
        # ask for these hundreds of times a year
        kinds = (*self.fixed, *SPELL_ALIASES, "bed_day", "delayed_day")
        self._average = {a: self._unit_cost(a) for a in kinds}
        self._marginal = {a: self.marginal_share * self._average[a] for a in kinds}
        self._reference_margin = {a: self.margin_rate(self._average[a], a) for a in kinds}

    def _unit_cost(self, activity: str) -> float:
        """The non-bed-day cost of one unit plus its stay at the bed-day cost."""
        a = SPELL_ALIASES.get(activity, activity)
        if a in ("bed_day", "delayed_day"):
            return self.bed_day
        return self.fixed[a] + self.los.get(a, 0.0) * self.bed_day

    def average(self, activity: str) -> float:
        return self._average[activity]

    def marginal(self, activity: str) -> float:
        """What one unit fewer this year saves a hospital staffed to its activity: the
        variable cost and the share of the fixed cost its capacity sheds in the year."""
        return self._marginal[activity]

    def community(self, activity: str) -> float:
        """Cost of one unit of ``activity`` provided in community or practice settings."""
        return self.community_ratio[activity] * self.average(activity)

    def margin_rate(self, marginal_price: float, activity: str) -> float:
        """Margin on one more unit, as a share of average cost."""
        return (marginal_price - self.marginal(activity)) / self.average(activity)

    def reference_margin_rate(self, activity: str) -> float:
        """The margin under the national tariff, where the England baseline is calibrated."""
        return self._reference_margin[activity]

    def volume_response(self, marginal_price: float, activity: str, elasticity: float) -> float:
        """Multiplier on discretionary volume chosen by whoever earns ``marginal_price``."""
        gap = self.margin_rate(marginal_price, activity) - self.reference_margin_rate(activity)
        return math.exp(elasticity * gap)

    def hospital_cost(self, counts: dict[str, float], bed_days: float) -> float:
        """Total cost of hospital activity at average cost, as a hospital staffed to it
        spends (``counts['emergency']`` counts all emergency spells); capacity held beyond
        it adds its stranded cost (:mod:`sim.providers.capacity`)."""
        return sum(self.fixed[a] * counts[a] for a in self.fixed) + bed_days * self.bed_day


def readmission_response(costs: HospitalCosts, marginal_price: float, b: Behaviour) -> float:
    """Multiplier on readmissions chosen by a provider earning ``marginal_price`` for one.

    Where a readmission earns less than under the tariff reference, the provider loses
    that gap on each one and invests in discharge planning and follow-up to avoid them,
    with diminishing returns up to ``readmission_avoidance_max``.
    """
    loss = costs.reference_margin_rate("readmission") - costs.margin_rate(
        marginal_price, "readmission"
    )
    if loss <= 0:
        return 1.0
    return 1.0 - b.readmission_avoidance_max * (1 - math.exp(-loss / b.readmission_avoidance_scale))


def prevention_response(potential: np.ndarray, half_spend: float) -> tuple[np.ndarray, np.ndarray]:
    """(spend, effect share) for investments whose full effect would save ``potential``.

    Spending s achieves 1 - exp(-s/h) of the effect; the provider spends where the
    marginal saving equals the marginal pound: s = h ln(potential / h), and nothing where
    the potential is at most h.
    """
    potential = np.asarray(potential, dtype=float)
    spend, effect = np.zeros(potential.shape), np.zeros(potential.shape)
    worth = potential > half_spend
    spend[worth] = half_spend * elementwise(math.log, potential[worth] / half_spend)
    effect[worth] = 1.0 - elementwise(math.exp, -spend[worth] / half_spend)
    return spend, effect


def elementwise(function, x: np.ndarray) -> np.ndarray:
    """A scalar ``math`` function of each value: the C library's results, which are the same
    on every machine, where numpy's own vectorised exp and log vary in the last bit with
    the processor's instruction set."""
    x = np.asarray(x, dtype=float)
    return np.fromiter(map(function, x.ravel().tolist()), dtype=float, count=x.size).reshape(
        x.shape
    )


QUALITY_COST_UNIT = 0.1
"""Quality index points that ``quality_cost_per_enrolee`` prices (the parameter is per 0.1)."""


def quality_cost_per_point(b: Behaviour) -> float:
    """GBP a member-year one whole point of the quality index costs in effort."""
    return b.quality_cost_per_enrolee / QUALITY_COST_UNIT


def quality_effort_cost(b: Behaviour, gain: float | np.ndarray) -> float | np.ndarray:
    """GBP a member-year of effort a quality ``gain`` (index points) costs."""
    return b.quality_cost_per_enrolee * gain / QUALITY_COST_UNIT


def paid_quality_gain(
    rule: PaymentRule,
    revenue_per_patient: float,
    peer_quality: float | None,
    b: Behaviour,
    penalty: float = 0.0,
) -> float:
    """Quality gain (index points) a provider buys when ``rule`` pays for quality.

    One more unit of the index earns ``rule.quality_reward`` a patient-year and costs
    ``quality_cost_per_enrolee`` per 0.1; the provider reaches towards the contract's target
    by the share ``reward / (reward + cost)`` of the way (none when quality is unpaid).
    ICPs, trusts and practices all answer a quality payment this way.
    """
    reward = rule.quality_reward(max(revenue_per_patient, 0.0), peer_quality)
    target = rule.quality_target(peer_quality)
    if reward <= 0 or target is None:
        return 0.0
    cost_per_unit = quality_cost_per_point(b)
    needed = min(max(target - (b.quality_base - penalty), 0.0), b.quality_max_gain)
    ratio = reward / cost_per_unit
    return needed * ratio / (1 + ratio)


def competitive_quality_gain(margin: np.ndarray, b: Behaviour) -> np.ndarray:
    """Quality gain (index points) an ICP free to lose members buys from ``margin``, GBP a
    member-year of revenue over care and running costs before any quality effort.

    Effort rises with what a member leaves once the effort is paid for: the gain g solves
    g = G z / (1 + z), with z = ``quality_effort_scale`` x (margin - c g) / c' and c g the
    effort's cost (``quality_cost_per_enrolee`` c' per 0.1, G ``quality_max_gain``), a
    quadratic whose smaller root lies in [0, G); none without a positive margin.
    """
    per_point = quality_cost_per_point(b)
    a = b.quality_effort_scale / b.quality_cost_per_enrolee
    m = np.maximum(np.asarray(margin, dtype=float), 0.0)
    # a per_point g^2 - (1 + a m + a per_point G) g + G a m = 0
    quad = a * per_point
    lin = 1.0 + a * m + quad * b.quality_max_gain
    const = b.quality_max_gain * a * m
    root = np.sqrt(np.maximum(lin * lin - 4.0 * quad * const, 0.0))
    return 2.0 * const / (lin + root)  # the smaller root, written to stay exact as m -> 0
