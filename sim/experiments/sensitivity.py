"""Global sensitivity analysis with SALib: Morris screening and Sobol indices.

A sensitivity file is TOML::

    [sensitivity]
    name = "competing_icps_morris"
    scenario = "../competing_icps_capitation.toml"   # relative to this file
    method = "morris"         # or "sobol"
    samples = 10              # Morris trajectories, or Sobol base samples (a power of 2)
    levels = 4                # Morris grid levels
    replicates = 1            # replicates per sample point, averaged
    patients = 20000
    years = 5
    outputs = ["cost_per_capita", "emergency_admissions_per_1000"]
    system = "all"            # which system and group the outputs are read for
    group = "all"

    [set]                     # fixed overrides of the base scenario
    "behaviour.quality_effort_scale" = 0.3

    [parameters]              # key = [low, high], or "assumption" for the declared range
    "choice.inertia" = [1.0, 5.0]
    "behaviour.prevention_max_effect" = "assumption"

Without ``[parameters]`` every continuous parameter with a declared assumption range is
varied over that range (``icsim params`` lists them), except run settings and locality
shares. Each output is the final-year value of a metric, averaged over replicates. All
sample points share one seed (common random numbers), so indices measure the parameters'
effects, not the noise between differently seeded runs.

Runs go through the same resumable executor as sweeps. The folder gets ``indices.csv``
(one row per output and parameter, ranked), ``sensitivity.png``/``.svg``/``.pdf`` (the
report's tornado chart, drawn by ``icsim sensitivity``),
``samples.csv`` (the sampled values and outputs), ``results.parquet`` (every run's
metrics with one column per parameter) and ``sensitivity.json``.

This module reads the file and draws the sample; :mod:`sim.experiments.sensitivity_indices`
turns the runs' outputs into indices.
"""

from __future__ import annotations

import copy
import json
import platform
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field, field_validator
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

import sim
from sim.base.files import atomic_write_csv, atomic_write_parquet, atomic_write_text
from sim.config.declare import iter_parameters
from sim.config.scenario import (
    Scenario,
    ScenarioError,
    apply_override,
    parse_override,
    read_scenario_dict,
    read_toml,
    scenario_from_dict,
)
from sim.engine.metrics import GROUPS, METRICS
from sim.experiments.executor import execute
from sim.experiments.inputs import Strict, validate, value_at
from sim.experiments.out_folder import open_study_folder
from sim.experiments.record import command_overrides, run_record
from sim.experiments.run_size import plan_problem
from sim.experiments.runs import combine
from sim.experiments.sensitivity_indices import analyse, output_matrix
from sim.experiments.sensitivity_plan import SensitivityPlan

EXCLUDED_BY_DEFAULT = ("run.", "localities.")
"""Not varied unless named: run settings are not model parameters, and locality shares
must keep summing to one."""
EXCLUDED_ICP_FIELDS = (".initial_share",)
"""Nor ICPs' starting shares: drawn one by one they can sum above one in a locality."""


class SensitivityMeta(Strict):
    name: str | None = Field(None, description="Default: the file's stem.")
    description: str = ""
    scenario: str = Field(..., description="Base scenario file, relative to this file.")
    method: Literal["morris", "sobol"] = "morris"
    samples: int = Field(8, ge=2, le=100_000)
    levels: int = Field(4, ge=2, le=100)
    replicates: int = Field(1, ge=1, le=1_000)
    seed: int | None = Field(None, ge=0)
    patients: int | None = Field(None, gt=0)
    years: int | None = Field(None, gt=0, le=200)
    outputs: list[str] = Field(
        default_factory=lambda: ["cost_per_capita", "emergency_admissions_per_1000", "quality"],
        min_length=1,
    )
    system: str = "all"
    group: str = "all"

    @field_validator("outputs")
    @classmethod
    def _known_metrics(cls, outputs: list[str]) -> list[str]:
        unknown = [o for o in outputs if o not in METRICS]
        if unknown:
            raise ValueError(f"unknown metric {unknown[0]!r}; allowed: {', '.join(METRICS)}")
        return outputs

    @field_validator("group")
    @classmethod
    def _known_group(cls, group: str) -> str:
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r}; allowed: {', '.join(GROUPS)}")
        return group


