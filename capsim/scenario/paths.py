"""Field paths of a scenario, and edits: a value to set at a path of the raw data.

A path names a field as users write it, ``demand.surges[0].multiplier`` (or
``demand.surges.0.multiplier``), or as a sequence of parts, ``("demand", "surges", 0,
"multiplier")``. An :class:`Edit` is one change: ``--set`` and ``--vary`` make them
from text, :meth:`capsim.scenario.Scenario.replace` from Python values. Both go
through :func:`apply_edits` and are then validated with the whole scenario, so an
edit fails with the same words whichever way it came.

This module also bounds how deeply tables and lists may nest (:data:`MAX_DEPTH`).
It knows nothing of the schema; validation lives in ``checks.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from capsim.errors import FieldProblem, ScenarioError

PathPart = str | int
#: A field path: text such as ``demand.surges[0].multiplier``, or its parts.
FieldPath = str | Sequence[PathPart]
#: Deepest nesting of tables and lists (a scenario needs six).
MAX_DEPTH = 16
_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_PATH = re.compile(rf"{_NAME}(?:\.(?:{_NAME}|\d+)|\[\d+\])*")
_PART = re.compile(rf"({_NAME})|(\d+)")


def parse_path(text: str) -> list[PathPart]:
    """Split ``demand.surges[0].multiplier`` (or ``demand.surges.0.multiplier``) into parts."""
    if not _PATH.fullmatch(text):
        raise ValueError(f"cannot parse field path {text!r}; write it like "
                         "demand.surges[0].multiplier")
    return [name if name else int(index) for name, index in _PART.findall(text)]


def format_path(parts: Sequence[PathPart]) -> str:
    """Join path parts the way users write them: ``demand.surges[0].multiplier``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def path_parts(path: FieldPath) -> tuple[PathPart, ...]:
    """The parts of a path given as text or as parts.

    Parts are names (``str``) and list indices (``int`` >= 0), the first a name.

    Raises
    ------
    ValueError
        If the path is empty or a part is neither (a bool, a negative index, a name
        with a dot in it, ...).
    """
    if isinstance(path, str):
        return tuple(parse_path(path))
    parts = tuple(path)
    text = format_path(parts) if all(type(p) in (str, int) for p in parts) else ""
    try:
        same = bool(parts) and tuple(parse_path(text)) == parts
    except ValueError:
        same = False
    if not same:
        raise ValueError(f"cannot use {parts!r} as a field path; give names (str) and list "
                         "indices (int >= 0), the first a name, like ('demand', 'surges', 0, "
                         "'multiplier')")
    return parts


def plain(value: Any) -> Any:
    """A Python value as raw scenario data (what TOML would have given).

    Scenario tables (pydantic models) become dicts as the scenario writes them, tuples
    and arrays become lists, numpy scalars Python numbers, and paths text.
    """
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    if not isinstance(value, bool | int | float | str) and callable(getattr(value, "tolist",
                                                                             None)):
        return plain(value.tolist())  # numpy scalars and arrays
    return value


@dataclass(frozen=True)
class Edit:
    """One change to raw scenario data: ``value`` at the path ``parts``.

    ``text`` is how messages quote it: what the user typed for ``--set``, else
    ``PATH=VALUE`` with the value as JSON writes it.
    """

    parts: tuple[PathPart, ...]
    value: Any
    text: str

    @classmethod
    def of(cls, path: FieldPath, value: Any, flag: str) -> Edit:
        """The edit that sets ``path`` to ``value`` (a Python value, see :func:`plain`).

        Raises
        ------
        capsim.errors.ScenarioError
            If ``path`` is not a field path (``flag`` names the edit in the message).
        """
        try:
            parts = path_parts(path)
        except ValueError as exc:
            raise ScenarioError(flag, [FieldProblem("", str(exc))]) from None
        check_depth(value, f"{flag} {format_path(parts)}")
        data = plain(value)
        shown = json.dumps(data, ensure_ascii=False, default=str)
        shown = shown if len(shown) <= 200 else shown[:197] + "..."
        return cls(parts, data, f"{format_path(parts)}={shown}")


def edits_of(changes: Mapping[Any, Any] | Iterable[tuple[Any, Any]], flag: str) -> list[Edit]:
    """Edits from ``{path: value}`` or ``[(path, value), ...]``, in order."""
    pairs = changes.items() if isinstance(changes, Mapping) else changes
    return [Edit.of(path, value, flag) for path, value in pairs]


def apply_edits(data: dict[str, Any], edits: Iterable[Edit], flag: str) -> dict[str, Any]:
    """A copy of raw scenario data with each edit applied, in order.

    A missing table on the way is created, and so is an optional table left unset
    (``policies.float_pool.size=2`` on a scenario without a pool starts one: validation
    then names an unknown field, or a required one still missing); a list index must
    exist.

    Raises
    ------
    capsim.errors.ScenarioError
        If a path goes through a value as if it were a table, or names a list element
        that does not exist.
    """
    result: dict[str, Any] = deep_copy(data)
    for edit in edits:
        _set(result, edit, f"{flag} {edit.text}")
    return result


def _set(data: dict[str, Any], edit: Edit, source: str) -> None:
    path, node = edit.parts, data
    for depth, part in enumerate(path):
        here = format_path(path[: depth + 1])
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                size = len(node) if isinstance(node, list) else 0
                allowed = f"indices 0 to {size - 1}" if size else "none: the list is empty"
                raise ScenarioError(source, [FieldProblem(here, "no such list element", None,
                                                          allowed)])
        elif not isinstance(node, dict):
            raise ScenarioError(source, [FieldProblem(format_path(path[:depth]),
                                                      "is a value, not a table")])
        if depth == len(path) - 1:
            node[part] = deep_copy(edit.value)
        else:
            if isinstance(node, dict) and (part not in node or (
                    node[part] is None and not isinstance(path[depth + 1], int))):
                node[part] = [] if isinstance(path[depth + 1], int) else {}
            node = node[part]


def deep_copy(value: Any) -> Any:
    """A copy of nested dicts and lists (tuples become lists); other values are shared."""
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [deep_copy(v) for v in value]
    return value


def too_deep() -> FieldProblem:
    """The problem of data nested more than :data:`MAX_DEPTH` levels."""
    return FieldProblem("", f"tables and lists are nested too deeply (at most {MAX_DEPTH} "
                        "levels)")


def check_depth(data: Any, source: str) -> None:
    """Refuse data nested more than :data:`MAX_DEPTH` levels (without recursing)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError(source, [too_deep()])
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list | tuple):
            stack.extend((v, depth + 1) for v in value)
