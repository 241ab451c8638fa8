"""The policy catalogue as a whole: every shipped scenario is listed, cited, documented and runs.

The mechanisms' directions are tested in ``test_policy_catalogue_payment.py``,
``test_policy_catalogue_systems.py`` and ``test_policy_catalogue_side_effects.py``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from helpers import ROOT, SCENARIOS, assert_one_clear_message
from typer.testing import CliRunner

from sim.cli import app
from sim.config.catalogue import list_scenarios, scenarios_folder
from sim.config.declare import iter_parameters
from sim.config.scenario import load_scenario
from sim.contracts.registry import KINDS, ROLES

runner = CliRunner()
SHIPPED = sorted(SCENARIOS.glob("*.toml"))
CITATION = re.compile(r"seed 00[0-4][: ]L?\d+|calibration_targets \d")
CATALOGUE = (
    "block_contract_cumbria",
    "p4p_withhold_tower_hamlets",
    "p4p_rising_knowsley",
    "cquin_hospital_quality",
    "year_of_care_diabetes",
    "episode_bundle_geisinger",
    "marginal_rate_emergency",
    "readmission_non_payment",
    "shared_savings",
    "lead_provider_milton_keynes",
    "lead_provider_cap_ben",
    "risk_corridor",
    "pbc_soft_budget",
    "pbc_hard_budget",
    "carve_out_high_cost",
    "vertical_kaiser_nc",
    "virtual_kaiser_colorado",
    "route_bolton_community_specialists",
    "route_epsom_primary_care_reach_in",
    "route_birmingham_partnership",
    "pooled_budget_torbay",
    "single_planned_system_scotland",
    "dutch_regulated_competition",
    "dutch_nominal_premiums",
    "urban_vs_rural_yardstick",
    "icp_life_cycle",
    "competing_icps_rebasing",
    "competing_icps_bidding",
    "competing_icps_profit_cap",
    "selective_acceptance",
    "word_of_mouth",
    "social_care_torbay",
    "trust_exit",
)


def test_every_system_in_the_issue_has_a_scenario_and_every_kind_a_builder() -> None:
    assert set(CATALOGUE) <= {p.stem for p in SHIPPED}
    assert set(KINDS) == set(ROLES), "every contract kind says which roles it fills"
    assert all(callable(kind.build) for kind in KINDS.values()), "and has a builder"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_scenario_file_is_named_described_and_cited(path: Path) -> None:
    text = path.read_text()
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    assert header, f"{path.name} starts with a comment citing its sources"
    assert CITATION.search(" ".join(header)), f"{path.name}: header cites no seed line"
    meta = tomllib.loads(text)["scenario"]
    assert meta["name"] == path.stem
    assert meta["description"] and "\n" not in meta["description"]
    assert any(CITATION.search(s) for s in meta["sources"]), f"{path.name}: sources cite no seed"


def test_icsim_scenarios_lists_every_file_with_its_citations(tmp_path: Path) -> None:
    result = runner.invoke(app, ["scenarios", str(SCENARIOS)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    for path in SHIPPED:
        sc = load_scenario(path)
        row = next(line for line in result.output.splitlines() if f" {sc.scenario.name} " in line)
        assert CITATION.search(row), f"no citation on the row of {sc.scenario.name}"
    infos = list_scenarios(SCENARIOS)
    assert [i.name for i in infos] == [p.stem for p in SHIPPED]
    assert scenarios_folder(tmp_path) == SCENARIOS.resolve(), "falls back to the repository's"
    assert scenarios_folder(ROOT) == ROOT / "scenarios"
    bad = tmp_path / "scenarios"
    bad.mkdir()
    (bad / "broken.toml").write_text('[contracts.icp]\nkind = "lump"\n')
    listed = runner.invoke(app, ["scenarios", str(bad)], env={"COLUMNS": "400"})
    assert listed.exit_code == 0 and "invalid" in listed.output
    missing = runner.invoke(app, ["scenarios", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no such folder" in missing.output


@pytest.mark.parametrize("name", CATALOGUE)
def test_scenario_runs_from_the_command_line(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    result = runner.invoke(
        app,
        [
            "run",
            str(SCENARIOS / f"{name}.toml"),
            "--out",
            str(out),
            "--patients",
            "1500",
            "--years",
            "2",
            "--seed",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    df = pd.read_parquet(out / "metrics.parquet")
    assert set(df["year"]) == {1, 2}
    assert df["value"].notna().all()
    assert load_scenario(out / "scenario.toml").scenario.name == name


def test_documentation_maps_every_catalogue_scenario_to_code_and_test() -> None:
    page = (ROOT / "docs" / "policy_catalogue.md").read_text()
    for name in CATALOGUE:
        assert f"{name}.toml" in page, f"docs/policy_catalogue.md does not list {name}"
    for module in (
        "sim/contracts/block.py",
        "sim/contracts/performance.py",
        "sim/providers/trusts.py",
        "sim/providers/partnership_plans.py",
        "test_policy_catalogue_payment.py",
        "selection_gap",
        "fragmentation",
    ):
        assert module in page
    readme = (ROOT / "README.md").read_text()
    assert "## Policy catalogue" in readme and "docs/policy_catalogue.md" in readme


def test_new_parameters_are_listed_with_sources() -> None:
    sc = load_scenario(SCENARIOS / "p4p_rising_knowsley.toml")
    params = {p.key: p for p in iter_parameters(sc)}
    share = params["contracts.pathway.withhold_share_by_year"]
    assert share.value == [0.2, 0.3, 0.4] and "seed 004" in share.evidence
    assert "assumption" in params["contracts.pathway.target_quality_by_year"].evidence
    default = {p.key for p in iter_parameters(load_scenario(SCENARIOS / "fragmented_tariff.toml"))}
    for key in (
        "costs.community_outpatient_cost_ratio",
        "behaviour.readmission_avoidance_max",
        # staffed capacity now follows activity at this speed, for trusts and ICPs' own
        # hospitals alike (sim/providers/capacity.py); it replaced the trusts' own
        # hospital.capacity_margin_response
        "costs.capacity_adjustment_speed",
        "costs.hospital_fixed_share",
        "contracts.hospital.admin_cost_per_head",
    ):
        assert key in default
    result = runner.invoke(
        app, ["params", str(SCENARIOS / "lead_provider_milton_keynes.toml")], env={"COLUMNS": "300"}
    )
    assert "contracts.lead.budget_ratio" in result.output and "seed 004 L2334-2336" in result.output


BAD = {
    "role": ('[contracts.gp]\nkind = "pooled_budget"\n', "contracts.gp", "practice_budget"),
    "share": (
        '[contracts.icp]\nkind = "p4p_withhold"\nwithhold_share_by_year = [0.2, 1.5]\n',
        "contracts.icp.withhold_share_by_year",  # as the file writes it: no kind in the path
        "[0, 1]",  # the physical domain every share is checked against
    ),
    "nested_key": (
        '[contracts.icp]\nkind = "p4p_withhold"\n[contracts.icp.base]\n'
        'kind = "capitation"\nrate = 3\n',
        "contracts.icp.base.rate",  # as the file writes it: no kind in the path
        "allowed here: admin_cost_per_head",
    ),
    "kind": ('[contracts.icp]\nkind = "lump"\n', "contracts.icp", "'block'"),
    "covers": (
        '[contracts.hospital]\nkind = "year_of_care"\ncovers = ["gp_consultation"]\n',
        "contracts.hospital",
        "allowed there: outpatient",
    ),
    "vertical_cap": (
        '[[icps]]\nname = "x"\nlocalities = ["area"]\nintegration = "vertical"\n'
        '[contracts.icp]\nkind = "lead_provider"\nself_provision_cap = 0.4\n',
        "ICP 'x'",
        "integration = 'virtual'",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_contract_terms_get_one_clear_message(tmp_path: Path, name: str) -> None:
    assert_one_clear_message(tmp_path, name, *BAD[name])
