"""Seminar figures: ``icsim compare`` then ``icsim plot`` gives the whole figure set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.report import plots

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
runner = CliRunner()


def _invoke(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def comparison(tmp_path_factory) -> Path:
    """A tiny compare run: 2 scenarios, 2 replicates, 3,000 patients, 3 years."""
    out = tmp_path_factory.mktemp("comparison")
    _invoke(
        "compare",
        str(SCENARIOS / "fragmented_tariff.toml"),
        str(SCENARIOS / "competing_icps_capitation.toml"),
        "--patients",
        "3000",
        "--years",
        "3",
        "--replicates",
        "2",
        "--out",
        str(out),
    )
    return out


def _assert_figure_set(folder: Path, names=None) -> None:
    for name in names or plots.FIGURES:
        for fmt in plots.FORMATS:
            path = folder / f"{name}.{fmt}"
            assert path.is_file() and path.stat().st_size > 1000, f"{path} missing or empty"
    assert (folder / "hospital_use.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (folder / "hospital_use.pdf").read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in (folder / "hospital_use.svg").read_bytes()[:2000]
    assert not list(folder.glob(".*.tmp")), "temporary files left behind"


def test_compare_then_plot_gives_the_whole_figure_set(comparison):
    result = _invoke("plot", str(comparison))
    _assert_figure_set(comparison / "figures")
    assert f"{len(plots.FIGURES)} figures" in result.output


def test_compare_writes_the_outcome_figures_itself(comparison):
    _assert_figure_set(comparison / "figures", plots.OUTCOME_FIGURES)


def test_plot_a_single_run_folder(comparison, tmp_path):
    _invoke("plot", str(comparison / "competing_icps_capitation"), "--out", str(tmp_path))
    single = [n for n in plots.FIGURES if n not in plots.COMPARISON_ONLY]
    _assert_figure_set(tmp_path, single)
    assert not (tmp_path / "forest.png").exists(), "no differences to draw for one scenario"


def test_forest_intervals_come_from_differences_csv(comparison):
    """The forest plot reads the paired 90% intervals that icsim compare wrote."""
    from sim.report.figures_outcomes import forest_data

    results = plots.load_results(comparison)
    csv = pd.read_csv(comparison / "differences.csv")
    last = csv["year"].max()
    csv = csv[(csv["year"] == last) & (csv["system"] == "all") & (csv["group"] == "all")]
    data = forest_data(results)
    for metric, *_ in plots.FOREST_METRICS:
        row = csv[(csv["metric"] == metric) & (csv["scenario"] == "competing_icps_capitation")]
        drawn = data[metric].loc["competing_icps_capitation"]
        assert drawn["lo"] == pytest.approx(row["low"].item()), metric
        assert drawn["hi"] == pytest.approx(row["high"].item()), metric
        assert drawn["mean"] == pytest.approx(row["mean"].item()), metric


def test_plot_options_choose_figures_formats_year_and_metric(comparison, tmp_path):
    result = _invoke(
        "plot",
        str(comparison),
        "--out",
        str(tmp_path),
        "--figures",
        "forest,health_outcomes",
        "--format",
        "svg",
        "--year",
        "2",
        "--metric",
        "qalys_lost_per_capita",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "forest.svg",
        "health_outcomes.svg",
        "metric_qalys_lost_per_capita.svg",
    ]
    assert "year 2" in (tmp_path / "forest.svg").read_text()
    assert "3 figures" in result.output


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--figures", "nope", "--figures nope"),
        ("--format", "jpg", "--format jpg"),
        ("--year", "9", "--year 9"),
        ("--metric", "nope", "--metric nope"),
    ],
)
def test_plot_options_are_checked(comparison, tmp_path, option, value, message):
    result = runner.invoke(app, ["plot", str(comparison), "--out", str(tmp_path), option, value])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_plot_names_a_folder_without_results(tmp_path):
    result = runner.invoke(app, ["plot", str(tmp_path)])
    assert result.exit_code == 2
    assert "no metrics.parquet" in result.output


def test_load_results_keeps_the_compare_order_and_run_settings(comparison):
    results = plots.load_results(comparison)
    assert results.scenarios == ["fragmented_tariff", "competing_icps_capitation"]
    assert results.by == "scenario"
    assert results.replicates == 2
    info = json.loads((comparison / "fragmented_tariff" / "run.json").read_text())
    assert results.patients == info["patients"] == 3000
    assert "2 replicates" in results.source() and "90% interval" in results.source()
    single = plots.load_results(comparison / "fragmented_tariff")
    assert single.by == "system" and single.scenarios == ["fragmented_tariff"]


def test_bands_are_the_5th_to_95th_percentile_across_replicates():
    values = np.arange(1.0, 21.0)  # 20 replicates: 1, 2, ..., 20
    df = pd.DataFrame(
        {
            "scenario": "s",
            "replicate": range(20),
            "year": 1,
            "system": "all",
            "group": "all",
            "metric": "cost_per_capita",
            "value": values,
        }
    )
    stats = plots.interval(df, ["scenario", "year"]).iloc[0]
    assert stats["mean"] == pytest.approx(10.5)
    assert stats["lo"] == pytest.approx(np.percentile(values, 5))
    assert stats["hi"] == pytest.approx(np.percentile(values, 95))
    assert stats["n"] == 20


def test_style_is_large_and_colour_blind_safe():
    assert all(
        plots.STYLE[k] >= 14
        for k in (
            "font.size",
            "axes.labelsize",
            "xtick.labelsize",
            "ytick.labelsize",
            "legend.fontsize",
        )
    )
    palette = plots.Palette(frozenset({"fragmented_tariff", "new_scenario"}))
    assert palette.colour("fragmented") == plots.OKABE_ITO["vermillion"]
    # the same name keeps its colour; systems new to the table take Okabe-Ito colours
    assert palette.colour("icp_new") == palette.colour("icp_new")
    colours = {palette.colour(n) for n in ("fragmented", "icp_north", "icp_south", "icp_rural")}
    assert len(colours) == 4 and colours <= set(plots.OKABE_ITO.values())
    assert palette.colour("icp_new") in plots.OKABE_ITO.values()


def test_a_system_has_one_colour_everywhere_and_no_scenario_shares_it():
    # the order and company a system is met in do not change its colour
    first, second = plots.Palette(), plots.Palette(frozenset({"competing_icps_capitation"}))
    for name in ("icp_rural", "fragmented", "icp_north"):
        first(name)
    assert all(
        first.colour(n) == second.colour(n) == plots.system_colour(n)
        for n in ("fragmented", "icp_north", "icp_south", "icp_rural", "insurer_4", "kaiser")
    )
    scenarios = ["fragmented_tariff", "competing_icps_capitation", "blended", "a", "b", "c"]
    palette = plots.Palette(frozenset(scenarios))
    scenario_colours = [palette.colour(s) for s in scenarios]
    assert len(set(scenario_colours)) == len(scenarios)
    every_system_colour = set(plots.SYSTEM_COLOURS.values()) | set(plots.OKABE_ITO.values())
    assert not set(scenario_colours) & every_system_colour
    assert palette.colour("fragmented_tariff") == plots.BASELINE_GREY


@pytest.mark.parametrize("scenario", sorted(p.stem for p in SCENARIOS.glob("*.toml")))
def test_the_systems_of_each_shipped_scenario_have_their_own_colours(scenario):
    from sim.config.scenario import load_scenario

    names = load_scenario(SCENARIOS / f"{scenario}.toml").option_names
    if len(names) > len(plots.SYSTEM_CYCLE) + 1:  # England's 84 areas: markers tell them apart
        pytest.skip("more systems than colours")
    colours = [plots.system_colour(n) for n in [*names, "all"]]
    assert len(set(colours)) == len(colours), dict(zip(names, colours, strict=False))


def test_legends_say_which_icp_is_virtual_and_which_vertical(comparison):
    results = plots.load_results(comparison / "competing_icps_capitation")
    assert results.palette.integration == {
        "icp_north": "virtual",
        "icp_south": "vertical",
        "icp_rural": "vertical",
    }
    fig = plots.make_figures(results, ["hospital_use"])["hospital_use"]
    legend = [t.get_text() for sub in fig.subfigs for leg in sub.legends for t in leg.texts]
    assert "ICP north (virtual)" in legend and "ICP south (vertical)" in legend
    assert "Fragmented default" in legend
    lines = {ln.get_label(): ln for ax in fig.axes for ln in ax.get_lines()}
    assert lines["ICP north (virtual)"].get_markerfacecolor() == "white"  # hollow: virtual
    assert lines["ICP south (vertical)"].get_markerfacecolor() != "white"


def test_every_axis_has_units_and_every_figure_a_source(comparison):
    results = plots.load_results(comparison)
    for name, fig in plots.make_figures(results).items():
        texts = [t.get_text() for sub in fig.subfigs for t in sub.texts]
        assert any(t.startswith("Source: icsim simulation") for t in texts), name
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            label = ax.get_ylabel() or ax.get_xlabel()
            assert label, f"{name}: an axis without a label"
            assert (
                "(" in label
                or "year" in label.lower()
                or "per" in label
                or "index" in label
                or "weeks" in label
                or "%" in label
            ), f"{name}: {label!r}"
