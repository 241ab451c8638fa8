"""What the year-end steps read: the market of providers and contracts, and the year's sums.

Settlement (:mod:`sim.engine.settlement`), failures (:mod:`sim.engine.failures`) and
metrics (:mod:`sim.engine.metrics`) take a :class:`YearState` rather than the model, so
everything they read is named here, and everything they write back goes into it (the
settlement ledger, the year's transaction costs) or into the providers' own accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.config.parameters import Behaviour, Costs
from sim.contracts.payment import PaymentRule
from sim.engine.ledger import Ledger
from sim.engine.quality import QualityRecord
from sim.engine.settlement_ledger import SettlementLedger
from sim.providers.accounts import ProviderAccounts
from sim.providers.commissioner import Commissioner
from sim.providers.costs import HospitalCosts
from sim.providers.partnership_table import Partnerships
from sim.providers.partnerships import IntegratedCarePartnership
from sim.providers.practices import GPPractice
from sim.providers.social_care import SocialCareYear
from sim.providers.trusts import HospitalTrust


@dataclass(frozen=True)
class Market:
    """Who is paid for which patients, and how: fixed once a model's providers exist.

    The providers are the model's own agents, so what the year-end steps book into them
    (accounts, expectations, closures) is the model's from then on.
    """

    n_options: int
    rules: dict[str, PaymentRule]  # by role: "gp", "hospital", "icp_hospital", each ICP's name
    costs: HospitalCosts
    behaviour: Behaviour
    cost_parameters: Costs
    practices: tuple[GPPractice, ...]  # in locality order
    practice_localities: np.ndarray  # each practice's locality
    trusts: tuple[HospitalTrust, ...]  # one per locality, in order
    trust_pairs: tuple[np.ndarray, np.ndarray]  # (option, locality) cells trusts are paid for
    icps: tuple[IntegratedCarePartnership, ...]
    partnerships: Partnerships  # the ICPs' plans and state, a row each
    commissioner: Commissioner
    books: ProviderAccounts  # every provider's accounts, a row each
    book_rows: dict[str, np.ndarray]  # each kind of provider's rows in the books
    fragmented_default: np.ndarray  # whether each locality has the fragmented default
    available: Callable[[], np.ndarray]  # which options are open now: (locality, option)
    trust_host: np.ndarray | None = None  # which trust serves each locality (None: its own)

    def trust_hosts(self) -> np.ndarray:
        """The trust serving each locality's patients: its own, unless that trust exited and
        handed them to a successor (:mod:`sim.engine.failures`)."""
        if self.trust_host is None:
            return np.arange(len(self.trusts), dtype=np.intp)
        return self.trust_host


@dataclass
class YearState:
    """One year as the steps after the patients' pass see it.

    ``ledger`` holds what happened to patients; settlement adds its amounts to
    ``settlements`` and sets ``transaction_costs`` (all of them, by option), the part the
    commissioner bore (the rest is ICPs' running costs, in their books), what trusts spent
    on each cell they are paid for, what the commissioner paid trusts in deficit and what
    ICP members paid in top-up premiums; metrics read them all.
    """

    market: Market
    year: int
    ledger: Ledger
    settlements: SettlementLedger
    default_quality: np.ndarray  # quality index of the fragmented default, by locality
    transaction_costs: np.ndarray  # GBP this year, by option
    quality: QualityRecord | None = None  # measured and published quality, every year so far
    # the year's books, as settlement leaves them (see sim.engine.money_metrics)
    trust_costs: np.ndarray = field(default_factory=lambda: np.zeros(0))  # GBP, by trust pair
    commissioner_transaction_costs: np.ndarray = field(  # GBP the commissioner bore, by option
        default_factory=lambda: np.zeros(0)
    )
    trust_support: np.ndarray = field(default_factory=lambda: np.zeros(0))  # GBP, by trust
    takeover_costs: np.ndarray = field(default_factory=lambda: np.zeros(0))  # GBP, by trust
    member_premiums: np.ndarray = field(  # GBP ICP members paid their ICP in premiums, by ICP
        default_factory=lambda: np.zeros(0)
    )
    social_care: SocialCareYear | None = None  # each locality's, with [social_care] on
    # the year's distribution of individual cost (sim.engine.cost_concentration)
    cost_figures: dict[str, float] = field(default_factory=dict)

    def paid(self, quantity: str, **where) -> float:
        """GBP of ``quantity`` in the cells: payments as care happened plus settlements."""
        return self.ledger.sum(quantity, **where) + self.settlements.sum(quantity, **where)

    def paid_pairs(self, quantity: str, option: np.ndarray, locality: np.ndarray) -> np.ndarray:
        """:meth:`paid` in each (option, locality) pair given."""
        return self.ledger.pair_sums((quantity,), option, locality)[0] + self.settlements.pair_sums(
            quantity, option, locality
        )

    def paid_by_option(self, quantity: str, high_risk: int | None = None) -> np.ndarray:
        """:meth:`paid` by option (of patients with that high-risk flag, if given)."""
        return self.ledger.option_sums((quantity,), high_risk)[0] + self.settlements.option_sums(
            quantity, high_risk
        )
