"""A scenario's replicates run and written to a results folder, and runs gathered into tables.

Each replicate goes through the resumable executor, so completed ones are reused (and
said to be), every file is written atomically (:mod:`sim.base.files`), and a run's output
folder is replaced whole, so it never holds another run's files. :func:`combine` gathers the runs
of a sweep or sensitivity analysis into one tidy table. A run asked for a patient panel
(``RunSettings.panel``) also writes ``panel.parquet`` (:mod:`sim.engine.panel`).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

import sim
from sim.base.files import (
    atomic_write_csv,
    atomic_write_parquet,
    atomic_write_text,
    replaced_folder,
    safe_name,
)
from sim.config.scenario import RunConfig, Scenario, ScenarioError, scenario_to_toml
from sim.engine.metrics import COLUMNS
from sim.engine.panel import check_panel_size
from sim.experiments.executor import ExperimentError, RunSpec, execute, load_run
from sim.experiments.out_folder import check_output_folder
from sim.experiments.panels import PANEL_FILE, gather_panels, panel_path
from sim.experiments.record import resolved_scenario_hash, run_record
from sim.experiments.run_files import run_files, writing
from sim.experiments.summary import difference_table, final_year_summary, fmt_interval

# --------------------------------------------------------------------------- a run on disk


@dataclass(frozen=True)
class RunSettings:
    """Seed, size, length and replicates of a run: the options given, else the scenario's.

    Options are held to what a scenario's ``[run]`` allows (:class:`RunConfig`, one
    declaration of the bounds); one outside raises :class:`ScenarioError` naming it.
    ``panel``: patients each replicate follows in ``panel.parquet`` (0 for none), at most
    the population.
    """

    seed: int
    patients: int
    years: int
    replicates: int
    panel: int = 0

    @classmethod
    def of(
        cls,
        scenario: Scenario,
        seed: int | None = None,
        patients: int | None = None,
        years: int | None = None,
        replicates: int | None = None,
        panel: int = 0,
    ) -> RunSettings:
        given = {"seed": seed, "patients": patients, "years": years, "replicates": replicates}
        given = {key: value for key, value in given.items() if value is not None}
        try:
            RunConfig.model_validate(given)
        except ValidationError as err:
            raise ScenarioError(
                "\n".join(f"--{e['loc'][0]}: {e['msg']} (got {e['input']!r})" for e in err.errors())
            ) from None
        run = scenario.run
        size = given.get("patients", run.patients)
        try:
            panel = check_panel_size(panel, size, "--panel")
        except ValueError as err:
            raise ScenarioError(str(err)) from None
        return cls(
            seed=given.get("seed", run.seed),
            patients=size,
            years=given.get("years", run.years),
            replicates=given.get("replicates", run.replicates),
            panel=panel,
        )


def replicate_specs(scenario: Scenario, settings: RunSettings) -> list[RunSpec]:
    """The scenario's replicates: replicate r draws from the streams of (seed, r)."""
    return [
        RunSpec(
            scenario=scenario,
            seed=settings.seed,
            replicate=rep,
            patients=settings.patients,
            years=settings.years,
            panel=settings.panel,
        )
        for rep in range(settings.replicates)
    ]


def _execute(
    specs: list[RunSpec], runs_dir: Path, announce: Callable[[str], None] | None, **options: Any
) -> int:
    """Run what is missing from ``runs_dir`` (``announce`` hears of any reused); return
    how many were reused."""
    total = len({spec.run_id for spec in specs})
    return total - execute(specs, runs_dir, announce=announce, **options)


def _publish(
    out: Path, specs: Sequence[RunSpec], write: Callable[[Path], None], runs_dir: Path
) -> None:
    """Replace ``out`` whole by a folder of these runs (the resume state) and what ``write`` adds.

    Runs of earlier, different runs in ``out`` go with the old folder, so nothing there
    can be read as belonging to this one.
    """
    with writing(out), replaced_folder(out) as staged:
        kept = staged / "replicates"
        kept.mkdir()
        for spec in {spec.run_id: spec for spec in specs}.values():
            sources = list(run_files(runs_dir, spec.run_id))
            copies = list(run_files(kept, spec.run_id))
            if spec.panel:
                sources.append(panel_path(runs_dir, spec.run_id))
                copies.append(panel_path(kept, spec.run_id))
            for source, copy in zip(sources, copies, strict=True):
                copy.parent.mkdir(exist_ok=True)
                try:
                    os.link(source, copy)
                except OSError:
                    shutil.copy2(source, copy)
        write(staged)


