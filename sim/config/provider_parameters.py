"""The providers' parameter sections: costs, how providers respond to incentives, hospital waits.

Each section is a table of a scenario file (``[costs]``, ``[behaviour]``, ``[hospital]``)
and every default is declared with :func:`sim.config.declare.P` (unit plus source, or an
assumption with a range), so ``icsim params`` lists them. :mod:`sim.config.parameters`
re-exports them beside the patients' sections.
"""

from __future__ import annotations

from sim.base.schema import Strict
from sim.config.declare import P

# --------------------------------------------------------------------------- costs


class Costs(Strict):
    """Provider costs. Tariff prices are average costs; part of each is the fixed cost of
    the capacity that provides it, which follows activity only with a lag."""

    bed_day: float = P(
        313.0,
        "GBP per inpatient day, its average cost (fixed and variable)",
        "calibration_targets 4.21 (excess bed day)",
        gt=0,
    )
    hospital_fixed_share: float = P(
        0.5,
        "share of a hospital's average cost per unit that is the fixed cost of the capacity "
        "providing it (staff in post, beds, theatres, estate), the same for every activity",
        assumption=(0.3, 0.84),
        ge=0,
        le=1,
        note="Monitor and NHS England (2014), Reimbursement of urgent and emergency care: "
        "discussion document on options for reform: fixed and semi-fixed capacity costs 47% "
        "(rural minor injuries unit) to 100% (NHS 111) of urgent and emergency care costs; "
        "Roberts RR, Frutos PW, Ciavarella GG et al. (1999), Distribution of variable vs "
        "fixed costs of hospital care, JAMA 281(7):644-649, doi:10.1001/jama.281.7.644: about "
        "84% fixed in the short run (not checked against the paper's text); the emergency "
        "tariff's marginal rate of 30-70% of price (calibration_targets 2.7, 2.8) brackets "
        "the variable share",
    )
    capacity_adjustment_speed: float = P(
        0.25,
        "share of the gap between a hospital's staffed capacity and its activity closed "
        "within a year (per year, both ways)",
        assumption=(0.1, 0.5),
        ge=0,
        le=1,
        note="no published rate found; with the fixed share 0.5 it strands 37.5% of the cost "
        "of activity lost in its first year and recovers half of that in 2.4 years, within "
        "30-50% stranded and about half recovered in 2-3 years judged from staff turnover "
        "of about 10% a year, redeployment and estate that cannot shrink quickly",
    )
    capacity_takeover_share: float = P(
        0.5,
        "share of the capacity a hospital holds idle, after the year's adjustment, that a "
        "hospital serving the same locality and short of capacity for its own activity "
        "takes over within the year (staff transferring with their service, beds and "
        "theatres leased), up to that shortfall",
        assumption=(0.0, 0.9),
        ge=0,
        le=1,
        note="no published share found; staff whose principal work moves to another NHS-"
        "funded provider transfer with it under the Transfer of Undertakings (Protection of "
        "Employment) Regulations 2006 (NHS Social Partnership Forum, Staff transfer guides, "
        "2021), but not all of a service's staff, sites or equipment move; 0 reproduces "
        "hospitals that only shed and build capacity on their own",
    )
    management_per_enrolee: float = P(
        20.0,
        "GBP per enrolee-year, ICP running cost",
        assumption=(5, 60),
        note="transaction costs, seed 000:187-188",
    )
    community_outpatient_cost_ratio: float = P(
        0.65,
        "cost of an outpatient attendance in community or practice settings / the acute "
        "trust's average cost",
        "seed 003:383-385 (Epsom: outpatients at 65% of trust cost)",
        gt=0,
    )
    community_elective_cost_ratio: float = P(
        0.87,
        "cost of a day-case spell in community settings / the acute trust's average cost",
        "seed 003:383-385 (Epsom: day surgery at 87% of trust cost)",
        gt=0,
    )
    icp_fixed_cost_per_resident: float = P(
        0.0,
        "GBP a year per resident of an ICP's localities that it pays whatever its "
        "enrolment (governance, IT, networks)",
        assumption=(0, 10),
        ge=0,
        note="scale economies: surviving groups are large (seed 004 L1613-1619)",
    )
    tender_cost_per_resident: float = P(
        2.0,
        "GBP per resident of the area, once, for the commissioner to procure an ICP or "
        "lead-provider contract",
        assumption=(0.5, 10),
        ge=0,
        note="'prohibitively costly' tendering (seed 004 L748-750, L757-759)",
    )


# --------------------------------------------------------------------------- providers


