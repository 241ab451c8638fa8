"""The validation report: every calibration target in every year, and published comparisons.

Rows are data (``scenarios/validation/validation.toml``, read as
:class:`sim.experiments.targets.Target`): the metric, scenario, baseline, band and source
of each published figure. :func:`run_validation` runs every scenario the rows name on the
same seed and replicates (common random numbers, through the resumable executor), and
:func:`evaluate` gives each row the model's value with its 90% interval across replicates
and a plain verdict: **match** when the replicate mean lies in the band in every checked
year, **miss** otherwise (naming the years), **not measured** when the scenario's runs
hold no value of the metric for that system, group and years (a metric name the model does
not write is refused when the file is read). Nothing is tuned here: a miss stays in the report, with the sentence
its row carries on what it suggests.

The full report is committed under ``docs/validation/``::

    python -m sim.report.validation --full      # the file's size; about a minute a core
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field

from sim.base.files import atomic_write_csv, atomic_write_text
from sim.config.scenario import load_scenario, read_toml
from sim.engine.metrics import GROUPS
from sim.experiments.executor import RunSpec, execute, load_run
from sim.experiments.inputs import Strict, validate
from sim.experiments.targets import Measured, Target, check_names, measure, resolve_file
from sim.report.figures_evidence import row_figure
from sim.report.plots import save

ROOT = Path(__file__).resolve().parents[2]
ROWS = ROOT / "scenarios" / "validation" / "validation.toml"
REFERENCES = ROOT / "docs" / "references.md"
SECTIONS = {
    "calibration": "Calibration targets, every simulated year",
    "choice": "Choice: switching against the evidence",
    "comparison": "Published comparisons of whole policies (not tuned to)",
    "cost": "The cost distribution and risk adjustment",
}


class ValidationMeta(Strict):
    replicates: int = Field(5, ge=1, le=1_000)
    patients: int = Field(20_000, gt=0)
    years: int = Field(10, gt=0, le=200)
    seed: int | None = Field(None, ge=0)


class ValidationFile(Strict):
    validation: ValidationMeta = Field(default_factory=ValidationMeta)
    rows: list[Target] = Field(..., min_length=1)


@dataclass
class Settings:
    replicates: int
    patients: int
    years: int
    seed: int | None


def read_rows(path: Path = ROWS) -> tuple[ValidationFile, list[tuple[Target, Path, Path | None]]]:
    """The rows with their scenario and baseline files resolved."""
    spec: ValidationFile = validate(ValidationFile, read_toml(path, "validation"), str(path))
    resolved = []
    for i, row in enumerate(spec.rows):
        # a group the model has no people in stays a row, "not measured"
        check_names(row, f"{path}: row {i + 1} ({row.name})", groups=False)
        scenario = resolve_file(path.parent, row.scenario, path, str(path), f"rows.{i}.scenario")
        if scenario == path:
            from sim.config.scenario import ScenarioError

            raise ScenarioError(f"{path}: field 'rows.{i}.scenario': every row names a scenario")
        baseline = (
            resolve_file(path.parent, row.baseline, path, str(path), f"rows.{i}.baseline")
            if row.baseline
            else None
        )
        resolved.append((row, scenario, baseline))
    return spec, resolved


def run_validation(
    rows: list[tuple[Target, Path, Path | None]],
    settings: Settings,
    runs_dir: Path,
    *,
    workers: int | None = 0,
    scheduler: str | None = None,
    progress: bool = False,
) -> dict[Path, pd.DataFrame]:
    """Every named scenario's replicates, on one seed: their tidy metrics by file."""
    files = list(dict.fromkeys([f for _, s, b in rows for f in (s, b) if f is not None]))
    specs: dict[Path, list[RunSpec]] = {}
    for file in files:
        sc = load_scenario(file)
        seed = sc.run.seed if settings.seed is None else settings.seed
        specs[file] = [
            RunSpec(sc, seed, r, settings.patients, settings.years)
            for r in range(settings.replicates)
        ]
    execute(
        [s for group in specs.values() for s in group],
        runs_dir,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label="validation",
        announce=None,
    )
    return {
        f: pd.concat([load_run(runs_dir, s.run_id) for s in group], ignore_index=True)
        for f, group in specs.items()
    }


def _years_text(years: list[int]) -> str:
    """1, 2, 3, 5 -> '1-3, 5'."""
    parts, start = [], None
    for i, y in enumerate(years):
        if start is None:
            start = y
        if i + 1 == len(years) or years[i + 1] != y + 1:
            parts.append(f"{start}" if start == y else f"{start}-{y}")
            start = None
    return ", ".join(parts)


