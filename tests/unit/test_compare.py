"""The comparison table of ``icsim compare`` on small hand-made metrics.

Every value is chosen so that the expected cell can be worked out by hand: the final
year, the mean over years and over replicates, and which rows are left out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.report import compare
from sim.report.compare import COMPARED, comparison_table, write_comparison


def rows(scenario: str, metric: str, values: dict[tuple[int, int], float], **where: str) -> list:
    """Tidy metric rows, one per (replicate, year): value."""
    system, group = where.get("system", "all"), where.get("group", "all")
    return [
        {
            "scenario": scenario,
            "replicate": rep,
            "year": year,
            "system": system,
            "group": group,
            "metric": metric,
            "value": value,
        }
        for (rep, year), value in values.items()
    ]


@pytest.fixture
def metrics() -> pd.DataFrame:
    """Two scenarios, two replicates, years 1 and 2, plus rows the table must ignore."""
    data = [
        # second scenario listed first: the table keeps the order of first appearance
        *rows(
            "icps", "cost_per_capita", {(0, 1): 100.0, (0, 2): 120.0, (1, 1): 110.0, (1, 2): 140.0}
        ),
        *rows("icps", "quality", {(0, 1): 0.5, (0, 2): 0.6, (1, 1): 0.5, (1, 2): 0.7}),
        *rows(
            "tariff", "cost_per_capita", {(0, 1): 90.0, (0, 2): 95.0, (1, 1): 92.0, (1, 2): 97.0}
        ),
        *rows("tariff", "quality", {(0, 1): 0.4, (0, 2): 0.4, (1, 1): 0.4, (1, 2): 0.4}),
        # not compared: another system, another group, a metric outside COMPARED
        *rows("icps", "cost_per_capita", {(0, 2): 9_999.0}, system="icp_north"),
        *rows("icps", "cost_per_capita", {(0, 2): 9_999.0}, group="imd_q1"),
        *rows("icps", "provider_surplus", {(0, 2): 9_999.0}),
    ]
    return pd.DataFrame(data)


def test_final_year_and_mean_over_years_by_scenario(metrics: pd.DataFrame) -> None:
    table = comparison_table(metrics)
    assert list(table.index) == ["icps", "tariff"]
    final, overall = table["final_year"], table["mean_over_years"]
    assert final.loc["icps", "cost_per_capita"] == pytest.approx((120 + 140) / 2)
    assert overall.loc["icps", "cost_per_capita"] == pytest.approx((100 + 120 + 110 + 140) / 4)
    assert final.loc["tariff", "cost_per_capita"] == pytest.approx(96.0)
    assert final.loc["icps", "quality"] == pytest.approx(0.65)
    assert overall.loc["tariff", "quality"] == pytest.approx(0.4)


def test_only_whole_population_rows_of_compared_metrics(metrics: pd.DataFrame) -> None:
    table = comparison_table(metrics)
    assert set(table.columns.get_level_values(0)) == {"final_year", "mean_over_years"}
    assert set(table.columns.get_level_values(1)) == {"cost_per_capita", "quality"}
    assert "provider_surplus" not in COMPARED
    assert (table.to_numpy() < 1_000).all()  # the 9,999 rows are left out


def test_a_metric_missing_for_one_scenario_is_left_blank(metrics: pd.DataFrame) -> None:
    metrics = metrics[~((metrics["scenario"] == "tariff") & (metrics["metric"] == "quality"))]
    table = comparison_table(metrics)
    assert pd.isna(table.loc["tariff", ("final_year", "quality")])
    assert table.loc["icps", ("final_year", "quality")] == pytest.approx(0.65)


def test_written_csv_and_markdown(
    metrics: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[Path] = []
    monkeypatch.setattr(compare, "figure", lambda df, path: drawn.append(path))
    write_comparison(metrics, tmp_path)
    assert drawn == [tmp_path / "comparison.png"]

    csv = pd.read_csv(tmp_path / "comparison.csv")
    assert list(csv["scenario"]) == ["icps", "tariff"]
    assert csv.loc[0, "final_year:cost_per_capita"] == pytest.approx(130.0)
    assert csv.loc[1, "mean_over_years:cost_per_capita"] == pytest.approx(93.5)

    lines = (tmp_path / "comparison.md").read_text().splitlines()
    # metrics as rows with their units, scenarios as columns, in the order given
    assert lines[0] == "## Final year, whole population"
    assert lines[2] == "| metric | unit | icps | tariff |"
    assert lines[3] == "|---|---|---|---|"
    assert lines[4] == "| quality | index, 0-1 | 0.650 | 0.400 |"
    assert lines[5] == "| cost_per_capita | GBP per person per year | 130 | 96.0 |"
    mean = lines.index("## Mean over years, whole population")
    assert lines[mean + 5] == "| cost_per_capita | GBP per person per year | 118 | 93.5 |"
