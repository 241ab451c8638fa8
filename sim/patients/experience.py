"""Each patient's experience of their option this year: what they carry into next year's choice.

Patients have little independent information about the systems they choose between (seed
000:511-514); what they do know first-hand is how their own year went, and they can leave
"if they were dissatisfied with their care" (seed 002 L1592-1597). Experience is the
quality of the care their option gave, less what went wrong for them this year, plus noise,
clipped to 0 (bad) .. 1 (good):

    e_i = q_o(i) - a [emergency admission] - v [avoidable admission]
          - m x electives needed and not supplied - w [elective after a long wait] + s z_i

``a`` (``experience_admission_penalty``) and ``s`` (``experience_noise``) are the original
terms; ``v``, ``m`` and ``w`` are 0 unless a scenario sets them, so experience is then what it
always was. Next year it enters the utility of staying (``beta_experience``), and its mean
over an option's members in a locality is what their neighbours hear (word of mouth,
``beta_word_of_mouth``; :mod:`sim.engine.word_of_mouth`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.parameters import Choice


@dataclass(frozen=True)
class YearLived:
    """What happened to each of a set of patients this year (one entry each)."""

    quality: np.ndarray  # float32: their option's quality of care (a copy: it is changed)
    emergency: np.ndarray  # bool: any emergency admission
    avoidable: np.ndarray  # bool: any avoidable (ACSC) emergency admission
    unmet_need: np.ndarray  # float32: electives needed and not supplied
    elective: np.ndarray  # bool: any elective admission
    wait_weeks: np.ndarray  # float32: their option's elective wait


def experience_of_care(
    params: Choice, lived: YearLived, noise: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """Write each patient's experience (0-1) into ``out`` from ``lived`` and standard-normal
    ``noise`` (changed in place); returns ``out``."""
    f32 = np.float32
    value = lived.quality
    value -= f32(params.experience_admission_penalty) * lived.emergency
    if params.experience_avoidable_admission_penalty:
        value -= f32(params.experience_avoidable_admission_penalty) * lived.avoidable
    if params.experience_unmet_need_penalty:
        value -= f32(params.experience_unmet_need_penalty) * lived.unmet_need
    if params.experience_long_wait_penalty:
        long_wait = lived.elective & (lived.wait_weeks > f32(params.long_wait_weeks))
        value -= f32(params.experience_long_wait_penalty) * long_wait
    noise *= f32(params.experience_noise)
    value += noise
    return np.clip(value, 0.0, 1.0, out=out)
