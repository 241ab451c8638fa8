"""A sweep, replicates and a sensitivity analysis on a Dask cluster that icsim did not start.

As on a cluster, the scheduler and two workers are processes of their own, started from
Dask's command line, and icsim reaches them only through ``--scheduler``. Every file a
command writes must be byte-identical to that of the same command run in this process,
even when a worker is killed mid-sweep; and the scheduler's task stream must show every
run executed on those two workers, so a ``--scheduler`` that were ignored (the runs done
by a local cluster or in icsim's own process) fails the test.

Populations are small, so the whole file runs in well under a minute on two cores.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from distributed import Client
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.executor import completed_ids, dask_client

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "competing_icps_capitation.toml"
START_TIMEOUT = 60.0  # seconds for the scheduler and workers to come up: a bound, not a timing
COMMAND_TIMEOUT = 180.0  # seconds for one icsim command on the cluster

SWEEP = f"""[sweep]
name = "cluster"
scenario = {str(BASE)!r}
replicates = 6
patients = 4000
years = 4
crn = true

[grid]
"contracts.icp.risk_adjustment" = ["none", "full"]
"choice.inertia" = {{ low = 1.5, high = 4.0, num = 2 }}
"""
SWEEP_RUNS = 2 * 2 * 6

SENSITIVITY = f"""[sensitivity]
name = "cluster"
scenario = {str(BASE)!r}
method = "morris"
samples = 2
patients = 2000
years = 2
outputs = ["cost_per_capita", "quality"]

[parameters]
"choice.inertia" = "assumption"
"behaviour.quality_effort_scale" = "assumption"
"contracts.icp.rate_ratio" = [0.85, 1.1]
"""

REPLICATES = ["--replicates", "4", "--patients", "3000", "--years", "3"]


def child_env() -> dict[str, str]:
    """This checkout first on the path, so workers unpickle runs with the code under test."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


def stop(process: subprocess.Popen) -> None:
    """SIGKILL the process group (a worker's nanny and its worker die together), then reap."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):  # it ended a moment ago
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


def tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else "(no log)"
    return f"--- {path.name}\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class Cluster:
    """A scheduler and named workers, each in a process group of its own; logs in ``folder``."""

    folder: Path
    address: str = ""
    client: Client | None = None
    processes: list[subprocess.Popen] = field(default_factory=list)
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    def spawn(self, name: str, *args: str) -> subprocess.Popen:
        """Start ``python <args>`` with its output in ``<name>.log``; it is stopped at the end."""
        with (self.folder / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, *args],
                cwd=self.folder,
                env=child_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def start_scheduler(self) -> None:
        info = self.folder / "scheduler.json"
        process = self.spawn(
            "scheduler",
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",  # a free port, chosen by the scheduler itself: no race with other tests
            "--no-dashboard",
            "--scheduler-file",
            str(info),
            "--idle-timeout",
            "600",  # gone by itself if this test process is killed before it can stop it
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.address:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the scheduler did not start\n" + self.logs())
            if info.exists():
                with contextlib.suppress(json.JSONDecodeError):  # written, not yet complete
                    self.address = json.loads(info.read_text())["address"]
            time.sleep(0.05)
        assert self.address.startswith("tcp://127.0.0.1:"), self.address
        self.client = Client(self.address, timeout=START_TIMEOUT, set_as_default=False)
        self.client.get_task_stream()  # starts the scheduler recording the task stream

    def start_worker(self, name: str) -> None:
        self.workers[name] = self.spawn(
            name,
            "-m",
            "distributed.cli.dask_worker",
            self.address,
            "--name",
            name,
            "--host",
            "127.0.0.1",
            "--nthreads",
            "1",
            "--memory-limit",
            "1GiB",
            "--no-dashboard",
            "--local-directory",
            str(self.folder / name),
            "--death-timeout",
            "60",  # a worker whose scheduler is gone exits by itself
        )

    def registered(self) -> dict[str, str]:
        """Worker name by address, as the scheduler sees them now."""
        assert self.client is not None
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        return {address: str(info["name"]) for address, info in workers.items()}

    def two_workers(self) -> dict[str, str]:
        """Replace any worker that died (under a new name, as a new machine would join),
        and wait until the scheduler has exactly the two live ones; their names by address."""
        for name, process in list(self.workers.items()):
            if process.poll() is not None:
                del self.workers[name]
                self.start_worker(f"{name}+")
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            registered = self.registered()
            if sorted(registered.values()) == sorted(self.workers):
                return registered
            time.sleep(0.1)
        raise AssertionError(
            f"workers {sorted(self.workers)} did not register, the scheduler has "
            f"{sorted(self.registered().values())}\n" + self.logs()
        )

    def ran_on(self, run_ids: set[str]) -> dict[str, set[str]]:
        """The workers that executed each of ``run_ids``, from the scheduler's task stream
        (a run that was lost with a worker and ran again has two)."""
        assert self.client is not None
        where: dict[str, set[str]] = defaultdict(set)
        for record in self.client.get_task_stream():
            run_id = str(record["key"]).rsplit("-", 1)[-1]
            if run_id in run_ids:
                where[run_id].add(record["worker"])
        return dict(where)

    def logs(self) -> str:
        return "\n".join(tail(path) for path in sorted(self.folder.glob("*.log")))

    def stop_all(self) -> None:
        if self.client is not None:
            self.client.close()
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):  # try the others all the same
                stop(process)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One scheduler and two workers for the whole file, always stopped at its end."""
    cluster = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start_scheduler()
        cluster.start_worker("w0")
        cluster.start_worker("w1")
        yield cluster
    finally:
        cluster.stop_all()


