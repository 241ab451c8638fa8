"""Every integrated care partnership's plan, expectations and status: a row per ICP.

England has about 70 ICPs, so each year's plans are worked out for all of them together,
column by column (:mod:`sim.providers.partnership_plans`); each agent
(:class:`sim.providers.partnerships.IntegratedCarePartnership`) reads and writes its own
row through its attributes (``icp.quality``, ``icp.expect``), so a student can follow one ICP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from sim.config.parameters import Behaviour, Hospital
from sim.config.quality_parameters import QualityMeasure
from sim.patients.modifiers import Scope
from sim.providers.capacity import empty_staffing, follow_activity
from sim.providers.costs import HospitalCosts
from sim.providers.partnership_plans import PartnershipMember, PartnershipPlanning


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

    @classmethod
    def of_reference(
        cls, rule, purchase_rule, reference: dict, counts: dict, costs: HospitalCosts
    ) -> Expectations:
        """What an ICP expects before any year is observed: the England reference population
        (``reference``, with its expected ``counts``) paid under its contract's ``rule``,
        cared for in its own hospital (``purchase_rule`` None: vertical) or bought under
        ``purchase_rule``."""
        age, sex, risk = reference["age"], reference["sex"], reference["risk"]
        revenue = rule.patient_payments(counts, age, sex, risk)
        care = counts["gp_consultation"] * costs.gp_consultation
        if purchase_rule is None:
            care = care + sum(costs.fixed[a] * counts[a] for a in costs.fixed)
            care = care + reference["bed_days"] * costs.bed_day
        else:
            care = care + purchase_rule.patient_payments(counts, age, sex, risk)
        hr = reference["high_risk"]
        return cls(
            revenue=float(revenue.mean()),
            care_cost=float(care.mean()),
            revenue_high_risk=float(revenue[hr].mean()),
            care_cost_high_risk=float(care[hr].mean()),
            acsc_high_risk=float(reference["acsc"][hr].mean()),
            other_emergency_high_risk=float(reference["emergency"][hr].mean()),
            bed_days_high_risk=float(reference["bed_days"][hr].mean()),
        )


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
    "capacity": 1e-9,  # own hospital's electives a year at the reference load (vertical only)
    "waiting_weeks": math.nan,  # own hospital's elective wait (vertical only)
    "stranded_cost": 0.0,  # GBP, own hospital's fixed cost of unused capacity (vertical only)
    "benefits": 0.0,  # GBP per enrolee of extra benefits above the standard package
    "premium": 0.0,  # GBP per enrolee-year of top-up premium its members pay this year
    "clawback_headroom": -math.inf,  # GBP per enrolee it could spend before its surplus paid
    "cost_spread": 0.0,  # GBP per enrolee, year-to-year spread of its cost per enrolee
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


class Partnerships(PartnershipPlanning):
    """Every ICP's plan, expectations and status, a row per ICP in the order they were added.

    Columns are numpy arrays named as the agents' attributes (:data:`PLAN`, :data:`STATUS`,
    ``expect_`` + :data:`EXPECTED`) plus each ICP's fixed terms (:data:`FIXED`), and
    :attr:`staffed`, its own hospital's staffed capacity (a row per ICP, a column per
    :data:`~sim.providers.costs.CAPACITY_ACTIVITIES`; vertical only). The year's planning
    (:meth:`plan`, from :class:`PartnershipPlanning`), the rate factors it declares
    (:meth:`rate_factors`), its own hospital's capacity (:meth:`update_capacity`), its
    costs (:meth:`own_costs`) and learning (:meth:`update_expectations`) work on many rows
    at once.
    """

    def __init__(
        self, costs: HospitalCosts, behaviour: Behaviour, quality: QualityMeasure | None = None
    ):
        super().__init__(costs, behaviour)
        self.quality_measure = quality if quality is not None else QualityMeasure()
        self.members: list[PartnershipMember] = []
        self.columns = (*PLAN, *STATUS, *(f"expect_{k}" for k in EXPECTED), *FIXED)
        for name in self.columns:
            setattr(self, name, np.zeros(0, dtype=NOT_FLOAT.get(name, float)))
        self.staffed = empty_staffing(0)

    def __len__(self) -> int:
        return len(self.members)

    def add(self, icp: PartnershipMember, waiting_base: float) -> int:
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
        self.staffed = np.vstack([self.staffed, empty_staffing(1)])
        self.members.append(icp)
        return len(self.members) - 1

    # ------------------------------------------------------------------ the year's status

    def open_due(self, year: int) -> np.ndarray:
        """Open every ICP whose start year has come (unless it failed); returns the open rows."""
        self.is_open |= ~self.failed & (self.start_year <= year)
        return np.flatnonzero(self.is_open)

    def set_peer_quality(self, rows: np.ndarray) -> None:
        """Each ICP in ``rows`` sees the mean quality the others published last year."""
        n = len(rows)
        if n < 2:
            self.peer_quality[rows] = math.nan
            return
        others = np.arange(n - 1)[None, :]
        others = others + (others >= np.arange(n)[:, None])  # row i: every ICP but i
        self.peer_quality[rows] = self.quality[rows][others].mean(axis=1)

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

    def update_capacity(
        self,
        rows: np.ndarray,
        activity: np.ndarray,
        elective_demand: np.ndarray,
        params: Hospital,
        taken_over: np.ndarray | None = None,
    ) -> None:
        """The own hospitals of the vertical ICPs in ``rows``: capacity, stranded cost and
        wait this year from what each treated (``activity``: a row each, a column per
        capacity activity), the electives referred to it and the capacity it took over from,
        or handed to, its localities' trusts, as every trust's
        (:func:`~sim.providers.capacity.follow_activity`)."""
        year = follow_activity(
            self.staffed[rows], activity, elective_demand, self.costs, params, taken_over
        )
        self.staffed[rows] = year.staffed
        self.stranded_cost[rows] = year.stranded_cost
        self.waiting_weeks[rows] = year.waiting_weeks
        self.capacity[rows] = year.elective_capacity

    # ------------------------------------------------------------------ the year's end

    def own_costs(
        self, enrolees: np.ndarray, high_risk_enrolees: np.ndarray, residents: np.ndarray
    ) -> np.ndarray:
        """Each ICP's GBP of prevention, intermediate care, quality, extra benefits, running
        and fixed costs this year (every row; the arguments have an entry per ICP), its own
        hospital's stranded cost among them (vertical, open ICPs only: set this year by
        :meth:`update_capacity`)."""
        return (
            (self.prevention_spend + self.intermediate_spend) * high_risk_enrolees
            + (self.quality_spend + self.management_cost) * enrolees
            + self.benefits * enrolees
            + self.fixed_cost_per_resident * residents
            + np.where(self.vertical & self.is_open, self.stranded_cost, 0.0)
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
