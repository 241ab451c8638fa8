"""The live dashboard: a Mesa SolaraViz page over :class:`sim.engine.model.ICSModel`.

As in the Mesa examples, the model lives in :mod:`sim.engine.model` and this file only
sets up the page. A presenter picks a scenario, moves the controls (payment regime, risk
adjustment, choice inertia, number of ICPs), presses Reset to build the model with
them, then Step or play: each step is one simulated year, and the plots of enrolment,
hospital use and cost redraw from ``model.metrics`` (a :class:`sim.engine.metrics.MetricsLog`)
after every year.

Start it with ``icsim dashboard`` (or ``solara run sim.app``). Scenario files are read
from the folder in ``$ICSIM_SCENARIOS``, else ``./scenarios``, else the scenarios beside
the package in a source checkout; with none found the built-in defaults are offered.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import solara
from matplotlib.figure import Figure
from mesa.visualization import Slider, SolaraViz

from sim.config.controls import (  # noqa: F401  (re-exported: the page's scenario)
    AS_IN_SCENARIO,
    BUILT_IN,
    DEFAULT_SCENARIO,
    INERTIA,
    REGIMES,
    RISK_ADJUSTMENTS,
    dashboard_scenario,
    scenario_files,
    urban_icp_count,
)
from sim.config.scenario import RunConfig
from sim.engine.model import ICSModel
from sim.report import plots

MAX_ICPS = 4
YEARS = RunConfig.model_fields["years"].default
PATIENTS = 10_000
"""A tenth of ``run.patients``, so that each simulated year redraws while the audience watches."""


class DashboardModel(ICSModel):
    """:class:`ICSModel` built from the dashboard's controls, stopping after the last year."""

    def __init__(
        self,
        scenario: str = DEFAULT_SCENARIO,
        payment_regime: str = AS_IN_SCENARIO,
        risk_adjustment: str = AS_IN_SCENARIO,
        inertia: float = INERTIA,
        n_icps: int | None = None,
        patients: int = PATIENTS,
        years: int = YEARS,
    ):
        resolved = dashboard_scenario(scenario, payment_regime, risk_adjustment, inertia, n_icps)
        super().__init__(resolved, patients=int(patients), years=int(years))
        self.settings = {
            "scenario": scenario,
            "payment_regime": payment_regime,
            "risk_adjustment": risk_adjustment,
            "inertia": float(inertia),
            "n_icps": None if n_icps is None else int(n_icps),
            "patients": int(patients),
        }

    def step(self) -> None:
        """One simulated year; the model stops (Mesa's ``running``) after the last."""
        if self.year < self.n_years:
            super().step()
        self.running = self.year < self.n_years

    def frame(self) -> pd.DataFrame:
        """The metrics so far, as a tidy frame (built from the log's arrays each redraw)."""
        return self.metrics.frame()

    def contract_text(self) -> str:
        """How the ICPs are paid, in words."""
        c = self.scenario.contracts["icp"]
        cap = c if c.kind == "capitation" else getattr(c, "capitation", None)
        adjust = f" (risk adjustment {cap.risk_adjustment})" if cap is not None else ""
        if c.kind == "tariff":
            return "ICPs paid by national tariff"
        if c.kind == "capitation":
            return f"ICPs paid by capitation{adjust}"
        if c.kind == "blended":
            return f"ICPs paid {c.capitation_share:.0%} capitation{adjust}, rest tariff"
        return f"ICPs paid under a {c.kind.replace('_', ' ')} contract{adjust}"


# --------------------------------------------------------------------------- page parts


def _figure(title: str, ylabel: str) -> tuple[Figure, Any]:
    fig = Figure(figsize=(6.6, 4.3), layout="constrained")
    ax = fig.subplots()
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    plots.year_axis(ax)
    return fig, ax


def _render(fig: Figure, model: DashboardModel) -> solara.Element:
    """The figure as a PNG, redrawn only when the model or its year changes."""
    return solara.FigureMatplotlib(
        fig,
        format="png",
        dpi=100,
        dependencies=[id(model), model.year, tuple(model.settings.items())],
    )


def _lines(
    model: DashboardModel,
    metric: str,
    title: str,
    ylabel: str,
    *,
    scale: float = 1.0,
    with_all: bool = True,
) -> Figure:
    """One line per system (dashed: whole population) for the years simulated so far."""
    with plots.style():
        fig, ax = _figure(title, ylabel)
        ax.set_xlim(0.5, model.n_years + 0.5)
        df = model.frame()
        if df.empty:
            ax.text(
                0.5,
                0.5,
                "Press Step or \u25b6 to simulate a year",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=16,
            )
            return fig
        results = plots.from_metrics(df)
        for name, stats in plots.series(results, metric).items():
            if with_all or name != "all":
                plots.draw_line(ax, stats, name, PALETTE, scale=scale)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=11)
    return fig


PALETTE = plots.Palette()


def EnrolmentPlot(model: DashboardModel) -> solara.Element:
    """Enrolment share of each system, year by year."""
    fig = _lines(
        model,
        "enrolment_share",
        "Enrolment share",
        "Share of population (%)",
        scale=100,
        with_all=False,
    )
    fig.axes[0].set_ylim(-2, 102)
    plots.percent_axis(fig.axes[0])
    return _render(fig, model)


