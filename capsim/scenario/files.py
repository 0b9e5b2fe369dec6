"""Reading the data files a scenario points to: empirical work contents and arrival traces.

Both are CSV files with a header row, UTF-8 text of at most
:data:`MAX_DATA_FILE_BYTES` bytes and :data:`MAX_DATA_ROWS` rows; anything else
(a device, a binary file, a huge file) is refused before it is parsed. Errors name
the file, the line and the column, and are raised as :class:`ValueError` so that
the schema reports them against the field that named the file. They quote the
offending cell (cut to :data:`QUOTE_LENGTH` characters) and nothing else of the file.
"""

from __future__ import annotations

import csv
import io
import math
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

#: Largest data file (bytes), and most rows in one.
MAX_DATA_FILE_BYTES = 64 * 2**20
MAX_DATA_ROWS = 2_000_000
#: Longest cell quoted in a message (characters).
QUOTE_LENGTH = 40


@dataclass(frozen=True, eq=False)
class TraceData:
    """Arrivals replayed from a file.

    Attributes
    ----------
    arrival_hour : numpy.ndarray
        Arrival times in hours from the start of day 0, sorted.
    order_class : tuple of str or None
        The class name of each order (same order as ``arrival_hour``), if the file has them.
    work_minutes : numpy.ndarray or None
        The work content of each order in minutes, if the file has it.
    """

    arrival_hour: np.ndarray
    order_class: tuple[str, ...] | None
    work_minutes: np.ndarray | None


def quote(text: str, limit: int = QUOTE_LENGTH) -> str:
    """``text`` as a quoted literal for a message, cut to ``limit`` characters.

    Messages show the offending cell, never more of a file, and never a long cell whole.
    """
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def read_text(path: Path, limit: int, what: str = "file") -> str:
    """The text of a regular UTF-8 file of at most ``limit`` bytes.

    Refuses, with a :class:`ValueError` that quotes none of the content, anything else:
    a device such as ``/dev/zero`` or a pipe (never read), a larger file (it reads at
    most ``limit`` + 1 bytes, so a file that grows is caught too), NUL bytes, bytes
    that are not UTF-8. A leading byte-order mark is dropped.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ValueError(f"file not found: {path}") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"{path} is a directory, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path} is not a regular file (a device or a pipe?)")
    too_big = f"{path} is larger than {limit:,} bytes, the most a {what} may have"
    if info.st_size > limit:
        raise ValueError(too_big)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise ValueError(too_big)
    if b"\x00" in data:
        raise ValueError(f"{path} is not a text file (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text (byte {data[exc.start]:#04x} at offset "
                         f"{exc.start})") from None


def _rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return the header and the numbered non-empty rows of a CSV file."""
    text = read_text(path, MAX_DATA_FILE_BYTES, "data file")
    numbered = []
    try:
        for i, row in enumerate(csv.reader(io.StringIO(text, newline=""))):
            if any(c.strip() for c in row):
                numbered.append((i + 1, row))
            if len(numbered) > MAX_DATA_ROWS + 1:
                raise ValueError(f"{path} has more than {MAX_DATA_ROWS:,} rows, the most a "
                                 "data file may have")
    except csv.Error as exc:
        raise ValueError(f"cannot read {path} as CSV: {exc}") from None
    if not numbered:
        raise ValueError(f"{path} is empty")
    (_, header), *body = numbered
    return [h.strip() for h in header], body


def _number(path: Path, line: int, column: str, text: str, *, positive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            f"{path} line {line}, column {quote(column)}: {quote(text)} is not a number"
        ) from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        need = "a finite number > 0" if positive else "a finite number >= 0"
        raise ValueError(f"{path} line {line}, column {quote(column)}: {quote(text)} is not "
                         f"{need}")
    return value


def _column(path: Path, header: list[str], name: str) -> int:
    if name not in header:
        raise ValueError(f"{path} has no column {quote(name)} ({_columns(header)})")
    return header.index(name)


