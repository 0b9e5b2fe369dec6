"""Output folders: built aside, swapped in whole, and only ever capsim's own.

Every command that writes files (``run``, ``size``, ``sweep`` and ``stress`` with
``--out``, and ``report``) writes its folder through a :class:`Workspace`:

- The files are built in a fresh sibling of the target made by
  :func:`tempfile.mkdtemp` (an unpredictable name, created exclusively, private to the
  user while it is built), never in the target itself: whoever can write to the
  target or its parent cannot redirect a write through a planted symlink.
- The finished folder takes the target's place at once: the two paths are exchanged
  atomically where the system can (Linux ``renameat2``), else by two renames (with an
  instant between them when the target is missing). A reader sees the old set of
  files or the new one, never a mix, and a kill at any moment leaves one of them
  whole at the target.
- The target must be new, empty, or a folder capsim wrote holding nothing else
  (checked before any simulation, and again just before the swap; see
  :mod:`capsim.output.ownership`, which also says how debris of a killed write is
  removed by the next write to the same target).
- Folders and files get the permissions ``mkdir`` and ``open`` would give them: the
  umask applies.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from capsim.output.ownership import (
    MARKER,
    SUFFIX,
    check_target,
    clean_debris,
    entries,
    lock,
    put_marker,
    read_marker,
    real_target,
    refusal,
    remove_own,
    temp_prefix,
)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where the system cannot.

    The standard library has no wrapper for it, hence ctypes.
    """
    import ctypes
    import errno

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second),
                 rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


class Workspace:
    """A folder being built beside its target; :meth:`commit` puts it in place.

    Parameters
    ----------
    out : path
        The target (checked as by :func:`~capsim.output.ownership.prepare_out_dir`;
        its parents are created).
    kind : str
        What the folder holds (``run``, ``size``, ``sweep``, ``stress``, ``report``),
        recorded in its marker.

    Raises
    ------
    CapsimError
        If the target may not be written.

    Notes
    -----
    Used as a context manager, the workspace is removed if the block raises; a
    workspace that was not committed is removed on exit too.
    """

    def __init__(self, out: Path, kind: str):
        self.out = Path(out)
        self.kind = kind
        self.target = real_target(self.out)
        check_target(self.out, self.target)  # mkdtemp below tests the rest
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            clean_debris(self.target)
            self.path = Path(tempfile.mkdtemp(prefix=temp_prefix(self.target), suffix=SUFFIX,
                                              dir=self.target.parent))
        except OSError as exc:
            raise refusal(self.out, f"cannot write there ({exc.strerror})") from None
        self._fd = -1
        self.done = False
        try:
            self._fd = lock(self.path)
            put_marker(self.path, kind, None)
            probe = self.path / "umask-probe"
            os.mkdir(probe, 0o777)  # what a new folder gets here: 0o777 less the umask
            self._mode = probe.stat().st_mode & 0o777
            os.rmdir(probe)
        except BaseException:
            self.discard()
            raise

    def write(self, files: Mapping[str, str | bytes], under: str = "") -> None:
        """Write each named text (or bytes) at ``under/name`` in the workspace.

        A file written again is overwritten: the workspace is private until it is
        committed, so nothing else can have put anything there.
        """
        for name, content in files.items():
            path = self.path / under / name
            if not path.parent.is_dir():
                path.parent.mkdir(parents=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")

    def commit(self) -> Path:
        """Record every file in the marker and put the folder in the target's place.

        Returns the target. The target is checked again just before (it may have
        changed while the results were computed).
        """
        files, _ = entries(self.path)
        files.discard(MARKER)
        put_marker(self.path, self.kind, sorted(files))
        check_target(self.out, self.target)
        os.chmod(self.path, self._mode)
        try:
            old = self._swap()
        except OSError as exc:
            raise refusal(self.out, f"cannot put the folder in place ({exc.strerror})"
                           ) from None
        self.done = True
        self._release()
        if old is not None:
            marker = read_marker(old)
            if marker is not None:
                remove_own(old, marker)
        return self.target

    def _swap(self) -> Path | None:
        """Put the workspace at the target; where the previous folder went, if any."""
        if not self.target.exists() or not any(self.target.iterdir()):
            os.rename(self.path, self.target)  # replaces an empty folder at once
            return None
        if _exchange(self.path, self.target):
            return self.path
        old = Path(tempfile.mkdtemp(prefix=temp_prefix(self.target), suffix=SUFFIX,
                                    dir=self.target.parent))
        os.rename(self.target, old)
        os.rename(self.path, self.target)
        return old

    def _release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def discard(self) -> None:
        """Remove the workspace (nothing at the target changes)."""
        if self.done:
            return
        self.done = True
        marker = read_marker(self.path)
        self._release()
        if marker is not None:
            remove_own(self.path, marker)
            return
        with contextlib.suppress(OSError):
            os.rmdir(self.path)  # made, but nothing written in it yet

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.discard()


def finish_despite_ctrl_c(step: Callable[[], Any]) -> tuple[Any, bool]:
    """Run a short, repeatable writing step to its end even if Ctrl-C arrives.

    Returns the step's value and whether a Ctrl-C arrived (the step then ran again
    from the start). A second Ctrl-C is raised: the user insists.
    """
    try:
        return step(), False
    except KeyboardInterrupt:
        return step(), True


def write_folder(out: Path, kind: str,
                 files: Callable[[], Mapping[str, str | bytes]]) -> list[Path]:
    """Write the files ``files()`` returns as the whole folder ``out`` (module docstring).

    A Ctrl-C while the files are made or written does not lose what was computed: the
    folder is finished and put in place, then :class:`KeyboardInterrupt` is raised.
    """
    with Workspace(out, kind) as work:
        names, interrupted = finish_despite_ctrl_c(lambda: _write_all(work, files()))
        work.commit()
    if interrupted:
        raise KeyboardInterrupt
    return [Path(out) / name for name in names]


def _write_all(work: Workspace, files: Mapping[str, str | bytes]) -> list[str]:
    work.write(files)
    return list(files)
