"""A drawn sensitivity sample: the parameter ranges, the scenarios and the runs they need.

:mod:`sim.experiments.sensitivity` draws the plan from a sensitivity file and
:mod:`sim.experiments.sensitivity_indices` reads its runs' outputs into indices; both read
the plan from here, so neither imports the other's module for its type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sim.config.scenario import Scenario
from sim.experiments.executor import RunSpec


@dataclass(frozen=True, eq=False)
class SensitivityPlan:
    name: str
    source: Path
    method: Literal["morris", "sobol"]
    base: Scenario
    keys: list[str]
    bounds: list[tuple[float, float]]
    X: np.ndarray
    scenarios: list[Scenario]
    seed: int
    replicates: int
    patients: int
    years: int
    levels: int
    outputs: list[str]
    system: str
    group: str
    text: str = ""
    runs: list[tuple[int, RunSpec]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for row, scenario in enumerate(self.scenarios):
            for rep in range(self.replicates):
                self.runs.append(
                    (
                        row,
                        RunSpec(
                            scenario=scenario,
                            seed=self.seed,
                            replicate=rep,
                            patients=self.patients,
                            years=self.years,
                        ),
                    )
                )

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem definition."""
        return {
            "num_vars": len(self.keys),
            "names": list(self.keys),
            "bounds": [list(b) for b in self.bounds],
        }
