"""Discord API faults (429, 5xx) and a locked database, end to end through the fake Discord."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot import messages
from tests.bot.charges import charges_closed
from tests.bot.discord.conftest import Toonbot
from tests.bot.harness import photo_bytes
from tests.fakes.discord_server import Call, FakeDiscord, Interaction
from tests.fakes.discord_users import GUILD

USER = 1001


async def used_today(bot: Toonbot, user: int = USER) -> int:
    status = await bot.quota.status(f"dc:{user}", f"dc:{GUILD}")
    return status.used_today


def followup_posts(fake: FakeDiscord, record: Interaction) -> list[Call]:
    return [c for c in fake.calls_for(record) if c.method == "POST" and "callback" not in c.path]


@pytest.mark.parametrize("status", [429, 500])
async def test_a_refused_followup_is_retried_and_delivered_once(
    toonbot: Toonbot, status: int
) -> None:
    fake = toonbot.fake
    fake.fail_next("POST", "webhooks/", status, retry_after=0.3)
    record = await fake.toon(USER, fake.upload(photo_bytes()))
    await fake.wait_for(lambda: fake.results(record))
    refused, delivered = followup_posts(fake, record)
    assert (refused.status, delivered.status) == (status, 200)
    # retry_after for a 429; discord.py's own backoff (1 s first) for a 5xx.
    assert delivered.at - refused.at >= (0.3 if status == 429 else 1.0)
    await charges_closed(toonbot.quota)
    assert len(fake.results(record)) == 1 and len(record.followups) == 1
    assert await used_today(toonbot) == 1


async def test_a_rate_limited_status_edit_is_retried(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.fail_next("PATCH", "messages/@original", 429, retry_after=0.3)
    record = await fake.toon(USER, fake.upload(photo_bytes()))
    await fake.wait_for(lambda: fake.results(record))
    patches = [c for c in fake.calls_for(record) if c.method == "PATCH"]
    assert [c.status for c in patches[:2]] == [429, 200]
    assert patches[0].body == patches[1].body  # the same edit, sent again
    assert patches[1].at - patches[0].at >= 0.3
    await charges_closed(toonbot.quota)
    assert len(fake.results(record)) == 1
    assert await used_today(toonbot) == 1


@pytest.mark.database(busy_timeout_ms=100)
async def test_a_locked_database_gets_a_friendly_reply_and_charges_nothing(
    toonbot: Toonbot, tmp_path: Path
) -> None:
    fake = toonbot.fake
    other = sqlite3.connect(tmp_path / "quota.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        record = await fake.toon(USER, fake.upload(photo_bytes()))
        await fake.wait_for(lambda: messages.QUOTA_UNAVAILABLE in fake.ephemeral_texts(record))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert fake.results(record) == [] and toonbot.images_drawn == 0
    assert await used_today(toonbot) == 0
    assert await toonbot.quota.open_charges() == 0
