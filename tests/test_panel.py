"""The patient panel (``--panel N``, ``panel.parquet``): its columns, its agreement with the
metrics, and that asking for it changes no metric.

Each year's living panel is a simple random sample of that year's patients, so its means
estimate the metrics with sampling error only: the tolerance is three standard errors of
the panel mean, clustered by patient (one patient's years are correlated). A panel of the
whole population must then reproduce the metrics' sums exactly.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.config.scenario import ScenarioError
from sim.engine.model import ICSModel
from sim.engine.older_bed_use import OLDEST_AGE, REPEATED_ADMISSIONS
from sim.engine.panel import COLUMNS
from sim.engine.run import simulate_replicate
from sim.experiments.executor import execute, run_path
from sim.experiments.panels import panel_path
from sim.experiments.runs import RunSettings, replicate_specs, run_scenario
from sim.experiments.sweep import plan_sweep, run_sweep
from tests.helpers import ROOT, SCENARIOS, scenario

PATIENTS, YEARS, REPLICATES, PANEL = 6000, 3, 2, 1500
COMPETING = SCENARIOS / "competing_icps_capitation.toml"
NO_FIXED_COST = {"costs": {"hospital_fixed_share": 0.0}}
"""Without fixed costs of capacity no care is stranded: what the fragmented default's providers
spend is then their patients' care and nothing else, as the panel's ``cost`` counts it."""

# each panel column and the metric (group 'all') whose per-head value its mean estimates
PER_1000 = {
    "gp_consultations": "gp_consultations_per_1000",
    "outpatient": "outpatient_per_1000",
    "elective": "elective_admissions_per_1000",
    "emergency": "emergency_admissions_per_1000",
    "avoidable_emergency": "avoidable_emergency_admissions_per_1000",
    "readmissions": "readmissions_per_1000",
    "ae_attendances": "ae_attendances_per_1000",
    "bed_days": "bed_days_per_1000",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def settings(panel: int, patients: int = PATIENTS, replicates: int = REPLICATES) -> RunSettings:
    return RunSettings(seed=11, patients=patients, years=YEARS, replicates=replicates, panel=panel)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The competing ICPs scenario with and without a panel, and the fragmented default
    without fixed costs with a panel: in this process, each in its own folder."""
    root = tmp_path_factory.mktemp("panel")
    competing, fragmented = (
        scenario("competing_icps_capitation"),
        scenario("fragmented_tariff", NO_FIXED_COST),
    )
    for name, sc, panel in (
        ("with", competing, PANEL),
        ("without", competing, 0),
        ("fragmented", fragmented, PANEL),
    ):
        run_scenario(sc, root / name, settings(panel))
    return {name: root / name for name in ("with", "without", "fragmented")}


def per_head(metrics: pd.DataFrame, *names: str) -> dict[str, float]:
    """Each metric's mean over replicates and years (system and group 'all'): the population
    is the same every year, so that is its value per patient-year."""
    m = metrics[(metrics.system == "all") & (metrics.group == "all")]
    return {name: float(m[m.metric == name].value.mean()) for name in names}


def clustered(panel: pd.DataFrame, column: str) -> tuple[float, float]:
    """The living rows' mean of ``column`` and its standard error clustered by patient."""
    alive = panel[~panel.died]
    y = alive[column].astype(float)
    mean = y.mean()
    residual = (y - mean).groupby([alive.replicate, alive.patient]).sum()
    return mean, float(np.sqrt((residual**2).sum()) / len(y))


def assert_within_3se(panel: pd.DataFrame, column: str, target: float, scale: float = 1.0):
    mean, se = clustered(panel, column)
    assert se > 0, f"{column}: no spread in the panel"
    assert abs(mean * scale - target) <= 3 * se * scale, (
        f"{column}: panel {mean * scale:.4g} vs metric {target:.4g} (3 SE = {3 * se * scale:.3g})"
    )


# --------------------------------------------------------------------------- the file


