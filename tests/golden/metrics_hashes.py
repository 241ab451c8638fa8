"""Record or check the SHA-256 of every shipped scenario's ``metrics.parquet``.

A refactor that claims to keep every algorithm as it is must leave these bytes unchanged:
each shipped scenario (England at 20,000 patients) is run at two seeds with three
replicates through the command line, exactly as a user would, and the hash of the
``metrics.parquet`` it writes is compared with the recorded one.

    python3 tests/golden/metrics_hashes.py --record   # before a change
    python3 tests/golden/metrics_hashes.py            # after it: exit 1 on any difference

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

ROOT = Path(__file__).resolve().parents[2]
HASHES = Path(__file__).with_name("metrics_hashes.json")
SEEDS = (20261203, 7)
REPLICATES = 3
PATIENTS = {"england": 20_000}


def _one(scenario: Path, seed: int) -> tuple[str, str]:
    key = f"{scenario.stem}@{seed}"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "sim.cli", "run", str(scenario), "--seed", str(seed),
               "--replicates", str(REPLICATES), "--out", tmp]
        if scenario.stem in PATIENTS:
            cmd += ["--patients", str(PATIENTS[scenario.stem])]
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        digest = hashlib.sha256((Path(tmp) / "metrics.parquet").read_bytes()).hexdigest()
    return key, digest


def compute(jobs: int) -> dict[str, str]:
    scenarios = sorted((ROOT / "scenarios").glob("*.toml"))
    tasks = [(s, seed) for s in scenarios for seed in SEEDS]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return dict(sorted(pool.map(lambda t: _one(*t), tasks)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="write the hashes file")
    parser.add_argument("--jobs", type=int, default=2, help="scenarios run at once")
    args = parser.parse_args()
    hashes = compute(args.jobs)
    if args.record:
        HASHES.write_text(json.dumps(hashes, indent=1) + "\n")
        print(f"recorded {len(hashes)} hashes in {HASHES.name}")
        return 0
    recorded = json.loads(HASHES.read_text())
    changed = sorted(k for k in recorded.keys() | hashes.keys()
                     if recorded.get(k) != hashes.get(k))
    for key in changed:
        print(f"differs: {key}")
    print(f"{len(hashes) - len(changed)} of {len(recorded)} identical")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
