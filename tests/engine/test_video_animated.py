"""Animated WebP and APNG: recognised, measured from headers, animated in and animated out."""

from __future__ import annotations

import io
import struct
import tempfile
import zlib
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from engine.engine import Engine
from engine.errors import (
    FileTooLarge,
    ImageTooLarge,
    ImageTooSmall,
    MediaError,
    UnsupportedMedia,
    VideoTooLong,
    VideoTooManyFrames,
)
from engine.video import VideoLimits, is_animated_image, probe_video, toon_video
from engine.video.animated import AnimatedReader
from tests.engine.tiny_styles import identity_engine

COLOURS = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (220, 200, 30)]


def engine() -> Engine:
    return identity_engine()


def animated(
    fmt: str,
    n: int = 4,
    size: tuple[int, int] = (48, 32),
    alpha: bool = False,
    durations: list[int] | int = 100,
    **save: object,
) -> bytes:
    """An n-frame animation, frame i filled with COLOURS[i % 4]; its left half transparent when
    alpha. WebP is lossless so colours come back exactly."""
    mode = "RGBA" if alpha else "RGB"
    frames = []
    for i in range(n):
        im = Image.new(mode, size, COLOURS[i % 4] + ((255,) if alpha else ()))
        if alpha:
            im.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1]))
        frames.append(im)
    buf = io.BytesIO()
    extra = {"lossless": True} if fmt == "WEBP" else {}
    frames[0].save(
        buf,
        format=fmt,
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        **extra,
        **save,
    )
    return buf.getvalue()


def gif_frames(data: bytes) -> tuple[list[np.ndarray], list[int]]:
    """The frames (RGB) and durations (ms) of a GIF."""
    im = Image.open(io.BytesIO(data))
    frames, durations = [], []
    for i in range(im.n_frames):
        im.seek(i)
        frames.append(np.array(im.convert("RGB")))
        durations.append(int(im.info["duration"]))
    return frames, durations


def still(fmt: str) -> bytes:
    """A one-frame picture."""
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (9, 9, 9)).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_is_animated_image_tells_animations_from_stills(fmt: str) -> None:
    assert is_animated_image(animated(fmt))
    assert not is_animated_image(still(fmt))


@pytest.mark.parametrize(
    "data",
    [b"", b"RIFF\0\0\0\0WEBPjunk", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"GIF89a", b"hello"],
)
def test_is_animated_image_is_false_for_other_or_damaged_bytes(data: bytes) -> None:
    assert not is_animated_image(data)


def test_is_animated_image_is_false_for_gif() -> None:
    # GIFs have their own (FFmpeg) video path; this only names the two Pillow formats.
    assert not is_animated_image(animated("GIF"))


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_probe_reads_size_frames_and_duration_from_the_headers(fmt: str) -> None:
    info = probe_video(animated(fmt, 3, (50, 30), durations=[200, 100, 300]))
    assert info.container == ("webp" if fmt == "WEBP" else "apng")
    assert (info.width, info.height, info.frames) == (50, 30, 3)
    assert info.duration_s == pytest.approx(0.6)
    assert float(info.fps) == pytest.approx(5.0)
    assert not info.has_audio


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
async def test_animated_picture_in_gives_animated_gif_out(fmt: str) -> None:
    data = animated(fmt, 3, (50, 30), durations=[200, 100, 300])
    async with engine() as e:
        result = await toon_video(e, data, "identity", "u1", stabilize=False)
    assert (result.kind, result.mime, result.frames) == ("gif", "image/gif", 3)
    assert (result.width, result.height) == (50, 30)
    frames, durations = gif_frames(result.data)
    assert durations == [200, 100, 300]  # each frame's own delay kept
    for frame, colour in zip(frames, COLOURS, strict=False):
        assert np.abs(frame[15, 25].astype(int) - colour).max() <= 6


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
async def test_animated_picture_can_become_mp4_with_its_timing(fmt: str) -> None:
    data = animated(fmt, 4, (64, 48), durations=[250, 250, 250, 250])
    async with engine() as e:
        result = await toon_video(e, data, "identity", "u1", output="mp4", stabilize=False)
    assert (result.kind, result.frames, result.has_audio) == ("mp4", 4, False)
    with av.open(io.BytesIO(result.data)) as c:
        times = [float(f.time) for f in c.decode(c.streams.video[0])]
    assert times == pytest.approx([0.0, 0.25, 0.5, 0.75], abs=0.01)


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
async def test_transparent_animation_is_composited_on_white(fmt: str) -> None:
    data = animated(fmt, 2, (48, 32), alpha=True)
    async with engine() as e:
        result = await toon_video(e, data, "identity", "u1", stabilize=False)
    frames, _ = gif_frames(result.data)
    for frame, colour in zip(frames, COLOURS, strict=False):
        assert frame[16, 5].min() >= 250  # transparent half: the white page
        assert np.abs(frame[16, 40].astype(int) - colour).max() <= 6


