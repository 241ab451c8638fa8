"""``summary.csv``: the final year's mean and interval, labelled with its year and group.

The metrics are made by hand so each cell can be checked: two replicates, two years, two
groups; only the final year of group ``all`` may reach the summary.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.experiments.runs import write_differences
from sim.experiments.summary import final_year_summary


def metrics() -> pd.DataFrame:
    """Two scenarios; value = 10 * year + replicate in group all, 100 more in imd_q1."""
    return pd.DataFrame(
        [
            {
                "scenario": scenario,
                "replicate": rep,
                "year": year,
                "system": "all",
                "group": group,
                "metric": "cost_per_capita",
                "value": 10.0 * year + rep + (100.0 if group == "imd_q1" else 0.0) + shift,
            }
            for scenario, shift in (("base", 0.0), ("other", 5.0))
            for rep in (0, 1)
            for year in (1, 2)
            for group in ("all", "imd_q1")
        ]
    )


def test_summary_names_its_year_and_group_beside_the_keys():
    out = final_year_summary(metrics(), by=["scenario", "system", "metric"])
    assert list(out.columns[:5]) == ["scenario", "year", "system", "group", "metric"]
    assert set(out["year"]) == {2} and set(out["group"]) == {"all"}
    base = out[out["scenario"] == "base"].iloc[0]
    assert base["mean"] == pytest.approx(20.5)  # replicates 20 and 21 in year 2
    assert base["replicates"] == 2


def test_a_sweep_summary_keeps_its_swept_keys_first():
    df = metrics().rename(columns={"scenario": "choice.inertia"})
    out = final_year_summary(df, by=["choice.inertia", "system", "metric"])
    assert list(out.columns[:5]) == ["choice.inertia", "year", "system", "group", "metric"]


def test_the_comparison_summary_csv_has_the_columns_the_readme_lists(tmp_path):
    write_differences(tmp_path, metrics(), baseline="base")
    summary = pd.read_csv(tmp_path / "summary.csv")
    differences = pd.read_csv(tmp_path / "differences.csv")
    columns = ["scenario", "year", "system", "group", "metric", "replicates", "mean", "sd"]
    assert list(summary.columns) == [*columns, "low", "high"]
    assert list(differences.columns) == list(summary.columns)
    other = differences[(differences["year"] == 2) & (differences["group"] == "all")]
    assert other["mean"].tolist() == pytest.approx([5.0])
