"""Step 2 of the year: the patients' year, in one pass over fixed-size chunks of patients.

For each chunk, in this order: demography (ageing, new conditions, deaths, entrants);
risk score; annual choice of option (with the ICPs' screening of applicants under selective
acceptance, :mod:`sim.engine.acceptance`); utilisation drawn from baseline rates times the
providers' rate modifiers; payments under the option's contracts; the health state this
year's care leaves (:mod:`sim.patients.health`), which sets next year's risk of death;
experience of care (:mod:`sim.patients.experience`), which feeds next year's choice; then
sums into the year's ledger. Each stochastic step
draws from its own stream for (year, chunk), so results do not depend on how the
population is split among workers. A patient panel (:mod:`sim.engine.panel`), when asked
for, copies out its sampled patients' year after the payments.
"""

from __future__ import annotations

import numpy as np

from sim.base.rng import chunks, stream
from sim.config.scenario import Scenario
from sim.engine.acceptance import Applicants, ApplicantScreen
from sim.engine.cost_concentration import CostRecord
from sim.engine.ledger import Ledger
from sim.engine.older_bed_use import older_bed_use
from sim.engine.panel import PatientPanel
from sim.engine.payments import PaymentGroups, chunk_payments
from sim.engine.risk import RiskScorer
from sim.patients.choice import LocalOptions, LogitChoice, OptionTable
from sim.patients.cost_spread import AnnualSpread
from sim.patients.experience import YearLived, experience_of_care
from sim.patients.health import HealthTables, year_of_care
from sim.patients.modifiers import RateModifiers
from sim.patients.population import Deaths, Demography, Population
from sim.patients.utilisation import (
    COUNTED,
    Activity,
    PatientValue,
    PerPatient,
    RateTables,
    draw_counts,
)
from sim.providers.costs import HospitalCosts


