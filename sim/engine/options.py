"""What each locality's patients are offered this year: the option table of the choice.

Which options are open where, each option's quality of care in each locality (after
interventions; what moves its patients' health: the fragmented default's is its local
trust's and practices' own, raised by whatever their contracts pay for quality), the
quality it published (:mod:`sim.engine.quality`; what
patients choose on), waits (a vertical ICP's own hospital, else the local trust),
selection effort and main site; and, when patients weigh word of mouth, the mean
experience of each option's members in each locality last year (:mod:`sim.engine.word_of_mouth`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.config.scenario import Scenario
from sim.engine.ledger import Ledger
from sim.engine.quality import QualityRecord
from sim.engine.word_of_mouth import neighbour_experience
from sim.patients.choice import OptionTable
from sim.providers.partnership_table import Partnerships
from sim.providers.partnerships import IntegratedCarePartnership
from sim.providers.practices import GPPractice
from sim.providers.trusts import HospitalTrust


class OptionTables:
    """Builds each year's :class:`~sim.patients.choice.OptionTable` from the providers.

    The layout (which ICP serves which locality, where its site is, the localities with
    the fragmented default) is fixed by the scenario; what is open, and each option's
    quality and waits, are read from the providers whenever a table is asked for.
    """

    def __init__(
        self,
        scenario: Scenario,
        options: Sequence[str],
        trusts: Sequence[HospitalTrust],
        icps: Sequence[IntegratedCarePartnership],
        partnerships: Partnerships,
        seed: int = 0,
        replicate: int = 0,
        practices: Sequence[GPPractice] = (),
    ):
        self.scenario = scenario
        self.practices = list(practices)
        self.quality_record = QualityRecord(scenario.quality, len(options), seed, replicate)
        self.options = list(options)
        self.trusts = list(trusts)
        self.trust_host = np.arange(len(self.trusts), dtype=np.intp)  # changed by trust exits
        self.partnerships = partnerships
        locs = scenario.localities
        self.default_open = np.array([loc.fragmented_default for loc in locs], dtype=bool)
        served = [(i, li) for i, icp in enumerate(icps) for li in icp.localities]
        self.icp_cells = (
            np.array([i for i, _ in served], dtype=np.intp),  # ICP index,
            np.array([li for _, li in served], dtype=np.intp),
        )  # a locality it serves
        # where each option's main site is in each locality (NaN: local practices), and each
        # locality's radius in km
        site = np.full((len(locs), len(self.options)), np.nan, dtype=np.float32)
        icp, loc = self.icp_cells
        site[loc, icp + 1] = np.array([x.config.site_position for x in icps])[icp]
        radius = np.array([loc.radius_km for loc in locs], dtype=np.float32)
        site.flags.writeable = radius.flags.writeable = False  # every year's table shares them
        self.site, self.radius_km = site, radius
        self.heard: np.ndarray | None = None  # members' mean experience last year, if weighed

    def available(self) -> np.ndarray:
        """Which options are open in each locality now: (localities, options)."""
        available = np.zeros((len(self.scenario.localities), len(self.options)), dtype=bool)
        available[:, 0] = self.default_open
        icp, loc = self.icp_cells
        available[loc, icp + 1] = self.partnerships.is_open[icp]
        return available

    def contestable(self) -> np.ndarray:
        """Whether each ICP has a rival (another open option) in any locality it serves."""
        rivals = self.available().sum(axis=1) > 1
        icp, loc = self.icp_cells
        return np.bincount(icp, weights=rivals[loc], minlength=len(self.partnerships)) > 0

    def quality(self, year: int) -> np.ndarray:
        """Quality index of each option in each locality in ``year``: (localities, options).

        Measured from its patients' outcomes once the year is measured (contracts pay on it;
        the fragmented default's in each locality, for its trust and practices), the quality
        of care before."""
        care = self.care_quality(year)
        record = self.quality_record
        measured = record.true(year)
        if measured is None or not self.scenario.quality.from_outcomes:
            return care
        measured = np.broadcast_to(measured, care.shape).copy()
        measured[:, 0] = record.default_by_locality.get(year, measured[:, 0])
        return np.where(np.isnan(measured), care, measured)

    def measure(self, year: int, ledger: Ledger) -> None:
        """Measure ``year``'s quality from its outcomes (after the waits are set); each ICP's
        ``quality`` becomes its measured index, which its contract settles on. Where patients
        weigh word of mouth, what each option's members say of it is kept for next year."""
        if self.scenario.choice.beta_word_of_mouth:
            self.heard = neighbour_experience(ledger)
        measured = self.quality_record.measure(year, ledger)[1:]
        if not self.scenario.quality.from_outcomes:
            return
        icps = self.partnerships
        icps.quality[:] = np.where(np.isnan(measured), icps.quality, measured)

    def published_quality(self, year: int) -> np.ndarray:
        """The quality each option published for patients choosing in ``year``."""
        return self.quality_record.published(year).astype(np.float32)

    def care_quality(self, year: int) -> np.ndarray:
        """Quality of the care each option gives in each locality in ``year`` (its effort),
        after interventions: (localities, options).

        An ICP's is one figure wherever it serves; the fragmented default's in a locality
        is the base plus the quality its (serving) trust and practices bought (their gains add).
        """
        n_loc = len(self.scenario.localities)
        q = np.concatenate(
            [[self.scenario.behaviour.quality_base], self.partnerships.quality]
        ).astype(np.float32)
        q = np.repeat(q[None, :], n_loc, axis=0)
        trust_gain = np.array([trust.quality_gain for trust in self.trusts], dtype=np.float64)
        gain = trust_gain[self.trust_host]  # the trust serving each locality
        for practice in self.practices:
            gain[practice.locality] += practice.quality_gain
        if gain.any():
            q[:, 0] = (self.scenario.behaviour.quality_base + gain).astype(np.float32)
        for iv in self.scenario.interventions:
            if iv.start_year <= year <= iv.end_year and iv.value == "quality":
                sel = slice(None) if iv.option == "all" else self.options.index(iv.option)
                q[:, sel] *= iv.factor
        return np.clip(q, 0.0, 1.0)

    def table(self, year: int) -> OptionTable:
        """What patients see of each option in each locality in ``year``."""
        n_loc, n_opt = len(self.scenario.localities), len(self.options)
        available = self.available()
        waiting = np.zeros((n_loc, n_opt), dtype=np.float32)
        selection = np.zeros((n_loc, n_opt), dtype=np.float32)
        trust_waiting = np.array([trust.waiting_weeks for trust in self.trusts])[self.trust_host]
        waiting[:, 0] = trust_waiting
        # every (ICP, locality it serves) cell at once: icp indexes the ICPs
        icp, loc = self.icp_cells
        option = icp + 1
        icps = self.partnerships  # a vertical ICP's own hospital, else the local trust
        waiting[loc, option] = np.where(
            icps.vertical[icp], icps.waiting_weeks[icp], trust_waiting[loc]
        )
        selection[loc, option] = icps.selection[icp]
        quality = self.care_quality(year)
        published = (
            np.broadcast_to(self.published_quality(year), (n_loc, n_opt))
            if self.scenario.quality.from_outcomes
            else None
        )
        benefits = premium = None  # where any ICP offers or charges them (sim.engine.market)
        if icps.benefits.any():
            benefits = np.zeros((n_loc, n_opt), dtype=np.float32)
            benefits[loc, option] = icps.benefits[icp]
        if icps.premium.any():
            premium = np.zeros((n_loc, n_opt), dtype=np.float32)
            premium[loc, option] = icps.premium[icp]
        return OptionTable(
            available=available,
            quality=quality,
            published_quality=published,
            waiting=waiting,
            selection=selection,
            site=self.site,
            radius_km=self.radius_km,
            benefits=benefits,
            premium=premium,
            neighbour_experience=self.heard,
        )
