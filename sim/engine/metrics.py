"""Yearly metrics in tidy long form: one row per (year, system, group, metric).

``system`` is each provider option plus ``all``; ``group`` is ``all``, the two age
bands and the five IMD quintiles. Rates are per 1,000 people in the cell; money is GBP
and includes year-end contract settlements.

Side-effects the seeds warn about are reported beside the core metrics:

* ``selection_gap`` - mean risk of the whole population (in the group) less that of the
  system's enrolees: positive when a system holds healthier patients than average
  (risk selection, seed 004 L1347-1358);
* ``applicants_refused_share`` - share of the system's applicants (patients choosing it who
  were not its members) it refused, under selective acceptance only (``choice.acceptance``,
  :mod:`sim.engine.acceptance`; mandatory acceptance is the seeds' safeguard, seed
  000:758-765); by the applicants' own group;
* ``induced_demand`` and ``under_service`` - electives supplied above patients' clinical
  need, or need left unmet, as a share of need (:mod:`sim.engine.health_metrics`):
  supplier-induced demand under tariff (seed 004 L1234-1239) and care withheld under
  capitation (seed 002 L1293-1295, seed 004 L1352-1353);
* health (:mod:`sim.engine.health_metrics`): deaths, amenable deaths, QALYs and unmet need;
* the oldest's bed use (:mod:`sim.engine.older_bed_use`): bed days of people aged 85+ with
  repeated emergency admissions, Torbay's measure;
* quality (:mod:`sim.engine.quality`): ``quality`` - the quality of care given (0-1, the
  providers' effort index after interventions, what moves patients' health);
  ``measured_quality`` - each option's index (0-1) measured from its enrolees' outcomes this
  year (amenable deaths, avoidable admissions, readmissions, waits, unmet need, each against
  the population's risk-standardised expectation, so 0.5 when as expected and the whole
  market's mean near 0.5 by construction); contracts pay on it; ``published_quality`` - the
  index patients chose on this year: last year's, with sampling noise (plans monitor so
  patients are not denied necessary care, seed 002 L1514-1517);
* ``fragmentation`` - share of the system's care spend (at national prices) that the
  organisation its patients are registered with is not financially accountable for
  (seed 001:371-372; seed 004 L1417-1423): about 0.8 for practices beside tariff-paid
  hospitals, 0 for an ICP holding the whole budget;
* settlements, trusts' income, reserves, and for the whole market ``icps_open`` and
  ``market_concentration`` (Herfindahl index of enrolment shares).

Each metric's unit and definition are in :mod:`sim.engine.metric_catalogue` (``docs/metrics.md``).

Social care (:mod:`sim.engine.social_care_metrics`, with ``[social_care]`` on): spend,
delayed transfers of care and the costs shifted between health and social care.

Money (:mod:`sim.engine.money_metrics`). ``cost_per_capita`` is everything the
commissioner spends per head: contract payments (settlements and rescues included),
support to trusts in deficit under the scenario's ``[finance]`` rule, and the transaction
costs it bears (``commissioner_transaction_costs_per_capita``: contract administration and
procurement). ``resource_cost_per_capita`` is what the care cost the providers that
delivered it, at their own costs, plus all transaction and takeover costs; the two differ by
the providers' surpluses and the support paid into trusts' reserves. Each kind of provider's
books (group ``all`` only; :data:`~sim.engine.money_metrics.MONEY_METRICS`): revenue, cost
and surplus per enrolee, trusts' support, ICPs' rescues and every kind's reserves.

The distribution of individual annual cost (:mod:`sim.engine.cost_concentration`, system
and group ``all``): the shares of hospital and all care cost of the top 1% and 5%
(calibration_targets 9.1-9.3), the share of the top 1% and 10% still there the next year
(9.4), and the R-squared on annual cost of the age-sex formula, the scenario's risk adjuster
and true expected cost (6.6-6.10).

A model keeps a run's rows in a :class:`~sim.engine.metrics_log.MetricsLog`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.cost_concentration import COST_METRICS
from sim.engine.fragmentation import SPEND, AccountableShares, fragmentation, registered_holders
from sim.engine.health_metrics import HEALTH_METRICS, HEALTH_QUANTITIES, health_metrics
from sim.engine.ledger import AGE_GROUPS, IMD_GROUPS
from sim.engine.market import MARKET_METRICS, put_market_metrics
from sim.engine.money_metrics import MONEY_METRICS, premiums_by_cell, put_money_metrics
from sim.engine.older_bed_use import OLDER_METRICS, OLDER_QUANTITIES, older_bed_use_metrics
from sim.engine.quality import quality_metrics
from sim.engine.social_care_metrics import SOCIAL_CARE_METRICS, put_social_care_metrics
from sim.engine.state import Market, YearState

METRICS = (
    "population",
    "enrolment_share",
    "switching_rate",
    "mean_risk",
    "gp_consultations_per_1000",
    "outpatient_per_1000",
    "elective_admissions_per_1000",
    "emergency_admissions_per_1000",
    "avoidable_emergency_admissions_per_1000",
    "bed_days_per_1000",
    *OLDER_METRICS,
    "readmissions_per_1000",
    "ae_attendances_per_1000",
    "cost_per_capita",
    "provider_surplus",
    "quality",
    "measured_quality",
    "published_quality",
    "waiting_weeks",
    "selection_gap",
    "induced_demand",
    "under_service",
    "transaction_costs_per_capita",
    "fragmentation",
    "settlement_per_capita",
    "trust_income_per_capita",
    "provider_reserves",
    "icps_open",
    "market_concentration",
    *MONEY_METRICS,
    *(m for m in HEALTH_METRICS if m not in ("induced_demand", "under_service")),
    *MARKET_METRICS,
    "applicants_refused_share",
    *SOCIAL_CARE_METRICS,
    *COST_METRICS,
    "premiums_per_capita",
)
SWITCHED_ON = frozenset(
    {"applicants_refused_share", "icp_premium_per_capita", "premiums_per_capita"}
)
"""Metrics a run reports only when the mechanism they measure is switched on (selective
acceptance, a top-up premium), so that runs without it write exactly the rows they always
did."""
PER_1000 = {
    "gp_consultations_per_1000": "gp_consultation",
    "outpatient_per_1000": "outpatient",
    "elective_admissions_per_1000": "elective",
    "emergency_admissions_per_1000": "emergency_total",
    "avoidable_emergency_admissions_per_1000": "acsc",
    "bed_days_per_1000": "bed_days",
    "readmissions_per_1000": "readmission",
    "ae_attendances_per_1000": "ae",
}
GROUPS = ("all", *AGE_GROUPS, *IMD_GROUPS)
_GROUP_AGE = np.array([-1, 0, 1, -1, -1, -1, -1, -1])  # each group's cell in the ledger's margins
_GROUP_IMD = np.array([-1, -1, -1, 0, 1, 2, 3, 4])
COLUMNS = ("scenario", "replicate", "year", "system", "group", "metric", "value")
DTYPES = {
    "scenario": "string",
    "replicate": "int32",
    "year": "int32",
    "system": "string",
    "group": "string",
    "metric": "string",
    "value": "float64",
}
"""Column -> dtype of the tidy metrics frame, however it is built."""

_PER_HEAD = {  # metric -> (ledger quantity, scale): the quantity per enrolee, times scale
    "switching_rate": ("switched", 1.0),
    "mean_risk": ("risk", 1.0),
    **{metric: (quantity, 1000.0) for metric, quantity in PER_1000.items()},
    "cost_per_capita": ("commissioner_payment", 1.0),
    "trust_income_per_capita": ("hospital_payment", 1.0),
    "quality": ("quality", 1.0),
    "waiting_weeks": ("waiting", 1.0),
}
_LEDGER = (
    "population",
    *(q for q, _ in _PER_HEAD.values()),
    *HEALTH_QUANTITIES,
    "applications",
    "refusals",
    *OLDER_QUANTITIES,
)
"""Ledger quantities a year's metrics read, in one lookup."""
_ROW = {name: i for i, name in enumerate(_LEDGER)}
_METRIC = {name: i for i, name in enumerate(METRICS)}
_PER_HEAD_ROWS = [_ROW[q] for q, _ in _PER_HEAD.values()]
_PER_HEAD_SCALE = np.array([scale for _, scale in _PER_HEAD.values()])[:, None, None]
_PER_HEAD_METRICS = [_METRIC[m] for m in (*_PER_HEAD, "settlement_per_capita")]
_SETTLED_INTO = [list(_PER_HEAD).index(m) for m in ("cost_per_capita", "trust_income_per_capita")]
_SPEND_ROWS = [_ROW[q] for q in SPEND.values()]


