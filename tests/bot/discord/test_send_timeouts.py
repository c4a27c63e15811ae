"""Discord: a followup that times out after its upload was written is settled as delivered,
never refunded or called failed, never posted twice; one cut off before is refunded. And the
byte budget: a clip over it is told "busy" and refunded."""

from __future__ import annotations

import asyncio

import pytest

from bot import messages
from bot.budget import ByteBudget, upload_cost
from bot.discord import transfer
from tests.bot.charges import charges_closed
from tests.bot.discord.conftest import Toonbot, make_frontend
from tests.bot.harness import photo_bytes
from tests.fakes.clips import make_clip
from tests.fakes.discord_server import Call, FakeDiscord, Interaction
from tests.fakes.discord_users import GUILD

USER = 1001


@pytest.fixture(autouse=True)
def quick_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "ANSWER_WAIT_S", 0.5)


async def used_today(bot: Toonbot, user: int = USER) -> int:
    return (await bot.quota.status(f"dc:{user}", f"dc:{GUILD}")).used_today


def followup_posts(fake: FakeDiscord, record: Interaction) -> list[Call]:
    return [c for c in fake.calls_for(record) if c.method == "POST" and "callback" not in c.path]


async def test_a_picture_posted_but_never_confirmed_is_settled_and_not_called_failed(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    fake.stall_next("POST", "webhooks/", 20.0)  # aiohttp alone would wait 5 minutes
    record = await fake.toon(USER, fake.upload(photo_bytes()))
    await fake.wait_for(lambda: fake.results(record))
    await charges_closed(toonbot.quota)
    await asyncio.sleep(0.5)  # room for a wrong retry or a late failure message
    assert len(followup_posts(fake, record)) == 1 and len(fake.results(record)) == 1
    assert messages.FAILED not in fake.ephemeral_texts(record)
    assert await used_today(toonbot) == 1


async def test_a_clip_posted_but_never_confirmed_is_settled_and_not_called_failed(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    fake.stall_next("POST", "webhooks/", 20.0)
    clip = fake.upload(make_clip(audio=False), "clip.mp4", "video/mp4")
    record = await fake.toon(USER, clip)
    await fake.wait_for(lambda: fake.results(record))
    await charges_closed(toonbot.quota)
    await asyncio.sleep(0.5)
    assert len(followup_posts(fake, record)) == 1 and len(fake.results(record)) == 1
    assert messages.FAILED not in fake.ephemeral_texts(record)
    assert await used_today(toonbot) == 1


async def test_a_send_that_never_got_its_upload_out_is_refunded() -> None:
    # A send stuck before its body was read to the end: nothing can have been posted.
    upload = transfer.Upload(b"x" * 1000)

    async def stuck() -> None:
        upload.read(10)
        await asyncio.sleep(5)

    with pytest.raises(TimeoutError):
        await transfer.send_bounded(stuck, [upload])
    assert upload.written_at is None


async def test_a_clip_over_the_byte_budget_is_told_busy_and_refunded(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    await toonbot.frontend.stop()
    clip = make_clip(audio=False)
    # Room for one such clip, not two.
    budget = ByteBudget(upload_cost(len(clip), moving=True) * 3 // 2, wait_s=0.3)
    toonbot.frontend = make_frontend(fake, toonbot.engine, toonbot.quota, budget=budget)
    await toonbot.frontend.start()
    toonbot.styles["webtoon"].hold()  # the first clip holds its bytes while it is drawn
    first = await fake.toon(USER, fake.upload(clip, "a.mp4", "video/mp4"))
    await fake.wait_for(lambda: budget.in_use > 0)
    second = await fake.toon(USER + 1, fake.upload(clip, "b.mp4", "video/mp4"))
    await fake.wait_for(lambda: messages.UPLOADS_BUSY in fake.ephemeral_texts(second))
    assert await used_today(toonbot, USER + 1) == 0  # refunded
    toonbot.styles["webtoon"].allow(100)
    await fake.wait_for(lambda: fake.results(first))
    await charges_closed(toonbot.quota)
    assert await used_today(toonbot) == 1 and budget.in_use == 0
    assert fake.results(second) == []
