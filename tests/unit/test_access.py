"""Selective acceptance, experience of care and word of mouth, worked by hand on hand-made
options and patients."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.parameters import Choice, Costs, Utilisation
from sim.contracts.adjustment import NoRiskAdjustment
from sim.contracts.core import CapitationRule, TariffRule
from sim.contracts.rule import SCOPES
from sim.engine.acceptance import Applicants, ApplicantScreen
from sim.engine.ledger import Ledger
from sim.engine.payments import PaymentGroups
from sim.engine.word_of_mouth import NOTHING_HEARD, neighbour_experience
from sim.patients.choice import LocalOptions, LogitChoice, OptionTable
from sim.patients.experience import YearLived, experience_of_care
from sim.patients.population import Population
from sim.patients.utilisation import COUNTED
from sim.providers.costs import HospitalCosts

COSTS = HospitalCosts(Costs(), Utilisation())
PRICES = {"gp_consultation": 30.0, "outpatient": 100.0, "elective": 2000.0, "emergency": 2500.0}
PRICES["ae"] = 150.0
TARIFF = TariffRule(prices=PRICES, activities=SCOPES["hospital"])
CAPITATION = CapitationRule(rate_per_head=1000.0, adjuster=NoRiskAdjustment(), activities=())
GROUPS = PaymentGroups(  # option 0 the default; 1 a vertical ICP; 2 a virtual one buying at tariff
    group_of=np.array([0, 1, 2], dtype=np.uint8),
    payers=[(TARIFF, TARIFF, True), (CAPITATION, None, False), (CAPITATION, TARIFF, False)],
    age_sex=lambda age, sex: np.ones(len(age)),
)
# three patients: cheap, middling, dear (expected counts a year)
EXPECTED = {
    "gp_consultation": np.array([2.0, 5.0, 10.0], dtype=np.float32),
    "outpatient": np.array([0.5, 1.0, 3.0], dtype=np.float32),
    "elective": np.array([0.0, 0.2, 0.5], dtype=np.float32),
    "emergency": np.array([0.0, 0.1, 0.4], dtype=np.float32),
    "acsc": np.array([0.0, 0.0, 0.2], dtype=np.float32),
    "ae": np.array([0.2, 0.3, 1.0], dtype=np.float32),
}
READMISSION = np.array([0.1, 0.1, 0.1], dtype=np.float32)


def by_hand(i: int, prices: dict[str, float]) -> float:
    """Patient i's expected cost at ``prices``, written out."""
    e = {a: float(v[i]) for a, v in EXPECTED.items()}
    spells = e["emergency"] + e["acsc"]
    readmissions = 0.1 * (spells + e["elective"])
    return (
        e["gp_consultation"] * prices["gp_consultation"]
        + e["outpatient"] * prices["outpatient"]
        + e["elective"] * prices["elective"]
        + (spells + readmissions) * prices["emergency"]
        + e["ae"] * prices["ae"]
    )


def people(locality: list[int], option: list[int]) -> Applicants:
    n = len(locality)
    pop = Population(n)
    pop.age[:], pop.sex[:], pop.risk[:] = 50, 0, 1.0
    pop.years_enrolled[:], pop.experience[:], pop.position[:] = 3, 0.5, 0.5
    pop.locality[:], pop.option[:] = locality, option
    expected = {a: np.resize(EXPECTED[a], n) for a in COUNTED}
    return Applicants(pop, slice(0, n), expected, np.resize(READMISSION, n), np.zeros(n, bool))


def screen(**terms) -> ApplicantScreen:
    s = ApplicantScreen(Choice(acceptance="selective", **terms), COSTS)
    s.begin_year(GROUPS)
    return s


def test_an_icp_weighs_what_its_contract_pays_against_what_the_applicant_costs_it():
    s, applicants = screen(refusal_margin=0.2), people([0, 0, 0], [0, 0, 0])
    own = {"gp_consultation": COSTS.gp_consultation}
    own |= {a: COSTS.average(a) for a in ("outpatient", "elective", "emergency", "ae")}
    bought = {**PRICES, "gp_consultation": COSTS.gp_consultation}
    who = np.arange(3)
    for option, prices in ((1, own), (2, bought)):
        payment, cost = s.expected_margin(option, applicants, who)
        assert payment.tolist() == [1000.0] * 3  # capitation: the same whatever the use
        assert cost == pytest.approx([by_hand(i, prices) for i in range(3)], rel=1e-5)
        unprofitable = s.unprofitable(np.full(3, option), applicants, who)
        assert unprofitable.tolist() == [by_hand(i, prices) > 1200.0 for i in range(3)]
    assert s.unprofitable(np.zeros(3, np.uint8), applicants, who).tolist() == [False] * 3
    assert 0 not in s.terms  # the fragmented default screens nobody


TABLE = OptionTable(  # locality 0: the default and two ICPs; locality 1: ICP 1 only
    available=np.array([[True, True, True], [False, True, False]]),
    quality=np.full((2, 3), 0.5),
    waiting=np.zeros((2, 3)),
    selection=np.zeros((2, 3)),
    site=np.full((2, 3), np.nan),
    radius_km=np.array([5.0, 5.0]),
)


