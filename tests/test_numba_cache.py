"""numba's cache of the compiled loops is keyed on every compiled module's source.

A loop inlines helpers from other files; numba alone checks only the loop's own file,
so an edit to a helper left stale machine code in use (capsim/engines/_numba_cache.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from numba.core import caching

from capsim.engines import _jobloop, _kernel, _numba_cache, _stationloop, _stockloop


def _impl_class() -> type:
    """numba's cache implementation base (``CacheImpl``, ``_CacheImpl`` in older releases)."""
    return getattr(caching, "CacheImpl", None) or caching._CacheImpl


def _impl(function: object) -> caching.CompileResultCacheImpl:
    """How numba would cache ``function``: its locator is the one picked for it."""
    return caching.CompileResultCacheImpl(function)


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The compiled modules' sources copied to a folder the stamp reads instead."""
    for path in _numba_cache.ENGINES.glob("_*.py"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(_numba_cache, "ENGINES", tmp_path)
    _numba_cache.source_stamp.cache_clear()
    yield tmp_path
    _numba_cache.source_stamp.cache_clear()


def test_the_stamp_changes_with_a_helper_module_and_not_otherwise(copied: Path) -> None:
    first = _numba_cache.source_stamp()
    _numba_cache.source_stamp.cache_clear()
    assert _numba_cache.source_stamp() == first  # same sources, same stamp
    helper = copied / "_stockloop.py"
    helper.write_text(helper.read_text() + "\n# an edit to a helper only\n")
    _numba_cache.source_stamp.cache_clear()
    assert _numba_cache.source_stamp() != first


def test_the_job_loop_is_cached_under_the_engine_locator() -> None:
    assert _kernel.compiled() is not None  # installs the locator
    locator = _impl(_jobloop._loop)._locator
    assert type(locator).__name__ == "EngineLocator"
    own, engines = locator.get_source_stamp()
    assert engines == _numba_cache.source_stamp()
    # the wrapped locator is numba's own: the same folder and stamp as without ours
    assert locator.get_cache_path() == locator._inner.get_cache_path()
    assert own == locator._inner.get_source_stamp()
    # the helpers' module is covered by the same stamp, whose files include it
    assert Path(_stockloop.__file__).name in {p.name for p in _numba_cache.ENGINES.glob("_*.py")}


def test_functions_outside_the_engines_keep_numba_s_locators(tmp_path: Path) -> None:
    _kernel.compiled()
    module = tmp_path / "elsewhere.py"
    module.write_text("def f(x):\n    return x + 1\n")
    namespace: dict[str, object] = {}
    exec(compile(module.read_text(), str(module), "exec"), namespace)
    locator = _impl(namespace["f"])._locator
    assert type(locator).__name__ != "EngineLocator"


def test_install_is_idempotent() -> None:
    _numba_cache.install()
    _numba_cache.install()
    names = [c.__name__ for c in _impl_class()._locator_classes]
    assert names.count("EngineLocator") == 1


def test_the_per_order_helpers_are_inlined_and_still_callable_from_python() -> None:
    """The loops inline their per-order helpers (_kernel.compile_helpers); the rest are calls.

    Each compiled helper still runs from Python, with the plain function's result.
    """
    assert _jobloop.compiled() is not None
    assert _stationloop.compiled() is not None
    for module, names in ((_kernel, _kernel.INLINED), (_jobloop, _jobloop.INLINED),
                          (_stationloop, _stationloop.INLINED)):
        for name in names:
            assert getattr(module, name).targetoptions["inline"] == "always", (module, name)
    assert _stockloop.advance.targetoptions.get("inline", "never") == "never"
    keys = [np.array([1.0, 2.0, 2.0, 5.0, 3.0]) for _ in range(2)]
    items = [np.array([0, 1, 2, 3, 4]) for _ in range(2)]
    _kernel._sift_down(keys[0], items[0], 5, 2.0, 7)  # compiled, called from Python
    _kernel._sift_down.py_func(keys[1], items[1], 5, 2.0, 7)
    assert keys[0].tolist() == keys[1].tolist() == [2.0, 2.0, 2.0, 5.0, 3.0]
    assert items[0].tolist() == items[1].tolist() == [1, 7, 2, 3, 4]
