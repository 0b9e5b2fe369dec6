"""The example scenarios that ship with capsim, so that an installed capsim runs the demo.

Each example is a commented TOML scenario file in this package's folder (the only
copy: ``experiments/`` in a checkout links to them). ``capsim example NAME`` prints
one, ``capsim example --list`` lists them; from Python::

    from capsim import examples
    scenario = capsim.load_scenario(examples.path("stutterfly"))

The examples name no data files, so a copy written anywhere loads as it is.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from capsim.errors import CapsimError

_FOLDER = Path(__file__).resolve().parent


def names() -> list[str]:
    """The examples' names, sorted (``stutterfly``, ...)."""
    return sorted(p.stem for p in _FOLDER.glob("*.toml"))


def path(name: str) -> Path:
    """The installed file of example ``name`` (``"stutterfly"`` or ``"stutterfly.toml"``).

    Raises
    ------
    capsim.errors.CapsimError
        If there is no such example; the message lists those there are.
    """
    stem = name.removesuffix(".toml")
    if stem not in names():
        guess = difflib.get_close_matches(stem, names(), n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        raise CapsimError(f"no example scenario {name!r}{hint} (allowed: "
                          f"{', '.join(names())})")
    return _FOLDER / f"{stem}.toml"


def text(name: str) -> str:
    """The text of example ``name``, comments included, as the file holds it."""
    return path(name).read_text(encoding="utf-8")


def summary(name: str) -> str:
    """What example ``name`` is about: the first comment line of its file."""
    for line in text(name).splitlines():
        if line.startswith("#") and line.strip("# "):
            return line.strip("# ").rstrip(".")
    return ""
