"""The one way a file is written: all at once, never over an existing file unless asked.

The content goes to a temporary file in the same directory, is flushed to disk, gets
the mode of the file it replaces (or the usual mode of a new file), and only then
takes the file's name. A failed or interrupted write leaves any existing file as it
was and no temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cchc_rules.errors import CchcError, Problem

__all__ = ["atomic_output", "cannot_write", "write_atomic"]


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
    directory = path.parent
    if not directory.is_dir():
        raise CchcError([Problem(str(path), None, "", f"directory {directory} does not exist")])
    mode = _mode(path)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
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
