"""What every ``icsim`` command shares: its consoles, its options and how it stops.

Bad input, failed runs and interruptions all end the same way whichever command met them:
one message (the file, the field, what is allowed) and no traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from sim.base.files import error_text
from sim.config.scenario import ScenarioError

console = Console()
err_console = Console(stderr=True)

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="Override a scenario key with a dotted path, e.g. --set choice.inertia=3.0"
    ),
]
OutOption = Annotated[Path | None, typer.Option(help="Output folder; rerun with it to resume.")]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Address of a running Dask scheduler, e.g. tcp://HOST:8786 (default: a local cluster)."
    ),
]
OverwriteOption = Annotated[
    bool,
    typer.Option(
        "--overwrite", help="Replace another job's results in --out (they are removed first)."
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(min=0, help="Local Dask workers (default: one per core; 0: in this process)."),
]


def fail(message: str) -> None:
    """Print one clear message and stop, without a traceback."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@contextmanager
def experiment_errors() -> Iterator[None]:
    """SIGTERM acts like Ctrl-C; both, and failed runs, end with one message and no traceback.

    Results that landed before the stop are on disk, so the same command resumes.
    """
    from sim.experiments.executor import ExperimentError
    from sim.experiments.stops import Interrupted, interrupt_on_signals

    try:
        with interrupt_on_signals():
            yield
    except Interrupted as exc:
        err_console.print(f"[bold yellow]{escape(str(exc))}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(code=130) from None
    except KeyboardInterrupt:
        err_console.print("[bold yellow]interrupted[/]; run the same command again to resume")
        raise typer.Exit(code=130) from None
    except (ExperimentError, ScenarioError, OSError) as exc:  # OSError: a full disk, say
        fail(error_text(exc))
