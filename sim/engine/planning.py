"""Step 1 of the year: ICPs open, contracts set their terms, and every provider plans.

Each provider reads its contract's margins, the price it puts on quality and its own
expectations, and sets this year's effort; those choices, and any scenario
interventions, become the :class:`~sim.patients.modifiers.RateModifiers` the patients'
pass draws care from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.config.scenario import Scenario
from sim.contracts.payment import PaymentRule
from sim.engine.market import CommissionerMarket
from sim.engine.options import OptionTables
from sim.engine.trust_contracts import TrustContracts
from sim.patients.calibration import Calibration
from sim.patients.modifiers import RateModifiers
from sim.providers.costs import HospitalCosts
from sim.providers.partnership_table import Partnerships
from sim.providers.practices import GPPractice
from sim.providers.trusts import HospitalTrust


@dataclass(frozen=True)
class YearPlan:
    """What the year's planning decided, for the patients' pass and the waits."""

    modifiers: RateModifiers  # on each rate, by (option, locality, high-risk)
    supplier_volume: np.ndarray  # each trust cell's elective factor (TrustContracts.pairs)


class YearPlanner:
    """Opens ICPs whose start year has come and plans every provider's year."""

    def __init__(
        self,
        scenario: Scenario,
        calibration: Calibration,
        costs: HospitalCosts,
        rules: dict[str, PaymentRule],
        contract_starts: Sequence[tuple[PaymentRule, int]],
        practices: Sequence[GPPractice],
        practice_localities: np.ndarray,
        partnerships: Partnerships,
        trust_contracts: TrustContracts,
        option_tables: OptionTables,
        market: CommissionerMarket | None = None,
        trusts: Sequence[HospitalTrust] = (),
    ):
        self.scenario = scenario
        self.calibration = calibration
        self.costs = costs
        self.rules = rules
        self.contract_starts = list(contract_starts)  # each rule, and the year it starts
        self.practices = list(practices)
        self.practice_localities = practice_localities
        self.partnerships = partnerships
        self.trust_contracts = trust_contracts
        self.option_tables = option_tables
        self.trusts = list(trusts)
        self.options = list(scenario.option_names)
        self.market = market  # the commissioner's re-tenders, entry, rates and benefits

    @cached_property
    def high_risk_rates(self) -> dict[str, float]:
        """ACSC and other emergency admissions per high-risk patient-year at England rates."""
        ref = self.calibration.reference
        hr = ref["high_risk"]
        return {
            "acsc": float(ref["acsc"][hr].mean()),
            "emergency": float(ref["emergency"][hr].mean()),
        }

    def plan(self, year: int) -> YearPlan:
        """Open and plan ``year``: contracts' terms, then practices, trusts and ICPs."""
        scenario, behaviour = self.scenario, self.scenario.behaviour
        for rule, start_year in self.contract_starts:
            rule.begin_year(max(1, year - start_year + 1))  # contract years from opening
        icps = self.partnerships  # every ICP open this year plans, all of them at once
        if self.market is not None:
            self.market.before_opening(year)
        open_icps = icps.open_due(year)
        icps.contestable[open_icps] = (self.option_tables.contestable() & scenario.choice.enabled)[
            open_icps
        ]
        icps.set_peer_quality(open_icps)
        if self.market is not None:
            self.market.set_rates()
        icps.plan(open_icps)
        if self.market is not None:
            self.market.plan_benefits(open_icps)
        modifiers = RateModifiers(len(self.options), len(scenario.localities))
        if self.practices:  # one contract pays them all, so every practice plans alike
            first, *others = self.practices
            first.plan(self.rules["gp"], self.costs, behaviour, self.high_risk_rates)
            first.plan_quality(self.rules["gp"], behaviour, self.calibration.mean_gp_cost)
            for practice in others:
                practice.follow(first)
            modifiers.apply(
                first.rate_factors(behaviour), option=0, locality=self.practice_localities
            )
        hospital_revenue = self.calibration.mean_expected_cost - self.calibration.mean_gp_cost
        for trust in self.trusts:  # quality for the default's patients, if the contract pays
            trust.plan_quality(self.rules["hospital"], behaviour, hospital_revenue)
        supplier_volume = self.trust_contracts.respond(modifiers, self.costs, behaviour)
        modifiers.apply(icps.rate_factors(open_icps), option=icps.option[open_icps])
        for iv in scenario.interventions:
            if iv.start_year <= year <= iv.end_year and iv.value != "quality":
                option = None if iv.option == "all" else self.options.index(iv.option)
                modifiers.scale(iv.value, iv.factor, option=option)
        return YearPlan(modifiers, supplier_volume)
