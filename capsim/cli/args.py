"""Argument types shared by the commands: numbers with the range they must fall in."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def bounded(kind: type, low: float | None = None, high: float | None = None, *,
            open_low: bool = False, open_high: bool = False) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` within [low, high] (ends open on request)."""

    def parse(text: str) -> float:
        try:
            value: float = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number")
        too_low = low is not None and (value <= low if open_low else value < low)
        too_high = high is not None and (value >= high if open_high else value > high)
        if too_low or too_high:
            parts = []
            if low is not None:
                parts.append(f"{'>' if open_low else '>='} {low:g}")
            if high is not None:
                parts.append(f"{'<' if open_high else '<='} {high:g}")
            raise argparse.ArgumentTypeError(f"{text} is out of range; allowed: "
                                             f"{' and '.join(parts)}")
        return value

    return parse


NON_NEGATIVE = bounded(float, 0)
POSITIVE = bounded(float, 0, open_low=True)
PROBABILITY = bounded(float, 0, 1, open_low=True, open_high=True)
COUNT = bounded(int, 0)


def add_debug(parser: argparse.ArgumentParser) -> None:
    """The --debug flag every command has."""
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def add_overrides(parser: argparse.ArgumentParser) -> None:
    """The repeatable --set PATH=VALUE option."""
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE", help="override a scenario field, e.g. "
                        "workforce.roster=12 (value read as TOML; repeatable)")
