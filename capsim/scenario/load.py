"""Loading scenarios: TOML files, ``--set`` overrides, and the wording of validation errors.

This is the only place that reads scenario files. A problem becomes a
:class:`~capsim.errors.ScenarioError` naming the file, the field path, the
value and what is allowed.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from capsim.errors import CapsimWarning, FieldProblem, ScenarioError
from capsim.scenario.describe import allowed_values, field_names
from capsim.scenario.files import read_text
from capsim.scenario.models import FieldError, Scenario

PathPart = str | int
ALLOW_OUTSIDE_ENV = "CAPSIM_ALLOW_OUTSIDE_FILES"
#: Largest scenario file (bytes): real ones are a few kilobytes.
MAX_SCENARIO_BYTES = 2**20
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
        raise ScenarioError(f"{flag} {text}", [_too_deep()]) from None
    _check_depth(value, f"{flag} {text}")
    return path, value


def _set(data: dict[str, Any], path: list[PathPart], value: Any, text: str, flag: str) -> None:
    node: Any = data
    for depth, part in enumerate(path):
        here = format_path(path[: depth + 1])
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                size = len(node) if isinstance(node, list) else 0
                allowed = f"indices 0 to {size - 1}" if size else "none: the list is empty"
                raise ScenarioError(f"{flag} {text}", [FieldProblem(
                    here, "no such list element", None, allowed)])
        elif not isinstance(node, dict):
            raise ScenarioError(f"{flag} {text}", [FieldProblem(
                format_path(path[:depth]), "is a value, not a table")])
        if depth == len(path) - 1:
            node[part] = value
        else:
            if isinstance(node, dict) and part not in node:
                node[part] = [] if isinstance(path[depth + 1], int) else {}
            node = node[part]


def apply_overrides(data: dict[str, Any], overrides: Iterable[str],
                    flag: str = "--set") -> dict[str, Any]:
    """Return a copy of raw scenario data with each ``PATH=VALUE`` override applied."""
    result = _deep_copy(data)
    for text in overrides:
        path, value = parse_override(text, flag)
        _set(result, path, value, text, flag)
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_deep_copy(v) for v in value]
    return value


def _format_value(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 80 else text[:77] + "..."


def _problem(error: dict[str, Any], overrides: Sequence[str], flag: str) -> FieldProblem:
    loc: list[PathPart] = [p for p in error["loc"] if p != "__root__"]
    message = error["msg"].removeprefix("Value error, ")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        loc += parse_path(cause.field)
        value = None if cause.value is None else _format_value(cause.value)
        return FieldProblem(_with_override(format_path(loc), overrides, flag), message, value)
    field = format_path(loc)
    if error["type"] == "extra_forbidden":
        names = field_names(loc[:-1])
        key = str(loc[-1])
        guess = [n for n in names if n.startswith(key)] or difflib.get_close_matches(
            key, names, n=1, cutoff=0.6)
        message = "unknown field" + (f"; did you mean {guess[0]!r}?" if guess else "")
        return FieldProblem(_with_override(field, overrides, flag), message, None,
                            ", ".join(names))
    if error["type"] == "missing":
        return FieldProblem(field, "required field is missing", None, allowed_values(loc))
    return FieldProblem(_with_override(field, overrides, flag), message,
                        _format_value(error.get("input")), allowed_values(loc))


def _with_override(field: str, overrides: Sequence[str], flag: str) -> str:
    """Mention the override (``--set``, ``--vary``) that put a bad value in ``field``."""
    for text in overrides:
        target = text.split("=", 1)[0].strip()
        if field and format_path(parse_path(target)) == field:
            return f"{field} (from {flag} {text})"
    return field


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
    _check_depth(data, source)
    data = apply_overrides(data, overrides, flag)
    outside = outside_files_allowed(allow_outside_files)
    try:
        scenario = Scenario.model_validate(data, context={"base_dir": base_dir,
                                                          "allow_outside_files": outside})
    except ValidationError as exc:
        problems = [_problem(e, overrides, flag) for e in exc.errors(include_url=False)]
        raise ScenarioError(source, problems) from None
    scenario._base_dir = base_dir
    scenario._source = source
    scenario._allow_outside_files = outside
    for field, why in scenario.unused_inputs():
        warnings.warn(f"{source}: {_with_override(field, overrides, flag)}: {why}",
                      CapsimWarning, stacklevel=1)
    return scenario


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
        raise ScenarioError(str(path), [_too_deep()]) from None
    _check_depth(data, str(path))
    return data


def _too_deep() -> FieldProblem:
    return FieldProblem("", f"tables and lists are nested too deeply (at most {MAX_DEPTH} "
                        "levels)")


def _check_depth(data: Any, source: str) -> None:
    """Refuse data nested more than :data:`MAX_DEPTH` levels (without recursing)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError(source, [_too_deep()])
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list | tuple):
            stack.extend((v, depth + 1) for v in value)


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
    return validate(scenario_dict(scenario), source=scenario.source,
                    base_dir=scenario.base_dir, overrides=overrides, flag=flag,
                    allow_outside_files=scenario.allow_outside_files)


def scenario_dict(scenario: Scenario) -> dict[str, Any]:
    """The fully resolved scenario (every default filled in) as JSON-ready data."""
    return scenario.model_dump(mode="json", by_alias=True)


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
