"""The database handle: one async engine, SQLite tuned for many writers, migrated on entry."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase

import bot
from bot.config import DatabaseSettings
from bot.paths import make_private_dirs
from bot.sqlite_file import FileState, SqliteFile

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "Database",
    "DatabaseError",
    "DatabaseFileLost",
    "DatabaseTooNew",
    "alembic_config",
    "head_revision",
    "known_revisions",
    "migrations_dir",
    "sqlite_url",
]

# Stable constraint names, so later migrations can drop or alter them by name on every dialect.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

log = logging.getLogger(__name__)

# Execution option read by the SQLite "begin" hook below.
_IMMEDIATE = "toonbot_begin_immediate"
# Any fixed 64-bit number; PostgreSQL advisory locks are keyed by it, database-wide.
_MIGRATION_LOCK = 0x70_0B07_D8
# While the SQLite file is lost, a file found in its place is checked at most this often (s).
_RECHECK_S = 1.0


class Base(DeclarativeBase):
    """Declarative base of every table ToonBot keeps."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DatabaseError(Exception):
    """The database cannot be opened or migrated."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot open database {url}: {reason}")
        self.url = url
        self.reason = reason


class DatabaseFileLost(DatabaseError):
    """The SQLite file was deleted or replaced while the bot ran, and nothing usable is back at
    its path yet; no transaction runs (and nothing is created there) until it is."""

    def __init__(self, url: str, path: str, reason: str) -> None:
        super().__init__(url, reason)
        self.path = path


class DatabaseTooNew(DatabaseError):
    """The database is at a schema revision this version does not ship: a newer ToonBot
    migrated it. Nothing is changed; running this version would misread its tables."""

    def __init__(self, url: str, revision: str, head: str) -> None:
        super().__init__(
            url,
            f"it was migrated by a newer ToonBot (schema revision {revision}; this version "
            f"knows up to {head}). Install that newer version again, or restore the backup "
            "taken before it ran (README, 'Upgrades')",
        )
        self.revision = revision
        self.head = head


class _UnknownRevision(Exception):
    def __init__(self, revision: str, head: str) -> None:
        super().__init__(revision)
        self.revision = revision
        self.head = head


def migrations_dir() -> Path:
    """The folder holding Alembic's env.py and versions/ (installed beside the bot package)."""
    # The sibling of bot/ is right for a checkout, an editable install and a wheel alike, and
    # cannot be shadowed by some other "migrations" folder in the working directory.
    sibling = Path(bot.__file__).resolve().parents[1] / "migrations"
    if (sibling / "env.py").is_file():
        return sibling
    spec = importlib.util.find_spec("migrations")
    if spec is not None and spec.origin is not None:
        found = Path(spec.origin).resolve().parent
        if (found / "env.py").is_file():
            return found
    raise RuntimeError("the migrations package is not installed next to the bot package")


def alembic_config(url: str) -> AlembicConfig:
    """An Alembic config built in code (no alembic.ini) for the given database URL."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations_dir()))
    # ConfigParser interpolates "%", which URL-escaped passwords contain.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest revision the code ships."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError(f"{migrations_dir() / 'versions'} holds no revision")
    return head


def known_revisions() -> frozenset[str]:
    """Every schema revision the code ships (a database at any other was migrated by a newer
    ToonBot)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(rev.revision for rev in script.walk_revisions())


def sqlite_url(path: str | Path) -> str:
    """An aiosqlite URL for a database file path."""
    return URL.create("sqlite+aiosqlite", database=str(path)).render_as_string()


