"""icsim psa: parameter uncertainty widens the intervals; degenerate distributions do not.

Under the null (every parameter set the same) the spread of the set means is replicate
noise only, so R x Var(set means) / E[Var within a set] follows an F distribution with
(S - 1, S (R - 1)) degrees of freedom; the tests compare it with that distribution's 99.9%
point, a tolerance derived from the replicate spread rather than chosen.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import SCENARIOS
from scipy import stats

from sim.config.scenario import ScenarioError
from sim.experiments.psa import plan_psa, run_psa

SAMPLES, REPS = 6, 3
METRIC = "switching_rate"  # moved strongly by the inertia drawn


def psa_file(folder: Path, parameter: str) -> Path:
    frag = (SCENARIOS / "fragmented_tariff.toml").as_posix()
    icps = (SCENARIOS / "competing_icps_capitation.toml").as_posix()
    path = folder / "psa.toml"
    path.write_text(
        f"""
[psa]
name = "tiny"
scenarios = ["{frag}", "{icps}"]
samples = {SAMPLES}
replicates = {REPS}
patients = 4000
years = 3
seed = 5
outputs = ["{METRIC}", "bed_days_per_1000"]

[parameters."choice.inertia"]
{parameter}
source = "assumption range (test)"
"""
    )
    return path


def f_statistic(row: pd.Series) -> float:
    return REPS * (row.var_parameter + row.var_stochastic / REPS) / row.var_stochastic


def run(tmp_path: Path, parameter: str) -> pd.Series:
    plan = plan_psa(psa_file(tmp_path, parameter))
    summary = run_psa(plan, tmp_path / "out", workers=0, progress=False)
    return summary.set_index("metric").loc[METRIC]


CRITICAL = stats.f.ppf(0.999, SAMPLES - 1, SAMPLES * (REPS - 1))


def test_uncertain_parameters_widen_the_interval_beyond_replicate_spread(tmp_path: Path) -> None:
    row = run(tmp_path, 'distribution = "uniform"\nlow = 0.5\nhigh = 6.0')
    assert f_statistic(row) > CRITICAL, row
    assert row.combined_high - row.combined_low > row.stochastic_high - row.stochastic_low
    assert row.parameter_share > 0.5
    written = pd.read_csv(tmp_path / "out" / "psa_summary.csv")
    assert {"var_parameter", "var_stochastic", "combined_low", "stochastic_low"} <= set(written)
    samples = pd.read_csv(tmp_path / "out" / "samples.csv")
    assert samples["choice.inertia"].nunique() == SAMPLES


def test_degenerate_distributions_leave_only_replicate_spread(tmp_path: Path) -> None:
    row = run(tmp_path, 'distribution = "fixed"\nvalue = 2.6')
    assert f_statistic(row) < CRITICAL, row
    width = row.combined_high - row.combined_low
    assert width == pytest.approx(row.stochastic_high - row.stochastic_low, rel=0.5)


def test_draws_come_from_one_seeded_stream_and_a_posterior(tmp_path: Path) -> None:
    path = psa_file(tmp_path, 'distribution = "normal"\nmean = 2.6\nsd = 0.5\nlow = 0.0')
    a, b = plan_psa(path), plan_psa(path)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    assert (a.draws["choice.inertia"] >= 0).all()
    posterior = tmp_path / "posterior.csv"
    pd.DataFrame(
        {"behaviour.induced_demand_elasticity": [0.2, 0.3], "distance": [0.1, 0.2]}
    ).to_csv(posterior, index=False)
    path.write_text(
        path.read_text().replace('name = "tiny"', 'name = "tiny"\nposterior = "posterior.csv"')
    )
    drawn = plan_psa(path).draws["behaviour.induced_demand_elasticity"]
    assert set(np.unique(drawn)) <= {0.2, 0.3}
    # the same replicate numbers run in every scenario of a set, different ones across sets
    reps = {(p["sample"], s.replicate) for p, s in plan_psa(path).runs}
    assert len(reps) == SAMPLES * REPS


def test_a_bad_distribution_gets_one_message(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="triangular distribution needs low, mode, high"):
        plan_psa(psa_file(tmp_path, 'distribution = "triangular"\nlow = 0.0'))
