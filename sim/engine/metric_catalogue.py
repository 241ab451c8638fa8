"""What each metric means: its unit, a one-line definition and where it is reported.

One declaration per metric, read by the metric dictionary (``docs/metrics.md``, written by
``python -m sim.report.metric_dictionary``) and by the figures' axis labels, so a metric's
unit and meaning are stated once. Scope says which cells of the tidy metrics frame hold it:

* ``"every"``: every system (each provider option and ``all``) and every group;
* ``"population"``: group ``all`` only, for the systems it applies to (books by provider
  kind: practices in the fragmented default, ICPs in their own systems, each with ``all``);
* ``"market"``: system ``all`` and group ``all`` only (one value for the whole market);
* ``"oldest"``: every system, and every group that holds people aged 85 and over (all but
  ``age_0_64``).

A metric added to :data:`sim.engine.metrics.METRICS` needs an entry here; a test names any
that lacks one.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Scope = Literal["every", "population", "market", "oldest"]


class MetricInfo(NamedTuple):
    """A metric's unit, one-line definition and scope (see the module docstring)."""

    unit: str
    definition: str
    scope: Scope = "every"


_PER_1000 = "per 1,000 people per year"
_GBP_HEAD = "GBP per person per year"
_GBP_ENROLEE = "GBP per enrolee per year"

