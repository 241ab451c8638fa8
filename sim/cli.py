"""The ``icsim`` command line."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from sim.scenario import Scenario, ScenarioError, load_scenario

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="icsim: competing integrated care systems for the English NHS.")
console = Console()
err_console = Console(stderr=True)

SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a scenario key with a dotted path, e.g. --set choice.inertia=3.0")]
SeedOption = Annotated[int | None, typer.Option(help="Seed (default: the scenario's run.seed).")]
PatientsOption = Annotated[int | None, typer.Option(help="Number of patients.")]
YearsOption = Annotated[int | None, typer.Option(help="Number of simulated years.")]
ReplicatesOption = Annotated[int | None, typer.Option(help="Replicates (default: run.replicates).")]


def fail(message: str) -> None:
    """Print one clear message and stop, without a traceback."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _load(path: Path, overrides: list[str] | None) -> Scenario:
    try:
        return load_scenario(path, overrides or [])
    except ScenarioError as exc:
        fail(str(exc))
        raise  # unreachable


def _settings(scenario: Scenario, seed, patients, years, replicates) -> dict:
    return {"seed": scenario.run.seed if seed is None else seed,
            "patients": patients or scenario.run.patients,
            "years": years or scenario.run.years,
            "replicates": replicates or scenario.run.replicates}


def _print_table(df: pd.DataFrame, title: str) -> None:
    table = Table(title=title, show_lines=False)
    table.add_column(df.index.name or "")
    for col in df.columns:
        table.add_column(str(col), justify="right")
    for idx, row in df.iterrows():
        table.add_row(str(idx), *[f"{v:,.3f}" if pd.notna(v) else "" for v in row.values])
    console.print(table)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    out: Annotated[Path | None, typer.Option(help="Output folder (default results/<name>/).")] = None,
    seed: SeedOption = None,
    patients: PatientsOption = None,
    years: YearsOption = None,
    replicates: ReplicatesOption = None,
    set_: SetOption = None,
) -> None:
    """Run one scenario and write tidy metrics, the resolved scenario and run.json."""
    from sim.runner import run_replicates, summary_table, write_run

    sc = _load(scenario, set_)
    s = _settings(sc, seed, patients, years, replicates)
    out = out or Path("results") / sc.scenario.name
    console.print(f"Running [bold]{sc.scenario.name}[/]: {s['patients']:,} patients, "
                  f"{s['years']} years, {s['replicates']} replicate(s), seed {s['seed']}")
    start = time.perf_counter()
    metrics = run_replicates(sc, out, seed=s["seed"], replicates=s["replicates"],
                             patients=s["patients"], years=s["years"])
    wall = time.perf_counter() - start
    write_run(out, sc, metrics, seed=s["seed"], replicates=s["replicates"], wall_seconds=wall,
              patients=s["patients"], years=s["years"])
    _print_table(summary_table(metrics), f"{sc.scenario.name}: year {s['years']}, whole population")
    console.print(f"Wrote {out}/metrics.parquet, metrics.csv, scenario.toml, run.json "
                  f"in {wall:.1f} s")


@app.command()
def compare(
    scenarios: Annotated[list[Path], typer.Argument(help="Two or more scenario TOML files.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("results/comparison"),
    seed: SeedOption = None,
    patients: PatientsOption = None,
    years: YearsOption = None,
    replicates: ReplicatesOption = None,
    set_: SetOption = None,
) -> None:
    """Run scenarios on the same population and seed; write a table and a figure."""
    from sim.compare import write_comparison
    from sim.runner import metrics_frame, run_replicates, write_run

    loaded = [_load(p, set_) for p in scenarios]
    names = [sc.scenario.name for sc in loaded]
    if len(set(names)) != len(names):
        fail(f"scenario names must differ to be compared; got {', '.join(names)}")
    base = _settings(loaded[0], seed, patients, years, replicates)
    frames = []
    for sc in loaded:
        console.print(f"Running [bold]{sc.scenario.name}[/] ...")
        start = time.perf_counter()
        df = run_replicates(sc, out / sc.scenario.name, seed=base["seed"],
                            replicates=base["replicates"], patients=base["patients"],
                            years=base["years"])
        write_run(out / sc.scenario.name, sc, df, seed=base["seed"],
                  replicates=base["replicates"], wall_seconds=time.perf_counter() - start,
                  patients=base["patients"], years=base["years"])
        frames.append(df)
    metrics = metrics_frame(pd.concat(frames, ignore_index=True).to_dict("records"))
    table = write_comparison(metrics, out)
    final = table["final_year"]
    _print_table(final.T, f"Final year (year {base['years']}), whole population")
    console.print(f"Wrote {out}/comparison.csv, comparison.md and comparison.png")


@app.command()
def params(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario file (default: built-in defaults).")] = None,
    set_: SetOption = None,
) -> None:
    """List every parameter with its value, unit and source (or assumption range)."""
    from sim.params import iter_parameters

    sc = _load(scenario, set_) if scenario else Scenario()
    table = Table(title="icsim parameters", show_lines=False)
    for col in ("key", "value", "unit", "source / assumption"):
        table.add_column(col, overflow="fold")
    for p in iter_parameters(sc):
        table.add_row(p.key, f"{p.value}", p.unit, p.evidence + (f" ({p.note})" if p.note else ""))
    console.print(table)
    console.print("Data files: see sim/data/sources.md (population by age and sex, age profiles).")


def main() -> None:  # pragma: no cover - entry point convenience
    try:
        app()
    except ScenarioError as exc:
        err_console.print(f"error: {exc}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
