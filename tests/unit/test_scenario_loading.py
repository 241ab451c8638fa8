"""Loading scenario files: one clear message for a bad contract kind, overrides, one schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config import parameters, provider_parameters, scenario, scenario_schema
from sim.config.scenario import (
    Scenario,
    ScenarioError,
    apply_override,
    load_scenario,
    scenario_from_dict,
    with_overrides,
)
from sim.contracts import core, terms
from sim.contracts.registry import KINDS

EVERY_KIND = ", ".join(repr(name) for name in KINDS)
BASE_KINDS = "'tariff', 'capitation', 'blended', 'block'"


def message(tmp_path: Path, text: str, overrides: list[str] | None = None) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, overrides)
    return str(err.value)


def test_an_unknown_contract_kind_gets_one_line_naming_file_field_and_kinds(
    tmp_path: Path,
) -> None:
    text = message(tmp_path, '[contracts.icp]\nkind = "lump"\n')
    assert text == (
        f"{tmp_path / 'bad.toml'}: field 'contracts.icp.kind': unknown contract kind 'lump'; "
        f"allowed: {EVERY_KIND}"
    )


def test_a_contract_without_a_kind_is_told_which_kinds_there_are(tmp_path: Path) -> None:
    text = message(tmp_path, "[contracts.icp]\nrate_ratio = 0.9\n")
    assert "\n" not in text and "field 'contracts.icp.kind': missing" in text
    assert text.endswith(f"allowed: {EVERY_KIND}")


def test_the_base_of_a_wrapper_lists_only_the_kinds_it_can_wrap(tmp_path: Path) -> None:
    toml = '[contracts.icp]\nkind = "p4p_withhold"\n[contracts.icp.base]\nkind = "lump"\n'
    text = message(tmp_path, toml)
    # The field is named as the file writes it, without the kind pydantic adds after a union.
    assert "field 'contracts.icp.base.kind': unknown contract kind 'lump'" in text
    assert text.endswith(f"allowed: {BASE_KINDS}")


def test_a_bad_kind_set_on_the_command_line_names_the_key_it_was_set_at(tmp_path: Path) -> None:
    text = message(tmp_path, "", ['contracts.hospital.kind="lump"'])
    assert "field 'contracts.hospital.kind': unknown contract kind 'lump'" in text


def test_unknown_contract_fields_list_the_kinds_own_fields() -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict({"contracts": {"hospital": {"kind": "block", "value": 3}}}, "x.toml")
    # The field is named as the file writes it, without the kind pydantic adds after a union.
    assert str(err.value) == (
        "x.toml: field 'contracts.hospital.value': unknown field; allowed here: "
        "admin_cost_per_head, annual_uplift, budget_ratio, kind, r_squared, risk_adjustment"
    )


def test_overrides_reach_nested_contract_terms_and_list_items() -> None:
    base = Scenario.model_validate({"icps": [{"name": "north", "localities": ["area"]}]})
    changed = with_overrides(
        base, {"contracts.icp.rate_ratio": 0.9, "icps.0.integration": "vertical"}
    )
    assert changed.contracts["icp"].rate_ratio == 0.9
    assert changed.icps[0].integration == "vertical"
    with pytest.raises(ScenarioError, match="index '3' is out of range"):
        apply_override({"icps": []}, "icps.3.name", "x")


def test_the_schema_and_sections_have_one_definition_each() -> None:
    assert scenario.Scenario is scenario_schema.Scenario
    assert scenario.FRAGMENTED == scenario_schema.FRAGMENTED
    assert scenario.Prices is terms.Prices
    assert scenario.TariffContract is core.TariffContract
    for section in ("Behaviour", "Costs", "Hospital"):
        assert getattr(parameters, section) is getattr(provider_parameters, section)
        assert getattr(scenario, section) is getattr(provider_parameters, section)
