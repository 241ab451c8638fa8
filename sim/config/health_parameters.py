"""The health section: what care withheld or poor does to patients' health and survival.

A scenario's ``[health]`` table. Clinical need, the health state that care received and
care withheld move, the mortality response to it and the utilities QALYs are counted in
(:mod:`sim.patients.health`). Every default is declared with :func:`sim.config.declare.P`:
a published effect size (full citation; the list is in docs/references.md, "Health
outcomes") or an assumption with a plausible range.
"""

from __future__ import annotations

from sim.base.schema import Strict
from sim.config.declare import P

CLEMENT_2021 = (
    "Clement ND, Scott CEH, Murray JRD, Howie CR, Deehan DJ. The number of patients "
    "'worse than death' while waiting for a hip or knee arthroplasty has nearly doubled "
    "during the COVID-19 pandemic: a UK nationwide survey. Bone Joint J 2021;"
    "103-B(4):672-680, doi:10.1302/0301-620X.103B.BJJ-2021-0104.R1"
)
ARA_BRAZIER_2010 = (
    "Ara R, Brazier JE. Populating an economic model with health state utility values: "
    "moving toward better practice. Value Health 2010;13(5):509-518, "
    "doi:10.1111/j.1524-4733.2010.00700.x (Health Survey for England 2003 and 2006)"
)
GOODACRE_2012 = (
    "Goodacre SW, Wilson RW, Bradburn M, Santarelli M, Nicholl JP. Health utility after "
    "emergency medical admission: a cross-sectional survey. Health Qual Life Outcomes "
    "2012;10:20 (mean utility loss 0.32 against norms 30 days after admission)"
)


