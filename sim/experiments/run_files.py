"""Run results on disk: one Parquet file per run id, trusted only with its checksum.

Each result is ``<id>.parquet`` beside ``<id>.sha256``, a ``sha256sum`` line naming the
file and the digest of its bytes (so ``sha256sum -c`` checks it too). The checksum is
written after the result, both atomically, so a result counts as done only once both are
whole. On resume a result whose checksum is missing, wrong or names another file (a
truncated or damaged file, or one copied over another run's id) is not trusted: it is
removed and its run made again, rather than read as another run's or failing the job.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from sim.base.files import atomic_write_parquet, atomic_write_text, os_error_reason
from sim.experiments.run_spec import RunSpec


class ExperimentError(RuntimeError):
    """An experiment that cannot go on; the message is meant for the user as is."""


def run_path(runs_dir: Path, run_id: str) -> Path:
    return Path(runs_dir) / f"{run_id}.parquet"


def checksum_path(runs_dir: Path, run_id: str) -> Path:
    return Path(runs_dir) / f"{run_id}.sha256"


def run_files(runs_dir: Path, run_id: str) -> tuple[Path, Path]:
    """A run's result and its checksum: what a copy of the run must carry."""
    return run_path(runs_dir, run_id), checksum_path(runs_dir, run_id)


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def save_run(runs_dir: Path, run_id: str, df: pd.DataFrame) -> None:
    """Write a run's result, then its checksum; the run is done once both are on disk."""
    result, check = run_files(runs_dir, run_id)
    atomic_write_parquet(result, df)
    try:
        atomic_write_text(check, f"{digest(result)}  {result.name}\n")
    except BaseException:
        if not is_trusted(runs_dir, run_id):  # the checksum may have landed before the error
            result.unlink(missing_ok=True)  # a result without its checksum is never trusted
        raise


def is_trusted(runs_dir: Path, run_id: str) -> bool:
    """Whether the run's result is whole and its own: its checksum names it and matches."""
    result, check = run_files(runs_dir, run_id)
    try:
        recorded = check.read_text().split()
        return recorded == [digest(result), result.name]
    except (OSError, UnicodeDecodeError):
        return False


def stored_ids(runs_dir: Path) -> set[str]:
    """Ids with a result under its final name, trusted or not."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return set()
    return {
        p.name.removesuffix(".parquet")
        for p in runs_dir.glob("*.parquet")
        if not p.name.startswith(".")
    }


def completed_ids(runs_dir: Path) -> set[str]:
    """Ids whose result is on disk, whole and matching its checksum."""
    return {run_id for run_id in stored_ids(runs_dir) if is_trusted(runs_dir, run_id)}


def drop_untrusted(runs_dir: Path, run_ids: set[str]) -> list[str]:
    """Remove the results of ``run_ids`` that fail their checksum, so those runs are made
    again; their ids. Other runs' files are left as they are."""
    stored = stored_ids(runs_dir) & run_ids
    dropped = sorted(run_id for run_id in stored if not is_trusted(runs_dir, run_id))
    for run_id in dropped:
        for path in run_files(runs_dir, run_id):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return dropped


def load_run(runs_dir: Path, run_id: str) -> pd.DataFrame:
    """A run's result; a file that cannot be read is named, with what to do."""
    path = run_path(runs_dir, run_id)
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds for a damaged file
        raise ExperimentError(
            f"{path}: cannot read this run's result ({type(exc).__name__}: {exc}); "
            "run the same command again to make it anew"
        ) from None


def remove_stale_temps(runs_dir: Path) -> None:
    """Temporary files left by a killed job: never read, so safe to delete on start."""
    for tmp in Path(runs_dir).glob(".*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def last_line(text: str) -> str:
    """The error a traceback ends with, its exception named without its module."""
    line = text.strip().splitlines()[-1] if text.strip() else "unknown error"
    return re.sub(r"^(?:\w+\.)+(\w+: )", r"\1", line)


def failure_message(
    failures: dict[str, tuple[RunSpec, str]], attempted: int, total: int, runs_dir: Path
) -> str:
    """Which runs failed and why, naming the first's scenario and replicate; plainly so
    when every run tried failed the same way, as retrying would not help."""
    (first, text), *_ = failures.values()
    error = last_line(text)
    what = error if first.describe() in error else f"{first.describe()}: {error}"
    where = f"tracebacks in {runs_dir}/<id>.error.txt"
    kinds = {last_line(t).replace(spec.describe(), "") for spec, t in failures.values()}
    if len(failures) == attempted and len(kinds) == 1:
        return (
            f"every run failed the same way ({len(failures)} of {total} runs; {where}): "
            f"{what}; running again fails again until the input is changed"
        )
    return (
        f"{len(failures)} of {total} runs failed ({where}); {what}; the other results are "
        "saved, and running the same command again retries only the failed runs"
    )


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """An operating-system error while writing results (a full disk, a folder made
    read-only) stops the job with one message naming the path; atomic writes leave no
    partial file behind for a resume to read."""
    try:
        yield
    except OSError as exc:
        raise ExperimentError(
            f"cannot write {exc.filename or path}: {os_error_reason(exc)}; the results saved "
            "so far are whole, and the same command resumes once this is fixed"
        ) from None