async def test_apng_default_image_outside_the_animation_is_not_played() -> None:
    # default_image=True: the plain PNG picture (frame 0, red) is for viewers without APNG.
    data = animated("PNG", 3, (48, 32), durations=[100, 100, 100], default_image=True)
    assert probe_video(data).frames == 2
    async with engine() as e:
        result = await toon_video(e, data, "identity", "u1", stabilize=False)
    frames, _ = gif_frames(result.data)
    assert len(frames) == 2
    assert np.abs(frames[0][16, 24].astype(int) - COLOURS[1]).max() <= 6


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
async def test_limits_are_checked_before_any_frame_is_decoded(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_decoding(*_: object) -> None:
        raise AssertionError("a frame was decoded before the limits were checked")

    monkeypatch.setattr(AnimatedReader, "read", no_decoding)
    data = animated(fmt, 6, (48, 32), durations=200)
    async with engine() as e:
        for limits, error in [
            (VideoLimits(max_frames=5), VideoTooManyFrames),
            (VideoLimits(max_duration_s=1.0), VideoTooLong),
            (VideoLimits(max_input_pixels=48 * 32 - 1), ImageTooLarge),
            (VideoLimits(max_bytes=len(data) - 1), FileTooLarge),
        ]:
            with pytest.raises(error):
                await toon_video(e, data, "identity", "u1", limits)


def _set_webp_canvas(data: bytes, w: int, h: int) -> bytes:
    at = data.index(b"VP8X") + 8
    size = (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    return data[: at + 4] + size + data[at + 10 :]


def _set_apng_frames(data: bytes, n: int) -> bytes:
    at = data.index(b"acTL")
    body = struct.pack(">II", n, 0)
    crc = struct.pack(">I", zlib.crc32(b"acTL" + body))
    return data[: at + 4] + body + crc + data[at + 16 :]


def test_hostile_headers_are_refused_from_the_headers() -> None:
    huge = _set_webp_canvas(animated("WEBP", 2), 16383, 16383)
    with pytest.raises(ImageTooLarge):
        probe_video(huge)
    assert not is_animated_image(huge)  # over Pillow's bomb cap: not even opened
    endless = _set_apng_frames(animated("PNG", 2), 1_000_000_000)
    with pytest.raises(VideoTooManyFrames):
        probe_video(endless)


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_still_pictures_are_not_animations(fmt: str) -> None:
    with pytest.raises(UnsupportedMedia, match="still picture"):
        probe_video(still(fmt))


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
async def test_truncated_animation_is_refused_or_shortened_and_leaves_no_temp_files(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    data = animated(fmt, 4, (48, 32))
    async with engine() as e:
        for cut in (len(data) // 3, 2 * len(data) // 3):
            try:
                result = await toon_video(e, data[:cut], "identity", "u1", stabilize=False)
            except MediaError:
                continue
            assert 1 <= result.frames < 4
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
async def test_too_small_animation_is_refused(fmt: str) -> None:
    async with engine() as e:
        with pytest.raises(ImageTooSmall):
            await toon_video(e, animated(fmt, 2, (12, 40)), "identity", "u1")


async def test_large_animation_is_downscaled_to_max_side() -> None:
    data = animated("WEBP", 2, (300, 200))
    async with engine() as e:
        result = await toon_video(e, data, "identity", "u1", VideoLimits(max_side=96))
    assert (result.width, result.height) == (96, 64)
