"""The scenario catalogue: every scenario file in a folder, with its description and sources.

``icsim scenarios`` prints this. Files are read as TOML without running the model, so a
long catalogue lists at once; a file that fails validation is listed with its error
rather than stopping the listing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sim.config.scenario import ScenarioError, load_scenario

REPOSITORY_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@dataclass(frozen=True)
class ScenarioInfo:
    """One scenario file as the catalogue shows it."""

    path: Path
    name: str
    description: str
    sources: list[str] = field(default_factory=list)
    error: str = ""


def scenarios_folder(cwd: Path | None = None) -> Path:
    """``scenarios/`` under the current directory if there is one, else the repository's."""
    here = (cwd or Path.cwd()) / "scenarios"
    return here if here.is_dir() else REPOSITORY_SCENARIOS


def list_scenarios(folder: Path) -> list[ScenarioInfo]:
    """Every ``*.toml`` directly in ``folder``, sorted by file name."""
    out = []
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            meta = load_scenario(path).scenario
            out.append(ScenarioInfo(path, meta.name, meta.description, list(meta.sources)))
        except ScenarioError as exc:
            out.append(ScenarioInfo(path, path.stem, "", [], str(exc).splitlines()[0]))
    return out
