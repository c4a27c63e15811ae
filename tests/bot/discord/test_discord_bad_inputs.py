"""Through the fake Discord: a crashing model and hostile files cost the user nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bot import messages
from engine.errors import ImageTooLarge, MediaProblem, UnsupportedMedia, VideoTooManyFrames
from tests.bot.discord.conftest import Toonbot
from tests.bot.harness import photo_bytes
from tests.fakes.corpus import sample
from tests.fakes.discord_users import GUILD

USER = 1001


async def used_today(bot: Toonbot, user: int = USER) -> int:
    status = await bot.quota.status(f"dc:{user}", f"dc:{GUILD}")
    return status.used_today


def unsupported(problem: MediaProblem, format_name: str = "") -> str:
    return messages.error_message(UnsupportedMedia(problem, format_name=format_name))


async def test_model_crash_is_refunded_and_the_next_picture_works(toonbot: Toonbot) -> None:
    fake, webtoon = toonbot.fake, toonbot.styles["webtoon"]
    webtoon.fail = True
    record = await fake.toon(USER, fake.upload(photo_bytes()))
    await fake.wait_for(lambda: messages.FAILED in fake.ephemeral_texts(record))
    assert await used_today(toonbot) == 0

    webtoon.fail = False
    again = await fake.toon(USER, fake.upload(photo_bytes()))
    await fake.wait_for(lambda: fake.results(again))
    assert toonbot.engine.restarts == 1
    assert await used_today(toonbot) == 1


NASTY = [
    ("png_bomb_1600mp", messages.error_message(ImageTooLarge(40_000 * 40_000, 40_000_000))),
    ("zip_bomb_as_jpg", unsupported(MediaProblem.ARCHIVE)),
    ("svg", unsupported(MediaProblem.FORMAT_NOT_SUPPORTED, "SVG")),
    ("gif_3000_frames", messages.error_message(VideoTooManyFrames(3000, 1800))),
    ("mp4_truncated_moov", unsupported(MediaProblem.CORRUPT_VIDEO)),
]


@pytest.mark.parametrize(("item", "expected"), NASTY, ids=[n for n, _ in NASTY])
async def test_nasty_file_gets_its_message_and_costs_nothing(
    toonbot: Toonbot, item: str, expected: str
) -> None:
    fake, bad = toonbot.fake, sample(item)
    record = await fake.toon(USER, fake.upload(bad.data, bad.file_name, bad.mime))
    await fake.wait_for(lambda: expected in fake.ephemeral_texts(record))
    assert fake.results(record) == []
    assert toonbot.images_drawn == 0
    assert await used_today(toonbot) == 0
    assert list(Path(tempfile.gettempdir()).iterdir()) == []  # the fixture's scratch dir
