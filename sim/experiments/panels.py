"""Patient panels on disk: each run's panel beside its metrics, gathered into ``panel.parquet``.

A run asked for a panel (:mod:`sim.engine.panel`) leaves it in ``panels/<id>.parquet`` of
its runs folder, written before the run's metrics, so a run whose metrics are on disk has
its panel too and resuming never reads half a result. A panel is part of the run's id, so
runs with and without one (or with another size) never stand in for each other; their
metrics are the same.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.panel import COLUMNS

PANEL_FILE = "panel.parquet"


def panel_path(runs_dir: Path, run_id: str) -> Path:
    """Where the runs folder ``runs_dir`` keeps run ``run_id``'s panel."""
    return Path(runs_dir) / "panels" / f"{run_id}.parquet"


def gather_panels(
    runs_dir: Path, run_ids: Sequence[str], labels: Sequence[dict[str, Any]] | None = None
) -> pd.DataFrame:
    """The panels of ``run_ids`` in that order, as one table of :data:`COLUMNS`.

    ``labels`` (one dict per run, e.g. a sweep point's swept values and its ``run_id``)
    become columns after the panel's own, each value repeated over its run's rows; values
    that are neither numbers nor text are written as JSON.
    """
    frames = [pd.read_parquet(panel_path(runs_dir, run_id)) for run_id in run_ids]
    df = pd.concat(frames, ignore_index=True)[list(COLUMNS)]
    for name, (dtype, _) in COLUMNS.items():  # runs whose categories differ concatenate to text
        if dtype == "category" and df[name].dtype != "category":
            df[name] = df[name].astype("category")
    if labels:
        plain = (bool, int, float, str)
        columns = pd.DataFrame(
            [
                {k: v if isinstance(v, plain) else json.dumps(v) for k, v in row.items()}
                for row in labels
            ]
        )
        repeated = columns.loc[columns.index.repeat([len(f) for f in frames])]
        for name in columns:
            values = repeated[name].reset_index(drop=True)
            df[name] = values.astype("string") if values.dtype == object else values
    return df
