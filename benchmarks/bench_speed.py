"""Speed: the engine against the one-object-per-patient Mesa reference, side by side.

Both run the same scenario in the same process, year by year in turn (so both see the
same machine load): the engine on millions of patients, the reference on a few thousand,
fed the providers the engine's patients saw that year. Both run on one core. Prints
microseconds per agent-year for each, year by year and overall, and their ratio, and
fails (exit status 1) when the overall ratio is below the target.

    python3 benchmarks/bench_speed.py [--scenario scenarios/england.toml]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from reference_mesa import RecordingModel, ReferenceModel

from sim.config.scenario import load_scenario

TARGET = 100.0
ROOT = Path(__file__).resolve().parent.parent


def measure(
    scenario_path: Path, engine_patients: int, reference_patients: int, years: int, seed: int
) -> list[dict[str, float]]:
    """Seconds per agent-year of the engine and the reference, year by year, in turn."""
    scenario = load_scenario(scenario_path)
    engine = RecordingModel(scenario, seed=seed, patients=engine_patients, years=years)
    reference = None
    out = []
    for _ in range(years):
        start = time.perf_counter()
        engine.step()
        engine_s = time.perf_counter() - start
        if reference is None:  # built once the engine has shown year one's providers
            reference = ReferenceModel(
                scenario, reference_patients, engine.provider_record, seed=seed
            )
        start = time.perf_counter()
        reference.step()
        reference_s = time.perf_counter() - start
        out.append(
            {"engine": engine_s / engine_patients, "reference": reference_s / reference_patients}
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "england.toml")
    parser.add_argument("--engine-patients", type=int, default=16_000_000)
    parser.add_argument("--reference-patients", type=int, default=5_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)
    years = measure(
        args.scenario, args.engine_patients, args.reference_patients, args.years, args.seed
    )
    print(
        f"scenario: {args.scenario.name}; engine {args.engine_patients:,} patients, "
        f"reference {args.reference_patients:,} patients, {args.years} years\n"
    )
    print(
        "| year | engine, µs per agent-year | reference, µs per agent-year | ratio |\n"
        "|---:|---:|---:|---:|"
    )
    for y, r in enumerate(years, start=1):
        print(
            f"| {y} | {r['engine'] * 1e6:.3f} | {r['reference'] * 1e6:.2f} | "
            f"{r['reference'] / r['engine']:.0f} |"
        )
    engine = sum(r["engine"] for r in years) / len(years)
    reference = sum(r["reference"] for r in years) / len(years)
    ratio = reference / engine
    print(f"| all | {engine * 1e6:.3f} | {reference * 1e6:.2f} | {ratio:.0f} |\n")
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(f"speed ratio: {ratio:.0f}x (target {TARGET:.0f}x) {verdict}")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