@pytest.fixture
def cluster(running: Cluster) -> Cluster:
    """The cluster with two live workers registered (a test before may have killed one)."""
    running.two_workers()
    return running


def icsim(cluster: Cluster, name: str, *args: str) -> subprocess.Popen:
    """``python -m sim.cli <args> --scheduler <the cluster>``, started in its own process group."""
    return cluster.spawn(name, "-m", "sim.cli", *args, "--scheduler", cluster.address)


def finish(cluster: Cluster, process: subprocess.Popen, name: str) -> None:
    try:
        process.wait(COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        stop(process)
        raise AssertionError(f"{name} did not finish\n{cluster.logs()}") from None
    assert process.returncode == 0, f"{name} exited with {process.returncode}\n{cluster.logs()}"


def in_process(*args: str) -> None:
    """The same command run in this process (``--workers 0``): the reference."""
    result = CliRunner().invoke(app, [*args, "--workers", "0"])
    assert result.exit_code == 0, result.output


def file_hashes(out: Path) -> dict[str, str]:
    """Every file under ``out`` by its path there, except the records of when and how long."""
    return {
        str(path.relative_to(out)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.suffix not in {".json", ".png"}
    }


def assert_ran_on_the_cluster(cluster: Cluster, runs: Path, workers: set[str]) -> None:
    """Every run on disk was executed by the cluster's workers, none anywhere else."""
    run_ids = completed_ids(runs)
    assert run_ids
    where = cluster.ran_on(run_ids)
    assert set(where) == run_ids, f"{len(run_ids - set(where))} runs did not run on the cluster"
    assert set().union(*where.values()) <= workers


def busy_worker_with_a_result(cluster: Cluster, runs: Path, process: subprocess.Popen) -> str:
    """Poll until a worker has delivered a run to disk and is executing another; its address.

    It only decides when and whom to kill; nothing is timed.
    """
    assert cluster.client is not None
    deadline = time.monotonic() + COMMAND_TIMEOUT
    while time.monotonic() < deadline:
        landed = completed_ids(runs)
        if landed:
            delivered = set().union(*cluster.ran_on(landed).values())
            processing = cluster.client.processing()
            busy = sorted(w for w in delivered if processing.get(w))
            if busy:
                return busy[0]
        if process.poll() is not None:
            raise AssertionError(f"the sweep exited ({process.returncode}) early\n{cluster.logs()}")
        time.sleep(0.01)
    raise AssertionError(f"no worker delivered a run in {COMMAND_TIMEOUT} s\n{cluster.logs()}")


def test_sweep_on_the_cluster_survives_a_killed_worker(cluster: Cluster, tmp_path: Path) -> None:
    """SIGKILL a worker (nanny and all, as a lost machine) that has delivered a run and is
    executing another: the sweep still completes, every file as a sweep in this process."""
    sweep_file = tmp_path / "cluster.toml"
    sweep_file.write_text(SWEEP)
    out, runs = tmp_path / "cluster", tmp_path / "cluster" / "runs"
    names = cluster.registered()

    process = icsim(cluster, "sweep", "sweep", str(sweep_file), "--out", str(out))
    try:
        victim = busy_worker_with_a_result(cluster, runs, process)
        stop(cluster.workers[names[victim]])
        landed_at_kill = len(completed_ids(runs))
        finish(cluster, process, "the sweep")
    finally:
        stop(process)
    assert 0 < landed_at_kill < SWEEP_RUNS, "the worker was not killed mid-sweep"

    in_process("sweep", str(sweep_file), "--out", str(tmp_path / "here"))
    assert len(completed_ids(runs)) == SWEEP_RUNS
    assert file_hashes(out) == file_hashes(tmp_path / "here")
    info = json.loads((out / "sweep.json").read_text())
    assert (info["scheduler"], info["ran_now"]) == (cluster.address, SWEEP_RUNS)

    assert_ran_on_the_cluster(cluster, runs, set(names))
    (survivor,) = set(names) - {victim}
    ran_on = set().union(*cluster.ran_on(completed_ids(runs)).values())
    assert ran_on == {victim, survivor}


def test_replicates_on_the_cluster(cluster: Cluster, tmp_path: Path) -> None:
    names = cluster.registered()
    out = tmp_path / "cluster"
    process = icsim(cluster, "run", "run", str(BASE), *REPLICATES, "--out", str(out))
    try:
        finish(cluster, process, "icsim run")
    finally:
        stop(process)

    in_process("run", str(BASE), *REPLICATES, "--out", str(tmp_path / "here"))
    hashes = file_hashes(out)
    assert {"metrics.parquet", "metrics.csv", "summary.csv"} <= set(hashes)
    assert len(completed_ids(out / "replicates")) == 4
    assert hashes == file_hashes(tmp_path / "here")
    assert_ran_on_the_cluster(cluster, out / "replicates", set(names))


def test_sensitivity_on_the_cluster(cluster: Cluster, tmp_path: Path) -> None:
    names = cluster.registered()
    path = tmp_path / "morris.toml"
    path.write_text(SENSITIVITY)
    out = tmp_path / "cluster"
    process = icsim(cluster, "sensitivity", "sensitivity", str(path), "--out", str(out))
    try:
        finish(cluster, process, "icsim sensitivity")
    finally:
        stop(process)

    in_process("sensitivity", str(path), "--out", str(tmp_path / "here"))
    hashes = file_hashes(out)
    assert {"indices.csv", "samples.csv", "results.parquet"} <= set(hashes)
    assert hashes == file_hashes(tmp_path / "here")
    assert_ran_on_the_cluster(cluster, out / "runs", set(names))


INTERRUPT_DELAYS = (0.0, 0.1, 0.25, 0.5)
"""Seconds after the first local worker process appears that Ctrl-C lands: while it starts
the interpreter, imports the model or joins the cluster."""


def worker_processes(parent: psutil.Process) -> set[int]:
    """The local workers a process has spawned (not multiprocessing's resource tracker)."""
    found = set()
    for child in parent.children(recursive=True):
        with contextlib.suppress(psutil.Error):  # it ended a moment ago
            if "spawn_main" in " ".join(child.cmdline()):
                found.add(child.pid)
    return found


@pytest.mark.parametrize("delay", INTERRUPT_DELAYS)
def test_ctrl_c_while_local_workers_start_exits_130_cleanly(tmp_path: Path, delay: float) -> None:
    """A terminal's Ctrl-C (to the whole process group) while the local workers start: exit
    130 with the job's one message, no traceback from any process, and every process it
    started gone."""
    command = [
        sys.executable,
        "-m",
        "sim.cli",
        "run",
        str(BASE),
        *["--replicates", "4", "--patients", "2000", "--years", "2"],
        *["--workers", "2", "--out", str(tmp_path / "out")],
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        start_new_session=True,
    )
    try:
        parent, workers = psutil.Process(process.pid), set()
        deadline = time.monotonic() + 120
        while not workers and time.monotonic() < deadline and process.poll() is None:
            workers = worker_processes(parent)
            time.sleep(0.01)
        assert workers, "no worker process was started"
        time.sleep(delay)
        started = workers | {child.pid for child in parent.children(recursive=True)}
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        stop(process)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines() == [
        f"interrupted: 0 of 4 runs are saved in {tmp_path / 'out' / 'replicates'}; "
        "run the same command again to resume"
    ], stderr
    alive = still_running(started)
    deadline = time.monotonic() + 30  # a nanny may take a moment to follow its parent
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = still_running(started)
    assert not alive, f"worker processes left running: {alive}"


def still_running(pids: set[int]) -> list[int]:
    """Those of ``pids`` still running (a zombie has ended; only its exit status is left)."""
    alive = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
    return alive


def test_local_workers_keep_ctrl_c_blocked_from_birth_even_when_restarted() -> None:
    """Each local worker process is born with SIGINT blocked (so a Ctrl-C while it imports
    cannot raise there), and so is the one its nanny starts after it is killed."""

    def blocked_signals() -> tuple[int, int]:
        status = Path(f"/proc/{os.getpid()}/status").read_text()
        mask = next(line.split()[1] for line in status.splitlines() if line.startswith("SigBlk"))
        return os.getpid(), int(mask, 16)

    if not Path("/proc/self/status").is_file():
        pytest.skip("needs /proc to read a process's signal mask")
    sigint = 1 << (signal.SIGINT - 1)
    with dask_client(1) as client:
        ((first, mask),) = client.run(blocked_signals).values()
        assert mask & sigint
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        pids = {first}
        while pids == {first} and time.monotonic() < deadline:
            time.sleep(0.2)
            with contextlib.suppress(Exception):  # the worker is gone, the new one not yet up
                pids = {pid for pid, _ in client.run(blocked_signals).values()} or {first}
        ((again, mask),) = client.run(blocked_signals).values()
    assert again != first, "the killed worker was not restarted"
    assert mask & sigint
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
