"""The SQLite file and its -wal and -shm are private (0600), whatever the umask; a database made
by an older version open to others is made private at start."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import DatabaseSettings, QuotaSettings
from bot.db import Database
from bot.quota import QuotaService

SUFFIXES = ("", "-wal", "-shm")


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0)  # files would be created 0666 unless the bot says otherwise
    try:
        yield
    finally:
        os.umask(old)


def modes(path: Path) -> dict[str, int]:
    return {
        suffix or "main": stat.S_IMODE(os.stat(f"{path}{suffix}").st_mode) for suffix in SUFFIXES
    }


@pytest.mark.usefixtures("loose_umask")
async def test_a_new_database_and_its_journals_are_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "data" / "quota.sqlite3"
    async with Database(DatabaseSettings(sqlite_path=str(path))) as db:
        await QuotaService(db, QuotaSettings()).consume("tg:1", "tg:1", platform="telegram")
        assert modes(path) == {"main": 0o600, "-wal": 0o600, "-shm": 0o600}


@pytest.mark.usefixtures("loose_umask")
async def test_an_existing_database_open_to_others_is_made_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "quota.sqlite3"
    async with Database(DatabaseSettings(sqlite_path=str(path))) as db:
        await QuotaService(db, QuotaSettings()).consume("tg:1", "tg:1", platform="telegram")
    # As an older version left it: readable by all, with a WAL and index beside it.
    keep = sqlite3.connect(path)
    keep.execute("PRAGMA wal_autocheckpoint = 0")
    keep.execute("CREATE TABLE IF NOT EXISTS scratch (x)")
    keep.commit()
    for suffix in SUFFIXES:
        os.chmod(f"{path}{suffix}", 0o644)
    try:
        async with Database(DatabaseSettings(sqlite_path=str(path))) as db:
            status = await QuotaService(db, QuotaSettings()).status("tg:1", "tg:1")
            assert status.used_today == 1  # same data
            assert modes(path) == {"main": 0o600, "-wal": 0o600, "-shm": 0o600}
    finally:
        keep.close()
    made_private = [r for r in caplog.records if "made" in r.message and "private" in r.message]
    assert len(made_private) == 3 and all(r.levelno == logging.WARNING for r in made_private)
