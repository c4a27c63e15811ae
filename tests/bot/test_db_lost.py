"""The SQLite file deleted or replaced while the bot runs: refused, logged once, never re-created
empty, and taken back when a ToonBot database is restored at its path. Real files, real
migrations, the real quota service."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import messages
from bot.config import DatabaseSettings, QuotaSettings
from bot.db import Database, head_revision
from bot.quota import QuotaDatabaseLost, QuotaService, QuotaUnavailable

CHAT = "tg:-100"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "quota.sqlite3"


@pytest.fixture
async def quota(path: Path) -> AsyncIterator[QuotaService]:
    async with Database(DatabaseSettings(sqlite_path=str(path))) as db:
        yield QuotaService(db, QuotaSettings(daily_per_user=5, cooldown_s=0, per_chat_per_hour=0))


def backup(path: Path, to: Path) -> None:
    """A consistent copy through SQLite's backup API, as an operator's backup would be."""
    with sqlite3.connect(path) as src, sqlite3.connect(to) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def errors_about(caplog: pytest.LogCaptureFixture, path: Path) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR and str(path) in r.message]


async def used(quota: QuotaService, user: str) -> int:
    return (await quota.status(user, CHAT)).used_today


async def test_a_deleted_file_refuses_charges_logs_once_and_is_not_recreated(
    quota: QuotaService, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await quota.consume("tg:1", CHAT, platform="telegram")
    path.unlink()
    for user in ("tg:1", "tg:2", "tg:3"):
        with pytest.raises(QuotaDatabaseLost) as refused:
            await quota.consume(user, CHAT, platform="telegram")
        assert isinstance(refused.value, QuotaUnavailable)
        assert refused.value.path == str(path)
        assert messages.quota_message(refused.value) == messages.QUOTA_UNAVAILABLE
    # Reads are refused too, but a style lookup falls back to the default (None).
    with pytest.raises(QuotaDatabaseLost):
        await quota.status("tg:1", CHAT)
    assert await quota.get_style("tg:1") is None
    assert not path.exists(), "an empty database was created in its place"
    (line,) = errors_about(caplog, path)
    assert "deleted" in line.message and "refused" in line.message
    assert line.exc_info is None


async def test_a_backup_restored_at_the_path_is_taken_back_and_the_lost_journal_set_aside(
    quota: QuotaService, path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await quota.consume("tg:1", CHAT, platform="telegram")
    backup(path, tmp_path / "backup.sqlite3")
    # After the backup: lives only in the lost file's WAL.
    await quota.consume("tg:1", CHAT, platform="telegram")
    wal = path.with_name(path.name + "-wal")
    assert wal.exists()
    path.unlink()
    with pytest.raises(QuotaDatabaseLost):
        await quota.consume("tg:1", CHAT, platform="telegram")

    os.replace(tmp_path / "backup.sqlite3", path)
    caplog.clear()
    grant = await quota.consume("tg:1", CHAT, platform="telegram")
    # The backup's one count and this one: the lost WAL was not replayed into the backup.
    assert grant.used_today == 2
    assert await used(quota, "tg:1") == 2
    (aside,) = tmp_path.glob(f"{path.name}-wal.lost-*")
    assert aside.stat().st_size > 0
    back = [r for r in caplog.records if "is back" in r.message]
    assert len(back) == 1 and back[0].levelno == logging.WARNING
    assert errors_about(caplog, path) == []


async def test_a_file_restored_by_hard_link_resumes_with_its_own_journal(
    quota: QuotaService, path: Path, tmp_path: Path
) -> None:
    await quota.consume("tg:1", CHAT, platform="telegram")
    keep = tmp_path / "keep.sqlite3"
    os.link(path, keep)
    path.unlink()
    with pytest.raises(QuotaDatabaseLost):
        await quota.consume("tg:1", CHAT, platform="telegram")
    os.link(keep, path)  # the very same file is back
    assert (await quota.consume("tg:1", CHAT, platform="telegram")).used_today == 2
    assert list(tmp_path.glob("*.lost-*")) == []


async def test_a_foreign_file_in_its_place_is_never_migrated_or_used(
    quota: QuotaService, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await quota.consume("tg:1", CHAT, platform="telegram")
    path.unlink()
    with pytest.raises(QuotaDatabaseLost):
        await quota.consume("tg:1", CHAT, platform="telegram")
    path.touch()  # an empty file: SQLite would take it as an empty database
    for _ in range(3):
        with pytest.raises(QuotaDatabaseLost) as refused:
            await quota.consume("tg:1", CHAT, platform="telegram")
        reason = refused.value.reason
        assert f"not {head_revision()}" in reason or "not usable" in reason
    assert path.stat().st_size == 0, "tables were created in the foreign file"
    errors = errors_about(caplog, path)
    assert [r.message.split(":")[0] for r in errors] == [
        f"the quota database {path} was deleted while the bot ran",
        f"not using the file now at {path}",
    ]


async def test_a_file_replaced_while_running_is_noticed(
    quota: QuotaService, path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await quota.consume("tg:1", CHAT, platform="telegram")
    other = tmp_path / "other.sqlite3"
    other.write_bytes(b"")
    os.replace(other, path)  # renamed over it: the path never went missing
    with pytest.raises(QuotaDatabaseLost):
        await quota.consume("tg:1", CHAT, platform="telegram")
    assert any("replaced" in r.message for r in errors_about(caplog, path))
    assert path.stat().st_size == 0


async def test_a_job_running_when_the_file_goes_settles_or_refunds_with_one_warning(
    quota: QuotaService, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.pipeline.charges import refund_quietly, settle_quietly

    drawn, failed = (
        await quota.consume("tg:1", CHAT, platform="telegram"),
        await quota.consume("tg:2", CHAT, platform="telegram"),
    )
    path.unlink()
    with caplog.at_level(logging.WARNING, logger="bot.pipeline.charges"):
        await settle_quietly(quota, drawn)
        await refund_quietly(quota, failed, None, "telegram")
    mine = [r for r in caplog.records if r.name == "bot.pipeline.charges"]
    assert [r.levelno for r in mine] == [logging.WARNING, logging.WARNING]
    assert all(r.exc_info is None for r in mine)  # one line each, no traceback
    assert "could not settle" in mine[0].getMessage()
    assert "could not refund" in mine[1].getMessage()
