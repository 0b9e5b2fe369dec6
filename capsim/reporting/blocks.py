"""The report as a list of blocks, rendered to HTML and to Markdown alike.

Text is a sequence of parts: plain strings, :class:`Strong` text, :class:`Code`, and
:class:`Fact` numbers. A Fact carries the value, how it is shown, and where in the
data folder it comes from (``curve.csv:roster=15:on_time_rate_mean``,
``summary.json:on_hand_at_peak.mean``): the HTML page marks it with that source, and
the tests read every marked number back from the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("id", "int", "num0", "num1", "pct0", "pct1", "pct2")


def show(value: float | None, fmt: str) -> str:
    """A number as the report shows it ("-" when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if fmt == "id":  # a seed or a count read as a name: no thousands separators
        return str(round(value))
    if fmt == "int":
        return f"{round(value):,}"
    if fmt.startswith("num"):
        return f"{value:,.{int(fmt[3:])}f}"
    if fmt.startswith("pct"):
        return f"{100 * value:.{int(fmt[3:])}f} %"
    raise ValueError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")


@dataclass(frozen=True)
class Fact:
    """A number from the data folder (``strong``: shown in bold)."""

    value: Any
    fmt: str
    source: str
    strong: bool = False

    @property
    def text(self) -> str:
        """The number as shown."""
        return show(self.value, self.fmt)


@dataclass(frozen=True)
class Strong:
    """Bold words."""

    text: str


@dataclass(frozen=True)
class Code:
    """A file name, field or command, in monospace."""

    text: str


Part = str | Fact | Strong | Code
Text = tuple[Part, ...]


def text(*parts: Part) -> Text:
    """Text from parts."""
    return tuple(parts)


@dataclass(frozen=True)
class Heading:
    """A section title; ``anchor`` is its id in the page."""

    level: int
    title: str
    anchor: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text."""

    parts: Text


@dataclass(frozen=True)
class Bullets:
    """A bulleted list."""

    items: tuple[Text, ...]


@dataclass(frozen=True)
class Table:
    """A table of text cells."""

    header: tuple[str, ...]
    rows: tuple[tuple[Text, ...], ...]
    numeric: tuple[bool, ...] = field(default=())  # right-align these columns


@dataclass(frozen=True)
class Figure:
    """A figure, by its name in the figure set."""

    name: str
    caption: str


@dataclass(frozen=True)
class Preformatted:
    """A command line or other literal text."""

    text: str


Block = Heading | Paragraph | Bullets | Table | Figure | Preformatted


def plain(parts: Text) -> str:
    """The words of a text, without markup."""
    return "".join(p if isinstance(p, str) else p.text for p in parts)
