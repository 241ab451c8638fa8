"""The commissioner: pays every contract, keeps each contract's state from year to year and
settles it at year end, and pays for what the contracts cost to run and for trusts in deficit."""

from __future__ import annotations

from typing import Any

import mesa

from sim.config.commissioner_parameters import CommissionerTerms
from sim.config.finance_parameters import Finance
from sim.contracts.payment import PaymentRule, Settlement
from sim.providers.rate_setting import ContractYear, Rates, build_rate_setting, standard_rates


class Commissioner(mesa.Agent):
    """Holds the population budget, pays each contract by its rule and settles it at year end.

    Each (contract, payee) pair has its own state (:attr:`contract_state`), kept across
    years, which the rule reads and writes at settlement (a block's value, a baseline), and its
    latest settlement (:attr:`settlements`). Only contracts with year-end terms
    (:attr:`sim.contracts.payment.PaymentRule.has_settlement`) are settled, so only they appear.

    Its spend each year (:attr:`total_spend`) is what it paid providers under their
    contracts (:attr:`spend`, rescues included), what it paid trusts in deficit under the
    scenario's rule (:attr:`support`, :attr:`takeover_costs`; see :attr:`finance`), and
    what running and procuring the contracts cost it (:attr:`transaction_costs`).

    What it pays ICPs is set by its rate-setting rule (:attr:`rate_setting`, from the
    scenario's ``[commissioner]`` terms, :attr:`terms`): this year's :attr:`rates` (an entry
    per ICP, multiples of each contract's rate), set from the :attr:`history` of what it
    saw of each ICP's year at settlement.
    """

    def __init__(
        self,
        model: mesa.Model,
        rules: dict[str, PaymentRule],
        finance: Finance | None = None,
        terms: CommissionerTerms | None = None,
    ):
        super().__init__(model)
        self.rules = rules
        self.finance = finance or Finance()
        self.terms = terms or CommissionerTerms()
        self.rate_setting = build_rate_setting(self.terms)
        self.rates: Rates = standard_rates(0)  # this year's, an entry per ICP
        self.history: list[ContractYear] = []  # each settled year, oldest first
        self.spend = 0.0
        self.spend_by_payee: dict[str, float] = {}
        self.rescues: dict[str, float] = {}
        self.support: dict[str, float] = {}  # GBP into trusts' reserves: bail-outs, write-offs
        self.takeover_costs: dict[str, float] = {}  # GBP each takeover cost this year
        self.transaction_costs = 0.0  # GBP of contract running and procurement it bore
        self.pooled_to_social_care = 0.0  # GBP of its budget a pool spent on social care
        self.contract_state: dict[tuple[str, str], dict[str, Any]] = {}
        self.settlements: dict[tuple[str, str], float] = {}

    def settle(self, contract: str, rule: PaymentRule, settlement: Settlement) -> float:
        """Year-end adjustment owed to ``settlement.payee`` under ``contract`` (GBP)."""
        key = (contract, settlement.payee)
        settlement.state = self.contract_state.setdefault(key, {})
        amount = float(rule.settle(settlement))
        self.settlements[key] = amount
        return amount

    def record(self, payments: dict[str, float]) -> None:
        """Record this year's contract payments (rescues are added by :meth:`rescue`), and
        start the year's support and transaction costs afresh."""
        self.spend_by_payee = dict(zip(payments, map(float, payments.values()), strict=True))
        self.spend = float(sum(payments.values()))
        self.rescues = {}
        self.support, self.takeover_costs = {}, {}
        self.transaction_costs = 0.0
        self.pooled_to_social_care = 0.0

    def rescue(self, payee: str, amount: float) -> None:
        """Cover an insolvent provider's deficit where it cannot be allowed to close."""
        self.rescues[payee] = self.rescues.get(payee, 0.0) + float(amount)
        self.spend += float(amount)

    def fund(self, payee: str, amount: float, takeover_cost: float = 0.0) -> None:
        """Pay ``amount`` into a trust's reserves (a bail-out or a takeover's write-off), and
        what taking it over cost."""
        self.support[payee] = self.support.get(payee, 0.0) + float(amount)
        if takeover_cost:
            self.takeover_costs[payee] = self.takeover_costs.get(payee, 0.0) + float(takeover_cost)

    def bear_transaction_costs(self, amount: float) -> None:
        """Book what running and procuring the contracts cost the commissioner this year."""
        self.transaction_costs += float(amount)

    def pool(self, amount: float) -> None:
        """Pay the health share a pooled budget spent on social care this year."""
        self.pooled_to_social_care += float(amount)

    @property
    def total_spend(self) -> float:
        """GBP spent this year: contract payments, support to trusts, takeovers, transaction
        costs and health money pooled into social care."""
        return (
            self.spend
            + sum(self.support.values())
            + sum(self.takeover_costs.values())
            + self.transaction_costs
            + self.pooled_to_social_care
        )

    @property
    def last_year(self) -> ContractYear | None:
        """What it saw of every ICP's latest settled year (None before any)."""
        return self.history[-1] if self.history else None