# --------------------------------------------------------------------------- providers


def provider_totals(market: Market) -> tuple[np.ndarray, np.ndarray]:
    """Surplus (this year) and reserves (at year end) of each system's providers, GBP.

    Indexed as the metrics' systems: each option, then ``all``. Practices and trusts make
    up the fragmented default (the first option); each ICP is its own option. Each total
    adds its providers in the order listed here.
    """
    books, rows = market.books, market.book_rows
    shared = np.concatenate([rows["practices"], rows["trusts"]])
    options = market.partnerships.option
    totals = []
    for column in (books.surplus, books.reserves):
        own, each_icp = column[shared].tolist(), column[rows["icps"]]
        by_system = np.zeros(market.n_options + 1)
        by_system[0] = sum(own)
        by_system[options] = each_icp + 0.0  # as sum([x]) = 0 + x (so -0.0 is 0.0)
        by_system[-1] = sum(own + each_icp.tolist())
        totals.append(by_system)
    return totals[0], totals[1]


# --------------------------------------------------------------------------- a year


@dataclass(frozen=True)
class YearMetrics:
    """One year's metric rows, column-wise.

    ``index`` is each row's position in the (group, system, metric) grid of ``shape``
    (group as :data:`GROUPS`, system as the options then ``all``, metric as
    :data:`METRICS`), ascending, so rows come by group, then system, then metric; a
    cell where a metric is not defined (a per-head rate with nobody enrolled) has no row.
    """

    year: int
    index: np.ndarray
    value: np.ndarray
    shape: tuple[int, int, int]

    def __len__(self) -> int:
        return len(self.index)

    def codes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each row's (group, system, metric) codes."""
        return np.unravel_index(self.index, self.shape)


