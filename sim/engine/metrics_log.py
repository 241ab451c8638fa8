"""A run's metric rows: one block of arrays a year, the tidy DataFrame built at the end.

A model keeps its rows in a :class:`MetricsLog` (``model.metrics``): each year is one block
of arrays, so recording a year costs the same few array operations whatever the number of
systems, and :meth:`MetricsLog.frame` builds the tidy DataFrame in one go. Iterating the log
still gives one dict per row, as a list of rows would. Metrics read the year's
:class:`~sim.engine.state.YearState`, never the model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from sim.engine.fragmentation import AccountableShares
from sim.engine.metrics import COLUMNS, DTYPES, GROUPS, METRICS, YearMetrics, year_metrics
from sim.engine.state import YearState


class MetricsLog:
    """The metric rows of one model run (``model.metrics``), one :class:`YearMetrics` a year.

    Rows are kept as arrays, not dicts: England records about 10,600 rows a year, and a
    dict for each one took milliseconds a year whatever the number of patients, enough to
    keep small runs from costing the same per patient-year as large ones. :meth:`frame`
    turns the whole run into the tidy DataFrame at once. For exploring by hand the log also
    behaves like the list of row dicts it replaces: ``len(log)`` counts rows, iterating
    gives one dict per row in order (so ``pd.DataFrame(list(log))`` works), and
    :func:`sim.engine.run.metrics_frame` accepts it.
    """

    def __init__(self, scenario: str, replicate: int, options: Sequence[str]):
        self.scenario = scenario
        self.replicate = int(replicate)
        self.systems = (*options, "all")
        self.years: list[YearMetrics] = []
        self._rows = 0
        self._shares = AccountableShares()

    def record(self, year: YearState) -> YearMetrics:
        """Add the metrics of the year just simulated (settled, with its failures closed)."""
        block = year_metrics(year, self._shares)
        self.append(block)
        return block

    def append(self, block: YearMetrics) -> None:
        """Add a year's block (computed for this log's systems)."""
        if block.shape != (len(GROUPS), len(self.systems), len(METRICS)):
            raise ValueError(
                f"a block shaped {block.shape} does not fit this log's {len(self.systems)} systems"
            )
        self.years.append(block)
        self._rows += len(block)

    def __len__(self) -> int:
        return self._rows

    def __repr__(self) -> str:
        return (
            f"MetricsLog(scenario={self.scenario!r}, replicate={self.replicate}, "
            f"years={len(self.years)}, rows={self._rows})"
        )

    def __iter__(self) -> Iterator[dict]:
        """One dict per row (the keys are :data:`COLUMNS`), year by year."""
        labels = [np.array(names, dtype=object) for names in (GROUPS, self.systems, METRICS)]
        for block in self.years:
            group, system, metric = (
                names[codes].tolist() for names, codes in zip(labels, block.codes(), strict=True)
            )
            for s, g, m, v in zip(system, group, metric, block.value.tolist(), strict=True):
                yield {
                    "scenario": self.scenario,
                    "replicate": self.replicate,
                    "year": block.year,
                    "system": s,
                    "group": g,
                    "metric": m,
                    "value": v,
                }

    def frame(self) -> pd.DataFrame:
        """Every row so far as the tidy DataFrame (columns :data:`COLUMNS`, :data:`DTYPES`).

        Built a column at a time from the blocks' arrays, text columns by looking their
        names up by code, so it costs a few array operations per column, none per row.
        """
        blocks = self.years
        lengths = [len(b) for b in blocks]
        group, system, metric = np.unravel_index(
            np.concatenate([b.index for b in blocks] or [np.zeros(0, dtype=np.intp)]),
            (len(GROUPS), len(self.systems), len(METRICS)),
        )
        n = len(group)
        names = {
            "scenario": ((self.scenario,), np.zeros(n, dtype=np.intp)),
            "system": (self.systems, system),
            "group": (GROUPS, group),
            "metric": (METRICS, metric),
        }
        columns = {
            column: pd.array(np.array(labels, dtype=object)[codes], dtype=DTYPES[column])
            for column, (labels, codes) in names.items()
        }
        columns.update(
            replicate=np.full(n, self.replicate, dtype=DTYPES["replicate"]),
            year=np.repeat(np.array([b.year for b in blocks], dtype=DTYPES["year"]), lengths),
            value=np.concatenate([b.value for b in blocks] or [np.zeros(0)]).astype(
                DTYPES["value"]
            ),
        )
        return pd.DataFrame({column: columns[column] for column in COLUMNS})
