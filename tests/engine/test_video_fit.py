"""Re-encoding a finished clip to fit an upload limit: every frame, the timing and the sound kept."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from engine.video import VideoResult, fit_video, video_bitrate
from tests.fakes import clips

FPS, N = 10, 10


def noise_frames(n: int, w: int, h: int) -> list[np.ndarray]:
    """Random pixels: the hardest picture to compress, so a small limit really bites."""
    rng = np.random.default_rng(7)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def mp4_result(w: int = 160, h: int = 120, *, audio: bool = True) -> VideoResult:
    data = clips.make_clip(N, FPS, audio=audio, w=w, h=h, frames=noise_frames(N, w, h))
    return VideoResult(data, "video/mp4", "mp4", N, float(FPS), audio, w, h)


def duration_of(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as c:
        times = [float(f.time) for f in c.decode(c.streams.video[0])]
    return times[-1] - times[0] + 1 / FPS


@pytest.fixture(autouse=True)
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def test_an_mp4_over_the_limit_is_reencoded_to_fit_keeping_frames_timing_and_sound(
    tmp_path: Path,
) -> None:
    result = mp4_result()
    limit = len(result.data) // 3
    fitted = fit_video(result, limit)
    assert fitted is not None
    assert len(fitted.data) <= limit
    assert clips.read_clip(fitted.data) == (N, True, (160, 120))
    assert fitted.has_audio and (fitted.width, fitted.height) == (160, 120)
    assert duration_of(fitted.data) == pytest.approx(duration_of(result.data), abs=0.01)
    assert list(tmp_path.iterdir()) == []


def test_a_budget_too_thin_for_the_full_picture_downscales_keeping_frames_and_sound() -> None:
    # About 14 kbit/s is left for 320x240 at 10 fps: under the quality floor, so the picture
    # is made smaller rather than smeared.
    result = mp4_result(320, 240)
    limit = 21_000
    fitted = fit_video(result, limit)
    assert fitted is not None
    assert len(fitted.data) <= limit
    frames, has_audio, size = clips.read_clip(fitted.data)
    assert (frames, has_audio) == (N, True)
    assert size == (fitted.width, fitted.height) and fitted.width < 320
    assert fitted.width * 3 == fitted.height * 4  # the aspect is kept


def test_a_result_that_fits_is_returned_as_it_is() -> None:
    result = mp4_result(64, 48)
    assert fit_video(result, len(result.data)) is result


def test_a_gif_over_the_limit_is_made_smaller_keeping_every_frame() -> None:
    pictures = noise_frames(8, 160, 120)
    gif = clips.make_gif(frames=pictures)
    result = VideoResult(gif, "image/gif", "gif", 8, 10.0, False, 160, 120)
    limit = len(gif) // 3
    fitted = fit_video(result, limit)
    assert fitted is not None and fitted.kind == "gif"
    assert len(fitted.data) <= limit
    assert fitted.width < 160 and fitted.height < 120
    with Image.open(io.BytesIO(fitted.data)) as im:
        assert im.n_frames == 8
        assert im.size == (fitted.width, fitted.height)


def test_when_the_sound_alone_overflows_the_limit_nothing_is_returned() -> None:
    result = mp4_result(64, 48)
    assert fit_video(result, 9 * 1024) is None


def test_the_picture_gets_the_budget_less_the_sound_and_a_margin() -> None:
    one_mb = 1024 * 1024
    bits = video_bitrate(one_mb, 10.0, audio_bps=128_000)
    assert 0 < bits < one_mb * 8 / 10 - 128_000
    assert bits > 0.8 * (one_mb * 8 / 10 - 128_000)
    assert video_bitrate(one_mb, 10.0, audio_bps=10 * one_mb) == 0
    assert video_bitrate(1024, 1.0, audio_bps=0) == 0
