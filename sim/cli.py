"""The ``icsim`` command line."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from sim.config.scenario import STRICT_HELP, Scenario, ScenarioError, load_scenario, set_strict
from sim.report.cli_common import (
    OverwriteOption,
    SchedulerOption,
    SetOption,
    WorkersOption,
    console,
    err_console,
    experiment_errors,
    fail,
)
from sim.report.evidence_cli import register
from sim.report.terminal import print_table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="icsim: competing integrated care systems for the English NHS.",
)
SeedOption = Annotated[int | None, typer.Option(help="Seed (default: the scenario's run.seed).")]
PatientsOption = Annotated[int | None, typer.Option(help="Number of patients.")]
YearsOption = Annotated[int | None, typer.Option(help="Number of simulated years.")]
ReplicatesOption = Annotated[int | None, typer.Option(help="Replicates (default: run.replicates).")]
PanelOption = Annotated[int, typer.Option(help="Patients to follow in panel.parquet (0: none).")]
ReplicateWorkersOption = Annotated[
    int,
    typer.Option(
        min=0,
        help="Replicates in parallel on a local Dask cluster of N workers (0: in this process).",
    ),
]


def _load(path: Path, overrides: list[str] | None) -> Scenario:
    try:
        return load_scenario(path, overrides or [])
    except ScenarioError as exc:
        fail(str(exc))
        raise  # unreachable


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
    workers: ReplicateWorkersOption = 0,
    scheduler: SchedulerOption = None,
    panel: PanelOption = 0,
    overwrite: OverwriteOption = False,
    strict: bool = typer.Option(False, "--strict", callback=set_strict, help=STRICT_HELP),
) -> None:
    """Run one scenario and write tidy metrics, the resolved scenario and run.json.

    With more than one replicate the summary shows the mean and, in brackets, the range
    holding the middle 90% of replicates, and summary.csv is written too.
    """
    from sim.experiments.out_folder import output_folder
    from sim.experiments.record import named_variant
    from sim.experiments.runs import RunSettings, run_scenario, summary_table

    sc = named_variant(_load(scenario, set_), set_ or [])
    with experiment_errors():
        s = RunSettings.of(sc, seed, patients, years, replicates, panel)
        out = output_folder(out, Path("results"), sc.scenario.name)
        console.print(
            f"Running [bold]{sc.scenario.name}[/]: {s.patients:,} patients, "
            f"{s.years} years, {s.replicates} replicate(s), seed {s.seed}"
        )
        start = time.perf_counter()
        many = s.replicates > 1
        metrics = run_scenario(
            sc,
            out,
            s,
            overrides=set_ or [],
            workers=workers,
            scheduler=scheduler,
            progress_bar=many,
            announce=console.print,
            overwrite=overwrite,
        )
    wall = time.perf_counter() - start
    title = f"{sc.scenario.name}: year {s.years}, whole population"
    written = "metrics.parquet, metrics.csv, scenario.toml, run.json"
    written += ", panel.parquet" * (panel > 0)
    if many:
        written += ", summary.csv"
        title += f", mean [90% interval] of {s.replicates} replicates"
    print_table(console, summary_table(metrics, interval=many), title)
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
    workers: ReplicateWorkersOption = 0,
    scheduler: SchedulerOption = None,
    overwrite: OverwriteOption = False,
    strict: bool = typer.Option(False, "--strict", callback=set_strict, help=STRICT_HELP),
) -> None:
    """Run scenarios on the same population and seed; write a table and a figure.

    Replicate r of every scenario uses the same random streams (common random numbers),
    so with more than one replicate the differences from the first scenario are taken
    replicate by replicate and shown with the range holding the middle 90% of them.
    """
    from sim.experiments.record import named_variant
    from sim.experiments.runs import RunSettings, run_comparison, write_differences
    from sim.experiments.summary import COMPARE_SHOWN
    from sim.report.compare import write_comparison
    from sim.report.plots import OUTCOME_FIGURES, plot_command
    from sim.report.terminal import difference_view

    loaded = [named_variant(_load(p, set_), set_ or []) for p in scenarios]
    names = [sc.scenario.name for sc in loaded]
    if len(set(names)) != len(names):
        fail(f"scenario names must differ to be compared; got {', '.join(names)}")
    with experiment_errors():
        base = RunSettings.of(loaded[0], seed, patients, years, replicates)
        console.print(
            f"Running {', '.join(names)}: {base.replicates} replicate(s) each, seed {base.seed} ..."
        )
        metrics = run_comparison(
            loaded,
            out,
            base,
            overrides=set_ or [],
            workers=workers,
            scheduler=scheduler,
            announce=console.print,
            overwrite=overwrite,
        )
    table = write_comparison(metrics, out)
    if base.replicates == 1:
        final = table["final_year"]
        print_table(console, final.T, f"Final year (year {base.years}), whole population")
        console.print(f"Wrote {out}/comparison.csv, comparison.md and comparison.png")
        console.print(plot_command(out, figures=",".join(OUTCOME_FIGURES)))
        return
    summary, differences = write_differences(out, metrics, baseline=names[0])
    n = base.replicates
    print_table(
        console,
        summary.reindex(list(COMPARE_SHOWN)).dropna(how="all"),
        f"Final year (year {base.years}), whole population: mean [90% interval] of {n} replicates",
    )
    if len(names) > 1:
        print_table(
            console,
            difference_view(differences, names[0], names),
            f"Difference from {names[0]}, replicate by replicate (common random "
            f"numbers): mean [90% interval] of {n}",
        )
    console.print(
        f"Wrote {out}/comparison.csv, comparison.md, comparison.png, summary.csv "
        "and differences.csv"
    )
    console.print(plot_command(out, figures=",".join(OUTCOME_FIGURES)))


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
    panel: PanelOption = 0,
    strict: bool = typer.Option(False, "--strict", callback=set_strict, help=STRICT_HELP),
    overwrite: OverwriteOption = False,
) -> None:
    """Run a sweep: every grid point x replicate, on Dask, resumable, into one Parquet table."""
    from sim.experiments.executor import where_runs
    from sim.experiments.out_folder import output_folder
    from sim.experiments.sweep import n_runs, plan_sweep, run_sweep

    with experiment_errors():
        plan = plan_sweep(sweep_file, set_ or [], panel=panel)
        out = output_folder(out, Path("results") / "sweeps", plan.name)
        where = where_runs(workers, scheduler)
        console.print(
            f"Sweep [bold]{plan.name}[/]: {len(plan.points)} points x "
            f"{plan.replicates} replicates = {n_runs(plan)} runs on {where}; "
            f"common random numbers {'on' if plan.crn else 'off'}; writing {out}"
        )
        start = time.perf_counter()
        results = run_sweep(plan, out, workers=workers, scheduler=scheduler, overwrite=overwrite)
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
    overwrite: OverwriteOption = False,
) -> None:
    """Global sensitivity analysis (SALib Morris or Sobol); writes indices.csv and a tornado
    chart."""
    from sim.experiments.out_folder import output_folder
    from sim.experiments.sensitivity import plan_sensitivity, run_sensitivity
    from sim.experiments.sensitivity_indices import INDEX, SHOWN
    from sim.report.plots import write_sensitivity_figure

    with experiment_errors():
        plan = plan_sensitivity(sensitivity_file, set_ or [], method=method, samples=samples)
        out = output_folder(out, Path("results") / "sensitivity", plan.name)
        console.print(
            f"Sensitivity [bold]{plan.name}[/]: {plan.method}, {len(plan.keys)} "
            f"parameters, {len(plan.scenarios)} sample points x {plan.replicates} "
            f"replicate(s) = {len(plan.runs)} runs; writing {out}"
        )
        draw = write_sensitivity_figure
        indices = run_sensitivity(
            plan, out, workers=workers, scheduler=scheduler, draw=draw, overwrite=overwrite
        )
    index = INDEX[plan.method]
    for output in plan.outputs:
        top = indices[indices["output"] == output].head(10).set_index("parameter")
        print_table(console, top[SHOWN[plan.method]], f"{output}: parameters ranked by {index}")
    console.print(f"Wrote {out}/indices.csv, sensitivity.png/svg/pdf, samples.csv, results.parquet")


@app.command()
def params(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario file (default: built-in defaults).")
    ] = None,
    set_: SetOption = None,
) -> None:
    """List every parameter with its value, unit and source (or assumption range)."""
    from sim.report.terminal import parameter_table

    console.print(parameter_table(_load(scenario, set_) if scenario else Scenario()))
    console.print("Data files: see sim/data/sources.md (population by age and sex, age profiles).")


@app.command()
def plot(
    results_dir: Annotated[
        Path, typer.Argument(help="Output folder of 'icsim run' or 'icsim compare'.")
    ],
    out: Annotated[
        Path | None, typer.Option(help="Figure folder (default RESULTS_DIR/figures).")
    ] = None,
    figures: Annotated[str | None, typer.Option(help="Figures to draw, comma-separated.")] = None,
    format_: Annotated[str, typer.Option("--format", help="Of png, svg, pdf.")] = "png,svg,pdf",
    year: Annotated[int | None, typer.Option(help="Year shown as the final one.")] = None,
    metric: Annotated[list[str] | None, typer.Option(help="Also draw it by year.")] = None,
) -> None:
    """Write the seminar figure set (PNG, SVG and PDF) from a run or compare folder."""
    from sim.report.plots import plot_command

    try:
        console.print(plot_command(results_dir, out, figures, format_, year, metric or []))
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))


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

    from sim.report.dashboard_model import SERVER_ARGS, SERVER_ENV

    if find_spec("solara") is None or find_spec("solara_assets") is None:
        fail('the dashboard needs its extra packages: pip install -e ".[dashboard]"')
    env = os.environ | SERVER_ENV
    if scenarios is not None:
        if not scenarios.is_dir():
            fail(f"{scenarios}: no such folder of scenario files")
        env["ICSIM_SCENARIOS"] = str(scenarios.resolve())
    console.print(f"icsim dashboard at http://{host}:{port} (Ctrl-C to stop)")
    sys.stdout.flush()
    # Replace this process with the server so that stopping it stops everything.
    args = ["-m", "solara", "run", "sim.app", "--port", str(port), "--host", host, *SERVER_ARGS]
    os.execve(sys.executable, [sys.executable, *args], env)


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
    from sim.config.catalogue import scenarios_folder
    from sim.report.terminal import scenario_table

    folder = folder or scenarios_folder()
    if not folder.is_dir():
        fail(f"{folder}: no such folder of scenario files")
    console.print(scenario_table(folder))


register(app)  # calibrate, psa, validate


def main() -> None:  # pragma: no cover - entry point convenience
    try:
        app()
    except ScenarioError as exc:
        err_console.print(f"error: {exc}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
