"""The model behind the live dashboard: the chosen scenario and its baseline, a few replicates
of each, stepped together a year at a time.

A room watching one run cannot tell a mechanism from chance, nor a regime's effect from
what would have happened anyway. So the dashboard runs the scenario the controls describe
and, beside it, the fragmented default (``fragmented_tariff``: practices per head, trusts
at the national tariff) with the same seed, so both arms share their random numbers, and
each arm as :data:`REPLICATES` replicates, whose spread is the shaded band.

Controls left "as in scenario" change nothing: a slider left at (or moved back to) the
scenario's own value is passed on as "as in scenario", so the model built is exactly the
scenario file, and a moved control is applied exactly as shown.
"""

from __future__ import annotations

import math
from functools import cache

import pandas as pd

from sim.config.controls import (
    AS_IN_SCENARIO,
    DEFAULT_SCENARIO,
    dashboard_scenario,
    scenario_files,
    urban_icp_count,
)
from sim.config.scenario import (
    RunConfig,
    Scenario,
    ScenarioError,
    read_scenario_dict,
    scenario_from_dict,
)
from sim.engine.model import ICSModel

BASELINE = "fragmented_tariff"
"""The baseline arm: today's default, run beside every scenario with the same seed."""

REPLICATES = 3
"""Replicates per arm: enough for a band that shows chance, few enough to redraw live."""

PATIENTS = 10_000
"""A tenth of ``run.patients``, so that each simulated year redraws while the audience watches."""

YEARS = RunConfig.model_fields["years"].default
MAX_ICPS = 4

SERVER_ARGS = ("--production", "--no-open", "--no-check-version", "--theme-loader=plain")
"""``solara run`` options for a quiet room: no version check against PyPI, no reloader, the
plain loading page."""

SERVER_ENV = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_THEME_SHOW_BANNER": "0"}
"""No telemetry, and no "runs on Solara" banner over the panels' corner."""


@cache
def offered_scenarios() -> tuple[list[str], dict[str, str]]:
    """The scenario files the page can offer, and each one it cannot with the reason: a
    file that fails validation is left out of the list and named, so no control can lead
    the page into a traceback (read once per folder)."""
    return _offered(tuple(scenario_files().items()))


@cache
def _offered(files: tuple[tuple[str, object], ...]) -> tuple[list[str], dict[str, str]]:
    offered, refused = [], {}
    for name, _ in files:
        try:
            dashboard_scenario(name)
        except (ScenarioError, OSError) as exc:
            refused[name] = str(exc)
        else:
            offered.append(name)
    return offered, refused


RULE_TEXT = {
    "fixed": "",
    "rebasing": ", rebased each year towards their cost",
    "bidding": ", each at its own bid",
    "profit_cap": ", profit above a cap clawed back",
}
"""What the summary adds for the commissioner's rate-setting rule (nothing for today's)."""


def settings_problem(settings: dict) -> str | None:
    """Why the model could not be built from ``settings`` (the controls' values), or None:
    a change that would break the scenario is refused with this one message."""
    try:
        dashboard_scenario(
            settings["scenario"],
            settings["payment_regime"],
            settings["risk_adjustment"],
            settings["inertia"],
            settings["n_icps"],
            settings["rate_setting"],
        )
    except (ScenarioError, ValueError) as exc:
        return str(exc)
    return None


def scenario_controls(scenario: str) -> dict[str, float | int]:
    """The values the numeric controls show for a scenario left as it is: its own choice
    inertia and its number of urban ICPs (read once per scenario name)."""
    resolved = dashboard_scenario(scenario)
    return {
        "inertia": round(float(resolved.choice.inertia), 2),
        "n_icps": urban_icp_count(scenario_files().get(scenario)),
    }


def baseline_scenario() -> Scenario:
    """The fragmented default from the scenario folder, else the built-in defaults without
    ICPs (the same localities and population, nobody able to choose)."""
    path = scenario_files().get(BASELINE)
    data = read_scenario_dict(path) if path else Scenario().model_dump(mode="json")
    if path is None:
        data["icps"] = []
        data.setdefault("scenario", {})["name"] = BASELINE
    return scenario_from_dict(data, source=f"dashboard baseline '{BASELINE}'")


