"""The ``--out`` folder of a run or comparison: checked before anything runs, and whose it is.

A run or comparison replaces its output folder whole (:func:`sim.base.files.replaced_folder`),
so pointing ``--out`` at another scenario's results would silently delete them. The folder's
``run.json`` says whose results it holds; replacing anyone else's needs ``--overwrite``.
Rerunning the same scenario (or the same comparison) into its own folder needs no flag: it
resumes, reusing the runs already made.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from sim.base.files import folder_problem, safe_name
from sim.experiments.executor import ExperimentError

RESULT_MARKS = ("run.json", "replicates", "metrics.parquet", "comparison.csv")
"""Files and folders only icsim's run and comparison results hold."""

RECORD = "run.json"

PASS_OVERWRITE = "pass --overwrite to replace them, or choose another --out"


def owner_of(names: Sequence[str]) -> str:
    """Whose results a run of these scenarios writes, in words: one scenario or a comparison."""
    if len(names) == 1:
        return f"scenario '{names[0]}'"
    return "the comparison of " + ", ".join(f"'{n}'" for n in names)


def recorded_owner(out: Path) -> str | None:
    """Whose results ``out`` holds, read from its ``run.json``, or None if it has none.

    A record that cannot be read is reported as such: its results may be anyone's.
    """
    record = Path(out) / RECORD
    if not record.is_file():
        return None
    try:
        info = json.loads(record.read_text(encoding="utf-8"))
        names = info["comparison"] if "comparison" in info else [info["scenario"]]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise TypeError("scenario names are not text")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        return f"results whose {RECORD} cannot be read ({type(exc).__name__}: {exc})"
    return owner_of(names)


def check_output_folder(out: Path, names: Sequence[str] = (), overwrite: bool = False) -> None:
    """Refuse an ``--out`` folder that cannot be written, that holds files other than icsim
    results, or (without ``overwrite``) that holds results of other scenarios than ``names``
    (one scenario, or a comparison in this order): it is replaced whole by the results."""
    out = Path(out)
    problem = folder_problem(out)
    if problem:
        raise ExperimentError(f"--out {out}: {problem}")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not any((out / mark).exists() for mark in RESULT_MARKS):
        raise ExperimentError(
            f"--out {out}: the folder holds files that are not icsim results, and an output "
            "folder is replaced whole; give a new or empty folder, or an earlier output folder"
        )
    held = recorded_owner(out)
    wanted = owner_of(list(names)) if names else None
    if overwrite or held is None or wanted is None or held == wanted:
        return
    held_text = held if held.startswith("results") else f"the results of {held}"
    raise ExperimentError(
        f"--out {out}: the folder holds {held_text}, and writing {wanted} there would "
        f"replace them whole; {PASS_OVERWRITE}"
    )


def output_folder(out: Path | None, parent: Path, name: str) -> Path:
    """``--out`` if given, else ``parent`` / the name made safe (:func:`safe_name`); checked
    now, so a folder that cannot be written stops the job before any run, with one message."""
    folder = Path(out) if out is not None else Path(parent) / safe_name(name)
    problem = folder_problem(folder)
    if problem:
        raise ExperimentError(f"--out {folder}: {problem}")
    return folder
