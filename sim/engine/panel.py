"""A patient panel: a random sample of patients followed year by year (``panel.parquet``).

Metrics are sums over cells, so they cannot show how one person's care, cost and payments
run together, or how a system's patients differ one by one. A panel keeps those rows for a
few patients only: :class:`PatientPanel` draws ``size`` of the population's rows at random
(from its own random stream, ``panel``, so no other draw moves and no metric changes) and,
in each chunk of the patients' pass, copies out the sampled rows' year. It never holds more
than the sampled rows, so a panel of England costs what a panel of a town costs.

**Who is followed.** The sample is of rows, drawn once at the start. A sampled patient is
followed every year they are alive; the year they die gives one row with ``died`` true, as
they were when they died, and no care. Their row then goes to an entrant (a birth or someone
moving in, :class:`sim.patients.population.Demography`), who joins the panel in their place
from the year they arrive. The rows are drawn independently of everything the model does, so
the same rule holds for every patient, entrant or not: each patient alive in a year is in
that year's panel with probability ``size / population``, and each year's living panel is a
simple random sample of ``size`` of that year's patients. Its means estimate the metrics
with plain sampling error (one patient's years are correlated, so cluster by ``patient``).

:data:`COLUMNS` gives each column's type and meaning (``docs/panel.md`` lists them).
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
import pandas as pd

from sim.base.rng import stream
from sim.config.scenario import Scenario
from sim.contracts.adjustment import NoRiskAdjustment, RiskAdjuster
from sim.contracts.payment import PaymentRule
from sim.patients.epidemiology import CONDITIONS, MASKS
from sim.patients.population import Deaths, Population
from sim.patients.utilisation import Activity
from sim.providers.costs import HospitalCosts
from sim.providers.partnership_table import Partnerships

COLUMNS: dict[str, tuple[str, str]] = {
    "replicate": ("int32", "replicate of the run"),
    "year": ("int32", "simulated year, 1 = the first"),
    "patient": (
        "int64",
        "stable patient id (the population's pid): the same person every year, never reused",
    ),
    "age": ("int16", "years, after this year's birthday (the dead: before it)"),
    "sex": ("category", "female or male"),
    "imd": ("int8", "deprivation quintile, 1 most deprived .. 5 least"),
    "locality": ("category", "name of the locality the patient lives in"),
    "conditions": (
        "category",
        "long-term conditions held at the year's end, names joined by '+' in a fixed order "
        "(diabetes, copd, heart_failure, dementia, other), 'none' for none",
    ),
    "system": ("category", "name of the option (system) the patient was enrolled with"),
    "switched": (
        "bool",
        "moved to another option this year, as switching_rate counts it (a first enrolment, "
        "after arriving, is not a switch)",
    ),
    "died": ("bool", "died this year (the row shows them as they died, with no care)"),
    "risk": (
        "float32",
        "true expected annual cost at national prices, 1 = England's mean (the dead: as last "
        "scored)",
    ),
    "predicted_risk": (
        "float32",
        "the commissioner's prediction of that risk: the risk adjuster of the contract paying "
        "for the patient's system (its GP contract's, else its hospital contract's, in the "
        "fragmented default); 1 where the contract sees no risk",
    ),
    "gp_consultations": ("int32", "GP consultations"),
    "outpatient": ("int32", "outpatient attendances"),
    "elective": ("int32", "elective admissions"),
    "emergency": (
        "int32",
        "emergency admissions of every kind (avoidable ones and readmissions included), as "
        "emergency_admissions_per_1000 counts them",
    ),
    "avoidable_emergency": (
        "int32",
        "emergency admissions for ambulatory care sensitive conditions",
    ),
    "readmissions": ("int32", "emergency readmissions"),
    "ae_attendances": ("int32", "A&E attendances"),
    "bed_days": ("float32", "days in a hospital bed"),
    "cost": (
        "float64",
        "GBP: this patient's care at the unit costs of whoever provided it, as "
        "resource_cost_per_capita counts care (GP consultations at the GP price, hospital "
        "care at average cost, care an ICP makes in the community at community cost); "
        "costs no single patient causes (unused capacity, contract running and transaction "
        "costs, providers' prevention and quality spending, takeovers) are not in it",
    ),
    "payment": (
        "float64",
        "GBP the commissioner paid for this patient this year under the contracts of their "
        "system (capitation per enrolee and payments per unit of activity); year-end "
        "settlements are paid to providers, not for patients, and are not in it",
    ),
}
"""Each panel column: its dtype and meaning, in the order of the file."""

COUNTS = (
    ("gp_consultations", "gp_consultation"),
    ("outpatient", "outpatient"),
    ("elective", "elective"),
    ("avoidable_emergency", "acsc"),
    ("readmissions", "readmission"),
    ("ae_attendances", "ae"),
)
"""Panel count columns and the activity each copies (``emergency`` is every emergency spell)."""
CARE = ("gp_consultations", "outpatient", "elective", "emergency", "ae_attendances", "bed_days")
"""Columns the cost is priced on, in the order of :meth:`PatientPanel.unit_costs`' columns."""
SEXES = ("female", "male")
CONDITION_LABELS = tuple(
    "+".join(c for i, c in enumerate(CONDITIONS) if mask >> i & 1) or "none" for mask in MASKS
)
"""Each condition bitmask's label, in mask order."""


