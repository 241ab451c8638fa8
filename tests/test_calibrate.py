"""icsim calibrate: a tiny calibration recovers the shipped defaults from targets they made.

The synthetic targets are the defaults' own final-year rates on the calibration's seed and
replicates, so under common random numbers the default parameters hit them exactly; the
fit must find them again from a prior range around them, within the band of the targets.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest
import tomli_w
from helpers import SCENARIOS, scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.config.scenario import ScenarioError, load_scenario
from sim.engine.run import simulate
from sim.experiments.calibrate import plan_calibration, run_calibration

PATIENTS, YEARS, REPS, SEED = 2_000, 2, 2, 11
TOLERANCE = 0.02  # relative half-width of each synthetic target's band


def default_rates() -> dict[str, float]:
    runs = [
        simulate(
            scenario("fragmented_tariff"), seed=SEED, replicate=r, patients=PATIENTS, years=YEARS
        )
        for r in range(REPS)
    ]
    df = pd.concat(runs)
    sel = df[(df.system == "all") & (df.group == "all") & (df.year == YEARS)]
    return sel.groupby("metric")["value"].mean().to_dict()


def calibration_file(folder: Path, rates: dict[str, float], trials: int = 12) -> Path:
    base = (SCENARIOS / "fragmented_tariff.toml").as_posix()
    text = f"""
[calibration]
name = "synthetic"
scenario = "{base}"
replicates = {REPS}
patients = {PATIENTS}
years = {YEARS}
seed = {SEED}
trials = {trials}
batch = 4
sampler_seed = 3
start_at_defaults = false  # find the defaults, not start there

[parameters."utilisation.elective_per_1000"]
low = 150.0
high = 220.0
source = "assumption: a range around the default"
"""
    for metric in ("elective_admissions_per_1000",):
        text += f"""
[[targets]]
name = "{metric}"
metric = "{metric}"
years = "final"
value = {rates[metric]!r}
relative = {TOLERANCE}
source = "synthetic: the defaults' own value"
"""
    path = folder / "synthetic.toml"
    path.write_text(text)
    return path


def test_calibration_reproduces_the_shipped_defaults(tmp_path: Path) -> None:
    rates = default_rates()
    plan = plan_calibration(calibration_file(tmp_path, rates))
    out = tmp_path / "out"
    result = run_calibration(plan, out, workers=0, progress=False)
    defaults = load_scenario(SCENARIOS / "fragmented_tariff.toml").utilisation
    fitted = result.best
    # the fitted inputs are the defaults within the targets' band
    assert fitted["utilisation.elective_per_1000"] == pytest.approx(
        defaults.elective_per_1000, rel=2 * TOLERANCE
    )
    # and the fitted model hits each target inside its band, every checked year
    assert (result.fit["years_in_band"] == "1 of 1").all(), result.fit
    # the best trials' spread is reported, and the fitted value is one of those trials (it
    # may lie outside their 5-95% band when it is the most extreme of them)
    row = result.fitted.set_index("parameter").loc["utilisation.elective_per_1000"]
    assert row.best_trials_sd > 0 and row.best_trials_low <= row.best_trials_high
    posterior = pd.read_csv(out / "posterior.csv")["utilisation.elective_per_1000"]
    assert posterior.min() <= row.fitted <= posterior.max()
    # the calibrated parameter file is a [set] table; scenario.toml runs as a scenario
    overrides = tomllib.loads((out / "calibrated.toml").read_text())["set"]
    assert overrides["utilisation.elective_per_1000"] == pytest.approx(
        fitted["utilisation.elective_per_1000"], rel=1e-5
    )
    calibrated = load_scenario(out / "scenario.toml")
    assert calibrated.utilisation.elective_per_1000 == pytest.approx(
        fitted["utilisation.elective_per_1000"], rel=1e-9
    )
    assert len(pd.read_csv(out / "posterior.csv")) >= 3
    # running again proposes the same trials and reuses every run on disk
    again = run_calibration(plan, out, workers=0, progress=False)
    pd.testing.assert_frame_equal(again.trials, result.trials)


def test_shipped_calibration_files_are_valid() -> None:
    for path in sorted((SCENARIOS / "calibration").glob("*.toml")):
        plan = plan_calibration(path)
        assert plan.bounds and plan.targets
        low, high, _ = next(iter(plan.bounds.values()))
        assert low < high
    baseline = plan_calibration(SCENARIOS / "calibration" / "baseline.toml")
    assert all(t.years == "all" for t in baseline.targets), "baseline rates in every year"


def test_a_bad_calibration_file_gets_one_message(tmp_path: Path) -> None:
    path = calibration_file(tmp_path, {"elective_admissions_per_1000": 1.0})
    path.write_text(
        path.read_text().replace(
            'metric = "elective_admissions_per_1000"', 'metric = "electives"', 1
        )
    )
    with pytest.raises(ScenarioError, match=r"targets.0.*unknown metric 'electives'"):
        plan_calibration(path)
    result = CliRunner().invoke(app, ["calibrate", str(path)])
    assert result.exit_code == 2 and "unknown metric" in result.output
    assert "Traceback" not in result.output


SHIPPED = sorted((SCENARIOS / "calibration").glob("*.toml"))
FULL_SIZE = Path(__file__).resolve().parent.parent / "docs" / "validation" / "calibration"


SMALL = {
    # year-one rates hold early; 20,000 patients keep elective noise well inside the band
    "baseline": {"patients": 20_000, "years": 3},
    # switching settles over the years and depends on how many ICPs a locality can hold,
    # so the shipped size is kept and only the trials are fewer
    "choice": {"patients": 20_000, "years": 10},
}


def shipped_at_small_size(path: Path, folder: Path) -> Path:
    """The shipped calibration file as it is, but small: fewer patients or years, 6 trials."""
    data = tomllib.loads(path.read_text())
    meta = data["calibration"]
    meta["scenario"] = (path.parent / meta["scenario"]).resolve().as_posix()
    meta.update(SMALL[path.stem], replicates=2, trials=6, batch=3)
    small = folder / path.name
    small.write_bytes(tomli_w.dumps(data).encode())
    return small


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_shipped_calibration_files_reproduce_the_shipped_defaults(
    tmp_path: Path, path: Path
) -> None:
    """At full size (the committed run) the fit lands on the defaults within the spread of
    its best trials; at small size the shipped file runs and lands as close."""
    full = pd.read_csv(FULL_SIZE / path.stem / "fitted.csv").set_index("parameter")
    plan = plan_calibration(path)
    assert set(full.index) == set(plan.bounds), "the committed run is of this file"
    defaults = plan.start
    assert defaults is not None, "shipped files start at the defaults"
    for parameter, row in full.iterrows():
        assert row.default == pytest.approx(defaults[parameter]), "committed run is current"
        assert abs(row.fitted - row.default) <= row.best_trials_sd, parameter
    result = run_calibration(
        plan_calibration(shipped_at_small_size(path, tmp_path)),
        tmp_path / "out",
        workers=0,
        progress=False,
    )
    for parameter, row in result.fitted.set_index("parameter").iterrows():
        assert abs(row.fitted - defaults[parameter]) <= row.best_trials_sd, parameter
