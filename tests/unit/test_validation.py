"""The bad inputs named in the hardening issue: each refused with one message naming the file
and the field and what is allowed; plausibility warnings, and strict inputs making them errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sim.config.plausibility import STRICT_ENV
from sim.config.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "fragmented_tariff.toml"
ICPS = ROOT / "scenarios" / "competing_icps_capitation.toml"

REFUSED = [
    ("contracts.hospital.prices.outpatient=inf", "contracts.hospital.prices.outpatient", "finite"),
    ("utilisation.emergency_per_1000=1e300", "utilisation.emergency_per_1000", "at most"),
    ("utilisation.emergency_per_1000=5000", "utilisation.emergency_per_1000", "1000"),
    ("costs.hospital_fixed_share=nan", "costs.hospital_fixed_share", "finite"),
    ("utilisation.readmission_rate=-1", "utilisation.readmission_rate", "greater than or equal"),
    ("conditions.condition_weights=[1,-1,1,1,1]", "conditions.condition_weights", ">= 0"),
    ("demography.infant_mortality=-1", "demography.infant_mortality", "in [0, 1]"),
    ("conditions.diabetes_prevalence=-1", "conditions.diabetes_prevalence", "in [0, 1]"),
    ("conditions.diabetes_prevalence=1.5", "conditions.diabetes_prevalence", "in [0, 1]"),
    ("choice.beta_quality=nan", "choice.beta_quality", "finite"),
    ("choice.beta_waiting=-inf", "choice.beta_waiting", "finite"),
    ("choice.beta_waiting=0.5", "choice.beta_waiting", "<= 0"),
    ("choice.inertia=true", "choice.inertia", "expected a number, not true"),
    ("choice.inertia=-3", "choice.inertia", ">= 0"),
    ('choice.enabled="yes"', "choice.enabled", "expected true or false"),
    ("choice.enabled=1", "choice.enabled", "expected true or false"),
    ("behaviour.prevention_half_spend=0", "behaviour.prevention_half_spend", "greater than 0"),
    ("behaviour.planning_weight=2", "behaviour.planning_weight", "less than or equal to 1"),
    ("contracts.hospital.prices.elective=1e300", "contracts.hospital.prices.elective", "at most"),
    ("choice.inertia.x=1", "choice.inertia", "single value"),
    ("localities=[{name='a',share=0.7},{name='b',share=0.7}]", "localities.*.share", "sum to 1"),
    ("localities.0.share=inf", "localities.0.share", "finite"),
    ("interventions=[{value='quality',factor=inf}]", "interventions.0.factor", "finite"),
    (
        "interventions=[{value='quality',start_year=5,end_year=3}]",
        "interventions.0.end_year",
        "end_year >= start_year",
    ),
    ("run.seed=99999999999999999999999", "run.seed", "too large"),
]


@pytest.mark.parametrize(("override", "field", "allowed"), REFUSED, ids=[c[0] for c in REFUSED])
def test_each_bad_value_is_refused_naming_file_field_and_what_is_allowed(
    override: str, field: str, allowed: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASE, [override])
    message = str(err.value)
    assert str(BASE) in message and f"'{field}'" in message and allowed in message, message
    assert len(message.splitlines()) == 1, message


def test_icp_initial_shares_over_one_in_a_locality_are_refused() -> None:
    with pytest.raises(ScenarioError, match=r"icps\.\*\.initial_share.*at most 1"):
        load_scenario(ICPS, ["icps.0.initial_share=0.8", "icps.1.initial_share=0.8"])


def test_a_huge_number_on_the_command_line_is_a_message() -> None:
    with pytest.raises(ScenarioError, match="run.years"):
        load_scenario(BASE, ["run.years=" + "9" * 5000])


def test_a_value_outside_its_plausible_range_warns_naming_parameter_and_range(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(STRICT_ENV, raising=False)
    with caplog.at_level(logging.WARNING, logger="icsim.inputs"):
        scenario = load_scenario(BASE, ["choice.inertia=6.5"])
    assert scenario.choice.inertia == 6.5
    assert "choice.inertia' = 6.5 is outside its plausible range 1-5" in caplog.text


def test_strict_inputs_make_plausibility_warnings_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(ScenarioError, match=r"choice\.inertia.*plausible range 1-5.*strict"):
        load_scenario(BASE, ["choice.inertia=6.75"])


def test_every_shipped_scenario_still_loads_without_a_plausibility_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(STRICT_ENV, "1")
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        load_scenario(path)


def test_the_strict_flag_on_the_command_line_refuses_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from sim.cli import app

    monkeypatch.setenv(STRICT_ENV, "")  # the flag sets it; restored after the test

    args = ["run", str(BASE), "--set", "choice.inertia=7.25", "--patients", "200"]
    result = CliRunner().invoke(app, [*args, "--years", "1", "--out", str(tmp_path), "--strict"])
    assert result.exit_code == 2
    assert "plausible range" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "metrics.parquet").exists()


SWEEP = """[sweep]
name = "bad"
scenario = "{scenario}"
replicates = 1
patients = 200
years = 1

[grid]
{grid}
"""


@pytest.mark.parametrize(
    ("grid", "field", "allowed"),
    [
        ('"choice.inertia" = [-2.0, 1.0]', "choice.inertia", ">= 0"),
        ('"choice.inertia" = [nan, 1.0]', "choice.inertia", "finite"),
        (
            '"conditions.diabetes_prevalence" = [0.05, 2.0]',
            "conditions.diabetes_prevalence",
            "[0, 1]",
        ),
        ('"choice.inertia" = [true, 1.0]', "choice.inertia", "not true"),
    ],
)
def test_a_sweep_value_outside_the_domain_is_refused_before_anything_runs(
    tmp_path: Path, grid: str, field: str, allowed: str
) -> None:
    from sim.experiments.sweep import plan_sweep

    path = tmp_path / "bad_sweep.toml"
    path.write_text(SWEEP.format(scenario=BASE.as_posix(), grid=grid), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        plan_sweep(path, [])
    message = str(err.value)
    assert str(path) in message and f"'{field}'" in message and allowed in message, message


def test_a_sweep_file_that_is_not_utf8_is_a_message(tmp_path: Path) -> None:
    from sim.experiments.sweep import plan_sweep

    path = tmp_path / "sweep.toml"
    path.write_bytes("# caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="line 1: byte 0xe9 is not UTF-8"):
        plan_sweep(path, [])


@pytest.mark.parametrize("crn", ['"yes"', "1", "nan"])
def test_a_sweep_setting_of_the_wrong_kind_is_refused(tmp_path: Path, crn: str) -> None:
    """Experiment files are read as strictly as scenarios: ``crn = "yes"`` is not true."""
    from sim.experiments.sweep import plan_sweep

    text = SWEEP.format(scenario=BASE.as_posix(), grid='"choice.inertia" = [1.0, 2.0]')
    path = tmp_path / "sweep.toml"
    path.write_text(text.replace("years = 1\n", f"years = 1\ncrn = {crn}\n"), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        plan_sweep(path, [])
    assert str(path) in str(err.value) and "'sweep.crn'" in str(err.value), str(err.value)
