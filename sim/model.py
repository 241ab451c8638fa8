"""The icsim model: a Mesa model of patients choosing each year between care systems.

The annual step order lives in :meth:`ICSModel.step`, and only there.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim import epidemiology as epi
from sim.agents import (
    Commissioner,
    Expectations,
    GPPractice,
    HospitalCosts,
    HospitalTrust,
    IntegratedCarePartnership,
    waiting_weeks,
)
from sim.calibration import Calibration, calibrate
from sim.choice import LogitChoice, OptionTable
from sim.ledger import Ledger
from sim.metrics import year_metrics
from sim.modifiers import RateModifiers
from sim.payment import PaymentRule, build_rule
from sim.population import Demography, Population, synthesize
from sim.rng import chunks, stream
from sim.scenario import FRAGMENTED, Prices, Scenario
from sim.utilisation import COUNTED, draw_activity, expected_cost

PAID = ("gp_consultation", "outpatient", "elective", "emergency", "ae")
NATIONAL_PRICES = Prices().as_dict()  # risk scores are expected cost at national prices


class ICSModel(mesa.Model):
    """Competing integrated care partnerships beside the fragmented default.

    Patients live in :attr:`population` (numpy arrays, one row each; see
    ``population.patient(row)`` for a readable view). Providers are Mesa agents.
    Each call to :meth:`step` simulates one year.
    """

    def __init__(self, scenario: Scenario, *, seed: int | None = None, replicate: int = 0,
                 patients: int | None = None, years: int | None = None,
                 population: Population | None = None):
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
            scenario, int(patients or scenario.run.patients), self.seed_value, self.replicate)
        self.rules = self._build_rules()
        self.commissioner = Commissioner(self, self.rules)
        baseline_elective = self._score_risk()
        self.trusts = [HospitalTrust(self, f"trust_{loc.name}", li,
                                     baseline_elective[li] / scenario.hospital.reference_load,
                                     scenario.hospital)
                       for li, loc in enumerate(scenario.localities)]
        self.practices = {li: GPPractice(self, f"practices_{loc.name}", li)
                          for li, loc in enumerate(scenario.localities) if loc.fragmented_default}
        self.icps = [self._make_icp(i) for i in range(len(scenario.icps))]
        self.modifiers = RateModifiers(len(self.options), n_loc)
        self.ledger = Ledger(len(self.options), n_loc)
        self.deaths = 0
        self.metrics: list[dict] = []

    # ------------------------------------------------------------------ the year

    def step(self) -> None:
        """Simulate one year, in this order (the only place the order is written):

        1. **Open and plan.** ICPs whose start year has come open. Every provider reads
           its contract's margins and its expectations and sets this year's effort;
           their choices, and any scenario interventions, become rate modifiers.
        2. **Patients' year**, one pass over fixed-size chunks of patients:
           a. demography: ageing, new conditions, deaths, entrants;
           b. risk score from age, sex, deprivation, conditions and frailty;
           c. annual choice of option (logit with inertia; mandatory acceptance);
           d. utilisation drawn from baseline rates times provider modifiers;
           e. payments each patient brings under their option's contracts;
           f. experience of care, which feeds next year's choice;
           g. sums into the ledger.
        3. **Hospitals** set waiting times from elective demand against capacity.
        4. **Accounts.** The commissioner records what it paid; trusts, practices and
           ICPs book revenue and cost; ICPs update their expectations.
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
        self.metrics.extend(year_metrics(self))

    def run(self) -> list[dict]:
        """Simulate every year of the scenario; returns the metric rows."""
        for _ in range(self.n_years - self.year):
            self.step()
        return self.metrics

    # ------------------------------------------------------------------ set-up

    def _build_rules(self) -> dict[str, PaymentRule]:
        c = self.scenario.contracts
        rules = {"hospital": build_rule(c["hospital"], "hospital", self.calibration),
                 "gp": build_rule(c["gp"], "primary_care", self.calibration),
                 "icp_hospital": build_rule(c["icp_hospital"], "hospital", self.calibration)}
        for icp in self.scenario.icps:
            rules[icp.name] = build_rule(c[icp.contract], "all", self.calibration)
        return rules

    def _make_icp(self, i: int) -> IntegratedCarePartnership:
        config = self.scenario.icps[i]
        loc_index = {loc.name: li for li, loc in enumerate(self.scenario.localities)}
        rule = self.rules[config.name]
        purchase = None if config.integration == "vertical" else self.rules["icp_hospital"]
        icp = IntegratedCarePartnership(
            self, config, i + 1, [loc_index[n] for n in config.localities], rule, purchase,
            self.costs, self.scenario.behaviour, Expectations(0, 0, 0, 0, 0, 0, 0),
            self.scenario.costs.management_per_enrolee, self.scenario.hospital.waiting_weeks_base)
        icp.expect = self._first_expectations(icp)
        return icp

    def _first_expectations(self, icp: IntegratedCarePartnership) -> Expectations:
        """Before any year is observed, an ICP expects the England reference population."""
        ref = self.calibration.reference
        counts = {a: ref[a] for a in PAID if a != "emergency"}
        counts["emergency"] = (ref["emergency"] + ref["acsc"] + ref["readmission"])
        revenue = icp.rule.patient_payments(counts, ref["age"], ref["sex"], ref["risk"])
        care = self._care_cost_per_patient(icp, counts, ref["bed_days"], ref)
        hr = ref["high_risk"]
        return Expectations(
            revenue=float(revenue.mean()), care_cost=float(care.mean()),
            revenue_high_risk=float(revenue[hr].mean()),
            care_cost_high_risk=float(care[hr].mean()),
            acsc_high_risk=float(ref["acsc"][hr].mean()),
            other_emergency_high_risk=float(ref["emergency"][hr].mean()),
            bed_days_high_risk=float(ref["bed_days"][hr].mean()))

    def _care_cost_per_patient(self, icp: IntegratedCarePartnership, counts, bed_days, ref):
        primary = counts["gp_consultation"] * self.costs.gp_consultation
        if icp.vertical:
            hospital = sum(self.costs.fixed[a] * counts[a] for a in self.costs.fixed)
            return primary + hospital + bed_days * self.costs.bed_day
        return primary + icp.purchase_rule.patient_payments(counts, ref["age"], ref["sex"],
                                                            ref["risk"])

    def _score_risk(self) -> np.ndarray:
        """Set every patient's risk score; returns baseline elective demand by locality."""
        pop = self.population
        demand = np.zeros(len(self.scenario.localities))
        for _, rows in chunks(pop.n):
            expected = self._risk_chunk(rows)
            demand += np.bincount(pop.locality[rows], weights=expected["elective"],
                                  minlength=len(demand))
        return demand

    def _risk_chunk(self, rows: slice) -> dict[str, np.ndarray]:
        pop = self.population
        weight = self.rates.condition_weight(pop.conditions[rows])
        expected = self.rates.expected(pop.age[rows], pop.sex[rows], pop.imd[rows], weight,
                                       pop.frailty[rows])
        cost = expected_cost(expected, self.rates.readmission_probability(weight),
                             NATIONAL_PRICES)
        pop.risk[rows] = self.calibration.risk_score(cost)
        expected["_weight"] = weight
        return expected

    # ------------------------------------------------------------------ 1. open and plan

    def _open_and_plan(self) -> None:
        behaviour = self.scenario.behaviour
        for icp in self.icps:
            if not icp.failed and icp.config.start_year <= self.year:
                icp.is_open = True
        table = self.option_table()
        for icp in self.icps:
            if icp.is_open:
                icp.contestable = self.scenario.choice.enabled and bool(
                    (table.available[icp.localities].sum(axis=1) > 1).any())
                icp.plan()
        self.modifiers = RateModifiers(len(self.options), len(self.scenario.localities))
        for trust in self.trusts:
            li = trust.locality
            paid_by = [(0, self.rules["hospital"])] + [
                (icp.option, icp.purchase_rule) for icp in self.icps
                if not icp.vertical and li in icp.localities]
            for option, rule in paid_by:
                for activity in ("elective", "outpatient"):
                    self.modifiers.scale(activity, trust.induced_volume(
                        rule, activity, self.costs, behaviour.induced_demand_elasticity),
                        option=option, locality=li)
        for icp in self.icps:
            if icp.is_open:
                icp.apply_modifiers(self.modifiers)
        for iv in self.scenario.interventions:
            if iv.start_year <= self.year <= iv.end_year and iv.value != "quality":
                option = None if iv.option == "all" else self.options.index(iv.option)
                self.modifiers.scale(iv.value, iv.factor, option=option)

    def option_quality(self) -> np.ndarray:
        """Quality index of each option this year, after interventions."""
        q = np.array([self.scenario.behaviour.quality_base]
                     + [icp.quality for icp in self.icps], dtype=np.float32)
        for iv in self.scenario.interventions:
            if iv.start_year <= self.year <= iv.end_year and iv.value == "quality":
                sel = slice(None) if iv.option == "all" else self.options.index(iv.option)
                q[sel] *= iv.factor
        return np.clip(q, 0.0, 1.0)

    def option_table(self) -> OptionTable:
        """What patients see of each option in each locality."""
        locs = self.scenario.localities
        n_loc, n_opt = len(locs), len(self.options)
        available = np.zeros((n_loc, n_opt), dtype=bool)
        waiting = np.zeros((n_loc, n_opt), dtype=np.float32)
        site = np.full((n_loc, n_opt), np.nan, dtype=np.float32)
        selection = np.zeros((n_loc, n_opt), dtype=np.float32)
        for li, loc in enumerate(locs):
            available[li, 0] = loc.fragmented_default
            waiting[li, 0] = self.trusts[li].waiting_weeks if hasattr(self, "trusts") else 0.0
        for icp in getattr(self, "icps", []):
            for li in icp.localities:
                available[li, icp.option] = icp.is_open
                waiting[li, icp.option] = (icp.waiting_weeks if icp.vertical
                                           else self.trusts[li].waiting_weeks)
                site[li, icp.option] = icp.config.site_position
                selection[li, icp.option] = icp.selection
        quality = np.broadcast_to(self.option_quality(), (n_loc, n_opt))
        return OptionTable(available=available, quality=quality, waiting=waiting,
                           selection=selection, site=site,
                           radius_km=np.array([loc.radius_km for loc in locs], dtype=np.float32))

    # ------------------------------------------------------------------ 2. patients' year

    def _patients_year(self) -> None:
        pop = self.population
        self.ledger = Ledger(len(self.options), len(self.scenario.localities))
        table = self.option_table()
        quality = table.quality[0]
        self.deaths = 0
        for index, rows in chunks(pop.n):
            self.deaths += self.demography.step_chunk(
                pop, rows, stream(self.seed_value, self.replicate, "demography", self.year, index))
            expected = self._risk_chunk(rows)
            high_risk = pop.risk[rows] >= self.scenario.behaviour.high_risk_threshold
            switched = self._choose(rows, table, high_risk, index)
            activity = self._utilise(rows, expected, high_risk, index)
            payments = self._payments(rows, activity)
            self._experience(rows, quality, activity, index)
            option, loc = pop.option[rows], pop.locality[rows]
            keys = Ledger.cell_keys(self.ledger.shape, option, loc, pop.age[rows], pop.imd[rows],
                                    high_risk)
            wait = table.waiting[loc, option]
            self.ledger.add(keys, {
                "population": np.ones(len(keys)), "switched": switched,
                "risk": pop.risk[rows], "high_risk": high_risk,
                **{a: activity.counts[a] for a in (*COUNTED, "readmission")},
                "emergency_total": activity.emergency_total, "bed_days": activity.bed_days,
                "experience": pop.experience[rows], "quality": quality[option], "waiting": wait,
                **payments, "expected_elective": expected["elective"]})

    def _choose(self, rows: slice, table: OptionTable, high_risk: np.ndarray,
                index: int) -> np.ndarray:
        """Annual choice for one chunk; returns 1 where a patient switched option."""
        pop = self.population
        current, loc = pop.option[rows], pop.locality[rows]
        years = pop.years_enrolled[rows].copy()
        u = stream(self.seed_value, self.replicate, "choice", self.year, index).random(len(current))
        must_move = ~table.available[loc, current]
        deciding = np.ones(len(current), bool) if self.scenario.choice.enabled else must_move
        if not deciding.any():
            return np.zeros(len(current))
        idx = np.flatnonzero(deciding)
        inertia = self.choice_rule.inertia(pop.age[rows][idx], pop.conditions[rows][idx] > 0,
                                           years[idx])
        utilities = self.choice_rule.utilities(table, current[idx], loc[idx],
                                               pop.position[rows][idx], high_risk[idx],
                                               pop.experience[rows][idx], inertia)
        chosen = current.copy()
        chosen[idx] = self.choice_rule.choose(utilities, u[idx])
        moved = chosen != current
        pop.previous_option[rows] = current
        pop.option[rows] = chosen
        pop.years_enrolled[rows] = np.where(moved, 0, years)
        return (moved & (years > 0)).astype(np.float64)

    def _utilise(self, rows: slice, expected: dict[str, np.ndarray], high_risk: np.ndarray,
                 index: int):
        pop = self.population
        weight = expected["_weight"]
        mods = self.modifiers.for_patients(pop.option[rows], pop.locality[rows], high_risk)
        los = self.rates.length_of_stay(pop.age[rows], weight)
        u = stream(self.seed_value, self.replicate, "utilisation", self.year, index).random(
            (rows.stop - rows.start, len(COUNTED) + 1))
        return draw_activity(self.rates, expected, los, weight, mods, u)

    def _payments(self, rows: slice, activity) -> dict[str, np.ndarray]:
        """What each patient brings in: from the commissioner, and to the hospital."""
        pop = self.population
        option = pop.option[rows]
        counts = {a: activity.counts[a] for a in PAID if a != "emergency"}
        counts["emergency"] = activity.emergency_total
        n = len(option)
        commissioner = np.zeros(n)
        gp = np.zeros(n)
        hospital = np.zeros(n)
        age, sex, risk = pop.age[rows], pop.sex[rows], pop.risk[rows]
        payers = [(0, self.rules["gp"], self.rules["hospital"], True)] + [
            (icp.option, icp.rule, icp.purchase_rule, False) for icp in self.icps]
        for o, rule, hospital_rule, fragmented in payers:
            sel = option == o
            if not sel.any():
                continue
            sub = {a: v[sel] for a, v in counts.items()}
            paid = rule.patient_payments(sub, age[sel], sex[sel], risk[sel])
            to_hospital = (hospital_rule.patient_payments(sub, age[sel], sex[sel], risk[sel])
                           if hospital_rule is not None else 0.0)
            if fragmented:
                gp[sel] = paid
                commissioner[sel] = paid + to_hospital
            else:
                commissioner[sel] = paid
            hospital[sel] = to_hospital
        return {"commissioner_payment": commissioner, "gp_payment": gp,
                "hospital_payment": hospital}

    def _experience(self, rows: slice, quality: np.ndarray, activity, index: int) -> None:
        p = self.scenario.choice
        pop = self.population
        z = stream(self.seed_value, self.replicate, "experience", self.year, index
                   ).standard_normal(rows.stop - rows.start, dtype=np.float32)
        value = (quality[pop.option[rows]] - p.experience_admission_penalty
                 * (activity.emergency_total > 0) + p.experience_noise * z)
        pop.experience[rows] = np.clip(value, 0.0, 1.0)

    # ------------------------------------------------------------------ 3-5. hospitals, accounts

    def _set_waiting_times(self) -> None:
        L = self.ledger
        for trust in self.trusts:
            li = trust.locality
            options = [0] + [icp.option for icp in self.icps
                             if not icp.vertical and li in icp.localities]
            trust.update_waiting(sum(L.sum("elective", option=o, locality=li) for o in options))
        for icp in self.icps:
            if icp.vertical and icp.is_open:
                demand = L.sum("expected_elective", option=icp.option)
                icp.capacity = max(demand / self.scenario.hospital.reference_load, 1e-9)
                load = L.sum("elective", option=icp.option) / icp.capacity
                icp.waiting_weeks = waiting_weeks(load, self.scenario.hospital)

    def hospital_counts(self, **where) -> tuple[dict[str, float], float]:
        """Hospital activity counts (all emergency spells together) and bed days in cells."""
        L = self.ledger
        counts = {a: L.sum(a, **where) for a in ("outpatient", "elective", "ae")}
        counts["emergency"] = L.sum("emergency_total", **where)
        return counts, L.sum("bed_days", **where)

    def _settle_accounts(self) -> None:
        L = self.ledger
        payments = {}
        for li, practice in self.practices.items():
            revenue = L.sum("gp_payment", option=0, locality=li)
            practice.book(revenue, L.sum("gp_consultation", option=0, locality=li)
                          * self.costs.gp_consultation)
            payments[practice.name] = revenue
        for trust in self.trusts:
            li = trust.locality
            options = [0] + [icp.option for icp in self.icps
                             if not icp.vertical and li in icp.localities]
            revenue = cost = 0.0
            for o in options:
                revenue += L.sum("hospital_payment", option=o, locality=li)
                counts, bed_days = self.hospital_counts(option=o, locality=li)
                cost += self.costs.hospital_cost(counts, bed_days)
            trust.book(revenue, cost)
            payments[trust.name] = L.sum("hospital_payment", option=0, locality=li)
        for icp in self.icps:
            o = icp.option
            revenue = L.sum("commissioner_payment", option=o)
            payments[icp.name] = revenue
            if not icp.is_open:
                continue
            care = [self._icp_care_cost(icp, hr) for hr in (0, 1)]
            enrolees = [L.sum("population", option=o, high_risk=hr) for hr in (0, 1)]
            if icp.years_active == 0 and icp.reserves == 0.0:
                icp.reserves = self.scenario.behaviour.initial_reserves_share * revenue
            icp.settle(revenue, sum(care), sum(enrolees), enrolees[1])
            self._update_expectations(icp, care, enrolees)
        self.commissioner.record(payments)

    def _icp_care_cost(self, icp: IntegratedCarePartnership, high_risk: int) -> float:
        L = self.ledger
        o = icp.option
        primary = L.sum("gp_consultation", option=o, high_risk=high_risk) * self.costs.gp_consultation
        if icp.vertical:
            counts, bed_days = self.hospital_counts(option=o, high_risk=high_risk)
            return primary + self.costs.hospital_cost(counts, bed_days)
        return primary + L.sum("hospital_payment", option=o, high_risk=high_risk)

    def _update_expectations(self, icp: IntegratedCarePartnership, care: list[float],
                             enrolees: list[float]) -> None:
        L, b = self.ledger, self.scenario.behaviour
        o = icp.option
        n, n_hr = sum(enrolees), enrolees[1]
        if n <= 0:
            return
        effect = icp.maturity * icp.prevention_effect
        observed = {"revenue": L.sum("commissioner_payment", option=o) / n,
                    "care_cost": sum(care) / n}
        if n_hr > 0:
            observed.update(
                revenue_high_risk=L.sum("commissioner_payment", option=o, high_risk=1) / n_hr,
                care_cost_high_risk=care[1] / n_hr,
                acsc_high_risk=L.sum("acsc", option=o, high_risk=1) / n_hr
                / (1 - b.prevention_max_effect * effect),
                other_emergency_high_risk=L.sum("emergency", option=o, high_risk=1) / n_hr
                / (1 - b.prevention_other_emergency_effect * effect),
                bed_days_high_risk=L.sum("bed_days", option=o, high_risk=1) / n_hr
                / (1 - b.coordination_los_effect * effect))
        icp.expect.update(observed, b.planning_weight)

    def _close_failed_icps(self) -> None:
        """Close ICPs whose reserves ran out; the commissioner rescues a locality's last option.

        Members of a closed ICP choose again next year among the options still open. Where
        an ICP is the only option left in one of its localities, closing it would leave
        patients with nowhere to go, so the commissioner covers its deficit instead.
        """
        for icp in self.icps:
            if not (icp.is_open and icp.reserves < 0):
                continue
            table = self.option_table()
            alternatives = table.available[icp.localities].sum(axis=1) - 1
            if (alternatives < 1).any():
                self.commissioner.rescue(icp.name, -icp.reserves)
                icp.reserves = 0.0
            else:
                icp.is_open = False
                icp.failed = True

    # ------------------------------------------------------------------ convenience

    @property
    def living(self) -> int:
        return self.population.n

    def enrolment_counts(self) -> np.ndarray:
        return np.bincount(self.population.option, minlength=len(self.options))

    def describe(self) -> str:
        names = ", ".join(self.options)
        return (f"{self.population.n:,} patients in {len(self.scenario.localities)} localities; "
                f"options: {names}; year {self.year} of {self.n_years}")


__all__ = ["ICSModel", "FRAGMENTED", "epi"]
