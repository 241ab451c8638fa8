"""No wrong result without an error, and safe output.

* 300 ICPs run: the option index holds every option (it once wrapped past 255), and so
  does years enrolled;
* run ids tell NaN, infinity, -infinity, -0.0 and 0.0 apart;
* a damaged, cut-short or swapped run file is made again on resume, not trusted;
* a non-finite metric, and a run failing inside a worker, stop the job with one message
  naming the scenario, replicate, metric and year;
* a job too large for the machine is refused before it starts, naming the setting;
* output folder names made from a scenario's name stay under the output root, and
  ``--out`` (a file, under a file, unwritable, a full disk) gets one message;
* another scenario's or comparison's results in ``--out`` are replaced only with
  ``--overwrite``, while the same scenario rerun there resumes;
* ``icsim plot`` on a damaged result file names the file, never a traceback.
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import SCENARIOS
from typer.testing import CliRunner

from sim.base import files
from sim.base.files import NAME_LIMIT, folder_problem, safe_name
from sim.cli import app
from sim.config.scenario import (
    RunConfig,
    load_scenario,
    read_scenario_dict,
    scenario_from_dict,
    with_overrides,
)
from sim.engine.metric_catalogue import METRIC_CATALOGUE
from sim.engine.metrics import COLUMNS
from sim.engine.model import ICSModel
from sim.engine.run import Replicate, simulate
from sim.experiments import run_size, run_spec
from sim.experiments.executor import ExperimentError, execute
from sim.experiments.out_folder import open_study_folder
from sim.experiments.run_files import (
    checksum_path,
    completed_ids,
    load_run,
    run_path,
    save_run,
)
from sim.experiments.run_size import GIB, Machine, size_problem
from sim.experiments.run_spec import RunSpec, scenario_hash
from sim.experiments.runs import RunSettings, run_comparison
from sim.experiments.stops import Interrupted, interrupt_on_signals
from sim.patients.attributes import FIELDS
from sim.patients.population import Population

TARIFF = SCENARIOS / "fragmented_tariff.toml"


def one_message(args: list[str], *expected: str) -> str:
    """Invoke icsim; it must stop with exit code 2 and one message holding every part."""
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.count("error:") == 1, result.output
    for part in expected:
        assert part in result.output, (part, result.output)
    return result.output


# --------------------------------------------------------------------------- wide integers


def many_icps(n_localities: int, per_locality: int, share: float):
    data = read_scenario_dict(SCENARIOS / "competing_icps_capitation.toml")
    data["localities"] = [{"name": f"l{i}", "share": 1 / n_localities} for i in range(n_localities)]
    data["icps"] = [
        {"name": f"icp{i}", "localities": [f"l{i // per_locality}"], "initial_share": share}
        for i in range(n_localities * per_locality)
    ]
    return scenario_from_dict(data, source="300 ICPs")


@pytest.mark.parametrize(
    ("n_localities", "per_locality", "share"), [(100, 3, 0.3), (1, 300, 0.003)]
)
def test_300_icps_each_take_their_members(n_localities: int, per_locality: int, share: float):
    """Options 256 to 300 (ICPs icp255-icp299) start with their share, 45 x 0.3% of
    everyone, within 3 standard errors; then a year runs and they keep members."""
    patients = 4_000
    model = ICSModel(many_icps(n_localities, per_locality, share), seed=5, patients=patients)
    option = model.population.option
    assert option.max() == 300
    high = (option >= 256).mean()
    expected = 45 * 0.003  # each ICP starts with 0.3% of everyone in both layouts
    assert abs(high - expected) < 3 * np.sqrt(expected * (1 - expected) / patients)
    model.step()
    metrics = model.metrics.frame()
    population = metrics[(metrics["metric"] == "population") & (metrics["group"] == "all")]
    high_icps = population[population["system"].isin([f"icp{i}" for i in range(255, 300)])]
    assert len(high_icps) == 45 and high_icps["value"].sum() > 0
    assert population[population["system"] != "all"]["value"].sum() == patients


def test_years_enrolled_holds_the_longest_run() -> None:
    """Years enrolled start at most 10 and grow by one a year, so the longest run a
    scenario allows must fit the attribute's type; a year's step keeps counting."""
    (longest,) = [m.le for m in RunConfig.model_fields["years"].metadata if hasattr(m, "le")]
    assert 10 + longest < np.iinfo(FIELDS["years_enrolled"]).max
    assert np.iinfo(FIELDS["option"]).max >= 300
    model = ICSModel(load_scenario(TARIFF), seed=5, patients=500, years=1)
    model.population.years_enrolled[:] = 10 + longest - 1
    model.step()
    stayed = model.population.option == model.population.previous_option
    assert (model.population.years_enrolled[stayed] == 10 + longest).mean() > 0.9


# --------------------------------------------------------------------------- run ids


def test_run_ids_tell_every_distinct_value_apart() -> None:
    sc = load_scenario(TARIFF)
    values = [float("nan"), float("inf"), float("-inf"), -0.0, 0.0, 0, 1e-300]
    assert len({scenario_hash(sc, x=v) for v in values}) == len(values)
    zero, negative_zero = (
        RunSpec(load_scenario(TARIFF, [f"choice.new_entrant_inertia={v}"]), 1, 0, 200, 1)
        for v in ("0.0", "-0.0")
    )
    assert zero.run_id != negative_zero.run_id


# --------------------------------------------------------------------------- resume


def tiny_specs(replicates: int = 2) -> list[RunSpec]:
    sc = load_scenario(TARIFF)
    return [RunSpec(sc, seed=2, replicate=r, patients=300, years=1) for r in range(replicates)]


def test_damaged_or_swapped_run_files_are_made_again(tmp_path: Path) -> None:
    specs = tiny_specs(3)
    runs = tmp_path / "runs"
    assert execute(specs, runs, workers=0, progress=False, announce=None) == 3
    first = {s.run_id: load_run(runs, s.run_id) for s in specs}
    a, b, c = (s.run_id for s in specs)
    path = run_path(runs, a)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # cut short
    shutil.copy(run_path(runs, c), run_path(runs, b))  # another run's result under b's id
    assert completed_ids(runs) == {c}
    notes: list[str] = []
    assert execute(specs, runs, workers=0, progress=False, announce=notes.append) == 2
    assert "2 saved run file(s)" in notes[0] and "checksum" in notes[0]
    for spec in specs:
        pd.testing.assert_frame_equal(load_run(runs, spec.run_id), first[spec.run_id])
    checksum_path(runs, c).unlink()  # a result without its checksum is not trusted either
    assert execute(specs, runs, workers=0, progress=False, announce=None) == 1


def fsync_dir_stopping_at(call: int, stop: Callable[[], None]) -> Callable[[Path], None]:
    """The folder sync after each rename, running ``stop`` at the ``call``-th (counting
    from 1): a stop that lands once a file has its final name."""
    calls = iter(range(1, 10**6))
    real = files._fsync_dir

    def sync(folder: Path) -> None:
        real(folder)
        if next(calls) == call:
            stop()

    return sync


def test_a_stop_just_after_the_checksum_lands_keeps_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run counts as done once its checksum has its name; an interrupt then keeps it."""
    frame = pd.DataFrame({"x": [1.0, 2.0]})

    def interrupt() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_fsync_dir", fsync_dir_stopping_at(2, interrupt))
    with pytest.raises(KeyboardInterrupt):
        save_run(tmp_path, "abc", frame)
    assert completed_ids(tmp_path) == {"abc"}
    pd.testing.assert_frame_equal(load_run(tmp_path, "abc"), frame)


