"""Tasks for the worker-pool tests: importable by the spawned workers."""

from __future__ import annotations

from pathlib import Path


class Announced:
    """A large payload that touches ``marker`` when it is pickled (on its way back)."""

    def __init__(self, marker: str, size: int):
        self.marker, self.payload = marker, b"x" * size

    def __reduce__(self) -> tuple[type[bytes], tuple[bytes]]:
        Path(self.marker).touch()
        return bytes, (self.payload,)


def large_result(job: tuple[str, int]) -> Announced:
    """A result of ``size`` bytes that says when it starts on its way back."""
    marker, size = job
    return Announced(marker, size)