def verdict(row: Target, measured: Measured | None) -> tuple[str, str]:
    """match / miss / not measured, and which years missed."""
    if measured is None:
        return "not measured", ""
    low, high = row.band()
    by_year = measured.by_year()
    out = by_year[~by_year["mean"].between(low, high)]
    if out.empty:
        return "match", ""
    years = [int(y) for y in out["year"]]
    return "miss", f"outside the band in year{'s' if len(years) > 1 else ''} {_years_text(years)}"


def evaluate(
    rows: list[tuple[Target, Path, Path | None]], runs: dict[Path, pd.DataFrame], years: int
) -> tuple[pd.DataFrame, list[Measured | None]]:
    """One line per row: the model's value with its interval, the band and the verdict."""
    table, measured = [], []
    for row, scenario, baseline in rows:
        m = measure(row, runs[scenario], years, runs[baseline] if baseline else None)
        measured.append(m)
        status, which = verdict(row, m)
        mean, lo, hi = m.overall() if m is not None else (np.nan, np.nan, np.nan)
        worst = ""
        if m is not None:
            by_year = m.by_year()
            aim = row.centre_and_scale()
            centre = aim[0] if aim else float(np.clip(by_year["mean"], *row.band()).mean())
            w = by_year.iloc[int(np.argmax(np.abs(by_year["mean"] - centre)))]
            worst = f"{w['mean']:.4g} (year {int(w['year'])})"
        table.append(
            {
                "section": row.section,
                "row": row.name,
                "metric": row.metric + (f" / {row.denominator}" if row.denominator else ""),
                "scenario": scenario.stem + (f" vs {baseline.stem}" if baseline else ""),
                "group": row.group,
                "years": "every year" if row.years == "all" else str(row.years),
                "band": row.band_text(),
                "model": mean,
                "model_low": lo,
                "model_high": hi,
                "furthest_year": worst,
                "verdict": status,
                "where": which,
                "source": row.source,
                "note": row.note,
                "if_missed": row.if_missed,
            }
        )
    return pd.DataFrame(table), measured


def listed_references(path: Path = REFERENCES) -> dict[str, str]:
    """Every ``- **key** (what; status): reference`` entry of docs/references.md, with its
    continuation lines; an entry that reads "same" takes the reference of the one before."""
    entries: dict[str, str] = {}
    key, previous = None, ""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    for line in text.splitlines():
        head = re.match(r"^- \*\*([^*]+)\*\*:? ?(.*)$", line)
        if head:
            key = head.group(1)
            entries[key] = head.group(2).strip()
        elif key and line.startswith("  ") and line.strip():
            entries[key] += " " + line.strip()
            continue
        else:
            key = None
            continue
        cited = entries[key].split("): ", 1)[-1]
        if cited.startswith("same") and previous:
            entries[key] = entries[key].replace("): same", f"): {previous}", 1)
        else:
            previous = cited
    return entries


NUMBERED = ("seed ", "calibration_targets ")
"""Keys cited by number (a seed's lines, a target's rows); any other key is cited by name."""


def full_references(sources: list[str], path: Path = REFERENCES) -> dict[str, str]:
    """The full reference of each source key the rows cite (where docs/references.md has it)."""
    listed = listed_references(path)
    wanted = []
    for source in sources:
        wanted += re.findall(r"seed 00\d", source)
        for run in re.findall(r"calibration_targets ((?:\d+\.\d+[a-z]?(?:, |-)?)+)", source):
            wanted += [f"calibration_targets {n}" for n in re.findall(r"\d+\.\d+[a-z]?", run)]
        wanted += [key for key in listed if not key.startswith(NUMBERED) and key in source]
    return {key: listed[key] for key in dict.fromkeys(wanted) if key in listed}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60]


def _number(x: float) -> str:
    return "" if not np.isfinite(x) else f"{x:.4g}"


