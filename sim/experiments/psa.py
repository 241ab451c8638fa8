"""Probabilistic sensitivity analysis: intervals that hold parameter and stochastic uncertainty.

A PSA file is TOML (example: ``scenarios/psa/competing_icps.toml``)::

    [psa]
    name = "competing_icps"
    scenarios = ["../fragmented_tariff.toml", "../competing_icps_capitation.toml"]
    samples = 20            # parameter sets drawn
    replicates = 3          # replicates of each set
    patients = 20000
    years = 10
    outputs = ["bed_days_per_1000", "resource_cost_per_capita"]   # final year
    posterior = "../../results/calibration/baseline/posterior.csv"  # optional

    [set]                   # fixed overrides of every scenario

    [parameters."choice.inertia"]
    distribution = "normal" # normal (mean, sd), lognormal (median, sd_log), uniform (low,
    mean = 2.6              # high), triangular (low, mode, high), beta (alpha, beta, and
    sd = 0.5                # optional low, high to rescale), fixed (value)
    low = 1.0               # optional bounds: normal draws are clipped to [low, high]
    source = "calibration_targets 5.5 (why this distribution)"

Parameter sets come from one random stream (numpy's SeedSequence of the seed and this
module's key), parameter by parameter in the file's order; a ``posterior`` file (the
``posterior.csv`` of ``icsim calibrate``) gives jointly drawn rows for its columns. Set s
runs replicates ``s x R`` to ``s x R + R - 1`` of every scenario: replicates differ between
sets, so the spread of the set means holds parameter uncertainty plus a known share of
noise, and every scenario of a set shares its random numbers, so differences are paired.

The summary (:func:`summarise`) splits the variance of each scenario difference by the law
of total variance: Var(d) = Var(E[d | set]) + E[Var(d | set)]. The second term is the
stochastic (replicate) part; the first, less E[Var(d | set)] / R (the noise that set means
still carry), the parameter part. Its 90% intervals: stochastic-only (the spread of
replicates about their set's mean) and combined (the spread of all runs).
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

import sim
from sim.base.files import atomic_write_csv, atomic_write_parquet, atomic_write_text
from sim.config.scenario import (
    ScenarioError,
    apply_override,
    read_scenario_dict,
    read_toml,
    scenario_from_dict,
)
from sim.engine.metrics import GROUPS, METRICS
from sim.experiments.executor import RunSpec, execute
from sim.experiments.inputs import Strict, validate, value_at
from sim.experiments.out_folder import open_study_folder
from sim.experiments.record import command_overrides, run_record
from sim.experiments.runs import combine
from sim.experiments.sensitivity import normal_key
from sim.experiments.targets import LEVEL_HIGH, LEVEL_LOW, resolve_file

PSA_STREAM = 0x505341
"""Spawn key of the parameter draws: apart from every stream the model draws from."""


class Distribution(Strict):
    distribution: Literal["normal", "lognormal", "uniform", "triangular", "beta", "fixed"]
    mean: float | None = None
    sd: float | None = Field(None, ge=0)
    median: float | None = Field(None, gt=0)
    sd_log: float | None = Field(None, ge=0)
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    alpha: float | None = Field(None, gt=0)
    beta: float | None = Field(None, gt=0)
    value: float | None = None
    source: str = Field(..., min_length=1)

    @model_validator(mode="after")
    def _has_its_parameters(self) -> Distribution:
        needs = {
            "normal": ("mean", "sd"),
            "lognormal": ("median", "sd_log"),
            "uniform": ("low", "high"),
            "triangular": ("low", "mode", "high"),
            "beta": ("alpha", "beta"),
            "fixed": ("value",),
        }[self.distribution]
        missing = [n for n in needs if getattr(self, n) is None]
        if missing:
            raise ValueError(f"a {self.distribution} distribution needs {', '.join(needs)}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low must not be above high (got {self.low} and {self.high})")
        if self.distribution == "triangular" and not self.low <= self.mode <= self.high:
            raise ValueError("a triangular distribution needs low <= mode <= high")
        return self

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        d = self.distribution
        if d == "normal":
            x = rng.normal(self.mean, self.sd, n)
        elif d == "lognormal":
            x = self.median * np.exp(rng.normal(0.0, self.sd_log, n))
        elif d == "uniform":
            x = rng.uniform(self.low, self.high, n)
        elif d == "triangular":
            if self.low == self.high:  # numpy refuses a triangle of no width
                x = np.full(n, float(self.low))
            else:
                x = rng.triangular(self.low, self.mode, self.high, n)
        elif d == "beta":
            x = rng.beta(self.alpha, self.beta, n)
            if self.low is not None and self.high is not None:
                return self.low + (self.high - self.low) * x
            return x
        else:
            x = np.full(n, float(self.value))
        if d in ("normal", "lognormal"):
            low = -np.inf if self.low is None else self.low
            high = np.inf if self.high is None else self.high
            x = np.clip(x, low, high)
        return x


class PsaMeta(Strict):
    name: str | None = Field(None, description="Default: the file's stem.")
    description: str = ""
    scenarios: list[str] = Field(..., min_length=1, description="The first is the reference.")
    samples: int = Field(20, ge=2, le=100_000)
    replicates: int = Field(3, ge=2, le=1_000)
    seed: int | None = Field(None, ge=0)
    patients: int | None = Field(None, gt=0)
    years: int | None = Field(None, gt=0, le=200)
    outputs: list[str] = Field(default_factory=lambda: ["bed_days_per_1000"], min_length=1)
    system: str = "all"
    group: str = "all"
    posterior: str | None = None


class PsaFile(Strict):
    psa: PsaMeta
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Distribution] = Field(default_factory=dict)


@dataclass
class PsaPlan:
    name: str
    source: Path
    text: str
    scenario_names: list[str]
    draws: pd.DataFrame  # one row per parameter set, one column per key
    runs: list[tuple[dict[str, Any], RunSpec]]  # (sample, scenario, parameters) and spec
    sources: dict[str, str]
    seed: int
    samples: int
    replicates: int
    patients: int
    years: int
    outputs: list[str]
    system: str
    group: str


def draw_parameters(
    spec: PsaFile, posterior: pd.DataFrame | None, seed: int, n: int
) -> pd.DataFrame:
    """``n`` parameter sets from one stream: posterior rows first, then each distribution."""
    rng = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(PSA_STREAM,)))
    )
    columns: dict[str, np.ndarray] = {}
    if posterior is not None:
        rows = rng.integers(0, len(posterior), n)
        for key in posterior.columns:
            if key != "distance":
                columns[normal_key(key)] = posterior[key].to_numpy(dtype=float)[rows]
    for key, dist in spec.parameters.items():
        columns[normal_key(key)] = dist.draw(rng, n)
    return pd.DataFrame(columns)


def plan_psa(path: str | Path, overrides: list[str] | None = None) -> PsaPlan:
    """Read and validate a PSA file, draw the parameter sets and resolve every run."""
    from sim.config.scenario import parse_override

    path = Path(path)
    spec: PsaFile = validate(PsaFile, read_toml(path, "PSA"), str(path))
    meta = spec.psa
    for metric in meta.outputs:
        if metric not in METRICS:
            raise ScenarioError(
                f"{path}: field 'psa.outputs': unknown metric {metric!r}; allowed: "
                f"{', '.join(METRICS)}"
            )
    if meta.group not in GROUPS:
        raise ScenarioError(f"{path}: field 'psa.group': unknown group {meta.group!r}")
    files = [
        resolve_file(path.parent, s, path, str(path), f"psa.scenarios.{i}")
        for i, s in enumerate(meta.scenarios)
    ]
    posterior = None
    sources = {normal_key(k): d.source for k, d in spec.parameters.items()}
    if meta.posterior is not None:
        where = path.parent / meta.posterior
        if not where.is_file():
            raise ScenarioError(f"{path}: field 'psa.posterior': no such file '{meta.posterior}'")
        posterior = pd.read_csv(where)
        if posterior.empty:
            raise ScenarioError(f"{path}: field 'psa.posterior': '{meta.posterior}' has no rows")
        sources.update({k: f"posterior {meta.posterior}" for k in posterior if k != "distance"})
    if not sources:
        raise ScenarioError(f"{path}: field 'parameters': declare a distribution or a posterior")
    extra = [parse_override(o) for o in overrides or []]
    data = []
    for file in files:
        d = read_scenario_dict(file)
        for key, value in [*spec.set.items(), *extra]:
            apply_override(d, key, value, source=f"{path} [set]")
        data.append(d)
    base = scenario_from_dict(copy.deepcopy(data[0]), source=f"{path} [set]")
    resolved = base.model_dump(mode="python")
    for key in [] if posterior is None else [k for k in posterior if k != "distance"]:
        if value_at(resolved, normal_key(key)) is None:
            raise ScenarioError(
                f"{path}: field 'psa.posterior': column {key!r} of '{meta.posterior}' is not a "
                "parameter of the scenario (see icsim params)"
            )
    seed = base.run.seed if meta.seed is None else meta.seed
    patients, years = meta.patients or base.run.patients, meta.years or base.run.years
    draws = draw_parameters(spec, posterior, seed, meta.samples)
    names: list[str] = []
    runs = []
    for s, row in draws.iterrows():
        for file, d in zip(files, data, strict=True):
            point = copy.deepcopy(d)
            for key, value in row.items():
                apply_override(point, str(key), float(value), source=f"{path} [parameters]")
            sc = scenario_from_dict(point, source=f"{path} parameter set {s} on {file.name}")
            if s == 0:
                names.append(sc.scenario.name)
            for r in range(meta.replicates):
                replicate = int(s) * meta.replicates + r
                params = {"sample": int(s), "scenario_file": file.stem, **row.to_dict()}
                runs.append((params, RunSpec(sc, seed, replicate, patients, years)))
    if len(set(names)) != len(names):
        raise ScenarioError(f"{path}: field 'psa.scenarios': scenario names must differ")
    return PsaPlan(
        name=meta.name or path.stem,
        source=path,
        text=path.read_text(),
        scenario_names=names,
        draws=draws,
        runs=runs,
        sources=sources,
        seed=seed,
        samples=meta.samples,
        replicates=meta.replicates,
        patients=patients,
        years=years,
        outputs=list(meta.outputs),
        system=meta.system,
        group=meta.group,
    )


def summarise(values: pd.DataFrame, reference: str, replicates: int) -> pd.DataFrame:
    """Split each scenario difference's variance into parameter and stochastic parts.

    ``values`` has columns ``sample, replicate, scenario, metric, value`` (final year).
    Returns one row per (scenario, metric) other than the reference: the mean difference,
    its variance parts, and the stochastic-only and combined 90% intervals.
    """
    wide = values.pivot_table(
        index=["metric", "sample", "replicate"], columns="scenario", values="value"
    )
    rows = []
    for scenario in [c for c in wide.columns if c != reference]:
        diff = (wide[scenario] - wide[reference]).rename("d").reset_index()
        for metric, d in diff.groupby("metric", sort=False):
            by_set = d.groupby("sample")["d"]
            within = float(by_set.var(ddof=1).mean())
            between = float(by_set.mean().var(ddof=1))
            parameter = max(0.0, between - within / replicates)
            mean = float(d["d"].mean())
            # replicates about their set's mean, rescaled for the mean they were taken from
            resid = (d["d"] - by_set.transform("mean")) * np.sqrt(replicates / (replicates - 1))
            rows.append(
                {
                    "comparison": f"{scenario} - {reference}",
                    "scenario": scenario,
                    "reference": reference,
                    "metric": metric,
                    "mean": mean,
                    "var_total": float(d["d"].var(ddof=1)),
                    "var_parameter": parameter,
                    "var_stochastic": within,
                    "parameter_share": parameter / (parameter + within)
                    if parameter + within > 0
                    else 0.0,
                    "stochastic_low": mean + float(resid.quantile(LEVEL_LOW)),
                    "stochastic_high": mean + float(resid.quantile(LEVEL_HIGH)),
                    "combined_low": float(d["d"].quantile(LEVEL_LOW)),
                    "combined_high": float(d["d"].quantile(LEVEL_HIGH)),
                    "samples": int(d["sample"].nunique()),
                    "replicates": replicates,
                }
            )
    return pd.DataFrame(rows)


def final_values(plan: PsaPlan, results: pd.DataFrame) -> pd.DataFrame:
    """Each run's final-year outputs, with its parameter set and scenario."""
    sel = results[
        (results["year"] == plan.years)
        & (results["system"] == plan.system)
        & (results["group"] == plan.group)
        & (results["metric"].isin(plan.outputs))
    ]
    return sel[["sample", "replicate", "scenario", "metric", "value"]].reset_index(drop=True)