class Database:
    """Async engine for quotas: `async with Database(settings, url) as db:` migrates to head."""

    def __init__(self, settings: DatabaseSettings, url: str | None = None) -> None:
        if not url and not settings.sqlite_path:
            # bot.config resolves "" to the data directory's file; a bare DatabaseSettings()
            # must not quietly mean a file in the working directory.
            raise ValueError("DatabaseSettings.sqlite_path is empty: name a file, or a URL")
        self._settings = settings
        self._url = (
            make_url(url) if url else make_url(sqlite_url(Path(settings.sqlite_path).expanduser()))
        )
        self._engine: AsyncEngine | None = None
        self._write_lock = asyncio.Lock()
        self._file = _sqlite_file(self._url)
        self._watching = False  # the file is migrated and remembered: check it per transaction
        self._lost = False  # the file was found deleted or replaced, and is not back yet
        self._resume_lock = asyncio.Lock()
        self._next_resume = 0.0  # time.monotonic() before which no file in its place is tried
        self._refused_other: tuple[str, str] | None = None  # last unusable file logged

    @property
    def url(self) -> str:
        """The URL with any password hidden, for logs and messages."""
        return self._url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """Backend name, e.g. "sqlite" or "postgresql"."""
        return self._url.get_backend_name()

    @property
    def engine(self) -> AsyncEngine:
        """The open engine; only valid inside `async with`."""
        if self._engine is None:
            raise RuntimeError("Database is not open; use `async with Database(...) as db`")
        return self._engine

    async def __aenter__(self) -> Database:
        # A fresh lock per entry: a lock binds to the event loop that first waits on it.
        self._write_lock = asyncio.Lock()
        self._resume_lock = asyncio.Lock()
        self._watching = self._lost = False
        self._engine = self._create_engine()
        try:
            await self._upgrade()
            if self._file is not None:
                self._file.remember()
                self._watching = True
        except BaseException:
            await self._engine.dispose()
            self._engine = None
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._watching = False
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    @contextlib.asynccontextmanager
    async def transaction(self, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction, committed on success and rolled back on error.

        DatabaseFileLost if the SQLite file was deleted or replaced and is not back; OSError if it
        cannot be looked at.
        """
        await self._check_file()
        engine = self.engine
        if not write or engine.dialect.name != "sqlite":
            async with engine.begin() as conn:
                yield conn
            return
        # SQLite has one writer at a time. Queueing this process's writers on a lock is fair and
        # immediate, where SQLite's busy handler would sleep and poll; only other processes'
        # writers still wait in busy_timeout. BEGIN IMMEDIATE takes the write lock up front, so a
        # transaction that reads first never fails to upgrade its lock later. Not re-entrant:
        # never open a write transaction inside another on the same Database.
        async with self._write_lock, engine.execution_options(**{_IMMEDIATE: True}).begin() as conn:
            yield conn

    async def revision(self) -> str | None:
        """The revision the database is at (None before the first migration)."""
        async with self.transaction() as conn:
            return await conn.run_sync(_current_revision)

    async def _check_file(self) -> None:
        if self._file is None or not self._watching:
            return
        state = self._file.state()
        if state is FileState.SAME and not self._lost:
            return
        if not self._lost:
            self._lost = True
            log.error(
                "the quota database %s was %s while the bot ran: photos are refused until it "
                "is restored at that path (nothing is created in its place)",
                self._file.path,
                "deleted" if state is FileState.MISSING else "replaced",
            )
            # Let go of the lost file; connections to the one in its place are opened afresh.
            await self.engine.dispose()
        if state is FileState.MISSING:
            raise DatabaseFileLost(self.url, str(self._file.path), "the file is gone")
        await self._resume(state)

    async def _resume(self, state: FileState) -> None:
        """Take the file back at the path into use if it is a ToonBot database at head."""
        assert self._file is not None
        path = str(self._file.path)
        async with self._resume_lock:
            if not self._lost:
                return  # another task took it back meanwhile
            if time.monotonic() < self._next_resume:
                raise DatabaseFileLost(self.url, path, "the file in its place is not usable")
            self._next_resume = time.monotonic() + _RECHECK_S
            if state is FileState.OTHER:
                for moved in self._file.set_aside_stale_journals():
                    log.warning("set aside %s: it held the lost file's last writes", moved)
            head = head_revision()
            try:
                # Read-only and outside the engine: a foreign file is looked at, never changed.
                revision = await asyncio.to_thread(self._file.revision)
            except (OSError, sqlite3.Error) as exc:
                revision, problem = None, str(exc).splitlines()[0]
            else:
                problem = f"it is at revision {revision or 'none'}, not {head}"
            if revision != head:
                # Once per file and problem, not once per photo.
                if self._refused_other != (path, problem):
                    self._refused_other = (path, problem)
                    log.error("not using the file now at %s: %s", path, problem)
                await self.engine.dispose()
                raise DatabaseFileLost(self.url, path, f"the file in its place: {problem}")
            self._file.remember()
            self._lost = False
            self._refused_other = None
            log.warning(
                "the quota database %s is back (revision %s): taking photos again", path, head
            )

    def _create_engine(self) -> AsyncEngine:
        if self._file is not None:
            try:
                make_private_dirs(self._file.path.parent)
                self._file.create()
            except OSError as exc:
                raise DatabaseError(self.url, str(exc)) from exc
        try:
            engine = create_async_engine(self._url)
        except (ArgumentError, ImportError, SQLAlchemyError) as exc:
            raise DatabaseError(self.url, str(exc)) from exc
        if engine.dialect.name == "sqlite":
            _tune_sqlite(engine, self._settings.busy_timeout_ms)
        if self._file is not None:
            _open_read_write(engine, self._file.uri)
        return engine

    async def _upgrade(self) -> None:
        cfg = alembic_config(self._url.render_as_string(hide_password=False))
        try:
            # Immediate, so two processes starting together migrate one after the other.
            async with self.transaction(write=True) as conn:
                if conn.dialect.name == "postgresql":
                    # PostgreSQL has no BEGIN IMMEDIATE: bots started together on one fresh
                    # database would race to create the same tables. Queue them on a lock.
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                    )
                await conn.run_sync(_run_upgrade, cfg)
        except _UnknownRevision as exc:
            raise DatabaseTooNew(self.url, exc.revision, exc.head) from None
        except (OSError, SQLAlchemyError) as exc:
            raise DatabaseError(self.url, str(exc)) from exc


def _switch_to_wal(cursor: Any, busy_timeout_ms: int) -> None:
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() == "wal":
        return  # WAL is stored in the file: only its very first opener needs to switch
    # SQLite skips the busy handler for this switch, so two processes creating the file at
    # once see "database is locked" at once; retry for up to busy_timeout. This can only
    # happen on a brand-new file, so the short blocking sleeps stay at start-up.
    deadline = time.monotonic() + busy_timeout_ms / 1000.0
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except Exception as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _sqlite_file(url: URL) -> SqliteFile | None:
    """The database file a SQLite URL names (None: in memory, PostgreSQL, or a URI given)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if str(url.query.get("uri", "")).lower() in ("true", "1"):
        return None  # the operator wrote a SQLite URI: open it as they said
    return SqliteFile(Path(url.database).expanduser())


def _open_read_write(engine: AsyncEngine, uri: str) -> None:
    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect_args(
        _dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]
    ) -> None:
        # mode=rw: a missing file fails to open instead of coming back empty.
        cargs[0] = uri
        cparams["uri"] = True


def _tune_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 driver (it skips it before SELECT and DDL);
        # the "begin" hook below emits it instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first, so switching to WAL also waits for a busy file.
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            _switch_to_wal(cursor, busy_timeout_ms)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _run_upgrade(conn: Connection, cfg: AlembicConfig) -> None:
    # Alembic would end in a traceback ("Can't locate revision") for a revision it doesn't ship.
    current = _current_revision(conn)
    script = ScriptDirectory.from_config(cfg)
    if current is not None and current not in known_revisions():
        raise _UnknownRevision(current, script.get_current_head() or "none")
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()
