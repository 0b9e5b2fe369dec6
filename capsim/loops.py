"""Build the fast engine's compiled loops ahead of time: ``python -m capsim.loops``.

:mod:`capsim.engines._aot` loads what this builds (its docstring says why: numba's
second of start-up in every process). numba's ahead-of-time compiler (``numba.pycc``)
compiles one function per type signature, so the build first runs the shipped example
scenarios and their variants (EDD and class-priority dispatch, workstations that fail,
an overtime policy) through numba's loops, two seasons each, and builds every
signature numba compiled for them, from the same source and helpers, with numba's
``nogil`` wrappers (pycc's own hold the GIL). It needs numba, setuptools and a C
compiler (``pip install "capsim[fast]"``); about a minute and a half, once per
version of the loops' sources. ``--if-stale`` does nothing when the module for the
current sources is there (``make`` runs it so). Any failure is said and changes
nothing: numba then compiles the loops on first use, as without the build. pycc is
marked for deprecation in numba; when it goes, so does this build, and numba's cache
serves as before.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
import warnings
from typing import Any

from capsim.engines import _aot, _kernel
from capsim.engines._numba_cache import ENGINES
from capsim.errors import CapsimError
from capsim.experiment import run
from capsim.scenario import load_scenario

STATIONS = {"equipment": {"stations": 12, "time_between_failures": {"mean_hours": 40.0},
                          "repair": {"mean_hours": 2.0}, "repair_crew": 1}}
OVERTIME = {"policies.overtime": {"when": "queue", "threshold": 20, "max_hours": 2.0}}
#: The variants of every example scenario the build runs (one not taken is left out).
VARIANTS: tuple[dict[str, Any], ...] = (
    {}, {"dispatch": "edd"}, {"dispatch": "priority"}, STATIONS, OVERTIME,
    {**STATIONS, **OVERTIME})


def exercise() -> None:
    """Run the example scenarios and their :data:`VARIANTS` through numba's loops."""
    for path in sorted((ENGINES.parent / "examples").glob("*.toml")):
        base = load_scenario(path)
        for edit in VARIANTS:
            try:
                scenario = base.edit(edit)
            except CapsimError:  # a variant this scenario does not take
                continue
            run(scenario, 2, 1, engine="fast", workers=1, progress=False)


def build() -> str:
    """Build the module from the signatures numba compiled for :func:`exercise`; its path."""
    os.environ["CAPSIM_AOT"] = "0"  # numba's loops, whose signatures are built
    pycc: Any = importlib.import_module("numba.pycc")
    pycc_compiler: Any = importlib.import_module("numba.pycc.compiler")
    types: Any = importlib.import_module("numba").types

    exercise()

    class Flags(pycc_compiler.Flags):  # type: ignore[misc]
        """pycc's flags, with the wrappers releasing the GIL (numba's nogil=True)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.release_gil = True

    pycc_compiler.Flags = Flags
    cc = pycc.CC(_aot.module_name())
    cc.output_dir = str(_aot.FOLDER)
    for module, entry in _aot.ENTRIES:
        dispatcher = _kernel.DISPATCHERS.get(f"capsim.engines.{module}.{entry}")
        if dispatcher is None:  # not run by the examples: numba's, when needed
            continue
        for index, signature in enumerate(dispatcher.signatures):
            cc.export(_aot.symbol(module, entry, index), types.void(*signature))(
                dispatcher.py_func)
    _aot.FOLDER.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pycc's pending deprecation, numba's compile notes
        cc.compile()
    path = _aot.FOLDER / f"{_aot.module_name()}{importlib.machinery.EXTENSION_SUFFIXES[0]}"
    for old in _aot.FOLDER.glob("capsim_loops_*"):  # built from earlier sources: never loaded
        if old != path:
            old.unlink(missing_ok=True)
    return str(path)


def main(argv: list[str]) -> int:
    """Build unless ``--if-stale`` and built already; 0 either way (failures are said)."""
    if "--if-stale" in argv and _aot.variants("_kernel", "_loop"):
        return 0
    try:
        print(f"capsim: loops built ahead of time: {build()}")
    except Exception as exc:  # any failure leaves numba's path, and says so
        print(f"capsim: loops not built ahead of time ({type(exc).__name__}: {exc}); "
              "numba compiles them on first use", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