def test_sigterm_while_a_result_is_saved_stops_after_the_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job told to stop while it saves a finished run saves it whole, counts it, then stops."""
    specs, runs = tiny_specs(2), tmp_path / "runs"
    sigterm = functools.partial(os.kill, os.getpid(), signal.SIGTERM)
    monkeypatch.setattr(files, "_fsync_dir", fsync_dir_stopping_at(2, sigterm))
    with pytest.raises(Interrupted) as stopped, interrupt_on_signals():
        execute(specs, runs, workers=0, progress=False, announce=None)
    assert completed_ids(runs) == {specs[0].run_id}
    assert stopped.value.done == 1


# --------------------------------------------------------------------------- failures


def test_a_non_finite_metric_stops_the_run_naming_metric_year_and_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = run_spec.simulate_replicate

    def with_a_nan(*args, **kwargs) -> Replicate:
        result = real(*args, **kwargs)
        df = result.metrics
        hit = (df["metric"] == "waiting_weeks") & (df["year"] == 1) & (df["system"] == "all")
        df.loc[hit, "value"] = np.nan
        return result

    monkeypatch.setattr(run_spec, "simulate_replicate", with_a_nan)
    with pytest.raises(ExperimentError) as err:
        execute(tiny_specs(), tmp_path / "runs", workers=0, progress=False, announce=None)
    message = str(err.value)
    for part in ("every run failed the same way", "'fragmented_tariff'", "replicate 0"):
        assert part in message, message
    assert "metric 'waiting_weeks' is nan for system 'all'" in message and "year 1" in message
    assert completed_ids(tmp_path / "runs") == set()  # nothing wrong was written


def test_a_failed_run_names_its_scenario_and_replicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = run_spec.simulate_replicate

    def fails_for_replicate_1(*args, **kwargs) -> Replicate:
        if kwargs["replicate"] == 1:
            raise OverflowError("math range error")
        return real(*args, **kwargs)

    monkeypatch.setattr(run_spec, "simulate_replicate", fails_for_replicate_1)
    with pytest.raises(ExperimentError) as err:
        execute(tiny_specs(), tmp_path / "runs", workers=0, progress=False, announce=None)
    message = str(err.value)
    assert message.startswith("1 of 2 runs failed"), message
    assert "scenario 'fragmented_tariff', replicate 1" in message
    assert "OverflowError: math range error" in message
    error_file = next((tmp_path / "runs").glob("*.error.txt")).read_text()
    assert error_file.startswith("scenario 'fragmented_tariff', replicate 1")


# --------------------------------------------------------------------------- run size


def test_a_job_too_large_for_the_machine_is_refused_naming_the_setting() -> None:
    small = Machine(memory=2 * GIB, cores=2)
    (spec,) = tiny_specs(1)
    assert size_problem([spec], 2, None, small) is None
    england = RunSpec(spec.scenario, 1, 0, 56_000_000, 10)
    message = size_problem([england], 0, None, small)
    assert message and "56,000,000 patients (run.patients, --patients)" in message
    assert "GiB" in message and "2.0 GiB free" in message
    assert size_problem([england], 0, None, Machine(memory=8 * GIB, cores=2)) is None
    assert "x 2 at once (--workers)" in size_problem([england] * 2, 2, None, Machine(5 * GIB, 2))
    assert "--workers 8: this machine has 2 cores" in size_problem([spec] * 8, 8, None, small)
    many = size_problem([spec] * 200_000, 0, None, small)
    assert many and "200,000 runs (replicates, grid points or samples)" in many
    assert size_problem([england], 8, "tcp://cluster:8786", small) is None  # the cluster's


def test_the_metric_rows_a_sweep_is_sized_by_bound_the_fullest_run() -> None:
    """Every mechanism that writes metrics switched on: the run writes no more rows than
    the bound a sweep's memory is sized by, scope by scope."""
    sc = with_overrides(
        load_scenario(SCENARIOS / "competing_icps_rebasing.toml"),
        {"social_care.enabled": True, "choice.acceptance": "selective"},
    )
    years = 2
    frame = simulate(sc, seed=1, patients=3000, years=years)
    systems = len(sc.option_names) + 1
    for metric, rows in frame.groupby("metric", observed=True).size().items():
        scope = METRIC_CATALOGUE[metric].scope
        assert rows <= years * run_size.scope_rows(scope, systems), (metric, scope, rows)
    bound = run_size.metric_rows(years, len(sc.option_names))
    assert 0.9 * bound < len(frame) <= bound  # the bound is close, not loose


