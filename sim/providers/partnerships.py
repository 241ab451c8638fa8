"""Integrated care partnerships: risk-bearing providers paid per enrolee, who make or buy care.

Each :class:`IntegratedCarePartnership` is a Mesa agent with its own contract, localities
and books. What it plans each year and what it expects of its enrolees are its row of
one :class:`Partnerships` table, a row per ICP (as its accounts are its row of
:class:`sim.providers.agents.Books`). England has about 70 ICPs, so each year's plans are worked
out for all of them together, column by column; each agent reads and writes its own row
through its attributes (``icp.quality``, ``icp.expect``), so a student can follow one ICP.

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
* deters high-risk applicants when they lose it money and have somewhere else to go.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, fields
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.config.parameters import Behaviour
from sim.contracts.base import SELF_PROVIDED, PartialPurchaseRule
from sim.contracts.payment import PaymentRule
from sim.patients.modifiers import Scope
from sim.providers.agents import (
    HospitalCosts,
    Provider,
    elementwise,
    prevention_response,
    readmission_response,
    row_attribute,
)

if TYPE_CHECKING:
    from sim.config.scenario import IcpConfig


@dataclass
class Expectations:
    """What an ICP expects per enrolee and per high-risk enrolee next year (GBP, counts)."""

    revenue: float
    care_cost: float
    revenue_high_risk: float
    care_cost_high_risk: float
    acsc_high_risk: float  # counterfactual: before the ICP's own prevention
    other_emergency_high_risk: float
    bed_days_high_risk: float


EXPECTED = tuple(f.name for f in fields(Expectations))

PLAN = {  # column: what a new ICP starts with (quality and waits start at the scenario's base)
    "quality": math.nan,  # quality index published this year (0-1)
    "quality_spend": 0.0,  # GBP per enrolee
    "selection": 0.0,  # utility penalty imposed on high-risk applicants
    "prevention_spend": 0.0,  # GBP per high-risk enrolee
    "prevention_effect": 0.0,  # share of the maximum effect achieved (0-1)
    "prevention_gain": 1.0,  # multiplier on prevention effects (community specialists)
    "intermediate_spend": 0.0,  # GBP per high-risk enrolee (pooled budgets)
    "intermediate_effect": 0.0,  # share of the maximum effect achieved (0-1)
    "referral_management": 0.0,  # share of discretionary referrals avoided
    "elective_volume": 1.0,  # own-hospital volume response (vertical only)
    "emergency_volume": 1.0,  # own-hospital admission threshold (vertical only)
    "readmission_factor": 1.0,  # own-hospital readmissions kept (vertical only)
    "made_outpatient": 0.0,  # share of outpatient care made in the community
    "made_elective": 0.0,  # share of day-case care made in the community
    "applied_acsc": 1.0,  # multipliers its prevention and intermediate care put
    "applied_emergency": 1.0,  # on high-risk enrolees' ACSC and other emergency
    "applied_los": 1.0,  # admissions and on their length of stay
    "peer_quality": math.nan,  # other open ICPs' mean quality last year (NaN: none)
    "capacity": 1e-9,  # own hospital's elective capacity (vertical only)
    "waiting_weeks": math.nan,  # own hospital's elective wait (vertical only)
}
STATUS = {"is_open": False, "failed": False, "contestable": True, "years_active": 0}
FIXED = (
    "option",
    "start_year",
    "vertical",
    "years_integrated_at_start",
    "monitoring",
    "community_max_outpatient",
    "community_max_elective",
    "community_specialists",
    "management_cost",
    "fixed_cost_per_resident",
)
NOT_FLOAT = {
    "option": int,
    "start_year": int,
    "years_active": int,
    "is_open": bool,
    "failed": bool,
    "contestable": bool,
    "vertical": bool,
    "monitoring": bool,
}
PLANNED_RATES: tuple[Scope, ...] = (
    ("elective", None),
    ("outpatient", None),
    ("emergency", None),
    ("acsc", None),
    ("readmission", None),
    ("acsc", True),
    ("emergency", True),
    ("los", True),
)
"""The named rates an ICP's plan scales for its enrolees, in the order it scales them."""
PAID = ("acsc", "emergency", "bed_day", "elective", "readmission", "delayed_day")
CONTRACT_TERMS = (
    *PAID,
    "self_provision_cap",
    "intermediate_care_limit",
    "monitors_quality",
    "elective_volume",
    "emergency_volume",
    "readmission_factor",
)
BOUGHT = ("acsc", "emergency", "bed_day", "elective", "outpatient")


