"""The teaching notebooks run top to bottom, and are committed without outputs.

Each notebook runs in a fresh kernel from the notebooks folder, so the relative paths it
uses (``../scenarios/...``) resolve as they do for a student opening it in Jupyter. Each is
run once and its outputs read by every test that needs them. Beyond running, the tests hold
what the notebooks teach in place: the hand checks of notebooks 02 and 03 ran (and fail when
the rule they check changes), every notebook ends with exercises whose solutions ran and
printed an answer, figures take their colours from the house palette, and patients,
localities and options are printed by name.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat import NotebookNode

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
TEACHING = (
    "01_first_run",
    "02_payment_incentives",
    "03_choice_and_selection",
    "04_sweeps_and_uncertainty",
)
HAND_CHECKED = {"02_payment_incentives": 2, "03_choice_and_selection": 1}
"""Notebooks that work a mechanism by hand and assert the model agrees: how many such cells."""
AD_HOC_COLOUR = re.compile(r"OKABE_ITO|TOL_MUTED|#[0-9A-Fa-f]{6}\b|\bcolou?r\s*=\s*[\"']")
"""A colour named in a notebook rather than taken from the house palette (sim.report.style)."""
BY_INDEX = re.compile(r"\b(locality|option) \d+\b", re.IGNORECASE)
"""A locality or option printed as the index the arrays hold, not by its name."""

EXECUTED: dict[Path, NotebookNode] = {}
AFTERWARDS: dict[Path, list[NotebookNode]] = {}
"""Cells run after a notebook in its kernel: notebook 02's hand checks, with the rules nudged."""


