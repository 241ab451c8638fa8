"""The outcome figures and the metric dictionary, on small hand-made metrics.

The figures are drawn from a tidy frame built here (two scenarios, three replicates, two
years), so each test runs in about a second and the expected whiskers can be worked out by
hand; the metric dictionary is checked against the code that writes the metrics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engine.metric_catalogue import METRIC_CATALOGUE
from sim.engine.metrics import GROUPS, METRICS, SWITCHED_ON
from sim.report import metric_dictionary, plots
from sim.report.figures_outcomes import FOREST_METRICS, HEALTH_PANELS, forest_data

SHOWN = sorted(
    {m for m, *_ in plots.COMPARISON_PANELS if m != "icp_share"}
    | {m for m, *_ in HEALTH_PANELS}
    | {m for m, *_ in FOREST_METRICS}
    | {"enrolment_share", "population"}
)


def _metrics() -> pd.DataFrame:
    """Every shown metric for 'base' and 'cut' (which adds 10% plus the replicate's index)."""
    rows = []
    for scenario, lift in (("base", 0.0), ("cut", 0.1)):
        for rep in range(3):
            for year in (1, 2):
                for i, metric in enumerate(SHOWN):
                    value = 1.0 + i + year
                    for system in ("fragmented", "all"):
                        rows.append(
                            (scenario, rep, year, system, "all", metric, value * (1 + lift) + rep)
                        )
    cols = ["scenario", "replicate", "year", "system", "group", "metric", "value"]
    return pd.DataFrame(rows, columns=cols)


def test_health_outcomes_and_forest_are_written_in_every_format(tmp_path: Path):
    results = plots.from_metrics(_metrics(), patients=1000)
    figures = plots.make_figures(results, ["comparison_panel", "health_outcomes", "forest"])
    for name, fig in figures.items():
        for path in plots.save(fig, tmp_path / name):
            assert path.stat().st_size > 1000, path
    assert (tmp_path / "forest.pdf").read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in (tmp_path / "health_outcomes.svg").read_bytes()[:2000]


def test_forest_whiskers_are_the_paired_intervals(tmp_path: Path):
    results = plots.from_metrics(_metrics())
    # 'cut' - 'base' = 0.1 x base value, the same in each replicate: a zero-width interval
    diffs = results.paired()
    diffs = diffs.assign(low=diffs["mean"] - 1.0, high=diffs["mean"] + 2.0)
    results.differences = diffs
    data = forest_data(results)
    row = data["cost_per_capita"].loc["cut"]
    assert row["hi"] - row["lo"] == pytest.approx(3.0)
    fig = plots.forest(results)
    ax = fig.axes[0]  # commissioner spend, drawn at scale 1
    ends = np.concatenate([seg[:, 0] for c in ax.collections for seg in c.get_segments()])
    assert sorted(ends) == pytest.approx(sorted([row["lo"], row["hi"]]))


def test_comparison_only_figures_are_left_out_for_one_scenario():
    one = plots.from_metrics(_metrics().query("scenario == 'base'"))
    assert "forest" not in plots.figures_for(one)
    assert "forest" in plots.figures_for(plots.from_metrics(_metrics()))
    with pytest.raises(ValueError, match="--figures nope"):
        plots.figures_for(one, ["nope"])


def test_comparison_panel_shows_health_beside_cost():
    shown = [m for m, *_ in plots.COMPARISON_PANELS]
    for metric in (
        "qalys_lost_per_capita",
        "amenable_deaths_per_1000",
        "unmet_need_per_1000",
        "resource_cost_per_capita",
        "cost_per_capita",
    ):
        assert metric in shown


def test_axes_span_the_values_not_from_zero():
    """103 against 97.6 must not look alike: the axis starts near the smaller value."""
    results = plots.from_metrics(_metrics())
    fig = plots.health_outcomes(results)
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        assert lo > 0, "the axis should span the values, not start at zero"


def test_every_metric_has_a_unit_and_a_definition():
    missing = metric_dictionary.undefined()
    assert not missing, (
        f"metrics without a unit and definition in sim/engine/metric_catalogue.py: {missing}"
    )
    extra = sorted(set(METRIC_CATALOGUE) - set(METRICS))
    assert not extra, f"catalogue entries for metrics the model does not write: {extra}"
    for name, info in METRIC_CATALOGUE.items():
        assert info.unit and info.definition.endswith("."), name


def test_docs_metrics_md_is_what_the_code_writes():
    text = metric_dictionary.DOCUMENT.read_text()
    assert text == metric_dictionary.metric_dictionary(), (
        "docs/metrics.md is out of date: run python -m sim.report.metric_dictionary"
    )
    for metric in METRICS:
        assert f"| `{metric}` |" in text


def test_a_metric_without_a_definition_is_named():
    with pytest.raises(KeyError, match="brand_new_metric"):
        metric_dictionary.catalogue_entries((*METRICS, "brand_new_metric"))


def test_each_metric_is_reported_where_its_scope_says():
    """A small run's rows hold each metric in the systems and groups the catalogue states
    (two years: persistence of cost compares a year with the one before)."""
    from sim.config.scenario import load_scenario, with_overrides
    from sim.engine.run import simulate

    # competing ICPs with the commissioner's market rules and social care on, so their
    # metrics are reported too
    path = Path(__file__).resolve().parents[2] / "scenarios" / "competing_icps_rebasing.toml"
    sc = with_overrides(load_scenario(path), {"social_care.enabled": True})
    df = simulate(sc, seed=1, patients=2000, years=2)
    # refusals exist only where ICPs may refuse, premiums only where members pay one
    switches = {
        "applicants_refused_share": {"choice.acceptance": "selective"},
        "icp_premium_per_capita": {
            "commissioner.premium.enabled": True,
            "commissioner.premium.top_up": 100.0,
        },
    }
    switches["premiums_per_capita"] = switches["icp_premium_per_capita"]
    assert set(switches) == SWITCHED_ON
    switched_on = {
        metric: simulate(with_overrides(sc, on), seed=1, patients=2000, years=2)
        for metric, on in switches.items()
    }
    for metric, info in METRIC_CATALOGUE.items():
        rows = switched_on.get(metric, df)
        rows = rows[rows["metric"] == metric]
        assert metric not in switched_on or not (df["metric"] == metric).any(), metric
        groups, systems = set(rows["group"]), set(rows["system"])
        expected = {
            "every": set(GROUPS),
            "oldest": set(GROUPS) - {"age_0_64"},
        }.get(info.scope, {"all"})
        assert groups == expected, (metric, sorted(groups))
        assert (systems == {"all"}) == (info.scope == "market"), (metric, sorted(systems))


def test_choice_figures_are_skipped_without_a_choice():
    """Only the fragmented default: no switching, enrolment or selection figures to draw."""
    results = plots.from_metrics(_metrics())
    skipped = plots.not_applicable(results)
    assert set(skipped) == set(plots.CHOICE_FIGURES)
    assert not set(plots.figures_for(results)) & plots.CHOICE_FIGURES
    with_icp = _metrics().assign(system=lambda df: df["system"].replace("fragmented", "icp_a"))
    assert plots.not_applicable(plots.from_metrics(with_icp)) == {}


def test_terminal_tables_give_units_and_fit_80_columns():
    from rich.console import Console

    from sim.report.terminal import print_table

    console = Console(width=80, record=True)
    df = pd.DataFrame(
        {"a_scenario_with_a_long_name": [1.0, 2.0], "another_long_scenario_name": [3.0, 4.0]},
        index=pd.Index(["avoidable_emergency_admissions_per_1000", "cost_per_capita"], name="m"),
    )
    print_table(console, df, "title")
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert (
        "(GBP per" in text and "issions_per_1000" in text
    )  # the unit shown, names wrapped, not cut


def test_differences_are_listed_in_the_order_given():
    from sim.report.terminal import difference_view

    metrics = pd.concat(
        [_metrics(), _metrics().query("scenario == 'cut'").assign(scenario="another")]
    )
    diffs = plots.from_metrics(metrics).paired()
    view = difference_view(diffs, "base", ["base", "cut", "another"])
    assert list(view.columns) == ["cut - base", "another - base"]


def test_plot_on_a_sweep_folder_draws_each_swept_key(tmp_path: Path):
    """A sweep folder (results.parquet and sweep.json) gives one figure per swept key."""
    import json

    frames = []
    for inertia in (1.5, 4.0):
        for adjust in ("none", "full"):
            df = _metrics().query("scenario == 'base'")
            df = df.assign(value=df["value"] * inertia)
            frames.append(df.assign(**{"choice.inertia": inertia, "risk.adjust": adjust}))
    pd.concat(frames).to_parquet(tmp_path / "results.parquet")
    (tmp_path / "sweep.json").write_text(json.dumps({"swept": ["choice.inertia", "risk.adjust"]}))
    message = plots.plot_command(tmp_path, tmp_path / "figures", formats="png")
    assert "2 figures" in message
    for stem in ("sweep_choice_inertia", "sweep_risk_adjust"):
        assert (tmp_path / "figures" / f"{stem}.png").stat().st_size > 1000


def test_plot_on_a_sensitivity_folder_draws_a_tornado(tmp_path: Path):
    """indices.csv gives a tornado chart; whiskers stop at zero, where mu* cannot go."""
    indices = pd.DataFrame(
        {
            "parameter": ["choice.inertia", "utilisation.emergency_per_1000", "costs.x"] * 2,
            "output": ["cost_per_capita"] * 3 + ["amenable_deaths_per_1000"] * 3,
            "mu_star": [5.0, 20.0, 0.5, 0.01, 0.02, 0.0],
            "mu_star_conf": [1.0, 4.0, 2.0, 0.005, 0.01, 0.01],
            "sigma": [1.0] * 6,
        }
    )
    indices.to_csv(tmp_path / "indices.csv", index=False)
    message = plots.plot_command(tmp_path, tmp_path / "figures", formats="png,pdf")
    assert "tornado" in message
    assert (tmp_path / "figures" / "tornado.pdf").read_bytes()[:5] == b"%PDF-"
    fig = plots.tornado(indices)
    ax = fig.axes[0]
    ends = [seg[:, 0].min() for c in ax.collections for seg in c.get_segments()]
    assert min(ends) >= 0.0
    # readable names with their declared units, the largest on top
    top = [t.get_text() for t in ax.get_yticklabels()][-1]
    assert top == "Utilisation: emergency per 1000\n(emergency admissions per 1,000 per year)"
    assert plots.tornado(indices, units={}).axes[0].get_yticklabels()[0].get_text() == "Costs: x"


def test_sensitivity_png_is_the_tornado_in_every_format(tmp_path: Path):
    """Sobol indices: ST bars with S1 inside, written as sensitivity.png, .svg and .pdf."""
    indices = pd.DataFrame(
        {
            "parameter": ["choice.inertia", "contracts.icp.rate_ratio"],
            "output": ["cost_per_capita"] * 2,
            "ST": [0.6, -0.02],
            "ST_conf": [0.1, 0.05],
            "S1": [0.4, -0.01],
            "S1_conf": [0.1, 0.05],
        }
    )
    written = plots.write_sensitivity_figure(indices, tmp_path)
    assert sorted(p.name for p in written) == [f"sensitivity.{f}" for f in ("pdf", "png", "svg")]
    ax = plots.tornado(indices).axes[0]
    widths = sorted(round(p.get_width(), 3) for p in ax.patches)
    assert widths == [0.0, 0.0, 0.4, 0.6]  # negative estimates clipped at zero
    assert ax.get_xlim()[0] == 0.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Sobol total index ST",
        "first order S1",
    ]