def test_england_fits_the_memory_target() -> None:
    """The widened option index keeps England (56 million patients) inside the scaling
    benchmark's 6 GB target (``benchmarks/bench_scaling.py``), by the same estimate that
    refuses a run too large for the machine."""
    assert Population(1_000).nbytes == 1_000 * run_size.PATIENT_BYTES
    assert run_size.run_bytes(56_000_000) <= 6 * 10**9


def test_icsim_run_too_large_stops_before_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_size, "this_machine", lambda: Machine(memory=GIB, cores=2))
    out = tmp_path / "out"
    args = ["run", str(TARIFF), "--patients", "40000000", "--years", "1", "--out", str(out)]
    one_message(args, "run.patients", "GiB of memory")
    assert not (out / "replicates").exists() or not any((out / "replicates").iterdir())
    one_message(["run", str(TARIFF), "--workers", "1000", "--out", str(out)], "--workers 1000")


# --------------------------------------------------------------------------- output names


@pytest.mark.parametrize(
    "name",
    ["../../x", "", "..", "a/b\\c", "nul\x00byte", "tab\tand\nnewline", "é" * 20, "x" * 1000],
)
def test_output_names_stay_under_the_root(tmp_path: Path, name: str) -> None:
    safe = safe_name(name)
    assert 0 < len(safe) <= NAME_LIMIT and ".." not in safe and not safe.startswith(".")
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in safe)
    folder = tmp_path / safe
    folder.mkdir()
    assert folder.resolve().parent == tmp_path.resolve()


