"""The live dashboard: a Mesa page over :class:`sim.report.dashboard_model.DashboardModel`.

A presenter picks a scenario, moves the controls (ICP payment regime, risk adjustment,
choice inertia, number of urban ICPs, patients), presses Reset to build the model from
exactly the values shown, then Step or play: each step is one simulated year of the
scenario and, beside it, of the fragmented default with the same seed, each as a few
replicates, and six panels redraw (:mod:`sim.report.dashboard_figures`).

The page is built for a room: it fits 1280x720 with every panel visible, shows one legend
that says which ICP is virtual and which vertical, puts the mean risk of each system's
enrolees beside its cost, and shows none of Mesa's own controls (play and render
intervals, threads, step counter, pages), only Mesa's Reset, play and Step buttons.

Each browser session builds its own model (``solara.use_memo`` inside :func:`Page`), so one
presenter's steps are never another visitor's. The page needs no network: ``icsim dashboard``
starts Solara without its version check and telemetry
(:data:`sim.report.dashboard_model.SERVER_ARGS`, ``SERVER_ENV``) and every asset is served
from this machine.

Start it with ``icsim dashboard`` (``solara run sim.app`` also works, but then pass those
options yourself). Scenario files are read
from the folder in ``$ICSIM_SCENARIOS``, else ``./scenarios``, else the scenarios beside
the package in a source checkout; with none found the built-in defaults are offered.
"""

from __future__ import annotations

import html
import warnings

# Mesa's own page component trips one of Solara's hook-order checks, and a server on
# 127.0.0.1 falls back to lax cookies with a warning; neither is anything to act on.
warnings.filterwarnings("ignore", message=r".*found despite early return", category=UserWarning)
warnings.filterwarnings("ignore", message="Cookies with samesite=none", category=UserWarning)

from typing import Any  # noqa: E402

import solara  # noqa: E402
from mesa.visualization.solara_viz import ModelController  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from sim.config.controls import (  # noqa: E402, F401  (re-exported: the page's scenario)
    AS_IN_SCENARIO,
    BUILT_IN,
    DEFAULT_SCENARIO,
    RATE_SETTINGS,
    REGIMES,
    RISK_ADJUSTMENTS,
    dashboard_scenario,
    scenario_files,
)
from sim.report.dashboard_figures import PANELS, legend_entries, panel_figure  # noqa: E402
from sim.report.dashboard_model import (  # noqa: E402, F401
    MAX_ICPS,
    PATIENTS,
    REPLICATES,
    YEARS,
    DashboardModel,
    offered_scenarios,
    scenario_controls,
    settings_problem,
)
from sim.report.style import Palette  # noqa: E402

PLAY_INTERVAL_MS = 400
"""Pause between years when playing, so the room can follow each redraw."""

CSS = """
.icsim-page { display: grid; grid-template-columns: 264px 1fr; gap: 10px; padding: 6px; }
.icsim-controls .v-input { margin-top: 0; padding-top: 2px; }
.icsim-controls .v-messages { min-height: 0; }
.icsim-controls h2 { font-size: 17px; margin: 0 0 10px 0; line-height: 1.2; }
.icsim-note { font-size: 12.5px; color: #444; margin: -6px 0 6px 0; }
.icsim-summary { font-size: 14px; line-height: 1.3; margin: 0 0 2px 0; }
.icsim-summary p { margin: 0 0 2px 0; }
.icsim-legend { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 13px; margin: 0 0 4px 0; }
.icsim-legend span.swatch { display: inline-block; width: 22px; vertical-align: middle;
  margin-right: 4px; border-top-width: 3px; }
.icsim-panels { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 4px 6px; }
.icsim-panels img { width: 100%; height: auto; max-height: 245px; object-fit: contain; }
"""


def initial_settings(scenario: str | None = None) -> dict[str, Any]:
    """The controls' values when the page opens or a scenario is picked: everything as in
    the scenario (its own choice inertia and number of urban ICPs on the sliders)."""
    names = offered_scenarios()[0] or list(scenario_files())
    if scenario is None:
        scenario = DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else names[0]
    return {
        "scenario": scenario,
        "payment_regime": AS_IN_SCENARIO,
        "risk_adjustment": AS_IN_SCENARIO,
        "rate_setting": AS_IN_SCENARIO,
        **scenario_controls(scenario),
        "patients": PATIENTS,
    }


