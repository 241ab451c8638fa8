"""How the commissioner sets what it pays ICPs, re-tenders and admits them (``[commissioner]``).

Today's commissioner fixes each ICP's capitation in advance and never revisits it, so an
ICP paid above its members' cost keeps the margin for as long as it runs. The seeds' case
for competing systems rests on a market that erodes such margins: insurers compete on
premiums and packages (seed 000:479-483), capped profits (Alzira: profit capped at 7.5% of
turnover, calibration_targets 3.9), contracts that can be ended (seed 002 L920-922; seed 004
L1593-1596) and organisations that enter (seed 001:724-725). Each rule's terms live here;
the rules themselves are :mod:`sim.providers.rate_setting`. Everything defaults to today's
behaviour: capitation fixed in advance, no extra benefits or premium, no re-tender,
scheduled entry.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.base.schema import Strict
from sim.config.declare import P

RateSettingRule = Literal["fixed", "rebasing", "bidding", "profit_cap"]
"""``fixed``: the contract's rate, fixed in advance (today's); ``rebasing``: moved each year
towards the ICPs' observed cost; ``bidding``: each ICP is paid its own bid; ``profit_cap``:
the contract's rate, with margins above the cap clawed back at settlement."""

CABRAL_2018 = (
    "Cabral M, Geruso M, Mahoney N (2018). Do larger health insurance subsidies benefit "
    "patients or producers? Evidence from Medicare Advantage. American Economic Review "
    "108(8):2048-2087: of each extra dollar of capitation, premium pass-through of 13% in the "
    "least competitive markets and 74% in the most competitive (45 cents in premiums plus 8 "
    "cents in benefits on average; figures of the 2015 working paper version)"
)
ZUCKERMAN_2017 = (
    "Zuckerman S, Skopec L, Guterman S (2017). Do Medicare Advantage plans minimize costs? "
    "Investigating the relationship between benchmarks, costs, and rebates. The Commonwealth "
    "Fund, December 2017: plans bidding below the benchmark are paid their bid plus a rebate, "
    "a share of the difference that must fund extra benefits"
)


class RebasingTerms(Strict):
    """Capitation moved each year towards the ICPs' observed cost per risk-adjusted member."""

    basis: Literal["pooled", "own"] = Field(
        "pooled",
        description="pooled: one rate for every ICP, on their pooled cost (a yardstick: no "
        "ICP raises its own rate by spending more); own: each ICP's rate on its own cost",
    )
    lag: int = P(
        1,
        "years between the cost observed and the rate it sets",
        assumption=(1, 3),
        ge=1,
        le=5,
        note="NHS allocations rebased on spend two to three years old; 1 = last year's",
    )
    speed: float = P(
        0.5,
        "share of the gap between rate and observed cost closed each year",
        assumption=(0.2, 1.0),
    )
    margin_allowance: float = P(
        0.03,
        "share above observed cost the rebased rate allows",
        assumption=(0.0, 0.06),
        note="real plans' operating margins are a few per cent (issue statement; seed 000:479-483)",
    )
    max_rise: float = P(
        0.02,
        "share the rate may rise in a year at most (the ratchet; 0: it never rises)",
        assumption=(0.0, 0.05),
    )
    max_fall: float = P(
        0.1,
        "share the rate may fall in a year at most",
        assumption=(0.03, 0.2),
        note="a rate cut too fast closes ICPs before they can adjust (seed 004 L415-419)",
    )


class BiddingTerms(Strict):
    """Each ICP bids a capitation rate from its own cost and a markup that competition sets.

    The commissioner pays each ICP its own bid (pay-as-bid, as Medicare Advantage pays a plan
    bidding below the benchmark), never more than the contract's reference rate; a bid below
    the reference earns a rebate the ICP must spend on extra benefits, which members see in
    their choice.
    """

    markup_no_rival: float = P(
        0.06,
        "share above its own cost an ICP with no rival ICP bids",
        assumption=(0.02, 0.15),
        note="divided by one plus the number of rival ICPs in its localities; real plans' "
        "operating margins are a few per cent",
    )
    rebate_share: float = P(
        0.0,
        "share of (reference rate - bid) paid as a rebate to fund extra benefits",
        assumption=(0.0, 0.75),
        note="Medicare Advantage pays a plan bidding below the benchmark a rebate of part of "
        "the difference, to be spent on extra benefits (" + ZUCKERMAN_2017 + "); off by "
        "default: a rebate passes savings to members at the commissioner's cost",
    )


