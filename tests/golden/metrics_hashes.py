"""Record or check the SHA-256 of every shipped scenario's ``metrics.parquet`` table.

A refactor that claims to keep every algorithm as it is must leave these bytes unchanged:
each shipped scenario (England at 20,000 patients) is run at two seeds with three
replicates through the command line, exactly as a user would, and the hash of the
``metrics.parquet`` table it writes is compared with the recorded one. The table's values
are hashed, every float written out exactly, not the file's bytes, which also carry the
version of the library that wrote them.

    python3 tests/golden/metrics_hashes.py --record   # before a change
    python3 tests/golden/metrics_hashes.py            # after it: exit 1 on any difference
    python3 tests/golden/metrics_hashes.py --quick    # six scenarios at one seed, while working

A change that is meant to move results re-records the file in the same commit and says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
HASHES = Path(__file__).with_name("metrics_hashes.json")
SEEDS = (20261203, 7)
REPLICATES = 3
PATIENTS = {"england": 20_000}
QUICK = (
    "competing_icps_capitation",
    "episode_bundle_geisinger",
    "pooled_budget_torbay",
    "vertical_kaiser_nc",
    "lead_provider_cap_ben",
    "england",
)


def _one(scenario: Path, seed: int) -> tuple[str, str]:
    key = f"{scenario.stem}@{seed}"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "sim.cli",
            "run",
            str(scenario),
            "--seed",
            str(seed),
            "--replicates",
            str(REPLICATES),
            "--out",
            tmp,
        ]
        if scenario.stem in PATIENTS:
            cmd += ["--patients", str(PATIENTS[scenario.stem])]
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        digest = table_digest(Path(tmp) / "metrics.parquet")
    return key, digest


def table_digest(path: Path) -> str:
    """SHA-256 of a parquet table's columns and values, floats to the last bit."""
    text = pd.read_parquet(path).to_csv(index=False, float_format="%.17g", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()


def compute(jobs: int, quick: bool = False) -> dict[str, str]:
    scenarios = sorted((ROOT / "scenarios").glob("*.toml"))
    if quick:
        scenarios = [s for s in scenarios if s.stem in QUICK]
    tasks = [(s, seed) for s in scenarios for seed in (SEEDS[:1] if quick else SEEDS)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return dict(sorted(pool.map(lambda t: _one(*t), tasks)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="write the hashes file")
    parser.add_argument("--quick", action="store_true", help="six scenarios at one seed")
    parser.add_argument("--jobs", type=int, default=2, help="scenarios run at once")
    args = parser.parse_args()
    hashes = compute(args.jobs, quick=args.quick)
    if args.record:
        HASHES.write_text(json.dumps(hashes, indent=1) + "\n")
        print(f"recorded {len(hashes)} hashes in {HASHES.name}")
        return 0
    recorded = json.loads(HASHES.read_text())
    if args.quick:
        recorded = {k: v for k, v in recorded.items() if k in hashes}
    changed = sorted(k for k in recorded.keys() | hashes.keys() if recorded.get(k) != hashes.get(k))
    for key in changed:
        print(f"differs: {key}")
    print(f"{len(hashes) - len(changed)} of {len(recorded)} identical")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