def _note(value: float, own: float, fmt: str = "{:g}") -> str:
    """What a numeric control says beside its value: as in scenario, or the scenario's."""
    if abs(float(value) - float(own)) < 1e-6:
        return f"{fmt.format(value)}, as in scenario"
    return f"{fmt.format(value)}, changed (scenario: {fmt.format(own)})"


@solara.component
def Controls(settings: solara.Reactive[dict[str, Any]], built: dict[str, Any]) -> None:
    """The presenter's controls, each showing exactly the value the model will be built with."""
    values = settings.value
    own = scenario_controls(values["scenario"])
    refused = solara.use_reactive("")
    offered, unreadable = offered_scenarios()

    def change(key: str):
        def apply(value: Any) -> None:
            wanted = {**settings.value, key: value}
            problem = settings_problem(wanted)
            refused.set(problem or "")
            if problem is None:
                settings.set(wanted)

        return apply

    def pick_scenario(name: str) -> None:
        settings.set(initial_settings(name) | {"patients": settings.value["patients"]})

    with solara.Column(classes=["icsim-controls"], gap="0px"):
        solara.HTML("h2", "icsim: competing integrated care systems")
        solara.Select(
            "Scenario",
            values=offered,
            value=values["scenario"],
            on_value=pick_scenario,
        )
        for name, reason in unreadable.items():
            solara.Text(f"Not offered: {name}: {reason}", classes=["icsim-note"])
        if refused.value:
            solara.Text(f"Not applied: {refused.value}", classes=["icsim-note"])
        solara.Select(
            "ICP payment regime",
            values=[AS_IN_SCENARIO, *REGIMES],
            value=values["payment_regime"],
            on_value=change("payment_regime"),
        )
        solara.Select(
            "Risk adjustment",
            values=[AS_IN_SCENARIO, *RISK_ADJUSTMENTS],
            value=values["risk_adjustment"],
            on_value=change("risk_adjustment"),
        )
        solara.Select(
            "Commissioner's rate setting",
            values=[AS_IN_SCENARIO, *RATE_SETTINGS],
            value=values["rate_setting"],
            on_value=change("rate_setting"),
        )
        solara.SliderFloat(
            "Choice inertia",
            value=values["inertia"],
            min=0.0,
            max=5.0,
            step=0.05,  # fine enough for a calibrated default (2.35) to sit on a step
            on_value=change("inertia"),
        )
        solara.Text(
            f"Utility of staying: {_note(values['inertia'], own['inertia'])}",
            classes=["icsim-note"],
        )
        solara.SliderInt(
            "Urban ICPs",
            value=values["n_icps"],
            min=0,
            max=MAX_ICPS,
            on_value=change("n_icps"),
        )
        solara.Text(
            f"ICPs in the urban locality: {_note(values['n_icps'], own['n_icps'])}",
            classes=["icsim-note"],
        )
        solara.SliderInt(
            "Patients",
            value=values["patients"],
            min=2_000,
            max=50_000,
            step=1_000,
            on_value=change("patients"),
        )
        solara.Text(
            f"{values['patients']:,} patients per replicate, {REPLICATES} replicates per arm",
            classes=["icsim-note"],
        )
        pending = any(
            abs(float(v) - float(built[k])) > 1e-6 if isinstance(v, int | float) else v != built[k]
            for k, v in values.items()
        )
        solara.Text(
            "Press Reset to build the model from these controls"
            if pending
            else "The model shown is built from these controls",
            classes=["icsim-note"],
            style={"font-weight": "bold" if pending else "normal"},
        )


def _value(model: DashboardModel, arm: list, metric: str) -> float | None:
    """The latest year's whole-population mean of a metric over an arm's replicates."""
    values = []
    for m in arm:
        frame = m.metrics.frame()
        rows = frame[
            (frame["year"] == m.year)
            & (frame["system"] == "all")
            & (frame["group"] == "all")
            & (frame["metric"] == metric)
        ]
        values += list(rows["value"])
    return sum(values) / len(values) if values else None


