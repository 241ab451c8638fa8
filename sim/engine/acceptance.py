"""Acceptance rules: whether an ICP must take every applicant or may turn some away.

Competing integrated systems rest on "regulation to require mandatory acceptance of enrolees"
beside risk-adjusted capitation (seed 000:758-765; the Dutch insurers "are required to accept
any citizen who applies", seed 000:491-492), because capitation "may encourage avoidance of
high-risk patients if the capitation payment is too low" (seed 004 L1347-1358). Under
``choice.acceptance = "mandatory"`` (the default) every choice is granted. Under
``"selective"`` each ICP screens its applicants (patients choosing it who are not its
members) on its expected margin on each one:

* the **expected payment** is what the ICP's contract pays for the applicant's expected use
  (:meth:`~sim.contracts.rule.PaymentRule.patient_payments` on their expected counts): a
  capitation pays what the commissioner's risk formula predicts from age, sex and the part of
  risk it sees, a tariff pays for the activity;
* the **expected cost** is the applicant's expected use priced at what it costs the ICP:
  its own average costs where it runs the hospital, its purchase contract's prices where it
  buys hospital care. The ICP sees the patient's true expected use (conditions and frailty:
  what last year's use reveals and the commissioner's formula misses).

An applicant whose expected cost exceeds their expected payment by more than
``refusal_margin`` of it is refused (or discouraged) with ``refusal_probability``, from its
own stream (``acceptance``), so no other draw moves. The refusal follows the margin alone,
never the contract's name. A refused patient chooses again among the options that have not
refused them, with a fresh uniform (:meth:`sim.patients.choice.LogitChoice.choose_patients`,
``refused``); the fragmented default and the patient's own option always accept, and an ICP
never refuses a patient it would leave with nowhere to go. Applications and refusals are
summed into the ledger by the option applied to (``applicants_refused_share``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.parameters import Choice
from sim.contracts.payment import PaymentRule
from sim.engine.payments import PaymentGroups
from sim.patients.choice import LocalOptions, LogitChoice
from sim.patients.population import Population
from sim.patients.utilisation import COUNTED, expected_cost
from sim.providers.costs import HospitalCosts

HOSPITAL = ("outpatient", "elective", "emergency", "ae")
"""Hospital activities an applicant's expected cost prices (besides GP consultations)."""


@dataclass(frozen=True)
class Screening:
    """One ICP option's terms for its applicants this year: its contract and unit costs."""

    rule: PaymentRule  # what pays the ICP for each patient
    prices: dict[str, float]  # GBP the ICP bears per unit of each activity


@dataclass
class Applicants:
    """One chunk's patients and what the screen reads of them (one entry per row)."""

    population: Population
    rows: slice
    expected: dict[str, np.ndarray]  # expected counts at England's rates (risk.score)
    readmission: np.ndarray  # probability of readmission per discharge
    high_risk: np.ndarray


class ApplicantScreen:
    """Selective acceptance: each ICP refuses applicants it expects to lose money on."""

    def __init__(self, params: Choice, costs: HospitalCosts):
        self.params = params
        self.costs = costs
        self.terms: dict[int, Screening] = {}

    def begin_year(self, groups: PaymentGroups) -> None:
        """Each ICP option's contract and unit costs this year, from who pays for whom."""
        costs = self.costs
        self.terms = {}
        for option, group in enumerate(groups.group_of.tolist()):
            rule, purchase, fragmented = groups.payers[group]
            if option == 0 or fragmented:
                continue  # the fragmented default always accepts
            prices = {"gp_consultation": costs.gp_consultation}
            for a in HOSPITAL:
                prices[a] = costs.average(a) if purchase is None else purchase.marginal_price(a)
            self.terms[option] = Screening(rule, prices)

    def expected_margin(
        self, option: int, people: Applicants, who: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(expected payment, expected cost), GBP a year, of patients ``who`` (chunk
        positions) to ICP ``option``."""
        pop, rows = people.population, people.rows
        e = {a: people.expected[a][who] for a in COUNTED}
        readmit = people.readmission[who]
        emergency = e["emergency"] + e["acsc"]
        readmissions = readmit * (emergency + e["elective"])
        counts = {
            **{a: e[a] for a in ("gp_consultation", "outpatient", "elective", "ae")},
            "emergency": emergency + readmissions,
            "acsc": e["acsc"],
            "readmission": readmissions,
            "conditions": pop.conditions[rows][who],
        }
        terms = self.terms[option]
        age, sex, risk = pop.age[rows][who], pop.sex[rows][who], pop.risk[rows][who]
        payment = np.asarray(terms.rule.patient_payments(counts, age, sex, risk), dtype=float)
        payment = np.broadcast_to(payment, (len(who),))
        return payment, expected_cost(e, readmit, terms.prices).astype(float)

    def unprofitable(self, option: np.ndarray, people: Applicants, who: np.ndarray) -> np.ndarray:
        """Whether each applicant ``who`` (to ``option``, one each) is expected to cost more
        than ``1 + refusal_margin`` times what they bring in."""
        out = np.zeros(len(who), dtype=bool)
        for o in np.unique(option).tolist():
            if o not in self.terms:
                continue
            sel = np.flatnonzero(option == o)
            payment, cost = self.expected_margin(o, people, who[sel])
            out[sel] = cost > payment * (1.0 + self.params.refusal_margin)
        return out

    def admit(
        self,
        choice_rule: LogitChoice,
        local: LocalOptions,
        people: Applicants,
        current: np.ndarray,
        chosen: np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Screen this year's applicants, and let the refused choose again (``chosen`` is
        changed in place). Returns every application: (chunk position, option applied to,
        refused)."""
        p = self.params
        k = local.fixed.shape[0]
        locality = people.population.locality[people.rows].astype(np.intp)
        pending = np.flatnonzero((chosen != current) & (chosen != 0))
        refused_columns: np.ndarray | None = None
        applications: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for _ in range(k + 1):  # each round closes a column to each patient it refuses
            if not pending.size:
                break
            option = chosen[pending]
            refused = self.unprofitable(option, people, pending)
            refused &= rng.random(len(pending)) < p.refusal_probability
            if refused_columns is None:
                refused_columns = np.zeros((k, len(chosen)), dtype=bool)
            column = local.column[locality[pending], option].astype(np.intp)
            refused_columns[column[refused], pending[refused]] = True
            # nobody is refused by the last option open to them
            is_open = np.isfinite(local.fixed[:, locality[pending]])
            left = (is_open & ~refused_columns[:, pending]).any(axis=0)
            kept = refused & ~left
            refused_columns[column[kept], pending[kept]] = False
            refused &= left
            applications.append((pending, option, refused))
            again = pending[refused]
            if not again.size:
                break
            uniform = np.zeros(len(chosen), dtype=np.float32)
            uniform[again] = rng.random(len(again), dtype=np.float32)
            chosen[again] = choice_rule.choose_patients(
                local,
                people.population,
                people.rows,
                people.high_risk,
                uniform,
                among=again,
                refused=refused_columns[:, again],
            )
            pending = again[(chosen[again] != current[again]) & (chosen[again] != 0)]
        if not applications:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty.astype(np.uint8), np.zeros(0, dtype=bool)
        who, option, refused = (np.concatenate(x) for x in zip(*applications, strict=True))
        return who, option, refused
