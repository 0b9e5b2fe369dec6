"""The heap keeps freed arrays for the next batch (capsim.allocator).

Each check runs in a fresh interpreter: the setting is process-wide, and the point is
what a new process does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Twenty rounds of eight 4 MiB arrays, written and freed: 8,192 pages a round. glibc's
# default gives freed memory back (it trims the heap when its free top passes twice the
# mmap threshold it adapts to, here about 8 MiB), so later rounds fault pages in again
# (glibc 2.36: about 77,000 faults in the 19 rounds after the first, half of all
# their pages); kept, the rounds after the first reuse the first one's pages.
ROUNDS = """
import json, resource, sys
import numpy as np
from capsim.allocator import keep_freed_memory
kept = keep_freed_memory()
def round_():
    arrays = [np.ones(2**19) for _ in range(8)]
    del arrays
round_()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(19):
    round_()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"kept": kept, "faults": faults}))
"""
PAGES_PER_ROUND = 8 * 4 * 2**20 // 4096


def _rounds(**env: str) -> dict:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("CAPSIM_MALLOC", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}
    done = subprocess.run([sys.executable, "-c", ROUNDS], env={**environ, **env}, check=True,
                          capture_output=True, text=True)
    result: dict = json.loads(done.stdout)
    return result


glibc = pytest.mark.skipif(not sys.platform.startswith("linux"),
                           reason="the heap is tuned on glibc (Linux) only")


@glibc
def test_freed_arrays_are_reused_not_faulted_in_again():
    kept = _rounds()
    assert kept["kept"] is True
    # 19 rounds would fault in 19 x 8,192 pages untuned; reused, less than one round's
    assert kept["faults"] < PAGES_PER_ROUND


@glibc
def test_the_default_heap_faults_pages_in_again():
    """What the tuning changes (and what proves the check above can fail)."""
    system = _rounds(CAPSIM_MALLOC="system")
    assert system["kept"] is False
    assert system["faults"] > 2 * PAGES_PER_ROUND


@pytest.mark.parametrize("env", [{"CAPSIM_MALLOC": "system"},
                                 {"MALLOC_TRIM_THRESHOLD_": "131072"},
                                 {"MALLOC_MMAP_THRESHOLD_": "131072"}])
def test_the_users_own_setting_wins(env):
    assert _rounds(**env)["kept"] is False
