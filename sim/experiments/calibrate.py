"""Calibration: fit free parameters to published targets with Optuna's TPE sampler.

A calibration file is TOML (examples in ``scenarios/calibration/``)::

    [calibration]
    name = "baseline"
    scenario = "../fragmented_tariff.toml"   # the base scenario, relative to this file
    replicates = 2          # replicates per evaluation, averaged (common random numbers)
    patients = 20000
    years = 10
    trials = 24             # the budget: parameter sets evaluated
    batch = 4               # trials run at once (in parallel on the cluster)
    sampler_seed = 1        # seeds Optuna's TPE sampler, so a calibration is repeatable

    [set]                   # fixed overrides of the base scenario (and of target scenarios)

    [parameters."utilisation.elective_per_1000"]   # a --set path
    low = 150.0             # the prior: uniform on [low, high] (log = true: log-uniform);
    high = 210.0            # leave both out for the range icsim params declares
    source = "calibration_targets 4.16 (why this range)"

    [[targets]]             # see sim.experiments.targets
    ...

Every trial runs each target's scenario with the trial's parameters on the same seed and
replicates (common random numbers), so trials differ only by their parameters. Runs go
through the resumable executor (:func:`sim.experiments.executor.execute`): on a local
Dask cluster, a remote scheduler, or in this process. The sampler is seeded and told the
results in a fixed order, so running the same file again proposes the same trials and
reuses every run on disk.

The distance of a trial is the mean over targets of each target's mean squared distance in
band half-widths over its years (:func:`sim.experiments.targets.distance`). The first trial is
the scenario's own values (``start_at_defaults``), so a fit is never worse than the
defaults it starts from. The fitted value is the best trial's; its uncertainty is the spread of the best ``best_share`` of
trials (an approximate posterior, written to ``posterior.csv`` for ``icsim psa``).
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import tomli_w

import sim
from sim.base.files import atomic_write_csv, atomic_write_text
from sim.config.scenario import scenario_from_dict, scenario_to_toml
from sim.experiments.calibrate_plan import CalibrationPlan, plan_calibration
from sim.experiments.executor import RunSpec, dask_client, execute, load_run
from sim.experiments.inputs import value_at
from sim.experiments.out_folder import open_study_folder
from sim.experiments.record import command_overrides, run_record
from sim.experiments.targets import distance, measure

__all__ = ["CalibrationPlan", "CalibrationResult", "plan_calibration", "run_calibration"]


@dataclass
class CalibrationResult:
    trials: pd.DataFrame  # one row per trial: parameters, distance, each target's distance
    fitted: pd.DataFrame  # one row per parameter: best value and spread of the best trials
    fit: pd.DataFrame  # one row per target: value, band, model value with interval, distance
    fit_by_year: pd.DataFrame  # one row per target and year
    best: dict[str, float] = field(default_factory=dict)


@contextlib.contextmanager
def _cluster(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """One Dask client for the whole calibration (None: run in this process)."""
    if workers == 0 and not scheduler:
        yield None
        return
    with dask_client(workers, scheduler) as client:
        yield client


def _runs(specs: list[RunSpec], runs_dir: Path) -> pd.DataFrame:
    return pd.concat([load_run(runs_dir, s.run_id) for s in specs], ignore_index=True)


def evaluate(
    plan: CalibrationPlan, specs: dict[str, list[RunSpec]], runs_dir: Path
) -> tuple[float, list[float]]:
    """A trial's distance and each target's, from its runs on disk."""
    frames = {file: _runs(s, runs_dir) for file, s in specs.items()}
    each = [
        distance(t, measure(t, frames[file], plan.years))
        for t, file in zip(plan.targets, plan.target_scenario, strict=True)
    ]
    return float(np.mean(each)), each


def fit_tables(
    plan: CalibrationPlan, specs: dict[str, list[RunSpec]], runs_dir: Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each target against the model at one parameter set: overall and year by year."""
    frames = {file: _runs(s, runs_dir) for file, s in specs.items()}
    rows, yearly = [], []
    for t, file in zip(plan.targets, plan.target_scenario, strict=True):
        m = measure(t, frames[file], plan.years)
        low, high = t.band()
        base = {"target": t.name, "metric": t.metric, "scenario": Path(file).stem}
        if m is None:
            rows.append({**base, "source": t.source, "model": np.nan, "distance": np.inf})
            continue
        mean, lo, hi = m.overall()
        by_year = m.by_year()
        inside = by_year["mean"].between(low, high)
        rows.append(
            {
                **base,
                "group": t.group,
                "years": f"{int(by_year.year.min())}-{int(by_year.year.max())}",
                "value": t.value if t.value is not None else (low + high) / 2,
                "band_low": low,
                "band_high": high,
                "model": mean,
                "model_low": lo,
                "model_high": hi,
                "years_in_band": f"{int(inside.sum())} of {len(inside)}",
                "distance": distance(t, m),
                "source": t.source,
            }
        )
        yearly.append(by_year.assign(**base, band_low=low, band_high=high, in_band=inside))
    return pd.DataFrame(rows), pd.concat(yearly, ignore_index=True) if yearly else pd.DataFrame()


def _distributions(plan: CalibrationPlan) -> dict[str, optuna.distributions.FloatDistribution]:
    return {
        k: optuna.distributions.FloatDistribution(lo, hi, log=log)
        for k, (lo, hi, log) in plan.bounds.items()
    }


