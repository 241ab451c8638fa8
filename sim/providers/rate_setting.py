"""The commissioner's rate-setting rules: what it pays each ICP per member, year by year.

A contract's rule (:mod:`sim.contracts`) prices each member as care happens; a
rate-setting rule then says what multiple of that the commissioner actually pays this
year, and what it claws back at settlement:

* :class:`FixedInAdvance` - the contract's rate, for as long as the ICP runs (today's);
* :class:`Rebasing` - moved a declared share of the way each year towards the ICPs' pooled
  observed cost per risk-adjusted member ``lag`` years before, plus a margin allowance,
  within a ratchet on how fast it may rise or fall;
* :class:`CompetitiveBids` - each ICP's own bid (pay-as-bid, as Medicare Advantage pays a
  plan bidding below its benchmark), never above the reference rate, plus a rebate of a
  share of the difference that the ICP must spend on extra benefits;
* :class:`ProfitCap` - the contract's rate, with any surplus above a cap on turnover clawed
  back at settlement (Alzira, calibration_targets 3.9).

Rates are multiples of the contract's own rate, so one rule serves every ICP whatever its
contract and risk mix: "cost per risk-adjusted member" over "the contract's rate per
risk-adjusted member" is the ICP's cost over what its contract paid. ICPs see only the
payments and claw-backs that follow, never which rule produced them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np

from sim.config.commissioner_parameters import (
    BiddingTerms,
    CommissionerTerms,
    ProfitCapTerms,
    RebasingTerms,
)


@dataclass(frozen=True)
class ContractYear:
    """What the commissioner saw of every ICP's year at settlement (an entry per ICP)."""

    year: int
    is_open: np.ndarray  # bool: ran this year
    enrolees: np.ndarray  # member-years
    base_paid: np.ndarray  # GBP its contract's own rate paid, before any rate-setting rule
    cost: np.ndarray  # GBP of care and running costs, extra benefits excluded
    benefits: np.ndarray  # GBP spent on extra benefits
    revenue: np.ndarray  # GBP received at settlement: rate adjustments, claw-back, premiums
    clawback: np.ndarray  # GBP clawed back
    quality: np.ndarray  # quality index (0-1) it was settled on

    def cost_ratio(self) -> np.ndarray:
        """Each ICP's cost over what its contract's rate paid (NaN where nothing was paid)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = self.cost / self.base_paid
        return np.where(self.is_open & (self.base_paid > 0), ratio, np.nan)

    def pooled_cost_ratio(self) -> float:
        """The open ICPs' cost over what their contracts paid, pooled (NaN if none was paid)."""
        seen = self.is_open & (self.base_paid > 0)
        paid = float(self.base_paid[seen].sum())
        return float(self.cost[seen].sum()) / paid if paid > 0 else float("nan")

    def margin(self) -> np.ndarray:
        """Each ICP's surplus as a share of its revenue (NaN without revenue)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            share = (self.revenue - self.cost - self.benefits) / self.revenue
        return np.where(self.is_open & (self.revenue > 0), share, np.nan)

    def pooled_margin(self) -> float:
        """The open ICPs' surplus over their revenue, pooled (NaN without revenue)."""
        seen = self.is_open & (self.revenue > 0)
        revenue = float(self.revenue[seen].sum())
        surplus = float((self.revenue - self.cost - self.benefits)[seen].sum())
        return surplus / revenue if revenue > 0 else float("nan")


class Rates(NamedTuple):
    """This year's terms, each an entry per ICP, as multiples of its contract's rate."""

    pay: np.ndarray  # what the commissioner pays
    rebate: np.ndarray  # the part of ``pay`` the ICP must spend on extra benefits


def standard_rates(n: int) -> Rates:
    """The contract's own rate and no rebate, for ``n`` ICPs."""
    return Rates(np.ones(n), np.zeros(n))


