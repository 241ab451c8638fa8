"""A scenario's replicates run and written to a results folder.

Each replicate goes through the resumable executor, so completed ones are reused, and
every file is written atomically (:mod:`sim.base.files`).
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

import sim
from sim.base.files import atomic_write_csv, atomic_write_parquet, atomic_write_text
from sim.config.scenario import Scenario, scenario_to_toml

# --------------------------------------------------------------------------- a run on disk


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
    from sim.experiments.executor import RunSpec, execute, load_run

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
    from sim.experiments.summary import final_year_summary, fmt_interval

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
