"""The patients' choice parameters (``[choice]``): what a patient weighs each year when
choosing between the options open in their locality, and the acceptance rule ICPs apply.

Kept apart from :mod:`sim.config.parameters` (which re-exports :class:`Choice`) so the
utility's terms, each with its source, read as one table: :mod:`sim.patients.choice`
adds them up.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.base.schema import Strict
from sim.config.declare import P

DOUVEN_2017 = (
    "Douven R, Katona K, Schut FT, Shestalova V (2017). Switching gains and health plan price "
    "elasticities: 20 years of managed competition reforms in the Netherlands. Eur J Health "
    "Econ 18(8):1047-1064: short-term premium elasticities of a health plan's enrolment of "
    "-0.9 to -2.2 in 2007-2015, after the 2006 reform"
)


class Choice(Strict):
    """Annual random-utility (logit) choice between the options open in a locality."""

    enabled: bool = True
    inertia: float = P(
        2.35,
        "utility of staying with the current option",
        assumption=(1.0, 5.0),
        note="fitted by scenarios/calibration/choice.toml to 5-11% annual switching between "
        "ICPs and the default in every year (calibration_targets 5.5): best trial 2.402, sd "
        "of the best trials 0.08 (docs/validation/calibration/choice)",
    )
    inertia_age_65_plus: float = P(
        0.8, "extra inertia if aged 65+", assumption=(0.0, 2.0), note="calibration_targets 5.4"
    )
    inertia_ltc: float = P(
        1.6,
        "extra inertia with a long-term condition",
        "calibration_targets 5.4: chronically ill young 1% vs 17% switching",
    )
    beta_quality: float = P(
        4.0,
        "utility per unit of quality index",
        assumption=(1.0, 8.0),
        note="1 SD quality -> +17% practice size, calibration_targets 5.8",
    )
    beta_experience: float = P(
        2.0,
        "utility per unit of own last-year experience relative to 0.5",
        assumption=(0.5, 4.0),
        note="calibration_targets 5.7: poor trust -> 4.6x disenrolment",
    )
    beta_waiting: float = P(
        -0.04,
        "utility per week of waiting",
        assumption=(-0.1, -0.01),
        note="waiting elasticity -0.04, calibration_targets 5.11",
    )
    beta_distance: float = P(
        -0.15,
        "utility per km to the main site",
        assumption=(-0.4, -0.05),
        note="proximity the top reason, 58% (calibration_targets 5.9)",
    )
    gp_distance_km: float = P(
        1.0, "km to the nearest GP practice of the fragmented default", assumption=(0.5, 3.0)
    )
    beta_benefits: float = P(
        0.3,
        "utility per GBP 100 a year of extra benefits above the standard package",
        assumption=(0.1, 0.6),
        note="insurers compete on premiums and packages (seed 000:479-483); against "
        "beta_waiting, GBP 100 a year is worth about 7.5 weeks less waiting",
    )
    beta_premium: float = P(
        1.05,
        "utility lost per GBP 100 a year of top-up premium an option charges",
        assumption=(0.6, 1.5),
        gt=0,
        note="fitted so that an insurer's short-term premium elasticity of enrolment in "
        "scenarios/dutch_nominal_premiums.toml (whose premium is half the capitation, as Dutch "
        "community-rated premiums pay about half of basic insurance) is the middle of the "
        "range in "
        + DOUVEN_2017
        + ": -1.57 (SE 0.05; 131 insurer-years, one premium raised 5% for a year against the "
        "same model, years 2-6 of 8 seeds at 20,000 patients, tests/test_premiums.py); the "
        "range maps -0.9 and -2.2. Medicare Advantage members are far less premium-sensitive "
        "(elasticity -0.20) and 2-3 times more responsive to lower cost sharing (Jacobs PD, "
        "Buntin MB. Am J Manag Care 2015;21(7):498-504), so beta_benefits may be low beside it",
    )
    experience_noise: float = P(
        0.1, "SD of experience around the option's quality", assumption=(0.05, 0.2)
    )
    experience_admission_penalty: float = P(
        0.1, "experience lost after an emergency admission", assumption=(0.0, 0.2)
    )
    new_entrant_inertia: float = P(
        0.0, "inertia for patients choosing for the first time", assumption=(0.0, 1.0)
    )
    # acceptance rules (sim.engine.acceptance): mandatory acceptance of enrolees is one of the
    # safeguards of competing integrated systems (seed 000:758-765, 491-492); 'selective' lets
    # each ICP refuse or discourage applicants it expects to lose money on
    acceptance: Literal["mandatory", "selective"] = Field(
        "mandatory",
        description="mandatory: every applicant is accepted; selective: an ICP refuses, with "
        "refusal_probability, an applicant whose expected cost exceeds their expected payment "
        "by more than refusal_margin",
    )
    refusal_margin: float = P(
        0.2,
        "share of an applicant's expected payment by which their expected cost must exceed it "
        "before an ICP refuses them",
        assumption=(0.0, 0.5),
        note="judgement: an expected loss within a plan's usual operating margin is taken on",
    )
    refusal_probability: float = P(
        0.5,
        "probability that an ICP free to select refuses or discourages an applicant it expects "
        "to lose money on beyond the margin",
        assumption=(0.16, 1.0),
        note="English practices turn applicants away even where the rules forbid it: 16% of "
        "38 Hackney practices required ID or proof of address (Healthwatch Hackney, GP "
        "registration in Hackney, third review, 2022); 75% of 100 London practice websites "
        "asked for documentation and 12% had a policy for those without (Hodson N, Ford E, "
        "Cooper M. Br J Gen Pract 2019;69(687):e731-e739)",
    )
    # experience and word of mouth (sim.patients.experience): patients have little independent
    # information about the systems they choose between (seed 000:511-514)
    experience_avoidable_admission_penalty: float = P(
        0.0,
        "experience lost (0-1 scale) after an avoidable (ACSC) emergency admission, beside "
        "the emergency admission's own penalty",
        assumption=(0.0, 0.2),
        note="0 keeps experience as before",
    )
    experience_unmet_need_penalty: float = P(
        0.0,
        "experience lost (0-1 scale) per elective needed and not supplied this year",
        assumption=(0.0, 0.3),
        note="0 keeps experience as before",
    )
    experience_long_wait_penalty: float = P(
        0.0,
        "experience lost (0-1 scale) by a patient admitted for an elective whose option's "
        "wait exceeded long_wait_weeks",
        assumption=(0.0, 0.2),
        note="0 keeps experience as before",
    )
    long_wait_weeks: float = P(
        18.0,
        "weeks of elective wait beyond which a wait counts as long",
        "NHS Constitution for England: the right to start consultant-led treatment within a "
        "maximum of 18 weeks from referral (DHSC, Right to start consultant-led treatment "
        "within 18 weeks, 2012)",
        gt=0,
    )
    beta_word_of_mouth: float = P(
        0.0,
        "utility per unit of the mean last-year experience of an option's members in the "
        "patient's locality, relative to 0.5 (what neighbours say of it)",
        assumption=(0.0, 4.0),
        note="half of US adults choosing a new primary care physician relied on friends and "
        "relatives, 11% on online information (Tu HT, Lauer JR. Word of mouth and physician "
        "referrals still drive health care provider choice. HSC Research Brief No. 9, 2008); "
        "0 keeps choice as before",
    )
