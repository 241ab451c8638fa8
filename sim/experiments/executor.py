"""Running many (scenario, replicate) runs on Dask, resumably.

A run is a :class:`RunSpec`: a resolved scenario plus seed, replicate, patients and
years. Its id hashes all of these and the model's code, so the same run always has the
same id and a result on disk can be trusted to belong to it. Each result is written to
``runs/<id>.parquet`` atomically (a temporary file, then ``os.replace``) the moment it
lands (a patient panel first, :mod:`sim.experiments.panels`), with its checksum beside it
(:mod:`sim.experiments.run_files`), so an interrupted job (Ctrl-C, a killed worker, a
killed process) loses only the runs in flight, and running it again skips every id whose
result matches its checksum; a damaged or swapped file is made again. Nothing
half-written is ever read: temporary files have names no reader looks for, and are swept
away on the next start.

Before anything starts the job is sized against the machine (:mod:`sim.experiments.run_size`);
after a run, every metric must be finite (:func:`check_finite`), and a failed run is
reported with its scenario and replicate.

Results depend only on the spec (random streams come from ``(seed, replicate, process)``),
so they are identical whatever the number of workers or the order runs finish in.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from distributed import WorkerPlugin
from tqdm import tqdm

from sim.base.files import atomic_write_parquet, atomic_write_text
from sim.engine.run import Replicate
from sim.experiments.panels import panel_path
from sim.experiments.run_files import (
    ExperimentError,
    completed_ids,
    drop_untrusted,
    failure_message,
    load_run,
    remove_stale_temps,
    run_path,
    save_run,
    writing,
)
from sim.experiments.run_size import size_problem
from sim.experiments.run_spec import RunSpec, check_finite, scenario_hash, simulate_spec
from sim.experiments.stops import DASK_LOGGERS, Interrupted, quiet_dask_logging, stop_signals

if TYPE_CHECKING:
    from dask.distributed import Client, Future


__all__ = [  # read from here by the layers above, as before the split
    "ExperimentError",
    "RunSpec",
    "check_finite",
    "completed_ids",
    "load_run",
    "run_path",
    "scenario_hash",
    "simulate_spec",
]


# --------------------------------------------------------------------------- Dask


class LocalWorkerManners(WorkerPlugin):
    """Each local worker shares the user's terminal, so it stays quiet and ignores Ctrl-C.

    The terminal sends Ctrl-C to the whole process group; a worker would die printing a
    traceback, while stopping it is the client's job (closing the cluster ends it).
    """

    def setup(self, worker: object) -> None:
        quiet_dask_logging()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold Ctrl-C back from this thread while a local cluster starts; it lands once it is up.

    Threads inherit the signal mask of the thread that starts them, and processes that of
    the thread that spawns them, across exec. The cluster's event loop thread starts here,
    and every worker process (a restart after a kill too) is spawned from a thread it
    starts, so they all keep Ctrl-C blocked for life: a Ctrl-C while a worker still imports
    cannot end it with a traceback. The cluster is whole when this thread takes the
    Ctrl-C, so closing it stops every worker.

    multiprocessing's resource tracker unblocks SIGINT in the thread that first needs it
    (the event loop's, when a worker's queue is made), so it is started here first.
    """
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: nothing to inherit
        yield
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def _dask_logging_quieted() -> Iterator[None]:
    """:func:`quiet_dask_logging` while a local cluster runs; its levels back once it is gone."""
    levels = {name: logging.getLogger(name).level for name in DASK_LOGGERS}
    quiet_dask_logging()
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Client]:
    """A client of the cluster at ``scheduler``, or of a LocalCluster with one worker per core.

    Local workers are processes with one thread each: the model is numpy-bound and holds
    the GIL between array operations, so processes, not threads, give parallelism. They
    share the user's terminal, so Dask's own logging is quieted while they run (see
    :func:`quiet_dask_logging`); a remote cluster's logs are its operator's.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler)
        except OSError as exc:
            raise ExperimentError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    with _dask_logging_quieted():
        cluster = client = None
        try:
            with _ctrl_c_held():
                cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    # its status server on a free local port: no clash with another
                    # cluster's 8787, and no warning about one
                    dashboard_address="127.0.0.1:0",
                    silence_logs=logging.CRITICAL,
                )
                client = Client(cluster)
            client.register_plugin(LocalWorkerManners(), name="icsim-local-worker")
            yield client
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()


def _run_on_dask(
    pending: Sequence[RunSpec],
    client: Client,
    landed: Callable[[RunSpec, Replicate], None],
    failed: Callable[[RunSpec, str], None],
) -> None:
    """Submit runs in a bounded window and handle each as it completes, in any order."""
    from dask.distributed import as_completed

    threads = sum(client.nthreads().values())
    window = max(4 * threads, 8)
    queue = iter(pending)
    in_flight: dict[str, RunSpec] = {}
    completed = as_completed()

    def submit_next() -> None:
        spec = next(queue, None)
        if spec is not None:
            future = client.submit(simulate_spec, spec, key=f"icsim-run-{spec.run_id}")
            in_flight[future.key] = spec
            completed.add(future)

    for _ in range(window):
        submit_next()
    future: Future
    try:
        for future in completed:
            spec = in_flight.pop(future.key)
            if future.status == "error":
                exc, tb = future.exception(), future.traceback()
                failed(spec, "".join(traceback.format_exception(type(exc), exc, tb)))
            else:  # finished; or lost with a worker that died after it finished, and rerun
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - recorded and reported below
                    failed(spec, "".join(traceback.format_exception(exc)))
                else:
                    landed(spec, result)
            future.release()
            submit_next()
    finally:
        completed.clear()  # drop what is still queued or running (on Ctrl-C)


# --------------------------------------------------------------------------- the executor


def where_runs(workers: int | None = None, scheduler: str | None = None) -> str:
    """Where :func:`execute` sends runs for these settings, in words for the user."""
    if scheduler:
        return f"the Dask cluster at {scheduler}"
    return "this process" if workers == 0 else f"{workers or os.cpu_count()} local Dask workers"


def execute(
    specs: Sequence[RunSpec],
    runs_dir: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    label: str = "runs",
    on_done: Callable[[RunSpec], None] | None = None,
    client: Client | None = None,
    announce: Callable[[str], None] | None = lambda note: print(note, file=sys.stderr),
) -> int:
    """Run every spec whose result is not yet in ``runs_dir``; return how many ran now.

    Results already there (same code and inputs) are reused, and ``announce`` is told how
    many (None: say nothing).

    ``workers=0`` (and no scheduler) runs in this process, one after another; otherwise
    runs go to ``client``, to the Dask cluster at ``scheduler``, or to a LocalCluster of
    ``workers`` processes (default: one per core). A progress bar shows runs done out of
    the total and the ETA. Ctrl-C raises :class:`Interrupted` once every result that has
    landed is on disk; failed runs raise :class:`ExperimentError` after the others finish
    (their tracebacks are written to ``runs/<id>.error.txt``), and are retried next time.
    """
    runs_dir = Path(runs_dir)
    unique = list({spec.run_id: spec for spec in specs}.values())
    with writing(runs_dir):
        runs_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(runs_dir)
        damaged = drop_untrusted(runs_dir, {spec.run_id for spec in unique})
    if damaged and announce is not None:
        announce(
            f"{len(damaged)} saved run file(s) in {runs_dir} failed their checksum "
            "(damaged, cut short or another run's); those runs are made again"
        )
    already = completed_ids(runs_dir)
    pending = [spec for spec in unique if spec.run_id not in already]
    remote = client is not None or bool(scheduler)
    too_big = size_problem(pending, workers, "cluster" if remote else None)
    if too_big:
        raise ExperimentError(too_big)
    done = len(unique) - len(pending)
    if done and announce is not None:
        announce(
            f"reused {done} of {len(unique)} runs from an earlier run with the same code and inputs"
        )
    failures: dict[str, tuple[RunSpec, str]] = {}
    bars: list[tqdm] = []

    def start_bar() -> None:
        """Start the clock once workers are ready, so the ETA reflects running, not start-up."""
        bars.append(
            tqdm(
                total=len(unique),
                initial=done,
                unit="run",
                desc=label,
                disable=not progress,
                dynamic_ncols=True,
                smoothing=0.1,
            )
        )

    def landed(spec: RunSpec, result: Replicate) -> None:
        nonlocal done
        with stop_signals.finishing_a_save(), writing(run_path(runs_dir, spec.run_id)):
            if result.panel is not None:  # before the metrics, which mark the run done
                atomic_write_parquet(panel_path(runs_dir, spec.run_id), result.panel)
            save_run(runs_dir, spec.run_id, result.metrics)
            with contextlib.suppress(FileNotFoundError):
                (runs_dir / f"{spec.run_id}.error.txt").unlink()
            done += 1
        bars[0].update(1)
        if on_done is not None:
            on_done(spec)

    def failed(spec: RunSpec, text: str) -> None:
        failures[spec.run_id] = (spec, text)
        error_file = runs_dir / f"{spec.run_id}.error.txt"
        with writing(error_file):
            atomic_write_text(error_file, f"{spec.describe()}\n\n{text}")

    try:
        if not pending:
            start_bar()
        elif client is not None:
            start_bar()
            _run_on_dask(pending, client, landed, failed)
        elif workers == 0 and not scheduler:
            start_bar()
            for spec in pending:
                try:
                    result = simulate_spec(spec)
                except Exception as exc:  # noqa: BLE001 - recorded and reported below
                    failed(spec, "".join(traceback.format_exception(exc)))
                    continue
                landed(spec, result)
        else:
            with dask_client(workers, scheduler) as dask:
                start_bar()
                _run_on_dask(pending, dask, landed, failed)
    except KeyboardInterrupt:
        for bar in bars:
            bar.close()
        raise Interrupted(done, len(unique), runs_dir) from None
    finally:
        for bar in bars:
            bar.close()
    if failures:
        raise ExperimentError(failure_message(failures, len(pending), len(unique), runs_dir))
    return len(pending)
