"""Sweep files: a base scenario, grids or ranges over any scenario key, and replicates.

A sweep file is TOML::

    [sweep]
    name = "competing_icps_200"
    scenario = "../competing_icps_capitation.toml"   # relative to this file
    replicates = 10
    patients = 20000          # optional; default the scenario's run.patients
    years = 10                # optional; default the scenario's run.years
    seed = 20261123           # optional; default the scenario's run.seed
    crn = true                # common random numbers across grid points (default)

    [set]                     # fixed overrides of the base scenario
    "behaviour.quality_effort_scale" = 0.3

    [grid]                    # the Cartesian product of these is swept
    "contracts.icp.risk_adjustment" = ["age_sex", "full"]
    "choice.inertia" = { low = 1.0, high = 5.0, num = 5 }     # scale = "log" also allowed

Every grid point and replicate is one run (:class:`sim.experiments.executor.RunSpec`).
With ``crn = true`` every point uses the same seed, so replicate r of each point shares
its random numbers and points differ only by their mechanisms; ``crn = false`` gives each
point its own seed (independent streams), which is only useful to measure what CRN buys.

A sweep writes to its folder: ``runs/<id>.parquet`` as runs land (resumable), then
``results.parquet`` (one tidy table: the ``run`` columns, one column per swept key and
``run_id``), ``summary.csv`` (final year: mean and 90% interval across replicates),
``plan.csv``, ``sweep.toml``, ``scenario.toml`` and ``sweep.json`` (the settings and the
record of :func:`sim.experiments.record.run_record`). Its runs are its resume state, so
the folder is added to, not replaced. With ``--panel N`` every run also follows N patients
(:mod:`sim.engine.panel`), gathered into ``panel.parquet`` with the swept keys and ``run_id``.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

import sim
from sim.base.files import atomic_write_csv, atomic_write_parquet, atomic_write_text
from sim.config.scenario import (
    Scenario,
    ScenarioError,
    apply_override,
    parse_override,
    read_scenario_dict,
    read_toml,
    scenario_from_dict,
    scenario_to_toml,
)
from sim.engine.panel import check_panel_size
from sim.experiments.executor import RunSpec, execute
from sim.experiments.inputs import Strict, validate, value_at
from sim.experiments.out_folder import open_study_folder
from sim.experiments.panels import PANEL_FILE, gather_panels
from sim.experiments.record import run_record
from sim.experiments.run_size import plan_problem
from sim.experiments.runs import combine
from sim.experiments.summary import final_year_summary

if TYPE_CHECKING:
    from dask.distributed import Client


def independent_seed(seed: int, label: str) -> int:
    """A seed of its own for ``label``: used when streams must not be shared (``crn = false``)."""
    digest = hashlib.sha256(f"{int(seed)}/{label}".encode()).hexdigest()
    return int(digest[:15], 16)


def point_label(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


# --------------------------------------------------------------------------- the file


class Range(Strict):
    """``num`` evenly spaced values from ``low`` to ``high`` inclusive (log-spaced on request)."""

    low: float
    high: float
    num: int = Field(ge=2, le=10_000)
    scale: Literal["linear", "log"] = "linear"

    @model_validator(mode="after")
    def _check(self) -> Range:
        if self.high <= self.low:
            raise ValueError("high must be greater than low")
        if self.scale == "log" and self.low <= 0:
            raise ValueError("a log scale needs low > 0")
        return self

    def values(self, integer: bool = False) -> list[float | int]:
        space = np.geomspace if self.scale == "log" else np.linspace
        raw = space(self.low, self.high, self.num)
        if integer:
            return list(dict.fromkeys(int(round(v)) for v in raw))
        return [float(f"{v:.12g}") for v in raw]


class SweepMeta(Strict):
    name: str | None = Field(None, description="Default: the sweep file's stem.")
    description: str = ""
    scenario: str = Field(..., description="Base scenario file, relative to the sweep file.")
    replicates: int | None = Field(None, ge=1, le=100_000)
    seed: int | None = Field(None, ge=0)
    patients: int | None = Field(None, gt=0)
    years: int | None = Field(None, gt=0, le=200)
    crn: bool = True


class SweepFile(Strict):
    sweep: SweepMeta
    set: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, Any] = Field(default_factory=dict)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True, eq=False)
class Point:
    """One combination of swept values, resolved into a validated scenario."""

    index: int
    params: dict[str, Any]
    scenario: Scenario
    seed: int


@dataclass(frozen=True, eq=False)
class SweepPlan:
    name: str
    source: Path
    base: Scenario
    keys: list[str]
    points: list[Point]
    replicates: int
    patients: int | None
    years: int | None
    crn: bool
    text: str = ""
    overrides: list[str] = field(default_factory=list)
    runs: list[tuple[Point, RunSpec]] = field(default_factory=list)
    panel: int = 0  # patients each run follows in panel.parquet

    def __post_init__(self) -> None:
        for point in self.points:
            patients = self.patients or point.scenario.run.patients
            try:
                check_panel_size(self.panel, patients, "--panel")
            except ValueError as err:
                raise ScenarioError(str(err)) from None
            for rep in range(self.replicates):
                self.runs.append(
                    (
                        point,
                        RunSpec(
                            scenario=point.scenario,
                            seed=point.seed,
                            replicate=rep,
                            patients=patients,
                            years=self.years or point.scenario.run.years,
                            panel=self.panel,
                        ),
                    )
                )


def grid_values(key: str, spec: Any, base_data: dict[str, Any], source: str) -> list[Any]:
    """The values swept for one grid key: a non-empty list, or a range table."""
    where = f"{source}: field 'grid.{key}'"
    if isinstance(spec, list):
        if not spec:
            raise ScenarioError(f"{where}: the list of values is empty")
        return spec
    if isinstance(spec, dict):
        rng = validate(Range, spec, source, prefix=f"grid.{key}.")
        current = value_at(base_data, key)
        return rng.values(integer=isinstance(current, int) and not isinstance(current, bool))
    raise ScenarioError(
        f"{where}: expected a list of values or a range "
        f"{{ low = ..., high = ..., num = ... }} (got {spec!r})"
    )


def plan_sweep(path: str | Path, overrides: list[str] | None = None, panel: int = 0) -> SweepPlan:
    """Read and validate a sweep file, and resolve every grid point into a scenario.

    Every problem (file, key or value) raises :class:`ScenarioError` with one line per
    problem naming the file and the field, before anything runs. ``panel``: patients each
    run follows (0 for none), at most the smallest point's population.
    """
    path = Path(path)
    data = read_toml(path, "sweep")
    spec: SweepFile = validate(SweepFile, data, str(path))
    meta = spec.sweep
    base_path = path.parent / meta.scenario
    if not base_path.is_file():
        raise ScenarioError(
            f"{path}: field 'sweep.scenario': no such scenario file "
            f"'{meta.scenario}' (paths are relative to the sweep file)"
        )
    base_data = read_scenario_dict(base_path)
    fixed = list(spec.set.items()) + [parse_override(o) for o in overrides or []]
    for key, value in fixed:
        apply_override(base_data, key, value, source=f"{path} [set]")
    base = scenario_from_dict(base_data, source=f"{path} [set] on {base_path.name}")
    keys = list(spec.grid)
    values = [grid_values(k, spec.grid[k], base_data, str(path)) for k in keys]
    runs = math.prod(len(v) for v in values) * (meta.replicates or base.run.replicates)
    fields = f"{path}: fields 'grid' and 'sweep.replicates'"
    too_big = plan_problem(runs, meta.years or base.run.years, len(base.option_names), fields)
    if too_big:
        raise ScenarioError(too_big)
    seed = base.run.seed if meta.seed is None else meta.seed
    points = []
    for index, combo in enumerate(itertools.product(*values)):
        params = dict(zip(keys, combo, strict=True))
        point_data = copy.deepcopy(base_data)
        for key, value in params.items():
            apply_override(point_data, key, value, source=f"{path} [grid]")
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
        scenario = scenario_from_dict(point_data, source=f"{path} [grid] {shown}")
        points.append(
            Point(
                index,
                params,
                scenario,
                seed if meta.crn else independent_seed(seed, point_label(params)),
            )
        )
    return SweepPlan(
        name=meta.name or path.stem,
        source=path,
        base=base,
        keys=keys,
        points=points,
        replicates=meta.replicates or base.run.replicates,
        patients=meta.patients,
        years=meta.years,
        crn=meta.crn,
        text=path.read_text(),
        overrides=[f"{key}={json.dumps(value)}" for key, value in fixed],
        panel=panel,
    )


def plan_table(plan: SweepPlan) -> pd.DataFrame:
    rows = [
        {
            "run_id": spec.run_id,
            "point": point.index,
            "replicate": spec.replicate,
            "seed": spec.seed,
            "patients": spec.patients,
            "years": spec.years,
            **point.params,
        }
        for point, spec in plan.runs
    ]
    return pd.DataFrame(rows)


def run_sweep(
    plan: SweepPlan,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    overwrite: bool = False,
    client: Client | None = None,
) -> pd.DataFrame:
    """Run (or resume) a sweep into ``out``; return the combined results table.

    ``workers``, ``scheduler`` and ``client`` choose where runs execute, as in
    :func:`sim.experiments.executor.execute`; the results do not depend on it.
    """
    out = open_study_folder(Path(out), "sweep", plan.text, overwrite)
    atomic_write_text(out / "scenario.toml", scenario_to_toml(plan.base))
    atomic_write_csv(out / "plan.csv", plan_table(plan))
    start = time.perf_counter()
    ran = execute(
        [spec for _, spec in plan.runs],
        out / "runs",
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label=plan.name,
        client=client,
    )
    wall = time.perf_counter() - start
    results = combine([(p.params, s) for p, s in plan.runs], out / "runs", plan.keys)
    atomic_write_parquet(out / "results.parquet", results)
    if plan.panel:
        labels = [{**p.params, "run_id": s.run_id} for p, s in plan.runs]
        panel = gather_panels(out / "runs", [s.run_id for _, s in plan.runs], labels)
        atomic_write_parquet(out / PANEL_FILE, panel)
    else:  # the folder is added to: no panel of an earlier sweep stays beside these results
        (out / PANEL_FILE).unlink(missing_ok=True)
    summary = final_year_summary(results, by=[*plan.keys, "system", "metric"])
    atomic_write_csv(out / "summary.csv", summary)
    info = {
        "icsim_version": sim.__version__,
        "sweep": plan.name,
        "points": len(plan.points),
        "replicates": plan.replicates,
        "runs": len(plan.runs),
        "ran_now": ran,
        "crn": plan.crn,
        "panel": plan.panel,
        "swept": plan.keys,
        "scheduler": scheduler,
        "workers": workers,
        "wall_seconds": round(wall, 3),
        "python": platform.python_version(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **run_record(plan.base, plan.overrides, reused=n_runs(plan) - ran, runs=n_runs(plan)),
    }
    atomic_write_text(out / "sweep.json", json.dumps(info, indent=2) + "\n")
    return results


def n_runs(plan: SweepPlan) -> int:
    return len({spec.run_id for _, spec in plan.runs})
