"""The vectorised engine and the one-agent-per-patient Mesa reference agree.

Both live the same patients' year by the same rules (benchmarks/reference_mesa.py); the
reference sees the providers the engine's patients saw, year by year. Over several seeds
each, mean rates per 1,000, deaths, risk, payments, health sums and enrolment shares must agree within
a bound from the replicate spread (a Welch-style z on the means), so agreement is not
one lucky run.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from helpers import ROOT, scenario

sys.path.insert(0, str(ROOT / "benchmarks"))

from reference_mesa import ReferenceModel, run_engine  # noqa: E402

PATIENTS, YEARS, SEEDS = 12_000, 3, tuple(range(101, 109))
Z = 4.5  # about 20 quantities compared: a bound a correct pair crosses very rarely
RATES = (
    "gp_consultation",
    "outpatient",
    "elective",
    "emergency_total",
    "acsc",
    "ae",
    "readmission",
    "bed_days",
    "aged_85_plus",
    "frequent_85_plus_bed_days",
    "frequent_85_plus_emergencies",
)
PER_HEAD = (
    "risk",
    "switched",
    "commissioner_payment",
    "gp_payment",
    "hospital_payment",
    # the health state: both implementations apply the same rules (sim.patients.health)
    "elective_need",
    "unmet_need",
    "amenable_deaths",
    "qalys",
    "qalys_lost",
)


def summary(
    books: list[dict[int, dict[str, float]]], deaths: list[int], n_options: int
) -> dict[str, float]:
    """Per-1,000 rates and per-head means over all years, and each year's enrolment shares."""
    total = {q: sum(b[o].get(q, 0.0) for b in books for o in b) for q in (*RATES, *PER_HEAD)}
    heads = sum(b[o]["population"] for b in books for o in b)
    out = {f"{q}_per_1000": 1000 * total[q] / heads for q in RATES}
    out.update({f"{q}_per_head": total[q] / heads for q in PER_HEAD})
    out["deaths_per_1000"] = 1000 * sum(deaths) / heads
    for year, b in enumerate(books, start=1):
        population = sum(t["population"] for t in b.values())
        for o in range(n_options):
            out[f"share_option_{o}_year_{year}"] = b.get(o, {}).get("population", 0) / population
    return out


@pytest.fixture(scope="module")
def paired_runs() -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Engine and reference summaries, one per seed (the reference fed that seed's providers)."""
    sc = scenario("competing_icps_capitation")
    n_options = len(sc.option_names)
    engine, reference = [], []
    for seed in SEEDS:
        model, providers = run_engine(sc, PATIENTS, YEARS, seed)
        engine.append(
            summary(
                [r["by_option"] for r in model.ledger_record],
                [r["deaths"] for r in model.ledger_record],
                n_options,
            )
        )
        ref = ReferenceModel(sc, PATIENTS, providers, seed=seed)
        for _ in range(YEARS):
            ref.step()
        reference.append(
            summary(
                [ref.by_option(y) for y in range(1, YEARS + 1)],
                [h["deaths"] for h in ref.history],
                n_options,
            )
        )
    return engine, reference


def test_reference_agrees_with_engine(paired_runs) -> None:
    engine, reference = paired_runs
    failures = []
    for key in engine[0]:
        e = np.array([r[key] for r in engine])
        r = np.array([r[key] for r in reference])
        se = np.sqrt(e.var(ddof=1) / len(e) + r.var(ddof=1) / len(r))
        gap = abs(e.mean() - r.mean())
        if gap > Z * se + 1e-9:
            failures.append(
                f"{key}: engine {e.mean():.4g}, reference {r.mean():.4g}, "
                f"gap {gap:.3g} > {Z} x SE {se:.3g}"
            )
    assert not failures, "\n".join(failures)


def test_agreement_covers_the_year(paired_runs) -> None:
    """The comparison is not vacuous: every kind of activity, death and switching happens."""
    engine, reference = paired_runs
    for runs in (engine, reference):
        for key in (
            *[f"{q}_per_1000" for q in RATES],
            "deaths_per_1000",
            "switched_per_head",
            "unmet_need_per_head",
            "amenable_deaths_per_head",
        ):
            assert np.mean([r[key] for r in runs]) > 0, key
        assert np.mean([r[f"share_option_1_year_{YEARS}"] for r in runs]) > 0.01