METRIC_CATALOGUE: dict[str, MetricInfo] = {
    "population": MetricInfo("people", "Patients registered in the system and group this year."),
    "enrolment_share": MetricInfo("share, 0-1", "The system's share of the group's population."),
    "switching_rate": MetricInfo(
        "share of enrolees per year", "Enrolees who moved to this system from another this year."
    ),
    "mean_risk": MetricInfo("relative risk index", "Mean true risk of the system's enrolees."),
    "gp_consultations_per_1000": MetricInfo(_PER_1000, "GP consultations."),
    "outpatient_per_1000": MetricInfo(_PER_1000, "Outpatient attendances."),
    "elective_admissions_per_1000": MetricInfo(_PER_1000, "Elective (planned) admissions."),
    "emergency_admissions_per_1000": MetricInfo(
        _PER_1000, "Emergency admissions, readmissions included."
    ),
    "avoidable_emergency_admissions_per_1000": MetricInfo(
        _PER_1000, "Emergency admissions for ambulatory care sensitive conditions (ACSC)."
    ),
    "bed_days_per_1000": MetricInfo(_PER_1000, "Hospital bed days."),
    "frequent_85_plus_bed_days_per_1000": MetricInfo(
        "per 1,000 people aged 85+ per year",
        "Bed days of patients aged 85 and over with two or more emergency admissions this "
        "year (Torbay's measure, calibration_targets 7.2).",
        "oldest",
    ),
    "readmissions_per_1000": MetricInfo(_PER_1000, "Emergency readmissions."),
    "ae_attendances_per_1000": MetricInfo(_PER_1000, "A&E attendances."),
    "cost_per_capita": MetricInfo(
        _GBP_HEAD,
        "Commissioner spend: contract payments with settlements, support to trusts in "
        "deficit and the transaction costs the commissioner bears.",
    ),
    "provider_surplus": MetricInfo(
        "GBP per year", "Surplus of the system's providers this year.", "population"
    ),
    "quality": MetricInfo("index, 0-1", "Mean quality of the care enrolees received."),
    "measured_quality": MetricInfo(
        "index, 0-1",
        "Quality measured from the system's outcomes against case-mix expectations (amenable "
        "deaths, avoidable admissions, readmissions, unmet need, waits); 0.5 is as expected.",
    ),
    "published_quality": MetricInfo(
        "index, 0-1",
        "The measured quality as published: a year late, with sampling noise, shrunk towards "
        "0.5 for small systems; what patients choose on.",
    ),
    "waiting_weeks": MetricInfo("weeks", "Mean elective waiting time enrolees faced."),
    "selection_gap": MetricInfo(
        "relative risk",
        "Mean risk of the group's whole population less that of the system's enrolees "
        "(positive: the system holds healthier patients).",
    ),
    "induced_demand": MetricInfo(
        "share of clinical need", "Electives supplied above patients' clinical need."
    ),
    "under_service": MetricInfo(
        "share of clinical need", "Clinical need for electives left unmet."
    ),
    "transaction_costs_per_capita": MetricInfo(
        _GBP_ENROLEE,
        "Contract administration, ICP running and fixed costs and procurement of new ICPs.",
        "population",
    ),
    "fragmentation": MetricInfo(
        "share, 0-1",
        "Share of the system's care spend, at national prices, that the organisation its "
        "patients are registered with is not financially accountable for.",
        "population",
    ),
    "settlement_per_capita": MetricInfo(
        _GBP_ENROLEE, "Year-end contract settlements (included in cost_per_capita)."
    ),
    "trust_income_per_capita": MetricInfo(
        _GBP_ENROLEE, "Payments to acute trusts for the care of the system's patients."
    ),
    "provider_reserves": MetricInfo(
        "GBP", "Reserves of the system's providers at year end.", "population"
    ),
    "icps_open": MetricInfo("ICPs", "Integrated care partnerships open at year end.", "market"),
    "market_concentration": MetricInfo(
        "Herfindahl index, 0-1", "Sum of squared enrolment shares of the systems.", "market"
    ),
    "resource_cost_per_capita": MetricInfo(
        _GBP_HEAD,
        "What the care cost the providers that delivered it, at their own costs, plus every "
        "transaction and takeover cost.",
        "population",
    ),
    "commissioner_transaction_costs_per_capita": MetricInfo(
        _GBP_HEAD,
        "Transaction costs the commissioner bears: contract administration and procurement.",
        "population",
    ),
    "trust_revenue_per_capita": MetricInfo(
        _GBP_ENROLEE, "Acute trusts' revenue for the care of the system's patients.", "population"
    ),
    "trust_cost_per_capita": MetricInfo(
        _GBP_ENROLEE, "Acute trusts' cost of the care of the system's patients.", "population"
    ),
    "trust_surplus_per_capita": MetricInfo(
        _GBP_ENROLEE, "Acute trusts' revenue less cost for the system's patients.", "population"
    ),
    "trust_support_per_capita": MetricInfo(
        _GBP_ENROLEE,
        "Bail-outs, write-offs and takeover costs for trusts in deficit.",
        "population",
    ),
    "trust_reserves": MetricInfo("GBP", "Acute trusts' reserves at year end.", "market"),
    "practice_revenue_per_capita": MetricInfo(
        _GBP_ENROLEE, "GP practices' revenue for their patients' care.", "population"
    ),
    "practice_cost_per_capita": MetricInfo(
        _GBP_ENROLEE, "GP practices' cost of their patients' care.", "population"
    ),
    "practice_surplus_per_capita": MetricInfo(
        _GBP_ENROLEE, "GP practices' revenue less cost.", "population"
    ),
    "practice_reserves": MetricInfo("GBP", "GP practices' reserves at year end.", "population"),
    "icp_revenue_per_capita": MetricInfo(
        _GBP_ENROLEE, "ICPs' revenue for their enrolees' care.", "population"
    ),
    "icp_cost_per_capita": MetricInfo(
        _GBP_ENROLEE, "ICPs' cost of their enrolees' care, running costs included.", "population"
    ),
    "icp_surplus_per_capita": MetricInfo(_GBP_ENROLEE, "ICPs' revenue less cost.", "population"),
    "icp_reserves": MetricInfo("GBP", "ICPs' reserves at year end.", "population"),
    "icp_quality_effort_per_capita": MetricInfo(
        _GBP_ENROLEE,
        "What ICPs spent on quality effort (in their cost): with their running costs, what "
        "the ICP system spends that the fragmented default does not.",
        "population",
    ),
    "icp_running_costs_per_capita": MetricInfo(
        _GBP_ENROLEE,
        "ICPs' running costs: management per enrolee and any fixed cost of their areas (in "
        "their cost, and in the transaction costs).",
        "population",
    ),
    "icp_rescue_per_capita": MetricInfo(
        _GBP_ENROLEE,
        "Deficits the commissioner covered for an ICP it could not let close, the last option "
        "in one of its localities (in the ICPs' revenue, and in the commissioner's spend).",
        "population",
    ),
    "deaths_per_1000": MetricInfo(_PER_1000, "Deaths, in the system and group the dead were in."),
    "amenable_deaths_per_1000": MetricInfo(
        _PER_1000,
        "Deaths timely care would have avoided: the excess over the probability of death "
        "with full access, expected next year from this year's care.",
    ),
    "qalys_per_capita": MetricInfo(
        "QALYs per person per year", "Quality-adjusted life years lived this year."
    ),
    "qalys_lost_per_capita": MetricInfo(
        "QALYs per person per year",
        "QALYs lost against full access: morbidity of care withheld or poor this year and "
        "the discounted QALYs its amenable deaths take away.",
    ),
    "unmet_need_per_1000": MetricInfo(
        _PER_1000, "Electives patients' conditions call for that were not supplied this year."
    ),
    "icp_margin": MetricInfo(
        "share of revenue",
        "ICPs' surplus over their revenue (extra benefits and claw-back included); reported "
        "when the scenario's [commissioner] rules are on.",
        "population",
    ),
    "icp_benefits_per_capita": MetricInfo(
        _GBP_ENROLEE,
        "Extra benefits above the standard package ICPs spent on their members (in their "
        "cost); reported when the [commissioner] rules are on.",
        "population",
    ),
    "icp_clawback_per_capita": MetricInfo(
        _GBP_ENROLEE,
        "Surplus above the profit cap the commissioner clawed back at settlement; reported "
        "when the [commissioner] rules are on.",
        "population",
    ),
    "capitation_rate_ratio": MetricInfo(
        "multiple of the contract's rate",
        "What the commissioner paid ICPs this year (rebased, bid or fixed) over what their "
        "contract's own rate paid; reported when the [commissioner] rules are on.",
        "population",
    ),
    "icp_premium_per_capita": MetricInfo(
        _GBP_ENROLEE,
        "Top-up premium ICP members paid their ICP (in its revenue, not the commissioner's "
        "spend, which is lower by the top-up for each member); reported where "
        "[commissioner.premium] sets one.",
        "population",
    ),
    "premiums_per_capita": MetricInfo(
        _GBP_HEAD,
        "Top-up premiums the system's people paid their ICP, by group (the fragmented default "
        "charges none; the whole population's is what households paid beside the "
        "commissioner's spend); reported where [commissioner.premium] sets one.",
    ),
    "applicants_refused_share": MetricInfo(
        "share of applicants, 0-1",
        "Applicants (patients choosing the system who were not its members) it refused or "
        "discouraged, by the applicants' group; reported under selective acceptance only.",
        "every",
    ),
    "social_care_spend_per_capita": MetricInfo(
        "GBP per resident per year",
        "Local authorities' social-care spend: their budgets plus health money a pooled "
        "budget spent on social care ([social_care] on).",
        "market",
    ),
    "delayed_transfer_days_per_1000": MetricInfo(
        "days per 1,000 residents per year",
        "Days patients ready to leave hospital waited for a social-care package "
        "([social_care] on).",
        "market",
    ),
    "cost_shifted_to_social_care_per_capita": MetricInfo(
        "GBP per resident per year",
        "Social care for patients needing it who were discharged before the calibrated stay "
        "([social_care] on).",
        "market",
    ),
    "cost_shifted_to_health_per_capita": MetricInfo(
        "GBP per resident per year",
        "Bed-day cost of delayed transfers beyond those England's average social-care "
        "budget gives, booked in the hospitals' costs; negative where fewer ([social_care] on).",
        "market",
    ),
    "pooled_to_social_care_per_capita": MetricInfo(
        "GBP per resident per year",
        "Health money a pooled budget moved into social-care packages ([social_care] on).",
        "market",
    ),
    "hospital_cost_top1_population_share": MetricInfo(
        "share, 0-1",
        "Hospital cost of the 1% of the population with the most, over all hospital cost, "
        "this year (calibration_targets 9.1: 0.32).",
        "market",
    ),
    "hospital_cost_top1_patient_share": MetricInfo(
        "share, 0-1",
        "The same for the 1% with the most among people with any hospital use "
        "(calibration_targets 9.1: 0.18).",
        "market",
    ),
    "hospital_cost_top1_population_share_65plus": MetricInfo(
        "share, 0-1",
        "The population share among people aged 65 and over (calibration_targets 9.1: 0.22).",
        "market",
    ),
    "hospital_cost_top1_patient_share_65plus": MetricInfo(
        "share, 0-1",
        "The patient share among people aged 65 and over (calibration_targets 9.1: 0.13).",
        "market",
    ),
    "cost_top1_share": MetricInfo(
        "share, 0-1",
        "All care cost (GP and hospital) of the 1% of the population with the most, over the "
        "total (calibration_targets 9.3, US: over 0.20).",
        "market",
    ),
    "cost_top5_share": MetricInfo(
        "share, 0-1",
        "All care cost of the 5% with the most, over the total (calibration_targets 9.2: "
        "about 0.50).",
        "market",
    ),
    "cost_top1_persistence": MetricInfo(
        "share, 0-1",
        "Of last year's top 1% by all care cost, the share in this year's top 1%, among "
        "people registered both years (calibration_targets 9.4: 0.14-0.20).",
        "market",
    ),
    "cost_top10_persistence": MetricInfo(
        "share, 0-1",
        "The same for the top 10% (calibration_targets 9.4: 0.43-0.45).",
        "market",
    ),
    "cost_r2_age_sex": MetricInfo(
        "R-squared, 0-1",
        "Variance of individual annual cost explained by the age-sex formula "
        "(calibration_targets 6.7-6.9: a few per cent).",
        "market",
    ),
    "cost_r2_adjuster": MetricInfo(
        "R-squared, 0-1",
        "Variance of individual annual cost explained by the scenario's risk adjuster (its "
        "ICP capitation's, else its GP contract's); a full adjuster asks for its r_squared.",
        "market",
    ),
    "cost_r2_expected": MetricInfo(
        "R-squared, 0-1",
        "Variance of individual annual cost explained by each patient's true expected cost: "
        "the most any formula could explain.",
        "market",
    ),
}
"""Every metric's unit, definition and scope, in the order of the metric list."""