def test_panel_has_exactly_the_columns_with_their_types(runs: dict[str, Path]) -> None:
    panel = pd.read_parquet(runs["with"] / "panel.parquet")
    assert list(panel.columns) == list(COLUMNS)
    assert {c: str(t) for c, t in panel.dtypes.items()} == {c: t for c, (t, _) in COLUMNS.items()}
    sc = scenario("competing_icps_capitation")
    assert set(panel.system.cat.categories) == set(sc.option_names)
    assert set(panel.system) == set(sc.option_names)  # every system's patients were sampled
    assert set(panel.sex) == {"female", "male"}
    assert set(panel.locality) == {loc.name for loc in sc.localities}
    assert panel.imd.between(1, 5).all() and panel.age.between(0, 100).all()
    assert panel.switched.any() and panel.died.any() and not (panel.switched & panel.died).any()
    dead = panel[panel.died]
    assert (dead[list(PER_1000)].to_numpy() == 0).all() and (dead[["cost", "payment"]] == 0).all(
        axis=None
    )
    assert (panel.cost >= 0).all() and (panel.payment >= 0).all()


def test_a_patient_is_followed_every_year_alive_and_the_panel_keeps_its_size(
    runs: dict[str, Path],
) -> None:
    panel = pd.read_parquet(runs["with"] / "panel.parquet")
    assert not panel.duplicated(["replicate", "year", "patient"]).any()
    alive = panel[~panel.died]
    assert (alive.groupby(["replicate", "year"]).size() == PANEL).all()
    by_patient = panel.sort_values(["replicate", "patient", "year"]).groupby(
        ["replicate", "patient"]
    )
    assert (by_patient.year.diff().dropna() == 1).all(), "a patient's years have a gap"
    first, last = by_patient.first(), by_patient.last()
    assert by_patient.died.sum().max() == 1 and (last.died == by_patient.died.any()).all(), (
        "a patient is followed after death"
    )
    assert ((last.year == YEARS) | last.died).all(), "a living patient left the panel"
    entrants = first[first.year > 1]  # took the rows of the dead, with new ids
    assert len(entrants) and (entrants.index.get_level_values("patient") >= PATIENTS).all()
    # replicates sample their own patients
    first = panel[panel.year == 1]
    assert set(first[first.replicate == 0].patient) != set(first[first.replicate == 1].patient)


# --------------------------------------------------------------------------- agreement


def test_panel_means_agree_with_the_metrics_within_sampling_error(runs: dict[str, Path]) -> None:
    panel = pd.read_parquet(runs["with"] / "panel.parquet")
    metrics = pd.read_parquet(runs["with"] / "metrics.parquet")
    rates = per_head(metrics, *PER_1000.values())
    for column, metric in PER_1000.items():
        assert_within_3se(panel, column, rates[metric], scale=1000.0)
    other = per_head(
        metrics,
        "mean_risk",
        "switching_rate",
        "deaths_per_1000",
        "cost_per_capita",
        "commissioner_transaction_costs_per_capita",
        "trust_support_per_capita",
        "settlement_per_capita",
    )
    assert_within_3se(panel, "risk", other["mean_risk"])
    assert_within_3se(panel, "switched", other["switching_rate"])
    paid = (
        other["cost_per_capita"]
        - other["commissioner_transaction_costs_per_capita"]
        - other["trust_support_per_capita"]
        - other["settlement_per_capita"]
    )
    assert_within_3se(panel, "payment", paid)
    # deaths: the dead of a year over the living panel, a share of independent patients
    alive = (~panel.died).sum()
    share = panel.died.sum() / alive
    se = np.sqrt(share * (1 - share) / alive)
    assert abs(share * 1000 - other["deaths_per_1000"]) <= 3 * se * 1000


def test_panel_cost_agrees_with_resource_cost_per_head(runs: dict[str, Path]) -> None:
    """Without fixed costs of capacity, resource cost less the commissioner's transaction
    costs is the fragmented default's care, which the panel's ``cost`` prices."""
    panel = pd.read_parquet(runs["fragmented"] / "panel.parquet")
    metrics = pd.read_parquet(runs["fragmented"] / "metrics.parquet")
    m = per_head(metrics, "resource_cost_per_capita", "commissioner_transaction_costs_per_capita")
    care = m["resource_cost_per_capita"] - m["commissioner_transaction_costs_per_capita"]
    assert_within_3se(panel, "cost", care)


