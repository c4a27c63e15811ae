"""The database handle on real SQLite files: migrations, PRAGMAs, errors, `toonbot db upgrade`."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

import bot.quota.models  # noqa: F401  (puts the quota tables on Base.metadata)
from bot.cli import main
from bot.config import DatabaseSettings, QuotaSettings
from bot.db import (
    Base,
    Database,
    DatabaseError,
    DatabaseTooNew,
    alembic_config,
    head_revision,
    migrations_dir,
    sqlite_url,
)
from bot.quota import QuotaService

TABLES = {
    "alembic_version",
    "chat_limits",
    "quota_charges",
    "quota_cooldowns",
    "quota_usage",
    "user_preferences",
}


@pytest.fixture
def settings(tmp_path: Path) -> DatabaseSettings:
    return DatabaseSettings(
        sqlite_path=str(tmp_path / "data" / "toonbot.sqlite3"), busy_timeout_ms=1234
    )


@pytest.fixture
async def db(settings: DatabaseSettings) -> AsyncIterator[Database]:
    async with Database(settings) as database:
        yield database


def _tables(path: str) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _versions(path: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]


def test_head_is_the_newest_revision_and_migrations_sit_beside_the_bot_package() -> None:
    assert head_revision() == "0003"
    assert migrations_dir() == Path(__file__).resolve().parents[2] / "migrations"


async def test_entering_migrates_an_empty_database_to_head(settings: DatabaseSettings) -> None:
    path = settings.sqlite_path
    assert not Path(path).exists()
    async with Database(settings) as db:
        assert await db.revision() == head_revision()
    assert _tables(path) == TABLES
    assert _versions(path) == [head_revision()]


async def test_a_second_start_is_a_no_op_that_keeps_the_data(settings: DatabaseSettings) -> None:
    async with Database(settings) as db:
        await QuotaService(db, QuotaSettings()).set_style("tg:1", "sketch")
    async with Database(settings) as db:
        assert await db.revision() == head_revision()
        assert await QuotaService(db, QuotaSettings()).get_style("tg:1") == "sketch"
    assert _versions(settings.sqlite_path) == [head_revision()]


async def test_two_processes_starting_together_migrate_once(settings: DatabaseSettings) -> None:
    # A loaded CI box can hold the first migration's lock for more than the fixture's 1.2 s.
    settings = dataclasses.replace(settings, busy_timeout_ms=30_000)

    async def start() -> str | None:
        async with Database(settings) as db:
            return await db.revision()

    assert list(await asyncio.gather(start(), start())) == [head_revision(), head_revision()]
    assert _versions(settings.sqlite_path) == [head_revision()]


async def test_migrated_schema_matches_the_models(db: Database) -> None:
    def diff(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    async with db.transaction() as conn:
        assert await conn.run_sync(diff) == []


def _charge_columns(path: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[1] for row in conn.execute("PRAGMA table_info(quota_charges)")]


def _charge_indexes(path: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[1] for row in conn.execute("PRAGMA index_list(quota_charges)")]


async def test_0003_downgrades_to_0002_keeping_open_charges_and_upgrades_again(
    settings: DatabaseSettings,
) -> None:
    path = settings.sqlite_path
    async with Database(settings) as db:
        await QuotaService(db, QuotaSettings()).consume(
            "tg:1", "tg:1", platform="telegram", locale="ko"
        )
    assert "locale" in _charge_columns(path)

    # What `alembic downgrade 0002` does when going back to a release before 0003.
    await asyncio.to_thread(command.downgrade, alembic_config(sqlite_url(path)), "0002")
    assert _versions(path) == ["0002"]
    assert "locale" not in _charge_columns(path)
    assert "ix_quota_charges_instance" in _charge_indexes(path)  # the table copy kept its index

    async with Database(settings) as db:  # the next start migrates back up to head
        assert await db.revision() == head_revision()
        async with db.transaction() as conn:
            drift = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
        assert drift == []
        # The charge open across both migrations is still refunded; its language was dropped.
        [charge] = await QuotaService(db, QuotaSettings()).recover()
    assert (charge.user, charge.locale) == ("tg:1", None)


async def test_sqlite_connections_use_wal_and_the_configured_pragmas(db: Database) -> None:
    async with db.transaction() as conn:
        pragmas = {
            name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
            for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "busy_timeout": 1234,
        "synchronous": 1,
        "foreign_keys": 1,
    }


async def test_writers_in_two_processes_take_turns(settings: DatabaseSettings) -> None:
    # BEGIN IMMEDIATE: the second writer waits for the first instead of interleaving with it.
    order: list[str] = []

    async def writer(db: Database, name: str, hold_s: float) -> None:
        async with db.transaction(write=True) as conn:
            order.append(f"{name} in")
            await asyncio.sleep(hold_s)
            await conn.exec_driver_sql("SELECT 1")
            order.append(f"{name} out")

    async with Database(settings) as one, Database(settings) as two:
        first = asyncio.create_task(writer(one, "a", 0.2))
        await asyncio.sleep(0.05)
        await writer(two, "b", 0)
        await first
    assert order == ["a in", "a out", "b in", "b out"]


async def test_writers_in_one_process_queue_without_polling(db: Database) -> None:
    order: list[str] = []

    async def writer(name: str) -> None:
        async with db.transaction(write=True):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(*(writer(str(i)) for i in range(5)))
    assert order == [f"{i} {step}" for i in range(5) for step in ("in", "out")]


async def test_engine_is_only_available_inside_async_with(settings: DatabaseSettings) -> None:
    db = Database(settings)
    with pytest.raises(RuntimeError, match="not open"):
        _ = db.engine
    async with db:
        assert db.engine.dialect.name == "sqlite"
    with pytest.raises(RuntimeError, match="not open"):
        _ = db.engine


def test_url_comes_from_the_setting_or_the_given_url(settings: DatabaseSettings) -> None:
    assert Database(settings).url == sqlite_url(settings.sqlite_path)
    assert Database(settings).url.startswith("sqlite+aiosqlite:///")
    pg = Database(settings, "postgresql+asyncpg://toon:s3cret@db.example/toonbot")
    assert pg.dialect == "postgresql"
    assert "s3cret" not in pg.url


@pytest.mark.parametrize(
    "url",
    ["sqlite:///sync-driver.sqlite3", "postgresql+asyncpg://toon:s3cret@127.0.0.1:1/toonbot"],
)
async def test_unusable_url_is_a_database_error_without_the_password(
    settings: DatabaseSettings, url: str
) -> None:
    with pytest.raises(DatabaseError) as caught:
        async with Database(settings, url):
            pass
    assert "s3cret" not in str(caught.value)
    assert caught.value.url == Database(settings, url).url


def test_quotas_refuse_a_dialect_without_single_statement_upserts(
    settings: DatabaseSettings,
) -> None:
    QuotaService(Database(settings, "postgresql+asyncpg://h/db"), QuotaSettings())
    with pytest.raises(ValueError, match="SQLite or PostgreSQL"):
        QuotaService(Database(settings, "mysql+aiomysql://h/db"), QuotaSettings())


def test_cli_db_upgrade_migrates_the_configured_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TOONBOT_DATABASE_URL", raising=False)
    path = tmp_path / "cli" / "quota.sqlite3"
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nsqlite_path = "{path}"\n')
    expected = f"sqlite+aiosqlite:///{path} is at revision {head_revision()} (head)\n"
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert capsys.readouterr().out == expected
    assert _tables(str(path)) == TABLES
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert capsys.readouterr().out == expected
    assert _versions(str(path)) == [head_revision()]


def test_cli_db_upgrade_reports_an_unusable_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOONBOT_DATABASE_URL", "postgresql+asyncpg://toon:s3cret@127.0.0.1:1/x")
    config = tmp_path / "config.toml"
    config.write_text("")
    assert main(["--config", str(config), "db", "upgrade"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("toonbot: cannot open database postgresql+asyncpg://toon:***@")
    assert "s3cret" not in captured.err
    assert "Traceback" not in captured.err


async def test_a_database_from_a_newer_version_is_refused_untouched(
    settings: DatabaseSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Database(settings):
        pass
    path = Path(settings.sqlite_path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(DatabaseTooNew) as caught:
        async with Database(settings):
            pass
    assert (caught.value.revision, caught.value.head) == ("9999_future", head_revision())
    assert "migrated by a newer ToonBot (schema revision 9999_future" in str(caught.value)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("9999_future",)
        ]
    # The command says it in one line, no traceback.
    config = tmp_config(path)
    assert await asyncio.to_thread(main, ["--config", str(config), "db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("toonbot: cannot open database") and "Traceback" not in err
    assert "restore the backup taken before it ran" in err


def tmp_config(database: Path) -> Path:
    config = database.parent / "config.toml"
    config.write_text(f'[database]\nsqlite_path = "{database}"\n', encoding="utf-8")
    return config
