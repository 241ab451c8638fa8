"""The metric dictionary, ``docs/metrics.md``, written from the code.

Units and definitions come from :data:`sim.engine.metric_catalogue.METRIC_CATALOGUE`, the
metric order from :data:`sim.engine.metrics.METRICS` and the groups from
:data:`sim.engine.metrics.GROUPS`, so the dictionary cannot drift from what a run writes.
Regenerate it after adding a metric::

    python -m sim.report.metric_dictionary            # writes docs/metrics.md
    python -m sim.report.metric_dictionary --check    # exits 1 if docs/metrics.md is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.engine.metric_catalogue import METRIC_CATALOGUE, MetricInfo
from sim.engine.metrics import GROUPS, METRICS

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"

_GROUPS = {
    "every": "all groups",
    "population": "`all` only",
    "market": "`all` only",
    "oldest": "all but `age_0_64`",
}
_SYSTEMS = {
    "every": "each system and `all`",
    "population": "the systems it applies to and `all`",
    "market": "`all` only",
    "oldest": "each system and `all`",
}


def undefined(metrics: tuple[str, ...] = METRICS) -> list[str]:
    """Metrics written by the model that have no entry in the catalogue."""
    return [m for m in metrics if m not in METRIC_CATALOGUE]


def catalogue_entries(metrics: tuple[str, ...] = METRICS) -> list[tuple[str, MetricInfo]]:
    """Each metric with its catalogue entry, in the metric list's order.

    Raises ``KeyError`` naming every metric that lacks an entry.
    """
    missing = undefined(metrics)
    if missing:
        raise KeyError(
            f"no unit or definition in sim/engine/metric_catalogue.py for: {', '.join(missing)}"
        )
    return [(m, METRIC_CATALOGUE[m]) for m in metrics]


def metric_dictionary() -> str:
    """The text of ``docs/metrics.md``."""
    lines = [
        "# Metric dictionary",
        "",
        "Written by `python -m sim.report.metric_dictionary` from "
        "`sim/engine/metric_catalogue.py`; do not edit by hand.",
        "",
        "Every run writes these metrics in tidy long form (`metrics.parquet`: columns "
        "`scenario, replicate, year, system, group, metric, value`), one row per year, "
        "system and group where the metric is defined. Systems are the fragmented default, "
        "each ICP and `all` (the whole population). Groups: "
        + ", ".join(f"`{g}`" for g in GROUPS)
        + " (`all` is the whole population, then two age bands and the five IMD quintiles, "
        "`imd_q1` the most deprived).",
        "",
        "| metric | unit | definition | systems | groups |",
        "|---|---|---|---|---|",
    ]
    for name, info in catalogue_entries():
        lines.append(
            f"| `{name}` | {info.unit} | {info.definition} | {_SYSTEMS[info.scope]} "
            f"| {_GROUPS[info.scope]} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write ``docs/metrics.md``, or with ``--check`` report whether it is up to date."""
    args = sys.argv[1:] if argv is None else argv
    text = metric_dictionary()
    if "--check" in args:
        if not DOCUMENT.is_file() or DOCUMENT.read_text() != text:
            print(f"{DOCUMENT.name} is out of date: run python -m sim.report.metric_dictionary")
            return 1
        return 0
    DOCUMENT.write_text(text)
    print(f"Wrote {DOCUMENT.name}: {len(METRICS)} metrics")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
