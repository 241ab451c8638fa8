"""A hand-made market for the engine's unit tests: two localities with the fragmented
default (a practice and a trust each), no ICPs, and three patients in its ledger."""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np

from sim.config.scenario import Scenario
from sim.contracts.payment import (
    HOSPITAL_ACTIVITIES,
    NATIONAL_PRICES,
    PaymentRule,
    Settlement,
    TariffRule,
)
from sim.engine.ledger import Ledger
from sim.engine.settlement_ledger import SettlementLedger
from sim.engine.state import Market, YearState
from sim.providers.accounts import ProviderAccounts
from sim.providers.commissioner import Commissioner
from sim.providers.costs import HospitalCosts
from sim.providers.partnership_table import Partnerships
from sim.providers.practices import GPPractice
from sim.providers.trusts import HospitalTrust

# (locality, age, IMD quintile, high-risk) and each patient's year
PATIENTS = {
    "locality": [0, 0, 1],
    "age": [30, 70, 45],
    "imd": [1, 2, 4],
    "high_risk": [0, 1, 0],
}
YEAR = {
    "risk": [0.8, 2.0, 0.5],
    "gp_consultation": [4.0, 10.0, 2.0],
    "outpatient": [2.0, 3.0, 0.0],
    "elective": [1.0, 0.0, 0.0],
    "ae": [0.0, 1.0, 1.0],
    "emergency_total": [0.0, 1.0, 0.0],
    "acsc": [0.0, 1.0, 0.0],
    "readmission": [0.0, 0.0, 0.0],
    "bed_days": [3.0, 5.0, 0.0],
    "gp_payment": [150.0, 150.0, 150.0],
    "hospital_payment": [900.0, 2000.0, 200.0],
    "commissioner_payment": [1050.0, 2150.0, 350.0],
    "expected_elective": [0.5, 0.5, 0.2],
}


@dataclass
class PerHead(PaymentRule):
    """A fixed amount a head whatever the activity, with no year-end terms."""

    rate: float = 150.0
    activities: tuple[str, ...] = ("gp_consultation",)
    admin_cost_per_head: float = 2.0

    def marginal_price(self, activity: str) -> float:
        return 0.0

    def patient_payments(self, counts, age, sex, risk):
        return np.full(len(age), self.rate)


@dataclass
class PerHeadWithBonus(PerHead):
    """Pays ``bonus`` of what the year paid at year end, and keeps what it was shown."""

    bonus: float = 0.1
    seen: list[Settlement] = field(default_factory=list)

    def settle(self, settlement: Settlement) -> float:
        self.seen.append(settlement)
        return self.bonus * settlement.paid


def ledger() -> Ledger:
    out = Ledger(1, 2)
    keys = out.keys(
        np.zeros(3, dtype=np.uint8),
        np.array(PATIENTS["locality"], dtype=np.intp),
        np.array(PATIENTS["age"]),
        np.array(PATIENTS["imd"]),
        np.array(PATIENTS["high_risk"]),
    )
    out.add(keys, {"population": None, **{q: np.array(v) for q, v in YEAR.items()}})
    return out


def market(gp_rule: PaymentRule | None = None) -> Market:
    """The market, its providers' books all zero."""
    scenario = Scenario()
    host = mesa.Model(seed=0)
    host.books = ProviderAccounts()  # providers find their books on the model they belong to
    costs = HospitalCosts(scenario.costs, scenario.utilisation)
    rules = {
        "gp": gp_rule or PerHead(),
        "hospital": TariffRule(
            prices=dict(NATIONAL_PRICES), activities=HOSPITAL_ACTIVITIES, admin_cost_per_head=3.0
        ),
    }
    trusts = tuple(
        HospitalTrust(host, f"trust_{name}", li, 100.0, scenario.hospital)
        for li, name in enumerate("ab")
    )
    practices = tuple(GPPractice(host, f"practices_{name}", li) for li, name in enumerate("ab"))
    return Market(
        n_options=1,
        rules=rules,
        costs=costs,
        behaviour=scenario.behaviour,
        cost_parameters=scenario.costs,
        practices=practices,
        practice_localities=np.array([0, 1], dtype=np.intp),
        trusts=trusts,
        trust_pairs=(np.array([0, 0], dtype=np.intp), np.array([0, 1], dtype=np.intp)),
        icps=(),
        partnerships=Partnerships(costs, scenario.behaviour),
        commissioner=Commissioner(host, rules),
        books=host.books,
        book_rows={
            "practices": np.array([p.row for p in practices], dtype=np.intp),
            "trusts": np.array([t.row for t in trusts], dtype=np.intp),
            "icps": np.zeros(0, dtype=np.intp),
        },
        fragmented_default=np.array([True, True]),
        available=lambda: np.ones((2, 1), dtype=bool),
    )


def year_state(m: Market) -> YearState:
    return YearState(
        market=m,
        year=1,
        ledger=ledger(),
        settlements=SettlementLedger(1, 2),
        default_quality=np.array([0.6, 0.6]),
        transaction_costs=np.zeros(1),
    )
