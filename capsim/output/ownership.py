"""Which folders are capsim's: the marker, the checks on ``--out``, and debris.

Every folder capsim writes holds :data:`MARKER`, a JSON file naming the kind of output,
the capsim version and every file capsim wrote there (``files``; null while the folder
is being built, when everything in it is capsim's). From it:

- :func:`prepare_out_dir` accepts a target that is new, empty, or marked and holding
  nothing the marker does not list; it refuses anything else with a clear
  :class:`~capsim.errors.CapsimError`, so a file capsim did not write is never deleted.
  A folder written by a capsim without markers is refused too.
- :func:`clean_debris` removes the temporary siblings a killed write left beside a
  target (``.NAME.capsim-XXXXXXXX.tmp``): only those holding capsim's marker (or
  nothing but its first, unfinished copy) and not locked by a live capsim process.
- :func:`remove_own` deletes only what a marker lists, the marker last.

How a folder is built and swapped in is :mod:`capsim.output.folder`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from capsim._version import __version__
from capsim.errors import CapsimError

try:  # POSIX; elsewhere no lock, and debris is removed whatever its age
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

MARKER = ".capsim-output"
_NEW_MARKER = f"{MARKER}.new"
SUFFIX = ".tmp"
_SHOWN = 5  # foreign files named in a refusal


def temp_prefix(target: Path) -> str:
    """The start of the temporary siblings' names (the target's name, shortened)."""
    return f".{target.name[:64]}.capsim-"


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker capsim wrote into ``folder``, or None where there is none."""
    path = folder / MARKER
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("written_by") == "capsim" else None


def entries(folder: Path) -> tuple[set[str], set[str]]:
    """Relative paths under ``folder``: of everything but folders, and of the folders."""
    files: set[str] = set()
    folders: set[str] = set()
    pending = [(folder, "")]
    while pending:
        directory, rel = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                name = f"{rel}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    folders.add(name)
                    pending.append((Path(entry.path), f"{name}/"))
                else:
                    files.add(name)
    return files, folders


def _listed(marker: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The files a marker lists (the marker included) and the folders they imply."""
    files = {str(f) for f in marker.get("files") or []} | {MARKER}
    folders = {"/".join(f.split("/")[:i]) for f in files for i in range(1, f.count("/") + 1)}
    return files, folders


def foreign_entries(folder: Path, marker: dict[str, Any]) -> list[str]:
    """What ``folder`` holds that its marker does not list (capsim did not write it)."""
    files, folders = entries(folder)
    listed_files, listed_folders = _listed(marker)
    return sorted((files - listed_files) | (folders - listed_folders))


def refusal(shown: Path, problem: str) -> CapsimError:
    """The error for an ``--out`` capsim will not write."""
    return CapsimError(f"--out {shown}: {problem}")


def real_target(out: Path) -> Path:
    """Where ``out`` really is (a link to a folder: that folder)."""
    return Path(os.path.realpath(out))


def prepare_out_dir(out: Path) -> Path:
    """Check an ``--out`` before any simulation; the real path of the target.

    Allowed: a folder that does not exist yet (in a place capsim can write to), an
    empty folder, or a folder capsim wrote (its :data:`MARKER`) holding nothing else.
    Nothing is created; a clear :class:`~capsim.errors.CapsimError` otherwise.
    """
    out, target = Path(out), real_target(out)
    check_target(out, target)
    place = target.parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise refusal(out, f"cannot write there ({place} is not a directory)")
    try:  # the real test (permissions, ACLs, read-only file systems, root)
        os.rmdir(tempfile.mkdtemp(prefix=temp_prefix(target), suffix=SUFFIX, dir=place))
    except OSError as exc:
        raise refusal(out, f"cannot write there ({exc.strerror})") from None
    return target


def check_target(out: Path, target: Path) -> None:
    """Refuse a target that is a file, or a non-empty folder capsim may not replace."""
    if not target.exists():
        return
    if not target.is_dir():
        raise refusal(out, "exists and is not a directory")
    if not any(target.iterdir()):
        return
    marker = read_marker(target)
    if marker is None:
        raise refusal(out, f"not empty and not written by capsim (it has no {MARKER} "
                       "marker); capsim replaces only folders it wrote itself: give a new "
                       "or empty folder, or remove this one yourself (folders written by "
                       "capsim before it marked them have no marker either)")
    foreign = foreign_entries(target, marker)
    if foreign:
        more = f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else ""
        raise refusal(out, "written by capsim, but it also holds files capsim did not "
                       f"write ({', '.join(foreign[:_SHOWN])}{more}); capsim would replace "
                       "the folder whole: move them out, or give another folder")


def put_marker(folder: Path, kind: str, files: list[str] | None) -> None:
    """Write the marker whole or not at all (through a rename inside ``folder``)."""
    text = json.dumps({"written_by": "capsim", "kind": kind, "capsim_version": __version__,
                       "files": files}, indent=2) + "\n"
    (folder / _NEW_MARKER).write_text(text, encoding="utf-8")
    os.replace(folder / _NEW_MARKER, folder / MARKER)


def lock(folder: Path) -> int:
    """Hold a lock on ``folder`` while capsim builds it (released when the process ends).

    The lock's file descriptor (-1 where the system has no ``flock``).
    """
    if fcntl is None:  # pragma: no cover
        return -1
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


def locked(folder: Path) -> bool:
    """Whether a live capsim process holds the lock on ``folder``."""
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fd = lock(folder)
    except OSError:
        return True  # held, or cannot tell: leave it
    os.close(fd)
    return False


def remove_own(folder: Path, marker: dict[str, Any]) -> None:
    """Delete what capsim wrote in ``folder`` (per its marker), the marker last.

    While a folder is built (``files`` is null) everything in it is capsim's.
    Anything else is left; so is the folder, then, without a marker.
    """
    if marker.get("files") is None:
        files, folders = entries(folder)
        files.discard(MARKER)
    else:
        files, folders = _listed(marker)
        files.discard(MARKER)
    for name in files:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(folder / name)
    for name in sorted(folders, key=lambda f: f.count("/"), reverse=True):
        with contextlib.suppress(OSError):  # gone, or it holds what capsim did not write
            os.rmdir(folder / name)
    try:
        os.unlink(folder / MARKER)
        os.rmdir(folder)
    except OSError:
        pass


def clean_debris(target: Path) -> None:
    """Remove what killed writes to ``target`` left beside it (see the module docstring)."""
    prefix = temp_prefix(target)
    try:
        siblings = list(os.scandir(target.parent))
    except FileNotFoundError:
        return
    for entry in siblings:
        if (not entry.name.startswith(prefix) or not entry.name.endswith(SUFFIX)
                or not entry.is_dir(follow_symlinks=False)):
            continue
        path = Path(entry.path)
        try:
            names = {p.name for p in path.iterdir()}
            if names <= {_NEW_MARKER} and not locked(path):  # killed as it began
                if names:
                    os.unlink(path / _NEW_MARKER)
                os.rmdir(path)
                continue
        except OSError:
            continue
        marker = read_marker(path)
        if marker is not None and not locked(path):
            remove_own(path, marker)