def test_safe_names_keep_good_names_and_never_merge_two() -> None:
    assert (
        safe_name("competing_icps_capitation-set-a1b2c3") == "competing_icps_capitation-set-a1b2c3"
    )
    names = ["a/b", "a_b", "a\\b", "a b", "", ".", "..", "x" * 300, "x" * 301]
    assert len({safe_name(n) for n in names}) == len(names)


def test_a_scenario_name_cannot_write_outside_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    args = ["run", str(TARIFF), "--patients", "200", "--years", "1"]
    result = CliRunner().invoke(app, [*args, "--set", 'scenario.name="../../x"'])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]
    (made,) = (work / "results").iterdir()
    assert made.name.startswith("_._x") and (made / "metrics.parquet").is_file()


# --------------------------------------------------------------------------- --out


def test_out_that_cannot_be_written_gets_one_message(tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    base = ["run", str(TARIFF), "--patients", "200", "--years", "1", "--out"]
    one_message([*base, str(a_file)], f"--out {a_file}: is a file, not a folder")
    one_message([*base, str(a_file / "under")], f"{a_file} is a file, so no folder")
    one_message([*base, "/proc/icsim-results"], "--out /proc/icsim-results", "/proc")
    sweep = ["sweep", str(SCENARIOS / "sweeps" / "competing_icps_200.toml")]
    one_message([*sweep, "--workers", "0", "--out", str(a_file)], "is a file, not a folder")


def test_a_read_only_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.access
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real(p, mode))
    assert folder_problem(locked / "out") == f"{locked} is not writable (read-only or not yours)"
    base = ["run", str(TARIFF), "--patients", "200", "--years", "1"]
    one_message([*base, "--out", str(locked / "out")], "not writable")


def test_another_scenarios_results_are_replaced_only_with_overwrite(tmp_path: Path) -> None:
    """``--out`` at another scenario's (or comparison's) results stops with one message
    naming the folder and ``--overwrite``, leaving them as they were; the same scenario
    rerun into its own folder resumes without the flag."""
    blended = SCENARIOS / "blended.toml"
    tiny = ["--patients", "200", "--years", "1", "--seed", "3"]
    out = tmp_path / "out"
    CliRunner().invoke(app, ["run", str(TARIFF), "--out", str(out), *tiny], catch_exceptions=False)
    before = (out / "metrics.parquet").read_bytes()
    refusal = ("--overwrite", "another --out", "scenario 'fragmented_tariff'")
    one_message(["run", str(blended), "--out", str(out), *tiny], f"--out {out}:", *refusal)
    one_message(["compare", str(TARIFF), str(blended), "--out", str(out), *tiny], *refusal)
    assert (out / "metrics.parquet").read_bytes() == before
    variant = ["run", str(TARIFF), "--out", str(out), *tiny, "--set", "choice.inertia=1.0"]
    one_message(variant, "--overwrite")  # a --set variant is a scenario of its own

    again = CliRunner().invoke(app, ["run", str(TARIFF), "--out", str(out), *tiny, "--years", "2"])
    assert again.exit_code == 0 and "reused" not in again.output, again.output  # years differ
    rerun = CliRunner().invoke(app, ["run", str(TARIFF), "--out", str(out), *tiny, "--years", "2"])
    assert rerun.exit_code == 0 and "reused 1 of 1 runs" in rerun.output, rerun.output

    # a comparison through the library (the command adds only its figure, slow to draw)
    pair = [load_scenario(TARIFF), load_scenario(blended)]
    settings = RunSettings.of(pair[0], seed=3, patients=200, years=1)
    with pytest.raises(ExperimentError, match="--overwrite"):
        run_comparison(pair, out, settings)
    run_comparison(pair, out, settings, overwrite=True)
    assert (out / "blended" / "metrics.parquet").is_file() and not (
        out / "metrics.parquet"
    ).exists()
    comparison = "the comparison of 'fragmented_tariff', 'blended'"
    one_message(["run", str(TARIFF), "--out", str(out), *tiny], comparison, "--overwrite")
    with pytest.raises(ExperimentError, match=comparison):
        run_comparison(pair[::-1], out, settings)  # another baseline: another comparison
    heard: list[str] = []
    run_comparison(pair, out, settings, announce=heard.append)
    assert any("reused 2 of 2 runs" in line for line in heard), heard


