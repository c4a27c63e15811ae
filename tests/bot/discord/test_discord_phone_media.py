"""Phone media through the real Discord frontend and the fake Discord: animated WebP/APNG,
portrait phone video with a display rotation, and clips whose tracks do not start at 0."""

from __future__ import annotations

import numpy as np
import pytest

from bot import messages
from tests.bot.discord.conftest import Toonbot
from tests.bot.phone_media import (
    ANIMATED_COLOURS,
    animated_picture,
    bar_edge,
    displayed_size,
    first_times,
    flash_and_beep,
    gif_frames,
    offset_clip,
    rotated_clip,
)
from tests.fakes.discord_objects import JSON
from tests.fakes.discord_server import FakeDiscord, Interaction
from tests.fakes.discord_users import GUILD

USER = 1001
ANIMATED = [
    ("WEBP", "party.webp", "image/webp"),
    ("PNG", "party.png", "image/png"),
]


async def result_of(fake: FakeDiscord, record: Interaction) -> JSON:
    [message] = await fake.wait_for(lambda: fake.results(record), timeout=30)
    return message


async def used_today(bot: Toonbot) -> int:
    return (await bot.quota.status(f"dc:{USER}", f"dc:{GUILD}")).used_today


def assert_animated_toon(data: bytes) -> None:
    """A GIF that plays the three inverted colours in order (the stand-in style inverts)."""
    frames = gif_frames(data)
    assert len(frames) >= 3
    runs: list[np.ndarray] = []
    for frame in frames:
        mean = frame.reshape(-1, 3).mean(axis=0)
        if not runs or np.abs(mean - runs[-1]).max() > 40:
            runs.append(mean)
    inverted = [255 - np.array(c) for c in ANIMATED_COLOURS]
    assert len(runs) == 3, runs
    for got, want in zip(runs, inverted, strict=True):
        assert np.abs(got - want).max() <= 12, (runs, inverted)


@pytest.mark.parametrize(("fmt", "name", "mime"), ANIMATED, ids=["animated_webp", "apng"])
async def test_toon_command_animates_an_animated_picture(
    toonbot: Toonbot, fmt: str, name: str, mime: str
) -> None:
    fake = toonbot.fake
    record = await fake.toon(USER, fake.upload(animated_picture(fmt), name, mime))
    message = await result_of(fake, record)
    [clip] = message["attachments"]
    assert clip["filename"] == "toon_webtoon.gif"
    assert_animated_toon(fake.file(clip))
    assert message["content"] == messages.DC_VIDEO_RESULT.format(
        mention=f"<@{USER}>", style="webtoon"
    )
    assert await used_today(toonbot) == 1


@pytest.mark.parametrize(("fmt", "name", "mime"), ANIMATED, ids=["animated_webp", "apng"])
async def test_toonify_menu_animates_an_animated_picture(
    toonbot: Toonbot, fmt: str, name: str, mime: str
) -> None:
    fake = toonbot.fake
    posted = fake.post(USER, [fake.upload(animated_picture(fmt), name, mime)])
    record = await fake.toonify(USER, posted)
    message = await result_of(fake, record)
    [clip] = message["attachments"]
    assert clip["filename"] == "toon_webtoon.gif"
    assert_animated_toon(fake.file(clip))
    assert await used_today(toonbot) == 1


@pytest.mark.parametrize(("rotation", "edge"), [(-90, "top"), (90, "bottom")])
async def test_portrait_phone_video_comes_back_upright(
    toonbot: Toonbot, rotation: int, edge: str
) -> None:
    fake = toonbot.fake
    source = rotated_clip(rotation, w=96, h=48)  # coded landscape, shown 48 x 96 portrait
    record = await fake.toon(USER, fake.upload(source, "phone.mp4", "video/mp4"))
    message = await result_of(fake, record)
    [clip] = message["attachments"]
    assert clip["filename"] == "toon_webtoon.mp4"
    assert displayed_size(fake.file(clip)) == (48, 96)
    assert bar_edge(fake.file(clip)) == edge
    assert await used_today(toonbot) == 1


@pytest.mark.parametrize(("video_start", "audio_start"), [(2.0, 2.0), (2.0, 1.5)])
async def test_clip_with_offset_tracks_stays_in_sync(
    toonbot: Toonbot, video_start: float, audio_start: float
) -> None:
    fake = toonbot.fake
    source = offset_clip(video_start, audio_start)
    record = await fake.toon(USER, fake.upload(source, "trimmed.mp4", "video/mp4"))
    message = await result_of(fake, record)
    [clip] = message["attachments"]
    out = fake.file(clip)
    video_t, audio_t = first_times(out)
    # The output starts at 0, both tracks shifted alike (AAC priming may show as ~23 ms).
    assert min(video_t, audio_t) <= 0.05
    if video_start == audio_start:
        assert abs(video_t - audio_t) <= 0.05
    flash, beep = flash_and_beep(out)
    assert abs(flash - beep) <= 0.06  # one frame at 20 fps, plus rounding
