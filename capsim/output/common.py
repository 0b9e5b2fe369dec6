"""Shared by every rendering: JSON-safe values, atomic files, CSV text, number formats.

Files are written to a temporary name in the target directory and renamed, so a
reader never sees a half-written file. NaN becomes ``null`` in JSON and an empty
cell in CSV.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from capsim.errors import CapsimError


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


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def csv_text(header: Sequence[str], rows: list[list[Any]]) -> str:
    """CSV with a header row; NaN as an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if isinstance(v, float) and math.isnan(v) else v for v in row])
    return buffer.getvalue()


def prepare_out_dir(out: Path) -> Path:
    """Create the output directory (or accept an existing one); a clear error otherwise."""
    if out.exists() and not out.is_dir():
        raise CapsimError(f"--out {out}: exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CapsimError(f"--out {out}: cannot create the directory ({exc.strerror})") from None
    if not os.access(out, os.W_OK):
        raise CapsimError(f"--out {out}: directory is not writable")
    return out


def write_files(out: Path, files: dict[str, str]) -> list[Path]:
    """Write each named text into ``out`` atomically; return the paths."""
    out = prepare_out_dir(out)
    for name, text in files.items():
        atomic_write(out / name, text)
    return [out / name for name in files]


def json_text(document: dict[str, Any]) -> str:
    """Indented, strict JSON (NaN and infinities as null)."""
    return json.dumps(json_ready(document), indent=2, allow_nan=False) + "\n"


def percent(value: float, digits: int = 2) -> str:
    """A share as a percentage, '-' when undefined."""
    return "-" if value is None or math.isnan(value) else f"{100 * value:.{digits}f} %"

