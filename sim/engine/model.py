"""The icsim model: a Mesa model of patients choosing each year between care systems.

This module sets the model up and writes the annual step order, in :meth:`ICSModel.step`
and only there; each step's work lives in its own module of :mod:`sim.engine`.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.base.heap import keep_heap_warm
from sim.config.scenario import Scenario
from sim.contracts.payment import PaymentRule, RuleContext, build_rule
from sim.engine.cost_concentration import CostRecord
from sim.engine.failures import close_failed_icps
from sim.engine.ledger import Ledger
from sim.engine.metrics import MetricsLog
from sim.engine.options import OptionTables
from sim.engine.patients_year import PatientPass
from sim.engine.payments import payment_groups
from sim.engine.planning import YearPlan, YearPlanner
from sim.engine.risk import RiskScorer
from sim.engine.settlement import YearEndSettlement
from sim.engine.settlement_ledger import SettlementLedger
from sim.engine.state import Market, YearState
from sim.engine.trust_contracts import TrustContracts
from sim.engine.waiting import set_waiting_times
from sim.patients.calibration import Calibration, calibrate
from sim.patients.choice import LogitChoice, OptionTable
from sim.patients.modifiers import RateModifiers
from sim.patients.population import Demography, Population, synthesize
from sim.providers.accounts import ProviderAccounts
from sim.providers.commissioner import Commissioner
from sim.providers.costs import HospitalCosts
from sim.providers.partnership_table import Expectations, Partnerships
from sim.providers.partnerships import IntegratedCarePartnership
from sim.providers.practices import GPPractice
from sim.providers.trusts import HospitalTrust


class ICSModel(mesa.Model):
    """Competing integrated care partnerships beside the fragmented default.

    Patients live in :attr:`population` (numpy arrays, one row each; see
    ``population.patient(row)`` for a readable view). Providers are Mesa agents.
    Each call to :meth:`step` simulates one year.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int | None = None,
        replicate: int = 0,
        patients: int | None = None,
        years: int | None = None,
        population: Population | None = None,
    ):
        keep_heap_warm()  # chunks reuse the heap's pages rather than fault them in again
        self.seed_value = int(scenario.run.seed if seed is None else seed)
        super().__init__(seed=self.seed_value + replicate)
        self.scenario = scenario
        self.replicate = int(replicate)
        self.n_years = int(years or scenario.run.years)
        self.year = 0
        self.options = scenario.option_names
        self.calibration: Calibration = calibrate(scenario)
        self.rates = self.calibration.rates
        self.costs = HospitalCosts(scenario.costs, scenario.utilisation)
        self.choice_rule = LogitChoice(scenario.choice)
        self.demography = Demography(scenario)
        n_opt, n_loc = len(self.options), len(scenario.localities)
        self.population = population or synthesize(
            scenario, int(patients or scenario.run.patients), self.seed_value, self.replicate
        )
        self.rule_context = RuleContext(self.calibration, scenario.conditions)
        self.rules, contract_starts = self._build_rules()
        self.commissioner = Commissioner(self, self.rules, scenario.finance)
        self.risk = RiskScorer(self.calibration)
        baseline_elective = self.risk.score_everyone(self.population, n_loc)

        # providers, each with its row in the books (every provider's accounts)
        self.books = ProviderAccounts()
        self.trusts = [
            HospitalTrust(
                self,
                f"trust_{loc.name}",
                li,
                baseline_elective[li] / scenario.hospital.reference_load,
                scenario.hospital,
            )
            for li, loc in enumerate(scenario.localities)
        ]
        self.practices: dict[int, GPPractice] = {
            li: GPPractice(self, f"practices_{loc.name}", li)
            for li, loc in enumerate(scenario.localities)
            if loc.fragmented_default
        }
        self.partnerships = Partnerships(  # ICPs' plans, a row each
            self.costs, scenario.behaviour, scenario.quality
        )
        self._expectations_by_rules: dict[tuple[int, int], Expectations] = {}
        self.icps = [self._make_icp(i) for i in range(len(scenario.icps))]
        self.practice_localities = np.array(list(self.practices), dtype=np.intp)  # in order
        # each kind of provider's rows in the books, in the order the model lists them
        self.book_rows = {
            kind: np.array([x.row for x in providers], dtype=np.intp)
            for kind, providers in (
                ("practices", self.practices.values()),
                ("trusts", self.trusts),
                ("icps", self.icps),
            )
        }

        # the year's steps, each set up with what it reads
        self.trust_contracts = TrustContracts.build(self.trusts, self.rules["hospital"], self.icps)
        self.trust_pairs = self.trust_contracts.pairs  # every cell a trust is paid for
        self.option_tables = OptionTables(
            scenario,
            self.options,
            self.trusts,
            self.icps,
            self.partnerships,
            self.seed_value,
            self.replicate,
        )
        self.planner = YearPlanner(
            scenario,
            self.calibration,
            self.costs,
            self.rules,
            contract_starts,
            list(self.practices.values()),
            self.practice_localities,
            self.partnerships,
            self.trust_contracts,
            self.option_tables,
        )
        self.plan = YearPlan(RateModifiers(n_opt, n_loc), np.ones(0))
        serves = np.zeros((n_opt, n_loc), dtype=bool)  # where patients can be
        serves[0] = True
        for icp in self.icps:
            serves[icp.option, icp.localities] = True
        self.patient_pass = PatientPass(
            self.population,
            scenario,
            self.seed_value,
            self.replicate,
            self.demography,
            self.choice_rule,
            self.risk,
            Ledger(n_opt, n_loc, serves),
        )
        self.patient_pass.costs = CostRecord(scenario, self.calibration, self.population.n)
        self.cost_figures: dict[str, float] = {}  # the year's cost distribution (its metrics)
        self.ledger = self.patient_pass.empty_ledger.copy()  # the year's per-patient sums
        self.deaths = 0
        self.settlement_ledger = SettlementLedger(n_opt, n_loc)  # the year's settlements
        self.market = Market(
            n_options=n_opt,
            rules=self.rules,
            costs=self.costs,
            behaviour=scenario.behaviour,
            cost_parameters=scenario.costs,
            practices=tuple(self.practices.values()),
            practice_localities=self.practice_localities,
            trusts=tuple(self.trusts),
            trust_pairs=self.trust_pairs,
            icps=tuple(self.icps),
            partnerships=self.partnerships,
            commissioner=self.commissioner,
            books=self.books,
            book_rows=self.book_rows,
            fragmented_default=self.option_tables.default_open,
            available=self.option_tables.available,
        )
        self.settlement = YearEndSettlement(self.market)
        self.state = self.year_state()  # before the first year: nothing has happened
        self.metrics = MetricsLog(scenario.scenario.name, self.replicate, self.options)

    # ------------------------------------------------------------------ the year

    def step(self) -> None:
        """Simulate one year, in this order (the only place the order is written):

        1. **Open and plan** (:mod:`sim.engine.planning`). ICPs whose start year has come
           open; every contract sets its terms for the year (schedules). Every provider
           reads its contract's margins, the price it puts on quality and its own
           expectations, and sets this year's effort; their choices, and any scenario
           interventions, become rate modifiers.
        2. **Patients' year** (:mod:`sim.engine.patients_year`), one pass over fixed-size
           chunks of patients, each seeing this year's option table
           (:mod:`sim.engine.options`):

           a. demography: ageing, new conditions, deaths, entrants;
           b. risk score from age, sex, deprivation, conditions and frailty
              (:mod:`sim.engine.risk`);
           c. annual choice of option (logit with inertia; mandatory acceptance);
           d. utilisation drawn from baseline rates times provider modifiers;
           e. payments each patient brings under their option's contracts
              (:mod:`sim.engine.payments`);
           f. experience of care, which feeds next year's choice;
           g. sums into the ledger (:mod:`sim.engine.ledger`).
        3. **Hospitals** set waiting times from elective demand against capacity
           (:mod:`sim.engine.waiting`), and every option's quality is measured from its
           patients' outcomes, to be published next year (:mod:`sim.engine.quality`).
        4. **Settlement** (:mod:`sim.engine.settlement`). Each contract is settled for the
           year (withholds, savings shares, corridors, marginal rates, blocks) into the
           settlement ledger; trusts, practices and ICPs book revenue and cost; ICPs update
           their expectations; the commissioner records what it paid; trusts left in
           deficit follow the scenario's ``[finance]`` rule (bail-out, takeover or
           carried forward), its cost booked to the commissioner.
        5. **Failures** (:mod:`sim.engine.failures`). An ICP whose reserves run out closes;
           its members choose again next year among the options still open (nobody is
           left unenrolled).
        6. **Metrics** for the year are recorded (:mod:`sim.engine.metrics`).

        Steps 4 to 6 read the year's :class:`~sim.engine.state.YearState` (:attr:`state`),
        not the model.
        """
        self.year += 1
        self.plan = self.planner.plan(self.year)
        self.patients_year()
        set_waiting_times(
            self.ledger,
            self.plan,
            self.trust_pairs,
            self.trusts,
            self.partnerships,
            self.scenario.hospital,
        )
        self.option_tables.measure(self.year, self.ledger)
        self.state = self.year_state()
        self.settlement.settle(self.state)
        close_failed_icps(self.state)
        self.metrics.record(self.state)

    def patients_year(self) -> None:
        """Step 2: every patient's year, summed into :attr:`ledger` (deaths in :attr:`deaths`)."""
        table = self.option_table()
        groups = payment_groups(
            len(self.options),
            self.rules["gp"],
            self.rules["hospital"],
            self.icps,
            self.calibration.age_sex_prediction,
        )
        self.ledger, self.deaths = self.patient_pass.run(self.year, table, self.modifiers, groups)
        self.cost_figures = self.patient_pass.costs.figures(self.population)

    def year_state(self) -> YearState:
        """The year so far, as steps 4 to 6 read it (settlement first clears the settlement
        ledger, which every year reuses, then sets the transaction costs)."""
        return YearState(
            market=self.market,
            year=self.year,
            ledger=self.ledger,
            settlements=self.settlement_ledger,
            default_quality=float(self.option_tables.quality(self.year)[0]),
            quality=self.option_tables.quality_record,
            transaction_costs=np.zeros(len(self.options)),
            cost_figures=self.cost_figures,
        )

    def run(self) -> MetricsLog:
        """Simulate every year of the scenario; returns the metrics (``.frame()`` for a table)."""
        for _ in range(self.n_years - self.year):
            self.step()
        return self.metrics

    # ------------------------------------------------------------------ set-up

    def _build_rules(self) -> tuple[dict[str, PaymentRule], list[tuple[PaymentRule, int]]]:
        """One rule per role, and each distinct rule with the year its contract starts.

        ICPs on the same contract opening in the same year share one rule. An ICP's contract years run from its opening, so ICPs opening in different years
        get rules of their own. Rules pay each patient from that patient's own record, so
        a shared rule pays every ICP's enrolees exactly what separate copies would.
        """
        c, cal, ctx = self.scenario.contracts, self.calibration, self.rule_context
        rules = {
            "hospital": build_rule(c["hospital"], "hospital", cal, ctx),
            "gp": build_rule(c["gp"], "primary_care", cal, ctx),
            "icp_hospital": build_rule(c["icp_hospital"], "hospital", cal, ctx),
        }
        starts = [(rule, 1) for rule in rules.values()]
        shared: dict[tuple[str, int], PaymentRule] = {}
        for icp in self.scenario.icps:
            key = (icp.contract, icp.start_year)
            if key not in shared:
                shared[key] = build_rule(c[icp.contract], "all", cal, ctx)
                starts.append((shared[key], icp.start_year))
            rules[icp.name] = shared[key]
        return rules, starts

    def _make_icp(self, i: int) -> IntegratedCarePartnership:
        config = self.scenario.icps[i]
        loc_index = {loc.name: li for li, loc in enumerate(self.scenario.localities)}
        rule = self.rules[config.name]
        purchase = None if config.integration == "vertical" else self.rules["icp_hospital"]
        icp = IntegratedCarePartnership(
            self,
            config,
            i + 1,
            [loc_index[n] for n in config.localities],
            rule,
            purchase,
            Expectations(0, 0, 0, 0, 0, 0, 0),
            self.scenario.costs.management_per_enrolee,
            self.scenario.hospital.waiting_weeks_base,
            self.scenario.costs.icp_fixed_cost_per_resident,
        )
        icp.expect = self._first_expectations(rule, purchase)
        return icp

    def _first_expectations(
        self, rule: PaymentRule, purchase_rule: PaymentRule | None
    ) -> Expectations:
        """Before any year is observed, an ICP expects the England reference population.

        That depends only on its contract's rule and the rule it buys hospital care under
        (none: a vertical ICP's own hospital), so ICPs sharing both share the answer.
        """
        key = (id(rule), id(purchase_rule))
        if key in self._expectations_by_rules:
            return self._expectations_by_rules[key]
        ref = self.calibration.reference
        counts = dict(self.rule_context.expected_counts, conditions=self.rule_context.conditions)
        revenue = rule.patient_payments(counts, ref["age"], ref["sex"], ref["risk"])
        care = counts["gp_consultation"] * self.costs.gp_consultation
        if purchase_rule is None:
            care = care + sum(self.costs.fixed[a] * counts[a] for a in self.costs.fixed)
            care = care + ref["bed_days"] * self.costs.bed_day
        else:
            care = care + purchase_rule.patient_payments(
                counts, ref["age"], ref["sex"], ref["risk"]
            )
        hr = ref["high_risk"]
        self._expectations_by_rules[key] = Expectations(
            revenue=float(revenue.mean()),
            care_cost=float(care.mean()),
            revenue_high_risk=float(revenue[hr].mean()),
            care_cost_high_risk=float(care[hr].mean()),
            acsc_high_risk=float(ref["acsc"][hr].mean()),
            other_emergency_high_risk=float(ref["emergency"][hr].mean()),
            bed_days_high_risk=float(ref["bed_days"][hr].mean()),
        )
        return self._expectations_by_rules[key]

    # ------------------------------------------------------------------ convenience

    @property
    def modifiers(self) -> RateModifiers:
        """This year's rate modifiers, from its plan."""
        return self.plan.modifiers

    def option_table(self) -> OptionTable:
        """What patients see of each option in each locality this year."""
        return self.option_tables.table(self.year)

    def paid(self, quantity: str, **where) -> float:
        """GBP of ``quantity`` in the cells: payments as care happened plus settlements."""
        return self.state.paid(quantity, **where)

    def describe(self) -> str:
        names = ", ".join(self.options)
        return (
            f"{self.population.n:,} patients in {len(self.scenario.localities)} localities; "
            f"options: {names}; year {self.year} of {self.n_years}"
        )


__all__ = ["ICSModel"]
