"""What happens to money at year end: the rule for a trust in deficit (``[finance]``).

A trust's accounts are closed every year (:mod:`sim.engine.settlement`); where its
reserves fall below zero the scenario's rule says who pays. Every parameter is declared
with :func:`sim.config.declare.P`, so ``icsim params`` lists it.
"""

from __future__ import annotations

from typing import Literal

from sim.base.schema import Strict
from sim.config.declare import P

TrustDeficitRule = Literal["bail_out", "takeover", "carry_forward", "exit"]
"""``bail_out``: the commissioner funds what a trust's reserves cannot cover, each year;
``takeover``: a trust whose reserves fall below the threshold is taken over, its deficit
written off and the takeover's cost paid; ``carry_forward``: reserves go negative;
``exit``: deficits are carried forward, and a trust whose reserves stay below the exit
threshold for ``exit_years`` year ends in a row exits: its deficit is written off and its
patients, activity and part of its capacity pass to a successor trust."""

NAO_2016 = (
    "National Audit Office (2016). Financial sustainability of the NHS. HC 785, Session "
    "2016-17, 22 November 2016: trusts' deficit of GBP 2.45bn in 2015/16 was met by "
    "GBP 2.4bn of financial support funding"
)


class Finance(Strict):
    """The year-end rule for trusts in deficit, and what a takeover costs."""

    trust_deficit: TrustDeficitRule = P(
        "bail_out",
        "rule: bail_out, takeover, carry_forward or exit",
        NAO_2016,
        note="English trusts in deficit were kept trading by cash support from the "
        "Department of Health, not closed",
    )
    takeover_threshold: float = P(
        0.05,
        "reserves below minus this share of the trust's revenue for the year trigger a "
        "takeover (takeover rule only)",
        assumption=(0.01, 0.2),
        ge=0,
        note="NHS financial special measures were applied to a few trusts far off plan "
        "(first five in July 2016, HSJ 2016); no published threshold",
    )
    takeover_cost_share: float = P(
        0.02,
        "one-off cost of a takeover (planning, due diligence, new management) as a share "
        "of the trust's revenue for the year, paid by the commissioner (takeover rule only)",
        assumption=(0.005, 0.05),
        ge=0,
        note="Collins B (2015). Foundation trust and NHS trust mergers 2010 to 2015. "
        "London: The King's Fund, discusses transaction costs but gives no share of revenue",
    )
    exit_threshold: float = P(
        0.05,
        "reserves below minus this share of the trust's revenue for the year count as a "
        "year of distress towards exit (exit rule only)",
        assumption=(0.01, 0.2),
        ge=0,
        note="commissioners 'have struggled in the face of large and powerful providers' "
        "(seed 002 L920-922; seed 004 L1593-1596), so no English trust has been allowed to "
        "fail for its deficit alone; no published threshold",
    )
    exit_years: int = P(
        2,
        "year ends in a row below the exit threshold before a trust exits (exit rule only)",
        assumption=(1, 5),
        ge=1,
    )
    capacity_transfer_share: float = P(
        0.8,
        "share of an exiting trust's staffed capacity (beds, theatres, staff) that passes "
        "to its successor; the rest closes (exit rule only)",
        assumption=(0.5, 1.0),
        note="a failed trust's services are dissolved into neighbouring trusts, most sites "
        "kept open; no published share",
    )
