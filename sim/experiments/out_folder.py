"""The ``--out`` folder of a run, comparison or study: checked before anything runs, and whose
it is.

A run or comparison replaces its output folder whole (:func:`sim.base.files.replaced_folder`),
so pointing ``--out`` at another scenario's results would silently delete them. The folder's
``run.json`` says whose results it holds; replacing anyone else's needs ``--overwrite``.
Rerunning the same scenario (or the same comparison) into its own folder needs no flag: it
resumes, reusing the runs already made.

A sweep, sensitivity analysis, PSA or calibration (a study) writes into its folder as it
goes, so that an interrupted one resumes; its plan file (``sweep.toml`` and so on) says
whose results the folder holds. :func:`open_study_folder` refuses a folder holding anyone
else's results unless ``--overwrite``, which empties it first: results of two jobs are never
mixed.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Sequence
from pathlib import Path

from sim.base.files import atomic_write_text, folder_problem, safe_name
from sim.experiments.executor import ExperimentError

RESULT_MARKS = ("run.json", "replicates", "metrics.parquet", "comparison.csv")
"""Files and folders only icsim's run and comparison results hold."""
STUDIES = ("sweep", "sensitivity", "psa", "calibration")
"""The kinds of study; each writes its plan as ``<kind>.toml``, whose ``[<kind>]`` names it."""
STUDY_PLANS = tuple(f"{kind}.toml" for kind in STUDIES)
ICSIM_MARKS = (*RESULT_MARKS, "runs", *STUDY_PLANS)
"""What marks a folder as icsim results of any kind."""

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


def recorded_holder(out: Path) -> str | None:
    """Whose results ``out`` holds, from a run's record or a study's plan file (None: none)."""
    return recorded_owner(out) or recorded_study(out)


def holds_results(out: Path, advice: str) -> bool:
    """Whether ``out`` holds icsim results; refuses (naming the folder, then ``advice``) one
    that cannot be written or that holds files icsim did not write."""
    out = Path(out)
    problem = folder_problem(out)
    if problem:
        raise ExperimentError(f"--out {out}: {problem}")
    if not out.is_dir() or not any(out.iterdir()):
        return False
    if not any((out / mark).exists() for mark in ICSIM_MARKS):
        raise ExperimentError(
            f"--out {out}: the folder holds files that are not icsim results; {advice}"
        )
    return True


def refusal(out: Path, held: str | None, wanted: str, what_would_happen: str) -> ExperimentError:
    """The one message for results of ``held`` (None: of unknown origin) in the way of ``wanted``."""
    whose = held or "results of unknown origin"
    whose = whose if whose.startswith("results") else f"the results of {whose}"
    return ExperimentError(
        f"--out {out}: the folder holds {whose}, and {wanted} {what_would_happen}; {PASS_OVERWRITE}"
    )


def check_output_folder(out: Path, names: Sequence[str] = (), overwrite: bool = False) -> None:
    """Refuse an ``--out`` folder that cannot be written, that holds files other than icsim
    results, or (without ``overwrite``) that holds results of other scenarios than ``names``
    (one scenario, or a comparison in this order): it is replaced whole by the results."""
    advice = "an output folder is replaced whole; give a new or empty folder, or an earlier one"
    if not holds_results(out, advice):
        return
    held = recorded_holder(out)
    wanted = owner_of(list(names)) if names else None
    if overwrite or held is None or wanted is None or held == wanted:
        return
    raise refusal(out, held, f"writing {wanted} there", "would replace them whole")


def output_folder(out: Path | None, parent: Path, name: str) -> Path:
    """``--out`` if given, else ``parent`` / the name made safe (:func:`safe_name`); checked
    now, so a folder that cannot be written stops the job before any run, with one message."""
    folder = Path(out) if out is not None else Path(parent) / safe_name(name)
    problem = folder_problem(folder)
    if problem:
        raise ExperimentError(f"--out {folder}: {problem}")
    return folder


def study_owner(kind: str, plan_text: str) -> str:
    """Whose results a study writes, in words, from its plan file's text."""
    try:
        name = tomllib.loads(plan_text)[kind]["name"]
    except (tomllib.TOMLDecodeError, KeyError, TypeError):
        return f"a {kind} whose {kind}.toml cannot be read"
    return f"the {kind} '{name}'"


def recorded_study(out: Path) -> str | None:
    """Whose study results ``out`` holds, from the plan file it holds, or None if none."""
    for kind in STUDIES:
        plan = Path(out) / f"{kind}.toml"
        if plan.is_file():
            try:
                return study_owner(kind, plan.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                return f"a {kind} whose {kind}.toml cannot be read ({type(exc).__name__})"
    return None


def open_study_folder(out: Path, kind: str, plan_text: str, overwrite: bool = False) -> Path:
    """Make ``out`` ready for a study of ``kind`` (its plan file's text ``plan_text``) and
    write the plan into it; returns the folder.

    An empty or new folder, or one holding this same study's results (a resume), is used as
    it is. One holding anyone else's results, or files that are not icsim results, is
    refused with one message, unless ``overwrite``: then, if it holds nothing but icsim
    results, it is emptied first, so the two jobs' results never mix.
    """
    out = Path(out)
    wanted = study_owner(kind, plan_text)
    advice = "give a new or empty folder, or this study's earlier output folder"
    if holds_results(out, advice) and (held := recorded_holder(out)) != wanted:
        if not overwrite:
            raise refusal(out, held, wanted, "would mix its results with them")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / f"{kind}.toml", plan_text)
    return out
