"""What a result was made from: code, inputs and software, so a reader can trust or redo it.

:func:`code_hash` fingerprints the model's own source, so a run id changes when the model
is edited even if its version number does not. :func:`run_record` is the record written
into ``run.json`` (and a sweep's, sensitivity analysis's or comparison's record file).
:func:`variant_name` gives a scenario run with ``--set`` a name of its own, so its files
and labels are never mistaken for the default run's.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import subprocess
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import sim
from sim.config.scenario import Scenario

#: Packages whose version can change a result or how it is read.
KEY_PACKAGES = ("numpy", "pandas", "mesa", "dask", "pydantic", "pyarrow")

#: The files of the ``sim`` package that make up the model: its code and its data.
CODE_SUFFIXES = (".py", ".csv", ".toml")

PACKAGE_DIR = Path(sim.__file__).resolve().parent


def source_files(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The model's files, in a fixed order (caches and hidden files left out)."""
    return sorted(
        p
        for p in Path(package_dir).rglob("*")
        if p.is_file()
        and p.suffix in CODE_SUFFIXES
        and not any(part.startswith(".") or part == "__pycache__" for part in p.parts)
    )


def hash_files(files: Iterable[Path], root: Path) -> str:
    """A short fingerprint of the files' paths (relative to ``root``) and bytes."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@functools.cache
def code_hash() -> str:
    """The fingerprint of the installed model's code, computed once per process."""
    return hash_files(source_files(PACKAGE_DIR), PACKAGE_DIR)


def canonical(value: Any) -> Any:
    """``value`` as plain JSON types in a fixed order: sets sorted, tuples as lists.

    Floats stay floats, so :func:`canonical_json` writes NaN, Infinity, -Infinity and -0.0
    as themselves; pydantic's JSON would write the first three as null, one value for three.
    """
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((canonical(v) for v in value), key=repr)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def canonical_json(value: Any) -> str:
    """One text for one value, and different texts for different values (see :func:`canonical`)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="python")
    return json.dumps(canonical(value), sort_keys=True, allow_nan=True, separators=(",", ":"))


def resolved_scenario_hash(scenario: Scenario) -> str:
    """A short fingerprint of the resolved scenario alone."""
    return hashlib.sha256(canonical_json(scenario).encode()).hexdigest()[:16]


def variant_name(name: str, overrides: Sequence[str]) -> str:
    """``name`` with a short suffix naming the overrides, or ``name`` itself without any.

    The suffix is a digest of the overrides as given, so the same ``--set`` options always
    give the same name and different ones different names; the record lists them in full.
    """
    if not overrides:
        return name
    text = json.dumps([o.strip() for o in overrides])
    return f"{name}-set-{hashlib.sha256(text.encode()).hexdigest()[:6]}"


def named_variant(scenario: Scenario, overrides: Sequence[str]) -> Scenario:
    """The scenario renamed by :func:`variant_name` (unchanged without overrides)."""
    name = variant_name(scenario.scenario.name, overrides)
    if name == scenario.scenario.name:
        return scenario
    meta = scenario.scenario.model_copy(update={"name": name})
    return scenario.model_copy(update={"scenario": meta})


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(PACKAGE_DIR.parent), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.cache
def git_state() -> dict[str, Any]:
    """The commit of the checkout the model runs from and whether its tree was clean."""
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "clean": None, "note": "not run from a git checkout"}
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "clean": status == "" if status is not None else None}


def versions() -> dict[str, str | None]:
    """Versions of icsim, Python and the key packages (None: not installed)."""
    found: dict[str, str | None] = {"icsim": sim.__version__, "python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def command_line() -> list[str]:
    """The command as typed: ``icsim`` and its arguments (``python -m sim.cli`` alike)."""
    if not sys.argv:
        return []
    program = Path(sys.argv[0]).name
    return ["icsim" if program in ("cli.py", "icsim", "__main__.py") else program, *sys.argv[1:]]


def command_overrides() -> list[str]:
    """The ``--set`` values of the command line (for records made without them to hand)."""
    args, found = sys.argv[1:], []
    for i, arg in enumerate(args):
        if arg == "--set" and i + 1 < len(args):
            found.append(args[i + 1])
        elif arg.startswith("--set="):
            found.append(arg.removeprefix("--set="))
    return found


def run_record(
    scenario: Scenario | None = None,
    overrides: Sequence[str] = (),
    *,
    reused: int | None = None,
    runs: int | None = None,
) -> dict[str, Any]:
    """The record of a run: git state, command line, overrides, hashes and versions."""
    record: dict[str, Any] = {
        "git": git_state(),
        "command": command_line(),
        "overrides": list(overrides),
        "scenario_hash": resolved_scenario_hash(scenario) if scenario is not None else None,
        "code_hash": code_hash(),
        "versions": versions(),
    }
    if runs is not None:
        record["runs"] = runs
        record["reused_runs"] = reused
    return record
