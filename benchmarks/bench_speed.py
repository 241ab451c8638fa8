"""Speed: the engine against the one-object-per-patient Mesa reference, side by side.

Both run the same scenario in the same process, year by year in turn (so both see the
same machine load): the engine on millions of patients, the reference on a few thousand,
fed the providers the engine's patients saw that year. Prints microseconds per
agent-year for each and their ratio, and fails (exit status 1) below the target.

    python3 benchmarks/bench_speed.py [--scenario scenarios/england.toml]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from reference_mesa import ReferenceModel, _RecordingModel

from sim.scenario import load_scenario

TARGET = 100.0
ROOT = Path(__file__).resolve().parent.parent


def measure(scenario_path: Path, engine_patients: int, reference_patients: int, years: int,
            seed: int) -> dict[str, float]:
    """Seconds per agent-year of the engine and the reference, stepped alternately."""
    scenario = load_scenario(scenario_path)
    engine = _RecordingModel(scenario, seed=seed, patients=engine_patients, years=years)
    engine_s = reference_s = 0.0
    reference = None
    for _ in range(years):
        start = time.perf_counter()
        engine.step()
        engine_s += time.perf_counter() - start
        if reference is None:  # built once the engine has shown year one's providers
            reference = ReferenceModel(scenario, reference_patients, engine.provider_record,
                                       seed=seed)
        start = time.perf_counter()
        reference.step()
        reference_s += time.perf_counter() - start
    return {"engine": engine_s / (engine_patients * years),
            "reference": reference_s / (reference_patients * years)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "england.toml")
    parser.add_argument("--engine-patients", type=int, default=4_000_000)
    parser.add_argument("--reference-patients", type=int, default=4_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)
    r = measure(args.scenario, args.engine_patients, args.reference_patients, args.years,
                args.seed)
    ratio = r["reference"] / r["engine"]
    print(f"scenario: {args.scenario.name}, {args.years} years")
    print(f"| implementation | patients | µs per agent-year |\n|---|---:|---:|\n"
          f"| engine (numpy, chunked) | {args.engine_patients:,} | {r['engine'] * 1e6:.3f} |\n"
          f"| reference (Mesa, one agent per patient) | {args.reference_patients:,} | "
          f"{r['reference'] * 1e6:.2f} |")
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(f"speed ratio: {ratio:.0f}x (target {TARGET:.0f}x) {verdict}")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