def test_a_panel_of_everyone_adds_up_to_the_metrics_exactly() -> None:
    sc = scenario("competing_icps_capitation")
    n = 2500
    result = simulate_replicate(sc, seed=5, patients=n, years=YEARS, panel=n)
    panel, metrics = result.panel, result.metrics
    m = metrics[(metrics.group == "all")].pivot_table(
        index=["year", "system"], columns="metric", values="value"
    )
    alive = panel[~panel.died]
    for system, rows in alive.groupby("system", observed=True):
        by_year = rows.groupby("year")
        got = m.xs(system, level="system")
        assert np.allclose(by_year.size(), got.population)
        for column, metric in PER_1000.items():
            assert np.allclose(by_year[column].mean() * 1000, got[metric], rtol=1e-9)
        assert np.allclose(by_year.risk.mean(), got.mean_risk, rtol=1e-5)
        assert np.allclose(by_year.switched.mean(), got.switching_rate)
        # Torbay's measure: the oldest's bed days when their emergency admissions repeat
        oldest = rows[rows.age >= OLDEST_AGE].groupby("year")
        repeated = rows[(rows.age >= OLDEST_AGE) & (rows.emergency >= REPEATED_ADMISSIONS)]
        days = repeated.groupby("year").bed_days.sum().reindex(oldest.size().index, fill_value=0)
        frequent = got.frequent_85_plus_bed_days_per_1000.loc[days.index]
        assert np.allclose(days / oldest.size() * 1000, frequent, rtol=1e-6)
    repeats = alive[(alive.age >= OLDEST_AGE) & (alive.emergency >= REPEATED_ADMISSIONS)]
    assert repeats.bed_days.sum() > 0  # the comparison is not of zeros alone
    dead = panel[panel.died].groupby("year").size() / alive.groupby("year").size()
    assert np.allclose(dead * 1000, m.xs("all", level="system").deaths_per_1000)


def test_a_panel_of_everyone_costs_what_the_providers_spent() -> None:
    sc = scenario("fragmented_tariff", NO_FIXED_COST)
    n = 2500
    result = simulate_replicate(sc, seed=5, patients=n, years=YEARS, panel=n)
    got = per_head(result.metrics, "resource_cost_per_capita")
    tc = per_head(result.metrics, "commissioner_transaction_costs_per_capita")
    alive = result.panel[~result.panel.died]
    care = got["resource_cost_per_capita"] - tc["commissioner_transaction_costs_per_capita"]
    assert alive.cost.sum() / len(alive) == pytest.approx(care, rel=1e-9)


# --------------------------------------------------------------------------- no change


def test_asking_for_a_panel_changes_no_metric(runs: dict[str, Path]) -> None:
    for name in ("metrics.parquet", "metrics.csv"):
        assert sha256(runs["with"] / name) == sha256(runs["without"] / name)
    assert not (runs["without"] / "panel.parquet").exists()


def test_the_panel_keeps_only_its_rows() -> None:
    """Memory: what the panel holds is its own rows, never a population-sized array."""
    model = ICSModel(scenario("fragmented_tariff"), seed=3, patients=PATIENTS, years=2, panel=50)
    model.run()
    rows = len(model.panel.frame())
    assert all(len(a) <= 50 for block in model.panel.years for a in block.values())
    assert sum(len(block["patient"]) for block in model.panel.years) == rows


# --------------------------------------------------------------------------- runs on disk


