"""Every contract kind, listed once: its terms (what a scenario file writes) and its builder.

A kind's name is the ``kind`` its terms declare; its builder turns validated terms into the
:class:`~sim.contracts.rule.PaymentRule` that pays for the activities in a scope. The
scenario schema's union of contract terms (:data:`Contract`), the list of kinds
(:data:`CONTRACT_KINDS`) and the roles each may fill (:data:`ROLES`) are read from
:data:`KINDS`, so a new kind is one module (terms, rule and builder) plus one line here.

Nothing here imports the scenario schema or the patients, so the schema can import this.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Annotated

from pydantic import Field

from sim.base.schema import Strict
from sim.contracts.block import BlockContract, build_block
from sim.contracts.budgets import (
    PooledBudgetContract,
    PracticeBudgetContract,
    build_pooled_budget,
    build_practice_budget,
)
from sim.contracts.bundles import (
    EpisodeBundleContract,
    YearOfCareContract,
    build_episode_bundle,
    build_year_of_care,
)
from sim.contracts.core import (
    BlendedContract,
    CapitationContract,
    TariffContract,
    build_blended,
    build_capitation,
    build_tariff,
)
from sim.contracts.performance import (
    LeadProviderContract,
    WithholdContract,
    build_lead_provider,
    build_withhold,
)
from sim.contracts.risk import (
    CarveOutContract,
    CorridorContract,
    SharedSavingsContract,
    build_carve_out,
    build_corridor,
    build_shared_savings,
)
from sim.contracts.rule import PaymentRule
from sim.contracts.tariffs import (
    MarginalRateContract,
    ReadmissionContract,
    build_marginal_rate,
    build_readmission,
)

Builder = Callable[..., PaymentRule]
"""``builder(terms, scope, calibration, context)``: the rule paying for ``scope``'s activities."""


@dataclass(frozen=True)
class ContractKind:
    """One kind of contract: the pydantic model of its terms and the builder of its rule."""

    terms: type[Strict]
    build: Builder

    @property
    def name(self) -> str:
        """The ``kind`` a scenario file writes, as the terms declare it."""
        return self.terms.model_fields["kind"].default

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles this kind may fill (see :data:`sim.contracts.terms.ROLE_NAMES`)."""
        return self.terms.roles  # type: ignore[attr-defined]


def listing(*kinds: ContractKind) -> dict[str, ContractKind]:
    """Kinds by name, in the order given; a name given twice is a programming error."""
    by_name: dict[str, ContractKind] = {}
    for kind in kinds:
        if kind.name in by_name:
            raise ValueError(f"contract kind '{kind.name}' is listed twice")
        by_name[kind.name] = kind
    return by_name


KINDS: dict[str, ContractKind] = listing(
    ContractKind(TariffContract, build_tariff),
    ContractKind(CapitationContract, build_capitation),
    ContractKind(BlendedContract, build_blended),
    ContractKind(BlockContract, build_block),
    ContractKind(MarginalRateContract, build_marginal_rate),
    ContractKind(ReadmissionContract, build_readmission),
    ContractKind(YearOfCareContract, build_year_of_care),
    ContractKind(EpisodeBundleContract, build_episode_bundle),
    ContractKind(WithholdContract, build_withhold),
    ContractKind(LeadProviderContract, build_lead_provider),
    ContractKind(SharedSavingsContract, build_shared_savings),
    ContractKind(CorridorContract, build_corridor),
    ContractKind(CarveOutContract, build_carve_out),
    ContractKind(PracticeBudgetContract, build_practice_budget),
    ContractKind(PooledBudgetContract, build_pooled_budget),
)
"""Every contract kind by name; the order is the order messages list them in."""

CONTRACT_KINDS: tuple[type[Strict], ...] = tuple(kind.terms for kind in KINDS.values())
"""The terms model of every kind, in :data:`KINDS` order."""

Contract = Annotated[reduce(operator.or_, CONTRACT_KINDS), Field(discriminator="kind")]
"""A contract's terms as a scenario file writes them: one of :data:`CONTRACT_KINDS`, by ``kind``."""

ROLES: dict[str, tuple[str, ...]] = {name: kind.roles for name, kind in KINDS.items()}
"""Which roles each contract kind may fill."""