class RateSetting(ABC):
    """A rule for what the commissioner pays ICPs this year and claws back at year end."""

    takes_bids: ClassVar[bool] = False  # whether ICPs are asked to bid before the year

    @abstractmethod
    def rates(self, history: Sequence[ContractYear], current: Rates, bids: np.ndarray) -> Rates:
        """This year's rates from the years settled so far (``history``, oldest first), last
        year's ``current`` rates and, where :attr:`takes_bids`, each ICP's bid (a multiple
        of its contract's rate)."""

    def claw_back(self, revenue: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """GBP each ICP returns at settlement, from its revenue and cost for the year."""
        return np.zeros(len(revenue))

    def headroom(self, revenue: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """GBP more each ICP could spend, on ``revenue`` and ``cost``, before a pound of it
        came out of its own surplus, because the claw-back would take it all; negative,
        how far its cost would have to fall before anything was clawed back (minus
        infinity for a rule that never claws back)."""
        return np.full(len(revenue), -np.inf)


class FixedInAdvance(RateSetting):
    """The contract's rate, fixed when the contract was let and never revisited."""

    def rates(self, history, current, bids):
        return standard_rates(len(current.pay))


@dataclass
class Rebasing(RateSetting):
    """Each year's rate moves ``speed`` of the way to the pooled observed cost ratio of
    ``lag`` years before (times one plus ``margin_allowance``), rising by at most
    ``max_rise`` and falling by at most ``max_fall`` of last year's rate.

    With the ``pooled`` basis there is one rate for every ICP: set on all of them together
    (a yardstick), no ICP can raise its own rate by spending more, so a cost saved is a
    margin kept, and an ICP dearer than its peers loses money. With the ``own`` basis each
    ICP's rate follows its own cost, which keeps every ICP near the allowance but pays
    back what it spends.
    """

    terms: RebasingTerms

    def target(self, history: Sequence[ContractYear], n: int) -> np.ndarray:
        """The rate observed cost ``lag`` years back calls for, an entry per ICP (NaN where
        nothing was observed: before that year, or an ICP not paid that year)."""
        if len(history) < self.terms.lag:
            return np.full(n, np.nan)
        seen = history[-self.terms.lag]
        ratio = seen.cost_ratio() if self.terms.basis == "own" else seen.pooled_cost_ratio()
        return np.broadcast_to(ratio * (1 + self.terms.margin_allowance), (n,))

    def rates(self, history, current, bids):
        t, last = self.terms, current.pay
        target = self.target(history, len(last))
        moved = np.where(np.isnan(target), last, last + t.speed * (target - last))
        pay = np.clip(moved, last * (1 - t.max_fall), last * (1 + t.max_rise))
        return Rates(pay, np.zeros(len(last)))


@dataclass
class CompetitiveBids(RateSetting):
    """Pay-as-bid below the reference rate: each ICP is paid its own bid, at most the
    contract's rate, plus ``rebate_share`` of the difference, which it must spend on extra
    benefits (the Medicare Advantage benchmark, bid and rebate)."""

    terms: BiddingTerms
    takes_bids: ClassVar[bool] = True

    def rates(self, history, current, bids):
        accepted = np.minimum(np.where(np.isnan(bids), 1.0, bids), 1.0)
        rebate = self.terms.rebate_share * (1.0 - accepted)
        return Rates(accepted + rebate, rebate)


@dataclass
class ProfitCap(RateSetting):
    """The contract's rate; a surplus above ``cap`` of turnover is clawed back at settlement."""

    terms: ProfitCapTerms

    def rates(self, history, current, bids):
        return standard_rates(len(current.pay))

    def claw_back(self, revenue, cost):
        """What leaves a surplus of ``cap`` of the turnover left after the claw-back: the
        revenue above ``cost / (1 - cap)``."""
        return np.maximum(revenue - np.maximum(cost, 0.0) / (1.0 - self.terms.cap), 0.0)

    def headroom(self, revenue, cost):
        """The cost at which nothing is clawed back, ``revenue x (1 - cap)``, less ``cost``."""
        return revenue * (1.0 - self.terms.cap) - np.maximum(cost, 0.0)


def build_rate_setting(terms: CommissionerTerms) -> RateSetting:
    """The scenario's rule with its terms."""
    if terms.rate_setting == "rebasing":
        return Rebasing(terms.rebasing)
    if terms.rate_setting == "bidding":
        return CompetitiveBids(terms.bidding)
    if terms.rate_setting == "profit_cap":
        return ProfitCap(terms.profit_cap)
    return FixedInAdvance()