class Behaviour(Strict):
    """How providers respond to the margins and surpluses their contracts create."""

    induced_demand_elasticity: float = P(
        0.4,
        "log change in elective volume per unit change in margin/price",
        assumption=(0.0, 1.0),
        note="direction: calibration_targets 2.1; seed 001:202-205",
    )
    emergency_admission_elasticity: float = P(
        0.1,
        "log change in emergency admissions per unit change in margin/price (admission thresholds)",
        assumption=(0.0, 0.3),
        note="0-1 day stays are 49% of emergency admissions (calibration_targets 4.11); growth "
        "levelled off under the marginal rate (2.9)",
    )
    readmission_avoidance_max: float = P(
        0.25,
        "largest share of emergency readmissions a provider can avoid by discharge "
        "planning and follow-up",
        assumption=(0.1, 0.4),
        note="'high-quality care that avoids the need for readmission' (seed 004 L1411-1414)",
    )
    readmission_avoidance_scale: float = P(
        0.5,
        "loss on a readmission / its price at which 63% of the largest cut is made",
        assumption=(0.2, 2.0),
        gt=0,
    )
    community_specialist_prevention_gain: float = P(
        0.5,
        "relative increase in prevention effects when all of an ICP's specialists work in "
        "the community",
        assumption=(0.0, 1.0),
        ge=0,
        note="Bolton: lowest bed days per person with diabetes in Greater Manchester "
        "(seed 002 L493-495)",
    )
    intermediate_care_admission_effect: float = P(
        0.15,
        "largest fractional cut in emergency admissions of high-risk enrolees from "
        "intermediate (step-up) care",
        assumption=(0.05, 0.3),
        ge=0,
        lt=1,
        note="Torbay: low emergency admissions over 65 (calibration_targets 7.4)",
    )
    intermediate_care_los_effect: float = P(
        0.5,
        "largest share of delayed-transfer days removed by intermediate (step-down) care",
        assumption=(0.2, 0.9),
        ge=0,
        le=1,
        note="Torbay: minimal delayed transfers of care (calibration_targets 7.4)",
    )
    delayed_transfer_share: float = P(
        0.1,
        "share of high-risk enrolees' bed days that are delayed transfers of care",
        assumption=(0.03, 0.2),
        ge=0,
        lt=1,
    )
    intermediate_care_half_spend: float = P(
        100.0,
        "GBP per high-risk enrolee-year for 63% of the largest intermediate-care effect",
        assumption=(30, 300),
        gt=0,
    )
    los_elasticity: float = P(
        0.25,
        "log change in LOS per unit change in unpaid share of bed-day cost",
        assumption=(0.0, 0.5),
        note="direction: calibration_targets 2.1, 2.4",
    )
    referral_management_max: float = P(
        0.15,
        "max share of elective and outpatient referrals an ICP can avoid",
        assumption=(0.05, 0.3),
        note="seed 000:804-808 'minimise the use of hospital'",
    )
    referral_management_scale: float = P(
        0.5, "net cost/price at which 63% of max is used", assumption=(0.2, 2.0), gt=0
    )
    prevention_max_effect: float = P(
        0.3,
        "max fractional cut in avoidable emergency admissions of high-risk enrolees",
        assumption=(0.1, 0.5),
        note="Knowsley -12% short-stay cardiology (seed 004 "
        "L2507-2513); VHA -50% bed days is an upper bound "
        "(seed 001:609-613)",
    )
    prevention_other_emergency_effect: float = P(
        0.1,
        "max fractional cut in other emergency admissions of high-risk enrolees",
        assumption=(0.0, 0.2),
    )
    prevention_half_spend: float = P(
        50.0, "GBP per high-risk enrolee-year for 63% of max", assumption=(20, 300), gt=0
    )
    coordination_los_effect: float = P(
        0.15,
        "max fractional cut in LOS of high-risk enrolees from care coordination",
        assumption=(0.0, 0.3),
        note="Torbay beds 750->502 (calibration_targets 7.3)",
    )
    maturity_years: float = P(
        5.0,
        "time constant of integration maturity (years)",
        "seed 004 L1618: 15-20 years for US groups (about 3 time constants)",
        gt=0,
    )
    high_risk_threshold: float = P(
        2.5, "risk score at or above which a patient is high-risk", assumption=(1.5, 4.0), gt=0
    )
    quality_base: float = P(
        0.5,
        "quality index of a provider with no extra effort (0-1)",
        assumption=(0.3, 0.7),
        ge=0,
        le=1,
    )
    quality_max_gain: float = P(0.3, "max quality gain from effort", assumption=(0.1, 0.4))
    quality_cost_per_enrolee: float = P(
        40.0, "GBP per enrolee-year per 0.1 of quality gain", assumption=(10, 100), gt=0
    )
    quality_effort_scale: float = P(
        0.5,
        "responsiveness of an ICP's quality effort to the margin a member leaves once the "
        "effort is paid for",
        assumption=(0.02, 0.5),
        note="sim.providers.costs.competitive_quality_gain",
    )
    under_service_quality_penalty: float = P(
        0.5,
        "quality lost per unit of referral management when quality is not monitored",
        assumption=(0.2, 1.0),
        note="seed 002 L1293-1295",
    )
    selection_max: float = P(
        1.0,
        "max utility penalty an ICP can impose on high-risk applicants",
        assumption=(0.3, 2.0),
        note="seed 004 L1347-1358: avoidance of high-risk patients",
    )
    selection_loss_scale: float = P(
        3000.0,
        "GBP expected loss per high-risk enrolee at which 63% of max selection is used",
        assumption=(300, 3000),
        gt=0,
    )
    initial_reserves_share: float = P(0.05, "reserves / first-year revenue", assumption=(0.0, 0.1))
    planning_weight: float = P(
        0.5,
        "weight on last year's outcome in providers' expectations "
        "(rest on the previous expectation)",
        assumption=(0.2, 1.0),
        ge=0,
        le=1,
    )


class Hospital(Strict):
    """Elective waits: how they grow with referred demand against the capacity a hospital
    holds (a trust's or an ICP's own: :mod:`sim.providers.capacity`)."""

    waiting_weeks_base: float = P(
        8.0,
        "weeks, median referral-to-treatment wait at reference load",
        assumption=(4, 18),
        note="over 90% treated within 18 weeks (seed 002 L147-149)",
        gt=0,
    )
    reference_load: float = P(
        0.9, "demand / capacity at which the base wait holds", assumption=(0.8, 0.95), gt=0, lt=1
    )
    waiting_load_sensitivity: float = P(
        5.0, "log change in wait per unit change in load", assumption=(2, 10)
    )
    waiting_weeks_max: float = P(
        52.0,
        "weeks, the longest a wait grows however far demand outruns capacity",
        assumption=(26, 104),
        gt=0,
        note="waits past a year are exceptional when over 90% are "
        "treated within 18 weeks (seed 002 L147-149)",
    )