def test_results_with_an_unreadable_record_need_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    tiny = ["--patients", "200", "--years", "1", "--out", str(out)]
    assert CliRunner().invoke(app, ["run", str(TARIFF), *tiny]).exit_code == 0
    (out / "run.json").write_text("{ cut sho")
    one_message(["run", str(TARIFF), *tiny], "run.json cannot be read", "--overwrite")
    assert CliRunner().invoke(app, ["run", str(TARIFF), *tiny, "--overwrite"]).exit_code == 0
    assert '"scenario": "fragmented_tariff"' in (out / "run.json").read_text()


def test_a_full_disk_stops_with_one_message_and_nothing_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(self, path, *args, **kwargs) -> None:
        Path(path).write_bytes(b"PAR1 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", disk_full)
    out = tmp_path / "out"
    args = ["run", str(TARIFF), "--patients", "200", "--years", "1", "--out", str(out)]
    one_message(args, "no space left on the disk", "the same command resumes")
    assert completed_ids(out / "replicates") == set()
    assert not list(out.rglob("*.parquet")) and not list(out.rglob(".*.tmp"))


# --------------------------------------------------------------------------- icsim plot


def metrics_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    rows = [
        {
            "scenario": "s",
            "replicate": 0,
            "year": y,
            "system": "all",
            "group": "all",
            "metric": "population",
            "value": 100.0,
        }
        for y in (1, 2)
    ]
    pd.DataFrame(rows, columns=list(COLUMNS)).to_parquet(folder / "metrics.parquet")
    return folder / "metrics.parquet"


@pytest.mark.parametrize("damage", ["cut short", "empty", "not parquet", "no value", "all NaN"])
def test_plot_names_a_damaged_metrics_file(tmp_path: Path, damage: str) -> None:
    path = metrics_folder(tmp_path / "run")
    raw = path.read_bytes()
    if damage == "cut short":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "not parquet":
        path.write_bytes(b"\x00\xff" * 100)
    else:
        df = pd.read_parquet(path)
        df = df.drop(columns="value") if damage == "no value" else df.assign(value=np.nan)
        df.to_parquet(path)
    one_message(["plot", str(tmp_path / "run"), "--format", "png"], str(path))


def test_plot_names_a_damaged_record(tmp_path: Path) -> None:
    metrics_folder(tmp_path / "run")
    (tmp_path / "run" / "run.json").write_text('{"patients": ')
    one_message(["plot", str(tmp_path / "run")], str(tmp_path / "run" / "run.json"), "JSON")


# --------------------------------------------------------------------------- plans too large


def plan_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    base = (SCENARIOS / "competing_icps_capitation.toml").as_posix()
    path.write_text(text.replace("BASE", base))
    return path