SUMMARY = (
    ("emergency_admissions_per_1000", "emergency admissions", "{:.1f} per 1,000"),
    ("cost_per_capita", "spend", "\u00a3{:,.0f} per head"),
    ("amenable_deaths_per_1000", "amenable deaths", "{:.2f} per 1,000"),
    ("unmet_need_per_1000", "unmet need", "{:.1f} per 1,000"),
)
"""Whole-population numbers the summary gives for the latest year, scenario then baseline."""


def summary_lines(model: DashboardModel) -> list[str]:
    """What is running, and the latest year's whole-population numbers beside the baseline."""
    s = model.settings
    lines = [
        f"**Year {model.year} of {model.n_years}** \u00b7 scenario {s['scenario']} \u00b7 "
        f"{model.population.n:,} patients \u00d7 {len(model.replicates)} replicates \u00b7 "
        f"{model.contract_text()} \u00b7 choice inertia {s['inertia']:g}"
    ]
    if model.year == 0:
        lines.append("Press Step or \u25b6 to simulate a year; Reset applies the controls.")
        return lines
    parts = []
    for metric, name, fmt in SUMMARY:
        ours = _value(model, model.replicates, metric)
        base = _value(model, model.baseline, metric)
        if ours is None:
            continue
        value, _, unit = fmt.format(ours).partition(" ")
        if base is not None:
            value += f" ({fmt.format(base).partition(' ')[0]})"
        parts.append(f"{name} {value} {unit}")
    brackets = " (baseline in brackets)" if model.baseline else ""
    lines.append(f"Year {model.year}, whole population{brackets}: " + " \u00b7 ".join(parts))
    return lines


def summary_html(lines: list[str]) -> str:
    """The summary as plain HTML, ``**bold**`` as bold. Solara's Markdown is not used: it
    fetches a maths typesetter (KaTeX) from the internet for every page, and the dashboard
    must work on a machine without a network."""
    paragraphs = []
    for line in lines:
        parts = html.escape(line).split("**")
        text = "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))
        paragraphs.append(f"<p>{text}</p>")
    return "".join(paragraphs)


@solara.component
def Results(model: DashboardModel) -> None:
    """Summary, one legend and the six panels; redrawn after every simulated year."""
    update_counter.get()
    frame = model.frame()
    palette = Palette(integration=model.integration)
    baseline = None if model.is_baseline or not model.baseline else model.baseline_name
    with solara.Column(gap="0px"):
        solara.HTML("div", summary_html(summary_lines(model)), classes=["icsim-summary"])
        entries = legend_entries(model.options, palette, baseline=baseline is not None)
        items = "".join(
            f'<span><span class="swatch" style="border-top: 3px {style} {colour}"></span>'
            f"{name}</span>"
            for name, colour, style in entries
        )
        items += (
            f"<span>Bands: 90% of {len(model.replicates)} replicates \u00b7 "
            "across: simulated year</span>"
        )
        solara.HTML("div", items, classes=["icsim-legend"])
        with solara.Div(classes=["icsim-panels"]):
            for panel in PANELS:
                fig = panel_figure(
                    panel,
                    frame,
                    scenario=model.scenario.scenario.name,
                    baseline=baseline,
                    years=model.n_years,
                    palette=palette,
                )
                solara.FigureMatplotlib(
                    fig,
                    format="png",
                    dependencies=[id(model), model.year, panel.metric],
                )


@solara.component
def Page() -> None:
    """The whole dashboard: controls and Mesa's Reset, play and Step buttons on the left,
    the results on the right."""
    solara.Title("icsim dashboard")
    solara.Style(CSS)
    settings = solara.use_reactive(solara.use_memo(initial_settings, []))
    first = solara.use_memo(lambda: DashboardModel(**settings.value), [])
    model = solara.use_reactive(first)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    built = {k: model.value.settings[k] for k in settings.value}
    with solara.Div(classes=["icsim-page"]):
        with solara.Column(gap="4px"):
            Controls(settings, built)
            ModelController(
                model,
                model_parameters=settings,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=use_threads,
            )
        Results(model.value)


page = Page
"""What ``solara run sim.app`` serves."""

__all__ = ["DashboardModel", "Page", "dashboard_scenario", "initial_settings", "page"]
