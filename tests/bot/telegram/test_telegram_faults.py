"""Through the fake Bot API: a crashing model and hostile files cost the user nothing."""

from __future__ import annotations

from bot import messages
from tests.bot.telegram.conftest import Toonbot, photo_bytes

USER = 1001


async def used_today(bot: Toonbot, user: int = USER) -> int:
    status = await bot.quota.status(f"tg:{user}", f"tg:{user}")
    return status.used_today


async def test_model_crash_is_answered_refunded_and_the_next_photo_works(toonbot: Toonbot) -> None:
    fake, webtoon = toonbot.fake, toonbot.styles["webtoon"]
    webtoon.fail = True
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: messages.FAILED in fake.texts(USER))
    assert fake.find("sendPhoto", ok=None) == []
    assert await used_today(toonbot) == 0
    assert all("exploded" not in t for t in fake.texts(USER))

    webtoon.fail = False  # the model recovers; the engine has to as well
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER))
    assert toonbot.engine.restarts == 1
    assert await used_today(toonbot) == 1
