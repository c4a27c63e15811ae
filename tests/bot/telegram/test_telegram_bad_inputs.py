"""Through the fake Bot API: a crashing model and hostile files cost the user nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bot import messages
from engine.errors import (
    ImageTooLarge,
    ImageTooSmall,
    MediaProblem,
    UnsupportedMedia,
    VideoTooManyFrames,
)
from tests.bot.harness import photo_bytes
from tests.bot.telegram.conftest import Toonbot
from tests.fakes.corpus import sample

USER = 1001


def unsupported(problem: MediaProblem, format_name: str = "") -> str:
    return messages.error_message(UnsupportedMedia(problem, format_name=format_name))


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


NASTY = [
    ("png_bomb_1600mp", messages.error_message(ImageTooLarge(40_000 * 40_000, 40_000_000))),
    ("zip_bomb_as_jpg", unsupported(MediaProblem.ARCHIVE)),
    ("truncated_jpeg", unsupported(MediaProblem.CORRUPT_IMAGE)),
    ("mp4_named_png", unsupported(MediaProblem.VIDEO_AS_PHOTO)),
    ("svg", unsupported(MediaProblem.FORMAT_NOT_SUPPORTED, "SVG")),
    ("empty", unsupported(MediaProblem.EMPTY)),
    ("png_4000x1", messages.error_message(ImageTooSmall(4000, 1, 16))),
    ("gif_3000_frames", messages.error_message(VideoTooManyFrames(3000, 1800))),
    ("mp4_truncated_moov", unsupported(MediaProblem.CORRUPT_VIDEO)),
    ("mp4_audio_only", unsupported(MediaProblem.NO_VIDEO_TRACK)),
]


@pytest.mark.parametrize(("item", "expected"), NASTY, ids=[n for n, _ in NASTY])
async def test_nasty_file_gets_its_message_and_costs_nothing(
    toonbot: Toonbot, item: str, expected: str
) -> None:
    fake, bad = toonbot.fake, sample(item)
    fake.push_document(USER, bad.data, file_name=bad.file_name, mime_type=bad.mime)
    await fake.wait_for(lambda: expected in fake.texts(USER))
    assert len(fake.find("getFile")) == 1  # fetched and sniffed, not judged by its name
    sent = {c.method for c in fake.calls if c.params.get("chat_id") == USER}
    assert not sent & {"sendPhoto", "sendDocument", "sendVideo", "sendAnimation"}
    assert toonbot.images_drawn == 0
    assert await used_today(toonbot) == 0
    assert list(Path(tempfile.gettempdir()).iterdir()) == []  # the fixture's scratch dir


@pytest.mark.parametrize("item", ["png_named_jpg", "cmyk_jpeg", "jpeg_plus_html"])
async def test_odd_but_valid_files_are_drawn(toonbot: Toonbot, item: str) -> None:
    fake, odd = toonbot.fake, sample(item)
    fake.push_document(USER, odd.data, file_name=odd.file_name, mime_type=odd.mime)
    [document] = await fake.wait_for(lambda: fake.find("sendDocument", chat_id=USER))
    assert document.params["_filename"] == "toon_webtoon.png"
    assert await used_today(toonbot) == 1
