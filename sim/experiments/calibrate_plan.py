"""Reading a calibration file: the free parameters, the targets and their scenarios.

The file's format is described in :mod:`sim.experiments.calibrate`; this module validates it
and resolves every scenario a target names, with the file's ``[set]`` applied.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from sim.config.scenario import (
    Scenario,
    ScenarioError,
    apply_override,
    parse_override,
    read_scenario_dict,
    read_toml,
    scenario_from_dict,
)
from sim.experiments.executor import RunSpec
from sim.experiments.inputs import Strict, validate, value_at
from sim.experiments.sensitivity import declared_ranges, normal_key
from sim.experiments.targets import Target, check_names, resolve_file


class CalibrationMeta(Strict):
    name: str | None = Field(None, description="Default: the file's stem.")
    description: str = ""
    scenario: str = Field(..., description="Base scenario file, relative to this file.")
    replicates: int = Field(2, ge=1, le=1_000)
    seed: int | None = Field(None, ge=0)
    patients: int | None = Field(None, gt=0)
    years: int | None = Field(None, gt=0, le=200)
    trials: int = Field(24, ge=2, le=100_000)
    batch: int = Field(4, ge=1, le=1_000)
    sampler_seed: int = Field(0, ge=0)
    best_share: float = Field(0.2, gt=0, le=1)
    start_at_defaults: bool = Field(
        True, description="First trial: the scenario's own values, so a fit is never worse."
    )


class FreeParameter(Strict):
    low: float | None = None
    high: float | None = None
    log: bool = False
    source: str = Field(..., min_length=1, description="Why this range: a source or 'assumption'")

    @model_validator(mode="after")
    def _range(self) -> FreeParameter:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither (the declared range)")
        if self.low is not None and not self.low < self.high:
            raise ValueError(f"low must be below high (got {self.low} and {self.high})")
        if self.log and self.low is not None and self.low <= 0:
            raise ValueError("a log-uniform range needs low > 0")
        return self


class CalibrationFile(Strict):
    calibration: CalibrationMeta
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, FreeParameter] = Field(..., min_length=1)
    targets: list[Target] = Field(..., min_length=1)


@dataclass
class CalibrationPlan:
    """A validated calibration: what to vary, what to hit, and on which scenarios."""

    name: str
    source: Path
    text: str
    bounds: dict[str, tuple[float, float, bool]]  # key -> low, high, log
    targets: list[Target]
    scenario_data: dict[str, dict[str, Any]]  # scenario file -> its dict with [set] applied
    target_scenario: list[str]  # for each target, its scenario file
    base: str  # the base scenario file
    seed: int
    replicates: int
    patients: int
    years: int
    trials: int
    batch: int
    sampler_seed: int
    best_share: float
    start: dict[str, float] | None  # the first trial, or None to start from the prior

    def scenario(self, file: str, params: dict[str, float]) -> Scenario:
        data = copy.deepcopy(self.scenario_data[file])
        for key, value in params.items():
            apply_override(data, key, float(value), source=f"{self.source} [parameters]")
        return scenario_from_dict(data, source=f"{self.source} trial on {Path(file).name}")

    def specs(self, params: dict[str, float]) -> dict[str, list[RunSpec]]:
        """Each target scenario's runs for one parameter set: same seed, same replicates."""
        return {
            file: [
                RunSpec(self.scenario(file, params), self.seed, r, self.patients, self.years)
                for r in range(self.replicates)
            ]
            for file in dict.fromkeys(self.target_scenario)
        }


def _check_target(target: Target, where: str) -> None:
    check_names(target, where)
    if target.centre_and_scale() is None:
        raise ScenarioError(f"{where}: a calibration target needs a value or both low and high")
    if target.baseline is not None:
        raise ScenarioError(f"{where}: field 'baseline': a comparison is validation, not a target")


def plan_calibration(path: str | Path, overrides: list[str] | None = None) -> CalibrationPlan:
    """Read and validate a calibration file; refuse any range end the scenario refuses."""
    path = Path(path)
    spec: CalibrationFile = validate(CalibrationFile, read_toml(path, "calibration"), str(path))
    meta = spec.calibration
    base = resolve_file(path.parent, meta.scenario, path, str(path), "calibration.scenario")
    files = [
        str(resolve_file(path.parent, t.scenario, base, str(path), f"targets.{i}.scenario"))
        for i, t in enumerate(spec.targets)
    ]
    extra = [parse_override(o) for o in overrides or []]
    data: dict[str, dict[str, Any]] = {}
    for file in dict.fromkeys([str(base), *files]):
        d = read_scenario_dict(file)
        for key, value in [*spec.set.items(), *extra]:
            apply_override(d, key, value, source=f"{path} [set]")
        scenario_from_dict(d, source=f"{path} [set] on {Path(file).name}")
        data[file] = d
    base_scenario = scenario_from_dict(data[str(base)], source=str(path))
    declared = declared_ranges(base_scenario)
    resolved = base_scenario.model_dump(mode="python")
    bounds: dict[str, tuple[float, float, bool]] = {}
    for raw_key, p in spec.parameters.items():
        key, where = normal_key(raw_key), f"{path}: field 'parameters.{raw_key}'"
        current = value_at(resolved, key)
        if isinstance(current, bool) or not isinstance(current, float):
            raise ScenarioError(f"{where}: not a continuous parameter of the scenario")
        if p.low is None and key not in declared:
            raise ScenarioError(f"{where}: has no declared assumption range; give low and high")
        low, high = (p.low, p.high) if p.low is not None else declared[key]
        bounds[key] = (float(low), float(high), p.log)
    for i, target in enumerate(spec.targets):
        _check_target(target, f"{path}: field 'targets.{i}' ({target.name})")
    run = base_scenario.run
    plan = CalibrationPlan(
        name=meta.name or path.stem,
        source=path,
        text=path.read_text(),
        bounds=bounds,
        targets=list(spec.targets),
        scenario_data=data,
        target_scenario=files,
        base=str(base),
        seed=run.seed if meta.seed is None else meta.seed,
        replicates=meta.replicates,
        patients=meta.patients or run.patients,
        years=meta.years or run.years,
        trials=meta.trials,
        batch=meta.batch,
        sampler_seed=meta.sampler_seed,
        best_share=meta.best_share,
        start={
            k: min(max(float(value_at(resolved, k)), lo), hi) for k, (lo, hi, _) in bounds.items()
        }
        if meta.start_at_defaults
        else None,
    )
    for key, (low, high, _) in bounds.items():  # a range end the scenario refuses fails now
        for end in (low, high):
            for file in dict.fromkeys(files):
                plan.scenario(file, {key: end})
    return plan
