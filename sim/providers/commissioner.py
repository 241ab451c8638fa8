"""The commissioner: pays every contract, keeps each contract's state from year to year and
settles it at year end."""

from __future__ import annotations

from typing import Any

import mesa

from sim.contracts.payment import PaymentRule, Settlement


class Commissioner(mesa.Agent):
    """Holds the population budget, pays each contract by its rule and settles it at year end.

    Each (contract, payee) pair has its own state (:attr:`contract_state`), kept across
    years, which the rule reads and writes at settlement (a block's value, a baseline), and its
    latest settlement (:attr:`settlements`). Only contracts with year-end terms
    (:attr:`sim.contracts.payment.PaymentRule.has_settlement`) are settled, so only they appear.
    """

    def __init__(self, model: mesa.Model, rules: dict[str, PaymentRule]):
        super().__init__(model)
        self.rules = rules
        self.spend = 0.0
        self.spend_by_payee: dict[str, float] = {}
        self.rescues: dict[str, float] = {}
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
        """Record this year's contract payments (rescues are added by :meth:`rescue`)."""
        self.spend_by_payee = dict(zip(payments, map(float, payments.values()), strict=True))
        self.spend = float(sum(payments.values()))
        self.rescues = {}

    def rescue(self, payee: str, amount: float) -> None:
        """Cover an insolvent provider's deficit where it cannot be allowed to close."""
        self.rescues[payee] = self.rescues.get(payee, 0.0) + float(amount)
        self.spend += float(amount)
