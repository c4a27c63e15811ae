"""`toonbot run` refunds what this instance left open when it died, tells those users on both
platforms once, and leaves other instances' charges alone."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot import messages
from bot.app import run_bots
from bot.config import (
    DISCORD_TOKEN_ENV,
    TELEGRAM_TOKEN_ENV,
    DatabaseSettings,
    QuotaSettings,
    parse_config,
)
from bot.db import Database
from bot.i18n import lang_for
from bot.quota import QuotaService
from tests.bot.discord.conftest import Toonbot, make_frontend
from tests.bot.harness import photo_bytes
from tests.fakes.discord_server import TOKEN, Call, FakeDiscord
from tests.fakes.discord_users import CHANNEL, GUILD
from tests.fakes.telegram_server import FakeTelegram

TG_USER, DC_USER = 1001, 2002
KOREAN = 3003


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


async def test_a_restart_tells_each_discord_user_in_the_language_they_asked_in(
    toonbot: Toonbot, tmp_path: Path
) -> None:
    fake, webtoon = toonbot.fake, toonbot.styles["webtoon"]
    ko_notice = lang_for("ko")(messages.DC_RESTARTED)
    assert ko_notice != messages.DC_RESTARTED  # the catalogue translates it: the check below bites
    webtoon.hold()
    await fake.toon(KOREAN, fake.upload(photo_bytes()), locale="ko")
    await fake.toon(DC_USER, fake.upload(photo_bytes()), locale="en-US")
    for _ in range(1000):  # both counted, and held in the model: the process dies now
        if await toonbot.quota.open_charges() == 2:
            break
        await asyncio.sleep(0.01)
    path = tmp_path / "quota.sqlite3"
    with sqlite3.connect(path) as conn:  # the migrated file is all a restart keeps
        stored = dict(conn.execute("SELECT user_key, locale FROM quota_charges").fetchall())
    assert stored == {f"dc:{KOREAN}": "ko", f"dc:{DC_USER}": "en"}

    # The next process: its own database handle on that file, recovery, then a fresh frontend.
    async with Database(DatabaseSettings(sqlite_path=str(path))) as db:
        quota = QuotaService(db, QuotaSettings(cooldown_s=0))
        recovered = await quota.recover()
        frontend = make_frontend(fake, toonbot.engine, quota)
        await frontend.start()
        try:
            await frontend.notify_restarted(recovered)
        finally:
            await frontend.stop()
    assert sorted(c.locale or "" for c in recovered) == ["en", "ko"]
    posted = [c.body["content"] for c in notices(fake)]
    korean, english = (
        ko_notice.format(mention=f"<@{KOREAN}>"),
        messages.DC_RESTARTED.format(mention=f"<@{DC_USER}>"),
    )
    assert sorted(posted) == sorted([korean, english])