class Health(Strict):
    """Clinical need, the health state, its mortality response and the QALY weights."""

    # ---------------------------------------------------------------- clinical need
    elective_above_need_share: float = P(
        0.0,
        "share of England's elective volume at the national tariff that is above what "
        "patients' conditions call for (supplier-induced at the calibrated baseline)",
        assumption=(0.0, 0.15),
        ge=0,
        lt=1,
        note="PbR gave 'some evidence' of faster growth in spells (calibration_targets "
        "2.1); no magnitude was found (2.2 NF), so by default England's rates are need",
    )

    # ---------------------------------------------------------------- elective need
    waiting_utility_loss_per_month: float = P(
        0.0135,
        "EQ-5D-3L index points lost per month an elective need waits untreated",
        CLEMENT_2021,
        ge=0,
    )
    treated_recovery: float = P(
        1.0,
        "share of the EQ-5D loss from untreated elective need restored when the need is met",
        assumption=(0.5, 1.0),
        ge=0,
        le=1,
        note="hip replacement restores 0.454 EQ-5D points, knee 0.30 (NHS Digital PROMs "
        "2018-19; Eur J Health Econ 2014 doi:10.1007/s10198-013-0489-9), more than a "
        "year's waiting loss",
    )
    health_loss_max: float = P(
        0.5,
        "EQ-5D points, the largest loss untreated elective need builds up",
        assumption=(0.3, 0.6),
        gt=0,
        note="about the gain of a hip replacement (0.454, NHS Digital PROMs 2018-19)",
    )
    waiting_mortality_per_month: float = P(
        0.0025,
        "relative rise in the annual probability of death per month of untreated elective need",
        assumption=(0.0, 0.005),
        ge=0,
        note="no figure found for hip, knee or cataract waits (harm is measured in EQ-5D); "
        "coronary bypass waits are an upper bound for a small share: +11% a month (Rexius H "
        "et al. Ann Thorac Surg 2004;77(3):769-74), in-hospital OR 1.05 a month (Sobolev BG "
        "et al. BMC Health Serv Res 2008;8:185, doi:10.1186/1472-6963-8-185)",
    )

    # ---------------------------------------------------------------- avoidable admissions
    acsc_qaly_loss: float = P(
        0.05,
        "QALYs lost per emergency admission for an ambulatory-care-sensitive condition",
        assumption=(0.02, 0.08),
        ge=0,
        note=f"a 0.32 utility loss lasting 1-3 months: {GOODACRE_2012}",
    )
    acsc_death_risk: float = P(
        0.02,
        "excess probability of death (next year) per ACSC admission not prevented",
        assumption=(0.0, 0.09),
        ge=0,
        le=1,
        note="inpatient mortality COPD 3.6% (RCP National Asthma and COPD Audit 2018/19, "
        "2020), heart failure 8.9% (National Heart Failure Audit 2015/16), DKA at most "
        "0.16% (Gibb FW et al. Diabetologia 2016;59(10), doi:10.1007/s00125-016-4034-0); "
        "part of it is background risk",
    )

    # ---------------------------------------------------------------- readmissions
    readmission_preventable_share: float = P(
        0.30,
        "share of emergency readmissions within 30 days that are potentially preventable",
        "Blunt I, Bardsley M, Grove A, Clarke A. Classifying emergency 30-day readmissions "
        "in England using routine hospital data 2004-2010: what is the scope for reduction? "
        "Emerg Med J 2015;32(1):44",
        ge=0,
        le=1,
    )
    readmission_qaly_loss: float = P(
        0.05,
        "QALYs lost per preventable readmission",
        assumption=(0.02, 0.08),
        ge=0,
        note=f"as an emergency admission: {GOODACRE_2012}",
    )
    readmission_death_risk: float = P(
        0.01,
        "excess probability of death (next year) per preventable readmission",
        assumption=(0.005, 0.045),
        ge=0,
        le=1,
        note="30-day mortality 9.2% after one early readmission, OR 3.4, mostly frailty "
        "(Fluck D et al. Intern Emerg Med 2021;16(6):1497-1505, "
        "doi:10.1007/s11739-020-02599-3); a causal relative risk of 1.2-1.5 on 2.7-9.2%",
    )

    # ---------------------------------------------------------------- quality of care
    quality_mortality_effect: float = P(
        0.075,
        "relative excess probability of death of an admitted patient per unit of the "
        "provider's quality index below 1",
        assumption=(0.0, 0.15),
        ge=0,
        note="3.6% (3.0-4.3%) of hospital deaths judged avoidable (Hogan H, Zipfel R, "
        "Neuburger J, Hutchings A, Darzi A, Black N. BMJ 2015;351:h3239), read as the "
        "excess at the default's quality 0.5: 0.036 / 0.964 / 0.5; primary-care quality "
        "showed no link to mortality (Kontopantelis E et al. BMJ 2015;350:h904)",
    )

    # ---------------------------------------------------------------- utilities
    utility_intercept: float = P(
        0.9508566, "EQ-5D-3L index, general population at age 0, female", ARA_BRAZIER_2010
    )
    utility_male: float = P(0.0212126, "EQ-5D-3L index, male less female", ARA_BRAZIER_2010)
    utility_age: float = P(-0.0002587, "EQ-5D-3L index per year of age", ARA_BRAZIER_2010)
    utility_age_squared: float = P(
        -0.0000332, "EQ-5D-3L index per year of age squared", ARA_BRAZIER_2010
    )
    utility_decrement_diabetes: float = P(
        0.05,
        "EQ-5D points below the age-sex norm with diabetes",
        assumption=(0.0, 0.1),
        ge=0,
        note="0.785 without complications (Clarke P, Gray A, Holman R. UKPDS 62. Med Decis "
        "Making 2002;22(4):340-9; value recalled, not verified)",
    )
    utility_decrement_copd: float = P(
        0.10,
        "EQ-5D points below the age-sex norm with COPD",
        assumption=(0.05, 0.17),
        ge=0,
        note="pooled EQ-5D 0.673 (0.653-0.693), GOLD I 0.820 to IV 0.624 (Moayeri F, Hsueh "
        "YA, Clarke P, Dunt D. COPD 2016, doi:10.3109/15412555.2015.1092953)",
    )
    utility_decrement_heart_failure: float = P(
        0.12,
        "EQ-5D points below the age-sex norm with heart failure",
        assumption=(0.05, 0.3),
        ge=0,
        note="0.78 mild to 0.51 severe (Dyer MT, Goldsmith KA, Sharples LS, Buxton MJ. "
        "Health Qual Life Outcomes 2010;8:13, doi:10.1186/1477-7525-8-13)",
    )
    utility_decrement_dementia: float = P(
        0.15,
        "EQ-5D points below the age-sex norm with dementia",
        assumption=(0.05, 0.4),
        ge=0,
        note="no UK EQ-5D found; proxy ratings run lower than self-ratings (Orgeta V et al. "
        "Qual Life Res 2015;24(2):315-324)",
    )
    utility_decrement_other: float = P(
        0.03,
        "EQ-5D points below the age-sex norm with another long-term condition",
        assumption=(0.0, 0.06),
        ge=0,
    )
    discount_rate: float = P(
        0.035,
        "a year, on the QALYs an amenable death loses in the years after",
        assumption=(0.0, 0.06),
        ge=0,
        note="the NICE reference case (NICE health technology evaluations: the manual, "
        "PMG36, 2022)",
    )

    def condition_decrements(self) -> list[float]:
        """Utility decrements in the order of :data:`sim.patients.epidemiology.CONDITIONS`."""
        return [
            self.utility_decrement_diabetes,
            self.utility_decrement_copd,
            self.utility_decrement_heart_failure,
            self.utility_decrement_dementia,
            self.utility_decrement_other,
        ]