def run_psa(
    plan: PsaPlan,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Run (or resume) every parameter set's replicates; write and return the summary."""
    out = open_study_folder(Path(out), "psa", plan.text, overwrite)
    start = time.perf_counter()
    ran = execute(
        [spec for _, spec in plan.runs],
        out / "runs",
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label=plan.name,
    )
    keys = ["sample", "scenario_file", *plan.draws.columns]
    results = combine(plan.runs, out / "runs", keys)
    atomic_write_parquet(out / "results.parquet", results)
    draws = plan.draws.rename_axis("sample").reset_index()
    atomic_write_csv(out / "samples.csv", draws)
    summary = summarise(final_values(plan, results), plan.scenario_names[0], plan.replicates)
    atomic_write_csv(out / "psa_summary.csv", summary)
    info = {
        "icsim_version": sim.__version__,
        "name": plan.name,
        "scenarios": plan.scenario_names,
        "samples": plan.samples,
        "replicates": plan.replicates,
        "runs": len(plan.runs),
        "ran_now": ran,
        "patients": plan.patients,
        "years": plan.years,
        "seed": plan.seed,
        "parameter_sources": plan.sources,
        "wall_seconds": round(time.perf_counter() - start, 3),
        **run_record(None, command_overrides(), reused=len(plan.runs) - ran, runs=len(plan.runs)),
    }
    atomic_write_text(out / "psa.json", json.dumps(info, indent=2) + "\n")
    return summary
