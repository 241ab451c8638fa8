"""Experiments at scale: replicates, sweeps, uncertainty summaries and sensitivity analysis.

- :mod:`sim.experiments.executor` runs many (scenario, replicate) runs on Dask, writing
  each result atomically as it lands so that an interrupted job resumes where it stopped;
- :mod:`sim.experiments.sweep` reads sweep files and plans their grids of runs;
- :mod:`sim.experiments.summary` gives the mean and a 90% interval across replicates;
- :mod:`sim.experiments.sensitivity` runs Morris screening and Sobol indices with SALib.
"""

from sim.experiments.executor import ExperimentError, Interrupted, RunSpec, execute
from sim.experiments.summary import paired_differences, replicate_summary

__all__ = [
    "ExperimentError",
    "Interrupted",
    "RunSpec",
    "execute",
    "paired_differences",
    "replicate_summary",
]
