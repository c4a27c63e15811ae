"""Telegram API faults (429, 5xx) and a locked database, end to end through the fake Bot API."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot import messages
from bot.telegram import retry
from tests.bot.charges import charges_closed
from tests.bot.harness import photo_bytes
from tests.bot.telegram.conftest import Toonbot
from tests.fakes.telegram_server import Call, FakeTelegram

USER = 1001


async def used_today(bot: Toonbot, user: int = USER) -> int:
    status = await bot.quota.status(f"tg:{user}", f"tg:{user}")
    return status.used_today


def attempts(fake: FakeTelegram, method: str) -> list[Call]:
    return fake.find(method, chat_id=USER, ok=None)


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "RETRY_DELAYS_S", (0.05, 0.1, 0.2))


async def test_a_429_on_send_photo_is_waited_out_and_delivered_once(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.fail_next("sendPhoto", 429, retry_after=1)
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER))
    refused, delivered = attempts(fake, "sendPhoto")
    assert (refused.error_code, delivered.ok) == (429, True)
    assert delivered.at - refused.at >= 1.0  # retry_after was honoured
    await charges_closed(toonbot.quota)
    assert len(fake.find("sendPhoto", chat_id=USER)) == 1
    assert await used_today(toonbot) == 1


async def test_a_429_on_send_document_is_waited_out_and_the_file_sent_once(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    fake.fail_next("sendDocument", 429, retry_after=1)
    fake.push_document(USER, photo_bytes(fmt="PNG"), file_name="me.png", mime_type="image/png")
    await fake.wait_for(lambda: fake.find("sendDocument", chat_id=USER))
    refused, delivered = attempts(fake, "sendDocument")
    assert (refused.error_code, delivered.ok) == (429, True)
    assert delivered.at - refused.at >= 1.0
    await charges_closed(toonbot.quota)
    assert len(fake.find("sendPhoto", chat_id=USER)) == 1
    assert await used_today(toonbot) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
@pytest.mark.usefixtures("quick_retries")
async def test_a_server_error_on_send_photo_is_retried_and_delivered_once(
    toonbot: Toonbot, status: int
) -> None:
    fake = toonbot.fake
    fake.fail_next("sendPhoto", status, times=2)
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER))
    tries = attempts(fake, "sendPhoto")
    assert [c.error_code for c in tries] == [status, status, None]
    assert tries[1].at - tries[0].at >= 0.05 and tries[2].at - tries[1].at >= 0.1  # backoff
    await charges_closed(toonbot.quota)
    assert await used_today(toonbot) == 1
    assert messages.FAILED not in fake.texts(USER)


@pytest.mark.usefixtures("quick_retries")
async def test_a_result_telegram_never_takes_is_refunded_with_a_message(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.fail_next("sendPhoto", 502, times=len(retry.RETRY_DELAYS_S) + 1)
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: messages.FAILED in fake.texts(USER))
    assert len(attempts(fake, "sendPhoto")) == len(retry.RETRY_DELAYS_S) + 1
    assert fake.find("sendPhoto", chat_id=USER) == []
    await charges_closed(toonbot.quota)
    assert await used_today(toonbot) == 0


@pytest.mark.database(busy_timeout_ms=100)
async def test_a_locked_database_gets_a_friendly_reply_and_charges_nothing(
    toonbot: Toonbot, tmp_path: Path
) -> None:
    fake = toonbot.fake
    # Another process holds the write lock for longer than busy_timeout.
    other = sqlite3.connect(tmp_path / "quota.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        fake.push_photo(USER, photo_bytes())
        await fake.wait_for(lambda: messages.QUOTA_UNAVAILABLE in fake.texts(USER))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert fake.find("sendPhoto", ok=None) == [] and toonbot.images_drawn == 0
    assert await used_today(toonbot) == 0
    assert await toonbot.quota.open_charges() == 0
    # Once the lock is gone the same user is served (and charged) normally.
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER))
    await charges_closed(toonbot.quota)
    assert await used_today(toonbot) == 1