class SensitivityFile(Strict):
    sensitivity: SensitivityMeta
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] | None = None


def normal_key(key: str) -> str:
    """``icps[0].x`` and ``icps.0.x`` name the same parameter."""
    return re.sub(r"\[(\d+)\]", r".\1", key)


def declared_ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Assumption ranges declared with :func:`sim.config.declare.P`, for continuous parameters."""
    return {
        normal_key(p.key): (float(p.assumption_range[0]), float(p.assumption_range[1]))
        for p in iter_parameters(scenario)
        if p.assumption_range is not None and isinstance(p.value, float)
    }


def _resolve_ranges(
    spec: SensitivityFile, base: Scenario, source: str
) -> dict[str, tuple[float, float]]:
    declared = declared_ranges(base)
    if spec.parameters is None:
        return {
            k: r
            for k, r in declared.items()
            if not k.startswith(EXCLUDED_BY_DEFAULT)
            and not (k.startswith("icps.") and k.endswith(EXCLUDED_ICP_FIELDS))
        }
    if not spec.parameters:
        raise ScenarioError(f"{source}: field 'parameters': name at least one parameter")
    data = base.model_dump(mode="python")
    ranges = {}
    for raw_key, value in spec.parameters.items():
        key = normal_key(raw_key)
        where = f"{source}: field 'parameters.{raw_key}'"
        current = value_at(data, key)
        if current is None:
            raise ScenarioError(f"{where}: not a parameter of the scenario (see icsim params)")
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ScenarioError(
                f"{where}: is {type(current).__name__}, not a number; sweep it with a grid instead"
            )
        if isinstance(current, int):
            raise ScenarioError(
                f"{where}: is an integer; sensitivity analysis needs "
                "continuous parameters (sweep it with a grid instead)"
            )
        if value == "assumption":
            if key not in declared:
                raise ScenarioError(f"{where}: has no declared assumption range; give [low, high]")
            ranges[key] = declared[key]
        elif (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            and value[0] < value[1]
        ):
            ranges[key] = (float(value[0]), float(value[1]))
        else:
            raise ScenarioError(
                f'{where}: expected [low, high] with low < high, or "assumption" (got {value!r})'
            )
    return ranges


def plan_sensitivity(
    path: str | Path,
    overrides: list[str] | None = None,
    *,
    method: str | None = None,
    samples: int | None = None,
) -> SensitivityPlan:
    """Read and validate a sensitivity file, draw the SALib sample and resolve its scenarios."""
    path = Path(path)
    data = read_toml(path, "sensitivity")
    if method is not None:
        data.setdefault("sensitivity", {})["method"] = method
    if samples is not None:
        data.setdefault("sensitivity", {})["samples"] = samples
    spec: SensitivityFile = validate(SensitivityFile, data, str(path))
    meta = spec.sensitivity
    if meta.method == "sobol" and meta.samples & (meta.samples - 1):
        raise ScenarioError(
            f"{path}: field 'sensitivity.samples': Sobol sampling needs a "
            f"power of 2 (got {meta.samples})"
        )
    base_path = path.parent / meta.scenario
    if not base_path.is_file():
        raise ScenarioError(
            f"{path}: field 'sensitivity.scenario': no such scenario file "
            f"'{meta.scenario}' (paths are relative to this file)"
        )
    base_data = read_scenario_dict(base_path)
    for key, value in [*spec.set.items(), *(parse_override(o) for o in overrides or [])]:
        apply_override(base_data, key, value, source=f"{path} [set]")
    base = scenario_from_dict(base_data, source=f"{path} [set] on {base_path.name}")
    if meta.system not in ("all", *base.option_names):
        raise ScenarioError(
            f"{path}: field 'sensitivity.system': unknown system "
            f"{meta.system!r}; allowed: all, {', '.join(base.option_names)}"
        )
    ranges = _resolve_ranges(spec, base, str(path))
    for key, (low, high) in ranges.items():
        for end in (low, high):
            trial = copy.deepcopy(base_data)
            apply_override(trial, key, end, source=f"{path} [parameters]")
            scenario_from_dict(trial, source=f"{path} [parameters] {key}={end!r}")
    seed = base.run.seed if meta.seed is None else meta.seed
    keys, bounds = list(ranges), list(ranges.values())
    runs = meta.samples * (len(keys) + (1 if meta.method == "morris" else 2)) * meta.replicates
    fields = f"{path}: fields 'sensitivity.samples' and 'sensitivity.replicates'"
    years = meta.years or base.run.years
    too_big = plan_problem(runs, years, len(base.option_names), fields)
    if too_big:
        raise ScenarioError(too_big)
    problem = {"num_vars": len(keys), "names": keys, "bounds": [list(b) for b in bounds]}
    if meta.method == "morris":
        X = morris_sample.sample(problem, meta.samples, num_levels=meta.levels, seed=seed % 2**32)
    else:
        X = sobol_sample.sample(problem, meta.samples, calc_second_order=False, seed=seed % 2**32)
    scenarios = []
    for row in X:
        point = copy.deepcopy(base_data)
        for key, value in zip(keys, row, strict=True):
            apply_override(point, key, float(value), source=f"{path} [parameters]")
        scenarios.append(scenario_from_dict(point, source=f"{path} [parameters] sample"))
    return SensitivityPlan(
        name=meta.name or path.stem,
        source=path,
        method=meta.method,
        base=base,
        keys=keys,
        bounds=bounds,
        X=X,
        scenarios=scenarios,
        seed=seed,
        replicates=meta.replicates,
        patients=meta.patients or base.run.patients,
        years=meta.years or base.run.years,
        levels=meta.levels,
        outputs=list(meta.outputs),
        system=meta.system,
        group=meta.group,
        text=path.read_text(),
    )


def run_sensitivity(
    plan: SensitivityPlan,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    overwrite: bool = False,
    draw: Callable[[pd.DataFrame, Path], object] | None = None,
) -> pd.DataFrame:
    """Run (or resume) the sample's runs, then write indices and samples; return indices.

    ``draw(indices, out)`` writes the figure (``icsim sensitivity`` passes the report's
    :func:`sim.report.plots.write_sensitivity_figure`, which this layer cannot import).
    """
    out = open_study_folder(Path(out), "sensitivity", plan.text, overwrite)
    start = time.perf_counter()
    ran = execute(
        [spec for _, spec in plan.runs],
        out / "runs",
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label=plan.name,
    )
    wall = time.perf_counter() - start
    unique = {spec.run_id for _, spec in plan.runs}
    params = [dict(zip(plan.keys, map(float, plan.X[row]), strict=True)) for row, _ in plan.runs]
    results = combine(
        list(zip(params, [s for _, s in plan.runs], strict=True)), out / "runs", plan.keys
    )
    atomic_write_parquet(out / "results.parquet", results)
    Y = output_matrix(plan, results)
    samples = pd.concat([pd.DataFrame(plan.X, columns=plan.keys), Y.reset_index(drop=True)], axis=1)
    atomic_write_csv(out / "samples.csv", samples)
    indices = analyse(plan, Y)
    atomic_write_csv(out / "indices.csv", indices)
    if draw is not None:
        draw(indices, out)
    info = {
        "icsim_version": sim.__version__,
        "name": plan.name,
        "method": plan.method,
        "parameters": len(plan.keys),
        "sample_points": len(plan.scenarios),
        "replicates": plan.replicates,
        "runs": len(plan.runs),
        "ran_now": ran,
        "patients": plan.patients,
        "years": plan.years,
        "seed": plan.seed,
        "outputs": plan.outputs,
        "system": plan.system,
        "group": plan.group,
        "wall_seconds": round(wall, 3),
        "python": platform.python_version(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **run_record(plan.base, command_overrides(), reused=len(unique) - ran, runs=len(unique)),
    }
    atomic_write_text(out / "sensitivity.json", json.dumps(info, indent=2) + "\n")
    return indices
