"""Stickers and animated pictures through the real Telegram frontend and the fake Bot API."""

from __future__ import annotations

import io
from typing import Any, cast

import av
import numpy as np
import pytest

from bot import messages
from tests.bot.harness import decode_upload
from tests.bot.phone_media import (
    ANIMATED_COLOURS,
    animated_picture,
    sticker_webp,
    webm_sticker,
)
from tests.bot.telegram.conftest import Toonbot
from tests.fakes.clips import read_clip
from tests.fakes.telegram_server import FakeTelegram

USER = 1001
GROUP = -100777
OUTPUTS = {"sendPhoto", "sendDocument", "sendVideo", "sendAnimation", "sendVideoNote"}


def push_sticker(
    fake: FakeTelegram,
    data: bytes,
    *,
    ext: str,
    animated: bool = False,
    video: bool = False,
    chat_id: int | None = None,
) -> dict[str, Any]:
    """A sticker message as the Bot API delivers it (a sticker has no caption)."""
    sticker = {
        **fake.add_file(data, ext=ext),
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": animated,
        "is_video": video,
        "emoji": "\U0001f600",
        "set_name": "toon_test_set",
    }
    return fake.push_message(USER, chat_id=chat_id, sticker=sticker)


async def used_today(bot: Toonbot, chat: int = USER) -> int:
    return (await bot.quota.status(f"tg:{USER}", f"tg:{chat}")).used_today


def replies_to(params: dict[str, object]) -> object:
    reply = params.get("reply_parameters") or {}
    assert isinstance(reply, dict)
    return reply.get("message_id")


def mp4_frames(data: bytes) -> list[np.ndarray]:
    with cast(av.container.InputContainer, av.open(io.BytesIO(data))) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]


def mp4_colours(data: bytes) -> list[tuple[int, ...]]:
    """The mean colour of every frame of an mp4 the bot sent."""
    with cast(av.container.InputContainer, av.open(io.BytesIO(data))) as c:
        return [
            tuple(int(v) for v in f.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0))
            for f in c.decode(c.streams.video[0])
        ]


def colour_runs(colours: list[tuple[int, ...]], tolerance: int = 40) -> list[tuple[int, ...]]:
    """Consecutive frames of about the same colour, folded to one entry each."""
    runs: list[tuple[int, ...]] = []
    for c in colours:
        if not runs or max(abs(a - b) for a, b in zip(c, runs[-1], strict=True)) > tolerance:
            runs.append(c)
    return runs


async def test_static_sticker_is_drawn_like_a_photo_on_white(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    sent = push_sticker(fake, sticker_webp(128), ext="webp")

    [photo] = await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER))
    toon = decode_upload(photo.files["photo"])
    assert toon.shape == (128, 128, 3)
    # The stand-in webtoon style inverts: the transparent corner was white paper (-> black),
    # the red disc (220, 40, 40) comes back as (35, 215, 215).
    assert toon[2, 2].max() <= 2
    assert np.abs(toon[64, 64].astype(int) - (35, 215, 215)).max() <= 3
    assert replies_to(photo.params) == sent["message_id"]
    assert photo.params["caption"] == messages.TG_RESULT_CAPTION.format(style="webtoon")
    [get_file] = fake.find("getFile")
    assert get_file.params["file_id"] == sent["sticker"]["file_id"]
    assert await used_today(toonbot) == 1


