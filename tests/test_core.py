"""Core engine behaviour: conservation, seeds, calibration to England, demography, choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import scenario, value

from sim.engine.fragmentation import fragmentation_by_system
from sim.engine.market import MARKET_METRICS
from sim.engine.metrics import COLUMNS, DTYPES, GROUPS, METRICS, SWITCHED_ON
from sim.engine.metrics_log import MetricsLog
from sim.engine.model import ICSModel
from sim.engine.run import metrics_frame, simulate
from sim.engine.social_care_metrics import SOCIAL_CARE_METRICS
from sim.patients.calibration import REFERENCE_SEED, calibrate
from sim.patients.population import synthesize


def _competing_model() -> ICSModel:
    return ICSModel(scenario("competing_icps_capitation"), seed=11, patients=8000, years=6)


@pytest.fixture(scope="module")
def competing_model() -> ICSModel:
    """The competing-ICPs scenario, run to the end (whichever test asks first)."""
    model = _competing_model()
    model.run()
    return model


def test_conservation_every_year() -> None:
    m = _competing_model()
    n = m.population.n
    for _ in range(m.n_years):
        m.step()
        option = m.population.option
        assert option.max() < len(m.options), "a patient is enrolled in an unknown option"
        assert np.bincount(option, minlength=len(m.options)).sum() == n
        assert m.ledger.sum("population") == n, "each living patient counted exactly once"
        paid = (
            sum(p.revenue for p in m.practices.values())
            + m.ledger.sum("hospital_payment", option=0)
            + sum(icp.revenue for icp in m.icps)
        )
        assert m.commissioner.spend == pytest.approx(paid, rel=1e-9)
        assert m.commissioner.spend == pytest.approx(m.ledger.sum("commissioner_payment"), rel=1e-9)
    df = m.metrics.frame()
    assert not df["value"].isna().any()
    assert np.isfinite(df["value"]).all()
    shares = df[(df.metric == "enrolment_share") & (df.group == "all") & (df.system != "all")]
    assert shares.groupby("year")["value"].sum().to_numpy() == pytest.approx(1.0)


def test_metrics_schema(competing_model: ICSModel) -> None:
    df = competing_model.metrics.frame()
    assert tuple(df.columns) == COLUMNS
    assert set(df["group"]) == set(GROUPS)
    assert set(df["system"]) == {*competing_model.options, "all"}
    # fixed capitation, mandatory acceptance, no social care: none of their rows
    off = SWITCHED_ON | set(MARKET_METRICS) | set(SOCIAL_CARE_METRICS)
    assert set(df["metric"]) == set(METRICS) - off


def test_metrics_log_reads_like_the_rows_it_keeps(competing_model: ICSModel) -> None:
    """The log's frame, built from arrays, is the frame of its rows read one by one; rows
    come by year, then group, system and metric, as GROUPS, the options and METRICS list
    them."""
    log = competing_model.metrics
    rows = list(log)
    assert len(log) == len(rows) > 0 and tuple(rows[0]) == COLUMNS
    frame = log.frame()
    pd.testing.assert_frame_equal(frame, metrics_frame(rows), check_exact=True)
    pd.testing.assert_frame_equal(metrics_frame(log), frame)
    pd.testing.assert_frame_equal(pd.DataFrame(list(log)).astype(DTYPES), frame)
    systems = [*competing_model.options, "all"]
    order = pd.DataFrame(
        {
            "year": frame["year"],
            "group": [GROUPS.index(g) for g in frame["group"]],
            "system": [systems.index(s) for s in frame["system"]],
            "metric": [METRICS.index(m) for m in frame["metric"]],
        }
    )
    assert order.sort_values(list(order.columns)).index.equals(order.index)
    assert not order.duplicated().any()
    empty = MetricsLog("empty", 0, competing_model.options)
    assert len(empty) == 0 and list(empty) == []
    pd.testing.assert_frame_equal(empty.frame(), metrics_frame([]))


def test_fragmentation_follows_contract_terms_set_each_year() -> None:
    """Accountable shares are kept from year to year, except for rules whose terms follow a
    schedule: a withhold on tariff rising 20%, 30%, 40% makes the ICP accountable for that
    share of its care, and the recorded fragmentation is what working it out afresh gives."""
    sc = scenario("p4p_rising_knowsley", {"contracts.pathway.base": {"kind": "tariff"}})
    model = ICSModel(sc, seed=5, patients=3000, years=3)
    icp = model.options.index("cvd_pathway")
    recorded = []
    for _ in range(3):
        model.step()
        df = model.metrics.frame()
        row = df[
            (df.metric == "fragmentation") & (df.system == "cvd_pathway") & (df.year == model.year)
        ]
        recorded.append(float(row["value"].iloc[0]))
        assert recorded[-1] == fragmentation_by_system(model.state)[icp]
    assert recorded == pytest.approx([0.8, 0.7, 0.6])


def test_same_seed_identical_different_seed_differs() -> None:
    # 5,000 patients: ICPs start with no published quality above the default's, so at 3,000
    # the smallest (24 enrolees) can empty under one seed and its rows vanish from that run
    sc = scenario("competing_icps_capitation")
    a = simulate(sc, seed=3, patients=5000, years=3)
    b = simulate(sc, seed=3, patients=5000, years=3)
    c = simulate(sc, seed=4, patients=5000, years=3)
    pd.testing.assert_frame_equal(a, b)
    keys = ["year", "system", "group", "metric"]
    both = a.merge(c, on=keys, suffixes=("_a", "_c"))
    assert len(both) > 0.9 * len(a)
    assert not np.allclose(both["value_a"], both["value_c"])


def test_baseline_reproduces_england() -> None:
    """Year-one fragmented-tariff rates match calibration_targets section 4 (the year-one
    inputs are fitted to every year, so year 1 sits inside the band, not at its centre)."""
    runs = [
        simulate(scenario("fragmented_tariff"), seed=s, patients=40_000, years=1) for s in (1, 2, 3)
    ]

    def mean(metric: str) -> float:
        return float(np.mean([value(df, metric) for df in runs]))

    assert mean("emergency_admissions_per_1000") == pytest.approx(99, rel=0.04)  # 4.8
    assert mean("avoidable_emergency_admissions_per_1000") / mean(
        "emergency_admissions_per_1000"
    ) == pytest.approx(1 / 6, abs=0.015)  # 4.29
    assert mean("gp_consultations_per_1000") == pytest.approx(5300, rel=0.03)  # 4.23
    assert mean("elective_admissions_per_1000") == pytest.approx(183, rel=0.04)
    bed_days_per_admission = mean("bed_days_per_1000") / (
        mean("emergency_admissions_per_1000") + mean("elective_admissions_per_1000")
    )
    assert 2.5 < bed_days_per_admission < 4.5


def test_long_term_condition_shares_are_calibrated() -> None:
    """People with an LTC: 29% of people, 50% of GP appointments, 70% of bed days (4.26-4.27)."""
    model = ICSModel(scenario("fragmented_tariff"), seed=5, patients=60_000, years=1)
    assert (model.population.conditions > 0).mean() == pytest.approx(0.29, abs=0.015)
    cal = calibrate(scenario("fragmented_tariff"))
    ref = cal.reference  # the calibration's reference population, in the same row order
    ltc = synthesize(scenario("fragmented_tariff"), len(ref["age"]), REFERENCE_SEED).conditions > 0
    gp = ref["gp_consultation"]
    assert gp[ltc].sum() / gp.sum() == pytest.approx(0.50, abs=0.01)
    bed = ref["bed_days"]
    assert bed[ltc].sum() / bed.sum() == pytest.approx(0.70, abs=0.02)


def test_population_stays_stable_and_deaths_plausible() -> None:
    m = ICSModel(scenario("fragmented_tariff"), seed=9, patients=30_000, years=5)
    deaths = []
    for _ in range(5):
        m.step()
        deaths.append(m.deaths)
    assert m.population.n == 30_000
    rate = 1000 * np.mean(deaths) / 30_000
    assert 6 < rate < 12, f"{rate:.1f} deaths per 1,000 a year; England about 9"
    assert len(np.unique(m.population.pid)) == 30_000


def test_patient_view_is_readable() -> None:
    m = ICSModel(scenario("competing_icps_capitation"), seed=2, patients=500, years=1)
    view = m.population.patient(10)
    text = repr(view)
    assert f"{view.age}-year-old" in text and "IMD quintile" in text
    assert set(view.as_dict()) >= {"age", "sex", "imd", "conditions", "risk", "option"}
    m.population.age[10] = 77
    assert m.population.patient(10).age == 77
    # localities and options by name, not by the indices the arrays hold
    assert f"{view.locality_name} locality" in text and f"with {view.option_name} for" in text
    assert view.locality_name == m.scenario.localities[view.locality].name
    assert view.option_name == m.options[view.option]


def test_switching_in_published_range_and_lower_for_older_people() -> None:
    """Annual switching of a few to ~20% (calibration_targets 5.5-5.7, seed 000:495-496)."""
    df = simulate(scenario("competing_icps_capitation"), seed=1, patients=30_000, years=6)
    later = [3, 4, 5, 6]
    overall = value(df, "switching_rate", years=later)
    assert 0.02 < overall < 0.20
    assert value(df, "switching_rate", group="age_65_plus", years=later) < value(
        df, "switching_rate", group="age_0_64", years=later
    )


def test_full_risk_adjustment_hits_requested_r_squared() -> None:
    cal = calibrate(scenario("fragmented_tariff"))
    floor, ceiling = cal.achievable_r2()
    assert floor < 0.15 < ceiling
    weights = [cal.full_adjustment_weight(r) for r in (0.12, 0.15, 0.2, 0.3, 0.4)]
    assert weights == sorted(weights) and weights[0] < weights[-1]


def test_years_reuse_the_heap_rather_than_fault_pages_in_again() -> None:
    """A full chunk's temporaries come back from the heap each year (glibc only): before the
    allocator was tuned, each year at this size faulted in about 7,000 fresh pages."""
    import resource

    from sim.base.heap import keep_heap_warm
    from sim.base.rng import CHUNK_SIZE

    m = ICSModel(scenario("england"), seed=3, patients=CHUNK_SIZE, years=4)
    if not keep_heap_warm():
        pytest.skip("the C library is not glibc")
    m.step()
    m.step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    m.step()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 1500, f"{faults} page faults in one year of {CHUNK_SIZE:,} patients"


def test_local_options_reuse_last_years_layout_only_while_it_fits() -> None:
    """Each year's choice set equals one built afresh, through ICPs opening and closing."""
    from sim.patients.choice import LocalOptions

    m = ICSModel(scenario("icp_life_cycle"), seed=5, patients=4000)
    layouts = []  # kept alive, so that identities stay distinct
    for _ in range(m.n_years):
        m.step()
        table = m.option_table()
        kept = LocalOptions.from_table(table, m.scenario.choice, m.patient_pass.local)
        fresh = LocalOptions.from_table(table, m.scenario.choice)
        for field in ("option", "fixed", "selection", "site", "site_km", "column"):
            assert np.array_equal(getattr(kept, field), getattr(fresh, field)), field
        assert (kept.layout is m.patient_pass.local.layout) == bool(
            np.array_equal(m.patient_pass.local.layout.available, table.available)
        )
        layouts.append(m.patient_pass.local.layout)
    assert len({id(x) for x in layouts}) > 1, (
        "the scenario should open or close an option at least once"
    )


