"""Shared by every rendering: JSON-safe values, CSV and JSON text, number formats.

NaN becomes ``null`` in JSON and an empty cell in CSV. Files are written only through
:mod:`capsim.output.folder` (a whole folder at a time, built aside and swapped in).
Timings go to ``timing.json`` (:func:`timing_text`), never into the other files, so
that the same scenario and seed give the same files byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

TIMING = "timing.json"


def json_ready(value: Any) -> Any:
    """Replace NaN and infinities by None, numpy scalars by Python numbers, recursively."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_object(document: dict[str, Any]) -> dict[str, Any]:
    """:func:`json_ready` of a JSON object (a summary): still an object."""
    ready = json_ready(document)
    assert isinstance(ready, dict)
    return ready


def csv_text(header: Sequence[str], rows: list[list[Any]]) -> str:
    """CSV with a header row; NaN as an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if isinstance(v, float) and math.isnan(v) else v for v in row])
    return buffer.getvalue()


def json_text(document: dict[str, Any]) -> str:
    """Indented, strict JSON (NaN and infinities as null)."""
    return json.dumps(json_ready(document), indent=2, allow_nan=False) + "\n"


def reproducible(document: dict[str, Any]) -> dict[str, Any]:
    """A summary for a file: without ``elapsed_seconds`` (that goes to ``timing.json``)."""
    return {k: v for k, v in document.items() if k != "elapsed_seconds"}


def timing_text(seconds: float) -> str:
    """The contents of ``timing.json``: how long the computation took."""
    return json_text({"elapsed_seconds": round(seconds, 3)})


def percent(value: float, digits: int = 2) -> str:
    """A share as a percentage, '-' when undefined."""
    return "-" if value is None or math.isnan(value) else f"{100 * value:.{digits}f} %"
