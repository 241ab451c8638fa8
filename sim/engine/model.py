"""The icsim model: a Mesa model of patients choosing each year between care systems.

The annual step order lives in :meth:`ICSModel.step`, and only there.
"""

from __future__ import annotations

from functools import cached_property

import mesa
import numpy as np

from sim.base.heap import keep_heap_warm
from sim.base.rng import chunks, stream
from sim.config.scenario import FRAGMENTED, Prices, Scenario
from sim.contracts.payment import PaymentRule, RuleContext, build_rule
from sim.engine.ledger import Ledger
from sim.engine.metrics import MetricsLog
from sim.engine.settlement import SettlementBook, YearEndAccounts
from sim.patients import epidemiology as epi
from sim.patients.calibration import Calibration, calibrate
from sim.patients.choice import LocalOptions, LogitChoice, OptionTable
from sim.patients.modifiers import RateModifiers
from sim.patients.population import Demography, Population, synthesize
from sim.patients.utilisation import COUNTED, CountsSubset, PerPatient, draw_counts
from sim.providers.accounts import ProviderAccounts as Books
from sim.providers.commissioner import Commissioner
from sim.providers.costs import HospitalCosts
from sim.providers.partnership_table import Expectations, Partnerships
from sim.providers.partnerships import IntegratedCarePartnership
from sim.providers.practices import GPPractice
from sim.providers.trusts import HospitalTrust, waiting_weeks

