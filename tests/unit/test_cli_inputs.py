"""Bad input on the command line: one clear message, exit code 2, never a traceback.

Each message names the file or option, the field, and what is allowed. Every case fails
before anything is simulated, so the whole file runs in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
TARIFF = str(SCENARIOS / "fragmented_tariff.toml")
BLENDED = str(SCENARIOS / "blended.toml")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each command in an empty folder, so nothing lands in the repository."""
    monkeypatch.chdir(tmp_path)


def one_message(args: list[str], *expected: str) -> str:
    """Invoke icsim; check it stops with one error message holding every expected part."""
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.count("error:") == 1, result.output
    for part in expected:
        assert part in result.output, (part, result.output)
    return result.output


def test_missing_scenario_file() -> None:
    one_message(["run", "nope.toml"], "nope.toml: no such scenario file")
    one_message(["params", "nope.toml"], "nope.toml: no such scenario file")


def test_bad_value_in_a_scenario_file_names_file_field_and_type(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[choice]\ninertia = "high"\n')
    one_message(["run", str(path)], f"{path}: field 'choice.inertia'", "valid number", "'high'")


def test_unknown_override_lists_the_allowed_keys() -> None:
    out = one_message(["run", TARIFF, "--set", "choice.nope=1"], "field 'choice.nope'")
    assert "unknown field; allowed here:" in out and "inertia" in out


def test_override_without_a_value() -> None:
    one_message(["run", TARIFF, "--set", "choice.inertia"], "--set 'choice.inertia'", "KEY=VALUE")


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--patients", "0", "greater than 0"),
        ("--years", "0", "greater than 0"),
        ("--years", "300", "less than or equal to 200"),
        ("--replicates", "-1", "greater than 0"),
        ("--seed", "-5", "greater than or equal to 0"),
    ],
)
@pytest.mark.parametrize("command", ["run", "compare"])
def test_run_options_are_held_to_the_run_section_bounds(
    command: str, option: str, value: str, allowed: str
) -> None:
    files = [TARIFF] if command == "run" else [TARIFF, BLENDED]
    one_message([command, *files, option, value], f"{option}: Input should be {allowed}")


def test_every_bad_option_is_named_in_the_one_message() -> None:
    out = one_message(["run", TARIFF, "--years", "0", "--seed", "-1"], "--years:", "--seed:")
    assert len(out.strip().splitlines()) == 2


def test_negative_workers_are_refused_by_the_option_parser() -> None:
    for args in (["run", TARIFF], ["sweep", "any.toml"], ["sensitivity", "any.toml"]):
        result = CliRunner().invoke(app, [*args, "--workers", "-1"])
        assert result.exit_code == 2
        assert "Traceback" not in result.output
        assert "Invalid value for '--workers'" in result.output
        assert "greater than or equal to 0" in result.output


def test_compare_needs_distinct_scenario_names() -> None:
    one_message(["compare", TARIFF, TARIFF], "scenario names must differ", "fragmented_tariff")


def test_plot_names_the_folder_and_what_it_needs(tmp_path: Path) -> None:
    one_message(["plot", str(tmp_path)], f"{tmp_path}: no metrics.parquet", "'icsim run'")


def test_missing_folder_of_scenarios() -> None:
    one_message(["scenarios", "nowhere"], "nowhere: no such folder of scenario files")
    one_message(["dashboard", "--scenarios", "nowhere"], "nowhere: no such folder")


def test_missing_sweep_file() -> None:
    one_message(["sweep", "nope.toml", "--workers", "0"], "nope.toml: no such sweep file")


@pytest.fixture
def sensitivity_file(tmp_path: Path) -> Path:
    path = tmp_path / "sens.toml"
    path.write_text(f"[sensitivity]\nscenario = {TARIFF!r}\n")
    return path


def test_sensitivity_method_option_names_the_field_and_choices(sensitivity_file: Path) -> None:
    one_message(
        ["sensitivity", str(sensitivity_file), "--method", "foo"],
        f"{sensitivity_file}: field 'sensitivity.method'",
        "'morris' or 'sobol'",
        "'foo'",
    )


def test_sobol_samples_must_be_a_power_of_two(sensitivity_file: Path) -> None:
    one_message(
        ["sensitivity", str(sensitivity_file), "--method", "sobol", "--samples", "3"],
        "field 'sensitivity.samples'",
        "power of 2 (got 3)",
    )
