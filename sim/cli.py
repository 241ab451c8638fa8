"""The ``icsim`` command line."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.config.scenario import Scenario, ScenarioError, load_scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="icsim: competing integrated care systems for the English NHS.",
)
console = Console()
err_console = Console(stderr=True)

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="Override a scenario key with a dotted path, e.g. --set choice.inertia=3.0"
    ),
]
SeedOption = Annotated[int | None, typer.Option(help="Seed (default: the scenario's run.seed).")]
PatientsOption = Annotated[int | None, typer.Option(help="Number of patients.")]
YearsOption = Annotated[int | None, typer.Option(help="Number of simulated years.")]
ReplicatesOption = Annotated[int | None, typer.Option(help="Replicates (default: run.replicates).")]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Address of a running Dask scheduler, e.g. tcp://HOST:8786 (default: a local cluster)."
    ),
]
WorkersOption = Annotated[
    int | None, typer.Option(help="Local Dask workers (default: one per core; 0: in this process).")
]


def fail(message: str) -> None:
    """Print one clear message and stop, without a traceback."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _load(path: Path, overrides: list[str] | None) -> Scenario:
    try:
        return load_scenario(path, overrides or [])
    except ScenarioError as exc:
        fail(str(exc))
        raise  # unreachable


def _settings(scenario: Scenario, seed, patients, years, replicates) -> dict:
    return {
        "seed": scenario.run.seed if seed is None else seed,
        "patients": patients or scenario.run.patients,
        "years": years or scenario.run.years,
        "replicates": replicates or scenario.run.replicates,
    }


def _print_table(df: pd.DataFrame, title: str) -> None:
    table = Table(title=title, show_lines=False)
    table.add_column(df.index.name or "")
    for col in df.columns:
        table.add_column(str(col), justify="right")
    for idx, row in df.iterrows():
        table.add_row(str(idx), *[_cell(v) for v in row.values])
    console.print(table)


def _cell(value: object) -> str:
    if isinstance(value, str):
        return value
    return f"{value:,.3f}" if pd.notna(value) else ""


