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
from sim.engine.discharge import discharge_year
from sim.engine.failures import close_failed_icps, hand_over_failed_trusts
from sim.engine.ledger import Ledger
from sim.engine.market import CommissionerMarket
from sim.engine.metrics_log import MetricsLog
from sim.engine.options import OptionTables
from sim.engine.panel import PatientPanel
from sim.engine.patients_year import PatientPass
from sim.engine.payments import payment_groups
from sim.engine.planning import YearPlan, YearPlanner
from sim.engine.quality_standard import england_standard
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
from sim.providers.social_care import LocalAuthority, SocialCareYear
from sim.providers.trusts import HospitalTrust


class ICSModel(mesa.Model):
    """Competing integrated care partnerships beside the fragmented default.

    Patients live in :attr:`population` (numpy arrays, one row each; see
    ``population.patient(row)`` for a readable view). Providers are Mesa agents.
    Each call to :meth:`step` simulates one year. ``panel``: how many patients to follow
    year by year (:attr:`panel`, a :class:`~sim.engine.panel.PatientPanel`; 0 for none).
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
        panel: int = 0,
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
        self.commissioner = Commissioner(self, self.rules, scenario.finance, scenario.commissioner)
        self.risk = RiskScorer(self.calibration)
        baseline_elective = self.risk.score_everyone(self.population, n_loc)

        # providers, each with its row in the books (every provider's accounts)
        self.books = ProviderAccounts()
        load = baseline_elective / scenario.hospital.reference_load  # by locality
        self.trusts = [
            HospitalTrust(self, f"trust_{loc.name}", li, load[li], scenario.hospital)
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
        cared = scenario.localities if scenario.social_care.enabled else []  # social care
        self.local_authorities = [
            LocalAuthority(self, f"social_care_{loc.name}", li) for li, loc in enumerate(cared)
        ]
        self.social_care: SocialCareYear | None = None
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
            practices=list(self.practices.values()),
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
            CommissionerMarket(self.commissioner, self.partnerships, self.option_tables),
            self.trusts,
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
        self.option_tables.quality_record.standard = england_standard(
            self.population, self.risk, self.patient_pass.health, scenario
        )  # what quality is measured against: the starting population at England's rates
        self.patient_pass.costs = CostRecord(scenario, self.calibration, self.population.n)
        self.cost_figures: dict[str, float] = {}  # the year's cost distribution (its metrics)
        self.ledger = self.patient_pass.empty_ledger.copy()  # the year's per-patient sums
        self.panel = self.patient_pass.panel = self._panel(panel)  # None: no panel asked for
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
            trust_host=self.option_tables.trust_host,  # changed as trusts fail (exit rule)
        )
        self.settlement = YearEndSettlement(self.market)
        self.state = self.year_state()  # before the first year: nothing has happened
        self.metrics = MetricsLog(scenario.scenario.name, self.replicate, self.options)

    # ------------------------------------------------------------------ the year

    def step(self) -> None:
        """Simulate one year, in this order (the only place the order is written):

        1. **Open and plan** (:mod:`sim.engine.planning`). The commissioner ends contracts
           failing a re-tender and defers entrants its entry terms do not admit
           (:mod:`sim.engine.market`); ICPs whose start year has come open; every contract
           sets its terms for the year (schedules) and the commissioner this year's rates
           (rebased, or bid by the ICPs). Every provider reads its contract's margins, the
           price it puts on quality and its own expectations, and sets this year's effort;
           their choices, and any scenario interventions, become rate modifiers; ICPs set
           their extra benefits and any top-up premium.
        2. **Patients' year** (:mod:`sim.engine.patients_year`), one pass over fixed-size
           chunks of patients, each seeing this year's option table
           (:mod:`sim.engine.options`):

           a. demography: ageing, new conditions, deaths, entrants;
           b. risk score from age, sex, deprivation, conditions and frailty
              (:mod:`sim.engine.risk`);
           c. annual choice of option (logit with inertia; mandatory acceptance, or ICPs
              screen applicants under selective acceptance, :mod:`sim.engine.acceptance`);
           d. utilisation drawn from baseline rates times provider modifiers;
           e. payments each patient brings under their option's contracts
              (:mod:`sim.engine.payments`);
           f. the health state this year's care leaves, and experience of care, which
              feeds next year's choice (:mod:`sim.patients.experience`);
           g. sums into the ledger (:mod:`sim.engine.ledger`).

           With ``[social_care]`` on, each locality's local authority then buys care
           packages for the discharges needing one, and delays beyond those the calibrated
           stays hold are booked as bed days (:mod:`sim.engine.discharge`).
        3. **Hospitals** set waiting times from elective demand against capacity
           (:mod:`sim.engine.waiting`), and every option's quality is measured from its
           patients' outcomes, to be published next year (:mod:`sim.engine.quality`).
        4. **Settlement** (:mod:`sim.engine.settlement`). Each contract is settled for the
           year (withholds, savings shares, corridors, marginal rates, blocks) into the
           settlement ledger, ICPs' at this year's rate less any claw-back and any top-up
           their members pay them as a premium; trusts, practices and ICPs book revenue
           and cost; ICPs update their expectations; the commissioner records what it
           paid; trusts left in deficit follow the scenario's ``[finance]`` rule
           (bail-out, takeover or carried forward), its cost booked to the commissioner.
        5. **Failures** (:mod:`sim.engine.failures`). An ICP whose reserves run out closes;
           its members choose again next year among the options still open (nobody is
           left unenrolled). A trust failed under the exit rule (step 4) hands its
           localities and part of its capacity to its successor at the next year's start.
        6. **Metrics** for the year are recorded (:mod:`sim.engine.metrics`).

        Steps 4 to 6 read the year's :class:`~sim.engine.state.YearState` (:attr:`state`),
        not the model.
        """
        self.year += 1
        hand_over_failed_trusts(self.market)
        self.plan = self.planner.plan(self.year)
        self.patients_year()
        self.discharges()
        set_waiting_times(
            self.ledger,
            self.plan,
            self.trust_pairs,
            self.trusts,
            self.partnerships,
            self.scenario.hospital,
            self.market.trust_hosts(),
        )
        self.option_tables.measure(self.year, self.ledger)
        self.state = self.year_state()
        self.settlement.settle(self.state)
        close_failed_icps(self.state)
        self.metrics.record(self.state)

    def patients_year(self) -> None:
        """Step 2: every patient's year, summed into :attr:`ledger` (deaths in :attr:`deaths`)."""
        table = self.option_table()
        n, r, cal = len(self.options), self.rules, self.calibration
        groups = payment_groups(n, r["gp"], r["hospital"], self.icps, cal.age_sex_prediction)
        self.ledger, self.deaths = self.patient_pass.run(self.year, table, self.modifiers, groups)
        self.cost_figures = self.patient_pass.costs.figures(self.population)

    def discharges(self) -> None:
        """Step 2, last: social care for the year's discharges (none without ``[social_care]``)."""
        if self.local_authorities:
            p, cost = self.scenario.social_care, self.costs.bed_day
            self.social_care = discharge_year(self.ledger, self.modifiers, cost, p)
            LocalAuthority.record(self.local_authorities, self.social_care)

    def year_state(self) -> YearState:
        """The year so far, as steps 4 to 6 read it (settlement first clears the settlement
        ledger, which every year reuses, then sets the transaction costs)."""
        return YearState(
            market=self.market,
            year=self.year,
            ledger=self.ledger,
            settlements=self.settlement_ledger,
            default_quality=self.option_tables.quality(self.year)[:, 0].astype(float),
            quality=self.option_tables.quality_record,
            transaction_costs=np.zeros(len(self.options)),
            social_care=self.social_care,
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

        ICPs on the same contract opening in the same year share one rule. An ICP's contract
        years run from its opening, so ICPs opening in different years get rules of their
        own. Rules pay each patient from that patient's own record, so a shared rule pays
        every ICP's enrolees exactly what separate copies would.
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

    def _panel(self, size: int) -> PatientPanel | None:
        """``size`` patients followed every year (:mod:`sim.engine.panel`); None for 0."""
        if size == 0:
            return None
        payers = {0: (self.rules["gp"], self.rules["hospital"])}
        payers.update({icp.option: (icp.rule,) for icp in self.icps})
        by_option = [payers[o] for o in range(len(self.options))]
        args = (self.seed_value, self.replicate, by_option, self.costs, self.partnerships)
        return PatientPanel(size, self.population, self.scenario, *args)

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
        if key not in self._expectations_by_rules:
            ctx = self.rule_context
            counts = dict(ctx.expected_counts, conditions=ctx.conditions)
            self._expectations_by_rules[key] = Expectations.of_reference(
                rule, purchase_rule, self.calibration.reference, counts, self.costs
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
