"""Every source key the project cites resolves to a full reference in docs/references.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = ROOT / "docs" / "references.md"
CITING = ["sim/**/*.py", "sim/data/*.md", "scenarios/**/*.toml", "README.md", "docs/*.md"]
ROW = re.compile(r"calibration_targets\s+(\d+\.\d+[a-z]?)")
SEED = re.compile(r"\bseed\s+(00[0-9])\b")


def cited_keys() -> dict[str, set[str]]:
    """Each key cited anywhere in the project, with the files that cite it."""
    keys: dict[str, set[str]] = {}
    for pattern in CITING:
        for path in ROOT.glob(pattern):
            if path == REFERENCES:
                continue
            text = path.read_text(encoding="utf-8")
            found = [f"calibration_targets {m}" for m in ROW.findall(text)]
            found += [f"seed {m}" for m in SEED.findall(text)]
            for key in found:
                keys.setdefault(key, set()).add(str(path.relative_to(ROOT)))
    return keys


def test_every_cited_source_key_has_a_full_reference():
    listed = set(
        re.findall(r"\*\*((?:calibration_targets|seed) [\d.a-z]+)\*\*", REFERENCES.read_text())
    )
    keys = cited_keys()
    assert len(keys) > 20, "the scan found too few citations to be reading the code"
    missing = {key: sorted(files)[:3] for key, files in keys.items() if key not in listed}
    assert not missing, f"source keys missing from docs/references.md: {missing}"


def test_licence_and_citation_file_are_shipped():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    citation = (ROOT / "CITATION.cff").read_text()
    assert "cff-version" in citation and "title:" in citation
