"""One run: what determines its result, its id, and running it with its result checked.

A :class:`RunSpec` is a resolved scenario plus seed, replicate, patients, years and the
size of any patient panel (:mod:`sim.engine.panel`). Its id
hashes all of these and the model's code, so the same run always has the same id and a
result on disk can be trusted to belong to it. :func:`simulate_spec` is what a worker
executes; a result holding NaN or infinity is refused there (:func:`check_finite`), so no
wrong number is ever written as a result.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

import sim
from sim.config.scenario import Scenario
from sim.engine.run import Replicate, simulate_replicate
from sim.experiments.record import canonical_json, code_hash


def scenario_hash(scenario: Scenario, **settings: object) -> str:
    """A short fingerprint of a resolved scenario and run settings, for safe resumption.

    Every distinct value gives a distinct text (:func:`sim.experiments.record.canonical_json`):
    NaN, infinity and -infinity differ, and so do -0.0 and 0.0.
    """
    text = canonical_json(scenario) + canonical_json(settings)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class RunSpec:
    """One run: everything that determines its result, and nothing else."""

    scenario: Scenario
    seed: int
    replicate: int
    patients: int
    years: int
    panel: int = 0  # patients followed in a panel (sim.engine.panel); 0 for none

    @cached_property
    def run_id(self) -> str:
        """Stable id: a hash of the resolved scenario, seed, replicate, size, icsim version
        and the model's code (:func:`sim.experiments.record.code_hash`), so a result made
        by other code is never reused. A panel is hashed too, only when asked for."""
        return scenario_hash(
            self.scenario,
            seed=int(self.seed),
            replicate=int(self.replicate),
            patients=int(self.patients),
            years=int(self.years),
            icsim=sim.__version__,
            code=code_hash(),
            **({"panel": int(self.panel)} if self.panel else {}),
        )

    def describe(self) -> str:
        """The run in words: scenario, replicate, seed and size."""
        return (
            f"scenario {self.scenario.scenario.name!r}, replicate {self.replicate} "
            f"(seed {self.seed}, {self.patients:,} patients, {self.years} years)"
        )


class NonFiniteMetric(ValueError):
    """A run gave a NaN or infinite metric: a wrong result, never written."""


def check_finite(spec: RunSpec, df: pd.DataFrame) -> None:
    """Refuse a result holding NaN or infinity, naming the first such metric and where."""
    bad = ~np.isfinite(df["value"].to_numpy(dtype=float))
    if not bad.any():
        return
    row = df[bad].iloc[0]
    raise NonFiniteMetric(
        f"{spec.describe()}: metric {row['metric']!r} is {row['value']} for system "
        f"{row['system']!r}, group {row['group']!r}, year {row['year']} "
        f"({int(bad.sum())} non-finite values in all); the scenario's parameters give a "
        "quantity no finite number can hold: check those that metric depends on"
    )


def simulate_spec(spec: RunSpec) -> Replicate:
    """Run one spec (this is what a Dask worker executes): its metrics and any panel; a
    non-finite metric is an error."""
    result = simulate_replicate(
        spec.scenario,
        seed=spec.seed,
        replicate=spec.replicate,
        patients=spec.patients,
        years=spec.years,
        panel=spec.panel,
    )
    check_finite(spec, result.metrics)
    return result
