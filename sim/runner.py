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
from sim.metrics import COLUMNS
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
    return metrics_frame(model.metrics)


def metrics_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """Tidy metrics with stable dtypes."""
    df = pd.DataFrame(list(rows), columns=list(COLUMNS))
    for col in ("scenario", "system", "group", "metric"):
        df[col] = df[col].astype("string")
    df["replicate"] = df["replicate"].astype("int32")
    df["year"] = df["year"].astype("int32")
    df["value"] = df["value"].astype("float64")
    return df


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
                   progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Run replicates one by one, each saved atomically; completed ones are reused on rerun."""
    out = Path(out)
    fingerprint = scenario_hash(scenario, seed=seed, patients=patients, years=years)
    parts = []
    for rep in range(replicates):
        part = out / "replicates" / f"{fingerprint}-{rep:04d}.parquet"
        if part.is_file():
            df = pd.read_parquet(part)
        else:
            df = simulate(scenario, seed=seed, replicate=rep, patients=patients, years=years)
            atomic_write_parquet(part, df)
        parts.append(df)
        if progress is not None:
            progress(rep)
    return metrics_frame(pd.concat(parts, ignore_index=True).to_dict("records"))


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
        ) -> pd.DataFrame:
    """Final-year values by system (group 'all'), mean over replicates."""
    last = metrics[(metrics["year"] == metrics["year"].max()) & (metrics["group"] == "all")
                   & (metrics["metric"].isin(metrics_shown))]
    table = last.pivot_table(index="metric", columns="system", values="value", aggfunc="mean")
    return table.reindex([m for m in metrics_shown if m in table.index])
