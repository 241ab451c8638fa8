"""The year's plan of every open integrated care partnership, worked out column by column.

An ICP never asks which contract it is on. It reads the prices its contract pays for one
more unit of care, what hospital care costs it (its own marginal cost, if it runs a
hospital; else what its purchase contract charges, less what it makes in the community),
the price its contract puts on quality and what it expects per enrolee, and it:

* makes outpatient and day-case care in the community where that is cheaper than buying it;
* spends on prevention when avoided admissions and bed days save it money;
* buys intermediate care, with a pooled budget, to avoid admissions and delayed transfers;
* manages referrals when hospital care is a cost to it (virtual), or sets its own
  hospital's volume, admission threshold and readmissions by its own margins (vertical);
* raises quality when members are profitable and free to leave, or when quality is paid
  for, and lets it slip when it under-serves unwatched;
* deters high-risk applicants when they lose it money and have somewhere else to go;
* spends what a claw-back would take rather than return it: on quality first, and beyond
  what quality can use by making no effort to save care whose saving would be clawed back
  (:meth:`PartnershipPlanning.saving_kept`), as insurers under a cap on their margin let
  claims rise (Cicala, Lieber and Marone 2019).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from scipy.special import ndtr

from sim.config.parameters import Behaviour
from sim.config.quality_parameters import QualityMeasure
from sim.contracts.base import SELF_PROVIDED
from sim.contracts.payment import PaymentRule
from sim.providers.costs import (
    HospitalCosts,
    competitive_quality_gain,
    elementwise,
    paid_quality_gain,
    prevention_response,
    quality_cost_per_point,
    quality_effort_cost,
    readmission_response,
)

if TYPE_CHECKING:
    from sim.contracts.base import PartialPurchaseRule


class PartnershipMember(Protocol):
    """What the table reads of each ICP agent (:class:`sim.providers.partnerships.
    IntegratedCarePartnership`): its contract, what it buys from trusts, its fixed terms."""

    option: int
    localities: list[int]
    config: Any
    rule: PaymentRule
    purchase_rule: PartialPurchaseRule | None
    management_cost: float
    fixed_cost_per_resident: float


PLANNED_ACTIVITIES = ("acsc", "emergency", "bed_day", "elective", "readmission", "delayed_day")
"""Activities whose price for one more unit, under its own contract, an ICP's plan weighs."""
CONTRACT_TERMS = (
    *PLANNED_ACTIVITIES,
    "self_provision_cap",
    "intermediate_care_limit",
    "monitors_quality",
    "elective_volume",
    "emergency_volume",
    "readmission_factor",
)
"""What the plan takes from each ICP's contract each year, in the order it is asked."""
BOUGHT = ("acsc", "emergency", "bed_day", "elective", "outpatient")
"""Activities whose price for one more unit, under its purchase contract, a virtual ICP weighs."""


def _distinct(rules: Sequence[PaymentRule]) -> tuple[list[PaymentRule], np.ndarray]:
    """The distinct rules among ``rules`` (ICPs on one contract share one), and each one's."""
    first: dict[int, int] = {}
    index = [first.setdefault(id(rule), len(first)) for rule in rules]
    distinct = list({id(rule): rule for rule in rules}.values())
    return distinct, np.array(index, dtype=np.intp)