def test_a_resumed_run_writes_the_same_panel(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "resumed"
    shutil.copytree(runs["with"], out)
    metrics_files = sorted((out / "replicates").glob("*.parquet"))
    assert len(metrics_files) == REPLICATES
    assert len(list((out / "replicates" / "panels").glob("*.parquet"))) == REPLICATES
    metrics_files[0].unlink()  # as if stopped before the last replicate landed
    heard: list[str] = []
    run_scenario(scenario("competing_icps_capitation"), out, settings(PANEL), announce=heard.append)
    assert heard and heard[0].startswith(f"reused {REPLICATES - 1} of {REPLICATES}")
    assert sha256(out / "panel.parquet") == sha256(runs["with"] / "panel.parquet")


def test_runs_on_dask_land_their_panels(runs: dict[str, Path], tmp_path: Path) -> None:
    """The executor's Dask path (a cluster in this process, quick to start) writes each
    run's panel beside its metrics, the same as a run in this process."""
    from dask.distributed import Client, LocalCluster

    specs = replicate_specs(scenario("competing_icps_capitation"), settings(PANEL))
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):
        assert execute(specs, tmp_path, client=client, progress=False, announce=None) == 2
    kept = runs["with"] / "replicates"
    for spec in specs:
        for path in (run_path, panel_path):
            assert sha256(path(tmp_path, spec.run_id)) == sha256(path(kept, spec.run_id))


def test_a_sweep_writes_every_runs_panel_with_its_swept_values(tmp_path: Path) -> None:
    path = tmp_path / "small.toml"
    path.write_text(
        f'[sweep]\nname = "small"\nscenario = {str(COMPETING)!r}\nreplicates = 1\n'
        'patients = 2000\nyears = 2\n\n[grid]\n"choice.inertia" = [1.5, 4.0]\n'
    )
    out = tmp_path / "out"
    run_sweep(plan_sweep(path, panel=100), out, workers=0, progress=False)
    panel = pd.read_parquet(out / "panel.parquet")
    assert list(panel.columns) == [*COLUMNS, "choice.inertia", "run_id"]
    assert sorted(set(panel["choice.inertia"])) == [1.5, 4.0]
    alive = panel[~panel.died]
    assert (alive.groupby(["run_id", "year"]).size() == 100).all()
    results = pd.read_parquet(out / "results.parquet")
    assert set(panel.run_id) == set(results.run_id)
    run_sweep(plan_sweep(path), out, workers=0, progress=False)  # again, without a panel
    assert not (out / "panel.parquet").exists()


# --------------------------------------------------------------------------- bad sizes


@pytest.mark.parametrize("bad", [-1, PATIENTS + 1, 1.5, True, "10"])
def test_a_bad_panel_size_is_refused_with_one_message(bad: object) -> None:
    sc = scenario("competing_icps_capitation")
    with pytest.raises(ScenarioError, match=r"^--panel: .*from 0 to the population \(6,000\)"):
        RunSettings.of(sc, patients=PATIENTS, panel=bad)
    with pytest.raises(ValueError, match="panel"):
        ICSModel(sc, patients=PATIENTS, years=1, panel=bad)


def test_the_command_line_refuses_a_panel_larger_than_the_population(tmp_path: Path) -> None:
    runner = CliRunner()
    for command in (
        ["run", str(COMPETING), "--patients", "500", "--panel", "501", "--out", str(tmp_path)],
        ["run", str(COMPETING), "--patients", "500", "--panel", "-3", "--out", str(tmp_path)],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert "--panel" in text and "from 0 to the population (500)" in text
        assert "Traceback" not in result.output
    sweep = tmp_path / "s.toml"
    sweep.write_text(f"[sweep]\nscenario = {str(COMPETING)!r}\npatients = 300\n")
    result = runner.invoke(app, ["sweep", str(sweep), "--panel", "301", "--workers", "0"])
    assert result.exit_code == 2 and "from 0 to the population (300)" in result.output


# --------------------------------------------------------------------------- documentation


def test_docs_list_every_panel_column_in_order() -> None:
    text = (ROOT / "docs" / "panel.md").read_text()
    listed = re.findall(r"^\| `([a-z_]+)` \| (\w+) \| (.+) \|$", text, flags=re.MULTILINE)
    assert listed == [(name, dtype, meaning) for name, (dtype, meaning) in COLUMNS.items()]
    readme = (ROOT / "README.md").read_text()
    assert "docs/panel.md" in readme and "--panel" in readme
