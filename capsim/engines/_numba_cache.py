"""numba's on-disk cache, keyed on every compiled module's source, not one file's.

numba checks a cached function against the source of the file that defines it. The
compiled loops call helpers from other files (``_jobloop._loop`` inlines the stock
helpers of :mod:`capsim.engines._stockloop` and the heap of
:mod:`capsim.engines._kernel`), so an edit there, or an upgrade of capsim that changes
only a helper's file, would leave the old machine code in use until the cache was
deleted. :class:`EngineLocator` wraps the locator numba would have picked (the same
cache folder, so ``NUMBA_CACHE_DIR`` and read-only installs work as before) and adds to
its freshness stamp a hash of every compiled module's source (the ``_*.py`` files of
this package), so any change there recompiles every loop once.

It uses numba's cache-locator protocol (``numba.core.caching``), which is not public
API: :func:`install` is a no-op when numba lacks it, and the cache then behaves as
numba's default.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

#: The folder of the compiled modules.
ENGINES = Path(__file__).resolve().parent


@functools.cache
def source_stamp() -> str:
    """A hash of every compiled module's source (the ``_*.py`` files of this package)."""
    digest = hashlib.sha256()
    for path in sorted(ENGINES.glob("_*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def install() -> None:
    """Put :class:`EngineLocator` first among numba's cache locators (once)."""
    try:
        from numba.core import caching
    except ImportError:
        return
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    classes = getattr(impl, "_locator_classes", None)
    base = getattr(caching, "_CacheLocator", None)
    if not isinstance(classes, list) or base is None:
        return
    if any(getattr(c, "__name__", "") == "EngineLocator" for c in classes):
        return
    classes.insert(0, _locator_class(base, classes))


def _locator_class(base: Any, classes: list[Any]) -> Any:
    class EngineLocator(base):  # type: ignore[misc]
        """The locator numba would pick, with :func:`source_stamp` in the stamp."""

        def __init__(self, inner: Any):
            self._inner = inner
            self._py_file = getattr(inner, "_py_file", "")

        def get_cache_path(self) -> str:
            return str(self._inner.get_cache_path())

        def get_source_stamp(self) -> Any:
            return (self._inner.get_source_stamp(), source_stamp())

        def get_disambiguator(self) -> str:
            return str(self._inner.get_disambiguator())

        def ensure_cache_path(self) -> None:
            self._inner.ensure_cache_path()

        @classmethod
        def from_function(cls, py_func: Any, py_file: str) -> Any:
            if Path(py_file).resolve().parent != ENGINES:
                return None  # not ours: numba's own locators decide
            for other in classes:
                if other is cls:
                    continue
                inner = other.from_function(py_func, py_file)
                if inner is not None:
                    return cls(inner)
            return None

    return EngineLocator