class ProfitCapTerms(Strict):
    """Margins above a cap on turnover are clawed back at settlement (Alzira)."""

    cap: float = P(
        0.075,
        "share of turnover an ICP may keep as surplus",
        "calibration_targets 3.9 (Alzira: profit capped at 7.5% of turnover)",
    )


class RetenderTerms(Strict):
    """Every ``every_years`` the commissioner ends the contract of an ICP failing its test."""

    every_years: int = P(
        0,
        "years between re-tenders (0: never)",
        assumption=(0, 10),
        ge=0,
        note="seed 002 L920-922; seed 004 L1593-1596 (contracts ended and re-let)",
    )
    max_margin: float = P(
        0.15,
        "share of turnover above which an ICP's margin fails the test",
        assumption=(0.075, 0.25),
    )
    min_quality: float = P(
        0.4, "quality index (0-1) below which an ICP fails the test", assumption=(0.3, 0.5)
    )


class EntryTerms(Strict):
    """When an ICP whose start year has come is admitted to the market."""

    rule: Literal["scheduled", "when_profitable"] = Field(
        "scheduled",
        description="scheduled: it opens in its start year (today's); when_profitable: from "
        "its start year, once the open ICPs' pooled margin last year was at least entry_margin",
    )
    entry_margin: float = P(
        0.05,
        "share of turnover the incumbents must earn for an entrant to be admitted",
        assumption=(0.0, 0.1),
        note="entry follows the incumbents' profits (Duggan, Starc and Vabson 2016, J Public "
        "Econ 141:50-67: higher Medicare Advantage payments drew more insurers in)",
    )


class BenefitsTerms(Strict):
    """What an ICP passes on to its members out of surplus: extra benefits above the
    standard package, or a lower premium where a scenario sets one (:class:`PremiumTerms`)."""

    enabled: bool = Field(
        False,
        description="ICPs pass a share of their surplus on to members: as extra benefits, or "
        "as a lower premium where [commissioner.premium] sets one",
    )
    pass_through_no_rival: float = P(
        0.13, "share of surplus an ICP with no rival ICP passes on as benefits", CABRAL_2018
    )
    pass_through_competitive: float = P(
        0.74,
        "share of surplus an ICP facing competitive_rivals rival ICPs passes on",
        CABRAL_2018,
    )
    competitive_rivals: int = P(
        2,
        "rival ICPs (a count) from which an ICP passes on the competitive pass-through",
        assumption=(1, 4),
        ge=1,
    )


class PremiumTerms(Strict):
    """A top-up premium ICP members pay, which each ICP may lower out of its surplus.

    In place of ``top_up`` a member of what each ICP is paid, the member pays the ICP's
    premium: the top-up, less what the ICP passes on to members as a lower premium. The
    fragmented default charges nothing. Dutch insurers compete on the nominal premiums they
    charge over income-related contributions (seed 000:479-483), as Medicare Advantage
    plans may spend rebates on lower premiums as well as on extra benefits.
    """

    enabled: bool = Field(
        False,
        description="ICP members pay a top-up premium in place of part of the capitation, "
        "which ICPs may lower with the surplus they pass on ([commissioner.benefits])",
    )
    top_up: float = P(
        0.0,
        "GBP a year per ICP member: the top-up premium, the most an ICP may charge, which the "
        "commissioner takes off what it pays the ICP for each member",
        assumption=(0.0, 1000.0),
        note="a scenario's policy choice; Dutch community-rated premiums pay about half of "
        "basic insurance (Douven R, Lieverdink H, Ligthart M, Vermeulen I (2007). Measuring "
        "annual price elasticities in Dutch health insurance: a new method. Dutch Healthcare "
        "Authority (NZa) Research Paper 5; SSRN 993741)",
    )


class CommissionerTerms(Strict):
    """The commissioner's rate-setting rule with each rule's terms, re-tender and entry."""

    rate_setting: RateSettingRule = "fixed"
    rebasing: RebasingTerms = Field(default_factory=RebasingTerms)
    bidding: BiddingTerms = Field(default_factory=BiddingTerms)
    profit_cap: ProfitCapTerms = Field(default_factory=ProfitCapTerms)
    retender: RetenderTerms = Field(default_factory=RetenderTerms)
    entry: EntryTerms = Field(default_factory=EntryTerms)
    benefits: BenefitsTerms = Field(default_factory=BenefitsTerms)
    premium: PremiumTerms = Field(default_factory=PremiumTerms)

    @property
    def active(self) -> bool:
        """Whether any rule departs from today's passive commissioner."""
        return (
            self.rate_setting != "fixed"
            or self.benefits.enabled
            or self.premium.enabled
            or self.retender.every_years > 0
            or self.entry.rule != "scheduled"
        )
