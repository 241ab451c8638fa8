"""The social-care section (``[social_care]``): each locality's local authority, its budget,
the care packages it buys for people leaving hospital, and a pooled budget with health.

Local authorities are responsible for social care, "on which many of the most vulnerable
users depend" (seed 002 L662-664). When care is short, patients ready to leave hospital
wait in a bed (delayed transfers of care); a pooled budget lets a joint manager spend
health money on social care where it saves more hospital care than it costs (Torbay, seed
002 L497-515; seed 003:546-573; calibration_targets 7.4). Off by default: nothing here
moves any existing result until a scenario switches it on (:mod:`sim.providers.social_care`).
"""

from __future__ import annotations

from sim.base.schema import Strict
from sim.config.declare import P

GRANT_THORNTON_2019 = (
    "Grant Thornton (2019). Only the South West and East Midlands have experienced increased "
    "adult social care spend per head. Public Sector Insights: national average adult "
    "social care expenditure GBP 362 per head in 2011/12, GBP 352 in 2017/18 (secondary "
    "source, from local authority revenue outturn)"
)
COMMONS_LIBRARY_DTOC = (
    "House of Commons Library (2018). Delayed transfers of care in the NHS. Briefing paper "
    "CBP-7415: 2.3 million delayed transfer days in England in 2016/17 (about 6,200 a "
    "day); NHS England monthly statistics, September 2016: 34.4% of delayed days "
    "attributable to social care and 7.8% jointly to the NHS and social care"
)


class SocialCare(Strict):
    """Each locality's local-authority budget, its discharge care packages and delays, and
    a pooled share of the health and social-care budgets."""

    enabled: bool = False

    spend_per_head: float = P(
        362.0,
        "GBP per resident-year: the local authority's adult social care budget",
        GRANT_THORNTON_2019,
        note="England's 2011/12 average, the period the model's baseline is calibrated to",
        ge=0,
    )
    reference_spend_per_head: float = P(
        362.0,
        "GBP per resident-year: the budget the calibrated lengths of stay reflect (England's "
        "average); delays are booked against the delays a budget this size would give",
        GRANT_THORNTON_2019,
        note="the baseline lengths of stay are England's, delays at England's social-care "
        "budget included, so only delays beyond (or short of) that level are new bed days",
        gt=0,
    )
    discharge_share: float = P(
        0.1,
        "share of the budget that buys care packages for people leaving hospital",
        assumption=(0.05, 0.3),
        gt=0,
        note="no published split of adult social care spend by route of referral found",
    )
    package_cost: float = P(
        3900.0,
        "GBP per care package arranged on leaving hospital (home care or a placement, "
        "over the weeks it lasts)",
        assumption=(1000.0, 15000.0),
        gt=0,
        note="set so that England's average budget buys about 93% of the packages its older "
        "emergency patients need (derived: discharge_share x 362 GBP buys 9.3 packages per "
        "1,000 residents against about 10 needed; see need_share and wait_days)",
    )
    need_share: float = P(
        0.2,
        "share of emergency admissions of patients aged 65+ whose discharge needs a new "
        "social-care package",
        assumption=(0.1, 0.35),
        note="the calibrated population has about 50 emergency admissions aged 65+ per 1,000 "
        "residents (about 280 per 1,000 aged 65+; calibration_targets 7.6: over 250), so "
        "about 10 packages per 1,000 residents a year; 'awaiting care package in their own "
        "home' is the main social-care reason for delay (" + COMMONS_LIBRARY_DTOC + ")",
    )
    wait_days: float = P(
        20.0,
        "days a discharge needing a package waits in a hospital bed when none is free",
        assumption=(10.0, 40.0),
        gt=0,
        note="with about 0.7 packages per 1,000 residents short, about 15 delayed days per "
        "1,000 a year, against England's 16: 2.3m days x (34.4% + 7.8%/2) over about 55m "
        "people (derived from " + COMMONS_LIBRARY_DTOC + ")",
    )
    care_cost_per_day: float = P(
        60.0,
        "GBP per day of social care for a patient discharged earlier than the calibrated "
        "stay (the days social care covers instead of the hospital)",
        assumption=(20.0, 150.0),
        ge=0,
        note="cost shifting between health and social care (seed 002 L858; seed 004 L1419)",
    )
    pooled_share: float = P(
        0.0,
        "share of both the health (commissioner) and social-care budgets put into a pool "
        "that a joint manager spends where it saves most",
        assumption=(0.0, 0.1),
        note="Torbay's pooled budgets (seed 002 L503-505; seed 003:546-550); 0 = no pool",
    )
    health_spend_per_head: float = P(
        1900.0,
        "GBP per resident-year of health spend, from which the pool's part is taken",
        "calibration_targets 4.34",
        ge=0,
    )