def test_books_keep_each_providers_row() -> None:
    """Booking rows at once, or one provider at a time, keeps each provider's own accounts."""
    m = ICSModel(scenario("competing_icps_capitation"), seed=2, patients=3000, years=2)
    m.run()
    books, trust, icp = m.books, m.trusts[0], m.icps[0]
    assert len(books) == len(m.trusts) + len(m.practices) + len(m.icps)
    assert (trust.revenue, trust.cost) == (books.revenue[trust.row], books.cost[trust.row])
    reserves = icp.reserves
    books.book([trust.row, icp.row], [10.0, 5.0], [4.0, 8.0])
    assert trust.surplus == 6.0 and icp.surplus == -3.0
    assert icp.reserves == reserves - 3.0
    icp.book(1.0, 0.5)
    assert (icp.revenue, icp.cost, icp.reserves) == (1.0, 0.5, reserves - 2.5)


def test_waits_stay_finite_when_few_patients_outrun_a_tiny_capacity() -> None:
    """England with a few patients per ICP: an own hospital staffed for a fraction of one
    elective can see several, and its wait stops at the ceiling rather than overflowing.

    The ICPs are unmonitored: a monitored ICP free to lose members now leaves no more need
    unmet than the quality tolerance (sim.engine.quality), so its hospital is staffed for
    nearly all its demand and no wait would reach the ceiling this test is about."""
    sc = scenario("england")
    sc = sc.model_copy(
        update={"icps": [i.model_copy(update={"quality_monitoring": False}) for i in sc.icps]}
    )
    m = ICSModel(sc, seed=1, patients=2000, years=20)
    ceiling = m.scenario.hospital.waiting_weeks_max
    with np.errstate(all="raise"):
        m.run()
    waits = [p.waiting_weeks for p in [*m.trusts, *m.icps]]
    assert max(waits) <= ceiling
    assert max(waits) == pytest.approx(ceiling)  # some wait did reach it
    assert np.isfinite(m.metrics.frame()["value"]).all()