def _distinct(rules: Sequence[PaymentRule]) -> tuple[list[PaymentRule], np.ndarray]:
    """The distinct rules among ``rules`` (ICPs on one contract share one), and each one's."""
    first: dict[int, int] = {}
    index = [first.setdefault(id(rule), len(first)) for rule in rules]
    distinct = list({id(rule): rule for rule in rules}.values())
    return distinct, np.array(index, dtype=np.intp)


class Partnerships:
    """Every ICP's plan, expectations and status, a row per ICP in the order they were added.

    Columns are numpy arrays named as the agents' attributes (:data:`PLAN`, :data:`STATUS`,
    ``expect_`` + :data:`EXPECTED`) plus each ICP's fixed terms (:data:`FIXED`). The
    year's planning (:meth:`plan`), the rate factors it declares (:meth:`rate_factors`),
    its costs (:meth:`own_costs`) and learning (:meth:`update_expectations`) work on many
    rows at once.
    """

    def __init__(self, costs: HospitalCosts, behaviour: Behaviour):
        self.costs = costs
        self.behaviour = behaviour
        self.members: list[IntegratedCarePartnership] = []
        # the distinct contracts paying ICPs, and purchase prices, with each ICP's (as set up)
        self._contracts = self._purchases = _distinct([])
        self._kept: dict[tuple[int, str], tuple[float, ...]] = {}  # answers that never change
        self.columns = (*PLAN, *STATUS, *(f"expect_{k}" for k in EXPECTED), *FIXED)
        for name in self.columns:
            setattr(self, name, np.zeros(0, dtype=NOT_FLOAT.get(name, float)))

    def __len__(self) -> int:
        return len(self.members)

    def add(self, icp: IntegratedCarePartnership, waiting_base: float) -> int:
        """A new ICP's row, from its configuration; returns its index."""
        config = icp.config
        start = {
            **PLAN,
            "quality": self.behaviour.quality_base,
            "waiting_weeks": waiting_base,
            **STATUS,
            **{f"expect_{k}": 0.0 for k in EXPECTED},
            "option": icp.option,
            "start_year": config.start_year,
            "vertical": icp.purchase_rule is None,
            "years_integrated_at_start": config.years_integrated_at_start,
            "monitoring": config.quality_monitoring,
            "community_max_outpatient": config.community_outpatient_max,
            "community_max_elective": config.community_elective_max,
            "community_specialists": config.community_specialists,
            "management_cost": icp.management_cost,
            "fixed_cost_per_resident": icp.fixed_cost_per_resident,
        }
        for name in self.columns:
            column = getattr(self, name)
            setattr(self, name, np.append(column, np.array(start[name], dtype=column.dtype)))
        self.members.append(icp)
        return len(self.members) - 1

    # ------------------------------------------------------------------ the year's plan

    def open_due(self, year: int) -> np.ndarray:
        """Open every ICP whose start year has come (unless it failed); returns the open rows."""
        self.is_open |= ~self.failed & (self.start_year <= year)
        return np.flatnonzero(self.is_open)

    def maturity(self, rows: np.ndarray) -> np.ndarray:
        """How far integration has matured: benefits lag (seed 004 L1618)."""
        years = self.years_integrated_at_start[rows] + self.years_active[rows]
        return 1.0 - elementwise(math.exp, -years / self.behaviour.maturity_years)

    def set_peer_quality(self, rows: np.ndarray) -> None:
        """Each ICP in ``rows`` sees the mean quality the others published last year."""
        n = len(rows)
        if n < 2:
            self.peer_quality[rows] = math.nan
            return
        others = np.arange(n - 1)[None, :]
        others = others + (others >= np.arange(n)[:, None])  # row i: every ICP but i
        self.peer_quality[rows] = self.quality[rows][others].mean(axis=1)

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
        """``question``'s answer for ``rule``, kept for the years to come when the rule has
        no schedule (:attr:`~sim.contracts.payment.PaymentRule.has_schedule`: its terms never change)."""
        key = (id(rule), question.__name__)
        if key in self._kept:
            return self._kept[key]
        answer = question(rule)
        if not rule.has_schedule:
            self._kept[key] = answer
        return answer

    def _ask_contract(self, rule: PaymentRule) -> tuple[float, ...]:
        b, costs = self.behaviour, self.costs
        paid = {a: rule.marginal_price(a) for a in PAID}
        return (
            *paid.values(),
            rule.self_provision_cap,
            rule.intermediate_care_limit,
            float(rule.monitors_quality),
            # a vertical ICP's own hospital: elective volume, admission threshold and
            # readmissions, set by what the contract pays against the hospital's cost
            costs.volume_response(paid["elective"], "elective", b.induced_demand_elasticity),
            costs.volume_response(paid["emergency"], "emergency", b.emergency_admission_elasticity),
            readmission_response(costs, paid["readmission"], b),
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
        # prevention: value of avoided admissions and bed days, net of what activity earns
        save_acsc = np.maximum(0.0, hospital["acsc"] - terms["acsc"])
        save_other = np.maximum(0.0, hospital["emergency"] - terms["emergency"])
        save_bed_day = np.maximum(0.0, hospital["bed_day"] - terms["bed_day"])
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
        save_day = np.maximum(0.0, hospital["bed_day"] - terms["delayed_day"])
        self._plan_intermediate_care(rows, terms, save_acsc, save_other, save_day, maturity)
        # discretionary referrals: a vertical ICP sets its own hospital's volume by its own
        # margins; a virtual one manages referrals when hospital care costs more than it earns
        for name in ("elective_volume", "emergency_volume", "readmission_factor"):
            getattr(self, name)[rows[vertical]] = terms[name][vertical]
        net = (hospital["elective"] - terms["elective"]) / costs.average("elective")
        managed = b.referral_management_max * (
            1 - elementwise(math.exp, -np.maximum(net, 0.0) / b.referral_management_scale)
        )
        self.referral_management[rows] = np.where(vertical, 0.0, managed)
        under_service = np.where(
            vertical, np.maximum(0.0, 1.0 - self.elective_volume[rows]), managed
        )
        self._plan_quality(rows, terms, under_service)
        # selection: deter high-risk applicants when they lose money
        loss = self.expect_care_cost_high_risk[rows] - self.expect_revenue_high_risk[rows]
        deterrence = b.selection_max * (
            1 - elementwise(math.exp, -np.maximum(loss, 0.0) / b.selection_loss_scale)
        )
        self.selection[rows] = np.where(self.contestable[rows], deterrence, 0.0)
        self._plan_effects(rows, maturity)

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
        it slips with under-service nobody watches."""
        b = self.behaviour
        watched = self.monitoring[rows] | (terms["monitors_quality"] > 0)
        penalty = np.where(watched, 0.0, b.under_service_quality_penalty * under_service)
        revenue = self.expect_revenue[rows]
        margin = revenue - self.expect_care_cost[rows]
        z = b.quality_effort_scale * margin / b.quality_cost_per_enrolee
        gain = np.zeros(len(rows))
        np.divide(
            b.quality_max_gain * z, 1 + z, out=gain, where=self.contestable[rows] & (margin > 0)
        )
        paid_for = np.flatnonzero(terms["monitors_quality"] > 0)  # only these pay for it
        peers = self.peer_quality[rows[paid_for]].tolist()
        for k, i, peer in zip(paid_for.tolist(), rows[paid_for].tolist(), peers, strict=True):
            rule, peer = self.members[i].rule, None if math.isnan(peer) else peer
            reward = rule.quality_reward(max(float(revenue[k]), 0.0), peer)
            target = rule.quality_target(peer)
            if reward > 0 and target is not None:  # reach towards the target
                cost_per_unit = b.quality_cost_per_enrolee / 0.1
                needed = min(
                    max(target - (b.quality_base - float(penalty[k])), 0.0), b.quality_max_gain
                )
                ratio = reward / cost_per_unit
                gain[k] = max(float(gain[k]), needed * ratio / (1 + ratio))
        self.quality_spend[rows] = b.quality_cost_per_enrolee * gain / 0.1
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

    def rate_factors(self, rows: np.ndarray) -> dict[Scope, np.ndarray]:
        """What this year's plans do to enrolees' named rates, an entry per ICP in ``rows``
        (see :mod:`sim.patients.modifiers`)."""
        volume = self.elective_volume[rows] * (1 - self.referral_management[rows])
        emergency = self.emergency_volume[rows]
        return dict(
            zip(
                PLANNED_RATES,
                (
                    volume,
                    volume,
                    emergency,
                    emergency,
                    self.readmission_factor[rows],
                    *(
                        np.maximum(getattr(self, f"applied_{k}")[rows], 0.0)
                        for k in ("acsc", "emergency", "los")
                    ),
                ),
                strict=True,
            )
        )

    # ------------------------------------------------------------------ the year's end

    def own_costs(
        self, enrolees: np.ndarray, high_risk_enrolees: np.ndarray, residents: np.ndarray
    ) -> np.ndarray:
        """Each ICP's GBP of prevention, intermediate care, quality, running and fixed costs
        this year (every row; the arguments have an entry per ICP)."""
        return (
            (self.prevention_spend + self.intermediate_spend) * high_risk_enrolees
            + (self.quality_spend + self.management_cost) * enrolees
            + self.fixed_cost_per_resident * residents
        )

    def update_expectations(
        self,
        rows: np.ndarray,
        revenue: np.ndarray,
        care: np.ndarray,
        enrolees: np.ndarray,
        high_risk: np.ndarray,
    ) -> None:
        """Move what each ICP expects ``planning_weight`` of the way to what it observed.

        ``high_risk``: its high-risk enrolees' revenue, care cost and number, then their
        ACSC and other emergency admissions and bed days (rows), whose rates are expected
        before its own prevention. Nothing is learnt from a year without (high-risk) enrolees.
        """
        weight = self.behaviour.planning_weight
        revenue_hr, care_hr, n, acsc, emergency, bed_days = high_risk
        volume = self.emergency_volume[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            observed = {
                "revenue": (revenue / enrolees, enrolees > 0),
                "care_cost": (care / enrolees, enrolees > 0),
                "revenue_high_risk": (revenue_hr / n, n > 0),
                "care_cost_high_risk": (care_hr / n, n > 0),
                "acsc_high_risk": (
                    acsc / n / np.maximum(self.applied_acsc[rows] * volume, 1e-6),
                    n > 0,
                ),
                "other_emergency_high_risk": (
                    emergency / n / np.maximum(self.applied_emergency[rows] * volume, 1e-6),
                    n > 0,
                ),
                "bed_days_high_risk": (
                    bed_days / n / np.maximum(self.applied_los[rows], 1e-6),
                    n > 0,
                ),
            }
        for key, (value, seen) in observed.items():
            learn = seen & (enrolees > 0) & np.isfinite(value)
            column = getattr(self, f"expect_{key}")
            at = rows[learn]
            column[at] = (1 - weight) * column[at] + weight * value[learn]


def _bought_prices(rule: PaymentRule) -> tuple[float, ...]:
    return tuple(rule.marginal_price(a) for a in BOUGHT)


def _column(name: str, doc: str) -> property:
    """An ICP attribute that is its own entry in one column of the partnerships' table."""
    return row_attribute("table", "plan_row", name, doc)


class IntegratedCarePartnership(Provider):
    """A risk-bearing partnership paid per enrolee by its contract; it makes or buys care.

    Its plan and expectations are row ``plan_row`` of the model's :class:`Partnerships`
    (``model.partnerships``), which plans every open ICP at once; its accounts are row
    ``row`` of the model's books, as every provider's are.
    """

    def __init__(
        self,
        model: mesa.Model,
        config: IcpConfig,
        option: int,
        localities: list[int],
        rule: PaymentRule,
        purchase_rule: PaymentRule | None,
        expectations: Expectations,
        management_cost: float,
        waiting_base: float,
        fixed_cost_per_resident: float = 0.0,
    ):
        super().__init__(model, config.name)
        self.management_cost = management_cost  # GBP per enrolee-year
        self.fixed_cost_per_resident = fixed_cost_per_resident  # GBP per resident of its area
        self.config = config
        self.option = option
        self.localities = localities
        self.rule = rule
        if purchase_rule is not None and not isinstance(purchase_rule, PartialPurchaseRule):
            purchase_rule = PartialPurchaseRule(base=purchase_rule)
        self.purchase_rule = purchase_rule  # None when vertically integrated
        self.table: Partnerships = model.partnerships
        self.plan_row = self.table.add(self, waiting_base)
        self.expect = expectations

    is_open = _column("is_open", "Open this year: enrolling patients and paid for them.")
    failed = _column("failed", "Closed for good when its reserves ran out.")
    contestable = _column("contestable", "Another option is open in a locality it serves.")
    years_active = _column("years_active", "Years it has run.")
    quality = _column("quality", "Quality index it published this year (0-1).")
    quality_spend = _column("quality_spend", "GBP per enrolee spent on quality.")
    selection = _column("selection", "Utility penalty it imposes on high-risk applicants.")
    prevention_spend = _column("prevention_spend", "GBP per high-risk enrolee on prevention.")
    prevention_effect = _column("prevention_effect", "Share of prevention's maximum effect.")
    referral_management = _column("referral_management", "Share of referrals it avoids.")
    elective_volume = _column("elective_volume", "Own hospital's elective volume response.")
    emergency_volume = _column("emergency_volume", "Own hospital's admission threshold.")
    readmission_factor = _column("readmission_factor", "Own hospital's readmissions kept.")
    intermediate_spend = _column("intermediate_spend", "GBP per high-risk enrolee (pooled).")
    intermediate_effect = _column("intermediate_effect", "Share of its maximum effect.")
    capacity = _column("capacity", "Own hospital's elective capacity (vertical only).")
    waiting_weeks = _column("waiting_weeks", "Own hospital's elective wait (vertical only).")

    @property
    def vertical(self) -> bool:
        return self.purchase_rule is None

    @property
    def peer_quality(self) -> float | None:
        """Mean quality the other open ICPs published last year (None when it has no peers)."""
        value = float(self.table.peer_quality[self.plan_row])
        return None if math.isnan(value) else value

    @property
    def maturity(self) -> float:
        """How far integration has matured (0-1): see :meth:`Partnerships.maturity`."""
        return float(self.table.maturity(np.array([self.plan_row]))[0])

    @property
    def self_provision(self) -> dict[str, float]:
        """Share of outpatient and day-case care it makes in the community."""
        return {a: float(getattr(self.table, f"made_{a}")[self.plan_row]) for a in SELF_PROVIDED}

    @property
    def applied(self) -> dict[str, float]:
        """Multipliers its prevention and intermediate care put on high-risk enrolees."""
        return {
            k: float(getattr(self.table, f"applied_{k}")[self.plan_row])
            for k in ("acsc", "emergency", "los")
        }

    @property
    def expect(self) -> Expectations:
        """What it expects per enrolee next year (a copy: the table keeps the values)."""
        return Expectations(
            *(float(getattr(self.table, f"expect_{k}")[self.plan_row]) for k in EXPECTED)
        )

    @expect.setter
    def expect(self, value: Expectations) -> None:
        for k, v in zip(EXPECTED, astuple(value), strict=True):
            getattr(self.table, f"expect_{k}")[self.plan_row] = v
