"""The loops built ahead of time (capsim.engines._aot) against numba's, bit for bit.

The rest of the suite runs numba's loops (tests/conftest.py sets CAPSIM_AOT=0); here
children run the shipped scenarios (and the checkout's supplies scenario) and the
variants the build exercises (dispatch rules, workstations, overtime) once on the built
module and once on numba, and every number of every replication must be the same. The
built module must be there for the current sources: ``make`` builds it (``python -m
capsim.loops``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from capsim.engines import _aot
from capsim.loops import VARIANTS
from tests.conftest import ROOT

CHILD = """
import hashlib, json, sys
import numpy as np
import capsim
from capsim.scenario import load_scenario
from capsim.engines import _aot
digest = hashlib.sha256()
for path, edit in json.loads(sys.argv[1]):
    result = capsim.run(load_scenario(path).edit(edit), 3, 7, engine="fast", workers=1,
                        progress=False)
    for s in result.summaries:
        digest.update(json.dumps([s.kpis, s.by_class], sort_keys=True).encode())
        for table in (s.hourly, s.daily):
            for name in sorted(table):
                digest.update(np.asarray(table[name]).tobytes())
        digest.update(np.asarray(s.lead_time_counts).tobytes())
print(json.dumps({"digest": digest.hexdigest(), "numba": "numba" in sys.modules,
                  "built": bool(_aot.variants("_kernel", "_loop"))}))
"""

CASES = [(str(ROOT / "experiments" / "stutterfly.toml"), edit) for edit in VARIANTS]
CASES += [(str(ROOT / "experiments" / name), {}) for name in
          ("help_desk.toml", "airport_thanksgiving.toml", "rare_bad_seasons.toml",
           "stutterfly_supplies.toml")]


def _child(aot: bool) -> dict:
    env = {**os.environ, "CAPSIM_AOT": "1" if aot else "0"}
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(CASES)], env=env,
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_built_loops_give_numbas_numbers_and_numba_is_not_loaded():
    built = _child(aot=True)
    assert built["built"], ("the loops are not built for these sources: "
                            "run python -m capsim.loops (make does)")
    assert not built["numba"], "a shipped scenario fell back to numba: a signature is missing"
    reference = _child(aot=False)
    assert reference["numba"]
    assert not reference["built"]
    assert built["digest"] == reference["digest"]


def test_arguments_of_other_types_go_to_numbas_loop_or_without_numba_the_plain_one():
    calls = []

    def refuses(*args):
        raise TypeError("no matching definition")

    def fits(*args):
        calls.append(("built", args))

    def plain(*args):
        calls.append(("plain", args))

    _aot.runner([refuses, fits], lambda: None, plain)(1)
    _aot.runner([refuses, refuses], lambda: lambda *args: calls.append(("numba", args)),
                plain)(2)
    _aot.runner([refuses], lambda: None, plain)(3)
    assert calls == [("built", (1,)), ("numba", (2,)), ("plain", (3,))]


def test_a_module_built_from_other_sources_is_never_loaded(monkeypatch):
    monkeypatch.delenv("CAPSIM_AOT", raising=False)
    monkeypatch.setattr(_aot, "source_stamp", lambda: "0" * 64)
    _aot._built.cache_clear()
    try:
        assert _aot.module_name() == "capsim_loops_" + "0" * 20
        assert _aot.variants("_kernel", "_loop") == []
    finally:
        _aot._built.cache_clear()
