"""Experiments at scale: sweeps on Dask, resumption, common random numbers, SALib.

Populations are small and runs few, so the whole file runs in about a minute on two
cores; every check is of behaviour (equal frames, variance ratios with tolerances from
the replicate spread), never of timings.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim.cli import app
from sim.config.scenario import ScenarioError
from sim.engine.metrics import COLUMNS
from sim.experiments.executor import completed_ids
from sim.experiments.sensitivity import plan_sensitivity, run_sensitivity
from sim.experiments.summary import paired_differences, replicate_summary
from sim.experiments.sweep import plan_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "competing_icps_capitation.toml"
SWEEP_KEYS = ["contracts.icp.risk_adjustment", "choice.inertia"]


def write_sweep(
    folder: Path,
    name: str = "small",
    *,
    replicates: int = 8,
    patients: int = 5000,
    years: int = 5,
    crn: bool = True,
    grid: str | None = None,
) -> Path:
    grid = grid or (
        '"contracts.icp.risk_adjustment" = ["none", "full"]\n'
        '"choice.inertia" = { low = 1.5, high = 4.0, num = 2 }\n'
    )
    path = folder / f"{name}.toml"
    path.write_text(f"""[sweep]
name = "{name}"
scenario = {str(BASE)!r}
replicates = {replicates}
patients = {patients}
years = {years}
crn = {str(crn).lower()}

[grid]
{grid}""")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_for_runs(
    runs: Path, at_least: int, process: subprocess.Popen | None = None, timeout: float = 300.0
) -> int:
    """Poll until runs have landed (not a timing assertion: it only decides when to stop)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = len(completed_ids(runs))
        if n >= at_least:
            return n
        if process is not None and process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the sweep exited ({process.returncode}) early: {output}")
        time.sleep(0.01)
    raise AssertionError(f"fewer than {at_least} runs landed in {timeout} s")


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sweep(tmp_path_factory.mktemp("sweep"))


@pytest.fixture(scope="module")
def reference(sweep_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The uninterrupted sweep on two local Dask workers."""
    out = tmp_path_factory.mktemp("reference")
    run_sweep(plan_sweep(sweep_file), out, workers=2, progress=False)
    return out


def test_sweep_results_store(reference: Path, sweep_file: Path) -> None:
    plan = plan_sweep(sweep_file)
    df = pd.read_parquet(reference / "results.parquet")
    assert list(df.columns) == [*COLUMNS, *SWEEP_KEYS, "run_id"]
    assert len(plan.runs) == 2 * 2 * 8
    assert df["run_id"].nunique() == len(plan.runs)
    assert set(df["contracts.icp.risk_adjustment"]) == {"none", "full"}
    assert set(df["choice.inertia"]) == {1.5, 4.0}
    assert df["choice.inertia"].dtype == "float64"
    assert sorted(df["replicate"].unique()) == list(range(8))
    assert len(list((reference / "runs").glob("*.parquet"))) == len(plan.runs)
    summary = pd.read_csv(reference / "summary.csv")
    assert {"mean", "low", "high", "replicates"} <= set(summary.columns)
    assert (summary["low"] <= summary["mean"] + 1e-9).all()
    assert (summary["mean"] <= summary["high"] + 1e-9).all()


def test_results_do_not_depend_on_worker_count(
    reference: Path, sweep_file: Path, tmp_path: Path
) -> None:
    plan = plan_sweep(sweep_file)
    one = run_sweep(plan, tmp_path / "one", workers=1, progress=False)
    pd.testing.assert_frame_equal(one, pd.read_parquet(reference / "results.parquet"))
    assert sha256(tmp_path / "one" / "results.parquet") == sha256(reference / "results.parquet")
    serial = run_sweep(plan, tmp_path / "serial", workers=0, progress=False)
    pd.testing.assert_frame_equal(serial, one)


def stopped_sweep(
    sweep_file: Path, out: Path, landed: int, stop: Callable[[subprocess.Popen], None]
) -> tuple[subprocess.Popen, str]:
    """``icsim sweep`` on two workers, in a process group of its own (as a terminal runs
    it), stopped by ``stop`` once ``landed`` results are on disk: the process and its output."""
    cmd = [
        sys.executable,
        "-m",
        "sim.cli",
        "sweep",
        str(sweep_file),
        "--out",
        str(out),
        "--workers",
        "2",
    ]
    process = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_for_runs(out / "runs", landed, process)
        stop(process)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(60)
    return process, output


def assert_clean_stop(process: subprocess.Popen, output: str, sweep_file: Path, out: Path) -> None:
    """Stopped before the end: one message with a resume hint, and no traceback."""
    if len(completed_ids(out / "runs")) < len(plan_sweep(sweep_file).runs):
        assert process.returncode == 130, output
        assert "run the same command again to resume" in output
        assert "Traceback" not in output and "ERROR" not in output, output


def test_killed_sweep_resumes_to_identical_results(
    reference: Path, sweep_file: Path, tmp_path: Path
) -> None:
    """Kill -9 the whole sweep, then stop it with SIGTERM, then resume: same results."""
    out, runs = tmp_path / "out", tmp_path / "out" / "runs"
    stopped_sweep(sweep_file, out, 1, lambda process: os.killpg(process.pid, signal.SIGKILL))
    after_kill = len(completed_ids(runs))
    assert 0 < after_kill < len(plan_sweep(sweep_file).runs)
    assert not (out / "results.parquet").exists()
    # what a kill can leave behind: a temporary file; it must never be read
    (runs / ".deadbeef.parquet.x1y2.tmp").write_bytes(b"PAR1 torn")

    soft, output = stopped_sweep(
        sweep_file, out, after_kill + 1, lambda process: process.send_signal(signal.SIGTERM)
    )
    assert after_kill < len(completed_ids(runs))
    assert_clean_stop(soft, output, sweep_file, out)

    resumed = run_sweep(plan_sweep(sweep_file), out, workers=2, progress=False)
    pd.testing.assert_frame_equal(resumed, pd.read_parquet(reference / "results.parquet"))
    assert sha256(out / "results.parquet") == sha256(reference / "results.parquet")
    assert not list(runs.glob(".*.tmp"))


def test_ctrl_c_in_a_terminal_stops_the_sweep_with_one_message(
    sweep_file: Path, tmp_path: Path
) -> None:
    """A terminal's Ctrl-C reaches every process in its group, Dask workers included."""
    process, output = stopped_sweep(
        sweep_file, tmp_path, 2, lambda process: os.killpg(process.pid, signal.SIGINT)
    )
    assert_clean_stop(process, output, sweep_file, tmp_path)


def test_killed_worker_does_not_change_results(
    reference: Path, sweep_file: Path, tmp_path: Path
) -> None:
    from dask.distributed import Client, LocalCluster

    total = len(plan_sweep(sweep_file).runs)
    landed_at_kill: list[int] = []
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):
        victim = next(iter(client.run(os.getpid).values()))

        def kill_one_worker() -> None:
            landed_at_kill.append(wait_for_runs(tmp_path / "runs", 2))
            os.kill(victim, signal.SIGKILL)

        killer = threading.Thread(target=kill_one_worker, daemon=True)
        killer.start()
        results = run_sweep(plan_sweep(sweep_file), tmp_path, client=client, progress=False)
        killer.join(30)
    assert landed_at_kill and landed_at_kill[0] < total
    pd.testing.assert_frame_equal(results, pd.read_parquet(reference / "results.parquet"))