def markdown(table: pd.DataFrame, settings: Settings, figures: dict[int, str]) -> str:
    """The report in Markdown: a summary, then each section's rows with their figures."""
    counts = table["verdict"].value_counts()
    lines = [
        "# icsim validation report",
        "",
        f"{settings.patients:,} patients, {settings.years} simulated years, "
        f"{settings.replicates} replicates per scenario on one seed (common random numbers). "
        "Model values are the mean across replicates (over the checked years) with the range "
        "holding the middle 90% of replicates. A row **matches** when the mean of the "
        "replicates lies in the band in every checked year; otherwise it **misses**, and the "
        "years outside are named. Nothing here was tuned to the comparisons.",
        "",
        f"**{counts.get('match', 0)} match, {counts.get('miss', 0)} miss, "
        f"{counts.get('not measured', 0)} not measured** of {len(table)} rows.",
        "",
    ]
    for section, title in SECTIONS.items():
        part = table[table["section"] == section]
        if part.empty:
            continue
        lines += [f"## {title}", "", "| row | model [90% interval] | band | verdict | source |"]
        lines += ["|---|---|---|---|---|"]
        for _, r in part.iterrows():
            model = (
                f"{_number(r.model)} [{_number(r.model_low)}, {_number(r.model_high)}]"
                if np.isfinite(r.model)
                else "-"
            )
            lines.append(f"| {r.row} | {model} | {r.band} | **{r.verdict}** | {r.source} |")
        lines.append("")
        for i, r in part.iterrows():
            lines += [f"### {r.row}", ""]
            lines.append(
                f"Metric `{r.metric}`, scenario `{r.scenario}`, group `{r.group}`, "
                f"{r.years}. Source: {r.source}."
                + (f" {r['note'][:1].upper()}{r['note'][1:].rstrip('.')}." if r["note"] else "")
            )
            lines.append("")
            text = f"**{r.verdict}**"
            if r.verdict == "not measured" and r.group not in GROUPS:
                text += f": the model has no group `{r.group}`."
            elif r.verdict == "not measured":
                text += ": the runs hold no value of this metric for that system, group and years."
            elif r.verdict == "miss":
                text += f": {r['where']}; furthest {r['furthest_year']}."
                if r.if_missed:
                    text += f" What it suggests: {r.if_missed}."
            else:
                text += f"; furthest from the target {r['furthest_year']}."
            lines += [text, ""]
            if i in figures:
                lines += [f"![{r.row}]({figures[i]})", ""]
    refs = full_references([f"{r.source} {r.note}" for r in table.itertuples()])
    if refs:
        lines += ["## Sources", ""]
        order = sorted(
            refs, key=lambda k: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", k)]
        )
        lines += [
            f"- **{key}**{'' if refs[key].startswith('(') else ':'} {refs[key]}" for key in order
        ]
        lines.append("")
    return "\n".join(lines)


def html(text: str) -> str:
    """The Markdown report as a standalone HTML page (python-markdown, tables extension)."""
    import markdown as md

    body = md.markdown(text, extensions=["tables"])
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>icsim validation report</title><style>"
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.45}"
        "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:4px 8px}"
        "img{max-width:100%}</style></head><body>\n" + body + "\n</body></html>\n"
    )


def write_report(
    out: Path,
    rows: list[tuple[Target, Path, Path | None]],
    table: pd.DataFrame,
    measured: list[Measured | None],
    settings: Settings,
) -> None:
    """validation.md, validation.html, validation.csv and one PNG per measured row; a
    figure left from an earlier report whose row has moved or gone is removed."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    figures = {}
    for i, ((row, _, _), m) in enumerate(zip(rows, measured, strict=True)):
        if m is None:
            continue
        name = f"figures/{i:02d}_{_slug(row.name)}"
        save(row_figure(row, m, table.loc[i, "verdict"]), out / name, ("png",))
        figures[i] = f"{name}.png"
    for old in (out / "figures").glob("[0-9][0-9]_*.png"):  # a row since moved or gone
        if f"figures/{old.name}" not in figures.values():
            old.unlink()
    atomic_write_csv(out / "validation.csv", table)
    text = markdown(table, settings, figures)
    atomic_write_text(out / "validation.md", text)
    atomic_write_text(out / "validation.html", html(text))


def validate_model(
    out: Path,
    *,
    rows_file: Path = ROWS,
    replicates: int | None = None,
    patients: int | None = None,
    years: int | None = None,
    runs_dir: Path | None = None,
    workers: int | None = 0,
    scheduler: str | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run the rows' scenarios and write the report under ``out``; returns the table."""
    spec, rows = read_rows(rows_file)
    meta = spec.validation
    settings = Settings(
        replicates or meta.replicates, patients or meta.patients, years or meta.years, meta.seed
    )
    runs = run_validation(
        rows,
        settings,
        runs_dir or Path(out) / "runs",
        workers=workers,
        scheduler=scheduler,
        progress=progress,
    )
    table, measured = evaluate(rows, runs, settings.years)
    write_report(Path(out), rows, table, measured, settings)
    return table


def main(argv: list[str] | None = None) -> None:
    """``python -m sim.report.validation [--full]``: the committed report in docs/validation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the file's size into docs/validation")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args(argv)
    out = args.out or (ROOT / "docs" / "validation" if args.full else Path("results/validation"))
    small = {} if args.full else {"replicates": 2, "patients": 5_000, "years": 5}
    runs = Path("results") / "validation_runs"
    table = validate_model(out, runs_dir=runs, workers=args.workers, progress=True, **small)
    counts = table["verdict"].value_counts().to_dict()
    print(f"wrote {out}/validation.md and validation.html: {counts}")


if __name__ == "__main__":
    main()
