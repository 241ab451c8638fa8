"""Whether a job fits this machine, worked out before anything starts.

A run holds its whole population in memory (one numpy column per attribute,
:data:`sim.patients.attributes.FIELDS`) plus a fixed working set (the interpreter, the
rate tables and one chunk's temporaries); each local Dask worker holds one run at a time,
and the process that gathers a sweep or sensitivity analysis holds every run's metric
rows at once. A job that cannot fit would otherwise start, swap, and die or hang hours
later, so :func:`size_problem` compares the estimate with the machine first and says
which setting to lower, with the numbers.

The estimate's constants are measured on this model (``benchmarks/bench_scaling.py``):
peak resident memory of one process is about 0.22 GiB at 100,000 patients, and grows by
about the population's own bytes per patient beyond that (0.49 GiB at 10 million, 1.56
GiB at 56 million). Headroom on each (a quarter on the population, 300 MiB fixed) keeps
the check from refusing a run that would fit. A metric row of a gathered table takes
about 106 bytes in pandas (``DataFrame.memory_usage(deep=True)``); combining 200 runs of
10 years and writing the table peaked at 192 bytes a row, so a row is counted twice.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.engine.metric_catalogue import METRIC_CATALOGUE, Scope
from sim.engine.metrics import GROUPS
from sim.experiments.run_spec import RunSpec
from sim.patients.attributes import FIELDS

#: Bytes of one patient's row: the sum of the attributes' array types.
PATIENT_BYTES = sum(np.dtype(dtype).itemsize for dtype in FIELDS.values())
#: Measured peak is about the population's bytes above the fixed part; a quarter more.
PATIENT_HEADROOM = 1.25
#: Interpreter, imports, rate tables and one chunk's temporaries (measured 0.22 GiB).
FIXED_BYTES = 300 * 2**20
#: One metric row of a gathered table in pandas (measured), and the copies while combining.
ROW_BYTES = 106
GATHER_COPIES = 2

GIB = 2**30


@dataclass(frozen=True)
class Machine:
    """What this machine offers a job: memory free for it (bytes) and cores."""

    memory: int
    cores: int


def this_machine() -> Machine:
    """Available memory (psutil's estimate where installed, else the kernel's) and usable cores."""
    try:
        import psutil

        memory = int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil comes with Dask
        memory = _meminfo_available() or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return Machine(memory=memory, cores=max(1, cores))


def _meminfo_available() -> int | None:  # pragma: no cover - used only without psutil
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def run_bytes(patients: int) -> int:
    """Peak memory of one run of ``patients`` patients (bytes, estimated)."""
    return FIXED_BYTES + int(PATIENT_BYTES * PATIENT_HEADROOM * patients)


def scope_rows(scope: Scope, systems: int) -> int:
    """At most how many rows a metric of ``scope`` (:mod:`sim.engine.metric_catalogue`)
    writes a year among ``systems`` systems (``all`` included): every group of each, every
    group but the under-65s of each, group ``all`` of each, or one value for the market."""
    per_system = {"every": len(GROUPS), "oldest": len(GROUPS) - 1, "population": 1}
    return 1 if scope == "market" else per_system[scope] * systems


def metric_rows(years: int, n_options: int) -> int:
    """At most how many metric rows a run writes, by each metric's scope."""
    systems = n_options + 1
    return years * sum(scope_rows(info.scope, systems) for info in METRIC_CATALOGUE.values())


def gathered_bytes(runs: int, years: int, n_options: int) -> int:
    """Memory of every run's metrics held at once, as a sweep's table is combined."""
    return runs * metric_rows(years, n_options) * ROW_BYTES * GATHER_COPIES


def gib(n: float) -> str:
    return f"{n / GIB:.1f} GiB"


def size_problem(
    specs: Sequence[RunSpec],
    workers: int | None,
    scheduler: str | None,
    machine: Machine | None = None,
) -> str | None:
    """Why these runs cannot run here as asked (one message with the estimate), or None.

    Local workers each hold one run, so the largest run times the workers in use must fit;
    ``workers=0`` runs one at a time in this process. Runs sent to a ``scheduler`` use the
    cluster's memory, which its operator sizes; the table gathered here is checked still.
    """
    if not specs:
        return None
    machine = machine or this_machine()
    local = not scheduler
    if local and workers is not None and workers > machine.cores:
        return (
            f"--workers {workers}: this machine has {machine.cores} cores, and each local worker "
            f"runs one run on one core; give at most --workers {machine.cores} (0: in this "
            "process), or send the runs to a cluster with --scheduler"
        )
    largest = max(specs, key=lambda spec: spec.patients)
    in_parallel = 1 if workers == 0 else min(workers or machine.cores, len(specs))
    runs = len(specs)
    years = max(spec.years for spec in specs)
    n_options = max(len(spec.scenario.option_names) for spec in specs)
    gathered = gathered_bytes(runs, years, n_options)
    each = run_bytes(largest.patients) if local else 0
    need = each * in_parallel + gathered
    if need <= machine.memory:
        return None
    parts = []
    if local:
        parts.append(
            f"{largest.patients:,} patients (run.patients, --patients) take about {gib(each)} "
            f"per run, x {in_parallel} at once (--workers)"
        )
    parts.append(
        f"{runs:,} runs (replicates, grid points or samples) x {years} years of metrics "
        f"take about {gib(gathered)} gathered"
    )
    return (
        f"this job needs about {gib(need)} of memory and this machine has {gib(machine.memory)} "
        f"free: {'; '.join(parts)}; lower the population, the replicates or the workers"
    )


def plan_problem(
    runs: int, years: int, n_options: int, what: str, machine: Machine | None = None
) -> str | None:
    """Why a plan of ``runs`` runs is too large to gather here (``what`` names the fields
    that set its size), or None; checked before the plan's scenarios are even built."""
    machine = machine or this_machine()
    need = gathered_bytes(runs, years, n_options)
    if need <= machine.memory:
        return None
    return (
        f"{what}: {runs:,} runs x {years} years of metrics take about {gib(need)} of memory "
        f"to gather and this machine has {gib(machine.memory)} free; fewer points, samples "
        "or replicates"
    )
