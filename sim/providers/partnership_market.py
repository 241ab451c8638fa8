"""What ICPs do in the market the commissioner runs: bid a rate, pass surplus on to members.

Both read only an ICP's own books of last year (its cost and what its contract paid, from
:class:`~sim.providers.rate_setting.ContractYear`), this year's rates and the number of
rival ICPs in its localities, never the name of the commissioner's rule:

* a **bid** is its own cost per unit of its contract's rate, marked up by less the more
  rival ICPs it faces (an ICP with no rival bids ``markup_no_rival`` above cost);
* **extra benefits** (GBP per member-year above the standard package) pass on a share of
  the surplus it expects to keep, the share rising with competition from the 13% of the
  least competitive Medicare Advantage markets to the 74% of the most competitive (Cabral,
  Geruso and Mahoney 2018), plus any rebate its contract obliges it to spend on them;
* where a scenario sets a **top-up premium**, what it passes on goes where its members value
  a pound more: a lower premium (down to none) before extra benefits, or benefits alone;
* **claw-back headroom**: how much more it could spend before a pound came out of its own
  surplus, and how far its cost has moved from year to year, which its plan weighs
  (:meth:`~sim.providers.partnership_plans.PartnershipPlanning.saving_kept`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.config.commissioner_parameters import BenefitsTerms, BiddingTerms
from sim.providers.rate_setting import ContractYear, Rates, RateSetting


def bids(last: ContractYear | None, rival_icps: np.ndarray, terms: BiddingTerms) -> np.ndarray:
    """Each ICP's bid as a multiple of its contract's rate: last year's cost over what the
    contract paid, times one plus its markup; NaN (bid the reference) with no year seen."""
    if last is None:
        return np.full(len(rival_icps), np.nan)
    markup = terms.markup_no_rival / (1.0 + rival_icps)
    return last.cost_ratio() * (1.0 + markup)


def pass_through(rival_icps: np.ndarray, terms: BenefitsTerms) -> np.ndarray:
    """Share of its expected surplus each ICP passes on as benefits, by its rivals."""
    reach = np.minimum(rival_icps / terms.competitive_rivals, 1.0)
    return terms.pass_through_no_rival + reach * (
        terms.pass_through_competitive - terms.pass_through_no_rival
    )


def per_member(last: ContractYear) -> tuple[np.ndarray, np.ndarray]:
    """What each ICP's contract's own rate paid per member last year, and its cost per
    member (care and running costs, extra benefits excluded); zero where it had none."""
    seen = last.is_open & (last.enrolees > 0)
    members = np.where(seen, last.enrolees, 1.0)
    return (
        np.where(seen, last.base_paid / members, 0.0),
        np.where(seen, last.cost / members, 0.0),
    )


def clawback_headroom(
    history: Sequence[ContractYear], rates: Rates, rule: RateSetting, quality_spend: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """GBP per member each ICP could spend this year before its own surplus paid for it,
    with no quality effort (last year's ``quality_spend`` per member taken off its cost),
    and the spread of its cost per member from year to year (the standard deviation of
    the changes between years it ran, or the size of the one change; zero before that).

    Both read last year's books at this year's rates (:meth:`~sim.providers.rate_setting.
    RateSetting.headroom`: negative where nothing would be clawed back); before a year is
    seen, nothing is.
    """
    n = len(rates.pay)
    if not history:
        return np.full(n, -np.inf), np.zeros(n)
    base, cost = per_member(history[-1])
    room = rule.headroom((rates.pay - rates.rebate) * base, cost - quality_spend)
    years = [y for y in history if len(y.cost) == n]
    costs = np.array(
        [np.where(y.is_open & (y.enrolees > 0), per_member(y)[1], np.nan) for y in years]
    ).reshape(len(years), n)
    changes = np.diff(costs, axis=0)  # NaN unless it ran both years
    seen = np.isfinite(changes)
    counted = seen.sum(axis=0)
    change = np.where(seen, changes, 0.0)
    mean = change.sum(axis=0) / np.maximum(counted, 1)
    square = np.where(seen, (change - mean) ** 2, 0.0).sum(axis=0)
    spread = np.sqrt(square / np.maximum(counted - 1, 1))  # sample sd of the changes
    return room, np.where(counted >= 2, spread, np.abs(mean))  # the one change, or none


def plan_benefits(
    last: ContractYear | None,
    rates: Rates,
    rule: RateSetting,
    rival_icps: np.ndarray,
    terms: BenefitsTerms,
) -> np.ndarray:
    """GBP per member-year of extra benefits each ICP offers this year.

    It expects last year's cost per member and its contract's rate per member at this
    year's rates; the rebate is spent in full, and, where benefits are offered, a
    :func:`pass_through` share of the surplus it would keep (after any claw-back the rule
    would take from those expectations). Nothing is offered before a year is seen.
    """
    n = len(rival_icps)
    if last is None:
        return np.zeros(n)
    base, cost = per_member(last)
    revenue, rebate = rates.pay * base, rates.rebate * base
    if not terms.enabled:
        return rebate
    kept = revenue - rebate - cost - rule.claw_back(revenue - rebate, cost)
    return rebate + pass_through(rival_icps, terms) * np.maximum(kept, 0.0)


def premium_and_benefits(
    passed_on: np.ndarray, top_up: float, beta_premium: float, beta_benefits: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each ICP's top-up premium and extra benefits (GBP per member-year) from what it
    passes on to members (``passed_on``, from :func:`plan_benefits`).

    Members weigh a pound of premium at ``beta_premium`` and a pound of benefits at
    ``beta_benefits`` (:class:`~sim.config.choice_parameters.Choice`); an ICP spends where a
    pound wins more members. A lower premium first, then, once it charges nothing, extra
    benefits; with benefits valued more, it charges the whole top-up and buys benefits.
    """
    if beta_premium < beta_benefits:
        return np.full(len(passed_on), top_up), passed_on
    cut = np.minimum(passed_on, top_up)
    return top_up - cut, passed_on - cut
