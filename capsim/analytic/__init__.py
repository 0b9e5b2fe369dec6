"""Closed forms of queueing and staffing: rough cuts, teaching, and test oracles.

- :mod:`~capsim.analytic.erlang`: Erlang B and C, the M/M/c queue (waits, service
  level, sojourn distribution), with immediate rework (Bernoulli feedback), the minimal
  servers for a target.
- :mod:`~capsim.analytic.erlang_a`: M/M/c+M with abandonment, by exact birth–death solution.
- :mod:`~capsim.analytic.staffing`: square-root (Halfin–Whitt) staffing, the absenteeism
  buffer, Little's law and the rule-of-thumb calibration.
- :mod:`~capsim.analytic.offered_load`: the offered load m(t) of time-varying demand and
  the staffing it implies.
- :mod:`~capsim.analytic.rough_cut`: a rough-cut roster for a whole scenario.
- :mod:`~capsim.analytic.reach`: the best on-time rate the shift patterns allow.

Every function is stable up to 10,000 servers and loads of 10,000 Erlangs; an
overloaded queue (ρ >= 1) gives infinite waits, never a negative or finite one.
"""

from capsim.analytic.erlang import MMc, MMcFeedback, erlang_b, erlang_c, min_servers
from capsim.analytic.erlang_a import ErlangA
from capsim.analytic.offered_load import mol_staffing, offered_load, psa_staffing
from capsim.analytic.reach import Reach, reach
from capsim.analytic.rough_cut import RoughCut, rough_cut
from capsim.analytic.staffing import (
    RuleOfThumb,
    SquareRootStaffing,
    absence_buffer,
    halfin_whitt_beta,
    halfin_whitt_delay,
    littles_law,
    presence_probability,
    sqrt_staffing,
)

__all__ = [
    "ErlangA",
    "MMc",
    "MMcFeedback",
    "Reach",
    "RoughCut",
    "RuleOfThumb",
    "SquareRootStaffing",
    "absence_buffer",
    "erlang_b",
    "erlang_c",
    "halfin_whitt_beta",
    "halfin_whitt_delay",
    "littles_law",
    "min_servers",
    "mol_staffing",
    "offered_load",
    "presence_probability",
    "psa_staffing",
    "reach",
    "rough_cut",
    "sqrt_staffing",
]
