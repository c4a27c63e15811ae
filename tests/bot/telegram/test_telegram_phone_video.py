"""Phone videos through the real Telegram frontend and the fake Bot API: a portrait clip stored
landscape with a display rotation, and clips whose tracks do not start at 0."""

from __future__ import annotations

import pytest

from tests.bot.phone_media import (
    bar_edge,
    displayed_size,
    first_times,
    flash_and_beep,
    offset_clip,
    rotated_clip,
)
from tests.bot.telegram.conftest import Toonbot
from tests.fakes.clips import read_clip

USER = 1001


@pytest.mark.parametrize(("rotation", "edge"), [(-90, "top"), (90, "bottom")])
async def test_portrait_phone_video_comes_back_upright(
    toonbot: Toonbot, rotation: int, edge: str
) -> None:
    fake = toonbot.fake
    fake.push_video(USER, rotated_clip(rotation, w=96, h=48))  # coded landscape, shown portrait

    [video] = await fake.wait_for(lambda: fake.find("sendVideo", chat_id=USER), timeout=30)
    # Telegram is told the size as displayed, and players show the file the same way.
    assert (video.params["width"], video.params["height"]) == (48, 96)
    assert displayed_size(video.files["video"]) == (48, 96)
    assert bar_edge(video.files["video"]) == edge  # turned the right way, not just portrait
    frames, has_audio, _ = read_clip(video.files["video"])
    assert frames == 8 and has_audio


async def test_upside_down_video_is_turned_the_right_way_up(toonbot: Toonbot) -> None:
    fake = toonbot.fake
    fake.push_video(USER, rotated_clip(180, w=96, h=48))
    [video] = await fake.wait_for(lambda: fake.find("sendVideo", chat_id=USER), timeout=30)
    assert (video.params["width"], video.params["height"]) == (96, 48)
    assert displayed_size(video.files["video"]) == (96, 48)
    assert bar_edge(video.files["video"]) == "right"


@pytest.mark.parametrize(("video_start", "audio_start"), [(2.0, 2.0), (2.0, 1.5)])
async def test_clip_with_offset_tracks_stays_in_sync(
    toonbot: Toonbot, video_start: float, audio_start: float
) -> None:
    fake = toonbot.fake
    fake.push_video(USER, offset_clip(video_start, audio_start))

    [video] = await fake.wait_for(lambda: fake.find("sendVideo", chat_id=USER), timeout=30)
    out = video.files["video"]
    video_t, audio_t = first_times(out)
    # The output starts at 0, both tracks shifted alike (AAC priming may show as ~23 ms).
    assert min(video_t, audio_t) <= 0.05
    if video_start == audio_start:
        assert abs(video_t - audio_t) <= 0.05
    flash, beep = flash_and_beep(out)
    assert abs(flash - beep) <= 0.06  # one frame at 20 fps, plus rounding
