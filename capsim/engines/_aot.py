"""The compiled loops built ahead of time: an extension module that needs no numba to run.

numba compiles the loops on first use and caches the machine code, but every process
still imports numba and loads its target registries before the first cached call:
about a second (``benchmarks/bench_engines.py`` measures it), more than the whole
M/M/10 simulation, and paid again by every pool worker. ``python -m capsim.loops``
(``make`` runs it after installing) has numba's own ahead-of-time compiler
(``numba.pycc``) build every loop of :data:`ENTRIES`, from the same source and with the
same helpers, into one extension module. This module loads it (numba not imported);
the loops give the same numbers bit for bit (the same compiler on the same code;
``tests/test_aot.py`` compares them with numba's) and, like numba's, release the GIL,
so threads run them side by side.

pycc compiles one function per type signature: the module holds every signature the
build saw numba compile. A call with types it was not built for goes to numba's loop
(compiled then, as before), so a missing signature costs time, never a wrong number.
The module's name carries :func:`capsim.engines._numba_cache.source_stamp`, a hash of
every compiled module's source: after an edit or an upgrade the old module is never
loaded (numba serves until the next build). ``CAPSIM_AOT=0`` leaves the module unused;
``CAPSIM_NO_NUMBA=1`` switches both compiled paths off.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os
from collections.abc import Callable
from types import ModuleType

from capsim.engines._numba_cache import ENGINES, source_stamp

#: The compiled modules' entry points: (module, function).
ENTRIES = (("_kernel", "_loop"), ("_jobloop", "_loop"), ("_stationloop", "_loop"),
           ("_reduce", "_loop"), ("_views", "_view"), ("_views", "_quality"))
#: Where the module is built: beside numba's cache of the same sources.
FOLDER = ENGINES / "__pycache__"


def module_name() -> str:
    """The extension module's name for the sources as they are now."""
    return f"capsim_loops_{source_stamp()[:20]}"


def symbol(module: str, entry: str, index: int) -> str:
    """The name of a built loop's version ``index`` in the module (``kernel_loop_0``)."""
    return f"{module.strip('_')}_{entry.strip('_')}_{index}"


@functools.cache
def _built() -> ModuleType | None:
    """The module built from the current sources, loaded; None if there is none."""
    if os.environ.get("CAPSIM_AOT") == "0" or os.environ.get("CAPSIM_NO_NUMBA"):
        return None
    name = module_name()
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    path = FOLDER / f"{name}{suffix}"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except ImportError:  # built for another Python or numpy: numba serves
        return None
    return module


def variants(module: str, entry: str) -> list[Callable[..., None]]:
    """The built loop's versions (one per type signature); empty without the module."""
    built = _built()
    if built is None:
        return []
    found = []
    for index in range(64):
        function = getattr(built, symbol(module, entry, index), None)
        if function is None:
            break
        found.append(function)
    return found


def runner(built: list[Callable[..., None]], jit: Callable[[], Callable[..., None] | None],
           plain: Callable[..., None]) -> Callable[..., None]:
    """Run the first built version whose types fit; else numba's loop (``jit()``).

    A built function refuses arguments of other types with a TypeError before it runs
    (the compiled code itself raises none), so trying them in turn is safe. Without
    numba, ``plain`` (the loop as plain Python: slow, the same numbers) runs instead.
    """
    def run(*args: object) -> None:
        for function in built:
            try:
                function(*args)
            except TypeError:
                continue
            return
        (jit() or plain)(*args)

    return run
