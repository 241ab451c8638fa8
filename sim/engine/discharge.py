"""Step 2b of the year: social care meets the patients leaving hospital.

Read after the patients' pass and before hospitals set their capacity: each locality's
local authority (:mod:`sim.providers.social_care`) buys care packages for the discharges
that need one, and delays beyond those the calibrated stays hold are booked into the
ledger as bed days of its older emergency patients, so the hospitals that kept them pay
for them and staff for them (:mod:`sim.engine.waiting`, :mod:`sim.engine.provider_costs`).
"""

from __future__ import annotations

import numpy as np

from sim.config.social_care_parameters import SocialCare
from sim.engine.ledger import Ledger
from sim.patients.modifiers import RateModifiers
from sim.providers.social_care import SocialCareYear, social_care_year

OLDER = 1
"""The ledger's age band of patients aged 65 and over."""


def discharge_year(
    ledger: Ledger, modifiers: RateModifiers, bed_day_cost: float, p: SocialCare
) -> SocialCareYear:
    """This year's social care in every locality; books its delays into ``ledger``.

    Patients needing a package at discharge are ``need_share`` of the older emergency
    patients, so a shorter stay than calibrated (a length-of-stay factor below 1 on their
    cell) leaves ``need_share`` of the days it saved to social care; delayed days are
    spread over the older patients' cells by their emergency admissions, and within a cell
    by them too, so the oldest with repeated admissions (:mod:`sim.engine.older_bed_use`)
    take the share of its delays their admissions are.
    """
    n_loc, pair_locality = ledger.shape[1], ledger.pair_locality
    residents = ledger.locality_sums(("population",))[0]
    admissions = ledger.cells("emergency_total")[:, OLDER]  # (pair, IMD, high-risk)
    by_pair = admissions.sum(axis=(1, 2))
    older = np.bincount(pair_locality, weights=by_pair, minlength=n_loc)
    factor = modifiers.tables["los"][ledger.pair_option, pair_locality].astype(float)
    saved = np.where(factor < 1, 1.0 / np.maximum(factor, 1e-9) - 1.0, 0.0)  # (pair, hr)
    bed_days = ledger.cells("bed_days")[:, OLDER]
    early = (bed_days * saved[:, None, :]).sum(axis=(1, 2))
    early = p.need_share * np.bincount(pair_locality, weights=early, minlength=n_loc)
    year = social_care_year(residents, older, early, bed_day_cost, p)
    share = np.divide(
        admissions,
        older[pair_locality][:, None, None],
        out=np.zeros_like(admissions),
        where=older[pair_locality][:, None, None] > 0,
    )
    booked = np.zeros(ledger.cell_shape)
    booked[:, OLDER] = share * year.booked_bed_days[pair_locality][:, None, None]
    ledger.add_cells("bed_days", booked)
    # the oldest with repeated admissions wait by their admissions as the other older do
    frequent = ledger.cells("frequent_85_plus_emergencies")
    ledger.add_cells(
        "frequent_85_plus_bed_days",
        np.divide(booked * frequent, np.where(frequent > 0, ledger.cells("emergency_total"), 1.0)),
    )
    return year


def pooled_by_option(ledger: Ledger, year: SocialCareYear, n_options: int) -> np.ndarray:
    """Each option's part of the health money pooled into social care, GBP: each locality's
    transfer shared over the options by their residents there."""
    population = ledger.cells("population").sum(axis=(1, 2, 3))
    locality = ledger.pair_locality
    residents = np.bincount(locality, weights=population, minlength=ledger.shape[1])
    share = np.divide(
        population,
        residents[locality],
        out=np.zeros_like(population),
        where=residents[locality] > 0,
    )
    return np.bincount(
        ledger.pair_option, weights=share * year.pooled_transfer[locality], minlength=n_options
    )