def _columns(header: list[str]) -> str:
    """The header's column names for a message: a few, each cut short."""
    shown = ", ".join(quote(h, 30) for h in header[:5])
    more = f", and {len(header) - 5} more" if len(header) > 5 else ""
    return f"its header has {len(header)} column(s): {shown}{more}"


def _cell(path: Path, line: int, row: list[str], index: int, name: str) -> str:
    if index >= len(row):
        raise ValueError(f"{path} line {line}: missing value in column {quote(name)}")
    return row[index].strip()


def read_minutes(path: Path, column: str | None) -> np.ndarray:
    """Read a column of work contents in minutes (each > 0).

    Parameters
    ----------
    path : Path
        CSV file with a header row.
    column : str or None
        The column to read; the first column when None.
    """
    header, body = _rows(path)
    name = column if column is not None else header[0]
    index = _column(path, header, name)
    values = [
        _number(path, line, name, _cell(path, line, row, index, name), positive=True)
        for line, row in body
    ]
    if not values:
        raise ValueError(f"{path} has a header but no values")
    return np.asarray(values, dtype=float)


def _parse_timestamp(path: Path, line: int, text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{path} line {line}, column 'timestamp': {quote(text)} is not an ISO 8601 "
            "date-time") from None


def _arrival_hours(
    path: Path, header: list[str], body: list[tuple[int, list[str]]], origin: datetime | None
) -> np.ndarray:
    if "arrival_hour" in header:
        index = header.index("arrival_hour")
        return np.array(
            [
                _number(path, line, "arrival_hour", _cell(path, line, row, index, "arrival_hour"),
                        positive=False)
                for line, row in body
            ]
        )
    if "timestamp" not in header:
        raise ValueError(
            f"{path} needs a column 'arrival_hour' (hours from the start) or 'timestamp' "
            f"(ISO 8601); {_columns(header)}"
        )
    index = header.index("timestamp")
    stamps = [
        _parse_timestamp(path, line, _cell(path, line, row, index, "timestamp"))
        for line, row in body
    ]
    if len({s.tzinfo is None for s in stamps}) > 1:
        raise ValueError(f"{path}: timestamps mix time zones and naive times")
    if origin is not None and (origin.tzinfo is None) != (stamps[0].tzinfo is None):
        has = "naive (no time zone)" if origin.tzinfo is None else "a time zone"
        stamped = "naive times" if stamps[0].tzinfo is None else "time zones"
        raise ValueError(f"{path}: the timestamps have {stamped} but origin has {has}; give "
                         "both a time zone or neither")
    start = origin or min(stamps).replace(hour=0, minute=0, second=0, microsecond=0)
    hours = np.array([(s - start).total_seconds() / 3600.0 for s in stamps])
    if hours.size and hours.min() < 0:
        raise ValueError(f"{path}: a timestamp falls before the origin {start.isoformat()}")
    return hours


def read_trace(path: Path, origin: datetime | None) -> TraceData:
    """Read an arrival trace.

    The file has a header and either a column ``arrival_hour`` (hours from the
    start of day 0) or a column ``timestamp`` (ISO 8601; hour 0 is ``origin``, by
    default midnight of the earliest timestamp's date). Optional columns:
    ``class`` (an order class name) and ``work_minutes`` (the order's work content).
    """
    header, body = _rows(path)
    if not body:
        raise ValueError(f"{path} has a header but no arrivals")
    hours = _arrival_hours(path, header, body, origin)
    order = np.argsort(hours, kind="stable")
    classes = None
    if "class" in header:
        index = header.index("class")
        names = [_cell(path, line, row, index, "class") for line, row in body]
        classes = tuple(names[i] for i in order)
    work = None
    if "work_minutes" in header:
        index = header.index("work_minutes")
        work = np.array(
            [
                _number(path, line, "work_minutes",
                        _cell(path, line, row, index, "work_minutes"), positive=True)
                for line, row in body
            ]
        )[order]
    return TraceData(arrival_hour=hours[order], order_class=classes, work_minutes=work)
