"""Writing a resolved scenario back as a TOML scenario file.

``load_scenario(path_of(scenario_toml(s)))`` gives back a scenario equal to ``s``
(tests check the round trip). Every default is written out, so the file says
everything the run assumed. TOML has no null: a field that is None (unset, its
default) is left out. The TOML itself is written by ``tomli-w``.
"""

from __future__ import annotations

import re
from typing import Any

import tomli_w

from capsim.scenario.load import scenario_dict
from capsim.scenario.models import Scenario

# Characters TOML never allows raw in a basic string or a comment (tab aside), plus the C1
# controls, which terminals act on.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_C1 = re.compile(r"[\x80-\x9f]")


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
    r"""Nested tables as a TOML document, with ``header`` as comment lines first.

    The document is written by ``tomli-w``: strings and keys are basic strings with
    the C0 controls and DEL escaped. The C1 controls (U+0080 to U+009F), which TOML
    allows but terminals act on, are escaped here too: outside a comment they can only
    stand inside a basic string, where ``\u0085`` means the same character. Control
    characters in the header are written as TOML unicode escapes, since a comment may
    hold none either. None (TOML has no null) is left out.
    """
    lines = [f"# {_escape_controls(line)}".rstrip() for line in header.splitlines()]
    body = _C1.sub(_unicode_escape, tomli_w.dumps(_without_none(data)))
    return "\n".join([*lines, body]).strip("\n") + "\n"


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


def _without_none(value: Any) -> Any:
    """Tables without their None fields (TOML has no null; None is the default)."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_without_none(v) for v in value]
    return value


def _unicode_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _escape_controls(text: str) -> str:
    return _CONTROL.sub(_unicode_escape, text)
