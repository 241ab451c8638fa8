"""Scenario files and the command line: shipped files load, bad ones get one clear message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import SCENARIOS, assert_one_clear_message
from typer.testing import CliRunner

from sim.cli import app
from sim.config.declare import iter_parameters
from sim.config.scenario import Scenario, ScenarioError, load_scenario

runner = CliRunner()
SHIPPED = sorted(SCENARIOS.glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenarios_load(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.scenario.name == path.stem
    assert sc.scenario.description


def test_required_scenarios_are_shipped() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"fragmented_tariff", "competing_icps_capitation", "blended"} <= names
    assert len(load_scenario(SCENARIOS / "competing_icps_capitation.toml").icps) >= 2


def test_every_parameter_has_unit_and_source_or_assumption() -> None:
    params = list(iter_parameters(Scenario()))
    assert len(params) > 60
    for p in params:
        assert p.unit, p.key
        assert p.source or p.assumption_range, f"{p.key} has neither source nor assumption"


BAD_FILES = {
    "wrong_type": ('[run]\npatients = "many"\n', "run.patients", "valid integer"),
    "unknown_key": (
        "[choice]\ninertia_x = 3\n",
        "choice.inertia_x",
        "allowed here: acceptance, beta_benefits, beta_distance",
    ),
    "bad_choice": (
        '[contracts.icp]\nkind = "capitation"\nrisk_adjustment = "partial"\n',
        "risk_adjustment",
        "'none', 'age_sex' or 'full'",
    ),
    "unknown_locality": (
        '[[icps]]\nname = "x"\nlocalities = ["nowhere"]\n',
        "nowhere",
        "allowed: area",
    ),
    "out_of_range": ("[utilisation]\nacsc_share = 2\n", "utilisation.acsc_share", "less than 1"),
    "broken_toml": ("[run\npatients = 3\n", "not valid TOML", "line 1"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_scenario_file_gets_one_clear_message(tmp_path: Path, name: str) -> None:
    assert_one_clear_message(tmp_path, name, *BAD_FILES[name])


def test_missing_file_and_bad_override_messages(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ScenarioError, match="choice.nope"):
        load_scenario(SCENARIOS / "fragmented_tariff.toml", ["choice.nope=1"])
    with pytest.raises(ScenarioError, match="KEY=VALUE"):
        load_scenario(SCENARIOS / "fragmented_tariff.toml", ["choice.inertia"])


def test_cli_bad_file_exits_cleanly_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[run]\nyears = "ten"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "run.years" in proc.stderr and str(path) in proc.stderr


def test_cli_run_writes_tidy_outputs(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "run",
            str(SCENARIOS / "competing_icps_capitation.toml"),
            "--out",
            str(out),
            "--patients",
            "2000",
            "--years",
            "3",
            "--seed",
            "5",
            "--set",
            "choice.inertia=3.0",
        ],
    )
    assert result.exit_code == 0, result.output
    df = pd.read_parquet(out / "metrics.parquet")
    assert list(df.columns) == [
        "scenario",
        "replicate",
        "year",
        "system",
        "group",
        "metric",
        "value",
    ]
    assert set(df["year"]) == {1, 2, 3}
    csv = pd.read_csv(out / "metrics.csv")
    assert len(csv) == len(df)
    info = json.loads((out / "run.json").read_text())
    assert info["seed"] == 5 and "icsim_version" in info and info["wall_seconds"] >= 0
    resolved = load_scenario(out / "scenario.toml")
    assert resolved.choice.inertia == 3.0
    assert not list(out.rglob("*.tmp")), "no temporary files left behind"


def test_cli_compare_writes_table_and_figure(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = runner.invoke(
        app,
        [
            "compare",
            str(SCENARIOS / "fragmented_tariff.toml"),
            str(SCENARIOS / "competing_icps_capitation.toml"),
            "--out",
            str(out),
            "--patients",
            "3000",
            "--years",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["scenario"]) == {"fragmented_tariff", "competing_icps_capitation"}
    assert (out / "comparison.md").read_text().startswith("## Final year")
    assert (out / "comparison.png").stat().st_size > 10_000


def test_cli_params_lists_units_and_sources() -> None:
    result = runner.invoke(app, ["params"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "utilisation.emergency_per_1000" in result.output
    assert "calibration_targets 4.8" in result.output
    assert "assumption" in result.output
