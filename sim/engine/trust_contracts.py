"""Which contracts pay each hospital trust, and how a trust responds to each.

Each locality's trust is paid, for each option, by the fragmented default's hospital
rule, then by the purchase rule of each virtual ICP serving the locality (open or not).
That is fixed once the ICPs exist. A trust's responses depend only on the prices paying
it, so they are worked out once per distinct set of prices and written into every cell
those prices pay for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.config.parameters import Behaviour
from sim.contracts.payment import PaymentRule
from sim.patients.modifiers import RateModifiers
from sim.providers.costs import HospitalCosts
from sim.providers.partnerships import IntegratedCarePartnership
from sim.providers.trusts import HospitalTrust


@dataclass(frozen=True)
class TrustContracts:
    """The (option, locality) cells trusts are paid for, and the prices paying each."""

    pairs: tuple[np.ndarray, np.ndarray]  # (options, localities): every cell a trust is paid for
    pricing: list[tuple[HospitalTrust, PaymentRule]]  # each set of prices, the first trust it pays
    pricing_of_pair: np.ndarray  # each pair's index in ``pricing``

    @classmethod
    def build(
        cls,
        trusts: Sequence[HospitalTrust],
        hospital_rule: PaymentRule,
        icps: Sequence[IntegratedCarePartnership],
    ) -> TrustContracts:
        """From the locality order of ``trusts``; rules that pass on another's prices share it."""
        paid_at_trust = [
            [(0, hospital_rule)]
            + [
                (icp.option, icp.purchase_rule)
                for icp in icps
                if not icp.vertical and li in icp.localities
            ]
            for li in range(len(trusts))
        ]
        pairs = [(o, li) for li, paid in enumerate(paid_at_trust) for o, _ in paid]
        first: dict[int, int] = {}
        pricing: list[tuple[HospitalTrust, PaymentRule]] = []
        for li, paid in enumerate(paid_at_trust):
            for _, rule in paid:
                prices = rule.pricing_rule
                if id(prices) not in first:
                    first[id(prices)] = len(pricing)
                    pricing.append((trusts[li], prices))
        pricing_of_pair = np.array(
            [first[id(rule.pricing_rule)] for paid in paid_at_trust for _, rule in paid],
            dtype=np.intp,
        )
        return cls(
            pairs=tuple(np.array(v, dtype=np.intp) for v in zip(*pairs, strict=True)),
            pricing=pricing,
            pricing_of_pair=pricing_of_pair,
        )

    def respond(
        self,
        modifiers: RateModifiers,
        costs: HospitalCosts,
        behaviour: Behaviour,
    ) -> np.ndarray:
        """Write each trust's volume, admission and readmission response to each contract
        paying it into ``modifiers``; returns each pair's elective (supplier) factor."""
        elasticity = behaviour.induced_demand_elasticity
        responses = []
        for trust, rule in self.pricing:
            volume = trust.induced_volume(rule, "elective", costs, elasticity)
            responses.append(
                (
                    volume,
                    trust.induced_volume(rule, "outpatient", costs, elasticity),
                    trust.admission_volume(rule, costs, behaviour.emergency_admission_elasticity),
                    trust.readmissions(rule, costs, behaviour),
                )
            )
        by_pair = np.array(responses)[self.pricing_of_pair]
        elective, outpatient, admissions, readmissions = by_pair.T
        for rate, factor in (
            ("elective", elective),
            ("outpatient", outpatient),
            ("emergency", admissions),
            ("acsc", admissions),
            ("readmission", readmissions),
        ):
            modifiers.scale_cells(rate, factor, *self.pairs)
        return elective