def test_the_refused_choose_again_until_accepted_and_nobody_is_left_without_an_option():
    """Every patient applies to ICP 1; the dear one (row 2) is refused by both ICPs and
    ends in the default; in a locality where ICP 1 is all there is, it must take them."""
    s = screen(refusal_margin=0.2, refusal_probability=1.0)
    rule = LogitChoice(s.params)
    local = LocalOptions.from_table(TABLE, s.params)
    applicants = people([0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0])
    chosen = np.ones(6, dtype=np.uint8)
    current = applicants.population.option.copy()
    rng = np.random.default_rng(0)
    who, option, refused = s.admit(rule, local, applicants, current, chosen, rng)
    bought = {**PRICES, "gp_consultation": COSTS.gp_consultation}
    assert by_hand(2, bought) > 1200 > by_hand(1, bought)  # the thresholds the rows test
    assert chosen[:3].tolist() == [1, 1, 0]  # the dear patient ends where nobody may refuse
    assert chosen[3:].tolist() == [1, 1, 1]  # the last option open always takes its applicant
    applied = {(int(w), int(o)): bool(r) for w, o, r in zip(who, option, refused, strict=True)}
    assert applied[(2, 1)] and not applied[(5, 1)] and not applied[(0, 1)]
    assert applied.get((2, 2), True)  # refused by ICP 2 too, if it applied there


def test_discouragement_refuses_each_unprofitable_applicant_with_its_probability():
    s = screen(refusal_margin=0.2, refusal_probability=0.25)
    rule = LogitChoice(s.params)
    local = LocalOptions.from_table(TABLE, s.params)
    n = 3 * 4000
    applicants = people([0] * n, [0] * n)
    chosen = np.ones(n, dtype=np.uint8)
    who, option, refused = s.admit(
        rule, local, applicants, np.zeros(n, np.uint8), chosen, np.random.default_rng(1)
    )
    first = option == 1
    dear = who[first] % 3 == 2
    assert not refused[first][~dear].any()
    assert refused[first][dear].mean() == pytest.approx(0.25, abs=3 * np.sqrt(0.25 * 0.75 / 4000))


def test_experience_is_quality_less_what_went_wrong_plus_noise():
    lived = dict(
        emergency=np.array([False, True, True, False]),
        avoidable=np.array([False, False, True, False]),
        unmet_need=np.array([0.0, 0.0, 0.5, 0.0], dtype=np.float32),
        elective=np.array([False, False, True, True]),
        wait_weeks=np.array([10.0, 10.0, 20.0, 30.0], dtype=np.float32),
    )
    quality = np.array([0.7, 0.7, 0.7, 0.6], dtype=np.float32)
    noise = np.array([0.5, 0.0, 0.0, -1.0], dtype=np.float32)
    before = Choice()
    out = np.empty(4, dtype=np.float32)
    experience_of_care(before, YearLived(quality.copy(), **lived), noise.copy(), out)
    assert out == pytest.approx([0.75, 0.6, 0.6, 0.5])  # admission penalty 0.1, noise SD 0.1
    after = Choice(
        experience_avoidable_admission_penalty=0.1,
        experience_unmet_need_penalty=0.2,
        experience_long_wait_penalty=0.15,
    )
    experience_of_care(after, YearLived(quality.copy(), **lived), noise.copy(), out)
    # row 2: 0.7 - 0.1 - 0.1 - 0.2 x 0.5 - 0.15 (elective after 20 > 18 weeks); row 3: 0.6 -
    # 0.15 - 0.1
    assert out == pytest.approx([0.75, 0.6, 0.25, 0.35])


def test_word_of_mouth_adds_what_members_say_of_each_option_to_every_patient_there():
    params = Choice(beta_word_of_mouth=1.5)
    heard = np.array([[0.5, 0.8, 0.2], [0.5, 0.3, 0.5]], dtype=np.float32)
    told = OptionTable(**{**vars(TABLE), "neighbour_experience": heard})
    rule = LogitChoice(params)
    args = (np.zeros(2, np.uint8), np.array([0, 1], np.uint16), np.full(2, 0.5, np.float16))
    rest = (np.zeros(2, bool), np.full(2, 0.5, np.float32), np.zeros(2, np.float32))
    dense, before = rule.utilities(told, *args, *rest), rule.utilities(TABLE, *args, *rest)
    assert (dense[0] - before[0]) == pytest.approx(1.5 * (heard[0] - 0.5))
    assert dense[1, 1] - before[1, 1] == pytest.approx(1.5 * (0.3 - 0.5))
    assert np.isneginf(dense[1, [0, 2]]).all()  # closed options stay closed
    local = rule.local_utilities(LocalOptions.from_table(told, params), *args, *rest)
    plain = rule.local_utilities(LocalOptions.from_table(TABLE, params), *args, *rest)
    assert (local[:, 0] - plain[:, 0]) == pytest.approx(1.5 * (heard[0] - 0.5))


def test_neighbours_hear_the_mean_experience_of_an_options_members_in_their_locality():
    ledger = Ledger(2, 2)
    option, locality = np.array([0, 0, 1, 1, 1]), np.array([0, 0, 0, 0, 1])
    keys = ledger.keys(option, locality, np.full(5, 40), np.full(5, 3), np.zeros(5, bool))
    experience = np.array([0.2, 0.4, 0.9, 0.7, 0.6])
    ledger.add(keys, {"population": None, "experience": experience})
    mean = neighbour_experience(ledger)  # (localities, options)
    assert mean == pytest.approx(np.array([[0.3, 0.8], [NOTHING_HEARD, 0.6]]))
