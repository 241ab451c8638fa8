"""Loads every rule of the policy catalogue, so each registers its builder.

:func:`sim.contracts.payment.build_rule` imports this module the first time it meets a contract
kind it does not know; import it directly to see the whole registry.
"""

from __future__ import annotations

from sim.contracts import block, budgets, bundles, performance, risk, tariffs  # noqa: F401
from sim.contracts.payment import BUILDERS

__all__ = ["BUILDERS"]