def test_common_random_numbers_reduce_variance_of_differences(tmp_path: Path) -> None:
    """Var(A - B) across replicates: shared streams vs a seed of each point's own."""
    reps = 12
    grid = '"contracts.icp.risk_adjustment" = ["none", "full"]\n'
    diffs = {}
    for crn in (True, False):
        path = write_sweep(
            tmp_path, f"crn_{crn}", replicates=reps, patients=3000, years=3, crn=crn, grid=grid
        )
        df = run_sweep(plan_sweep(path), tmp_path / f"out_{crn}", workers=0, progress=False)
        sel = df[
            (df["year"] == 3)
            & (df["system"] == "all")
            & (df["group"] == "all")
            & (df["metric"] == "emergency_admissions_per_1000")
        ]
        wide = sel.pivot(index="replicate", columns="contracts.icp.risk_adjustment", values="value")
        diffs[crn] = (wide["full"] - wide["none"]).to_numpy()
    var_crn, var_ind = np.var(diffs[True], ddof=1), np.var(diffs[False], ddof=1)
    # one-sided F test at 0.1%: the reduction is far beyond replicate-to-replicate chance
    critical = stats.f.ppf(0.999, reps - 1, reps - 1)
    assert var_ind > critical * var_crn, (var_crn, var_ind, critical)


def test_replicate_summary_and_paired_differences() -> None:
    rows = []
    for rep in range(21):
        for scenario, shift in (("a", 0.0), ("b", 5.0)):
            rows.append(
                {
                    "scenario": scenario,
                    "replicate": rep,
                    "year": 1,
                    "system": "all",
                    "group": "all",
                    "metric": "m",
                    "value": rep + shift,
                }
            )
    df = pd.DataFrame(rows)
    summary = replicate_summary(df).set_index("scenario")
    assert summary.loc["a", "mean"] == pytest.approx(10.0)
    assert summary.loc["a", "low"] == pytest.approx(1.0)  # 5th percentile of 0..20
    assert summary.loc["a", "high"] == pytest.approx(19.0)  # 95th percentile
    assert summary.loc["a", "replicates"] == 21
    diff = paired_differences(df, baseline="a").iloc[0]
    assert diff["scenario"] == "b"
    assert (diff["mean"], diff["low"], diff["high"]) == pytest.approx((5.0, 5.0, 5.0))


SENSITIVITY = """[sensitivity]
name = "{name}"
scenario = {base!r}
method = "{method}"
samples = {samples}
patients = 2000
years = 2
outputs = ["cost_per_capita", "quality"]

[parameters]
"choice.inertia" = "assumption"
"behaviour.quality_effort_scale" = "assumption"
"contracts.icp.rate_ratio" = [0.85, 1.1]
"""