def test_partnerships_plan_each_icp_as_if_alone() -> None:
    """Planning every ICP together gives each the plan it would make alone, and each agent
    reads and writes its own row of the table."""
    m = ICSModel(scenario("england"), seed=3, patients=20000, years=3)
    m.run()
    table, rows = m.partnerships, np.flatnonzero(m.partnerships.is_open)
    planned = (
        "quality",
        "selection",
        "prevention_spend",
        "referral_management",
        "intermediate_spend",
        "made_outpatient",
        "applied_acsc",
        "elective_volume",
    )
    table.plan(rows)  # next year's plans, from what the ICPs expect now
    together = {name: getattr(table, name)[rows].copy() for name in planned}
    for row in rows:
        table.plan(np.array([row]))
    for name in planned:
        assert np.array_equal(getattr(table, name)[rows], together[name]), name
    icp = m.icps[rows[-1]]
    assert icp.quality == table.quality[icp.plan_row]
    assert icp.self_provision["outpatient"] == table.made_outpatient[icp.plan_row]
    expect = icp.expect
    expect.revenue += 1.0
    icp.expect = expect
    assert table.expect_revenue[icp.plan_row] == expect.revenue
    assert m.icps[rows[0]].expect.revenue != expect.revenue or rows[0] == rows[-1]
