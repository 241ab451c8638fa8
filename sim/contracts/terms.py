"""Contract terms as scenario files write them: one pydantic model per contract ``kind``.

A scenario's ``[contracts]`` table names contracts; each is one of these models,
chosen by its ``kind`` (a discriminated union). Every default is declared with
:func:`sim.config.declare.P` (unit plus a seed or calibration source, or an assumption with a
range), so ``icsim params`` lists them. Each kind says which roles it may fill
(:data:`ROLES`): paying acute trusts for the fragmented default (``hospital``), paying
GP practices (``gp``), what virtual ICPs pay trusts (``purchase``) or paying an ICP
(``icp``). The payment rules built from these terms live beside this module.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator

from sim.base.schema import Strict
from sim.config.declare import P

ACTIVITIES = ("gp_consultation", "outpatient", "elective", "emergency", "ae")
"""Activity types a tariff can price. Bed days are a cost, paid inside a spell price."""

ALL_ROLES = ("hospital", "gp", "purchase", "icp")


def _shares(values: list[float]) -> list[float]:
    if not values:
        raise ValueError("give at least one value (one per contract year; the last persists)")
    if any(not 0.0 <= v <= 1.0 for v in values):
        raise ValueError("every value must lie between 0 and 1")
    return values


# --------------------------------------------------------------------------- the core kinds


class Prices(Strict):
    """National tariff prices, set at national average reference cost (seed 000:324-326)."""

    gp_consultation: float = P(45.0, "GBP per consultation", "calibration_targets 4.25", ge=0)
    outpatient: float = P(120.0, "GBP per attendance", "calibration_targets 4.21", ge=0)
    elective: float = P(
        1857.0,
        "GBP per elective spell",
        "derived: 0.62 x 738 day case + 0.38 x 3,684 inpatient, calibration_targets "
        "4.21 with day-case share 6.1m/9.8m from 4.16 and 4.1",
        ge=0,
    )
    emergency: float = P(2360.0, "GBP per emergency spell", "calibration_targets 4.10", ge=0)
    ae: float = P(148.0, "GBP per A&E attendance", "calibration_targets 4.21", ge=0)

    def as_dict(self) -> dict[str, float]:
        return {a: float(getattr(self, a)) for a in ACTIVITIES}


class TariffContract(Strict):
    """Payment by Results: a national price for each activity (seed 001:202-205)."""

    roles: ClassVar[tuple[str, ...]] = ALL_ROLES
    kind: Literal["tariff"] = "tariff"
    prices: Prices = Field(default_factory=Prices)
    price_scale: float = P(1.0, "multiplier on national prices", assumption=(0.5, 1.5), ge=0)
    admin_cost_per_head: float = P(
        10.0,
        "GBP per covered patient-year to count, code, validate and challenge activity",
        assumption=(2, 30),
        ge=0,
        note="transaction costs of contracting: seed 000:778-789; coding audits seed 003:672-676",
    )


class CapitationContract(Strict):
    """Person-based capitation with risk adjustment (seed 000:761-765; seed 001:817-818)."""

    roles: ClassVar[tuple[str, ...]] = ALL_ROLES
    kind: Literal["capitation"] = "capitation"
    scope: Literal["all", "primary_care"] = Field(
        "all", description="all modelled services (an ICP) or primary care only (a GP practice)"
    )
    rate_ratio: float = P(
        1.0,
        "capitation per head / baseline expected spend per head on the services in scope",
        assumption=(0.75, 1.1),
        gt=0,
        note="Alzira capitation <75% of regional cost, calibration_targets 3.9",
    )
    risk_adjustment: Literal["none", "age_sex", "full"] = "full"
    r_squared: float = P(
        0.15,
        "R-squared of predicted vs realised individual annual cost",
        "calibration_targets 6.6 (0.11) and 6.10 (0.169)",
        ge=0,
        le=1,
    )
    admin_cost_per_head: float = P(
        3.0, "GBP per enrolee-year to keep lists and risk data", assumption=(1, 10), ge=0
    )


class BlendedContract(Strict):
    """A share of capitation plus a share of tariff."""

    roles: ClassVar[tuple[str, ...]] = ALL_ROLES
    kind: Literal["blended"] = "blended"
    capitation_share: float = P(
        0.5, "share of payment by capitation", assumption=(0, 1), ge=0, le=1
    )
    capitation: CapitationContract = Field(default_factory=CapitationContract)
    tariff: TariffContract = Field(default_factory=TariffContract)


class BlockContract(Strict):
    """A fixed annual sum for a service, whatever the activity (seed 004 L603-604, Cumbria).

    The value is set in the first contract year from the covered population's expected
    spend at tariff and then changes only by ``annual_uplift``: money does not follow
    patients who leave, and one more unit of activity earns nothing.
    """

    roles: ClassVar[tuple[str, ...]] = ALL_ROLES
    kind: Literal["block"] = "block"
    budget_ratio: float = P(
        1.0,
        "block value / expected spend at tariff on the services in "
        "scope for the population covered in the first year",
        assumption=(0.8, 1.1),
        gt=0,
    )
    annual_uplift: float = P(
        0.0,
        "yearly proportional change in the block's value",
        assumption=(-0.04, 0.04),
        ge=-0.5,
        le=0.5,
        note="flat real funding to 2015, seed 002 L237-254",
    )
    admin_cost_per_head: float = P(
        1.0,
        "GBP per covered patient-year to agree and monitor the block",
        assumption=(0.5, 5),
        ge=0,
    )


BaseTerms = Annotated[
    TariffContract | CapitationContract | BlendedContract | BlockContract,
    Field(discriminator="kind"),
]
"""The contracts other kinds build on (a withhold, savings share or corridor wraps one)."""


# --------------------------------------------------------------------------- tariff variants


class MarginalRateContract(Strict):
    """Marginal rate emergency tariff: emergency spells above a baseline paid at a share of tariff.

    Providers were paid 30% of tariff for emergency activity above their 2008/09 baseline
    from 2010/11, later 70% (calibration_targets 2.7-2.8).
    """

    roles: ClassVar[tuple[str, ...]] = ("hospital", "purchase", "icp")
    kind: Literal["marginal_rate_emergency"] = "marginal_rate_emergency"
    tariff: TariffContract = Field(default_factory=TariffContract)
    marginal_rate_by_year: list[float] = P(
        [0.3, 0.3, 0.3, 0.3, 0.3, 0.7],
        "share of tariff paid for each emergency spell above the "
        "baseline, by contract year (the last value persists)",
        "calibration_targets 2.7 (30% from 2010/11) and 2.8 (70% later)",
    )
    baseline_ratio: float = P(
        0.91,
        "baseline emergency spells / the covered population's emergency spells at England rates",
        "derived: two years of 4.6% growth between the 2008/09 baseline "
        "and 2010/11 (calibration_targets 2.7, 2.9): 1/1.046^2",
        gt=0,
    )

    _check = field_validator("marginal_rate_by_year")(_shares)


class ReadmissionContract(Strict):
    """Tariff with no payment for emergency readmissions within 28 days of planned care.

    Trusts are "responsible for emergency readmissions that occur within 28 days of
    discharge after planned hospital care" (seed 004 L1409-1411), to counteract the
    volume incentive of Payment by Results (L1411-1414).
    """

    roles: ClassVar[tuple[str, ...]] = ("hospital", "purchase", "icp")
    kind: Literal["readmission_non_payment"] = "readmission_non_payment"
    tariff: TariffContract = Field(default_factory=TariffContract)
    after: Literal["planned", "all"] = Field(
        "planned",
        description="unpaid readmissions: after planned (elective) care only, as "
        "in seed 004 L1409-1411, or after any admission",
    )
    window_days: int = P(
        28,
        "days after discharge within which a readmission is unpaid",
        "seed 004 L1409-1411",
        ge=1,
        le=28,
        note="modelled readmissions are those within 28 days; a shorter "
        "window leaves unpaid a proportional share (uniform hazard, an "
        "assumption)",
    )


# --------------------------------------------------------------------------- bundles


class YearOfCareContract(Strict):
    """A year-of-care payment: one annual sum per patient with a long-term condition.

    The "year of care" approach for people with diabetes (seed 001:478-480), tested in
    three national pilots (seed 002 L1251-1252; seed 004 L1391-1392). The covered care of
    patients with the condition is paid by the annual sum; everything else at tariff.
    """

    roles: ClassVar[tuple[str, ...]] = ALL_ROLES
    kind: Literal["year_of_care"] = "year_of_care"
    tariff: TariffContract = Field(default_factory=TariffContract)
    condition: Literal["diabetes", "copd", "heart_failure", "dementia"] = "diabetes"
    covers: list[Literal["gp_consultation", "outpatient", "elective", "acsc"]] = Field(
        default_factory=lambda: ["gp_consultation", "outpatient"],
        min_length=1,
        description="care paid by the annual sum for patients with the condition (within the "
        "contract's scope); 'acsc' means their avoidable emergency admissions",
    )
    price_ratio: float = P(
        1.0,
        "annual sum per patient / their expected tariff cost of the covered care at England rates",
        assumption=(0.8, 1.2),
        gt=0,
    )
    admin_cost_per_head: float = P(
        4.0,
        "GBP per covered patient-year to register patients and price the year of care",
        assumption=(1, 15),
        ge=0,
    )

    def check_role(self, role: str) -> str | None:
        """A year of care must cover some of the care the contract pays for in ``role``."""
        scope = {
            "hospital": ("outpatient", "elective", "acsc"),
            "purchase": ("outpatient", "elective", "acsc"),
            "gp": ("gp_consultation",),
            "icp": ("gp_consultation", "outpatient", "elective", "acsc"),
        }[role]
        if not set(self.covers) & set(scope):
            return (
                f"covers {', '.join(self.covers)}, none of which it pays for here; "
                f"allowed there: {', '.join(scope)}"
            )
        return None


class EpisodeBundleContract(Strict):
    """One price per elective episode covering follow-up care inside a window after discharge.

    Geisinger ProvenCare: a global fee covering care from pre-admission to 90 days after
    surgery (seed 002 L1239-1242; seed 004 L1362-1364). Bundles "remove incentives to
    deliver increasing volumes of care" and make providers responsible "for avoiding
    and correcting errors" (seed 004 L1360-1367).
    """

    roles: ClassVar[tuple[str, ...]] = ("hospital", "purchase", "icp")
    kind: Literal["episode_bundle"] = "episode_bundle"
    tariff: TariffContract = Field(default_factory=TariffContract)
    window_days: int = P(
        90,
        "days after discharge covered by the episode price",
        "seed 004 L1362-1364 (Geisinger, 90 days)",
        ge=28,
        le=365,
    )
    followup_outpatients_per_spell: float = P(
        1.0, "outpatient follow-up attendances per elective spell", assumption=(0.5, 2.0), ge=0
    )
    followup_horizon_days: float = P(
        90.0,
        "days after discharge over which an elective spell's follow-up attendances fall",
        assumption=(42, 180),
        gt=0,
    )
    admin_cost_per_head: float = P(
        6.0,
        "GBP per covered patient-year to define episodes and reconcile them",
        assumption=(2, 20),
        ge=0,
        note="'difficult to define episodes', 'data intensive' (seed 004 L1306-1329)",
    )


# --------------------------------------------------------------------------- performance


class WithholdContract(Strict):
    """Pay for performance: a share of the base payment held back and paid on quality.

    Tower Hamlets: "70 per cent of the contract is provided upfront and 30 per cent is
    held back" (seed 004 L230-232); Knowsley's performance share rose "from 20 per cent
    in the first year to 40 per cent in the third year" (seed 004 L2493-2495). With
    ``benchmark = "peers"`` the target is the other ICPs' published quality: yardstick
    competition (seed 001:771-777).
    """

    roles: ClassVar[tuple[str, ...]] = ("icp",)
    kind: Literal["p4p_withhold"] = "p4p_withhold"
    base: BaseTerms = Field(default_factory=CapitationContract)
    withhold_share_by_year: list[float] = P(
        [0.3],
        "share of the base payment held back and paid on quality, by contract year "
        "(the last value persists)",
        "seed 004 L230-232 (Tower Hamlets 30%)",
    )
    benchmark: Literal["fixed", "peers"] = Field(
        "fixed",
        description="fixed quality targets by year, or the mean quality the other "
        "ICPs achieved last year (yardstick competition)",
    )
    target_quality_by_year: list[float] = P(
        [0.7],
        "quality index at which the whole withheld share is paid, by contract year",
        assumption=(0.55, 0.9),
        note="Knowsley targets rise year on year (seed 004 L2577-2646)",
    )
    floor_quality: float = P(
        0.5, "quality index at or below which none of it is paid", assumption=(0.3, 0.6), ge=0, le=1
    )
    peer_band: float = P(
        0.1,
        "with peer benchmarks: quality below the peers' mean at which nothing is paid",
        assumption=(0.05, 0.2),
        gt=0,
        le=1,
    )
    admin_cost_per_head: float = P(
        5.0,
        "GBP per covered patient-year to measure and audit quality",
        assumption=(1, 15),
        ge=0,
        note="outcome data must be shared, agreed, funded and trusted (seed 004 L986-993)",
    )

    _check_share = field_validator("withhold_share_by_year")(_shares)
    _check_target = field_validator("target_quality_by_year")(_shares)


class LeadProviderContract(Strict):
    """A lead provider on a fixed budget below current spend, with a bonus for performance.

    Milton Keynes: "a budget of approximately 90 per cent of the current expenditure,
    with an additional 5 per cent" for performance (seed 004 L2334-2336). Birmingham East
    and North limited its lead provider to "delivering up to 40 per cent of the service"
    (seed 004 L2240, L2249), "to avoid having one provider dominate delivery" (L316-318).
    """

    roles: ClassVar[tuple[str, ...]] = ("icp",)
    kind: Literal["lead_provider"] = "lead_provider"
    budget_ratio: float = P(
        0.90,
        "budget / current expected spend for the covered population",
        "seed 004 L2334-2336",
        gt=0,
    )
    performance_ratio: float = P(
        0.05,
        "maximum performance payment / current expected spend",
        "seed 004 L2334-2336",
        ge=0,
        le=0.5,
    )
    target_quality: float = P(
        0.7,
        "quality index at which the whole performance payment is earned",
        assumption=(0.55, 0.9),
        ge=0,
        le=1,
    )
    floor_quality: float = P(
        0.5,
        "quality index at or below which none of it is earned",
        assumption=(0.3, 0.6),
        ge=0,
        le=1,
    )
    self_provision_cap: float = P(
        1.0,
        "maximum share of the service the lead provider may "
        "deliver itself (the rest it subcontracts)",
        assumption=(0.4, 1.0),
        ge=0,
        le=1,
        note="Birmingham East and North: 40% (seed 004 L2240, L2249)",
    )
    risk_adjustment: Literal["none", "age_sex", "full"] = "full"
    r_squared: float = P(
        0.15,
        "R-squared of the budget's risk adjustment",
        "calibration_targets 6.6 (0.11) and 6.10 (0.169)",
        ge=0,
        le=1,
    )
    admin_cost_per_head: float = P(
        8.0,
        "GBP per covered patient-year to manage the supply chain and the outcome contract",
        assumption=(2, 20),
        ge=0,
    )


# --------------------------------------------------------------------------- risk


class SharedSavingsContract(Strict):
    """Gain-sharing: the provider keeps a share of spend saved against a benchmark.

    Birmingham East and North's lead provider was funded after year 1 "dependent on the
    savings the provider delivered" (seed 004 L330-332); "the aim is to use incentives to
    share gains with providers" (L2257); practices offered "a share of the savings made"
    (seed 000:264-266).
    """

    roles: ClassVar[tuple[str, ...]] = ("hospital", "purchase", "icp")
    kind: Literal["shared_savings"] = "shared_savings"
    base: BaseTerms = Field(default_factory=TariffContract)
    savings_share: float = P(
        0.5,
        "share of savings against the benchmark paid to the provider",
        assumption=(0.2, 0.8),
        ge=0,
        le=1,
    )
    two_sided: bool = Field(
        False, description="the provider also repays the same share of any overspend"
    )
    minimum_savings_rate: float = P(
        0.02,
        "savings, as a share of the benchmark, below which nothing is shared",
        assumption=(0.0, 0.04),
        ge=0,
        lt=1,
    )
    cap_share: float = P(
        0.1,
        "largest payment (or repayment) as a share of the benchmark",
        assumption=(0.05, 0.2),
        gt=0,
        le=1,
    )
    benchmark_ratio: float = P(
        1.0,
        "benchmark / expected spend at England rates on the covered population's risk",
        assumption=(0.95, 1.05),
        gt=0,
    )
    admin_cost_per_head: float = P(
        3.0,
        "GBP per covered patient-year to set and reconcile the benchmark",
        assumption=(1, 10),
        ge=0,
    )


class CorridorContract(Strict):
    """Risk-sharing corridor: gains and losses beyond a band are shared with the commissioner.

    "Innovative funding and risk-sharing mechanisms which may help to support sustainable
    strategic partnerships" (seed 004 L1482-1483); US groups that survived had "a clear
    and negotiated approach to financial risk" (seed 004 L1623-1625).
    """

    roles: ClassVar[tuple[str, ...]] = ("hospital", "purchase", "icp")
    kind: Literal["risk_corridor"] = "risk_corridor"
    base: BaseTerms = Field(default_factory=CapitationContract)
    band: float = P(
        0.03,
        "surplus or deficit, as a share of contract revenue, the provider bears alone",
        assumption=(0.01, 0.1),
        ge=0,
        lt=1,
    )
    commissioner_share: float = P(
        0.5,
        "share of surplus or deficit beyond the band taken by the commissioner",
        assumption=(0.5, 0.9),
        ge=0,
        le=1,
    )
    admin_cost_per_head: float = P(
        2.0,
        "GBP per covered patient-year to audit costs for the corridor",
        assumption=(0.5, 8),
        ge=0,
    )


class CarveOutContract(Strict):
    """Capitation with high-cost care carved out and paid at tariff.

    "Expensive, low-volume services such as HIV services and transplants would be managed
    outside the contract" (seed 003:406-408); Epsom "block back" higher-risk services the
    practice did not want to take on (seed 003:305-307). A patient's hospital care beyond
    ``threshold`` a year (at tariff) is paid outside the capitation, whose rate falls by the
    expected carved cost.
    """

    roles: ClassVar[tuple[str, ...]] = ("icp",)
    kind: Literal["carve_out"] = "carve_out"
    capitation: CapitationContract = Field(default_factory=CapitationContract)
    threshold: float = P(
        10_000.0,
        "GBP a patient-year of hospital care at tariff above which care is carved out",
        assumption=(5_000, 50_000),
        gt=0,
    )
    admin_cost_per_head: float = P(
        1.0, "GBP per covered patient-year to pay carved-out care", assumption=(0.5, 5), ge=0
    )


# --------------------------------------------------------------------------- budgets


class PracticeBudgetContract(Strict):
    """Practice-based commissioning: practices hold a budget for their patients' hospital care.

    Soft (notional) budgets versus "a full, capitated provider contract" or a "hard"
    budget (seed 003:399-401, 795-798). Only engaged practices act on it: about 50%
    motivated, and of those about 2/3 competent, so about 1/3 effective (seed 000:368-373);
    motivation depends on how strong the incentive is (seed 000:357-358, 611-613).
    """

    roles: ClassVar[tuple[str, ...]] = ("gp",)
    kind: Literal["practice_budget"] = "practice_budget"
    capitation: CapitationContract = Field(
        default_factory=lambda: CapitationContract(scope="primary_care", risk_adjustment="age_sex")
    )
    tariff: TariffContract = Field(default_factory=TariffContract)
    budget: Literal["soft", "hard"] = Field(
        "soft",
        description="soft: a notional budget, part of any underspend released for "
        "reinvestment; hard: practices keep underspend and bear overspend",
    )
    soft_retained_share: float = P(
        0.3,
        "share of a notional underspend released to practices",
        assumption=(0.0, 0.7),
        ge=0,
        le=1,
        note="'the practice still has not received a real budget' (seed 003:374-376)",
    )
    hard_retained_share: float = P(
        1.0,
        "share of underspend kept, and overspend borne, under a hard budget",
        "seed 003:795-802 (risk for deficits as well as surpluses)",
        ge=0,
        le=1,
    )
    budget_ratio: float = P(
        1.0,
        "hospital budget / expected hospital spend at England rates for the practices' patients",
        assumption=(0.95, 1.05),
        gt=0,
    )
    motivated_share: float = P(
        0.5,
        "share of practices motivated to commission under a soft budget",
        "seed 000:368-373",
        ge=0,
        le=1,
    )
    competent_share: float = P(
        2 / 3,
        "share of practices competent to commission",
        "seed 000:368-373 and the 2x2 box 000:393-419",
        ge=0,
        le=1,
    )
    admin_cost_per_head: float = P(
        8.0,
        "GBP per patient-year of commissioning support for practices",
        assumption=(2, 20),
        ge=0,
        note="'primary care-led commissioning increases transaction costs' (seed 000:187-188)",
    )


class PooledBudgetContract(Strict):
    """A pooled health and social care budget that may be spent on intermediate care.

    "If the pool is protected so that savings made in one area can be reinvested ... this
    may liberate change" (seed 003:546-550). Torbay's integrated teams used pooled budgets
    to spend on intermediate care (seed 002 L505-509): occupied beds 750 -> 502
    (calibration_targets 7.3) and minimal delayed transfers (7.4).
    """

    roles: ClassVar[tuple[str, ...]] = ("icp",)
    kind: Literal["pooled_budget"] = "pooled_budget"
    base: BaseTerms = Field(default_factory=CapitationContract)
    intermediate_care_limit: float = P(
        300.0,
        "GBP per high-risk enrolee-year of pooled funds that may go on intermediate care",
        assumption=(100, 1000),
        ge=0,
    )
    delayed_day_value: float = P(
        150.0,
        "GBP the pool saves per delayed hospital day avoided "
        "(social care placement and reimbursement costs it carries)",
        assumption=(50, 313),
        ge=0,
        note="fines versus pooled investment, seed 003:552-573",
    )
    admin_cost_per_head: float = P(
        3.0, "GBP per covered patient-year to govern the pool", assumption=(1, 10), ge=0
    )


CONTRACT_KINDS: tuple[type[Strict], ...] = (
    TariffContract,
    CapitationContract,
    BlendedContract,
    BlockContract,
    MarginalRateContract,
    ReadmissionContract,
    YearOfCareContract,
    EpisodeBundleContract,
    WithholdContract,
    LeadProviderContract,
    SharedSavingsContract,
    CorridorContract,
    CarveOutContract,
    PracticeBudgetContract,
    PooledBudgetContract,
)

Contract = Annotated[
    TariffContract
    | CapitationContract
    | BlendedContract
    | BlockContract
    | MarginalRateContract
    | ReadmissionContract
    | YearOfCareContract
    | EpisodeBundleContract
    | WithholdContract
    | LeadProviderContract
    | SharedSavingsContract
    | CorridorContract
    | CarveOutContract
    | PracticeBudgetContract
    | PooledBudgetContract,
    Field(discriminator="kind"),
]

ROLES: dict[str, tuple[str, ...]] = {
    model.model_fields["kind"].default: model.roles
    for model in CONTRACT_KINDS  # type: ignore[attr-defined]
}
"""Which roles each contract kind may fill (see the module docstring)."""

ROLE_NAMES = {
    "hospital": "pay acute trusts for the fragmented default (contracts.hospital)",
    "gp": "pay GP practices (contracts.gp)",
    "purchase": "set what virtual ICPs pay trusts (contracts.icp_hospital)",
    "icp": "pay an ICP",
}
