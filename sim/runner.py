"""Running scenarios and writing their results safely.

:func:`simulate` is the one function everything else (command line, sweeps, notebooks,
dashboard) calls to turn a scenario into tidy metrics. Results are written atomically:
a file appears whole under its final name or not at all, so a killed job never leaves
half a file for a later one to read, and a rerun picks up where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

import sim
from sim.metrics import COLUMNS, DTYPES, MetricsLog
from sim.model import ICSModel
from sim.scenario import Scenario, scenario_to_toml


def simulate(scenario: Scenario, *, seed: int | None = None, replicate: int = 0,
             patients: int | None = None, years: int | None = None,
             on_year: Callable[[ICSModel], None] | None = None) -> pd.DataFrame:
    """Run one replicate of a scenario; returns tidy metrics (see :data:`sim.metrics.COLUMNS`)."""
    model = ICSModel(scenario, seed=seed, replicate=replicate, patients=patients, years=years)
    for _ in range(model.n_years):
        model.step()
        if on_year is not None:
            on_year(model)
    return model.metrics.frame()


def metrics_frame(rows: MetricsLog | Iterable[dict]) -> pd.DataFrame:
    """Tidy metrics with stable dtypes (:data:`sim.metrics.DTYPES`).

    A model's :class:`~sim.metrics.MetricsLog` builds the frame from its arrays; any other
    iterable of row dicts (keys :data:`sim.metrics.COLUMNS`) is read row by row.
    """
    if isinstance(rows, MetricsLog):
        return rows.frame()
    return pd.DataFrame(list(rows), columns=list(COLUMNS)).astype(DTYPES)


def scenario_hash(scenario: Scenario, **settings: object) -> str:
    """A short fingerprint of a resolved scenario and run settings, for safe resumption."""
    text = scenario.model_dump_json() + json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- atomic writes


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def atomic_write_parquet(path: Path, df: pd.DataFrame) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_csv(path: Path, df: pd.DataFrame) -> None:
    atomic_write_text(path, df.to_csv(index=False))


# --------------------------------------------------------------------------- a run on disk


def run_replicates(scenario: Scenario, out: Path, *, seed: int, replicates: int,
                   patients: int | None = None, years: int | None = None,
                   progress: Callable[[int], None] | None = None,
                   workers: int | None = 0, scheduler: str | None = None,
                   progress_bar: bool = False) -> pd.DataFrame:
    """Run replicates, each saved atomically to ``out/replicates/``; completed ones are reused.

    Replicate r draws from the streams of (seed, r), so scenarios run with the same seed
    share common random numbers. ``workers=0`` runs them in this process; otherwise they go
    to a local Dask cluster of that many workers (None: one per core) or to ``scheduler``.
    ``progress`` is called with each replicate number as it finishes.
    """
    from sim.experiments.executor import RunSpec, execute, load_run

    runs_dir = Path(out) / "replicates"
    specs = [RunSpec(scenario=scenario, seed=int(seed), replicate=rep,
                     patients=int(patients or scenario.run.patients),
                     years=int(years or scenario.run.years)) for rep in range(replicates)]
    execute(specs, runs_dir, workers=workers, scheduler=scheduler, progress=progress_bar,
            label=scenario.scenario.name,
            on_done=(lambda spec: progress(spec.replicate)) if progress is not None else None)
    return pd.concat([load_run(runs_dir, spec.run_id) for spec in specs], ignore_index=True)


def write_run(out: Path, scenario: Scenario, metrics: pd.DataFrame, *, seed: int,
              replicates: int, wall_seconds: float, patients: int, years: int) -> None:
    """Write metrics (Parquet and CSV), the resolved scenario and run.json, each atomically."""
    out = Path(out)
    atomic_write_parquet(out / "metrics.parquet", metrics)
    atomic_write_csv(out / "metrics.csv", metrics)
    atomic_write_text(out / "scenario.toml", scenario_to_toml(scenario))
    info = {"icsim_version": sim.__version__, "scenario": scenario.scenario.name,
            "seed": seed, "replicates": replicates, "patients": patients, "years": years,
            "wall_seconds": round(wall_seconds, 3), "python": platform.python_version(),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    atomic_write_text(out / "run.json", json.dumps(info, indent=2) + "\n")


def summary_table(metrics: pd.DataFrame, metrics_shown: tuple[str, ...] = (
        "enrolment_share", "switching_rate", "mean_risk", "emergency_admissions_per_1000",
        "avoidable_emergency_admissions_per_1000", "bed_days_per_1000",
        "elective_admissions_per_1000", "cost_per_capita", "quality", "waiting_weeks"),
        interval: bool = False) -> pd.DataFrame:
    """Final-year values by system (group 'all'): the mean over replicates.

    With ``interval=True`` each cell is text, ``mean [low, high]``, the high and low ends
    holding the middle 90% of replicates (see :mod:`sim.experiments.summary`).
    """
    from sim.experiments.summary import final_year_summary, fmt_interval

    summary = final_year_summary(metrics, by=["system", "metric"], metrics_shown=metrics_shown)
    order = [m for m in metrics_shown if m in set(summary["metric"])]
    systems = list(dict.fromkeys(summary["system"]))
    if interval:
        summary = summary.assign(value=[fmt_interval(m, lo, hi) for m, lo, hi in zip(
            summary["mean"], summary["low"], summary["high"], strict=True)])
    else:
        summary = summary.assign(value=summary["mean"])
    table = summary.pivot(index="metric", columns="system", values="value")
    return table.reindex(index=order, columns=sorted(systems))
