"""Stopping a job: Ctrl-C and SIGTERM end it with one message saying what is saved.

While a job runs both signals raise KeyboardInterrupt in the main thread (Dask's logging
quieted first), except while a finished run's result is being saved: that save ends
first. :func:`sim.experiments.executor.execute` turns the interrupt into
:class:`Interrupted`, which says how many runs are on disk, so the same command resumes.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Iterator
from pathlib import Path


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during a job; says how much was saved, so the user can resume."""

    def __init__(self, done: int, total: int, runs_dir: Path):
        self.done, self.total, self.runs_dir = done, total, Path(runs_dir)
        super().__init__(
            f"interrupted: {done} of {total} runs are saved in {self.runs_dir}; "
            "run the same command again to resume"
        )


DASK_LOGGERS = ("distributed", "tornado", "asyncio")


def quiet_dask_logging() -> None:
    """Keep Dask's own log lines out of this process's terminal from now on.

    The executor reports every failed run itself (``runs/<id>.error.txt``), so what Dask
    logs on its own is noise about connections. Most of it comes on a stop: Ctrl-C or
    SIGTERM interrupts Dask mid-call, and its shutdown then logs lost connections and
    tracebacks (one from a cancel callback that races the interrupt). A stopped job
    should end with one message saying what is saved.
    """
    for name in DASK_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


class _StopSignals:
    """Ctrl-C or SIGTERM: quiet Dask before it is interrupted mid-call, then stop.

    A stop that arrives while a finished run's result is being saved is held until the
    save ends: the user sees the run as done as soon as its checksum lands, so a stop sent
    then must not undo it (the save would otherwise give up the result it had just made).
    """

    def __init__(self) -> None:
        self.saving = False
        self.held = False

    def __call__(self, signum: int, frame: object) -> None:
        quiet_dask_logging()
        if self.saving:
            self.held = True
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def finishing_a_save(self) -> Iterator[None]:
        """Save whole, then take any stop that came meanwhile (a save that fails raises its
        own error, and the job ends with it)."""
        self.saving, self.held = True, False
        try:
            yield
        finally:
            self.saving = False
        if self.held:
            self.held = False
            raise KeyboardInterrupt


stop_signals = _StopSignals()
"""The one handler of both signals while a job runs."""


@contextlib.contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """SIGTERM acts like Ctrl-C while a job runs: both raise KeyboardInterrupt, Dask quieted.

    :func:`execute` turns that into :class:`Interrupted` once every landed result is on
    disk, so a stopped job ends with one message and the same command resumes it.
    """
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, stop_signals) for signum in stops}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