def year_metrics(year: YearState, shares: AccountableShares | None = None) -> YearMetrics:
    """The metric rows for the year just simulated.

    Every metric is computed for every (system, group) at once from the ledger's margin
    tables into one (metric, system, group) grid, so a year of England's 74 systems costs
    a few dozen small array operations, not thousands of lookups, and no Python object per
    row. A metric is reported where it is defined (per-head rates need enrolees).
    ``shares`` keeps the rules' accountable shares between years (see
    :class:`AccountableShares`).
    """
    q = year.ledger.option_margins(_LEDGER)[:, :, _GROUP_AGE, _GROUP_IMD, -1]
    n = q[_ROW["population"]]  # (system, group); the last system is 'all'
    has = n > 0
    group_n = n[-1]
    value = np.zeros((len(METRICS), *n.shape))
    defined = np.zeros(value.shape, dtype=bool)

    def per(x: np.ndarray, by: np.ndarray = n, where: np.ndarray = has) -> np.ndarray:
        return np.divide(x, by, out=np.zeros(np.broadcast(x, by).shape), where=where)

    def put(metric: str, x: np.ndarray | float, where: np.ndarray | bool) -> None:
        value[_METRIC[metric]] = x
        defined[_METRIC[metric]] = where

    # rates per enrolee, all in one division: (metric, system, group); settlements, paid
    # after the year, are added to payments and reported on their own too
    settled = year.settlements.option_margins(("commissioner_payment", "hospital_payment"))
    settled = settled[:, :, _GROUP_AGE, _GROUP_IMD]
    totals = np.concatenate([q[_PER_HEAD_ROWS] * _PER_HEAD_SCALE, settled[:1]])
    totals[_SETTLED_INTO] += settled
    value[_PER_HEAD_METRICS] = per(totals)
    defined[_PER_HEAD_METRICS] = has
    put("population", n, True)
    put("enrolment_share", per(n, group_n, group_n > 0), True)
    put(
        "selection_gap",
        per(q[_ROW["risk"]][-1], group_n, group_n > 0) - value[_METRIC["mean_risk"]],
        has,
    )
    health = health_metrics({k: q[_ROW[k]] for k in HEALTH_QUANTITIES}, n)
    older = older_bed_use_metrics({k: q[_ROW[k]] for k in OLDER_QUANTITIES})
    for metric, (x, where) in (*health.items(), *older.items()):
        put(metric, x, where)
    applied = q[_ROW["applications"]]  # none recorded under mandatory acceptance
    put("applicants_refused_share", per(q[_ROW["refusals"]], applied, applied > 0), applied > 0)
    premiums = premiums_by_cell(year, n)  # where the scenario sets a top-up premium
    if premiums is not None:
        put("premiums_per_capita", per(premiums), has)

    # whole-population metrics: the 'all' group only (the market's: of 'all' systems too)
    first = has[:, 0]
    surplus, reserves = provider_totals(year.market)
    spent = np.append(year.transaction_costs, year.transaction_costs.sum())
    shares = shares if shares is not None else AccountableShares()
    share = shares(registered_holders(year.market), year.year)
    for metric, by_system, where in (
        ("provider_surplus", surplus, True),
        ("provider_reserves", reserves, True),
        ("transaction_costs_per_capita", per(spent, n[:, 0], first), first),
        ("fragmentation", fragmentation(q[_SPEND_ROWS][:, :-1, 0], share), first),
    ):
        value[_METRIC[metric], :, 0] = by_system
        defined[_METRIC[metric], :, 0] = where
    enrolment = n[:-1, 0] / n[-1, 0] if n[-1, 0] else np.zeros(0)
    for metric, market in (
        ("icps_open", float(year.market.partnerships.is_open.sum())),
        ("market_concentration", float(sum((enrolment * enrolment).tolist()))),
    ):
        value[_METRIC[metric], -1, 0] = market
        defined[_METRIC[metric], -1, 0] = True

    if year.quality is not None:  # measured from outcomes (sim.engine.quality)
        for metric, (x, where) in quality_metrics(year.quality, year.year, n).items():
            put(metric, x, where)
    put_money_metrics(year, METRICS, value, defined, n)  # books, commissioner spend, resources
    put_market_metrics(year, METRICS, value, defined)  # margins, benefits, claw-back, rates
    put_social_care_metrics(year, METRICS, value, defined, n)  # with [social_care] on
    for metric, x in year.cost_figures.items():  # the distribution of individual cost
        value[_METRIC[metric], -1, 0] = x
        defined[_METRIC[metric], -1, 0] = True

    rows = value.transpose(2, 1, 0).ravel()  # (group, system, metric): the order of rows
    index = np.flatnonzero(defined.transpose(2, 1, 0))
    return YearMetrics(int(year.year), index, rows[index], (len(GROUPS), len(n), len(METRICS)))
