"""Engines: pure functions ``(Scenario, Realization) -> Records``.

Each engine lives in its own module with two functions: ``simulate(scenario,
realization)`` and ``unsupported(scenario)``, which returns None when the
engine can run the scenario and otherwise the name of the feature it lacks; it may
also have ``preferred()``, False when ``auto`` should pass it over (the fast engine
without numba). Engines are imported on first use. ``auto`` picks the first engine
in :data:`PREFERENCE` that supports the scenario and is preferred.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

from capsim.errors import CapsimError

if TYPE_CHECKING:
    from capsim.records import Records
    from capsim.sampling import Realization
    from capsim.scenario import Scenario

    Engine = Callable[[Scenario, Realization], Records]

#: Engine name -> module that implements it.
ENGINES: dict[str, str] = {"simpy": "capsim.engines.simpy_model",
                           "fast": "capsim.engines.vectorized"}

#: The order in which ``auto`` tries engines (fastest first).
PREFERENCE: tuple[str, ...] = ("fast", "simpy")


def resolve(name: str, scenario: Scenario) -> str:
    """Turn an engine request (a name or ``auto``) into the engine that will run.

    Raises
    ------
    capsim.errors.CapsimError
        If the engine is unknown or cannot run this scenario.
    """
    if name == "auto":
        for candidate in PREFERENCE:
            module = _module(candidate)
            if (module.unsupported(scenario) is None
                    and getattr(module, "preferred", lambda: True)()):
                return candidate
        raise CapsimError("no engine supports this scenario")
    if name not in ENGINES:
        raise CapsimError(f"unknown engine {name!r}; allowed: auto, {', '.join(ENGINES)}")
    reason = _module(name).unsupported(scenario)
    if reason is not None:
        raise CapsimError(f"engine {name!r} cannot run this scenario: {reason}")
    return name


def passed_over(scenario: Scenario) -> str | None:
    """Why ``auto``'s first choice cannot run ``scenario`` (None: it can), to say so."""
    reason: str | None = _module(PREFERENCE[0]).unsupported(scenario)
    return None if reason is None else f"{PREFERENCE[0]} engine: {reason}"


def _module(name: str) -> ModuleType:
    return importlib.import_module(ENGINES[name])


def get(name: str) -> Engine:
    """The ``simulate`` function of a named engine."""
    result: Engine = _module(name).simulate
    return result


def get_many(name: str) -> Callable[[Scenario, list[Realization]], list[Records]]:
    """A function running many replications at once.

    The engine's ``simulate_many`` if it has one (the fast engine works on many
    replications per call), else ``simulate`` in turn.
    """
    module = _module(name)
    if hasattr(module, "simulate_many"):
        result: Callable[[Scenario, list[Realization]], list[Records]] = module.simulate_many
        return result
    return lambda scenario, realizations: [module.simulate(scenario, r) for r in realizations]
