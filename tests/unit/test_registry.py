"""The contract registry: every kind listed once, and the scenario schema's union read from it."""

from __future__ import annotations

import subprocess
import sys
import typing

import pytest

from sim.config.scenario import Scenario
from sim.contracts import registry
from sim.contracts.core import TariffContract, build_tariff
from sim.contracts.payment import build_rule
from sim.contracts.registry import CONTRACT_KINDS, KINDS, ROLES, Contract, ContractKind, listing
from sim.contracts.rule import PaymentRule
from sim.contracts.terms import ALL_ROLES

from .tiny_contracts import tiny_context

SCOPE_OF_ROLE = {"icp": "all", "hospital": "hospital", "purchase": "hospital", "gp": "primary_care"}


def test_each_kind_is_named_by_its_terms() -> None:
    for name, kind in KINDS.items():
        assert kind.terms.model_fields["kind"].default == name == kind.name
        assert kind.terms().kind == name


def test_kinds_and_roles_are_read_from_the_registry() -> None:
    assert tuple(kind.terms for kind in KINDS.values()) == CONTRACT_KINDS
    assert len(set(CONTRACT_KINDS)) == len(CONTRACT_KINDS) == len(KINDS) >= 15
    assert {name: kind.terms.roles for name, kind in KINDS.items()} == ROLES
    assert all(roles and set(roles) <= set(ALL_ROLES) for roles in ROLES.values())


def test_the_union_holds_every_kind_in_registry_order() -> None:
    union, discriminator = typing.get_args(Contract)
    assert typing.get_args(union) == CONTRACT_KINDS
    assert discriminator.discriminator == "kind"


def test_the_scenario_schema_takes_every_kind_of_the_registry() -> None:
    for name, kind in KINDS.items():
        scenario = Scenario.model_validate({"contracts": {"spare": {"kind": name}}})
        assert type(scenario.contracts["spare"]) is kind.terms


@pytest.mark.parametrize("name", list(KINDS))
def test_build_rule_uses_the_kind_of_the_registry(name: str) -> None:
    kind = KINDS[name]
    context = tiny_context()
    rule = build_rule(kind.terms(), SCOPE_OF_ROLE[kind.roles[0]], context.calibration, context)
    assert isinstance(rule, PaymentRule)
    # a rule sits beside its builder, or is one of the shared rules it is built from
    shared = ("sim.contracts.core", "sim.contracts.base")
    assert type(rule).__module__ in (kind.build.__module__, *shared)


def test_a_kind_listed_twice_is_refused() -> None:
    tariff = ContractKind(TariffContract, build_tariff)
    assert list(listing(tariff)) == ["tariff"]
    with pytest.raises(ValueError, match="'tariff' is listed twice"):
        listing(tariff, tariff)


def test_the_registry_imports_neither_the_scenario_schema_nor_the_patients() -> None:
    """So the schema can import the registry without an import cycle."""
    code = (
        "import sys, sim.contracts.registry; "
        "print(' '.join(m for m in sys.modules if m.startswith('sim.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert registry.__name__ in loaded
    for module in ("sim.config.scenario", "sim.contracts.payment", "sim.patients.population"):
        assert module not in loaded, module