class DashboardModel(ICSModel):
    """The scenario the controls describe (replicate 0, the Mesa model the page steps), its
    other replicates and the baseline's, all stepped together; stops after the last year.

    ``inertia`` and ``n_icps`` None, or equal to the scenario's own value, keep the
    scenario's; ``replicates`` is per arm; ``with_baseline`` False runs the scenario alone.
    """

    def __init__(
        self,
        scenario: str = DEFAULT_SCENARIO,
        payment_regime: str = AS_IN_SCENARIO,
        risk_adjustment: str = AS_IN_SCENARIO,
        inertia: float | None = None,
        n_icps: int | None = None,
        rate_setting: str = AS_IN_SCENARIO,
        patients: int = PATIENTS,
        years: int = YEARS,
        replicates: int = REPLICATES,
        with_baseline: bool = True,
    ):
        own = scenario_controls(scenario)
        same = inertia is None or math.isclose(float(inertia), own["inertia"], abs_tol=1e-6)
        inertia = None if same else float(inertia)
        n_icps = None if n_icps is None or int(n_icps) == own["n_icps"] else int(n_icps)
        resolved = dashboard_scenario(
            scenario, payment_regime, risk_adjustment, inertia, n_icps, rate_setting
        )
        seed = int(resolved.run.seed)
        super().__init__(resolved, seed=seed, patients=int(patients), years=int(years))
        self.settings = {
            "scenario": scenario,
            "payment_regime": payment_regime,
            "risk_adjustment": risk_adjustment,
            "inertia": float(resolved.choice.inertia),
            "n_icps": own["n_icps"] if n_icps is None else n_icps,
            "rate_setting": rate_setting,
            "patients": int(patients),
            "replicates": int(replicates),
        }
        self.changed = {k for k, v in (("inertia", inertia), ("n_icps", n_icps)) if v is not None}
        arms = dict(seed=seed, patients=int(patients), years=int(years))
        self.replicates = [self] + [
            ICSModel(resolved, replicate=r, **arms) for r in range(1, int(replicates))
        ]
        self.baseline_name = BASELINE
        self.is_baseline = scenario == BASELINE
        base = baseline_scenario() if with_baseline and not self.is_baseline else None
        self.baseline = (
            [] if base is None else [ICSModel(base, replicate=r, **arms) for r in range(replicates)]
        )
        self._frame: tuple[int, pd.DataFrame] | None = None

    def step(self) -> None:
        """One simulated year in every replicate of both arms; ``running`` ends after the last."""
        if self.year < self.n_years:
            super().step()
            for other in [*self.replicates[1:], *self.baseline]:
                other.step()
        self.running = self.year < self.n_years

    def frame(self) -> pd.DataFrame:
        """Every arm's metrics so far, tidy; the baseline's scenario column is
        :data:`BASELINE`. Built once per simulated year, however many plots read it."""
        if self._frame is None or self._frame[0] != self.year:
            parts = [self.metrics.frame()]
            parts += [m.metrics.frame() for m in [*self.replicates[1:], *self.baseline]]
            frame = pd.concat(parts, ignore_index=True)
            for column in ("scenario", "system", "group", "metric"):
                frame[column] = frame[column].astype(str)
            self._frame = (self.year, frame)
        return self._frame[1]

    @property
    def integration(self) -> dict[str, str]:
        """Each ICP's integration (virtual or vertical) by name, for the legend."""
        return {icp.name: icp.integration for icp in self.scenario.icps}

    def contract_text(self) -> str:
        """How the ICPs are paid, in words, and the commissioner's rule where it has one."""
        if not self.scenario.icps:
            kind = self.scenario.contracts["hospital"].kind.replace("_", " ")
            return f"No ICPs; hospitals paid under a {kind} contract"
        c = self.scenario.contracts["icp"]
        cap = c if c.kind == "capitation" else getattr(c, "capitation", None)
        adjust = f" (risk adjustment {cap.risk_adjustment})" if cap is not None else ""
        if c.kind == "tariff":
            paid = "ICPs paid by national tariff"
        elif c.kind == "capitation":
            paid = f"ICPs paid by capitation{adjust}"
        elif c.kind == "blended":
            paid = f"ICPs paid {c.capitation_share:.0%} capitation{adjust}, rest tariff"
        else:
            paid = f"ICPs paid under a {c.kind.replace('_', ' ')} contract{adjust}"
        return paid + RULE_TEXT[self.scenario.commissioner.rate_setting]