def test_morris_sensitivity_end_to_end_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "morris.toml"
    path.write_text(SENSITIVITY.format(name="m", base=str(BASE), method="morris", samples=2))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["sensitivity", str(path), "--out", str(out), "--workers", "0"]
    )
    assert result.exit_code == 0, result.output
    indices = pd.read_csv(out / "indices.csv")
    assert len(indices) == 2 * 3
    assert set(indices["parameter"]) == {
        "choice.inertia",
        "behaviour.quality_effort_scale",
        "contracts.icp.rate_ratio",
    }
    assert np.isfinite(indices["mu_star"]).all() and (indices["mu_star"] >= 0).all()
    for _, t in indices.groupby("output"):
        assert list(t["rank"]) == [1, 2, 3]
        assert t["mu_star"].is_monotonic_decreasing
    assert (out / "sensitivity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(pd.read_csv(out / "samples.csv")) == 2 * (3 + 1)
    assert "parameters ranked by mu_star" in result.output


def test_sobol_sensitivity_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "sobol.toml"
    path.write_text(SENSITIVITY.format(name="s", base=str(BASE), method="sobol", samples=4))
    plan = plan_sensitivity(path)
    assert len(plan.runs) == 4 * (3 + 2)
    from sim.report.plots import write_sensitivity_figure

    out = tmp_path / "out"
    indices = run_sensitivity(plan, out, workers=0, progress=False, draw=write_sensitivity_figure)
    assert {"S1", "S1_conf", "ST", "ST_conf", "rank"} <= set(indices.columns)
    assert all((out / f"sensitivity.{fmt}").is_file() for fmt in ("png", "svg", "pdf"))


def test_sensitivity_defaults_to_declared_assumption_ranges(tmp_path: Path) -> None:
    path = tmp_path / "all.toml"
    path.write_text(f"[sensitivity]\nscenario = {str(BASE)!r}\nsamples = 2\n")
    plan = plan_sensitivity(path)
    bounds = dict(zip(plan.keys, plan.bounds, strict=True))
    assert bounds["choice.inertia"] == (1.0, 5.0)
    assert not any(k.startswith(("run.", "localities.")) for k in plan.keys)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[sweep]\nscenario = "{base}"\n[grid]\n"choice.inertya" = [1.0, 2.0]\n',
            "field 'choice.inertya': unknown field; allowed here:",
        ),
        (
            '[sweep]\nscenario = "{base}"\nreplicates = 0\n',
            "field 'sweep.replicates': Input should be greater than or equal to 1",
        ),
        (
            '[sweep]\nscenario = "{base}"\nreplicate = 3\n',
            "field 'sweep.replicate': unknown field; allowed here: name, description, scenario",
        ),
        (
            '[sweep]\nscenario = "{base}"\n[grid]\n"choice.inertia" = {{ low = 5, high = 1, num = 3 }}\n',
            "field 'grid.choice.inertia': high must be greater than low",
        ),
        (
            '[sweep]\nscenario = "{base}"\n[grid]\n"contracts.icp.r_squared" = [0.2, 1.5]\n',
            "r_squared': Input should be less than or equal to 1",
        ),
        ('[sweep]\nscenario = "missing.toml"\n', "field 'sweep.scenario': no such scenario file"),
    ],
)
def test_bad_sweep_file_gets_one_clear_message(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body.format(base=BASE))
    with pytest.raises(ScenarioError) as err:
        plan_sweep(path)
    assert str(err.value).startswith(str(path))
    assert expected in str(err.value)
    result = CliRunner().invoke(app, ["sweep", str(path), "--workers", "0"])
    assert result.exit_code == 2
    assert "error:" in result.output and expected.split(":")[0] in result.output
    assert "Traceback" not in result.output


def test_run_and_compare_show_mean_and_90_percent_interval(tmp_path: Path) -> None:
    runner = CliRunner()
    common = ["--replicates", "3", "--patients", "2000", "--years", "2"]
    result = runner.invoke(app, ["run", str(BASE), "--out", str(tmp_path / "run"), *common])
    assert result.exit_code == 0, result.output
    assert "90% interval" in result.output
    summary = pd.read_csv(tmp_path / "run" / "summary.csv")
    assert set(summary.loc[summary["system"] == "all", "replicates"]) == {3}
    metrics = pd.read_parquet(tmp_path / "run" / "metrics.parquet")
    assert sorted(metrics["replicate"].unique()) == [0, 1, 2]

    frag = ROOT / "scenarios" / "fragmented_tariff.toml"
    result = runner.invoke(
        app, ["compare", str(frag), str(BASE), "--out", str(tmp_path / "cmp"), *common]
    )
    assert result.exit_code == 0, result.output
    assert "replicate by replicate" in result.output
    diffs = pd.read_csv(tmp_path / "cmp" / "differences.csv")
    assert set(diffs["scenario"]) == {"competing_icps_capitation"}
    assert (diffs["low"] <= diffs["high"] + 1e-9).all()