async def test_video_sticker_is_drawn_like_a_gif_on_white(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    sent = push_sticker(fake, webm_sticker(6, alpha=True), ext="webm", video=True)

    [animation] = await fake.wait_for(lambda: fake.find("sendAnimation", chat_id=USER))
    assert read_clip(animation.files["animation"]) == (6, False, (64, 64))
    # Transparent around the square: white paper, which the inverting stand-in makes black
    # (a black background, as alpha-blind decoding gives, would come back white).
    corner = mp4_frames(animation.files["animation"])[0][56:, 56:]
    assert corner.mean() <= 20
    assert replies_to(animation.params) == sent["message_id"]
    assert animation.params["caption"] == messages.TG_VIDEO_CAPTION.format(style="webtoon")
    [action] = fake.find("sendChatAction", chat_id=USER)
    assert action.params["action"] == "upload_video"
    assert await used_today(toonbot) == 1


async def test_broken_video_sticker_is_explained_and_refunded(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    broken = webm_sticker(6)[:120]  # cut off in the middle of its header
    push_sticker(fake, broken, ext="webm", video=True)
    prefix = messages.UNSUPPORTED.split("{")[0]
    await fake.wait_for(lambda: any(t.startswith(prefix) for t in fake.texts(USER)))
    assert not {c.method for c in fake.calls} & OUTPUTS
    assert await used_today(toonbot) == 0


async def test_animated_tgs_sticker_gets_a_friendly_no_and_is_free(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    lottie = b"\x1f\x8b\x08\x00" + b"\x00" * 60  # .tgs is gzipped Lottie JSON
    sent = push_sticker(fake, lottie, ext="tgs", animated=True)

    [answer] = await fake.wait_for(lambda: fake.find("sendMessage", chat_id=USER))
    assert answer.params["text"] == messages.TG_LOTTIE_STICKER
    assert replies_to(answer.params) == sent["message_id"]
    assert fake.find("getFile", ok=None) == []  # not even downloaded
    assert not {c.method for c in fake.calls} & OUTPUTS
    assert toonbot.images_drawn == 0
    assert await used_today(toonbot) == 0


async def test_stickers_in_groups_are_drawn_only_on_request(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.group(GROUP)
    push_sticker(fake, sticker_webp(64), ext="webp", chat_id=GROUP)  # just chatting
    sticker = push_sticker(fake, sticker_webp(64), ext="webp", chat_id=GROUP)
    fake.push_text(USER, "/toon sketch", chat_id=GROUP, reply_to=sticker)
    [photo] = await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=GROUP))
    assert replies_to(photo.params) == sticker["message_id"]
    assert photo.params["caption"] == messages.TG_RESULT_CAPTION.format(style="sketch")
    assert len(fake.find("getFile")) == 1  # the sticker nobody asked about was left alone
    assert await used_today(toonbot, GROUP) == 1


@pytest.mark.parametrize(
    ("fmt", "file_name", "mime"),
    [("WEBP", "party.webp", "image/webp"), ("PNG", "party.png", "image/png")],
    ids=["animated_webp", "apng"],
)
async def test_animated_picture_file_comes_back_animated(
    toonbot: Toonbot, fmt: str, file_name: str, mime: str
) -> None:
    fake = toonbot.fake
    sent = fake.push_document(USER, animated_picture(fmt), file_name=file_name, mime_type=mime)

    [animation] = await fake.wait_for(lambda: fake.find("sendAnimation", chat_id=USER))
    assert replies_to(animation.params) == sent["message_id"]
    frames, has_audio, size = read_clip(animation.files["animation"])
    assert frames >= 3 and not has_audio and size == (96, 64)
    # Red, green, blue in, each inverted by the stand-in style, in order: not one still.
    inverted = [tuple(255 - v for v in c) for c in ANIMATED_COLOURS]
    runs = colour_runs(mp4_colours(animation.files["animation"]))
    assert len(runs) == 3
    for got, want in zip(runs, inverted, strict=True):
        assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 12, (runs, inverted)
    assert fake.find("sendPhoto", ok=None) == [] and fake.find("sendDocument", ok=None) == []
    assert await used_today(toonbot) == 1


@pytest.mark.video(max_frames=2)
async def test_animated_picture_over_the_frame_limit_is_refused_and_refunded(
    toonbot: Toonbot,
) -> None:
    fake = toonbot.fake
    fake.push_document(USER, animated_picture("WEBP"), file_name="a.webp", mime_type="image/webp")
    await fake.wait_for(lambda: any("more than 2 frames" in t for t in fake.texts(USER)))
    assert not {c.method for c in fake.calls} & OUTPUTS
    assert toonbot.images_drawn == 0
    assert await used_today(toonbot) == 0
