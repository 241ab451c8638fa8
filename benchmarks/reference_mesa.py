"""The patients' year of icsim written the textbook Mesa way: one Python object per patient.

This is teaching code and a yardstick. Each :class:`Patient` is a ``mesa.Agent`` whose
:meth:`Patient.step` lives one year with plain Python numbers, in the same order and by
the same rules as the engine's vectorised pass (:mod:`sim.engine.patients_year`):

1. demography: new conditions, death (a newcomer takes the place), birthday;
2. risk score: expected cost at national prices relative to the England mean;
3. annual choice: logit with inertia over the options open in the locality;
4. use of care: this year's episode multiplier on hospital rates, Poisson counts (inverse
   CDF from one uniform), readmissions, bed days with their stays' spread;
5. payments under the option's contracts;
6. experience of care, which feeds next year's choice;
7. the health state this year's care leaves (:mod:`sim.patients.health`): unmet elective
   need, the wait, avoidable admissions, readmissions and quality, which set next year's
   excess risk of death.

Every coefficient comes from the engine's own calibration (``sim.patients.calibration``), condition
curves (``sim.patients.epidemiology``) and payment rules (``sim.contracts.payment``). Providers are reduced
to what a patient's year needs: a :class:`ProviderYear` per year, with each option's
quality, waiting time, selection penalty and site, and the rate modifiers. They are
recorded from an engine run of the same scenario (:mod:`reference_providers`), so the
two implementations see the same providers and differ only in how patients are held.

``benchmarks/bench_speed.py`` times this against the engine; ``tests/test_reference_agreement.py``
checks that both give the same rates, deaths and enrolment, within replicate spread.
"""

from __future__ import annotations

import math
from collections import defaultdict

import mesa
import numpy as np
from reference_providers import (  # noqa: F401  (re-exported: the engine side)
    LocalOption,
    ProviderYear,
    RecordingModel,
    pay,
    poisson,
    predicted_risk,
    provider_years,
    run_engine,
)

from sim.config.scenario import Scenario
from sim.contracts.payment import (
    NATIONAL_PRICES,
    PaymentRule,
    build_rule,
)
from sim.engine.older_bed_use import OLDEST_AGE, REPEATED_ADMISSIONS
from sim.patients import epidemiology as epi
from sim.patients.attributes import ATTRIBUTES, entrant_options
from sim.patients.calibration import calibrate
from sim.patients.cost_spread import (
    DAYS_IN_YEAR,
    HOSPITAL_RATES,
    episode_chance,
    episode_multiplier,
    stay_factor,
)
from sim.patients.health import WEEKS_PER_MONTH, HealthTables
from sim.patients.utilisation import COUNTED

# --------------------------------------------------------------------------- patients


PERSON = tuple(a for a in ATTRIBUTES if not a.bookkeeping)
"""A patient's attributes: the table's (:mod:`sim.patients.attributes`), bookkeeping aside."""
DRAWN = frozenset(a.name for a in PERSON if a.initial is not None)
"""The attributes a patient is created with; the others start at zero, worked out each year."""