def _stop(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM: quiet Dask before it is interrupted mid-call, then stop."""
    from sim.experiments.executor import quiet_dask_logging

    quiet_dask_logging()
    raise KeyboardInterrupt


@contextmanager
def _experiment_errors() -> Iterator[None]:
    """SIGTERM acts like Ctrl-C; both, and failed runs, end with one message and no traceback.

    Results that landed before the stop are on disk, so the same command resumes.
    """
    from sim.experiments.executor import ExperimentError, Interrupted

    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except Interrupted as exc:
        err_console.print(f"[bold yellow]{escape(str(exc))}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(code=130) from None
    except KeyboardInterrupt:
        err_console.print("[bold yellow]interrupted[/]; run the same command again to resume")
        raise typer.Exit(code=130) from None
    except (ExperimentError, ScenarioError) as exc:
        fail(str(exc))
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default results/<name>/).")
    ] = None,
    seed: SeedOption = None,
    patients: PatientsOption = None,
    years: YearsOption = None,
    replicates: ReplicatesOption = None,
    set_: SetOption = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Replicates in parallel on a local Dask cluster of N workers (0: in this process)."
        ),
    ] = 0,
    scheduler: SchedulerOption = None,
) -> None:
    """Run one scenario and write tidy metrics, the resolved scenario and run.json.

    With more than one replicate the summary shows the mean and, in brackets, the range
    holding the middle 90% of replicates, and summary.csv is written too.
    """
    from sim.base.files import atomic_write_csv
    from sim.experiments.runs import run_replicates, summary_table, write_run
    from sim.experiments.summary import final_year_summary

    sc = _load(scenario, set_)
    s = _settings(sc, seed, patients, years, replicates)
    out = out or Path("results") / sc.scenario.name
    console.print(
        f"Running [bold]{sc.scenario.name}[/]: {s['patients']:,} patients, "
        f"{s['years']} years, {s['replicates']} replicate(s), seed {s['seed']}"
    )
    start = time.perf_counter()
    many = s["replicates"] > 1
    with _experiment_errors():
        metrics = run_replicates(
            sc,
            out,
            seed=s["seed"],
            replicates=s["replicates"],
            patients=s["patients"],
            years=s["years"],
            workers=workers,
            scheduler=scheduler,
            progress_bar=many,
        )
    wall = time.perf_counter() - start
    write_run(
        out,
        sc,
        metrics,
        seed=s["seed"],
        replicates=s["replicates"],
        wall_seconds=wall,
        patients=s["patients"],
        years=s["years"],
    )
    title = f"{sc.scenario.name}: year {s['years']}, whole population"
    written = "metrics.parquet, metrics.csv, scenario.toml, run.json"
    if many:
        atomic_write_csv(
            out / "summary.csv", final_year_summary(metrics, by=["scenario", "system", "metric"])
        )
        written += ", summary.csv"
        title += f", mean [90% interval] of {s['replicates']} replicates"
    _print_table(summary_table(metrics, interval=many), title)
    console.print(f"Wrote {out}/{written} in {wall:.1f} s")


@app.command()
def compare(
    scenarios: Annotated[list[Path], typer.Argument(help="Two or more scenario TOML files.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("results/comparison"),
    seed: SeedOption = None,
    patients: PatientsOption = None,
    years: YearsOption = None,
    replicates: ReplicatesOption = None,
    set_: SetOption = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Replicates in parallel on a local Dask cluster of N workers (0: in this process)."
        ),
    ] = 0,
    scheduler: SchedulerOption = None,
) -> None:
    """Run scenarios on the same population and seed; write a table and a figure.

    Replicate r of every scenario uses the same random streams (common random numbers),
    so with more than one replicate the differences from the first scenario are taken
    replicate by replicate and shown with the range holding the middle 90% of them.
    """
    from sim.base.files import atomic_write_csv
    from sim.experiments.executor import RunSpec, execute, load_run
    from sim.experiments.runs import write_run
    from sim.experiments.summary import COMPARE_SHOWN, difference_table, final_year_summary
    from sim.report.compare import write_comparison

    loaded = [_load(p, set_) for p in scenarios]
    names = [sc.scenario.name for sc in loaded]
    if len(set(names)) != len(names):
        fail(f"scenario names must differ to be compared; got {', '.join(names)}")
    base = _settings(loaded[0], seed, patients, years, replicates)
    specs = {
        sc.scenario.name: [
            RunSpec(
                scenario=sc,
                seed=base["seed"],
                replicate=rep,
                patients=base["patients"],
                years=base["years"],
            )
            for rep in range(base["replicates"])
        ]
        for sc in loaded
    }
    console.print(
        f"Running {', '.join(names)}: {base['replicates']} replicate(s) each, "
        f"seed {base['seed']} ..."
    )
    start = time.perf_counter()
    runs_dir = out / "replicates"
    with _experiment_errors():  # one executor call, so one cluster serves every scenario
        execute(
            [s for group in specs.values() for s in group],
            runs_dir,
            workers=workers,
            scheduler=scheduler,
            progress=base["replicates"] > 1,
            label="compare",
        )
    wall = time.perf_counter() - start
    frames = []
    for sc in loaded:
        df = pd.concat(
            [load_run(runs_dir, spec.run_id) for spec in specs[sc.scenario.name]], ignore_index=True
        )
        write_run(
            out / sc.scenario.name,
            sc,
            df,
            seed=base["seed"],
            replicates=base["replicates"],
            wall_seconds=wall,
            patients=base["patients"],
            years=base["years"],
        )
        frames.append(df)
    metrics = pd.concat(frames, ignore_index=True)
    table = write_comparison(metrics, out)
    if base["replicates"] == 1:
        final = table["final_year"]
        _print_table(final.T, f"Final year (year {base['years']}), whole population")
        console.print(f"Wrote {out}/comparison.csv, comparison.md and comparison.png")
        return
    summary, differences = difference_table(metrics, baseline=names[0])
    atomic_write_csv(
        out / "summary.csv", final_year_summary(metrics, by=["scenario", "system", "metric"])
    )
    atomic_write_csv(out / "differences.csv", differences)
    n = base["replicates"]
    _print_table(
        summary.reindex(list(COMPARE_SHOWN)).dropna(how="all"),
        f"Final year (year {base['years']}), whole population: "
        f"mean [90% interval] of {n} replicates",
    )
    if len(names) > 1:
        _print_table(
            _diff_view(differences, names[0]),
            f"Difference from {names[0]}, replicate by replicate (common random "
            f"numbers): mean [90% interval] of {n}",
        )
    console.print(
        f"Wrote {out}/comparison.csv, comparison.md, comparison.png, summary.csv "
        "and differences.csv"
    )


def _diff_view(differences: pd.DataFrame, baseline: str) -> pd.DataFrame:
    from sim.experiments.summary import COMPARE_SHOWN, fmt_interval

    sel = differences[
        (differences["year"] == differences["year"].max())
        & (differences["system"] == "all")
        & (differences["group"] == "all")
    ]
    sel = sel.assign(
        cell=[
            fmt_interval(m, lo, hi)
            for m, lo, hi in zip(sel["mean"], sel["low"], sel["high"], strict=True)
        ]
    )
    view = sel.pivot(index="metric", columns="scenario", values="cell")
    view.columns = [f"{c} - {baseline}" for c in view.columns]
    return view.reindex([m for m in COMPARE_SHOWN if m in view.index])


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep TOML file (see scenarios/sweeps/).")],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output folder (default results/sweeps/<name>/); rerun with it to resume."
        ),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    set_: SetOption = None,
) -> None:
    """Run a sweep: every grid point x replicate, on Dask, resumable, into one Parquet table."""
    from sim.experiments.sweep import n_runs, plan_sweep, run_sweep

    with _experiment_errors():
        plan = plan_sweep(sweep_file, set_ or [])
        out = out or Path("results") / "sweeps" / plan.name
        where = (
            f"the Dask cluster at {scheduler}"
            if scheduler
            else (
                "this process"
                if workers == 0
                else f"{workers or os.cpu_count()} local Dask workers"
            )
        )
        console.print(
            f"Sweep [bold]{plan.name}[/]: {len(plan.points)} points x "
            f"{plan.replicates} replicates = {n_runs(plan)} runs on {where}; "
            f"common random numbers {'on' if plan.crn else 'off'}; writing {out}"
        )
        start = time.perf_counter()
        results = run_sweep(plan, out, workers=workers, scheduler=scheduler)
    console.print(
        f"Wrote {out}/results.parquet ({len(results):,} rows; columns: the run "
        f"columns, {', '.join(plan.keys) or 'no swept keys'}, run_id), summary.csv "
        f"and plan.csv in {time.perf_counter() - start:.1f} s"
    )
    console.print(f'Load it with: pandas.read_parquet("{out}/results.parquet")', highlight=False)


@app.command()
def sensitivity(
    sensitivity_file: Annotated[Path, typer.Argument(help="Sensitivity TOML file.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default results/sensitivity/<name>/); rerun to resume."),
    ] = None,
    method: Annotated[
        str | None, typer.Option(help="morris or sobol (default: the file's).")
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(help="Morris trajectories or Sobol base samples (default: the file's)."),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    set_: SetOption = None,
) -> None:
    """Global sensitivity analysis (SALib Morris or Sobol); writes indices.csv and a bar plot."""
    from sim.experiments.sensitivity import INDEX, plan_sensitivity, run_sensitivity

    with _experiment_errors():
        plan = plan_sensitivity(sensitivity_file, set_ or [], method=method, samples=samples)
        out = out or Path("results") / "sensitivity" / plan.name
        console.print(
            f"Sensitivity [bold]{plan.name}[/]: {plan.method}, {len(plan.keys)} "
            f"parameters, {len(plan.scenarios)} sample points x {plan.replicates} "
            f"replicate(s) = {len(plan.runs)} runs; writing {out}"
        )
        indices = run_sensitivity(plan, out, workers=workers, scheduler=scheduler)
    index = INDEX[plan.method]
    for output in plan.outputs:
        top = indices[indices["output"] == output].head(10).set_index("parameter")
        cols = (
            ["mu_star", "mu_star_conf", "sigma"]
            if plan.method == "morris"
            else ["ST", "ST_conf", "S1", "S1_conf"]
        )
        _print_table(top[cols], f"{output}: parameters ranked by {index}")
    console.print(f"Wrote {out}/indices.csv, sensitivity.png, samples.csv and results.parquet")


@app.command()
def params(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario file (default: built-in defaults).")
    ] = None,
    set_: SetOption = None,
) -> None:
    """List every parameter with its value, unit and source (or assumption range)."""
    from sim.config.declare import iter_parameters

    sc = _load(scenario, set_) if scenario else Scenario()
    table = Table(title="icsim parameters", show_lines=False)
    for col in ("key", "value", "unit", "source / assumption"):
        table.add_column(col, overflow="fold")
    for p in iter_parameters(sc):
        table.add_row(p.key, f"{p.value}", p.unit, p.evidence + (f" ({p.note})" if p.note else ""))
    console.print(table)
    console.print("Data files: see sim/data/sources.md (population by age and sex, age profiles).")


@app.command()
def plot(
    results_dir: Annotated[
        Path, typer.Argument(help="Output folder of 'icsim run' or 'icsim compare'.")
    ],
    out: Annotated[
        Path | None, typer.Option(help="Figure folder (default RESULTS_DIR/figures).")
    ] = None,
) -> None:
    """Write the seminar figure set (PNG, SVG and PDF) from a run or compare folder."""
    from sim.report.plots import FIGURES, plot_results

    try:
        written = plot_results(results_dir, out)
    except FileNotFoundError as exc:
        fail(str(exc))
        raise  # unreachable
    folder = written[0].parent if written else out
    console.print(
        f"Wrote {len(FIGURES)} figures ({', '.join(FIGURES)}) as PNG, SVG and PDF to {folder}/"
    )


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8765,
    host: Annotated[str, typer.Option(help="Host to listen on.")] = "localhost",
    scenarios: Annotated[
        Path | None, typer.Option(help="Folder of scenario files to offer (default ./scenarios).")
    ] = None,
) -> None:
    """Start the live dashboard (Mesa SolaraViz) and serve it at http://HOST:PORT."""
    from importlib.util import find_spec

    if find_spec("solara") is None or find_spec("solara_assets") is None:
        fail('the dashboard needs its extra packages: pip install -e ".[dashboard]"')
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    if scenarios is not None:
        if not scenarios.is_dir():
            fail(f"{scenarios}: no such folder of scenario files")
        env["ICSIM_SCENARIOS"] = str(scenarios.resolve())
    console.print(f"icsim dashboard at http://{host}:{port} (Ctrl-C to stop)")
    sys.stdout.flush()
    # Replace this process with the server so that stopping it stops everything.
    os.execve(
        sys.executable,
        [
            sys.executable,
            "-m",
            "solara",
            "run",
            "sim.app",
            "--port",
            str(port),
            "--host",
            host,
            "--production",
            "--no-open",
        ],
        env,
    )


@app.command()
def scenarios(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="Folder of scenario files (default ./scenarios, else the repository's)."
        ),
    ] = None,
) -> None:
    """List every scenario file: name, one-line description and seed citations."""
    from sim.config.catalogue import list_scenarios, scenarios_folder

    folder = folder or scenarios_folder()
    if not folder.is_dir():
        fail(f"{folder}: no such folder of scenario files")
    table = Table(title=f"icsim scenarios in {folder}", show_lines=False)
    for col in ("scenario", "description", "sources"):
        table.add_column(col, overflow="fold")
    for info in list_scenarios(folder):
        table.add_row(
            info.name, info.description or f"[red]invalid:[/] {info.error}", "; ".join(info.sources)
        )
    console.print(table)


def main() -> None:  # pragma: no cover - entry point convenience
    try:
        app()
    except ScenarioError as exc:
        err_console.print(f"error: {exc}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