PAID = ("gp_consultation", "outpatient", "elective", "emergency", "ae")
NATIONAL_PRICES = Prices().as_dict()  # risk scores are expected cost at national prices


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
        n_loc = len(scenario.localities)
        self.population = population or synthesize(
            scenario, int(patients or scenario.run.patients), self.seed_value, self.replicate
        )
        self.rule_context = RuleContext(self.calibration, scenario.conditions)
        self.rules = self._build_rules()
        self.commissioner = Commissioner(self, self.rules)
        self.accounts = SettlementBook(len(self.options), n_loc)
        self.year_end = YearEndAccounts(self)
        self.transaction_costs = np.zeros(len(self.options))  # GBP this year, by option
        # each trust_pairs cell's supplier elective factor, and the capacity staffed to it
        self.supplier_volume = self._staffing = np.ones(0)
        baseline_elective = self._score_risk()
        self.books = Books()  # every provider's accounts, a row each
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
        self.practices = {
            li: GPPractice(self, f"practices_{loc.name}", li)
            for li, loc in enumerate(scenario.localities)
            if loc.fragmented_default
        }
        self.partnerships = Partnerships(self.costs, scenario.behaviour)  # ICPs' plans, a row each
        self._expectations_by_rules: dict[tuple[int, int], Expectations] = {}
        self.icps = [self._make_icp(i) for i in range(len(scenario.icps))]
        self._default_open = np.array(
            [loc.fragmented_default for loc in scenario.localities], dtype=bool
        )
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
        served = [(i, li) for i, icp in enumerate(self.icps) for li in icp.localities]
        self._icp_cells = (
            np.array([i for i, _ in served], dtype=np.intp),  # ICP index,
            np.array([li for _, li in served], dtype=np.intp),
        )  # a locality it serves
        # each locality's trust is paid, for each option, by: the fragmented default's rule,
        # then each virtual ICP's serving the locality (open or not); fixed once ICPs exist
        self._paid_at_trust = [
            [(0, self.rules["hospital"])]
            + [
                (icp.option, icp.purchase_rule)
                for icp in self.icps
                if not icp.vertical and li in icp.localities
            ]
            for li in range(n_loc)
        ]
        pairs = [(o, li) for li in range(n_loc) for o, _ in self._paid_at_trust[li]]
        # each set of prices paying trusts (rules that pass on another's prices share it),
        # with the first trust it pays, and each trust cell's prices
        first: dict[int, int] = {}
        self._trust_rules: list[tuple[HospitalTrust, PaymentRule]] = []
        for li in range(n_loc):
            for _, rule in self._paid_at_trust[li]:
                prices = rule.pricing_rule
                if id(prices) not in first:
                    first[id(prices)] = len(self._trust_rules)
                    self._trust_rules.append((self.trusts[li], prices))
        self._trust_rule_of_cell = np.array(
            [
                first[id(rule.pricing_rule)]
                for li in range(n_loc)
                for _, rule in self._paid_at_trust[li]
            ],
            dtype=np.intp,
        )
        # (options, localities): every cell whose hospital care a trust is paid for
        self.trust_pairs = tuple(np.array(v, dtype=np.intp) for v in zip(*pairs, strict=True))
        self.modifiers = RateModifiers(len(self.options), n_loc)
        serves = np.zeros((len(self.options), n_loc), dtype=bool)  # where patients can be
        serves[0] = True
        for icp in self.icps:
            serves[icp.option, icp.localities] = True
        self._empty_ledger = Ledger(len(self.options), n_loc, serves)  # each year starts a copy
        self.ledger = self._empty_ledger.copy()
        self.deaths = 0
        self._local: LocalOptions | None = None  # last year's, whose layout a year can reuse
        self.metrics = MetricsLog(scenario.scenario.name, self.replicate, self.options)

    # ------------------------------------------------------------------ the year

    def step(self) -> None:
        """Simulate one year, in this order (the only place the order is written):

        1. **Open and plan.** ICPs whose start year has come open; every contract sets
           its terms for the year (schedules). Every provider reads its contract's
           margins, the price it puts on quality and its own expectations, and sets this
           year's effort; their choices, and any scenario interventions, become rate
           modifiers.
        2. **Patients' year**, one pass over fixed-size chunks of patients:
           a. demography: ageing, new conditions, deaths, entrants;
           b. risk score from age, sex, deprivation, conditions and frailty;
           c. annual choice of option (logit with inertia; mandatory acceptance);
           d. utilisation drawn from baseline rates times provider modifiers;
           e. payments each patient brings under their option's contracts;
           f. experience of care, which feeds next year's choice;
           g. sums into the ledger.
        3. **Hospitals** set waiting times from elective demand against capacity.
        4. **Accounts.** Each contract is settled for the year (withholds, savings
           shares, corridors, marginal rates, blocks); trusts, practices and ICPs book
           revenue and cost; ICPs update their expectations; the commissioner records
           what it paid.
        5. **Failures.** An ICP whose reserves run out closes; its members choose again
           next year among the options still open (nobody is left unenrolled).
        6. **Metrics** for the year are recorded.
        """
        self.year += 1
        self._open_and_plan()
        self._patients_year()
        self._set_waiting_times()
        self._settle_accounts()
        self._close_failed_icps()
        self.metrics.record(self)

    def run(self) -> MetricsLog:
        """Simulate every year of the scenario; returns the metrics (``.frame()`` for a table)."""
        for _ in range(self.n_years - self.year):
            self.step()
        return self.metrics

    # ------------------------------------------------------------------ set-up

    def _build_rules(self) -> dict[str, PaymentRule]:
        """One rule per role; ICPs on the same contract opening in the same year share one.

        An ICP's contract years run from its opening, so ICPs opening in different years
        get rules of their own. Rules pay each patient from that patient's own record, so
        a shared rule pays every ICP's enrolees exactly what separate copies would.
        """
        c, cal, ctx = self.scenario.contracts, self.calibration, self.rule_context
        rules = {
            "hospital": build_rule(c["hospital"], "hospital", cal, ctx),
            "gp": build_rule(c["gp"], "primary_care", cal, ctx),
            "icp_hospital": build_rule(c["icp_hospital"], "hospital", cal, ctx),
        }
        self._contract_starts = [(rule, 1) for rule in rules.values()]
        shared: dict[tuple[str, int], PaymentRule] = {}
        for icp in self.scenario.icps:
            key = (icp.contract, icp.start_year)
            if key not in shared:
                shared[key] = build_rule(c[icp.contract], "all", cal, ctx)
                self._contract_starts.append((shared[key], icp.start_year))
            rules[icp.name] = shared[key]
        return rules

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

    def _score_risk(self) -> np.ndarray:
        """Set every patient's risk score; returns baseline elective demand by locality."""
        pop = self.population
        demand = np.zeros(len(self.scenario.localities))
        for _, rows in chunks(pop.n):
            expected = self._risk_chunk(rows)
            demand += np.bincount(
                pop.locality[rows], weights=expected["elective"], minlength=len(demand)
            )
        return demand

    def _risk_chunk(self, rows: slice) -> dict[str, np.ndarray]:
        """Store risk scores for ``rows``; return their baseline expected counts (float32).

        Every formula is looked up by (age, sex, IMD, conditions) cell in the rate tables
        and scaled by frailty; risk is expected cost at national prices over England's mean.
        ``_key`` (each patient's cell) rides along for the later steps.
        """
        pop = self.population
        tables = self.rates.tables
        key = tables.key(pop.age[rows], pop.sex[rows], pop.imd[rows], pop.conditions[rows])
        frailty = pop.frailty[rows].astype(np.float32)
        expected = {}
        for a in COUNTED:
            lam = tables.expected[a][key]
            lam *= frailty
            expected[a] = lam
        risk = self.risk_table[key]
        risk *= frailty
        pop.risk[rows] = risk
        expected["_key"] = key
        return expected

    # ------------------------------------------------------------------ 1. open and plan

    def _open_and_plan(self) -> None:
        behaviour = self.scenario.behaviour
        for rule, start_year in self._contract_starts:
            rule.begin_year(max(1, self.year - start_year + 1))  # contract years from opening
        icps = self.partnerships  # every ICP open this year plans, all of them at once
        open_icps = icps.open_due(self.year)
        icps.contestable[open_icps] = (self._contestable() & self.scenario.choice.enabled)[
            open_icps
        ]
        icps.set_peer_quality(open_icps)
        icps.plan(open_icps)
        self.modifiers = RateModifiers(len(self.options), len(self.scenario.localities))
        if self.practices:  # one contract pays them all, so every practice plans alike
            first, *others = self.practices.values()
            first.plan(self.rules["gp"], self.costs, behaviour, self.high_risk_rates)
            for practice in others:
                practice.follow(first)
            self.modifiers.apply(
                first.rate_factors(behaviour), option=0, locality=self.practice_localities
            )
        self._apply_trust_responses()
        self.modifiers.apply(icps.rate_factors(open_icps), option=icps.option[open_icps])
        for iv in self.scenario.interventions:
            if iv.start_year <= self.year <= iv.end_year and iv.value != "quality":
                option = None if iv.option == "all" else self.options.index(iv.option)
                self.modifiers.scale(iv.value, iv.factor, option=option)

    def _contestable(self) -> np.ndarray:
        """Whether each ICP has a rival (another open option) in any locality it serves."""
        rivals = self._available().sum(axis=1) > 1
        icp, loc = self._icp_cells
        return np.bincount(icp, weights=rivals[loc], minlength=len(self.icps)) > 0

    def _apply_trust_responses(self) -> None:
        """Each trust's volume, admission and readmission response to each contract paying it.

        A response depends only on the paying rule, so it is worked out once per rule and
        written, as rate modifiers, into every (option, locality) cell the rule pays for.
        Each cell's elective factor and the capacity staffed to it are kept for the waits.
        """
        b, costs = self.scenario.behaviour, self.costs
        staffing_response = self.scenario.hospital.capacity_margin_response
        responses = []
        for trust, rule in self._trust_rules:
            volume = trust.induced_volume(rule, "elective", costs, b.induced_demand_elasticity)
            responses.append(
                (
                    volume,
                    trust.induced_volume(rule, "outpatient", costs, b.induced_demand_elasticity),
                    trust.admission_volume(rule, costs, b.emergency_admission_elasticity),
                    trust.readmissions(rule, costs, b),
                    volume**staffing_response,
                )
            )  # capacity staffed to a share of volume
        by_cell = np.array(responses)[self._trust_rule_of_cell]
        elective, outpatient, admissions, readmissions, staffing = by_cell.T
        cells = self.trust_pairs
        for rate, factor in (
            ("elective", elective),
            ("outpatient", outpatient),
            ("emergency", admissions),
            ("acsc", admissions),
            ("readmission", readmissions),
        ):
            self.modifiers.scale_cells(rate, factor, *cells)
        self.supplier_volume = elective
        self._staffing = staffing

    @cached_property
    def risk_table(self) -> np.ndarray:
        """Risk score of each (age, sex, IMD, conditions) cell at frailty 1: it never changes."""
        return self.calibration.risk_score(self.rates.tables.expected_cost(NATIONAL_PRICES))

    @cached_property
    def high_risk_rates(self) -> dict[str, float]:
        """ACSC and other emergency admissions per high-risk patient-year at England rates."""
        ref = self.calibration.reference
        hr = ref["high_risk"]
        return {
            "acsc": float(ref["acsc"][hr].mean()),
            "emergency": float(ref["emergency"][hr].mean()),
        }

    def option_quality(self) -> np.ndarray:
        """Quality index of each option this year, after interventions."""
        q = np.concatenate(
            [[self.scenario.behaviour.quality_base], self.partnerships.quality]
        ).astype(np.float32)
        for iv in self.scenario.interventions:
            if iv.start_year <= self.year <= iv.end_year and iv.value == "quality":
                sel = slice(None) if iv.option == "all" else self.options.index(iv.option)
                q[sel] *= iv.factor
        return np.clip(q, 0.0, 1.0)

    def _available(self) -> np.ndarray:
        """Which options are open in each locality: (localities, options)."""
        available = np.zeros((len(self.scenario.localities), len(self.options)), dtype=bool)
        available[:, 0] = self._default_open
        icp, loc = self._icp_cells
        available[loc, icp + 1] = self.partnerships.is_open[icp]
        return available

    @cached_property
    def _sites(self) -> tuple[np.ndarray, np.ndarray]:
        """Where each option's main site is in each locality (NaN: local practices), and
        each locality's radius in km: fixed by the scenario."""
        locs = self.scenario.localities
        site = np.full((len(locs), len(self.options)), np.nan, dtype=np.float32)
        icp, loc = self._icp_cells
        site[loc, icp + 1] = np.array([x.config.site_position for x in self.icps])[icp]
        radius = np.array([loc.radius_km for loc in locs], dtype=np.float32)
        site.flags.writeable = radius.flags.writeable = False  # every year's table shares them
        return site, radius

    def option_table(self) -> OptionTable:
        """What patients see of each option in each locality."""
        n_loc, n_opt = len(self.scenario.localities), len(self.options)
        available = self._available()
        waiting = np.zeros((n_loc, n_opt), dtype=np.float32)
        site, radius_km = self._sites
        selection = np.zeros((n_loc, n_opt), dtype=np.float32)
        trust_waiting = np.array([trust.waiting_weeks for trust in self.trusts])
        waiting[:, 0] = trust_waiting
        # every (ICP, locality it serves) cell at once: icp indexes self.icps
        icp, loc = self._icp_cells
        option = icp + 1
        icps = self.partnerships  # a vertical ICP's own hospital, else the local trust
        waiting[loc, option] = np.where(
            icps.vertical[icp], icps.waiting_weeks[icp], trust_waiting[loc]
        )
        selection[loc, option] = icps.selection[icp]
        quality = np.broadcast_to(self.option_quality(), (n_loc, n_opt))
        return OptionTable(
            available=available,
            quality=quality,
            waiting=waiting,
            selection=selection,
            site=site,
            radius_km=radius_km,
        )

    # ------------------------------------------------------------------ 2. patients' year

    def _patients_year(self) -> None:
        pop = self.population
        self.ledger = ledger = self._empty_ledger.copy()
        table = self.option_table()
        self._local = local = LocalOptions.from_table(table, self.scenario.choice, self._local)
        quality = table.quality[0]
        threshold = self.scenario.behaviour.high_risk_threshold
        heads = np.zeros(ledger.cell_shape)
        groups = self._payment_groups()  # contracts are fixed for the year
        self.deaths = 0
        for index, rows in chunks(pop.n):
            self.deaths += self.demography.step_chunk(
                pop, rows, stream(self.seed_value, self.replicate, "demography", self.year, index)
            )
            expected = self._risk_chunk(rows)
            high_risk = pop.risk[rows] >= threshold
            switched = self._choose(rows, table, high_risk, index, local)
            activity = self._utilise(rows, expected, high_risk, index)
            payments = self._payments(rows, activity, groups)
            self._experience(rows, quality, activity, index)
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
                },
            )
        # quantities that are the same for everyone in a cell follow from its head count
        per_pair = (slice(None), None, None, None)
        ledger.add_cells("high_risk", heads * np.array([0.0, 1.0]))
        ledger.add_cells("quality", heads * quality[ledger.pair_option][per_pair])
        ledger.add_cells(
            "waiting", heads * table.waiting[ledger.pair_locality, ledger.pair_option][per_pair]
        )
        ledger.add_cells(
            "emergency_total", sum(ledger.cells(a) for a in ("emergency", "acsc", "readmission"))
        )

    def _choose(
        self,
        rows: slice,
        table: OptionTable,
        high_risk: np.ndarray,
        index: int,
        local: LocalOptions | None = None,
    ) -> np.ndarray:
        """Annual choice for one chunk; returns True where a patient switched option.

        Utilities cover each patient's local options only (``local``, built from ``table``).
        """
        pop = self.population
        local = local or LocalOptions.from_table(table, self.scenario.choice)
        current, loc = pop.option[rows], pop.locality[rows]
        years = pop.years_enrolled[rows]  # a view: updated in place below
        u = stream(self.seed_value, self.replicate, "choice", self.year, index).random(
            len(current), dtype=np.float32
        )
        idx: slice | np.ndarray = slice(None)
        if not self.scenario.choice.enabled:
            must_move = ~table.available[loc, current]
            if not must_move.any():
                return np.zeros(len(current), dtype=bool)
            idx = np.flatnonzero(must_move)
        inertia = self.choice_rule.inertia(
            pop.age[rows][idx], pop.conditions[rows][idx] > 0, years[idx]
        )
        utilities = self.choice_rule.local_utilities(
            local,
            current[idx],
            loc[idx],
            pop.position[rows][idx],
            high_risk[idx],
            pop.experience[rows][idx],
            inertia,
        )
        chosen = current.copy()
        chosen[idx] = self.choice_rule.choose_local(local, loc[idx], utilities, u[idx])
        moved = chosen != current
        switched = moved & (years > 0)
        pop.previous_option[rows] = current
        pop.option[rows] = chosen
        years[moved] = 0
        return switched

    def _utilise(
        self, rows: slice, expected: dict[str, np.ndarray], high_risk: np.ndarray, index: int
    ):
        pop = self.population
        key = expected["_key"]
        tables = self.rates.tables
        m = rows.stop - rows.start
        mods = self.modifiers.for_patients(pop.option[rows], pop.locality[rows], high_risk)
        rng = stream(self.seed_value, self.replicate, "utilisation", self.year, index)
        u = list(rng.random((len(COUNTED) + 1, m), dtype=np.float32))
        los = {kind: PerPatient(v, key) for kind, v in tables.los.items()}
        return draw_counts(expected, mods, u, PerPatient(tables.readmission, key), los)

    def _payments(
        self, rows: slice, activity, groups: tuple[np.ndarray, list[tuple]]
    ) -> dict[str, np.ndarray]:
        """What each patient brings in: from the commissioner, and to the hospital.

        Patients are sorted once (a stable sort) by the rules that pay them, so each rule
        sees its patients as one contiguous slice, without a pass over the chunk per
        option; a rule is handed only the activity counts it asks for.
        """
        pop = self.population
        option = pop.option[rows]
        counts = {a: activity.counts[a] for a in PAID if a != "emergency"}
        counts["emergency"] = activity.emergency_total
        counts.update(
            acsc=activity.counts["acsc"],
            readmission=activity.counts["readmission"],
            conditions=pop.conditions[rows],
        )  # for bundles and readmission rules
        n = len(option)
        group_of, payers = groups  # see _payment_groups
        group = group_of[option]
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(len(payers) + 1))
        by_group = CountsSubset(counts, order)  # counts in group order, gathered on demand
        age, sex, risk = pop.age[rows][order], pop.sex[rows][order], pop.risk[rows][order]
        commissioner, gp, hospital = np.zeros(n), np.zeros(n), np.zeros(n)
        for g, (rule, hospital_rule, fragmented) in enumerate(payers):
            if bounds[g] == bounds[g + 1]:
                continue
            sel = slice(bounds[g], bounds[g + 1])
            sub = CountsSubset(by_group, sel)
            a, s, r = age[sel], sex[sel], risk[sel]
            paid = rule.patient_payments(sub, a, s, r)
            to_hospital = (
                hospital_rule.patient_payments(sub, a, s, r) if hospital_rule is not None else 0.0
            )
            if fragmented:
                gp[sel] = paid
                commissioner[sel] = paid + to_hospital
            else:
                commissioner[sel] = paid
            hospital[sel] = to_hospital
        out = {}
        for name, sorted_values in (
            ("commissioner_payment", commissioner),
            ("gp_payment", gp),
            ("hospital_payment", hospital),
        ):
            out[name] = np.empty(n)
            out[name][order] = sorted_values  # back to the chunk's row order
        return out

    def _payment_groups(self) -> tuple[np.ndarray, list[tuple]]:
        """Options whose patients the same rules pay: each option's group, and each group's
        (rule, hospital rule or None, fragmented) - so England's 70-odd ICPs on one
        contract are paid in a call or two rather than one call each.
        """
        group_of = np.zeros(len(self.options), dtype=np.uint8)  # small ints sort in linear time
        payers: list[tuple] = []
        found: dict[tuple, int] = {}
        for o, rule, hospital_rule, fragmented in [
            (0, self.rules["gp"], self.rules["hospital"], True)
        ] + [(icp.option, icp.rule, icp.purchase_rule, False) for icp in self.icps]:
            payer = (
                rule.payments_rule,
                None if hospital_rule is None else hospital_rule.payments_rule,
                fragmented,
            )
            key = tuple(id(x) for x in payer)
            if key not in found:
                found[key] = len(payers)
                payers.append(payer)
            group_of[o] = found[key]
        return group_of, payers

    def _experience(self, rows: slice, quality: np.ndarray, activity, index: int) -> None:
        p = self.scenario.choice
        pop = self.population
        z = stream(self.seed_value, self.replicate, "experience", self.year, index).standard_normal(
            rows.stop - rows.start, dtype=np.float32
        )
        value = quality[pop.option[rows]]
        value -= np.float32(p.experience_admission_penalty) * (activity.emergency_total > 0)
        z *= np.float32(p.experience_noise)
        value += z
        np.clip(value, 0.0, 1.0, out=pop.experience[rows])

    # ------------------------------------------------------------------ 3. hospitals

    def _set_waiting_times(self) -> None:
        """Waits from referred demand against capacity staffed to each provider's margin.

        A trust's elective volume for each paying contract is its referrals times its
        supplier factor; it staffs capacity with a share (``capacity_margin_response``) of
        that factor, so a contract that stops paying for activity lengthens waits.
        """
        L, h = self.ledger, self.scenario.hospital
        option, locality = self.trust_pairs
        factor = self.supplier_volume
        demand = (
            L.pair_sums(("elective",), option, locality)[0]
            * self.year_end.bought("elective")[option]
        )
        referred = np.bincount(locality, weights=demand / factor, minlength=len(self.trusts))
        staffed = np.bincount(
            locality, weights=demand / factor * self._staffing, minlength=len(self.trusts)
        )
        share = np.divide(staffed, referred, out=np.ones_like(referred), where=referred > 0)
        HospitalTrust.update_waits(self.trusts, referred, share, h)
        icps = self.partnerships  # a vertical ICP's own hospital, staffed to expected demand
        own = np.flatnonzero(icps.vertical & icps.is_open)
        expected, elective = L.option_sums(("expected_elective", "elective"))[:, icps.option[own]]
        icps.capacity[own] = np.maximum(expected / h.reference_load, 1e-9)
        icps.waiting_weeks[own] = waiting_weeks(elective / icps.capacity[own], h)

    # ------------------------------------------------------------------ 4-5. accounts, failures

    def _settle_accounts(self) -> None:
        """Step 4, the year-end accounts: see :meth:`sim.engine.settlement.YearEndAccounts.settle`."""
        self.year_end.settle()

    def _close_failed_icps(self) -> None:
        """Step 5: see :meth:`sim.engine.settlement.YearEndAccounts.close_failed_icps`."""
        self.year_end.close_failed_icps()

    # ------------------------------------------------------------------ convenience

    def paid(self, quantity: str, **where) -> float:
        """GBP of ``quantity`` in the cells: payments as care happened plus settlements."""
        return self.year_end.paid(quantity, **where)

    def describe(self) -> str:
        names = ", ".join(self.options)
        return (
            f"{self.population.n:,} patients in {len(self.scenario.localities)} localities; "
            f"options: {names}; year {self.year} of {self.n_years}"
        )


__all__ = ["ICSModel", "FRAGMENTED", "SettlementBook", "epi"]