class Patient(mesa.Agent):
    """One registered patient, living one year per :meth:`step`.

    Its attributes are the population's (:data:`sim.patients.attributes.ATTRIBUTES`, less
    the arrays' bookkeeping), held as plain Python numbers; ``conditions`` is one flag per
    :data:`sim.patients.epidemiology.CONDITIONS` rather than a bitmask.
    """

    def __init__(self, model: ReferenceModel, **attributes):
        super().__init__(model)
        if attributes.keys() != DRAWN:
            missing, unknown = sorted(DRAWN - attributes.keys()), sorted(attributes.keys() - DRAWN)
            raise TypeError(
                "a reference patient is created with every drawn attribute of "
                f"sim/patients/attributes.py: missing {missing}, unknown {unknown}"
            )
        for a in PERSON:
            setattr(self, a.name, attributes.get(a.name, 0.0))

    @classmethod
    def newcomer(cls, model: ReferenceModel, locality: int, imd: int) -> Patient:
        """A birth or an adult moving in, where someone died; starts in the local default.

        Each attribute is the scalar twin of its ``entrant`` draw in
        :mod:`sim.patients.attributes`, from this model's own generator.
        """
        r = model.random
        age = 0 if r.random() < model.params.demography.entrant_birth_share else r.randint(18, 45)
        return cls(
            model,
            age=age,
            sex=int(r.random() < 0.5),
            imd=imd,
            locality=locality,
            conditions=model.draw_conditions(age, imd),
            frailty=model.draw_frailty(),
            option=model.default_option[locality],
            years_enrolled=0,
            experience=0.5,
            position=r.random(),
            health_loss=0.0,
            excess_death_risk=0.0,
            episode=model.random.random() < model.params.utilisation.episode_probability,
        )

    # -- the year

    def step(self) -> None:
        """One year: survive it (or make way for a newcomer), then the rest of the year."""
        if self.survives_year():
            self.rest_of_year()
        else:
            self.model.deaths += 1
            self.model.tally_death(self)
            newcomer = Patient.newcomer(self.model, self.locality, self.imd)
            self.remove()
            newcomer.rest_of_year()

    def survives_year(self) -> bool:
        """New conditions, then death by age, conditions and deprivation; then a birthday."""
        m = self.model
        incidence = m.incidence[self.age][self.imd - 1]
        for c, p in enumerate(incidence):
            if m.random.random() < p:
                self.conditions[c] = True
        d = m.params.demography
        q = (
            d.infant_mortality
            if self.age == 0
            else math.exp(d.mortality_gompertz_a + d.mortality_gompertz_b * self.age)
        )
        q *= 1 + d.ltc_mortality_weight * self.condition_weight()
        q *= math.exp(d.deprivation_mortality_gradient * (3 - self.imd))
        dies = m.random.random() < min(min(q, 1.0) + self.excess_death_risk, 1.0)
        if dies:
            return False  # the row's state at death is recorded as it is (age before birthday)
        self.age = min(self.age + 1, epi.MAX_AGE)
        self.years_enrolled = min(self.years_enrolled + 1, 255)
        return not dies

    def rest_of_year(self) -> None:
        """Risk, choice, care, payments and experience, then into the books."""
        expected = self.score_risk()
        high_risk = self.risk >= self.model.params.behaviour.high_risk_threshold
        switched = self.choose(high_risk)
        counts, bed_days = self.use_care(expected, high_risk)
        paid = self.payments(counts)
        self.remember_care(counts)
        health = self.year_of_care(expected["elective"], counts, high_risk)
        self.model.tally(
            self, high_risk, switched, counts, bed_days, paid, expected["elective"], health
        )

    def utility(self) -> float:
        """EQ-5D norm for age and sex (Ara and Brazier 2010), less condition decrements."""
        h = self.model.params.health
        norm = (
            h.utility_intercept
            + h.utility_male * self.sex
            + h.utility_age * self.age
            + h.utility_age_squared * self.age * self.age
        )
        decrements = h.condition_decrements()
        return min(
            norm - sum(w for w, has in zip(decrements, self.conditions, strict=True) if has), 1.0
        )

    def full_access_death(self) -> float:
        """The probability of death at this age with these conditions, with full access."""
        d = self.model.params.demography
        q = (
            d.infant_mortality
            if self.age == 0
            else math.exp(d.mortality_gompertz_a + d.mortality_gompertz_b * self.age)
        )
        q *= 1 + d.ltc_mortality_weight * self.condition_weight()
        return min(q * math.exp(d.deprivation_mortality_gradient * (3 - self.imd)), 1.0)

    def year_of_care(
        self, expected_elective: float, counts: dict[str, int], high_risk: bool
    ) -> dict[str, float]:
        """The health state this year's care leaves, and the year's health sums: the rules of
        :func:`sim.patients.health.year_of_care`, for one patient."""
        m, h = self.model, self.model.params.health
        option = self.option
        cell = (option, self.locality, int(high_risk))
        modifier = m.providers.modifiers["elective"][cell[0]][cell[1]][cell[2]]
        c = h.waiting_utility_loss_per_month
        in_need = 1.0 - h.elective_above_need_share
        need = expected_elective * in_need
        served = min(modifier / in_need, 1.0)
        unmet = need * (1.0 - served)
        induced = max(expected_elective * modifier - need, 0.0)
        wait = m.providers.waiting[self.locality][option] / WEEKS_PER_MONTH
        waiting_loss = need * served * wait * wait * c / 24.0
        months = need * served * wait
        start = self.health_loss
        loss = start * (1.0 - h.treated_recovery * served) + unmet * c * 12.0
        loss = min(loss, h.health_loss_max)
        preventable = counts["readmission"] * h.readmission_preventable_share
        morbidity = (start + loss) * 0.5 + waiting_loss
        morbidity += counts["acsc"] * h.acsc_qaly_loss + preventable * h.readmission_qaly_loss
        per_point = h.waiting_mortality_per_month / c if c else 0.0
        relative = months * h.waiting_mortality_per_month + loss * per_point
        admitted = counts["elective"] + counts["emergency"] + counts["acsc"] > 0
        relative += admitted * h.quality_mortality_effect * (1.0 - m.providers.quality[option])
        death = self.full_access_death()
        excess = death * relative
        excess += counts["acsc"] * h.acsc_death_risk + preventable * h.readmission_death_risk
        excess = min(excess, 1.0 - death)
        mask = sum(1 << i for i, has in enumerate(self.conditions) if has)
        key = ((self.age * 2 + self.sex) * epi.IMD_QUINTILES + self.imd - 1) * len(epi.MASKS) + mask
        self.health_loss, self.excess_death_risk = loss, excess
        return {
            "unmet_need": unmet,
            "induced_electives": induced,
            "amenable_deaths": excess,
            "qalys": self.utility() - morbidity,
            "qalys_lost": morbidity + excess * m.qalys_left[key],  # cells as RateTables.key
            "elective_need": need,
        }

    def condition_weight(self) -> float:
        weights = self.model.condition_weights
        return sum(w for w, has in zip(weights, self.conditions, strict=True) if has)

    def score_risk(self) -> dict[str, float]:
        """Baseline expected counts; sets the risk score (expected cost / England mean)."""
        m, rates = self.model, self.model.rates
        weight = self.condition_weight()
        expected = {}
        for a in COUNTED:
            lam = (
                rates.base[a]
                * m.age_curve[a][self.age]
                * m.imd_factor[a][self.imd - 1]
                * (1 + rates.ltc[a] * weight)
                * self.frailty
            )
            if a == "gp_consultation":
                lam *= rates.female_gp_factor if self.sex == 0 else rates.male_gp_factor
            expected[a] = lam
        readmit = rates.readmission_base * (1 + rates.ltc_readmission * weight)
        emergency = expected["emergency"] + expected["acsc"]
        price = NATIONAL_PRICES
        cost = (
            expected["gp_consultation"] * price["gp_consultation"]
            + expected["outpatient"] * price["outpatient"]
            + expected["elective"] * price["elective"]
            + (emergency + readmit * (emergency + expected["elective"])) * price["emergency"]
            + expected["ae"] * price["ae"]
        )
        self.risk = cost / m.calibration.mean_expected_cost
        self.readmit, self.weight = readmit, weight
        return expected

    def choose(self, high_risk: bool) -> bool:
        """Logit choice among the local options, with inertia; returns True on a switch."""
        m, p = self.model, self.model.params.choice
        options = m.providers.local[self.locality]
        still_open = any(o.option == self.option for o in options)
        if not p.enabled and still_open:
            return False
        if self.years_enrolled == 0:
            inertia = p.new_entrant_inertia
        else:
            inertia = (
                p.inertia
                + p.inertia_age_65_plus * (self.age >= 65)
                + p.inertia_ltc * any(self.conditions)
            )
        radius = m.providers.radius_km[self.locality]
        utilities = []
        for o in options:
            km = p.gp_distance_km if o.site is None else abs(self.position - o.site) * 2 * radius
            v = p.beta_quality * o.quality + p.beta_waiting * o.waiting + p.beta_distance * km
            if high_risk:
                v -= o.selection
            if o.option == self.option:
                v += inertia + p.beta_experience * (self.experience - 0.5)
            utilities.append(v)
        top = max(utilities)
        weights = [math.exp(v - top) for v in utilities]
        threshold = m.random.random() * sum(weights)
        chosen, cumulative = options[-1].option, 0.0
        for o, w in zip(options, weights, strict=True):
            cumulative += w
            if threshold <= cumulative:
                chosen = o.option
                break
        if chosen == self.option:
            return False
        switched = self.years_enrolled > 0
        self.option, self.years_enrolled = chosen, 0
        return switched

    def use_care(self, expected: dict[str, float], high_risk: bool) -> tuple[dict[str, int], float]:
        """Counts of each activity, readmissions and bed days, after provider modifiers."""
        m, rates = self.model, self.model.rates
        mods = m.providers.modifiers
        cell = (self.option, self.locality, int(high_risk))

        def modifier(rate: str) -> float:
            o, li, hr = cell
            return mods[rate][o][li][hr]

        self.episode, episode, stay_z = m.draw_spread(bool(self.episode))  # (cost_spread)
        counts = {
            a: poisson(
                expected[a] * modifier(a) * (episode if a in HOSPITAL_RATES else 1.0),
                m.random.random(),
            )
            for a in COUNTED
        }
        discharges = counts["elective"] + counts["emergency"] + counts["acsc"]
        u = m.random.random()
        counts["readmission"] = (
            poisson(self.readmit * modifier("readmission") * discharges, u) if discharges else 0
        )
        los = {
            kind: rates.los_base[kind]
            * m.age_curve[f"los_{kind}"][self.age]
            * (1 + rates.ltc_los * self.weight)
            for kind in ("emergency", "elective")
        }
        emergency_spells = counts["emergency"] + counts["acsc"] + counts["readmission"]
        bed_days = (
            emergency_spells * los["emergency"] + counts["elective"] * los["elective"]
        ) * modifier("los")
        spells = emergency_spells + counts["elective"]
        if spells:
            bed_days *= float(stay_factor(np.float32(stay_z), np.int32(spells), m.los_cv))
            bed_days = min(bed_days, DAYS_IN_YEAR)
        return counts, bed_days

    def payments(self, counts: dict[str, int]) -> dict[str, float]:
        """What this patient's year brings in under their option's contracts (GBP).

        The commissioner pays the option; in the fragmented default that is the practice
        (per head) and the trust (per activity); a virtual ICP pays the trust in turn.
        """
        m = self.model
        paid = dict(counts)
        paid["emergency"] = counts["emergency"] + counts["acsc"] + counts["readmission"]
        paid["conditions"] = sum(1 << c for c, has in enumerate(self.conditions) if has)
        rule, hospital_rule = m.payers[self.option]
        by_rule = pay(rule, paid, self.age, self.sex, self.risk, m.calibration)
        hospital = pay(hospital_rule, paid, self.age, self.sex, self.risk, m.calibration)
        if self.option == 0:
            return {
                "commissioner_payment": by_rule + hospital,
                "gp_payment": by_rule,
                "hospital_payment": hospital,
            }
        return {"commissioner_payment": by_rule, "gp_payment": 0.0, "hospital_payment": hospital}

    def remember_care(self, counts: dict[str, int]) -> None:
        """This year's experience: the option's quality, less a penalty for an admission."""
        m, p = self.model, self.model.params.choice
        admitted = counts["emergency"] + counts["acsc"] + counts["readmission"] > 0
        value = (
            m.providers.quality[self.option]
            - p.experience_admission_penalty * admitted
            + p.experience_noise * m.random.gauss(0.0, 1.0)
        )
        self.experience = min(max(value, 0.0), 1.0)


