"""Scaling: cost per agent-year from 100 thousand to 56 million patients, and England's memory.

Each size runs in its own process (so peak memory is its own) and simulates the same
years, so every size is measured on the same stretch of the model's history (enrolment,
and so the work per patient, changes from year to year). Year 1 also does one-off work
(caches filled on first use, first allocations), so it is reported in its own column and
the scaling verdict reads the years after it. Small sizes run several times and report
the median, because a 100-thousand-patient year takes milliseconds and timings of that
length are noisy. The table is Markdown.

    python3 benchmarks/bench_scaling.py                      # 100k, 1M, 10M
    python3 benchmarks/bench_scaling.py --sizes 100000 1000000 10000000 56000000
    python3 benchmarks/bench_scaling.py --england            # the full run: 56M x 10 years

``--england`` runs ``icsim run scenarios/england.toml --patients 56000000 --years 10`` and
reports its wall time and peak memory against the 6 GB target. Outputs go to
``benchmarks/out/`` (not tracked).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
SCENARIO = ROOT / "scenarios" / "england.toml"
ENGLAND = 56_000_000
MEMORY_TARGET_GB = 6.0
FLAT_TOLERANCE = 1.25  # largest / smallest cost per agent-year still counted as flat
YEARS = 4  # simulated at every size: year 1, then the measured years
REPEATS = {100_000: 7, 1_000_000: 3}  # runs per size (median); sizes not listed run once


def child(scenario_path: Path, patients: int, years: int, seed: int) -> dict[str, object]:
    """Time one size in this process (run as a child, so its peak memory is its own)."""
    from sim.config.scenario import load_scenario
    from sim.engine.model import ICSModel
    from sim.patients.calibration import calibrate
    from sim.patients.population import synthesize

    scenario = load_scenario(scenario_path)
    t0 = time.perf_counter()
    calibrate(scenario)
    t1 = time.perf_counter()
    population = synthesize(scenario, patients, seed)
    t2 = time.perf_counter()
    model = ICSModel(scenario, seed=seed, patients=patients, years=years, population=population)
    t3 = time.perf_counter()
    year_s, patient_pass_s = [], []
    patients_year = model.patients_year

    def timed_patients_year() -> None:  # the per-patient pass, apart from providers and metrics
        start = time.perf_counter()
        patients_year()
        patient_pass_s.append(time.perf_counter() - start)

    model.patients_year = timed_patients_year
    for _ in range(years):
        start = time.perf_counter()
        model.step()
        year_s.append(time.perf_counter() - start)
    return {
        "patients": patients,
        "years": years,
        "calibration_s": t1 - t0,
        "synthesis_s": t2 - t1,
        "other_setup_s": t3 - t2,
        "year_s": year_s,
        "patient_pass_s": patient_pass_s,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def run_size(scenario: Path, patients: int, years: int, seed: int, repeats: int) -> dict:
    """Run one size ``repeats`` times; keep the run with the median cost of the measured years."""
    cmd = [
        sys.executable,
        __file__,
        "--child",
        str(patients),
        "--years",
        str(years),
        "--scenario",
        str(scenario),
        "--seed",
        str(seed),
    ]
    runs = [
        json.loads(
            subprocess.run(cmd, check=True, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        for _ in range(repeats)
    ]
    runs.sort(key=lambda r: sum(r["year_s"][1:]))
    return dict(runs[len(runs) // 2], repeats=repeats)


def per_agent_year(r: dict, key: str, years: slice = slice(1, None)) -> float:
    """Microseconds per agent-year of ``r[key]`` (year 1 apart, by default)."""
    times = r[key][years]
    return 1e6 * sum(times) / (len(times) * r["patients"])


def table(rows: list[dict]) -> str:
    lines = [
        "| patients | runs | µs per agent-year, years 2-"
        f"{YEARS} | patients' pass, µs "
        "per agent-year | providers and metrics, ms a year | year 1, µs per agent-year "
        "| population build, s | one year, s | build / year | peak memory, GB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        n = r["patients"]
        year = sum(r["year_s"][1:]) / (r["years"] - 1)
        providers = year - sum(r["patient_pass_s"][1:]) / (r["years"] - 1)
        lines.append(
            f"| {n:,} | {r['repeats']} | {per_agent_year(r, 'year_s'):.3f} | "
            f"{per_agent_year(r, 'patient_pass_s'):.3f} | {1e3 * providers:.1f} | "
            f"{per_agent_year(r, 'year_s', slice(0, 1)):.3f} | "
            f"{r['synthesis_s']:.2f} | {year:.2f} | {r['synthesis_s'] / year:.2f} | "
            f"{r['peak_rss_gb']:.2f} |"
        )
    return "\n".join(lines)


def england(scenario: Path, years: int, seed: int) -> int:
    """The full England run through the command line, with its wall time and peak memory."""
    out = OUT / "england"
    cmd = [
        sys.executable,
        "-m",
        "sim.cli",
        "run",
        str(scenario),
        "--patients",
        str(ENGLAND),
        "--years",
        str(years),
        "--seed",
        str(seed),
        "--out",
        str(out),
    ]
    shutil.rmtree(out, ignore_errors=True)  # a finished replicate would be reused, not rerun
    out.mkdir(parents=True)
    start = time.perf_counter()
    with (OUT / "england_run.log").open("w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    ok = peak <= MEMORY_TARGET_GB
    print(
        f"England: {ENGLAND:,} patients x {years} years in {wall / 60:.1f} min; peak memory "
        f"{peak:.2f} GB (target {MEMORY_TARGET_GB:.0f} GB) {'PASS' if ok else 'FAIL'}"
    )
    (OUT / "england.json").write_text(
        json.dumps({"patients": ENGLAND, "years": years, "wall_s": wall, "peak_rss_gb": peak})
        + "\n"
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--years", type=int, default=None, help="years per size")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--england", action="store_true", help="run 56M x 10 years")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.scenario, args.child, args.years or YEARS, args.seed)))
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    if args.england:
        return england(args.scenario, args.years or 10, args.seed)
    rows = []
    for n in args.sizes:
        rows.append(run_size(args.scenario, n, args.years or YEARS, args.seed, REPEATS.get(n, 1)))
        print(f"  {n:,} patients done", file=sys.stderr, flush=True)
    text = table(rows)
    print(f"scenario: {args.scenario.name}\n\n{text}\n")
    cost = [per_agent_year(r, "year_s") for r in rows]
    passes = [per_agent_year(r, "patient_pass_s") for r in rows]
    first = [per_agent_year(r, "year_s", slice(0, 1)) for r in rows]
    flat, flat_pass = max(cost) / min(cost), max(passes) / min(passes)
    startup = max(r["synthesis_s"] / (sum(r["year_s"][1:]) / (r["years"] - 1)) for r in rows)
    print(
        f"cost per agent-year, largest / smallest: {flat:.2f} (whole years after the first), "
        f"{flat_pass:.2f} (patients' pass), {max(first) / min(first):.2f} (year 1 alone); "
        f"flat if <= {FLAT_TOLERANCE}: {'PASS' if flat <= FLAT_TOLERANCE else 'FAIL'}"
    )
    print(
        f"population build / one year, at worst: {startup:.2f} (target <= 1): "
        f"{'PASS' if startup <= 1 else 'FAIL'}"
    )
    (OUT / f"scaling_{args.scenario.stem}.json").write_text(json.dumps(rows, indent=1) + "\n")
    (OUT / f"scaling_{args.scenario.stem}.md").write_text(text + "\n")
    return 0 if flat <= FLAT_TOLERANCE and startup <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