def HospitalPlot(model: DashboardModel) -> solara.Element:
    """Emergency admissions per 1,000 by system (solid) and the whole population."""
    fig = _lines(
        model,
        "emergency_admissions_per_1000",
        "Emergency admissions",
        "Admissions per 1,000 per year",
    )
    return _render(fig, model)


def BedDaysPlot(model: DashboardModel) -> solara.Element:
    """Bed days per 1,000 by system and for the whole population."""
    fig = _lines(model, "bed_days_per_1000", "Hospital bed days", "Bed days per 1,000 per year")
    return _render(fig, model)


def CostPlot(model: DashboardModel) -> solara.Element:
    """Commissioner spend per head by system and for the whole population."""
    fig = _lines(model, "cost_per_capita", "Cost per capita", "Spend per head (GBP per year)")
    fig.axes[0].yaxis.set_major_formatter(plots.gbp())
    return _render(fig, model)


def HealthPlot(model: DashboardModel) -> solara.Element:
    """Deaths timely care would have avoided, per 1,000, by system: what cutting care costs."""
    fig = _lines(model, "amenable_deaths_per_1000", "Amenable deaths", "Deaths per 1,000 per year")
    return _render(fig, model)


def UnmetNeedPlot(model: DashboardModel) -> solara.Element:
    """Electives patients' conditions call for but did not get, per 1,000, by system."""
    fig = _lines(model, "unmet_need_per_1000", "Unmet elective need", "Electives per 1,000")
    return _render(fig, model)


def Summary(model: DashboardModel) -> solara.Element:
    """What is running and the latest year's whole-population numbers, as text."""
    lines = [
        f"**Year {model.year} of {model.n_years}** \u00b7 {model.population.n:,} patients "
        f"\u00b7 scenario {model.settings['scenario']}",
        f"Options: {', '.join(plots.label(o) for o in model.options)}",
        f"{model.contract_text()} \u00b7 choice inertia {model.scenario.choice.inertia:.1f}",
    ]
    df = model.frame()
    if not df.empty:
        last = df[(df["year"] == model.year) & (df["group"] == "all")]
        value = last.set_index(["system", "metric"])["value"]
        icp = 1 - value.get(("fragmented", "enrolment_share"), 1.0)
        lines.append(
            f"Whole population, year {model.year}: emergency admissions "
            f"{value[('all', 'emergency_admissions_per_1000')]:.1f} per 1,000 \u00b7 bed days "
            f"{value[('all', 'bed_days_per_1000')]:,.0f} per 1,000 \u00b7 spend "
            f"\u00a3{value[('all', 'cost_per_capita')]:,.0f} per head \u00b7 in an ICP {icp:.1%}"
        )
        lines.append(
            f"Health: amenable deaths {value[('all', 'amenable_deaths_per_1000')]:.2f} per 1,000 "
            f"\u00b7 QALYs lost {value[('all', 'qalys_lost_per_capita')]:.4f} per head "
            f"\u00b7 unmet elective need {value[('all', 'unmet_need_per_1000')]:.1f} per 1,000 "
            f"\u00b7 resource cost \u00a3{value[('all', 'resource_cost_per_capita')]:,.0f} per head"
        )
    else:
        lines.append("Move the controls, press Reset to apply them, then Step or \u25b6.")
    return solara.Markdown("\n\n".join(lines), style={"font-size": "18px"})


def _drop_down(label: str, values: list[str], value: str = AS_IN_SCENARIO) -> dict[str, Any]:
    """A drop-down control, in the form Mesa's SolaraViz reads."""
    return {"type": "Select", "value": value, "values": values, "label": label}


def model_params() -> dict[str, Any]:
    """The controls: Mesa builds ``DashboardModel(**values)`` from them on Reset."""
    files = scenario_files()
    names = list(files)
    default = DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else names[0]
    urban_icps = min(urban_icp_count(files[default]), MAX_ICPS)
    return {
        "scenario": _drop_down("Scenario", names, default),
        "payment_regime": _drop_down("ICP payment regime", [AS_IN_SCENARIO, *REGIMES]),
        "risk_adjustment": _drop_down("Risk adjustment", [AS_IN_SCENARIO, *RISK_ADJUSTMENTS]),
        "inertia": Slider(
            "Choice inertia (utility of staying)", value=INERTIA, min=0.0, max=5.0, step=0.2
        ),
        "n_icps": Slider(
            "ICPs in the urban locality", value=urban_icps, min=0, max=MAX_ICPS, step=1
        ),
        "patients": Slider("Patients", value=PATIENTS, min=2_000, max=50_000, step=1_000),
    }


COMPONENTS = [
    (Summary, 0),
    (EnrolmentPlot, 0),
    (HospitalPlot, 0),
    (BedDaysPlot, 0),
    (CostPlot, 0),
    (HealthPlot, 0),
    (UnmetNeedPlot, 0),
]


def make_page(model: DashboardModel | None = None) -> solara.Element:
    """The SolaraViz page; ``solara run sim.app`` serves :data:`page`."""
    params = model_params()
    if model is None:
        model = DashboardModel(
            **{k: v["value"] if isinstance(v, dict) else v.value for k, v in params.items()}
        )
    return SolaraViz(
        model,
        components=COMPONENTS,
        model_params=params,
        name="icsim: competing integrated care systems",
        play_interval=300,
    )


page = make_page()
