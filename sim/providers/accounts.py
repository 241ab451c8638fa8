"""Every provider's accounts, a row each, and the agent attributes that read and write a row.

The year-end settlement books hundreds of providers, and the metrics total them, in a few
array operations on :class:`ProviderAccounts`; each :class:`Provider` sees only its own
row, through its attributes (``trust.revenue``, ``icp.reserves``). :func:`row_attribute`
makes such attributes for any table an agent holds a row of (the partnerships' plans too).
"""

from __future__ import annotations

import mesa
import numpy as np


class ProviderAccounts:
    """Every provider's accounts, one row per provider: this year's revenue and cost, the
    reserves it opened the year with, transfers into its reserves from outside its revenue
    (a bail-out, a takeover's write-off, an ICP's opening capital), and reserves carried
    from year to year (GBP).

    Kept as arrays so that the year-end accounts book hundreds of providers, and the
    metrics total them, in a few array operations; each :class:`Provider` reads and
    writes its own row through its attributes. (Not the patients' ledger of the year's
    activity and payments, nor the settlement of contracts: see :mod:`sim.engine`.)
    Every row keeps the identity reserves = opening + revenue - cost + transfers.
    """

    COLUMNS = ("revenue", "cost", "reserves", "opening", "transfers")

    def __init__(self) -> None:
        for column in self.COLUMNS:
            setattr(self, column, np.zeros(0))

    def __len__(self) -> int:
        return len(self.revenue)

    def add_row(self) -> int:
        """A new provider's row, all zero; returns its index."""
        for column in self.COLUMNS:
            setattr(self, column, np.append(getattr(self, column), 0.0))
        return len(self.revenue) - 1

    def book(self, rows: np.ndarray | list[int], revenue, cost) -> None:
        """Close the year's accounts of the providers in ``rows``: the surplus adds to reserves.

        Opens their year: what they held is their opening reserves, and no transfer yet.
        """
        revenue, cost = np.asarray(revenue, dtype=float), np.asarray(cost, dtype=float)
        self.opening[rows] = self.reserves[rows]
        self.transfers[rows] = 0.0
        self.revenue[rows], self.cost[rows] = revenue, cost
        self.reserves[rows] += revenue - cost

    def transfer(self, rows: np.ndarray | list[int], amount) -> None:
        """Add ``amount`` to the reserves of ``rows`` from outside this year's revenue."""
        amount = np.asarray(amount, dtype=float)
        self.transfers[rows] += amount
        self.reserves[rows] += amount

    def add_revenue(self, row: int, amount: float) -> None:
        """Book ``amount`` more revenue this year (a rescue paid after the accounts closed)."""
        self.revenue[row] += amount
        self.reserves[row] += amount

    @property
    def surplus(self) -> np.ndarray:
        return self.revenue - self.cost


def row_attribute(table: str, row: str, column: str, doc: str) -> property:
    """An agent attribute that is its own entry (row ``getattr(agent, row)``) in one column
    of a table the agent holds (``getattr(agent, table)``): the providers' accounts, or the
    partnerships' plans."""

    def get(agent):
        return getattr(getattr(agent, table), column)[getattr(agent, row)].item()

    def put(agent, value) -> None:
        getattr(getattr(agent, table), column)[getattr(agent, row)] = value

    return property(get, put, doc=doc)


def _account(column: str, doc: str) -> property:
    """A provider attribute that is its own entry in one column of its accounts."""
    return row_attribute("accounts", "row", column, doc)


class Provider(mesa.Agent):
    """Anything that is paid and has costs: it keeps a surplus and reserves.

    Its accounts are row :attr:`row` of the model's :class:`ProviderAccounts` (``model.books``).
    """

    def __init__(self, model: mesa.Model, name: str):
        super().__init__(model)
        self.name = name
        self.accounts: ProviderAccounts = model.books
        self.row = self.accounts.add_row()

    revenue = _account("revenue", "GBP received this year.")
    cost = _account("cost", "GBP spent this year.")
    reserves = _account("reserves", "GBP of surpluses kept, less deficits, since the start.")
    transfers = _account("transfers", "GBP added to reserves this year from outside revenue.")

    @property
    def surplus(self) -> float:
        return self.revenue - self.cost

    def book(self, revenue: float, cost: float) -> None:
        """Close the year's accounts."""
        self.accounts.book([self.row], [revenue], [cost])