class PatientPass:
    """Lives one year of a population: :meth:`run` returns the year's ledger and deaths.

    Keeps last year's :class:`~sim.patients.choice.LocalOptions` (``local``), whose layout
    a year can reuse while the options open in each locality stay the same.
    """

    def __init__(
        self,
        population: Population,
        scenario: Scenario,
        seed: int,
        replicate: int,
        demography: Demography,
        choice_rule: LogitChoice,
        risk: RiskScorer,
        empty_ledger: Ledger,
    ):
        self.population = population
        self.scenario = scenario
        self.seed = seed
        self.replicate = replicate
        self.demography = demography
        self.choice_rule = choice_rule
        self.risk = risk
        self.empty_ledger = empty_ledger  # each year starts a copy
        self.local: LocalOptions | None = None
        self.panel: PatientPanel | None = None  # sampled patients whose years are kept
        self.costs: CostRecord | None = None  # keeps each sampled patient's cost of care
        self.health = HealthTables.build(
            scenario.health, scenario.demography, scenario.conditions.condition_weights
        )
        self.screen = (
            ApplicantScreen(scenario.choice, HospitalCosts(scenario.costs, scenario.utilisation))
            if scenario.choice.acceptance == "selective"
            else None
        )

    def run(
        self,
        year: int,
        table: OptionTable,
        modifiers: RateModifiers,
        groups: PaymentGroups,
    ) -> tuple[Ledger, int]:
        """One year of every patient: returns its ledger and the number of deaths.

        ``table``: what patients see of each option; ``groups``: who pays for whom
        (:func:`sim.engine.payments.payment_groups`), fixed for the year.
        """
        pop = self.population
        ledger = self.empty_ledger.copy()
        self.local = local = LocalOptions.from_table(table, self.scenario.choice, self.local)
        quality = table.quality  # (locality, option)
        threshold = self.scenario.behaviour.high_risk_threshold
        heads = np.zeros(ledger.cell_shape)
        if self.screen is not None:
            self.screen.begin_year(groups)
        deaths = 0
        for index, rows in chunks(pop.n):
            died = self.demography.step_chunk(
                pop, rows, stream(self.seed, self.replicate, "demography", year, index)
            )
            deaths += len(died)
            self.record_deaths(ledger, died, threshold)
            expected = self.risk.score(pop, rows)
            high_risk = pop.risk[rows] >= threshold
            switched = self.choose(rows, year, table, high_risk, index, local, expected, ledger)
            mods = modifiers.for_patients(pop.option[rows], pop.locality[rows], high_risk)
            activity = self.utilise(rows, year, expected, mods, index)
            if self.costs is not None:
                self.costs.record(rows, activity)
            payments = chunk_payments(pop, rows, activity, groups)
            if self.panel is not None:
                pay = payments["commissioner_payment"]
                self.panel.record(year, rows, died, switched, activity, pay)
            health = self.year_of_care(rows, table, expected, mods["elective"], activity)
            self.experience(rows, year, table, activity, health["unmet_need"], index)
            keys = ledger.keys(
                pop.option[rows], pop.locality[rows], pop.age[rows], pop.imd[rows], high_risk
            )
            heads += ledger.add(
                keys,
                {
                    "population": None,
                    "switched": switched,
                    "risk": pop.risk[rows],
                    **{a: activity.counts[a] for a in (*COUNTED, "readmission")},
                    "bed_days": activity.bed_days,
                    "experience": pop.experience[rows],
                    **payments,
                    "expected_elective": expected["elective"],
                    **health,
                },
            )
            for quantity, sums in older_bed_use(keys, pop.age[rows], activity, ledger.size).items():
                ledger.add_cells(quantity, sums.reshape(ledger.cell_shape))
        # quantities that are the same for everyone in a cell follow from its head count
        per_pair = (slice(None), None, None, None)
        ledger.add_cells("high_risk", heads * np.array([0.0, 1.0]))
        ledger.add_cells(
            "quality", heads * quality[ledger.pair_locality, ledger.pair_option][per_pair]
        )
        ledger.add_cells(
            "waiting", heads * table.waiting[ledger.pair_locality, ledger.pair_option][per_pair]
        )
        ledger.add_cells(
            "emergency_total", sum(ledger.cells(a) for a in ("emergency", "acsc", "readmission"))
        )
        in_need = 1.0 - self.scenario.health.elective_above_need_share
        ledger.add_cells("elective_need", ledger.cells("expected_elective") * in_need)
        return ledger, deaths

    def record_deaths(self, ledger: Ledger, died: Deaths, threshold: float) -> None:
        """Deaths into the cells the dead were in, with the half year (on average) each lived."""
        if not len(died):
            return
        keys = ledger.keys(
            died["option"], died["locality"], died["age"], died["imd"], died["risk"] >= threshold
        )
        cell = RateTables.key(died["age"], died["sex"], died["imd"], died["conditions"])
        loss = died["health_loss"].astype(np.float32) * np.float32(0.5)
        lived = self.health.utility[cell] * np.float32(0.5) - loss
        ledger.add(keys, {"deaths": None, "qalys": lived, "qalys_lost": loss})

    def year_of_care(
        self,
        rows: slice,
        table: OptionTable,
        expected: dict[str, np.ndarray],
        elective_modifier: PatientValue,
        activity: Activity,
    ) -> dict[str, np.ndarray]:
        """The health state this year's care leaves (kept for next year's deaths); returns
        the year's health sums per patient, for the ledger."""
        pop = self.population
        option = pop.option[rows]
        key = expected["_key"]
        if isinstance(elective_modifier, PerPatient):
            elective_modifier = elective_modifier[slice(None)]
        counts = activity.counts
        admitted = (counts["elective"] + activity.emergency_total) > 0
        h = year_of_care(
            self.scenario.health,
            expected["elective"],
            elective_modifier,
            table.waiting[pop.locality[rows], option],
            pop.health_loss[rows],
            counts["acsc"],
            counts["readmission"],
            admitted,
            table.quality[pop.locality[rows], option],
            (self.health.utility[key], self.health.death[key], self.health.qalys_left[key]),
        )
        pop.health_loss[rows] = h.health_loss
        pop.excess_death_risk[rows] = h.excess_death_risk
        return {
            "unmet_need": h.unmet_need,
            "induced_electives": h.induced,
            "amenable_deaths": h.excess_death_risk,
            "qalys": h.qalys,
            "qalys_lost": h.qalys_lost,
        }

    def choose(
        self,
        rows: slice,
        year: int,
        table: OptionTable,
        high_risk: np.ndarray,
        index: int,
        local: LocalOptions,
        expected: dict[str, np.ndarray],
        ledger: Ledger,
    ) -> np.ndarray:
        """Annual choice for one chunk; returns True where a patient switched option.

        Utilities cover each patient's local options only (``local``, built from ``table``).
        Under selective acceptance the ICPs screen their applicants (on ``expected``, each
        patient's expected counts), the refused choose again, and every application is
        summed into ``ledger`` by the option applied to.
        """
        pop = self.population
        current, loc = pop.option[rows], pop.locality[rows]
        years = pop.years_enrolled[rows]  # a view: updated in place below
        u = stream(self.seed, self.replicate, "choice", year, index).random(
            len(current), dtype=np.float32
        )
        idx: slice | np.ndarray = slice(None)
        if not self.scenario.choice.enabled:
            must_move = ~table.available[loc, current]
            if not must_move.any():
                return np.zeros(len(current), dtype=bool)
            idx = np.flatnonzero(must_move)
        chosen = current.copy()
        chosen[idx] = self.choice_rule.choose_patients(local, pop, rows, high_risk, u, among=idx)
        if self.screen is not None:
            self.screen_applicants(rows, year, index, local, expected, high_risk, chosen, ledger)
        moved = chosen != current
        switched = moved & (years > 0)
        pop.previous_option[rows] = current
        pop.option[rows] = chosen
        years[moved] = 0
        return switched

    def utilise(
        self,
        rows: slice,
        year: int,
        expected: dict[str, np.ndarray],
        mods: dict[str, PatientValue],
        index: int,
    ) -> Activity:
        """One chunk's care: counts, readmissions and bed days after provider modifiers."""
        key = expected["_key"]
        tables = self.risk.tables
        m = rows.stop - rows.start
        rng = stream(self.seed, self.replicate, "utilisation", year, index)
        u = list(rng.random((len(COUNTED) + 1, m), dtype=np.float32))
        los = {kind: PerPatient(v, key) for kind, v in tables.los.items()}
        spread = AnnualSpread.draw(
            self.scenario.utilisation,
            stream(self.seed, self.replicate, "cost_spread", year, index),
            self.population.episode[rows],
        )
        return draw_counts(expected, mods, u, PerPatient(tables.readmission, key), los, spread)

    def screen_applicants(
        self,
        rows: slice,
        year: int,
        index: int,
        local: LocalOptions,
        expected: dict[str, np.ndarray],
        high_risk: np.ndarray,
        chosen: np.ndarray,
        ledger: Ledger,
    ) -> None:
        """Selective acceptance: the ICPs screen this chunk's applicants (``chosen`` is
        changed where the refused choose again); applications and refusals into ``ledger``."""
        assert self.screen is not None
        pop = self.population
        people = Applicants(
            pop, rows, expected, self.risk.tables.readmission[expected["_key"]], high_risk
        )
        rng = stream(self.seed, self.replicate, "acceptance", year, index)
        who, option, refused = self.screen.admit(
            self.choice_rule, local, people, pop.option[rows], chosen, rng
        )
        keys = ledger.keys(
            option, pop.locality[rows][who], pop.age[rows][who], pop.imd[rows][who], high_risk[who]
        )
        ledger.add(keys, {"applications": None, "refusals": refused})

    def experience(
        self,
        rows: slice,
        year: int,
        table: OptionTable,
        activity: Activity,
        unmet_need: np.ndarray,
        index: int,
    ) -> None:
        """This year's experience of care (:mod:`sim.patients.experience`): the option's
        quality, less penalties for what went wrong, plus noise (clipped to 0-1)."""
        pop = self.population
        z = stream(self.seed, self.replicate, "experience", year, index).standard_normal(
            rows.stop - rows.start, dtype=np.float32
        )
        option, counts = pop.option[rows], activity.counts
        lived = YearLived(
            quality=table.quality[pop.locality[rows], option],
            emergency=activity.emergency_total > 0,
            avoidable=counts["acsc"] > 0,
            unmet_need=unmet_need,
            elective=counts["elective"] > 0,
            wait_weeks=table.waiting[pop.locality[rows], option],
        )
        experience_of_care(self.scenario.choice, lived, z, pop.experience[rows])
