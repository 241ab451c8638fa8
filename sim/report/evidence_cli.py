"""The ``icsim calibrate``, ``icsim psa`` and ``icsim validate`` commands.

They live here, beside the report they write, and :func:`register` adds them to the
``icsim`` application, so the command module stays small. Bad input ends with one message
(the file, the field, what is allowed) and no traceback, as every icsim command does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.report.cli_common import (
    OutOption,
    OverwriteOption,
    SchedulerOption,
    SetOption,
    WorkersOption,
    console,
    experiment_errors,
)


def calibrate(
    calibration_file: Annotated[Path, typer.Argument(help="Calibration TOML file.")],
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    set_: SetOption = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Fit free parameters to targets (Optuna TPE); write fitted values, fit and calibrated.toml."""
    from sim.experiments.calibrate import plan_calibration, run_calibration
    from sim.report.terminal import print_table

    with experiment_errors():
        plan = plan_calibration(calibration_file, set_ or [])
        out = out or Path("results") / "calibration" / plan.name
        console.print(
            f"Calibration [bold]{plan.name}[/]: {len(plan.bounds)} parameters, "
            f"{len(plan.targets)} targets, {plan.trials} trials x {plan.replicates} "
            f"replicate(s); writing {out}"
        )
        result = run_calibration(
            plan, out, workers=workers, scheduler=scheduler, overwrite=overwrite
        )
    fitted = result.fitted.set_index("parameter")[["default", "fitted", "best_trials_sd"]]
    print_table(console, fitted.map(lambda v: f"{v:.4g}"), "Fitted (spread of the best trials)")
    fit = result.fit.set_index("target")[["value", "model", "years_in_band", "distance"]]
    fit = fit.map(lambda v: f"{v:.4g}" if isinstance(v, float) else str(v))
    print_table(console, fit, "Fit: each target against the fitted model")
    console.print(
        f"Wrote {out}/fitted.csv, fit.csv, fit_by_year.csv, trials.csv, posterior.csv, "
        "calibrated.toml and scenario.toml"
    )


def psa(
    psa_file: Annotated[Path, typer.Argument(help="PSA TOML file.")],
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    set_: SetOption = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Probabilistic sensitivity analysis: parameter and replicate uncertainty, separated."""
    from sim.experiments.psa import plan_psa, run_psa
    from sim.report.figures_evidence import psa_figure
    from sim.report.plots import save
    from sim.report.terminal import print_table

    with experiment_errors():
        plan = plan_psa(psa_file, set_ or [])
        out = out or Path("results") / "psa" / plan.name
        console.print(
            f"PSA [bold]{plan.name}[/]: {plan.samples} parameter sets x "
            f"{len(plan.scenario_names)} scenarios x {plan.replicates} replicates = "
            f"{len(plan.runs)} runs; writing {out}"
        )
        summary = run_psa(plan, out, workers=workers, scheduler=scheduler, overwrite=overwrite)
    save(psa_figure(summary), out / "psa", ("png",))
    several = summary["scenario"].nunique() > 1
    names = summary["metric"] + (" (" + summary["scenario"] + ")" if several else "")
    shown = summary.set_index(names.rename("difference from " + plan.scenario_names[0]))
    view = shown.apply(
        lambda r: {
            "mean": f"{r['mean']:.4g}",
            "replicate noise only": f"[{r.stochastic_low:.4g}, {r.stochastic_high:.4g}]",
            "with parameters": f"[{r.combined_low:.4g}, {r.combined_high:.4g}]",
            "parameter share of variance": f"{r.parameter_share:.0%}",
        },
        axis=1,
        result_type="expand",
    )
    print_table(console, view, f"Final year (year {plan.years}): 90% intervals of the differences")
    console.print(f"Wrote {out}/psa_summary.csv, psa.png, samples.csv and results.parquet")


def validate(
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("results/validation"),
    rows: Annotated[Path | None, typer.Option(help="Validation rows TOML file.")] = None,
    replicates: Annotated[int | None, typer.Option(min=1, help="Replicates per scenario.")] = None,
    patients: Annotated[int | None, typer.Option(min=1, help="Patients per run.")] = None,
    years: Annotated[int | None, typer.Option(min=1, help="Simulated years.")] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Check every calibration target in every year and the published comparisons; write a report."""
    from sim.report.validation import ROWS, validate_model

    with experiment_errors():
        table = validate_model(
            out,
            rows_file=rows or ROWS,
            replicates=replicates,
            patients=patients,
            years=years,
            workers=workers,
            scheduler=scheduler,
            progress=True,
        )
    counts = table["verdict"].value_counts()
    for verdict in ("match", "miss", "not measured"):
        names = table.loc[table["verdict"] == verdict, "row"]
        if len(names):
            console.print(f"[bold]{verdict}[/] ({counts[verdict]}): {'; '.join(names)}")
    console.print(f"Wrote {out}/validation.md, validation.html, validation.csv and figures/")


def register(app: typer.Typer) -> None:
    """Add the three commands to the ``icsim`` application."""
    for command in (calibrate, psa, validate):
        app.command()(command)
