"""Staffed capacity and its fixed cost: one model for trusts and ICP-run hospitals.

Every hospital, a trust or the hospital a vertical ICP runs, holds capacity for each kind
of activity (:data:`CAPACITY_ACTIVITIES`). Each year, for each activity:

* staffed capacity moves a share ``speed`` (:attr:`HospitalCosts.adjustment_speed`) of the
  way from last year's to this year's activity: staff, beds and theatres follow activity
  only with a lag; a hospital starts staffed to its first year's activity, and for
  electives to its first year's referred demand (what it would treat at the national
  tariff the model is calibrated to), so a contract that cuts electives from the first
  year sheds that capacity as slowly as any other;
* the capacity it holds is what it staffs, or what it treats when that is more (the
  excess is bought in: agency staff, extra sessions, at average cost);
* its cost is the variable cost of what it treats plus the fixed cost of what it holds;
  the fixed cost of capacity held but not used is stranded;
* its elective wait is set by referred demand against the elective capacity it holds,
  less what electives beyond referred demand (supplier-induced) take up: those spells use
  theatres and staff but treat nobody on the waiting list.

* when patients move between hospitals serving the same locality (a trust and a vertical
  ICP's own hospital), part of the capacity the one they left holds idle passes to the
  one they joined, where it lacks capacity for them (``capacity_takeover_share``,
  :func:`take_over_idle`): capacity follows its patients.

So cutting activity saves at once only its variable cost, and the fixed cost as capacity
is released or taken over; and the same cut gives the same wait, cost and stranded cost
whoever makes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.config.parameters import Hospital
from sim.providers.costs import CAPACITY_ACTIVITIES, HospitalCosts, elementwise

ELECTIVE = CAPACITY_ACTIVITIES.index("elective")


@dataclass(frozen=True)
class CapacityYear:
    """One year of some hospitals' capacity, a row per hospital."""

    staffed: np.ndarray  # (hospitals, activities): capacity staffed this year
    held: np.ndarray  # (hospitals, activities): capacity held (staffed, or used if more)
    stranded_cost: np.ndarray  # GBP of fixed cost of capacity held but not used
    waiting_weeks: np.ndarray  # elective wait
    elective_capacity: np.ndarray  # electives a year at the reference load


def waiting_weeks(load: np.ndarray, params: Hospital) -> np.ndarray:
    """Referral-to-treatment wait at each load, rising exponentially as demand outruns
    capacity, up to ``waiting_weeks_max`` (a handful of patients can far outrun a tiny
    capacity)."""
    growth = params.waiting_load_sensitivity * (
        np.asarray(load, dtype=float) - params.reference_load
    )
    ceiling = math.log(params.waiting_weeks_max / params.waiting_weeks_base)
    return params.waiting_weeks_base * elementwise(math.exp, np.minimum(growth, ceiling))


def adjusted_staffing(
    staffed: np.ndarray, activity: np.ndarray, elective_demand: np.ndarray, costs: HospitalCosts
) -> np.ndarray:
    """What hospitals that staffed ``staffed`` last year (NaN rows: their first year) staff
    this year on their own, moving ``adjustment_speed`` of the way to ``activity``."""
    activity = np.asarray(activity, dtype=float)
    start = activity.copy()
    start[:, ELECTIVE] = np.asarray(elective_demand, dtype=float)  # first year: referred demand
    last = np.where(np.isnan(staffed), start, staffed)
    return last + costs.adjustment_speed * (activity - last)


def follow_activity(
    staffed: np.ndarray,
    activity: np.ndarray,
    elective_demand: np.ndarray,
    costs: HospitalCosts,
    params: Hospital,
    taken_over: np.ndarray | None = None,
) -> CapacityYear:
    """This year's capacity of hospitals that staffed ``staffed`` last year (NaN rows: their
    first year), treat ``activity`` and are referred ``elective_demand`` electives.

    ``activity`` has a row per hospital and a column per :data:`CAPACITY_ACTIVITIES`;
    ``taken_over``, of the same shape, is capacity each took over from (positive) or handed
    to (negative) another hospital of its localities this year (:func:`take_over_idle`).
    """
    activity = np.asarray(activity, dtype=float)
    demand = np.asarray(elective_demand, dtype=float)
    now = adjusted_staffing(staffed, activity, demand, costs)
    if taken_over is not None:
        now = now + taken_over
    held = np.maximum(now, activity)
    idle = held - activity
    induced = np.maximum(0.0, activity[:, ELECTIVE] - demand)
    capacity = (held[:, ELECTIVE] - induced) / params.reference_load
    load = np.divide(demand, capacity, out=np.zeros_like(demand), where=capacity > 0)
    load[(capacity <= 0) & (demand > 0)] = np.inf  # referred, with nothing to treat them
    return CapacityYear(
        staffed=now,
        held=held,
        stranded_cost=fixed_cost(idle, costs),
        waiting_weeks=waiting_weeks(load, params),
        elective_capacity=capacity,
    )


def fixed_cost(capacity: np.ndarray, costs: HospitalCosts) -> np.ndarray:
    """GBP of fixed cost of each row's ``capacity`` (a column per activity), added left to
    right as a loop would (so every machine rounds alike)."""
    total = np.zeros(len(capacity))
    for column, unit in zip(np.asarray(capacity).T, costs.capacity_cost, strict=True):
        total += column * unit
    return total


def transfer_capacity(
    receiving: np.ndarray, leaving: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Staffed capacity of a hospital taking over another's patients, and of the one leaving.

    ``share`` of what the leaving hospital staffed moves with its patients (beds, theatres
    and staff kept on), the rest closes; from then on the receiving hospital's capacity
    follows its combined activity with the usual lag (:func:`follow_activity`). NaN (not
    yet staffed) counts as nothing.
    """
    moved = share * np.nan_to_num(np.asarray(leaving, dtype=float))
    return np.nan_to_num(np.asarray(receiving, dtype=float)) + moved, np.zeros_like(moved)


def take_over_idle(
    giving: np.ndarray,
    giving_activity: np.ndarray,
    taking: np.ndarray,
    taking_activity: np.ndarray,
    share: float,
) -> np.ndarray:
    """Capacity passing from one hospital to another serving the same patients, by activity.

    ``giving`` and ``taking`` are what each staffs this year on its own
    (:func:`adjusted_staffing`). When patients move, the staff, beds and theatres that
    treated them need not stay idle at the hospital they left while the one they joined
    buys capacity in: ``share`` of the giving hospital's idle capacity passes to the taking
    one, up to what the taking one lacks for its activity. The taker's capacity held is
    unchanged (it was buying that capacity in at average cost), and the giver's stranded
    cost falls by the fixed cost of what passed.
    """
    idle = np.maximum(np.asarray(giving) - giving_activity, 0.0)
    short = np.maximum(np.asarray(taking_activity) - taking, 0.0)
    return np.minimum(share * idle, short)


def empty_staffing(hospitals: int) -> np.ndarray:
    """Staffed capacity of hospitals yet to run their first year (NaN: none staffed yet)."""
    return np.full((hospitals, len(CAPACITY_ACTIVITIES)), np.nan)