# --------------------------------------------------------------------------- the model


class ReferenceModel(mesa.Model):
    """A population of :class:`Patient` agents; providers given year by year."""

    def __init__(
        self, scenario: Scenario, patients: int, providers: list[ProviderYear], seed: int = 0
    ):
        super().__init__(seed=seed)
        self.params = scenario
        self.calibration = calibrate(scenario)
        self.rates = self.calibration.rates
        self.provider_years = providers
        self.providers = providers[0]
        self.age_curve = {k: v.tolist() for k, v in self.rates.age.items()}
        self.imd_factor = {k: v.tolist() for k, v in self.rates.imd.items()}
        self.condition_weights = list(scenario.conditions.condition_weights)
        self.los_cv = scenario.utilisation.los_cv
        curves = epi.condition_curves(scenario.conditions)
        ages, quintiles = np.repeat(epi.AGES, 5), np.tile(np.arange(1, 6), len(epi.AGES))
        self.prevalence = (
            curves.prevalence_for(ages, quintiles).reshape(len(epi.AGES), 5, -1).tolist()
        )
        self.incidence = (
            curves.incidence_for(ages, quintiles).reshape(len(epi.AGES), 5, -1).tolist()
        )
        self.default_option = entrant_options(scenario).tolist()  # where a newcomer enrols
        self.qalys_left = HealthTables.build(
            scenario.health, scenario.demography, scenario.conditions.condition_weights
        ).qalys_left.tolist()  # discounted QALYs an amenable death takes away, by cell
        c = scenario.contracts
        hospital = build_rule(c["hospital"], "hospital", self.calibration)
        purchase = build_rule(c["icp_hospital"], "hospital", self.calibration)
        self.payers: list[tuple[PaymentRule, PaymentRule | None]] = [
            (build_rule(c["gp"], "primary_care", self.calibration), hospital)
        ]
        for icp in scenario.icps:  # a virtual ICP buys from the trust; a vertical one owns it
            self.payers.append(
                (
                    build_rule(c[icp.contract], "all", self.calibration),
                    purchase if icp.integration == "virtual" else None,
                )
            )
        self.year = 0
        self.deaths = 0
        self.totals: dict[tuple, dict[str, float]] = {}
        self.history: list[dict] = []
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "deaths": "deaths",
                "population": lambda m: sum(t["population"] for t in m.totals.values()),
            }
        )
        self._populate(patients)

    def draw_conditions(self, age: int, imd: int) -> list[bool]:
        return [self.random.random() < p for p in self.prevalence[age][imd - 1]]

    def draw_spread(self, episode_last_year: bool) -> tuple[bool, float, float]:
        """Whether this year is an episode year, the multiplier it puts on hospital rates,
        and the normal deviate of the stays' factor: the scalar twins of
        :class:`sim.patients.cost_spread.AnnualSpread`."""
        u = self.params.utilisation
        episode = self.random.random() < float(episode_chance(u, episode_last_year))
        stay_z = self.random.gauss(0.0, 1.0)
        if u.episode_share == 0:
            return episode, 1.0, stay_z
        return episode, float(episode_multiplier(u, episode)), stay_z

    def draw_frailty(self) -> float:
        shape = self.params.utilisation.frailty_shape
        return self.random.gammavariate(shape, 1 / shape)

    def _populate(self, n: int) -> None:
        """A synthetic population shaped like England, one agent at a time.

        Each attribute is the scalar twin of its ``initial`` draw in
        :mod:`sim.patients.attributes`, from this model's own generator.
        """
        r, sc = self.random, self.params
        cells = np.cumsum(epi.england_age_sex().ravel()).tolist()  # (age, sex) flattened
        shares = np.cumsum([loc.share for loc in sc.localities]).tolist()
        for _ in range(n):
            cell = r.choices(range(len(cells)), cum_weights=cells)[0]
            age, sex = cell // 2, cell % 2
            imd = r.randint(1, 5)
            locality = r.choices(range(len(shares)), cum_weights=shares)[0]
            Patient(
                self,
                age=age,
                sex=sex,
                imd=imd,
                locality=locality,
                conditions=self.draw_conditions(age, imd),
                frailty=self.draw_frailty(),
                option=self._initial_option(locality, r.random()),
                years_enrolled=r.randint(1, 10),
                experience=min(max(0.5 + 0.1 * r.gauss(0.0, 1.0), 0.0), 1.0),
                position=r.random(),
                health_loss=0.0,
                excess_death_risk=0.0,
                episode=r.random() < sc.utilisation.episode_probability,
            )

    def _initial_option(self, locality: int, u: float) -> int:
        """ICPs take their initial share of the locality, stacked in scenario order."""
        sc = self.params
        name, lower = sc.localities[locality].name, 0.0
        for oi, icp in enumerate(sc.icps, start=1):
            if name in icp.localities and icp.start_year <= 1 and icp.initial_share > 0:
                lower += icp.initial_share
                if u < lower:
                    return oi
        if sc.localities[locality].fragmented_default:
            return 0
        return [oi for oi, icp in enumerate(sc.icps, start=1) if name in icp.localities][-1]

    def tally(
        self,
        patient: Patient,
        high_risk: bool,
        switched: bool,
        counts: dict[str, int],
        bed_days: float,
        paid: dict[str, float],
        expected_elective: float,
        health: dict[str, float],
    ) -> None:
        """Add one patient's year to the books, by (option, locality, age band, IMD, high risk)."""
        cell = (patient.option, patient.locality, patient.age >= 65, patient.imd, high_risk)
        t = self.totals.get(cell)
        if t is None:
            t = self.totals[cell] = defaultdict(float)
        t["population"] += 1
        t["switched"] += switched
        t["risk"] += patient.risk
        t["high_risk"] += high_risk
        for a, k in counts.items():
            t[a] += k
        emergencies = counts["emergency"] + counts["acsc"] + counts["readmission"]
        t["emergency_total"] += emergencies
        t["bed_days"] += bed_days
        if patient.age >= OLDEST_AGE:  # Torbay's measure: the oldest with repeated admissions
            t["aged_85_plus"] += 1
            if emergencies >= REPEATED_ADMISSIONS:
                t["frequent_85_plus_bed_days"] += bed_days
                t["frequent_85_plus_emergencies"] += emergencies
        t["experience"] += patient.experience
        t["quality"] += self.providers.quality[patient.option]
        t["waiting"] += self.providers.waiting[patient.locality][patient.option]
        for name, value in paid.items():
            t[name] += value
        t["expected_elective"] += expected_elective
        for name, value in health.items():
            t[name] += value

    def tally_death(self, patient: Patient) -> None:
        """A death, in the cell the patient died in, with the half year (on average) lived."""
        high_risk = patient.risk >= self.params.behaviour.high_risk_threshold
        cell = (patient.option, patient.locality, patient.age >= 65, patient.imd, high_risk)
        t = self.totals.get(cell)
        if t is None:
            t = self.totals[cell] = defaultdict(float)
        t["deaths"] += 1
        t["qalys"] += 0.5 * patient.utility() - 0.5 * patient.health_loss
        t["qalys_lost"] += 0.5 * patient.health_loss

    def by_option(self, year: int | None = None) -> dict[int, dict[str, float]]:
        """A year's sums (default: the last) by option, over localities, ages and deprivation."""
        totals = self.history[-1 if year is None else year - 1]["totals"]
        out: dict[int, dict[str, float]] = {}
        for (option, *_), t in totals.items():
            o = out.setdefault(option, defaultdict(float))
            for name, value in t.items():
                o[name] += value
        return out

    def step(self) -> None:
        """One year: every patient, in random order, then the year's sums."""
        self.year += 1
        self.providers = self.provider_years[min(self.year, len(self.provider_years)) - 1]
        self.totals, self.deaths = {}, 0
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)
        self.history.append(
            {
                "year": self.year,
                "deaths": self.deaths,
                "totals": {o: dict(t) for o, t in self.totals.items()},
            }
        )
