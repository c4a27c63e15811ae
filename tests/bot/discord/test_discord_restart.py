"""`toonbot run` refunds what this instance left open when it died, tells those users on both
platforms once, and leaves other instances' charges alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot import messages
from bot.app import run_bots
from bot.config import DISCORD_TOKEN_ENV, TELEGRAM_TOKEN_ENV, DatabaseSettings, parse_config
from bot.db import Database
from bot.quota import QuotaService
from tests.fakes.discord_server import TOKEN, Call, FakeDiscord
from tests.fakes.discord_users import CHANNEL, GUILD
from tests.fakes.telegram_server import FakeTelegram

TG_USER, DC_USER = 1001, 2002


def notices(fake: FakeDiscord) -> list[Call]:
    return [c for c in fake.calls if c.path == f"channels/{CHANNEL}/messages"]


async def test_run_refunds_charges_left_by_a_dead_process_once(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    path = tmp_path / "toonbot.sqlite3"
    data = {
        "bot": {"instance": "bot-a"},
        "database": {"sqlite_path": str(path)},
        "engine": {"device": "cpu", "max_wait_ms": 5},
        "quota": {"cooldown_s": 0},
    }
    # What "bot-a" left when it was killed mid-job, and a job "bot-b" still has in flight.
    async with Database(DatabaseSettings(sqlite_path=str(path))) as db:
        config = parse_config(data, env={})
        dead = QuotaService(db, config.quota, instance="bot-a")
        await dead.consume(
            f"tg:{TG_USER}",
            f"tg:{TG_USER}",
            notify_chat=str(TG_USER),
            notify_message="42",
            platform="telegram",
        )
        await dead.consume(
            f"dc:{DC_USER}", f"dc:{GUILD}", notify_chat=str(CHANNEL), platform="discord"
        )
        alive = QuotaService(db, config.quota, instance="bot-b")
        await alive.consume(
            "tg:5", "tg:5", notify_chat="5", notify_message="1", platform="telegram"
        )

    async with FakeTelegram() as telegram:
        data["telegram"] = {"api_url": telegram.url}
        env = {TELEGRAM_TOKEN_ENV: telegram.token, DISCORD_TOKEN_ENV: TOKEN}
        for attempt in (1, 2):
            stop = asyncio.Event()
            task = asyncio.create_task(run_bots(parse_config(data, env=env), stop=stop))
            await fake.wait_for(lambda n=attempt: fake.identified == n, timeout=60)
            await telegram.wait_for(lambda: telegram.find("getUpdates"), timeout=60)
            if attempt == 1:
                [told] = await telegram.wait_for(lambda: telegram.find("sendMessage"))
                [post] = await fake.wait_for(lambda: notices(fake))
            stop.set()
            assert await asyncio.wait_for(task, timeout=30) == 0

    assert (told.params["chat_id"], told.params["text"]) == (TG_USER, messages.RESTARTED)
    assert told.params["reply_parameters"]["message_id"] == 42
    assert post.body["content"] == messages.DC_RESTARTED.format(mention=f"<@{DC_USER}>")
    assert len(telegram.find("sendMessage")) == 1 and len(notices(fake)) == 1  # once, not twice
    async with Database(DatabaseSettings(sqlite_path=str(path))) as db:
        quota = QuotaService(db, config.quota, instance="bot-b")
        assert (await quota.status(f"tg:{TG_USER}", f"tg:{TG_USER}")).used_today == 0
        assert (await quota.status(f"dc:{DC_USER}", f"dc:{GUILD}")).used_today == 0
        assert (await quota.status("tg:5", "tg:5")).used_today == 1
        assert await quota.open_charges() == 1  # bot-b's job is its own business
