"""Word of mouth: what an option's members in a locality say of it, heard by their neighbours.

After the patients' year, the mean experience of care (:mod:`sim.patients.experience`) of
each option's members in each locality is what patients there hear of it when they choose
next year (``choice.beta_word_of_mouth``): a signal of the quality of care the option gave,
blurred by each member's own luck, and the only one they have of options they have never
used (seed 000:511-514: little independent information to choose on).
"""

from __future__ import annotations

import numpy as np

from sim.engine.ledger import Ledger

NOTHING_HEARD = 0.5
"""Mean experience assumed where an option had no members in the locality: neutral, as the
choice's experience terms are centred on 0.5."""


def neighbour_experience(ledger: Ledger) -> np.ndarray:
    """Mean experience of each option's members in each locality this year, shape
    (localities, options); :data:`NOTHING_HEARD` where it had none."""
    n_options, n_localities = ledger.shape[:2]
    members = ledger.cells("population").sum(axis=(1, 2, 3))
    experience = ledger.cells("experience").sum(axis=(1, 2, 3))
    mean = np.full((n_localities, n_options), NOTHING_HEARD, dtype=np.float32)
    has = members > 0
    mean[ledger.pair_locality[has], ledger.pair_option[has]] = experience[has] / members[has]
    return mean
