"""The one way a file is written: all at once, never over an existing file unless asked.

The content goes to a temporary file in the same directory, is flushed to disk, gets
the mode of the file it replaces (or the usual mode of a new file), and only then
takes the file's name. A failed or interrupted write leaves any existing file as it
was and no temporary file behind.

A run that is killed cannot clean up after itself. Its temporary files and scratch
directories are named ``.cchc-PID@HOST.…``, so the next write in that directory
removes those whose process no longer runs on this machine.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cchc_rules.errors import CchcError, Problem

__all__ = [
    "atomic_output",
    "cannot_write",
    "remove_leftovers",
    "scratch_directory",
    "write_atomic",
]

_LEFTOVER = re.compile(r"^\.cchc-(\d+)@([A-Za-z0-9-]+)\.")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "localhost"


def _prefix(what: str) -> str:
    """The start of a temporary name this process owns (see :func:`remove_leftovers`)."""
    return f".cchc-{os.getpid()}@{_host()}.{what}."


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, run by someone else
    return True


def remove_leftovers(directory: Path) -> None:
    """Remove the temporary files and scratch directories that runs killed on this
    machine left in ``directory``; those of running processes, or of other machines
    sharing the directory, are left alone."""
    if os.name != "posix":
        # NOTE: os.kill(pid, 0) only probes on POSIX; on Windows it would end the process.
        return
    host = _host()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        found = _LEFTOVER.match(entry.name)
        if found is None or found[2] != host or _running(int(found[1])):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            # Another run removing it at the same time, or not ours to remove: this
            # run's own output does not depend on it.
            continue


def _exists(path: Path) -> CchcError:
    return CchcError([Problem(str(path), None, "", "file exists; pass --force to replace it")])


def cannot_write(path: Path, exc: OSError) -> CchcError:
    """The error for an operating-system failure while writing ``path``."""
    return CchcError([Problem(str(path), None, "", f"cannot write: {exc.strerror or exc}")])


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        # mkstemp makes the file private (0600); an output gets the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_output(path: Path, *, force: bool) -> Iterator[Path]:
    """A temporary path to write to; on leaving the block it becomes ``path``.

    Refuses to replace an existing ``path`` unless ``force``. What the block raises
    propagates unchanged, and the temporary file is removed.
    """
    if path.exists() and not force:
        raise _exists(path)
    directory = _directory_of(path)
    mode = _mode(path)
    try:
        handle, name = tempfile.mkstemp(prefix=_prefix(path.name), dir=directory)
    except OSError as exc:
        raise cannot_write(path, exc) from exc
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        try:
            _sync(temporary)
            os.chmod(temporary, mode)
            if force:
                os.replace(temporary, path)
            else:
                _publish_new(temporary, path)
        except FileExistsError as exc:
            raise _exists(path) from exc
        except OSError as exc:
            raise cannot_write(path, exc) from exc
    finally:
        temporary.unlink(missing_ok=True)


def _directory_of(path: Path) -> Path:
    """The existing directory ``path`` is to be written in, cleared of leftovers."""
    directory = path.parent
    if not directory.is_dir():
        raise CchcError([Problem(str(path), None, "", f"directory {directory} does not exist")])
    remove_leftovers(directory)
    return directory


@contextmanager
def scratch_directory(path: Path) -> Iterator[Path]:
    """A private directory beside the output ``path`` for the files a run writes on the
    way to it (on the same disk, so its space is checked early); removed afterwards."""
    directory = _directory_of(path)
    try:
        scratch = Path(tempfile.mkdtemp(prefix=_prefix("spill"), dir=directory))
    except OSError as exc:
        raise cannot_write(path, exc) from exc
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _sync(temporary: Path) -> None:
    """Flush the file's content to disk, so the rename never publishes an empty file."""
    descriptor = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _publish_new(temporary: Path, path: Path) -> None:
    """Move ``temporary`` to ``path`` unless ``path`` exists, even if it appeared just now."""
    try:
        # link() fails if the name was taken since the check above, where replace()
        # would silently overwrite the file that appeared meanwhile.
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        # A filesystem without hard links: the earlier existence check has to do.
        os.replace(temporary, path)


def write_atomic(path: Path, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``path`` all at once; refuse to replace a file unless ``force``."""
    with atomic_output(path, force=force) as temporary:
        try:
            temporary.write_bytes(data)
        except OSError as exc:
            raise cannot_write(path, exc) from exc