def check_panel_size(size: object, patients: int, where: str = "panel") -> int:
    """``size`` as a whole number from 0 to ``patients``, else ValueError naming ``where``."""
    if isinstance(size, bool) or not isinstance(size, Integral) or not 0 <= size <= patients:
        raise ValueError(
            f"{where}: the panel must be a whole number of patients from 0 to the population "
            f"({patients:,}); got {size!r}"
        )
    return int(size)


def option_adjusters(payers: Sequence[Sequence[PaymentRule]]) -> list[RiskAdjuster]:
    """Each option's risk adjuster: the first of its contracts (``payers[option]``) that sees
    risk, else one that predicts the mean for everyone."""
    out: list[RiskAdjuster] = []
    for rules in payers:
        found = [r.risk_adjuster for r in rules if r.risk_adjuster is not None]
        out.append(found[0] if found else NoRiskAdjustment())
    return out


class PatientPanel:
    """``size`` rows of the population drawn at random, whose patients' years it keeps.

    ``payers``: each option's contracts, the one whose risk adjuster gives
    ``predicted_risk`` first (:func:`option_adjusters`); ``costs`` and ``partnerships``
    price each patient's care as the providers' books do.
    """

    def __init__(
        self,
        size: int,
        population: Population,
        scenario: Scenario,
        seed: int,
        replicate: int,
        payers: Sequence[Sequence[PaymentRule]],
        costs: HospitalCosts,
        partnerships: Partnerships,
    ):
        size = check_panel_size(size, population.n)
        self.population = population
        self.replicate = int(replicate)
        self.options = list(scenario.option_names)
        self.localities = [loc.name for loc in scenario.localities]
        self.adjusters = option_adjusters(payers)
        self.costs, self.partnerships = costs, partnerships
        rng = stream(seed, replicate, "panel")
        self.rows = np.sort(rng.choice(population.n, size=size, replace=False)).astype(np.intp)
        self.pid = population.pid[self.rows].copy()  # who holds each sampled row
        self.years: list[dict[str, np.ndarray]] = []  # a block of rows per chunk and year
        self._prices: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def unit_costs(self, year: int) -> np.ndarray:
        """GBP per unit of each of :data:`CARE`, by option (a row each), this year.

        Where a virtual ICP makes a share of outpatient and day-case care in the community,
        that share costs the community rate and its stays leave the hospital's bed days, as
        in :func:`sim.engine.provider_costs.trust_activity` and ``icp_care_costs``.
        """
        if self._prices is not None and self._prices[0] == year:
            return self._prices[1]
        c, table = self.costs, self.partnerships
        out = np.empty((len(self.options), len(CARE)))
        out[:] = [
            c.gp_consultation,
            c.fixed["outpatient"],
            c.fixed["elective"],
            c.fixed["emergency"],
            c.fixed["ae"],
            c.bed_day,
        ]
        if len(table):
            virtual = ~np.asarray(table.vertical, dtype=bool)
            made_op = np.where(virtual, table.made_outpatient, 0.0)
            made_el = np.where(virtual, table.made_elective, 0.0)
            o = table.option
            out[o, 1] += made_op * (c.community("outpatient") - c.fixed["outpatient"])
            out[o, 2] += made_el * (
                c.community("elective") - c.fixed["elective"] - c.los["elective"] * c.bed_day
            )
        self._prices = (year, out)
        return out

    def record(
        self,
        year: int,
        rows: slice,
        died: Deaths,
        switched: np.ndarray,
        activity: Activity,
        payment: np.ndarray,
    ) -> None:
        """Keep the year of the sampled patients among ``rows`` (one chunk of the pass):
        those who died (``died``), then the living, entrants included (``switched``,
        ``activity`` and ``payment`` are the chunk's, by position in it)."""
        lo, hi = np.searchsorted(self.rows, [rows.start, rows.stop])
        if lo == hi:
            return
        pop, mine = self.population, self.rows[lo:hi]
        if len(died):
            gone = np.isin(died.rows, mine)
            if gone.any():
                held = self.pid[lo:hi][np.searchsorted(mine, died.rows[gone])]
                self.keep_deaths(year, died, gone, held)
            self.pid[lo:hi] = pop.pid[mine]  # entrants took the rows of the dead
        at = mine - rows.start
        option = pop.option[mine]
        block = {
            "patient": pop.pid[mine],
            **{name: getattr(pop, name)[mine] for name in ("age", "sex", "imd", "locality")},
            "conditions": pop.conditions[mine],
            "system": option,
            "switched": switched[at],
            "died": np.zeros(len(mine), dtype=bool),
            "risk": pop.risk[mine],
            **{column: activity.counts[a][at] for column, a in COUNTS},
            "emergency": activity.emergency_total[at],
            "bed_days": activity.bed_days[at],
            "payment": payment[at],
        }
        block["predicted_risk"] = self.predicted(block)
        care = np.stack([block[name] for name in CARE], axis=1).astype(float)
        block["cost"] = np.einsum("ij,ij->i", care, self.unit_costs(year)[option])
        self.keep(year, block)

    def keep_deaths(self, year: int, died: Deaths, gone: np.ndarray, pid: np.ndarray) -> None:
        """The sampled patients of ``died`` (``gone``), as they died: no care, nothing paid."""
        n = int(gone.sum())
        block = {
            "patient": pid,
            **{name: died[name][gone] for name in ("age", "sex", "imd", "locality")},
            "conditions": died["conditions"][gone],
            "system": died["option"][gone],
            "switched": np.zeros(n, dtype=bool),
            "died": np.ones(n, dtype=bool),
            "risk": died["risk"][gone],
            **{name: np.zeros(n) for name in ("emergency", "cost", "payment")},
            **{column: np.zeros(n) for column, _ in COUNTS},
            "bed_days": np.zeros(n),
        }
        block["predicted_risk"] = self.predicted(block)
        self.keep(year, block)

    def predicted(self, block: dict[str, np.ndarray]) -> np.ndarray:
        """Each patient's risk as their option's contract predicts it."""
        out = np.ones(len(block["system"]), dtype=np.float32)
        for o in np.unique(block["system"]).tolist():
            at = block["system"] == o
            out[at] = self.adjusters[o].predict(
                block["age"][at], block["sex"][at], block["risk"][at]
            )
        return out

    def keep(self, year: int, block: dict[str, np.ndarray]) -> None:
        n = len(block["patient"])
        block["year"] = np.full(n, year)
        block["replicate"] = np.full(n, self.replicate)
        self.years.append(block)

    def frame(self) -> pd.DataFrame:
        """Every kept row, by year then patient, with the columns and types of :data:`COLUMNS`."""
        if self.years:
            data = {name: np.concatenate([block[name] for block in self.years]) for name in COLUMNS}
        else:
            data = {name: np.zeros(0) for name in COLUMNS}
        labels = {
            "sex": SEXES,
            "locality": self.localities,
            "conditions": CONDITION_LABELS,
            "system": self.options,
        }
        columns = {}
        for name, (dtype, _) in COLUMNS.items():
            if name in labels:
                codes = data[name].astype(np.int64)
                columns[name] = pd.Categorical.from_codes(codes, categories=list(labels[name]))
            else:
                columns[name] = data[name].astype(dtype)
        df = pd.DataFrame(columns)
        return df.sort_values(["year", "patient"], kind="stable", ignore_index=True)


__all__ = ["COLUMNS", "PatientPanel", "check_panel_size", "option_adjusters"]
