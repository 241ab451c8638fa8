"""Shared helpers for icsim's tests: small scenarios and replicate-based assertions."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.config.scenario import Scenario, ScenarioError, load_scenario, with_overrides
from sim.engine.run import simulate

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def scenario(name: str, overrides: dict | None = None) -> Scenario:
    sc = load_scenario(SCENARIOS / f"{name}.toml")
    return with_overrides(sc, overrides) if overrides else sc


def assert_one_clear_message(folder: Path, name: str, text: str, field: str, allowed: str) -> None:
    """A scenario file holding ``text`` fails to load with one message that names the file,
    the ``field`` and what is ``allowed``."""
    path = folder / f"{name}.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert str(path) in message and field in message and allowed in message


def value(
    df: pd.DataFrame,
    metric: str,
    system: str = "all",
    group: str = "all",
    years: list[int] | None = None,
) -> float:
    sel = df[(df.metric == metric) & (df.system == system) & (df.group == group)]
    if years is not None:
        sel = sel[sel.year.isin(years)]
    return float(sel.value.mean())


def replicates(
    sc: Scenario, n: int, patients: int, years: int, seed: int = 7
) -> list[pd.DataFrame]:
    return [simulate(sc, seed=seed, replicate=r, patients=patients, years=years) for r in range(n)]


def assert_greater(a: list[float], b: list[float], z: float = 3.0, what: str = "") -> None:
    """a > b in every pair and on average by more than ``z`` standard errors of the differences.

    Pairs share a seed and replicate (common random numbers), so the spread of the paired
    differences across replicates is the noise the effect must stand clear of.
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else 0.0
    assert (d > 0).all(), f"{what}: expected every replicate greater, differences {d}"
    assert d.mean() > z * se, f"{what}: mean difference {d.mean():.4g} within {z} SE ({se:.4g})"


SINGLE_ICP = {
    "localities": [{"name": "area", "share": 1.0, "fragmented_default": False}],
    "icps": [
        {
            "name": "icp",
            "localities": ["area"],
            "integration": "vertical",
            "initial_share": 1.0,
            "years_integrated_at_start": 3,
        }
    ],
}
"""One ICP holding the whole population, with no fragmented default and so no choice."""


def icp_stand_in(
    option: int, vertical: bool, management_cost: float = 0.0, fixed_cost_per_resident: float = 0.0
) -> SimpleNamespace:
    """What :meth:`sim.providers.partnership_table.Partnerships.add` reads of an ICP agent:
    a start in year 1 with no years of integration behind it, no monitoring and no community
    provision; vertical (its own hospital) or buying care (a purchase rule)."""
    config = SimpleNamespace(
        start_year=1,
        years_integrated_at_start=0,
        quality_monitoring=False,
        community_outpatient_max=0.0,
        community_elective_max=0.0,
        community_specialists=False,
    )
    return SimpleNamespace(
        config=config,
        option=option,
        localities=[0],
        purchase_rule=None if vertical else object(),
        management_cost=management_cost,
        fixed_cost_per_resident=fixed_cost_per_resident,
    )