class PartnershipPlanning:
    """The planning half of :class:`sim.providers.partnership_table.Partnerships`.

    Its methods work on the table's columns (``self.quality``, ``self.expect_*``, ...) for
    many ICPs at once. Each distinct contract is asked its terms once a year, and once for
    good when it has no schedule.
    """

    members: list[PartnershipMember]
    quality_measure: QualityMeasure  # how quality is measured: the tolerance of unmet need

    def __init__(self, costs: HospitalCosts, behaviour: Behaviour):
        self.costs = costs
        self.behaviour = behaviour
        # the distinct contracts paying ICPs, and purchase prices, with each ICP's (as set up)
        self._contracts = self._purchases = _distinct([])
        self._kept: dict[tuple[int, str], tuple[float, ...]] = {}  # answers that never change

    def maturity(self, rows: np.ndarray) -> np.ndarray:
        """How far integration has matured: benefits lag (seed 004 L1618)."""
        years = self.years_integrated_at_start[rows] + self.years_active[rows]
        return 1.0 - elementwise(math.exp, -years / self.behaviour.maturity_years)

    def _contract_terms(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """This year's terms of each ICP's contract (in ``rows``): what it pays for one more
        unit of care, its caps and whether it watches quality, and what a vertical ICP's own
        hospital makes of those prices. Each contract is asked once (ICPs share them)."""
        if len(self._contracts[1]) != len(self):  # ICPs were added since they were listed
            self._contracts = _distinct([icp.rule for icp in self.members])
            self._purchases = _distinct(
                [(icp.purchase_rule or icp.rule).pricing_rule for icp in self.members]
            )
        rules, index = self._contracts
        answers = np.array([self._ask(rule, self._ask_contract) for rule in rules])
        return dict(
            zip(CONTRACT_TERMS, answers.reshape(len(rules), -1)[index[rows]].T, strict=True)
        )

    def _ask(
        self, rule: PaymentRule, question: Callable[[PaymentRule], tuple[float, ...]]
    ) -> tuple[float, ...]:
        """``question``'s answer for ``rule``, kept for the years to come when the rule has no
        schedule (:attr:`~sim.contracts.payment.PaymentRule.has_schedule`: its terms never
        change)."""
        key = (id(rule), question.__name__)
        if key in self._kept:
            return self._kept[key]
        answer = question(rule)
        if not rule.has_schedule:
            self._kept[key] = answer
        return answer

    def _ask_contract(self, rule: PaymentRule) -> tuple[float, ...]:
        paid = {a: rule.marginal_price(a) for a in PLANNED_ACTIVITIES}
        return (
            *paid.values(),
            rule.self_provision_cap,
            rule.intermediate_care_limit,
            float(rule.monitors_quality),
            *own_hospital_responses(self.costs, paid, self.behaviour),
        )

    def _purchase_prices(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """What each ICP's purchase contract charges for one more unit of hospital care."""
        rules, index = self._purchases
        prices = np.array([self._ask(rule, _bought_prices) for rule in rules])
        return dict(zip(BOUGHT, prices.reshape(len(rules), -1)[index[rows]].T, strict=True))

    def plan(self, rows: np.ndarray) -> None:
        """Choose this year's make-or-buy, prevention, referral, quality and selection effort
        of the ICPs in ``rows``, from the prices their contracts set this year."""
        if not len(rows):
            return
        b, costs = self.behaviour, self.costs
        vertical = self.vertical[rows]
        maturity = self.maturity(rows)
        terms = self._contract_terms(rows)
        bought = self._purchase_prices(rows)
        self._plan_self_provision(rows, terms, bought, maturity)
        hospital = {
            a: self._hospital_price(rows, a, bought[a])
            for a in ("acsc", "emergency", "bed_day", "elective")
        }
        kept = self.saving_kept(rows)  # of each pound saved on care, what is not clawed back
        # prevention: value of avoided admissions and bed days, net of what activity earns
        save_acsc = kept * np.maximum(0.0, hospital["acsc"] - terms["acsc"])
        save_other = kept * np.maximum(0.0, hospital["emergency"] - terms["emergency"])
        save_bed_day = kept * np.maximum(0.0, hospital["bed_day"] - terms["bed_day"])
        gain = 1.0 + b.community_specialist_prevention_gain * self.community_specialists[rows]
        self.prevention_gain[rows] = gain
        potential = maturity * (
            gain * b.prevention_max_effect * self.expect_acsc_high_risk[rows] * save_acsc
            + gain
            * b.prevention_other_emergency_effect
            * self.expect_other_emergency_high_risk[rows]
            * save_other
            + b.coordination_los_effect * self.expect_bed_days_high_risk[rows] * save_bed_day
        )
        self.prevention_spend[rows], self.prevention_effect[rows] = prevention_response(
            potential, b.prevention_half_spend
        )
        save_day = kept * np.maximum(0.0, hospital["bed_day"] - terms["delayed_day"])
        self._plan_intermediate_care(rows, terms, save_acsc, save_other, save_day, maturity)
        # discretionary referrals: a vertical ICP sets its own hospital's volume by its own
        # margins; a virtual one manages referrals when hospital care costs more than it earns
        for name in ("elective_volume", "emergency_volume", "readmission_factor"):
            getattr(self, name)[rows[vertical]] = terms[name][vertical]
        clawed = vertical & (kept < 1)  # own hospitals whose savings are partly clawed back
        self._plan_reimbursed_hospitals(rows[clawed], kept[clawed])
        net = kept * (hospital["elective"] - terms["elective"]) / costs.average("elective")
        managed = b.referral_management_max * (
            1 - elementwise(math.exp, -np.maximum(net, 0.0) / b.referral_management_scale)
        )
        # monitored quality counts need left unmet beyond the tolerance (sim.engine.quality):
        # each point of need cut beyond it costs the published index weight_unmet_need /
        # tolerance points (4 by default), so where that costs money (members free to leave
        # on it, or a contract paying on quality) a watched ICP cuts no further than the
        # tolerance; where nobody can leave and nothing is paid on it, monitoring does not bind
        watched = self.monitoring[rows] | (terms["monitors_quality"] > 0)
        binding = watched & (self.contestable[rows] | (terms["monitors_quality"] > 0))
        binding &= self.quality_measure.from_outcomes
        allowed = self.quality_measure.unmet_need_tolerance
        managed = np.where(binding, np.minimum(managed, allowed), managed)
        cut = rows[vertical & binding]
        self.elective_volume[cut] = np.maximum(self.elective_volume[cut], 1.0 - allowed)
        self.referral_management[rows] = np.where(vertical, 0.0, managed)
        under_service = np.where(
            vertical, np.maximum(0.0, 1.0 - self.elective_volume[rows]), managed
        )
        self._plan_quality(rows, terms, under_service)
        # selection: deter high-risk applicants when they lose money
        loss = kept * (self.expect_care_cost_high_risk[rows] - self.expect_revenue_high_risk[rows])
        deterrence = b.selection_max * (
            1 - elementwise(math.exp, -np.maximum(loss, 0.0) / b.selection_loss_scale)
        )
        self.selection[rows] = np.where(self.contestable[rows], deterrence, 0.0)
        self._plan_effects(rows, maturity)

    def saving_kept(self, rows: np.ndarray) -> np.ndarray:
        """Share of a pound saved on care each ICP in ``rows`` keeps: all of it unless a
        claw-back would take it.

        What a claw-back would take an ICP spends on quality first, up to what effort can
        buy (:meth:`_plan_quality`); past that, a pound saved on care is a pound more
        clawed back, so it is not worth saving. Its cost moves from year to year by its
        ``cost_spread``, so the share is the chance that the headroom left after the most
        effort is used up: Phi((most effort - headroom) / spread).
        """
        b = self.behaviour
        most = quality_cost_per_point(b) * b.quality_max_gain
        left = self.clawback_headroom[rows] - most
        spread = self.cost_spread[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            chance = ndtr(-left / spread)
        return np.where(spread > 0, chance, (left <= 0).astype(float))

    def _plan_reimbursed_hospitals(self, rows: np.ndarray, kept: np.ndarray) -> None:
        """A vertical ICP keeping only ``kept`` of what its own hospital saves sets its
        volume, admission threshold and readmissions as if each unit earned ``kept`` of its
        contract's price and the rest of the unit's own cost (what a claw-back pays back)."""
        costs = self.costs
        for i, share in zip(rows.tolist(), kept.tolist(), strict=True):
            rule = self.members[i].rule
            earns = {
                a: share * rule.marginal_price(a) + (1 - share) * costs.marginal(a)
                for a in OWN_HOSPITAL_PRICED
            }
            responses = own_hospital_responses(costs, earns, self.behaviour)
            self.elective_volume[i], self.emergency_volume[i], self.readmission_factor[i] = (
                responses
            )

    def _hospital_price(self, rows: np.ndarray, activity: str, bought: np.ndarray) -> np.ndarray:
        """What one more unit of hospital ``activity`` costs each ICP: its own marginal cost
        (vertical), else the ``bought`` price, less the share it makes in the community."""
        costs = self.costs
        if activity in SELF_PROVIDED:
            share = getattr(self, f"made_{activity}")[rows]
            bought = np.where(
                share != 0, share * costs.community(activity) + (1 - share) * bought, bought
            )
        return np.where(self.vertical[rows], costs.marginal(activity), bought)

    def _plan_self_provision(
        self,
        rows: np.ndarray,
        terms: dict[str, np.ndarray],
        bought: dict[str, np.ndarray],
        maturity: np.ndarray,
    ) -> None:
        """Make rather than buy outpatient and day-case care where the community is cheaper.

        Capability is the ICP's (``community_*_max``), limited by its contract's cap on
        self-provision, and it builds up as integration matures. A vertical ICP runs the
        hospital itself, so it makes none in the community.
        """
        virtual = ~self.vertical[rows]
        before = [getattr(self, f"made_{a}")[rows] for a in SELF_PROVIDED]
        for activity in SELF_PROVIDED:
            cheaper = virtual & (self.costs.community(activity) < bought[activity])
            share = (
                np.minimum(
                    getattr(self, f"community_max_{activity}")[rows], terms["self_provision_cap"]
                )
                * maturity
            )
            getattr(self, f"made_{activity}")[rows] = np.where(cheaper, share, 0.0)
        changed = np.zeros(len(rows), dtype=bool)
        for a, old in zip(SELF_PROVIDED, before, strict=True):
            changed |= getattr(self, f"made_{a}")[rows] != old
        for i in rows[changed].tolist():  # its purchase contract, told of changes, buys the rest
            self.members[i].purchase_rule.bought = {
                a: 1.0 - float(getattr(self, f"made_{a}")[i]) for a in SELF_PROVIDED
            }

    def _plan_intermediate_care(
        self,
        rows: np.ndarray,
        terms: dict[str, np.ndarray],
        save_acsc: np.ndarray,
        save_other: np.ndarray,
        save_day: np.ndarray,
        maturity: np.ndarray,
    ) -> None:
        """With a pooled budget, buy intermediate care to avoid admissions and delayed days
        (up to the contract's limit; none without one)."""
        b = self.behaviour
        limit = terms["intermediate_care_limit"]
        pooled = limit > 0
        if not pooled.any():
            self.intermediate_spend[rows] = self.intermediate_effect[rows] = 0.0
            return
        potential = maturity * (
            b.intermediate_care_admission_effect
            * (
                self.expect_acsc_high_risk[rows] * save_acsc
                + self.expect_other_emergency_high_risk[rows] * save_other
            )
            + b.intermediate_care_los_effect
            * b.delayed_transfer_share
            * self.expect_bed_days_high_risk[rows]
            * save_day
        )
        spend = np.minimum(prevention_response(potential, b.intermediate_care_half_spend)[0], limit)
        self.intermediate_spend[rows] = np.where(pooled, spend, 0.0)
        self.intermediate_effect[rows] = np.where(
            pooled, 1.0 - elementwise(math.exp, -spend / b.intermediate_care_half_spend), 0.0
        )

    def _plan_quality(
        self, rows: np.ndarray, terms: dict[str, np.ndarray], under_service: np.ndarray
    ) -> None:
        """Quality: worth raising when members are profitable and free to leave, or paid for;
        it slips with under-service nobody watches.

        Members are profitable on the margin the quality itself leaves (:func:`
        competitive_quality_gain`), as extra benefits are planned on the surplus an ICP
        expects to keep: a rule that repays last year's spending (rebasing on observed cost,
        a bid on own cost) then buys no more quality than the allowance above cost pays for.
        Money a claw-back would otherwise take (``clawback_headroom``) costs the ICP
        nothing to spend, so it buys quality with it, contested or not, up to what effort
        can buy.
        """
        b = self.behaviour
        watched = self.monitoring[rows] | (terms["monitors_quality"] > 0)
        penalty = np.where(watched, 0.0, b.under_service_quality_penalty * under_service)
        revenue = self.expect_revenue[rows]
        margin = revenue - self.expect_care_cost[rows] - self.management_cost[rows]
        gain = np.where(self.contestable[rows], competitive_quality_gain(margin, b), 0.0)
        free = np.maximum(self.clawback_headroom[rows], 0.0) / quality_cost_per_point(b)
        gain = np.maximum(gain, np.minimum(free, b.quality_max_gain))
        paid_for = np.flatnonzero(terms["monitors_quality"] > 0)  # only these pay for it
        peers = self.peer_quality[rows[paid_for]].tolist()
        for k, i, peer in zip(paid_for.tolist(), rows[paid_for].tolist(), peers, strict=True):
            rule, peer = self.members[i].rule, None if math.isnan(peer) else peer
            paid = paid_quality_gain(rule, float(revenue[k]), peer, b, float(penalty[k]))
            gain[k] = max(float(gain[k]), paid)  # reach towards the target
        self.quality_spend[rows] = quality_effort_cost(b, gain)
        self.quality[rows] = np.minimum(np.maximum(b.quality_base + gain - penalty, 0.0), 1.0)

    def _plan_effects(self, rows: np.ndarray, maturity: np.ndarray) -> None:
        """Multipliers prevention and intermediate care put on high-risk enrolees' rates."""
        b = self.behaviour
        gain, intermediate = self.prevention_gain[rows], self.intermediate_effect[rows]
        effect = maturity * self.prevention_effect[rows]
        care = b.intermediate_care_admission_effect * intermediate
        self.applied_acsc[rows] = (1 - gain * b.prevention_max_effect * effect) * (1 - care)
        self.applied_emergency[rows] = (1 - gain * b.prevention_other_emergency_effect * effect) * (
            1 - care
        )
        self.applied_los[rows] = (1 - b.coordination_los_effect * effect) * (
            1 - b.delayed_transfer_share * b.intermediate_care_los_effect * intermediate
        )


OWN_HOSPITAL_PRICED = ("elective", "emergency", "readmission")
"""Activities whose price for one more unit sets a vertical ICP's own hospital's responses."""


def own_hospital_responses(
    costs: HospitalCosts, earns: dict[str, float], b: Behaviour
) -> tuple[float, float, float]:
    """A vertical ICP's own hospital's elective volume, admission threshold and readmissions,
    set by what one more unit of each earns (``earns``) against the hospital's cost."""
    return (
        costs.volume_response(earns["elective"], "elective", b.induced_demand_elasticity),
        costs.volume_response(earns["emergency"], "emergency", b.emergency_admission_elasticity),
        readmission_response(costs, earns["readmission"], b),
    )


def _bought_prices(rule: PaymentRule) -> tuple[float, ...]:
    return tuple(rule.marginal_price(a) for a in BOUGHT)
