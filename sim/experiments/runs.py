"""A scenario's replicates run and written to a results folder, and runs gathered into tables.

Each replicate goes through the resumable executor, so completed ones are reused, and
every file is written atomically (:mod:`sim.base.files`). :func:`combine` gathers the runs
of a sweep or sensitivity analysis into one tidy table.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

import sim
from sim.base.files import atomic_write_csv, atomic_write_parquet, atomic_write_text
from sim.config.scenario import RunConfig, Scenario, ScenarioError, scenario_to_toml
from sim.engine.metrics import COLUMNS
from sim.experiments.executor import RunSpec, execute, load_run
from sim.experiments.summary import difference_table, final_year_summary, fmt_interval

# --------------------------------------------------------------------------- a run on disk


@dataclass(frozen=True)
class RunSettings:
    """Seed, size, length and replicates of a run: the options given, else the scenario's.

    Options are held to what a scenario's ``[run]`` allows (:class:`RunConfig`, one
    declaration of the bounds); one outside raises :class:`ScenarioError` naming it.
    """

    seed: int
    patients: int
    years: int
    replicates: int

    @classmethod
    def of(
        cls,
        scenario: Scenario,
        seed: int | None = None,
        patients: int | None = None,
        years: int | None = None,
        replicates: int | None = None,
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
        return cls(
            seed=given.get("seed", run.seed),
            patients=given.get("patients", run.patients),
            years=given.get("years", run.years),
            replicates=given.get("replicates", run.replicates),
        )


def run_replicates(
    scenario: Scenario,
    out: Path,
    *,
    seed: int,
    replicates: int,
    patients: int | None = None,
    years: int | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = 0,
    scheduler: str | None = None,
    progress_bar: bool = False,
) -> pd.DataFrame:
    """Run replicates, each saved atomically to ``out/replicates/``; completed ones are reused.

    Replicate r draws from the streams of (seed, r), so scenarios run with the same seed
    share common random numbers. ``workers=0`` runs them in this process; otherwise they go
    to a local Dask cluster of that many workers (None: one per core) or to ``scheduler``.
    ``progress`` is called with each replicate number as it finishes.
    """
    runs_dir = Path(out) / "replicates"
    specs = [
        RunSpec(
            scenario=scenario,
            seed=int(seed),
            replicate=rep,
            patients=int(patients or scenario.run.patients),
            years=int(years or scenario.run.years),
        )
        for rep in range(replicates)
    ]
    execute(
        specs,
        runs_dir,
        workers=workers,
        scheduler=scheduler,
        progress=progress_bar,
        label=scenario.scenario.name,
        on_done=(lambda spec: progress(spec.replicate)) if progress is not None else None,
    )
    return pd.concat([load_run(runs_dir, spec.run_id) for spec in specs], ignore_index=True)


def write_run(
    out: Path,
    scenario: Scenario,
    metrics: pd.DataFrame,
    *,
    seed: int,
    replicates: int,
    wall_seconds: float,
    patients: int,
    years: int,
) -> None:
    """Write metrics (Parquet and CSV), the resolved scenario and run.json, each atomically."""
    out = Path(out)
    atomic_write_parquet(out / "metrics.parquet", metrics)
    atomic_write_csv(out / "metrics.csv", metrics)
    atomic_write_text(out / "scenario.toml", scenario_to_toml(scenario))
    info = {
        "icsim_version": sim.__version__,
        "scenario": scenario.scenario.name,
        "seed": seed,
        "replicates": replicates,
        "patients": patients,
        "years": years,
        "wall_seconds": round(wall_seconds, 3),
        "python": platform.python_version(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    atomic_write_text(out / "run.json", json.dumps(info, indent=2) + "\n")


def run_comparison(
    scenarios: Sequence[Scenario],
    out: Path,
    settings: RunSettings,
    *,
    workers: int | None = 0,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Run scenarios on the same seed and write each one's run folder under ``out``.

    Replicate r of every scenario draws from the streams of (seed, r): common random
    numbers, so the scenarios differ only by their mechanisms. All runs go to one executor
    call, so one cluster serves every scenario; ``out/replicates/`` makes it resumable.
    Returns every scenario's metrics, in the order given.
    """
    out = Path(out)
    specs = {
        sc.scenario.name: [
            RunSpec(
                scenario=sc,
                seed=settings.seed,
                replicate=rep,
                patients=settings.patients,
                years=settings.years,
            )
            for rep in range(settings.replicates)
        ]
        for sc in scenarios
    }
    start = time.perf_counter()
    runs_dir = out / "replicates"
    execute(
        [s for group in specs.values() for s in group],
        runs_dir,
        workers=workers,
        scheduler=scheduler,
        progress=settings.replicates > 1,
        label="compare",
    )
    wall = time.perf_counter() - start
    frames = []
    for sc in scenarios:
        df = pd.concat(
            [load_run(runs_dir, spec.run_id) for spec in specs[sc.scenario.name]], ignore_index=True
        )
        write_run(
            out / sc.scenario.name,
            sc,
            df,
            seed=settings.seed,
            replicates=settings.replicates,
            wall_seconds=wall,
            patients=settings.patients,
            years=settings.years,
        )
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


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
