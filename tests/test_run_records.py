"""Output folders that never mix runs, and the record that says what made them.

Runs are tiny (1,000-2,000 patients, 2 years) so the file runs in well under a minute.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.config.scenario import load_scenario
from sim.experiments import record, run_spec
from sim.experiments.executor import RunSpec
from sim.report.results import load_results

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TINY = ["--patients", "1000", "--years", "2", "--seed", "11"]


def icsim(*args: str) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_second_comparison_replaces_the_first_whole(tmp_path: Path) -> None:
    out = tmp_path / "comparison"
    three = [SCENARIOS / f"{n}.toml" for n in ("fragmented_tariff", "blended", "pbc_hard_budget")]
    icsim("compare", *three, "--out", out, *TINY, "--years", "3", "--replicates", "2")
    assert (out / "blended").is_dir() and (out / "differences.csv").is_file()
    two = [SCENARIOS / f"{n}.toml" for n in ("fragmented_tariff", "competing_icps_capitation")]
    second = ["--patients", "2000", "--years", "2", "--seed", "11", "--overwrite"]
    icsim("compare", *two, "--out", out, *second)  # another comparison: replaced when asked
    left = {p.name for p in out.iterdir()}
    assert "blended" not in left and "pbc_hard_budget" not in left
    assert "differences.csv" not in left and "summary.csv" not in left  # one replicate now
    assert {"fragmented_tariff", "competing_icps_capitation", "run.json"} <= left
    assert len(list((out / "replicates").glob("*.parquet"))) == 2  # only the second's runs
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing staged left
    results = load_results(out)
    assert results.scenarios == ["fragmented_tariff", "competing_icps_capitation"]
    assert set(results.metrics["year"]) == {1, 2}
    footer = results.source()
    assert "2,000 patients, 1 replicate)" in footer
    icsim("plot", out)
    assert sorted(p.name for p in (out / "figures").glob("*.png"))


def test_a_rerun_announces_the_runs_it_reuses(tmp_path: Path) -> None:
    scenario = SCENARIOS / "fragmented_tariff.toml"
    first = icsim("run", scenario, "--out", tmp_path / "r", *TINY, "--replicates", "2")
    assert "reused" not in first
    again = icsim("run", scenario, "--out", tmp_path / "r", *TINY, "--replicates", "3")
    assert "reused 2 of 3 runs from an earlier run with the same code and inputs" in again
    info = json.loads((tmp_path / "r" / "run.json").read_text())
    assert (info["runs"], info["reused_runs"]) == (3, 2)
    assert len(list((tmp_path / "r" / "replicates").glob("*.parquet"))) == 3


def test_an_out_folder_of_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(
        app, ["run", str(SCENARIOS / "fragmented_tariff.toml"), "--out", str(tmp_path), *TINY]
    )
    assert result.exit_code == 2 and "not icsim results" in result.output
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_run_json_holds_the_full_record(tmp_path: Path) -> None:
    out = tmp_path / "r"
    scenario = SCENARIOS / "fragmented_tariff.toml"
    icsim("run", scenario, "--out", out, *TINY, "--set", "choice.inertia=3.0")
    info = json.loads((out / "run.json").read_text())
    assert info["overrides"] == ["choice.inertia=3.0"]
    assert isinstance(info["command"], list) and info["command"]
    assert len(info["scenario_hash"]) == 16 and info["code_hash"] == record.code_hash()
    assert set(info["versions"]) == {"icsim", "python", *record.KEY_PACKAGES}
    assert all(info["versions"][name] for name in ("icsim", "python", "numpy", "pandas"))
    git = info["git"]
    if git["commit"] is None:
        assert git["note"] == "not run from a git checkout"
    else:
        assert len(git["commit"]) == 40 and isinstance(git["clean"], bool)
    for key in ("seed", "patients", "years", "replicates", "scenario"):
        assert key in info


def test_a_set_variant_carries_a_name_of_its_own(tmp_path: Path) -> None:
    scenario = SCENARIOS / "fragmented_tariff.toml"
    icsim("run", scenario, "--out", tmp_path / "r", *TINY, "--set", "choice.inertia=3.0")
    info = json.loads((tmp_path / "r" / "run.json").read_text())
    name = info["scenario"]
    assert name.startswith("fragmented_tariff-set-") and name != "fragmented_tariff"
    assert set(load_results(tmp_path / "r").metrics["scenario"]) == {name}
    assert record.variant_name("x", ["a=1"]) != record.variant_name("x", ["a=2"])
    assert record.variant_name("x", []) == "x"


def test_editing_the_models_code_changes_run_ids(tmp_path: Path) -> None:
    package = tmp_path / "sim"
    shutil.copytree(record.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = record.hash_files(record.source_files(package), package)
    target = package / "engine" / "model.py"
    target.write_bytes(target.read_bytes() + b" ")
    assert record.hash_files(record.source_files(package), package) != before

    spec = dict(scenario=load_scenario(SCENARIOS / "fragmented_tariff.toml"), seed=1)
    spec |= dict(replicate=0, patients=100, years=1)
    original = RunSpec(**spec).run_id
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(run_spec, "code_hash", lambda: "edited")
        assert RunSpec(**spec).run_id != original


def test_git_state_outside_a_checkout_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_git(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError("git")

    monkeypatch.setattr(record.subprocess, "run", no_git)
    record.git_state.cache_clear()
    try:
        assert record.git_state() == {
            "commit": None,
            "clean": None,
            "note": "not run from a git checkout",
        }
    finally:
        record.git_state.cache_clear()


def test_a_sweep_records_its_overrides_and_keeps_its_runs(tmp_path: Path) -> None:
    from sim.experiments.sweep import plan_sweep, run_sweep

    sweep = tmp_path / "s.toml"
    sweep.write_text(
        f'[sweep]\nname = "tiny"\nscenario = "{(SCENARIOS / "fragmented_tariff.toml").as_posix()}"\n'
        'replicates = 1\npatients = 500\nyears = 1\n[set]\n"choice.inertia" = 3.0\n'
        '[grid]\n"choice.inertia" = [2.0, 4.0]\n'
    )
    plan = plan_sweep(sweep)
    out = tmp_path / "out"
    run_sweep(plan, out, workers=0, progress=False)
    run_sweep(plan, out, workers=0, progress=False)
    info = json.loads((out / "sweep.json").read_text())
    assert info["overrides"] == ["choice.inertia=3.0"]
    assert (info["runs"], info["reused_runs"], info["ran_now"]) == (2, 2, 0)
    assert info["code_hash"] == record.code_hash() and info["git"]