@pytest.mark.parametrize(
    ("kind", "text", "fields"),
    [
        (
            "sweep",
            '[sweep]\nscenario = "BASE"\nyears = 10\n[grid]\n'
            '"choice.inertia" = { low = 1.0, high = 5.0, num = 1000 }\n'
            '"choice.beta_experience" = { low = 0.5, high = 4.0, num = 1000 }\n',
            "fields 'grid' and 'sweep.replicates'",
        ),
        (
            "sweep",
            '[sweep]\nscenario = "BASE"\nreplicates = 100000\n[grid]\n"choice.inertia" = [1.0, 2.0]\n',
            "200,000 runs",
        ),
        (
            "sensitivity",
            '[sensitivity]\nscenario = "BASE"\nmethod = "sobol"\nsamples = 65536\n'
            '[parameters]\n"choice.inertia" = "assumption"\n',
            "fields 'sensitivity.samples' and 'sensitivity.replicates'",
        ),
        (
            "sensitivity",
            '[sensitivity]\nscenario = "BASE"\nmethod = "morris"\nsamples = 100000\n'
            '[parameters]\n"choice.inertia" = "assumption"\n',
            "200,000 runs",
        ),
    ],
)
def test_a_plan_too_large_is_refused_before_it_is_built(
    tmp_path: Path, kind: str, text: str, fields: str
) -> None:
    """A 1000 x 1000 grid, 100,000 replicates or a huge sample: one message, in seconds,
    instead of building every scenario until memory runs out."""
    path = plan_file(tmp_path, f"{kind}.toml", text)
    one_message([kind, str(path), "--workers", "0", "--out", str(tmp_path / "out")], fields, "GiB")
    assert not (tmp_path / "out").exists()


def _tiny_sweep(folder: Path, name: str) -> Path:
    sweep = folder / f"{name}.toml"
    sweep.write_text(
        f'[sweep]\nname = "{name}"\nscenario = "{TARIFF.as_posix()}"\nreplicates = 1\n'
        'patients = 200\nyears = 1\n[grid]\n"choice.inertia" = [2.0]\n',
        encoding="utf-8",
    )
    return sweep


def test_a_study_mixes_its_results_with_no_one_elses(tmp_path: Path) -> None:
    """A sweep (and a sensitivity analysis, PSA or calibration: they share the rule) into a
    folder holding another job's results stops with one message naming the folder, whose
    results they are and ``--overwrite``, and leaves them as they were; with the flag the
    folder is emptied first; the same sweep rerun there resumes without it."""
    out = tmp_path / "out"
    tiny = ["--patients", "200", "--years", "1", "--seed", "3", "--out", str(out)]
    CliRunner().invoke(app, ["run", str(TARIFF), *tiny], catch_exceptions=False)
    before = (out / "metrics.parquet").read_bytes()
    first, second = _tiny_sweep(tmp_path, "first"), _tiny_sweep(tmp_path, "second")
    sweep = ["sweep", str(first), "--workers", "0", "--out", str(out)]
    one_message(sweep, f"--out {out}:", "scenario 'fragmented_tariff'", "--overwrite")
    assert (out / "metrics.parquet").read_bytes() == before and not (out / "sweep.toml").exists()

    replaced = CliRunner().invoke(app, [*sweep, "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert not (out / "metrics.parquet").exists() and (out / "results.parquet").is_file()
    again = CliRunner().invoke(app, sweep)
    assert again.exit_code == 0 and "reused 1 of 1 runs" in again.output, again.output
    other = ["sweep", str(second), "--workers", "0", "--out", str(out)]
    one_message(other, "the sweep 'first'", "the sweep 'second'", "--overwrite")
    run = ["run", str(TARIFF), *tiny]
    one_message(run, "--overwrite")  # a run into a sweep's folder needs the flag too

    # the rule every study shares, through the library
    psa = '[psa]\nname = "p"\n'
    with pytest.raises(ExperimentError, match="the sweep 'first'.*--overwrite"):
        open_study_folder(out, "psa", psa)
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(ExperimentError, match="not icsim results"):
            open_study_folder(stranger, "calibration", '[calibration]\nname = "c"\n', overwrite)
    assert (stranger / "notes.txt").read_text() == "mine"
    fresh = open_study_folder(tmp_path / "new", "sensitivity", '[sensitivity]\nname = "s"\n')
    assert (fresh / "sensitivity.toml").is_file()
