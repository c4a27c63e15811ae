"""A send that times out is "outcome unknown", not "failed": settled when the upload was out,
sent again when it never was, never refunded for a result that sits in the chat."""

from __future__ import annotations

import asyncio
import os

import pytest
from telegram import Bot, InputFile

from bot import messages
from bot.telegram import retry
from tests.bot.charges import charges_closed
from tests.bot.harness import photo_bytes
from tests.bot.telegram.conftest import Toonbot
from tests.fakes.clips import make_clip
from tests.fakes.telegram_server import FakeTelegram

USER = 1001


@pytest.fixture(autouse=True)
def quick_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "RETRY_DELAYS_S", (0.05, 0.1, 0.2))
    monkeypatch.setattr(retry, "READ_TIMEOUT_S", 0.5)


async def used_today(bot: Toonbot) -> int:
    return (await bot.quota.status(f"tg:{USER}", f"tg:{USER}")).used_today


async def test_a_photo_posted_but_never_confirmed_is_settled_and_not_called_failed(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    fake.stall_next("sendPhoto", 6.0)  # posted at once; answered after PTB's default 5 s too
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER))
    await charges_closed(toonbot.quota)
    await asyncio.sleep(0.5)  # room for a wrong retry or a late failure message
    assert len(fake.find("sendPhoto", chat_id=USER, ok=None)) == 1  # never sent twice
    assert messages.FAILED not in fake.texts(USER)
    assert await used_today(toonbot) == 1  # charged once, not refunded
    assert not [key for key in fake.messages if key[0] == USER and "text" in fake.messages[key]]


async def test_a_clip_posted_but_never_confirmed_is_settled_and_not_called_failed(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    fake.stall_next("sendVideo", 6.0)
    fake.push_video(USER, make_clip(audio=False))
    await fake.wait_for(lambda: fake.find("sendVideo", chat_id=USER))
    await charges_closed(toonbot.quota)
    await asyncio.sleep(0.5)
    assert len(fake.find("sendVideo", chat_id=USER, ok=None)) == 1
    assert messages.FAILED not in fake.texts(USER)
    assert await used_today(toonbot) == 1


async def test_an_upload_cut_off_before_it_was_written_is_sent_again_once(
    fake: FakeTelegram,
) -> None:
    # The fake reads nothing for 3 s, so a body bigger than the socket buffers stalls half
    # written: a write timeout, which Telegram cannot have acted on.
    payload = os.urandom(48 * 1024 * 1024)
    fake.stall_next("sendDocument", 3.0, before="body")
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        sent = await retry.retry_send(
            lambda: bot.send_document(
                chat_id=USER,
                document=InputFile(payload, filename="big.bin"),
                write_timeout=0.5,
                read_timeout=10,
            )
        )
    assert sent.document is not None
    delivered = fake.find("sendDocument", chat_id=USER)
    assert len(delivered) == 1 and delivered[0].files["document"] == payload


async def test_a_timeout_after_the_upload_was_written_is_never_sent_again(
    fake: FakeTelegram,
) -> None:
    fake.stall_next("sendDocument", 2.0)
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        with pytest.raises(retry.SendUnconfirmed) as caught:
            await retry.retry_send(
                lambda: bot.send_document(
                    chat_id=USER, document=InputFile(b"result", filename="r.bin"), read_timeout=0.3
                )
            )
    assert caught.value.attempt == 1 and caught.value.waited_s >= 0.3
    await asyncio.sleep(2.0)
    assert len(fake.find("sendDocument", chat_id=USER, ok=None)) == 1


def test_big_uploads_get_a_write_timeout_that_grows_with_their_size() -> None:
    small = retry.upload_timeouts(100_000)
    big = retry.upload_timeouts(50 * 1024 * 1024)
    assert small["write_timeout"] == pytest.approx(retry.WRITE_TIMEOUT_BASE_S, abs=1.0)
    # 50 MB at the slowest rate waited for (256 KiB/s) is 200 s on top of the base.
    assert big["write_timeout"] == pytest.approx(retry.WRITE_TIMEOUT_BASE_S + 200)
    assert small["read_timeout"] == big["read_timeout"] == retry.READ_TIMEOUT_S