def execute(nb: NotebookNode, afterwards: Sequence[NotebookNode] = ()) -> NotebookNode:
    """Run ``nb``'s cells in a fresh kernel, then the ``afterwards`` cells in the same one."""
    client = NotebookClient(
        nb,
        timeout=240,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    own = len(nb.cells)
    nb.cells.extend(afterwards)  # the client writes each cell back in its place
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
    finally:
        del nb.cells[own:]
    return nb


def executed(path: Path) -> NotebookNode:
    """``path`` run top to bottom, once for the whole module."""
    if path not in EXECUTED:
        nb = nbformat.read(path, as_version=4)
        afterwards = nudged_checks(nb) if path.stem == "02_payment_incentives" else []
        EXECUTED[path] = execute(nb, afterwards)
        AFTERWARDS[path] = afterwards
    return EXECUTED[path]


def nudged_checks(nb: NotebookNode) -> list[NotebookNode]:
    """Notebook 02's trust and ICP cells and their hand checks again, with the trust's volume
    rule and the ICPs' plans nudged by 1%: each check must then fail."""
    cells = code_cells(nb)
    needed = ["hospital_contracts = {", "ICP_PATIENTS, RATE_RATIOS = 20_000"]
    inputs = [copy.deepcopy(next(c for c in cells if text in c.source)) for text in needed]
    checks = [copy.deepcopy(c) for c in code_cells(nb, "hand-check")]
    assert len(checks) == 2, "notebook 02 should hold two hand checks"
    # a smaller population and fewer years: the checks fail at any size
    inputs[1].source = inputs[1].source.replace("= 20_000", "= 4_000")
    nudge = nbformat.v4.new_code_cell(
        "from sim.providers.costs import HospitalCosts\n"
        "from sim.providers.partnership_plans import PartnershipPlanning\n"
        "volume_rule, icp_plan = HospitalCosts.volume_response, PartnershipPlanning.plan\n"
        "HospitalCosts.volume_response = lambda self, *a: 1.01 * volume_rule(self, *a)\n"
        "def nudged(self, rows):\n"
        "    icp_plan(self, rows)\n"
        "    self.quality_spend[rows] *= 1.01\n"
        "    self.selection[rows] *= 1.01\n"
        "PartnershipPlanning.plan = nudged\n"
        "YEARS = 2\n"
    )
    return [nudge, inputs[0], checks[0], inputs[1], checks[1]]


def notebook(stem: str) -> Path:
    return NOTEBOOKS_DIR / f"{stem}.ipynb"


def outputs(cell: NotebookNode, kind: str | None = None) -> list[NotebookNode]:
    return [o for o in cell.get("outputs", []) if kind is None or o.get("output_type") == kind]


def code_cells(nb: NotebookNode, tag: str | None = None) -> list[NotebookNode]:
    return [
        c
        for c in nb.cells
        if c.cell_type == "code" and (tag is None or tag in c.metadata.get("tags", []))
    ]


def printed(cell: NotebookNode) -> str:
    """What a cell showed as text: its printed lines and its result's plain text."""
    texts = [o.get("text", "") for o in outputs(cell, "stream") if o.get("name") == "stdout"]
    texts += [o.get("data", {}).get("text/plain", "") for o in outputs(cell, "execute_result")]
    return "".join(texts)


def test_the_teaching_notebooks_are_there():
    assert {p.stem for p in NOTEBOOKS} >= set(TEACHING)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: clear the outputs of cells {dirty} before committing"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path):
    nb = executed(path)
    errors = [
        f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in outputs(cell, "error")
    ]
    assert not errors, f"{path.name}: {errors}"
    images = sum(
        "image/png" in out.get("data", {}) for cell in code_cells(nb) for out in outputs(cell)
    )
    assert images >= 1, f"{path.name} drew no figure"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("stem", TEACHING)
def test_exercises_have_solutions_that_ran(stem: str):
    """Exercises, then a Solutions section whose every code cell ran and printed its answer."""
    nb = executed(notebook(stem))
    headings = [
        (i, c.source.splitlines()[0]) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
    ]
    exercises = [i for i, h in headings if h.startswith("## Try it yourself")]
    solutions = [i for i, h in headings if h.startswith("## Solutions")]
    assert exercises and solutions, f"{stem}: needs '## Try it yourself' and '## Solutions'"
    assert exercises[0] < solutions[0], f"{stem}: the solutions come after the exercises"
    after = [c for c in nb.cells[solutions[0] :] if c.cell_type == "code"]
    answers = [c for c in after if "solution" in c.metadata.get("tags", [])]
    assert len(answers) >= 2, f"{stem}: at least two solution cells, tagged 'solution'"
    for cell in answers:
        assert not outputs(cell, "error"), f"{stem}: a solution failed:\n{cell.source[:200]}"
        assert printed(cell).strip() or outputs(cell, "display_data"), (
            f"{stem}: a solution showed no answer:\n{cell.source[:200]}"
        )


@pytest.mark.timeout(300)
@pytest.mark.parametrize("stem", sorted(HAND_CHECKED))
def test_hand_checks_are_there_and_pass(stem: str):
    """A hand check works the rule out with numpy and asserts the model's numbers agree."""
    cells = code_cells(executed(notebook(stem)), "hand-check")
    assert len(cells) >= HAND_CHECKED[stem], f"{stem}: a hand-check cell is missing"
    for cell in cells:
        assert "assert" in cell.source, f"{stem}: a hand check that asserts nothing"
        assert not outputs(cell, "error"), f"{stem}: a hand check failed:\n{cell.source[:300]}"
        assert printed(cell).strip(), f"{stem}: a hand check showed nothing"


@pytest.mark.timeout(300)
def test_hand_checks_of_notebook_02_fail_when_the_rules_change():
    """Notebook 02's checks are real: run again with the trust's volume rule and the ICPs'
    plans nudged by 1% (after the notebook, in its kernel), each hand check raises."""
    path = notebook("02_payment_incentives")
    executed(path)
    nudge, trust_input, trust_check, icp_input, icp_check = AFTERWARDS[path]
    for cell in (nudge, trust_input, icp_input):
        assert not outputs(cell, "error"), cell.source[:200]
    for cell in (trust_check, icp_check):
        errors = outputs(cell, "error")
        assert errors and errors[0]["ename"] == "AssertionError", cell.source[:200]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_figures_use_the_house_colours(path: Path):
    """One colour per system and per scenario: taken from sim.report.style, never named."""
    nb = nbformat.read(path, as_version=4)
    named = [c.source for c in code_cells(nb) if AD_HOC_COLOUR.search(c.source)]
    assert not named, f"{path.name}: colours named outside the house palette:\n{named[0][:300]}"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("stem", TEACHING)
def test_localities_and_options_are_printed_by_name(stem: str):
    shown = [printed(c) for c in code_cells(executed(notebook(stem)))]
    by_index = [m.group(0) for text in shown for m in BY_INDEX.finditer(text)]
    assert not by_index, f"{stem} prints {by_index[:3]}: print names (PatientView, option names)"
