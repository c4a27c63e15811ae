"""A bot process that dies with a picture in flight: the next start refunds it once and says so."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot import messages
from bot.config import DatabaseSettings, QuotaSettings
from bot.db import Database
from bot.i18n import lang_for
from bot.quota import QuotaService
from tests.bot.charges import charges_closed
from tests.bot.harness import photo_bytes
from tests.bot.telegram.conftest import Toonbot, make_frontend
from tests.fakes.telegram_server import Call

USER = 1001
KOREAN = 1002
LIMITS = QuotaSettings(daily_per_user=20, cooldown_s=0, per_chat_per_hour=0)


async def used_today(quota: QuotaService) -> int:
    return (await quota.status(f"tg:{USER}", f"tg:{USER}")).used_today


async def restart(toonbot: Toonbot, path: Path) -> int:
    """Start a new process on the same database: recover, then tell users; return how many."""
    async with Database(DatabaseSettings(sqlite_path=str(path))) as db:
        quota = QuotaService(db, LIMITS)
        recovered = await quota.recover()
        frontend = make_frontend(toonbot.fake, toonbot.engine, quota)
        await frontend.start()
        try:
            await frontend.notify_restarted(recovered)
        finally:
            await frontend.stop()
    return len(recovered)


async def test_a_delivered_picture_leaves_no_open_charge(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER))
    await charges_closed(toonbot.quota)
    assert await used_today(toonbot.quota) == 1


async def test_a_restart_refunds_the_picture_in_flight_once_and_tells_the_user(
    toonbot: Toonbot, tmp_path: Path
) -> None:
    fake, webtoon = toonbot.fake, toonbot.styles["webtoon"]
    fake.push_photo(USER, photo_bytes())  # one delivered picture that must stay counted
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER))
    await charges_closed(toonbot.quota)
    webtoon.hold()
    sent = fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: webtoon.images == 2)  # charged, and sitting in the model
    assert await used_today(toonbot.quota) == 2
    assert await toonbot.quota.open_charges() == 1

    # The process dies here: it stops talking to Telegram, and all it leaves is the database.
    updater = toonbot.frontend.application.updater
    assert updater is not None
    await updater.stop()
    path = tmp_path / "quota.sqlite3"
    assert await restart(toonbot, path) == 1
    [notice] = await fake.wait_for(
        lambda: [
            c
            for c in fake.find("sendMessage", chat_id=USER)
            if c.params["text"] == messages.RESTARTED
        ]
    )
    assert notice.params["reply_parameters"]["message_id"] == sent["message_id"]
    assert await used_today(toonbot.quota) == 1
    assert await toonbot.quota.open_charges() == 0

    assert await restart(toonbot, path) == 0  # a second restart finds nothing to refund
    # Should the old job still end (it cannot after a real crash), its refund is a no-op.
    webtoon.fail = True
    webtoon.allow()
    await fake.wait_for(lambda: messages.FAILED in fake.texts(USER))
    assert await used_today(toonbot.quota) == 1
    assert fake.texts(USER).count(messages.RESTARTED) == 1


async def open_charges(quota: QuotaService, n: int) -> None:
    """Wait until `n` charges are open: those jobs were counted and are being drawn."""
    for _ in range(1000):
        if await quota.open_charges() == n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never {n} open charges")


def stored_locales(path: Path) -> dict[str, str | None]:
    """What the ledger on disk keeps per user: the language code each open charge carries."""
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT user_key, locale FROM quota_charges").fetchall())


async def test_the_restart_notice_is_in_the_language_of_each_user_whose_picture_it_cut_short(
    toonbot: Toonbot, tmp_path: Path
) -> None:
    fake, webtoon = toonbot.fake, toonbot.styles["webtoon"]
    fake.languages[KOREAN] = "ko-KR"
    fake.languages[USER] = "en-US"
    ko_notice = lang_for("ko")(messages.RESTARTED)
    assert ko_notice != messages.RESTARTED  # the catalogue translates it: the check below bites
    webtoon.hold()
    korean = fake.push_photo(KOREAN, photo_bytes())
    english = fake.push_photo(USER, photo_bytes())
    await open_charges(toonbot.quota, 2)
    path = tmp_path / "quota.sqlite3"
    # The language travels in the migrated SQLite file, the only thing a restart keeps.
    assert stored_locales(path) == {f"tg:{KOREAN}": "ko", f"tg:{USER}": "en"}

    updater = toonbot.frontend.application.updater
    assert updater is not None
    await updater.stop()  # the process dies with both pictures in the model
    assert await restart(toonbot, path) == 2

    def both_notices() -> dict[int, Call]:
        found = {
            c.params["chat_id"]: c
            for c in fake.find("sendMessage")
            if c.params["text"] in (ko_notice, messages.RESTARTED)
        }
        return found if len(found) == 2 else {}  # empty: wait_for keeps polling

    by_chat = await fake.wait_for(both_notices)
    assert {chat: c.params["text"] for chat, c in by_chat.items()} == {
        KOREAN: ko_notice,
        USER: messages.RESTARTED,
    }
    assert by_chat[KOREAN].params["reply_parameters"]["message_id"] == korean["message_id"]
    assert by_chat[USER].params["reply_parameters"]["message_id"] == english["message_id"]
    assert stored_locales(path) == {}  # refunded: the language went with the charge
