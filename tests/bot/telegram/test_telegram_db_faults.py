"""The quota database deleted or full while the bot runs, end to end through the fake Bot API:
users are told "quota unavailable", nothing is drawn or charged, the log gets one line."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import messages
from tests.bot.charges import charges_closed
from tests.bot.harness import photo_bytes
from tests.bot.telegram.conftest import Toonbot
from tests.bot.test_db_full import PageCap, fill_up
from tests.fakes.telegram_server import FakeTelegram

USERS = (1001, 1002, 1003)


def backup(path: Path, to: Path) -> None:
    with sqlite3.connect(path) as src, sqlite3.connect(to) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def told_unavailable(fake: FakeTelegram, user: int) -> Callable[[], bool]:
    return lambda: messages.QUOTA_UNAVAILABLE in fake.texts(user)


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_deleted_database_refuses_photos_and_charges_nothing_until_restored(
    toonbot: Toonbot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake, path = toonbot.fake, tmp_path / "quota.sqlite3"
    backup(path, tmp_path / "backup.sqlite3")
    path.unlink()
    for user in USERS:
        fake.push_photo(user, photo_bytes())
        await fake.wait_for(told_unavailable(fake, user))
    assert fake.find("sendPhoto", ok=None) == [] and toonbot.images_drawn == 0
    assert not path.exists(), "an empty database was created in its place"
    (line,) = problems(caplog)
    assert line.name == "bot.db" and str(path) in line.message and line.exc_info is None

    # The operator restores the backup: the same user is served and charged once, in it.
    os.replace(tmp_path / "backup.sqlite3", path)
    fake.push_photo(USERS[0], photo_bytes())
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USERS[0]))
    await charges_closed(toonbot.quota)
    with sqlite3.connect(path) as conn:
        counted = conn.execute("SELECT scope, used FROM quota_usage").fetchall()
    conn.close()
    assert counted == [(f"day tg:{USERS[0]} tg:{USERS[0]}", 1)]


async def test_a_full_database_refuses_photos_with_one_log_line(
    toonbot: Toonbot, caplog: pytest.LogCaptureFixture
) -> None:
    fake = toonbot.fake
    cap = PageCap(toonbot.quota._db)
    await cap.set(True)
    await fill_up(toonbot.quota)
    before = await toonbot.quota.open_charges()
    for user in USERS:
        fake.push_photo(user, photo_bytes())
        await fake.wait_for(told_unavailable(fake, user))
    assert fake.find("sendPhoto", ok=None) == [] and toonbot.images_drawn == 0
    assert await toonbot.quota.open_charges() == before
    (line,) = problems(caplog)
    assert "is full (database or disk is full)" in line.message and line.exc_info is None

    # Space is freed: the next photo is drawn, delivered and its charge settled.
    await cap.set(False)
    fake.push_photo(USERS[0], photo_bytes())
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USERS[0]))
    for _ in range(500):
        if await toonbot.quota.open_charges() == before:
            break
        await asyncio.sleep(0.01)
    assert await toonbot.quota.open_charges() == before
    assert (await toonbot.quota.status(f"tg:{USERS[0]}", f"tg:{USERS[0]}")).used_today == 1


async def test_quota_and_admin_commands_say_unavailable_when_the_database_is_gone(
    toonbot: Toonbot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake, group, admin = toonbot.fake, -1001234, 7
    fake.set_member(group, admin, "administrator")
    (tmp_path / "quota.sqlite3").unlink()
    fake.push_text(USERS[0], "/quota")
    await fake.wait_for(told_unavailable(fake, USERS[0]))
    fake.push_text(admin, "/limits", chat_id=group)
    fake.push_text(admin, "/setlimit daily_per_user 3", chat_id=group)
    await fake.wait_for(lambda: fake.texts(group).count(messages.QUOTA_UNAVAILABLE) == 2)
    assert all(r.name == "bot.db" for r in problems(caplog))  # the loss, and no traceback
