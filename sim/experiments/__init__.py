"""Experiments at scale: replicates, sweeps, uncertainty summaries and sensitivity analysis.

- :mod:`sim.experiments.executor` runs many (scenario, replicate) runs on Dask, writing
  each result atomically as it lands so that an interrupted job resumes where it stopped;
- :mod:`sim.experiments.runs` runs a scenario's replicates (or several scenarios', for a
  comparison) into results folders, and gathers many runs into one table;
- :mod:`sim.experiments.inputs` validates experiment files with one-line messages;
- :mod:`sim.experiments.sweep` reads sweep files and plans their grids of runs;
- :mod:`sim.experiments.summary` gives the mean and a 90% interval across replicates;
- :mod:`sim.experiments.sensitivity` reads sensitivity files and draws the SALib sample
  (Morris or Sobol); :mod:`sim.experiments.sensitivity_indices` computes the indices.
"""

from sim.experiments.executor import ExperimentError, RunSpec, execute
from sim.experiments.stops import Interrupted
from sim.experiments.summary import paired_differences, replicate_summary

__all__ = [
    "ExperimentError",
    "Interrupted",
    "RunSpec",
    "execute",
    "paired_differences",
    "replicate_summary",
]
