"""Loading scenarios: TOML files and ``--set`` overrides.

This is the only place that reads scenario files. A problem becomes a
:class:`~capsim.errors.ScenarioError` naming the file, the field path, the
value and what is allowed (worded in ``checks.py``). ``--set`` texts become the
same edits as :meth:`Scenario.replace` makes (``paths.py``).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from capsim.errors import FieldProblem, ScenarioError
from capsim.scenario.files import read_text
from capsim.scenario.models import Scenario
from capsim.scenario.paths import (
    MAX_DEPTH,
    Edit,
    PathPart,
    apply_edits,
    check_depth,
    format_path,
    parse_path,
    too_deep,
)

ALLOW_OUTSIDE_ENV = "CAPSIM_ALLOW_OUTSIDE_FILES"
#: Largest scenario file (bytes): real ones are a few kilobytes.
MAX_SCENARIO_BYTES = 2**20

__all__ = [
    "ALLOW_OUTSIDE_ENV", "MAX_DEPTH", "MAX_SCENARIO_BYTES", "PathPart", "apply_overrides",
    "format_path", "json_schema", "load_scenario", "outside_files_allowed", "parse_override",
    "parse_path", "read_toml", "scenario_dict", "validate", "with_overrides",
]


def parse_override(text: str, flag: str = "--set") -> tuple[list[PathPart], Any]:
    """Parse ``dotted.path=value``; the value is read as a TOML literal, else as a string."""
    if "=" not in text:
        raise ScenarioError(flag, [FieldProblem("", "expected PATH=VALUE", repr(text))])
    raw_path, raw_value = (s.strip() for s in text.split("=", 1))
    try:
        path = parse_path(raw_path)
    except ValueError as exc:
        raise ScenarioError(flag, [FieldProblem("", str(exc))]) from None
    try:
        value = tomllib.loads(f"v = {raw_value}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw_value
    except RecursionError:
        raise ScenarioError(f"{flag} {text}", [too_deep()]) from None
    check_depth(value, f"{flag} {text}")
    return path, value


def _edits(overrides: Iterable[str], flag: str) -> list[Edit]:
    """``PATH=VALUE`` texts as edits, each quoted in messages as the user wrote it."""
    edits = []
    for text in overrides:
        path, value = parse_override(text, flag)
        edits.append(Edit(tuple(path), value, text))
    return edits


def apply_overrides(data: dict[str, Any], overrides: Iterable[str],
                    flag: str = "--set") -> dict[str, Any]:
    """Return a copy of raw scenario data with each ``PATH=VALUE`` override applied."""
    return apply_edits(data, _edits(overrides, flag), flag)


def outside_files_allowed(allow: bool | None = None) -> bool:
    """``allow``, or when None whether ``CAPSIM_ALLOW_OUTSIDE_FILES`` is set (to 1)."""
    if allow is not None:
        return allow
    return os.environ.get(ALLOW_OUTSIDE_ENV, "").strip().lower() in ("1", "true", "yes")


def validate(
    data: dict[str, Any], *, source: str = "<scenario>", base_dir: Path | None = None,
    overrides: Sequence[str] = (), flag: str = "--set", allow_outside_files: bool | None = None,
) -> Scenario:
    """Validate raw scenario data (as read from TOML) into a :class:`Scenario`.

    Inputs that can never take effect (see :meth:`Scenario.unused_inputs`) give a
    :class:`~capsim.errors.CapsimWarning` naming the source and the field.

    Parameters
    ----------
    data : dict
        The scenario as nested tables.
    source : str
        How to name the scenario in error messages (usually its file).
    base_dir : Path, optional
        Directory against which relative data-file paths are resolved (default: the
        current directory). Data files must lie in it or below it.
    overrides : sequence of str
        ``PATH=VALUE`` overrides to apply first.
    flag : str
        The option the overrides came from, for messages (``--set``, ``--vary``).
    allow_outside_files : bool, optional
        Accept data files outside ``base_dir`` (absolute paths, ``..``, symbolic links
        leading out). Default: only when the environment variable
        ``CAPSIM_ALLOW_OUTSIDE_FILES=1`` is set.
    """
    return Scenario.from_data(data, source=source, base_dir=base_dir,
                              edits=_edits(overrides, flag), flag=flag,
                              allow_outside_files=outside_files_allowed(allow_outside_files))


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into a :class:`ScenarioError`.

    The file must be UTF-8 text of at most :data:`MAX_SCENARIO_BYTES` bytes, nested at
    most :data:`MAX_DEPTH` tables and lists deep.
    """
    path = Path(path)
    try:
        text = read_text(path, MAX_SCENARIO_BYTES, "scenario file")
    except ValueError as exc:
        problem = str(exc).removeprefix(f"{path}: ").removeprefix(f"{path} ")
        problem = problem.replace(f": {path}", "").replace(f" {path}", "")  # named once
        raise ScenarioError(str(path), [FieldProblem("", problem)]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), [FieldProblem("", f"invalid TOML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError(str(path), [too_deep()]) from None
    check_depth(data, str(path))
    return data


def load_scenario(path: str | Path, overrides: Sequence[str] = (), *,
                  allow_outside_files: bool | None = None) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        A TOML scenario file. Data files it names are resolved against its directory
        and must lie in it or below it.
    overrides : sequence of str
        ``dotted.path=value`` overrides (values are TOML literals), as with ``--set``.
    allow_outside_files : bool, optional
        Accept data files elsewhere; default: when ``CAPSIM_ALLOW_OUTSIDE_FILES=1``.

    Raises
    ------
    capsim.errors.ScenarioError
        If the file cannot be read or does not validate; the message names the
        file, the field, the value and what is allowed.
    """
    path = Path(path)
    return validate(read_toml(path), source=str(path), base_dir=path.parent,
                    overrides=overrides, allow_outside_files=allow_outside_files)


def with_overrides(scenario: Scenario, overrides: Sequence[str],
                   flag: str = "--set") -> Scenario:
    """Return ``scenario`` with ``PATH=VALUE`` overrides applied and validated again."""
    if not overrides:
        return scenario
    return Scenario.from_data(scenario.as_data(), source=scenario.source,
                              base_dir=scenario.base_dir, edits=_edits(overrides, flag),
                              flag=flag, allow_outside_files=scenario.allow_outside_files)


def scenario_dict(scenario: Scenario) -> dict[str, Any]:
    """The fully resolved scenario (every default filled in) as JSON-ready data."""
    return scenario.as_data()


def json_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of scenario files, for editors and ``capsim schema``.

    It checks each value's type and range; rules that relate several fields (shares
    summing to 1, a warm-up shorter than the horizon, ...) are checked by
    :func:`validate` only.
    """
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              **Scenario.model_json_schema(by_alias=True)}
    schema["title"] = "capsim scenario"
    return schema
