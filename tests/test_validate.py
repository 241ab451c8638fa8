"""icsim validate: every row gets the model's value, its band and a plain verdict.

The small report runs the shipped rows at a tiny size; the verdict logic is checked on
hand-made values, so that a target missed only in a late year is reported as a miss.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.config.scenario import ScenarioError
from sim.engine.metrics import METRICS
from sim.experiments.targets import Measured, Target
from sim.report.validation import ROWS, read_rows, verdict

ROW = Target(name="r", metric="m", value=100.0, relative=0.04, source="calibration_targets 4.8")


def measured(by_year: dict[int, list[float]]) -> Measured:
    rows = [(r, y, v) for y, vs in by_year.items() for r, v in enumerate(vs)]
    return Measured(pd.DataFrame(rows, columns=["replicate", "year", "value"]))


def test_a_target_missed_only_in_late_years_is_a_miss_naming_them() -> None:
    assert verdict(ROW, measured({1: [99, 101], 2: [102, 103]})) == ("match", "")
    status, where = verdict(
        ROW, measured({1: [99, 101], 2: [103, 103], 3: [106, 108], 4: [110, 112]})
    )
    assert status == "miss" and where == "outside the band in years 3-4"
    assert verdict(ROW, None) == ("not measured", "")


def test_every_shipped_row_names_a_metric_the_model_writes() -> None:
    _, rows = read_rows()
    for row, _, _ in rows:
        assert row.metric in METRICS, row.name
        assert row.denominator is None or row.denominator in METRICS, row.name


def test_a_misspelt_metric_is_refused_naming_the_row(tmp_path: Path) -> None:
    text = ROWS.read_text().replace(
        'metric = "cost_top5_share"', 'metric = "cost_top5_share_patients"'
    )
    path = tmp_path / "validation.toml"
    path.write_text(text.replace('"../', f'"{ROWS.parent.parent.as_posix()}/'))
    with pytest.raises(ScenarioError) as refused:
        read_rows(path)
    message = str(refused.value)
    assert str(path) in message and "field 'metric'" in message
    assert "cost_top5_share_patients" in message and "Top 5% of patients" in message


def test_the_small_report_is_written_with_every_row(tmp_path: Path) -> None:
    out = tmp_path / "validation"
    args = ["validate", "--out", str(out), "--patients", "2000", "--years", "3"]
    result = CliRunner().invoke(app, [*args, "--replicates", "2", "--workers", "0"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "validation.csv")
    _, rows = read_rows()
    assert len(table) == len(rows)
    assert set(table["verdict"]) <= {"match", "miss", "not measured"}
    # every calibration target is checked in every simulated year
    calibration = table[table["section"] == "calibration"]
    assert (calibration["years"] == "every year").all() and len(calibration) >= 4
    # the cost-distribution rows are measured, every one
    cost = table[table["section"] == "cost"]
    assert len(cost) >= 8 and (cost["verdict"] != "not measured").all(), cost
    assert (table.loc[table["verdict"] != "not measured", "model"].notna()).all()
    text = (out / "validation.md").read_text()
    assert "## Published comparisons" in text and "## The cost distribution" in text
    assert "Kelly E, Stoye G" in text, "sources are given in full"
    assert (out / "validation.html").read_text().startswith("<!DOCTYPE html>")
    measured_rows = (table["verdict"] != "not measured").sum()
    assert len(list((out / "figures").glob("*.png"))) == measured_rows
    assert "Cicala S, Lieber EMJ, Marone V" in text, "a comparison's source is given in full"


def test_a_rewritten_report_keeps_no_figure_of_a_row_since_moved(tmp_path: Path) -> None:
    """Figures are numbered by row, so a row added above others renumbers them: the report
    written again removes the figures it no longer refers to (and nothing else)."""
    out = tmp_path / "validation"
    (out / "figures").mkdir(parents=True)
    stale, kept = out / "figures" / "99_a_row_since_gone.png", out / "figures" / "mine.png"
    stale.write_bytes(b"old")
    kept.write_bytes(b"mine")
    args = ["validate", "--out", str(out), "--patients", "2000", "--years", "2"]
    result = CliRunner().invoke(app, [*args, "--replicates", "2", "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert not stale.exists() and kept.exists()
    text = (out / "validation.md").read_text()
    numbered = sorted(p.name for p in (out / "figures").glob("[0-9][0-9]_*.png"))
    assert numbered and all(f"figures/{name}" in text for name in numbered)
