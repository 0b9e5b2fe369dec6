"""The seed tree: one root seed, one child per replication, one named stream per purpose.

Replication ``r`` of an experiment with seed ``s`` uses
``SeedSequence(s, spawn_key=(r,))``, the same child that
``SeedSequence(s).spawn(r + 1)[r]`` gives; within it each purpose has its own
stream, and each technician has streams of their own. A technician's draws
therefore do not depend on how many other technicians there are, and an order's
draws do not depend on the roster: common random numbers across rosters come
for free. Results depend only on (seed, replication), never on which process or
machine ran the replication.

The purpose numbers below are part of the reproducibility contract: never
renumber them, only add new ones.
"""

from __future__ import annotations

import numpy as np

#: Stream numbers of the replication-level purposes.
PURPOSES: dict[str, int] = {
    "arrivals": 0,
    "classes": 1,
    "work": 2,
    "forecast": 3,
    "batches": 4,
    "outbreaks": 5,
    "technicians": 6,
    "stress": 7,
    "patience": 8,
    "quality": 9,
    "returns": 10,
    "holds": 11,  # who needs an answer from the customer (capsim.followups.holds)
    "hold_response": 12,  # how long the answer takes
    "float_pool": 16,  # policies (16 on), apart from the order side's purposes
    "station_failures": 24,  # equipment (24 on): each station's times between failures
    "station_repairs": 25,  # and its repair times (capsim.equipment)
    # supplies (30 on), one stream per supply under each (supply_stream)
    "consumption": 30,  # units each order uses
    "lead_times": 31,  # the lead times of replenishment orders 0, 1, 2, ... (and backup's)
    "supplier_outages": 32,  # the random outages of each supply's primary supplier
}

#: Sources of orders, each with streams of its own for per-order draws (patience,
#: quality, returns, holds, hold_response):
#: so that a batch or a stress event never changes the draws of other orders.
ORDER_SOURCES: dict[str, int] = {"base": 0, "batch": 1, "stress": 2}

#: Stream numbers of each technician's purposes (under ``technicians``).
TECHNICIAN_PURPOSES: dict[str, int] = {
    "vacation": 0,
    "absence": 1,
    "outbreak": 2,
}


def _generator(seed: int, key: tuple[int, ...]) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def stream(seed: int, replication: int, purpose: str) -> np.random.Generator:
    """The generator for one purpose of one replication.

    Parameters
    ----------
    seed : int
        The experiment's root seed (>= 0).
    replication : int
        Replication index (>= 0).
    purpose : str
        One of :data:`PURPOSES`.
    """
    return _generator(seed, (replication, PURPOSES[purpose]))


def stress_stream(seed: int, replication: int, event: int) -> np.random.Generator:
    """The generator of one stress event (by its index in the scenario) in one replication."""
    return _generator(seed, (replication, PURPOSES["stress"], event))


def supply_stream(seed: int, replication: int, purpose: str,
                  supply: int) -> np.random.Generator:
    """The generator of one purpose of one supply (by its index in ``[[supplies]]``).

    A supply's draws do not depend on the other supplies (adding one changes nothing
    for the rest), nor on the roster.
    """
    return _generator(seed, (replication, PURPOSES[purpose], supply))


def technician_stream(
    seed: int, replication: int, technician: int, purpose: str
) -> np.random.Generator:
    """The generator for one purpose of one technician in one replication."""
    key = (replication, PURPOSES["technicians"], technician, TECHNICIAN_PURPOSES[purpose])
    return _generator(seed, key)


def station_stream(seed: int, replication: int, station: int,
                   purpose: str) -> np.random.Generator:
    """The generator of one purpose (failures or repairs) of one workstation.

    A station's k-th time between failures and k-th repair do not depend on the number of
    stations, on the repair crew or on the roster.
    """
    return _generator(seed, (replication, PURPOSES[purpose], station))


def order_stream(seed: int, replication: int, purpose: str, source: str,
                 index: int = 0) -> np.random.Generator:
    """The generator of one purpose for the orders of one source (see :data:`ORDER_SOURCES`).

    ``index`` tells batches and stress events apart (their index in the scenario).
    """
    return _generator(seed, (replication, PURPOSES[purpose], ORDER_SOURCES[source], index))
