"""Where the what-if page gets its scenario: a packaged example, a file, an upload.

A :class:`Source` is the raw scenario data (as read from TOML), the name it goes by
in messages (its file, as the CLI names it) and the folder its data files are read
from. Files come only from the working folder (the folder ``capsim app`` started in)
or below it: a path that leads elsewhere (absolute, through ``..`` or a symbolic
link) is refused, as a scenario's own data files are (``capsim.scenario``). The page
is a web page; it must not become a way to read the files of the machine it runs on.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capsim import examples
from capsim.errors import CapsimError, FieldProblem, ScenarioError
from capsim.scenario.load import MAX_SCENARIO_BYTES, read_toml
from capsim.scenario.paths import check_depth, too_deep

#: Most scenario files the page lists from the working folder, and how deep it looks.
MAX_LISTED = 200
MAX_LIST_DEPTH = 3
_SKIP = {".git", ".venv", "venv", "node_modules", "__pycache__", "site", "reports"}


@dataclass(frozen=True, eq=False)
class Source:
    """A scenario as read, before the knobs change it.

    Attributes
    ----------
    label : str
        How messages name it: the file as the CLI would (``experiments/x.toml``), or
        the name of an upload.
    data : dict
        The scenario's tables, as TOML gave them.
    base_dir : Path
        Where the data files it names are read from.
    path : Path or None
        The file, when there is one (``capsim run PATH`` runs the same scenario).
    """

    label: str
    data: dict[str, Any]
    base_dir: Path
    path: Path | None = None


class OutsideError(CapsimError):
    """A path on the page that leads outside the working folder."""


def example(name: str) -> Source:
    """A packaged example (``capsim example NAME``)."""
    path = examples.path(name)
    return Source(f"example {path.stem}", read_toml(path), path.parent, path)


def inside(text: str, folder: Path) -> Path:
    """The path ``text`` names, relative to ``folder``, if it lies in it or below it.

    Raises
    ------
    OutsideError
        If it is absolute or leads out (through ``..`` or a symbolic link).
    """
    text = text.strip()
    if not text:
        raise OutsideError("give the path of a scenario file in the working folder")
    path = Path(text)
    why = (f"{text} is outside the working folder {folder}; the page reads scenario files "
           "only from the folder capsim app started in, or below it")
    if path.is_absolute():
        raise OutsideError(why)
    try:
        ok = (folder / path).resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symbolic-link loop
        ok = False
    if not ok:
        raise OutsideError(why)
    return path


def from_file(text: str, folder: Path) -> Source:
    """A scenario file named relative to the working folder ``folder``."""
    path = inside(text, folder)
    full = folder / path
    return Source(str(path), read_toml(full), full.parent, full)


def from_upload(name: str, content: bytes, folder: Path) -> Source:
    """An uploaded scenario; the data files it names are read from ``folder``."""
    label = f"upload {Path(name).name or 'scenario'}"

    def refuse(problem: str) -> ScenarioError:
        return ScenarioError(label, [FieldProblem("", problem)])

    if len(content) > MAX_SCENARIO_BYTES:
        raise refuse(f"larger than {MAX_SCENARIO_BYTES:,} bytes, the most a scenario file "
                     "may have")
    if b"\x00" in content:
        raise refuse("not a text file (it contains NUL bytes)")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse(f"not UTF-8 text (byte {content[exc.start]:#04x} at offset "
                     f"{exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise refuse(f"invalid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(label, [too_deep()]) from None
    check_depth(data, label)
    return Source(label, data, folder)


def listed(folder: Path) -> list[str]:
    """Scenario files (``*.toml``) in the working folder and a few levels below, sorted.

    Hidden folders, virtual environments and build outputs are skipped; at most
    :data:`MAX_LISTED` are listed.
    """
    found: list[str] = []
    root = folder.resolve()
    for here, dirs, files in os.walk(root):
        depth = len(Path(here).relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP
                         and depth < MAX_LIST_DEPTH)
        for name in sorted(files):
            if name.endswith(".toml") and name != "pyproject.toml":
                found.append(str((Path(here) / name).relative_to(root)))
                if len(found) >= MAX_LISTED:
                    return sorted(found)
    return sorted(found)
