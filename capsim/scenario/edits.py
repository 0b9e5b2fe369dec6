"""Typed edits of a scenario as functions: thin wrappers of the :class:`Scenario` methods.

Each edit returns a new, validated :class:`Scenario`; the original is unchanged.
The methods (:meth:`Scenario.replace`, :meth:`Scenario.edit`,
:meth:`Scenario.with_roster`) are the ones to use; these functions stay for code
written against them. ``--set`` strings are the command line's business
(:func:`capsim.scenario.with_overrides`).
"""

from __future__ import annotations

from typing import Any

from capsim.scenario.models import Scenario
from capsim.scenario.paths import FieldPath


def counts_only(scenario: Scenario) -> bool:
    """Whether every shift pattern is given by a ``count`` (:attr:`Workforce.counts_only`)."""
    return scenario.workforce.counts_only


def with_roster(scenario: Scenario, roster: int) -> Scenario:
    """The scenario with ``roster`` technicians (:meth:`Scenario.with_roster`)."""
    return scenario.with_roster(roster)


def replace(scenario: Scenario, path: FieldPath, value: Any) -> Scenario:
    """The scenario with the field at ``path`` set to ``value`` (:meth:`Scenario.replace`)."""
    return scenario.replace(path, value)
