"""Writing a resolved scenario back as a TOML scenario file.

``load_scenario(path_of(scenario_toml(s)))`` gives back a scenario equal to ``s``
(tests check the round trip). Every default is written out, so the file says
everything the run assumed. TOML has no null: a field that is None (unset, its
default) is left out.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from capsim.scenario.load import scenario_dict
from capsim.scenario.models import Scenario

# Characters TOML never allows raw in a basic string or a comment (tab aside; json.dumps
# already escapes C0), plus the C1 controls, which terminals act on.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def scenario_toml(scenario: Scenario, header: str = "",
                  files: dict[str, str] | None = None) -> str:
    """The scenario as TOML, every default filled in.

    Parameters
    ----------
    scenario : Scenario
        What to write.
    header : str
        Comment lines to put first (each prefixed with ``#``).
    files : dict of str to str, optional
        Data-file paths to write instead of the ones in the scenario (``file`` fields,
        keyed by their value), for a copy of the scenario that lives elsewhere.
    """
    return toml_document(_replace_files(scenario_dict(scenario), files or {}), header)


def toml_document(data: dict[str, Any], header: str = "") -> str:
    """Nested tables as a TOML document, with ``header`` as comment lines first.

    Strings and keys are basic strings with every control character escaped (TOML
    allows none raw but tab); control characters in the header are written as
    TOML unicode escapes too, since a comment may hold none either.
    """
    lines = [f"# {_escape_controls(line)}".rstrip() for line in header.splitlines()]
    lines += _table(data, [])
    return "\n".join(lines).strip("\n") + "\n"


def data_files(scenario: Scenario) -> list[str]:
    """The data files a scenario names (its ``file`` fields), each once, in order."""
    named: list[str] = []
    _replace_files(scenario_dict(scenario), {}, named)
    return list(dict.fromkeys(named))


def _replace_files(value: Any, files: dict[str, str], seen: list[str] | None = None) -> Any:
    """``value`` with each ``file`` field mapped through ``files`` (noting it in ``seen``)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "file" and isinstance(v, str):
                out[k] = files.get(v, v)
                if seen is not None:
                    seen.append(v)
            else:
                out[k] = _replace_files(v, files, seen)
        return out
    if isinstance(value, list):
        return [_replace_files(v, files, seen) for v in value]
    return value


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(data: dict[str, Any], path: list[str]) -> list[str]:
    """A table's own keys first, then its sub-tables, then its arrays of tables."""
    plain = {k: v for k, v in data.items()
             if v is not None and not isinstance(v, dict) and not _is_tables(v)}
    lines = [f"{_key(k)} = {_value(v)}" for k, v in plain.items()]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{_dotted([*path, key])}]", *_table(value, [*path, key])]
    for key, value in data.items():
        if _is_tables(value):
            for entry in value:
                lines += ["", f"[[{_dotted([*path, key])}]]", *_table(entry, [*path, key])]
    return lines


def _dotted(path: list[str]) -> str:
    return ".".join(_key(k) for k in path)


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else _string(key)


def _escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes (a subset of TOML's), and DEL and C1 escaped too."""
    return _escape_controls(json.dumps(text, ensure_ascii=False))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()
                                if v is not None) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