def run_calibration(
    plan: CalibrationPlan,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    overwrite: bool = False,
) -> CalibrationResult:
    """Run (or resume) the trials, then write the fitted values, fit tables and the
    calibrated parameter file."""
    out = open_study_folder(Path(out), "calibration", plan.text, overwrite)
    runs_dir = out / "runs"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():  # constant_liar is marked experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(
            seed=plan.sampler_seed,
            n_startup_trials=max(2, min(10, plan.trials // 3)),
            constant_liar=True,
        )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    if plan.start is not None:
        study.enqueue_trial(plan.start)
    dists = _distributions(plan)
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    with _cluster(workers, scheduler) as client:
        while len(rows) < plan.trials:
            n = min(plan.batch, plan.trials - len(rows))
            asked = [study.ask(dists) for _ in range(n)]
            batch = [plan.specs(dict(trial.params)) for trial in asked]
            execute(
                [spec for specs in batch for runs in specs.values() for spec in runs],
                runs_dir,
                workers=workers,
                scheduler=scheduler,
                client=client,
                progress=progress,
                label=f"{plan.name} trials {len(rows) + 1}-{len(rows) + n} of {plan.trials}",
                announce=None,
            )
            for trial, specs in zip(asked, batch, strict=True):
                total, each = evaluate(plan, specs, runs_dir)
                study.tell(trial, total)
                rows.append(
                    {
                        "trial": trial.number,
                        **trial.params,
                        "distance": total,
                        **{
                            f"distance:{t.name}": d for t, d in zip(plan.targets, each, strict=True)
                        },
                    }
                )
    trials = pd.DataFrame(rows)
    best = dict(study.best_trial.params)
    fit, by_year = fit_tables(plan, plan.specs(best), runs_dir)
    fitted = fitted_table(plan, trials, best)
    result = CalibrationResult(trials, fitted, fit, by_year, best)
    write_outputs(plan, result, out, wall=time.perf_counter() - start)
    return result


def best_trials(trials: pd.DataFrame, share: float) -> pd.DataFrame:
    """The best ``share`` of trials by distance (at least three, or all there are)."""
    n = min(len(trials), max(3, int(np.ceil(share * len(trials)))))
    return trials.nsmallest(n, "distance")


def fitted_table(
    plan: CalibrationPlan, trials: pd.DataFrame, best: dict[str, float]
) -> pd.DataFrame:
    top = best_trials(trials, plan.best_share)
    base = scenario_from_dict(copy.deepcopy(plan.scenario_data[plan.base]), str(plan.source))
    data = base.model_dump(mode="python")
    return pd.DataFrame(
        [
            {
                "parameter": key,
                "default": value_at(data, key),
                "fitted": best[key],
                "best_trials_mean": float(top[key].mean()),
                "best_trials_sd": float(top[key].std(ddof=1)) if len(top) > 1 else 0.0,
                "best_trials_low": float(top[key].quantile(0.05)),
                "best_trials_high": float(top[key].quantile(0.95)),
                "prior_low": low,
                "prior_high": high,
                "prior": "log-uniform" if log else "uniform",
            }
            for key, (low, high, log) in plan.bounds.items()
        ]
    )


def calibrated_toml(plan: CalibrationPlan, result: CalibrationResult) -> str:
    """The fitted values as a ``[set]`` table, with where they come from."""
    best_distance = float(result.trials["distance"].min())
    head = (
        f"# Fitted by icsim calibrate {plan.source.name} ('{plan.name}'): the best of "
        f"{len(result.trials)} trials,\n# distance {best_distance:.3g} (band half-widths "
        f"squared), {plan.patients:,} patients x {plan.years} years x {plan.replicates} "
        "replicate(s).\n# Use it as the [set] table of a sweep, sensitivity or PSA file, or "
        "as icsim run --set KEY=VALUE.\n"
    )
    values = {k: round(float(v), 6) for k, v in result.best.items()}
    return head + tomli_w.dumps({"set": values})


def write_outputs(plan: CalibrationPlan, result: CalibrationResult, out: Path, wall: float) -> None:
    atomic_write_csv(out / "trials.csv", result.trials)
    atomic_write_csv(out / "fitted.csv", result.fitted)
    atomic_write_csv(out / "fit.csv", result.fit)
    atomic_write_csv(out / "fit_by_year.csv", result.fit_by_year)
    keys = list(plan.bounds)
    posterior = best_trials(result.trials, plan.best_share)[[*keys, "distance"]]
    atomic_write_csv(out / "posterior.csv", posterior)
    atomic_write_text(out / "calibrated.toml", calibrated_toml(plan, result))
    calibrated = plan.scenario(plan.base, result.best)
    data = calibrated.model_dump(mode="python")
    data["scenario"]["name"] = f"{calibrated.scenario.name}_calibrated"
    atomic_write_text(
        out / "scenario.toml", scenario_to_toml(scenario_from_dict(data, str(plan.source)))
    )
    info = {
        "icsim_version": sim.__version__,
        "name": plan.name,
        "trials": len(result.trials),
        "best_distance": float(result.trials["distance"].min()),
        "fitted": result.best,
        "replicates": plan.replicates,
        "patients": plan.patients,
        "years": plan.years,
        "seed": plan.seed,
        "sampler": f"optuna {optuna.__version__} TPESampler(seed={plan.sampler_seed})",
        "wall_seconds": round(wall, 3),
        **run_record(calibrated, command_overrides(), reused=0, runs=len(result.trials)),
    }
    atomic_write_text(out / "calibration.json", json.dumps(info, indent=2, default=str) + "\n")
