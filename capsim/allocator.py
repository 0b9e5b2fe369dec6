"""The C heap's settings while simulating: keep freed memory for the next batch.

A batch of replications allocates and frees tens of megabytes of numpy arrays (the
orders, the jobs, the decisions, the views of a few seasons at once). Under glibc's
defaults an array over the *mmap threshold* (which glibc raises, up to 32 MiB, to the
largest array freed so far) is mapped fresh and unmapped when freed, and the heap is
trimmed whenever its free top exceeds twice that threshold, so every batch touches new
pages again. A page fault is cheap on bare metal but not in a virtual machine: on the
project's 2-core machine Stutterfly at roster 15 took about 1,500 faults and 5.5 ms of
kernel time per replication, a fifth of its time (``benchmarks/bench_targets.py``
reports the per-replication CPU).

:func:`keep_freed_memory` fixes the mmap threshold at its 32 MiB ceiling and the trim
threshold at :data:`TRIM_THRESHOLD`, so freed arrays stay in the process and the next
batch reuses them (about 150 faults per replication). It is called once per process by
every simulation (:func:`capsim.experiment.replicate_many`) and changes the whole
process: up to :data:`TRIM_THRESHOLD` of freed heap stays mapped, and the peak memory
of a run may rise a little (freed blocks are reused, not returned and re-mapped).
Nothing changes where ``CAPSIM_MALLOC=system`` is set, where glibc's own
``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` is (the user's tuning wins),
or off glibc (macOS, Windows, musl).

The standard library has no binding for ``mallopt``; ctypes calls it directly.
:func:`machine_memory` says how much memory the machine has, which capsim sizes its
plans by.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys

#: glibc's ``mallopt`` parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: Arrays up to this size come from the heap (glibc's ceiling on 64-bit systems).
MMAP_THRESHOLD = 32 * 2**20
#: The heap gives memory back to the system only when this much is free at its top.
TRIM_THRESHOLD = 256 * 2**20
#: Environment variables that leave the allocator as it is.
USER_TUNING = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


@functools.cache
def keep_freed_memory() -> bool:
    """Set the heap's thresholds (see the module docstring); whether they were set."""
    if os.environ.get("CAPSIM_MALLOC") == "system" or any(v in os.environ for v in USER_TUNING):
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols: its C library's
        libc.gnu_get_libc_version  # noqa: B018 - glibc only (musl's mallopt does nothing)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


#: Assumed memory where the machine does not say (bytes).
FALLBACK_MEMORY_BYTES = 8 * 2**30


def machine_memory() -> int:
    """The machine's physical memory in bytes (:data:`FALLBACK_MEMORY_BYTES` if it does not say).

    What capsim sizes its memory by: the largest run it plans (:mod:`capsim.workload`) and
    the draws a search keeps (:mod:`capsim.reuse`).
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return FALLBACK_MEMORY_BYTES
    return int(total) if total > 0 else FALLBACK_MEMORY_BYTES
