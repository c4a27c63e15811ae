"""Clip controls: the Cancel button, the bot shutting down mid-clip, redrawing a clip."""

from __future__ import annotations

import asyncio

from bot import messages
from tests.bot.telegram.conftest import Toonbot
from tests.bot.telegram.test_telegram_e2e import USER, buttons, used_today, wait_text
from tests.fakes.clips import make_clip, read_clip
from tests.fakes.telegram_server import FakeTelegram


async def hold_a_clip(toonbot: Toonbot) -> None:
    """Send a clip whose first batch sits in the model while the next frames wait in the queue."""
    toonbot.styles["webtoon"].hold()
    toonbot.fake.push_video(USER, make_clip(24, audio=True))
    engine = toonbot.engine
    await toonbot.fake.wait_for(lambda: toonbot.images_drawn >= 1 and engine.queue_depth > 0)


def answer_to(fake: FakeTelegram, query_id: str) -> str | None:
    calls = fake.find("answerCallbackQuery")
    return next(
        (c.params.get("text") for c in calls if c.params["callback_query_id"] == query_id), None
    )


async def test_cancel_button_stops_a_clip_for_its_sender_only_and_refunds(
    toonbot: Toonbot,
) -> None:
    fake, webtoon = toonbot.fake, toonbot.styles["webtoon"]
    await hold_a_clip(toonbot)
    [status] = fake.find("sendMessage", chat_id=USER)
    assert status.params["text"] == messages.TG_STATUS_STARTED_CLIP
    [(label, data)] = buttons(status)
    assert label == messages.CANCEL_BUTTON
    # Progress edits keep the button under the status.
    progress = await fake.wait_for(lambda: fake.find("editMessageText", chat_id=USER))
    assert all(buttons(edit) == [(label, data)] for edit in progress)

    other = fake.press(USER + 1, status.result, data)
    assert await fake.wait_for(lambda: answer_to(fake, other)) == messages.CANCEL_NOT_YOURS
    assert await used_today(toonbot) == 1

    mine = fake.press(USER, status.result, data)
    assert await fake.wait_for(lambda: answer_to(fake, mine)) == messages.CANCEL_STARTED
    await wait_text(fake, USER, messages.CLIP_CANCELLED)
    assert "reply_markup" not in fake.messages[(USER, status.result["message_id"])]
    assert await used_today(toonbot) == 0
    assert toonbot.engine.queue_depth == 0  # the clip's waiting frames were dropped
    webtoon.allow(100)
    late = fake.press(USER, status.result, data)
    assert await fake.wait_for(lambda: answer_to(fake, late)) == messages.CANCEL_GONE
    assert fake.find("sendVideo", ok=None) == []
    # No temp files are left: the fixture checks the scratch folder at teardown.


async def test_stopping_the_bot_mid_clip_lets_the_clip_finish_and_charges_once(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    await hold_a_clip(toonbot)
    stopping = asyncio.create_task(toonbot.frontend.stop())
    await asyncio.sleep(0)
    assert not stopping.done()
    toonbot.styles["webtoon"].allow(100)
    await stopping
    [video] = fake.find("sendVideo", chat_id=USER)
    assert read_clip(video.files["video"]) == (24, True, (64, 48))
    assert await used_today(toonbot) == 1


async def test_the_engine_stopping_mid_clip_refunds_and_says_so(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    await hold_a_clip(toonbot)
    closing = asyncio.create_task(toonbot.engine.close(drain=False))
    toonbot.styles["webtoon"].allow(100)
    await closing
    await wait_text(fake, USER, messages.SHUTTING_DOWN)
    assert fake.find("sendVideo", ok=None) == []
    assert await used_today(toonbot) == 0
    # No temp files are left: the fixture checks the scratch folder at teardown.


async def test_redraw_button_under_a_clip_redraws_the_clip_in_that_style(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    sent = fake.push_video(USER, make_clip(8, audio=True))
    [first] = await fake.wait_for(lambda: fake.find("sendVideo", chat_id=USER))
    redraw = messages.TG_RESTYLE_BUTTON.format(style="sketch")
    assert (redraw, "restyle:sketch") in buttons(first)
    assert "restyle:webtoon" not in dict(buttons(first)).values()

    fake.press(USER, first.result, "restyle:sketch")
    [again] = await fake.wait_for(lambda: fake.find("sendVideo", chat_id=USER)[1:])
    assert again.params["caption"] == messages.TG_VIDEO_CAPTION.format(style="sketch")
    assert again.params["reply_parameters"]["message_id"] == sent["message_id"]
    assert read_clip(again.files["video"]) == (8, True, (64, 48))
    assert toonbot.styles["sketch"].images == 8
    assert await used_today(toonbot) == 2
