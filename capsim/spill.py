"""A run's hourly and daily series kept in a temporary file once they pass a budget.

A replication's summary is small but for its series: Stutterfly's 4 hourly series
over 56 days and 15 daily ones are about 50 KB of the 53 KB it keeps, so a run kept
everything in memory grows by half a gigabyte at 10,000 replications. Exact hourly
bands (timeseries.csv's p10/p50/p90, the figures, the what-if page) and the stress
section's clearing times need every replication's series, so they cannot be folded
into running sums; they go to disk instead. :class:`Kept`, the dict a run collects its
summaries in, keeps the first ones' series in memory up to :data:`BUDGET_BYTES` and
writes the later ones to an unnamed temporary file (``tempfile.TemporaryFile``: removed
when the run's result is garbage-collected or the process ends, however it ends). A
spilled summary's ``hourly`` and ``daily`` are :class:`SpilledSeries`: read-only
mappings that read an array back on access, bit for bit the array written, as a new
writable array. Nothing else changes: results, persistence and pickling are the same
(a pickled summary carries its series, read back into memory).

The budget is per run, so a staffing search keeps at most that much per roster. A run
that cannot write the file (a full disk, say) keeps its series in memory, as before,
and says so once in a warning.
"""

from __future__ import annotations

import os
import tempfile
import threading
import warnings
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from capsim.metrics import ReplicationSummary

#: Series bytes a run keeps in memory before it writes further replications' series to
#: its spill file: about 320 Stutterfly replications (the default runs: 100, 200).
BUDGET_BYTES = 16 * 2**20


class SpillFile:
    """An append-only temporary file of arrays, safe to read from several threads."""

    def __init__(self) -> None:
        # lives as long as the summaries reading it: closed (and gone) when collected
        self._file = tempfile.TemporaryFile(prefix="capsim-series-")  # noqa: SIM115
        weakref.finalize(self, self._file.close)
        self._fd = self._file.fileno()
        self._end = 0
        self._lock = threading.Lock()
        self.layouts: dict[tuple[tuple[str, str, tuple[int, ...]], ...], _Layout] = {}

    def write(self, data: bytes) -> int:
        """Append ``data``; return the offset it starts at."""
        with self._lock:
            offset = self._end
            view, at = memoryview(data), 0
            while at < len(view):  # os.pwrite may write less than asked
                at += _pwrite(self._fd, view[at:], offset + at, self._file)
            self._end += len(view)
        return offset

    def read(self, offset: int, size: int) -> bytes:
        """The ``size`` bytes written at ``offset``."""
        data = b""
        while len(data) < size:
            chunk = _pread(self._fd, size - len(data), offset + len(data), self._file,
                           self._lock)
            if not chunk:
                raise OSError(f"capsim spill file ends at {offset + len(data)}, "
                              f"{size - len(data)} bytes short")
            data += chunk
        return data


def _pwrite(fd: int, data: memoryview, offset: int, file: Any) -> int:
    if hasattr(os, "pwrite"):
        return os.pwrite(fd, data, offset)
    file.seek(offset)  # (Windows) callers hold the file's lock
    return int(file.write(data))


def _pread(fd: int, size: int, offset: int, file: Any, lock: threading.Lock) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    with lock:  # (Windows) seek and read as one step
        file.seek(offset)
        return bytes(file.read(size))


class _Layout:
    """Where each named array lies in a block: shared by the blocks of one shape."""

    def __init__(self, key: tuple[tuple[str, str, tuple[int, ...]], ...]) -> None:
        self.names = tuple(name for name, _, _ in key)
        self.parts: dict[str, tuple[int, int, str, tuple[int, ...]]] = {}
        at = 0
        for name, dtype, shape in key:
            size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
            self.parts[name] = (at, size, dtype, shape)
            at += size


class SpilledSeries(Mapping[str, np.ndarray]):
    """Named arrays stored as one block of a :class:`SpillFile`, read back on access."""

    __slots__ = ("_file", "_layout", "_offset")

    def __init__(self, file: SpillFile, arrays: Mapping[str, np.ndarray]) -> None:
        contiguous = {name: np.asarray(a, order="C") for name, a in arrays.items()}
        key = tuple((name, a.dtype.str, a.shape) for name, a in contiguous.items())
        layout = file.layouts.get(key)
        if layout is None:  # (a race only builds an equal one twice)
            layout = file.layouts.setdefault(key, _Layout(key))
        self._file, self._layout = file, layout
        self._offset = file.write(b"".join(a.tobytes() for a in contiguous.values()))

    def __getitem__(self, name: str) -> np.ndarray:
        at, size, dtype, shape = self._layout.parts[name]
        data = bytearray(self._file.read(self._offset + at, size))  # writable, its own
        return np.frombuffer(data, dtype).reshape(shape)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout.names)

    def __len__(self) -> int:
        return len(self._layout.names)

    def __repr__(self) -> str:
        return f"SpilledSeries({list(self._layout.names)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return dict, (dict(self),)  # pickles (and copies) as the arrays themselves


def _series_bytes(summary: ReplicationSummary) -> int:
    return sum(a.nbytes for series in (summary.hourly, summary.daily)
               if not isinstance(series, SpilledSeries) for a in series.values())


class Kept(dict[int, ReplicationSummary]):
    """A run's completed summaries by replication; series past the budget on disk."""

    def __init__(self, budget: int | None = None) -> None:
        super().__init__()
        self.budget = BUDGET_BYTES if budget is None else budget
        self.in_memory = 0
        self._file: SpillFile | None = None
        self._failed = False

    def __setitem__(self, replication: int, summary: ReplicationSummary) -> None:
        size = _series_bytes(summary)
        if size and self.in_memory + size > self.budget and not self._failed:
            spilled = self._spill(summary)
            if spilled is not None:
                super().__setitem__(replication, spilled)
                return
        self.in_memory += size
        super().__setitem__(replication, summary)

    def _spill(self, summary: ReplicationSummary) -> ReplicationSummary | None:
        try:
            if self._file is None:
                self._file = SpillFile()
            return replace(summary, hourly=SpilledSeries(self._file, summary.hourly),
                           daily=SpilledSeries(self._file, summary.daily))
        except OSError as error:
            self._failed = True
            warnings.warn(f"capsim could not write replications' series to a temporary "
                          f"file ({error}); keeping them in memory", RuntimeWarning,
                          stacklevel=3)
            return None
