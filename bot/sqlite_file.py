"""The SQLite file behind the quota database: created private, never re-created, watched for loss.

SQLite creates a missing database file on connect, and a connection keeps writing to a file that
was deleted under it. Either way the bot would carry on with empty counts. So the bot creates the
file itself (mode 0600, whatever the umask), has SQLite open it read-write only (a `mode=rw` URI:
a missing file is an error, never a new empty one), and compares the file's device and inode
before each transaction with the ones it opened.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import Final
from urllib.parse import quote

__all__ = ["PRIVATE_MODE", "FileState", "SqliteFile"]

log = logging.getLogger(__name__)

# Owner read and write only: the file holds user and chat ids.
PRIVATE_MODE: Final = 0o600
# SQLite's companions of a WAL database, created with the main file's mode.
_JOURNALS: Final = ("-wal", "-shm")

_Identity = tuple[int, int]  # (st_dev, st_ino)


class FileState(enum.Enum):
    """What stands at the database path now, compared with the file the bot opened."""

    SAME = "same"  # the file the bot opened
    MISSING = "missing"  # nothing: deleted or moved away
    OTHER = "other"  # another file: restored from a backup, or replaced


class SqliteFile:
    """One SQLite database file at an absolute path, identified by its device and inode.

    Methods raise OSError from the file system unless they say otherwise; none blocks for longer
    than a stat, open or rename.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(os.path.abspath(path))
        self._opened: _Identity | None = None
        # The -wal and -shm last seen beside the opened file: they hold its latest writes.
        self._journals: dict[str, _Identity] = {}

    @property
    def uri(self) -> str:
        """The SQLite URI that opens this file read-write and never creates it (uri=True)."""
        return f"file:{quote(str(self.path), safe='/')}?mode=rw"

    def create(self) -> bool:
        """Create the file empty with mode 0600 if missing (True); else make it and its journals
        0600 if they are open to others (False). A file the bot cannot chmod is left as it is
        with one warning."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
        except FileExistsError:
            self._tighten()
            return False
        try:
            os.fchmod(fd, PRIVATE_MODE)  # the umask may have taken bits from the mode above
        finally:
            os.close(fd)
        return True

    def remember(self) -> None:
        """Take the file now at the path as the one the bot uses."""
        self._opened = _identity(self.path)
        self._journals = {}
        self._see_journals()

    def state(self) -> FileState:
        """Compare what stands at the path with the remembered file (one stat per journal too)."""
        now = _identity(self.path)
        if now is None:
            return FileState.MISSING
        if now != self._opened:
            return FileState.OTHER
        self._see_journals()
        return FileState.SAME

    def revision(self) -> str | None:
        """The Alembic revision of the file at the path, read without writing a byte to it (None:
        no revision table). sqlite3.Error if it is no SQLite database or cannot be opened."""
        uri = f"file:{quote(str(self.path), safe='/')}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            tables = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchall()
            if not tables:
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])

    def set_aside_stale_journals(self) -> list[Path]:
        """Rename the lost file's -wal and -shm (still beside a file restored in its place) to
        `<name>-wal.lost-<unix time>`, so SQLite does not replay the lost file's pages into the
        restored one; returns the new names."""
        moved = []
        stamp = int(time.time())
        for suffix, seen in self._journals.items():
            journal = self.path.with_name(self.path.name + suffix)
            if _identity(journal) != seen:
                continue  # gone, or the restored file's own
            target = journal.with_name(f"{journal.name}.lost-{stamp}")
            os.rename(journal, target)
            moved.append(target)
        self._journals = {}
        return moved

    def _see_journals(self) -> None:
        for suffix in _JOURNALS:
            found = _identity(self.path.with_name(self.path.name + suffix))
            if found is not None:
                self._journals[suffix] = found

    def _tighten(self) -> None:
        for path in (self.path, *(self.path.with_name(self.path.name + s) for s in _JOURNALS)):
            try:
                mode = stat.S_IMODE(os.stat(path).st_mode)
                if mode & 0o077:
                    os.chmod(path, mode & 0o700)
                    log.warning("made %s private (mode %o, was %o)", path, mode & 0o700, mode)
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("could not make %s private: %s", path, exc)


def _identity(path: Path) -> _Identity | None:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino
