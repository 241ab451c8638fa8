"""The money adds up, every year of every shipped scenario, to the penny.

* The commissioner's spend is what providers received from it (contract payments,
  settlements and rescues), what it paid into trusts in deficit and for takeovers, the
  transaction costs it bore, and the health money a pooled budget spent on social care.
* What trusts received is what the commissioner and the virtual ICPs paid them; what ICPs
  received is what the commissioner paid them and the top-up premiums their members paid.
* Each provider's revenue less its cost is its surplus, and its reserves move by the
  surplus plus any transfer (a bail-out, a takeover's write-off, an ICP's opening capital).
* The metrics agree with the books: commissioner spend less resource cost is the
  providers' surpluses plus what the commissioner paid into trusts' reserves, less what
  members paid in premiums; ICPs' quality effort and running costs are what their plans say
  and lie within their cost, and the rescues of ICPs the commissioner could not let close
  are what it paid them.

Totals are read from the model's own books and ledger, not from rounded metrics.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SCENARIOS, scenario

from sim.engine.metrics import METRICS
from sim.engine.model import ICSModel
from sim.engine.money_metrics import system_books

PENNY = 0.01  # GBP
SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.toml"))
RULES = ("bail_out", "takeover", "carry_forward")


def run_and_check(model: ICSModel, years: int) -> dict[str, float]:
    """Step the model, checking every identity each year; returns the largest trust deficit
    left in reserves and the support paid over the run."""
    worst, supported = 0.0, 0.0
    for _ in range(years):
        model.step()
        check_year(model)
        trusts = model.books.reserves[model.book_rows["trusts"]]
        worst = min(worst, float(trusts.min()))
        supported += sum(model.commissioner.support.values())
    return {"worst_trust_reserves": worst, "support": supported}


def check_year(model: ICSModel) -> None:
    c, books, rows, year = model.commissioner, model.books, model.book_rows, model.state
    practices = sum(p.revenue for p in model.practices.values())
    icps = sum(icp.revenue for icp in model.icps)
    support = sum(c.support.values())
    takeovers = sum(c.takeover_costs.values())
    extra = support + takeovers + c.transaction_costs + c.pooled_to_social_care
    # ICPs received what the commissioner paid them and any top-up premiums their members
    # paid, each ICP's premium times its members
    premiums = float(np.sum(year.member_premiums)) if len(year.member_premiums) else 0.0
    from_commissioner = sum(model.paid("commissioner_payment", option=i.option) for i in model.icps)
    assert icps == pytest.approx(from_commissioner + premiums, abs=PENNY)
    for icp, paid in zip(model.icps, year.member_premiums.tolist(), strict=False):
        members = year.ledger.sum("population", option=icp.option)
        assert paid == pytest.approx(icp.premium * members, abs=PENNY)
    # commissioner spend = what providers received from it + support + transaction costs
    received = practices + model.paid("hospital_payment", option=0) + icps - premiums
    assert c.total_spend == pytest.approx(received + extra, abs=PENNY)
    assert c.total_spend == pytest.approx(model.paid("commissioner_payment") + extra, abs=PENNY)
    # trusts received what the commissioner and virtual ICPs paid them
    trust_revenue = sum(t.revenue for t in model.trusts)
    assert trust_revenue == pytest.approx(model.paid("hospital_payment"), abs=PENNY)
    # each provider: revenue - cost = surplus; reserves move by surplus + transfers
    assert np.allclose(books.surplus, books.revenue - books.cost, rtol=0, atol=PENNY)
    moved = books.opening + books.revenue - books.cost + books.transfers
    assert np.allclose(books.reserves, moved, rtol=0, atol=PENNY)
    # transfers into trusts are the commissioner's support, trust by trust
    for trust in model.trusts:
        assert trust.transfers == pytest.approx(c.support.get(trust.name, 0.0), abs=PENNY)
    # the commissioner bears part of the transaction costs, never more than all of them
    assert -PENNY <= c.transaction_costs <= sum(year.transaction_costs.tolist()) + PENNY
    if not model.icps:
        assert c.transaction_costs == pytest.approx(sum(year.transaction_costs), abs=PENNY)
    # the books by system and the metrics agree with the totals
    b = system_books(year)
    assert b.commissioner_spend[-1] == pytest.approx(c.total_spend, abs=PENNY)
    assert np.sum(b.commissioner_spend[:-1]) == pytest.approx(c.total_spend, abs=PENNY)
    assert np.sum(b.resource_cost[:-1]) == pytest.approx(b.resource_cost[-1], abs=PENNY)
    surpluses = float(books.surplus[np.concatenate(list(rows.values()))].sum())
    gap = c.total_spend - b.resource_cost[-1]
    assert gap == pytest.approx(surpluses + support - premiums, abs=PENNY)
    metrics = model.metrics.years[-1]
    everyone = _metric(model, metrics, "population")
    for metric, total in (
        ("cost_per_capita", c.total_spend),
        ("resource_cost_per_capita", b.resource_cost[-1]),
    ):
        assert _metric(model, metrics, metric) * everyone == pytest.approx(total, abs=PENNY)
    if premiums:  # what households paid in premiums, per head of everyone
        paid = _metric(model, metrics, "premiums_per_capita") * everyone
        assert paid == pytest.approx(premiums, abs=PENNY)
    if model.icps:  # what ICPs spend on quality effort and running themselves is in their cost
        enrolled = year.ledger.option_sums(("population",))[0]
        effort = sum(icp.quality_spend * enrolled[icp.option] for icp in model.icps)
        running = sum(icp.management_cost * enrolled[icp.option] for icp in model.icps)
        for metric, total in (
            ("icp_quality_effort_per_capita", effort),
            ("icp_running_costs_per_capita", b.icp_running_costs[-1]),
        ):
            assert _metric(model, metrics, metric) * everyone == pytest.approx(total, abs=PENNY)
        assert b.icp_running_costs[-1] >= running - PENNY
        assert effort + b.icp_running_costs[-1] <= b.icp_cost[-1] + PENNY
        # what the commissioner covered for ICPs it could not let close, in their revenue
        rescued = sum(c.rescues.get(icp.name, 0.0) for icp in model.icps)
        assert _metric(model, metrics, "icp_rescue_per_capita") * everyone == pytest.approx(
            rescued, abs=PENNY
        )
        assert -PENNY <= rescued <= b.icp_revenue[-1] + PENNY


def _metric(model: ICSModel, block, name: str) -> float:
    """The year's value of ``name`` for system ``all``, group ``all``."""
    group, system, metric = block.codes()
    hit = (group == 0) & (system == len(model.options)) & (metric == METRICS.index(name))
    return float(block.value[hit][0])


@pytest.mark.parametrize("name", SHIPPED)
def test_the_money_identities_hold_every_year(name: str) -> None:
    patients = 40_000 if name == "england" else 3_000
    model = ICSModel(scenario(name), seed=3, patients=patients, years=4)
    out = run_and_check(model, 4)
    if model.scenario.finance.trust_deficit == "bail_out":
        assert out["worst_trust_reserves"] >= -PENNY  # every deficit funded


@pytest.mark.parametrize("rule", RULES)
def test_each_deficit_rule_keeps_the_identities(rule: str) -> None:
    """Trusts unpaid for readmissions run deficits; each rule's payments keep the books."""
    sc = scenario("readmission_non_payment", {"finance.trust_deficit": rule})
    model = ICSModel(sc, seed=3, patients=3_000, years=4)
    out = run_and_check(model, 4)
    if rule == "carry_forward":
        assert out["support"] == 0.0 and out["worst_trust_reserves"] < -PENNY
    elif rule == "bail_out":
        assert out["support"] > 0.0 and out["worst_trust_reserves"] >= -PENNY
    else:
        assert out["support"] > 0.0
