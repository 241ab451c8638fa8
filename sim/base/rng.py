"""Random streams: one per stochastic process, derived from (seed, replicate, process, year, chunk).

Each stochastic process draws from its own :class:`numpy.random.SeedSequence` child, so
two scenarios run with the same seed share common random numbers: they differ only
where their mechanisms differ. Chunks have a fixed size, so results do not depend on
how many workers run them or in which order.
"""

from __future__ import annotations

import numpy as np

PROCESSES = {
    "population": 1,  # synthetic population at start
    "demography": 2,  # deaths, new conditions, entrants
    "choice": 3,  # annual enrolment choice
    "utilisation": 4,  # activity counts
    "experience": 5,  # patients' experience of care
    "geography": 6,  # positions within localities
    "quality_publication": 7,  # sampling noise of published quality
    "panel": 8,  # which patients a patient panel follows (sim.engine.panel)
    "acceptance": 14,  # ICPs' refusals of applicants and the refused's second choices
    "cost_spread": 21,  # annual episode multipliers and lengths of stay (sim.patients.cost_spread)
}

CHUNK_SIZE = 1 << 18
"""Rows processed at once; fixed so that streams do not depend on machine or worker count.

262,144 rows keep a chunk's temporaries (a few hundred bytes a row) near the processor's
caches and far below the population's own memory, while per-chunk overheads stay small.
"""


def stream(
    seed: int, replicate: int, process: str, year: int = 0, chunk: int = 0
) -> np.random.Generator:
    """The generator for one process in one year and chunk of one replicate."""
    key = (int(replicate), PROCESSES[process], int(year), int(chunk))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=key)))


def chunks(n: int) -> list[tuple[int, slice]]:
    """(chunk index, row slice) pairs covering ``n`` rows."""
    return [
        (i, slice(start, min(start + CHUNK_SIZE, n)))
        for i, start in enumerate(range(0, n, CHUNK_SIZE))
    ]