def run_scenario(
    scenario: Scenario,
    out: Path,
    settings: RunSettings,
    *,
    overrides: Sequence[str] = (),
    workers: int | None = 0,
    scheduler: str | None = None,
    progress_bar: bool = False,
    announce: Callable[[str], None] | None = None,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Run a scenario's replicates and replace ``out`` whole by their results; return metrics.

    Replicates are saved as they land in ``out/replicates/``, so an interrupted run resumes
    and one already made with the same code and inputs is reused (and ``announce`` told).
    ``out`` then holds metrics (Parquet and CSV), the resolved scenario, ``run.json`` and,
    with more than one replicate, ``summary.csv``. ``workers=0`` runs in this process;
    otherwise on a local Dask cluster of that many workers (None: one per core) or at
    ``scheduler``. Another scenario's or comparison's results in ``out`` are refused
    unless ``overwrite`` (:func:`check_output_folder`).
    """
    out = Path(out)
    check_output_folder(out, [scenario.scenario.name], overwrite)
    specs = replicate_specs(scenario, settings)
    runs_dir = out / "replicates"
    start = time.perf_counter()
    options = {"workers": workers, "scheduler": scheduler, "progress": progress_bar}
    reused = _execute(specs, runs_dir, announce, label=scenario.scenario.name, **options)
    wall = time.perf_counter() - start
    metrics = pd.concat([load_run(runs_dir, spec.run_id) for spec in specs], ignore_index=True)

    def write(folder: Path) -> None:
        record = run_record(scenario, overrides, reused=reused, runs=len(specs))
        write_run(folder, scenario, metrics, settings, wall_seconds=wall, record=record)
        if settings.replicates > 1:
            by = ["scenario", "system", "metric"]
            atomic_write_csv(folder / "summary.csv", final_year_summary(metrics, by=by))
        if settings.panel:
            panel = gather_panels(runs_dir, [spec.run_id for spec in specs])
            atomic_write_parquet(folder / PANEL_FILE, panel)

    _publish(out, specs, write, runs_dir)
    return metrics


def write_run(
    out: Path,
    scenario: Scenario,
    metrics: pd.DataFrame,
    settings: RunSettings,
    *,
    wall_seconds: float,
    record: dict[str, Any],
) -> None:
    """Write metrics (Parquet and CSV), the resolved scenario and run.json, each atomically."""
    out = Path(out)
    atomic_write_parquet(out / "metrics.parquet", metrics)
    atomic_write_csv(out / "metrics.csv", metrics)
    atomic_write_text(out / "scenario.toml", scenario_to_toml(scenario))
    info = {
        "icsim_version": sim.__version__,
        "scenario": scenario.scenario.name,
        "seed": settings.seed,
        "replicates": settings.replicates,
        "patients": settings.patients,
        "years": settings.years,
        "panel": settings.panel,
        "wall_seconds": round(wall_seconds, 3),
        "python": platform.python_version(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **record,
    }
    atomic_write_text(out / "run.json", json.dumps(info, indent=2) + "\n")


def run_comparison(
    scenarios: Sequence[Scenario],
    out: Path,
    settings: RunSettings,
    *,
    overrides: Sequence[str] = (),
    workers: int | None = 0,
    scheduler: str | None = None,
    announce: Callable[[str], None] | None = None,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Run scenarios on the same seed and replace ``out`` whole by one run folder for each.

    Replicate r of every scenario draws from the streams of (seed, r): common random
    numbers, so the scenarios differ only by their mechanisms. All runs go to one executor
    call, so one cluster serves every scenario; ``out/replicates/`` makes it resumable.
    ``out/run.json`` records the comparison. Returns every scenario's metrics, in the
    order given. Results of other scenarios, or of these in another order, in ``out`` are
    refused unless ``overwrite``.
    """
    out = Path(out)
    check_output_folder(out, [sc.scenario.name for sc in scenarios], overwrite)
    folders = [safe_name(sc.scenario.name) for sc in scenarios]
    if len(set(folders)) != len(folders):
        raise ExperimentError(f"scenario names give the same folder name twice: {folders}")
    specs = {sc.scenario.name: replicate_specs(sc, settings) for sc in scenarios}
    every = [s for group in specs.values() for s in group]
    runs_dir = out / "replicates"
    start = time.perf_counter()
    options = {"workers": workers, "scheduler": scheduler, "progress": settings.replicates > 1}
    reused = _execute(every, runs_dir, announce, label="compare", **options)
    wall = time.perf_counter() - start
    frames = {
        name: pd.concat([load_run(runs_dir, s.run_id) for s in group], ignore_index=True)
        for name, group in specs.items()
    }

    def write(folder: Path) -> None:
        for sc in scenarios:
            record = run_record(sc, overrides, reused=reused, runs=len(every))
            name = sc.scenario.name
            write_run(
                folder / safe_name(name),
                sc,
                frames[name],
                settings,
                wall_seconds=wall,
                record=record,
            )
        info = {
            "comparison": list(specs),
            "seed": settings.seed,
            "replicates": settings.replicates,
            "patients": settings.patients,
            "years": settings.years,
            "wall_seconds": round(wall, 3),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **run_record(None, overrides, reused=reused, runs=len(every)),
            "scenario_hashes": {sc.scenario.name: resolved_scenario_hash(sc) for sc in scenarios},
        }
        atomic_write_text(folder / "run.json", json.dumps(info, indent=2) + "\n")

    _publish(out, every, write, runs_dir)
    return pd.concat(frames.values(), ignore_index=True)


def write_differences(
    out: Path, metrics: pd.DataFrame, baseline: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write a comparison's ``summary.csv`` and ``differences.csv`` (paired, from ``baseline``).

    Returns the final-year ``mean [low, high]`` view and the differences, as
    :func:`sim.experiments.summary.difference_table` gives them.
    """
    summary, differences = difference_table(metrics, baseline=baseline)
    by = ["scenario", "system", "metric"]
    atomic_write_csv(Path(out) / "summary.csv", final_year_summary(metrics, by=by))
    atomic_write_csv(Path(out) / "differences.csv", differences)
    return summary, differences


def summary_table(
    metrics: pd.DataFrame,
    metrics_shown: tuple[str, ...] = (
        "enrolment_share",
        "switching_rate",
        "mean_risk",
        "emergency_admissions_per_1000",
        "avoidable_emergency_admissions_per_1000",
        "bed_days_per_1000",
        "elective_admissions_per_1000",
        "cost_per_capita",
        "quality",
        "waiting_weeks",
    ),
    interval: bool = False,
) -> pd.DataFrame:
    """Final-year values by system (group 'all'): the mean over replicates.

    With ``interval=True`` each cell is text, ``mean [low, high]``, the high and low ends
    holding the middle 90% of replicates (see :mod:`sim.experiments.summary`).
    """
    summary = final_year_summary(metrics, by=["system", "metric"], metrics_shown=metrics_shown)
    order = [m for m in metrics_shown if m in set(summary["metric"])]
    systems = list(dict.fromkeys(summary["system"]))
    if interval:
        summary = summary.assign(
            value=[
                fmt_interval(m, lo, hi)
                for m, lo, hi in zip(summary["mean"], summary["low"], summary["high"], strict=True)
            ]
        )
    else:
        summary = summary.assign(value=summary["mean"])
    table = summary.pivot(index="metric", columns="system", values="value")
    return table.reindex(index=order, columns=sorted(systems))


# --------------------------------------------------------------------------- many runs in one table


def _typed(values: list[Any]) -> pd.Series:
    """One dtype per parameter column: bool, int64, float64 or string."""
    if all(isinstance(v, bool) for v in values):
        return pd.Series(values, dtype="bool")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pd.Series(values, dtype="int64")
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pd.Series(values, dtype="float64")
    return pd.Series([v if isinstance(v, str) else json.dumps(v) for v in values], dtype="string")


def combine(
    runs: list[tuple[dict[str, Any], RunSpec]], runs_dir: Path, keys: list[str]
) -> pd.DataFrame:
    """One tidy table of every run, in plan order: the ``run`` columns, the swept keys, run_id.

    Plan order (not completion order) makes the table identical however the runs were
    executed.
    """
    frames = [load_run(runs_dir, spec.run_id) for _, spec in runs]
    lengths = [len(f) for f in frames]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))
    df = df[list(COLUMNS)]
    for key in keys:
        col = _typed([params[key] for params, _ in runs])
        df[key] = col.repeat(lengths).reset_index(drop=True)
    df["run_id"] = (
        pd.Series([spec.run_id for _, spec in runs], dtype="string")
        .repeat(lengths)
        .reset_index(drop=True)
    )
    return df
