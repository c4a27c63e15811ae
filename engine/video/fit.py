"""Re-encode a finished clip smaller until it fits an upload limit, keeping every frame and sound."""

from __future__ import annotations

import dataclasses
import io
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine.video.codec import Frame, GifWriter, Mp4Writer, TimedFrame
from engine.video.probe import fitted_even_size
from engine.video.toon import VideoResult

__all__ = ["fit_video", "video_bitrate"]

# The muxer's index and headers, and x264 overshooting its target on short clips, need room.
_OVERHEAD_BYTES = 8 * 1024
_SAFETY = 0.85
_MIN_VIDEO_BPS = 8_000
# Below this many bits per pixel and frame H.264 turns to mush: a smaller picture looks better.
_MIN_BITS_PER_PIXEL = 0.02
_BITRATE_TRIES = 2
_SCALE_STEP = 0.75
_MIN_SIDE = 16


def video_bitrate(max_bytes: int, duration_s: float, audio_bps: float) -> int:
    """Bits per second left for the picture of a clip that must fit `max_bytes`, or 0."""
    budget_bits = (max_bytes - _OVERHEAD_BYTES) * 8 * _SAFETY
    if budget_bits <= 0 or duration_s <= 0:
        return 0
    return max(0, int(budget_bits / duration_s - audio_bps))


def fit_video(result: VideoResult, max_bytes: int) -> VideoResult | None:
    """`result` if it fits, else re-encoded to fit (bitrate first, then smaller); None if it can't."""
    if len(result.data) <= max_bytes:
        return result
    frames, audio_bytes = _decode(result.data)
    if not frames:
        return None
    duration = _duration(frames, result.fps)
    audio_bps = audio_bytes * 8 / duration
    if video_bitrate(max_bytes, duration, audio_bps) < _MIN_VIDEO_BPS:
        return None  # the sound alone (nearly) fills the budget
    size = (result.width, result.height)
    while min(size) >= _MIN_SIDE:
        fitted = (
            _fit_gif(result, frames, size, max_bytes)
            if result.kind == "gif"
            else _fit_mp4(result, frames, size, max_bytes, duration, audio_bps)
        )
        if fitted is not None:
            return fitted
        side = int(max(size) * _SCALE_STEP)
        size = fitted_even_size(size[0], size[1], side)
    return None


def _fit_mp4(
    result: VideoResult,
    frames: list[TimedFrame],
    size: tuple[int, int],
    max_bytes: int,
    duration: float,
    audio_bps: float,
) -> VideoResult | None:
    bitrate = video_bitrate(max_bytes, duration, audio_bps)
    floor = _MIN_BITS_PER_PIXEL * size[0] * size[1] * max(1.0, result.fps)
    smallest = min(fitted_even_size(size[0], size[1], int(max(size) * _SCALE_STEP))) < _MIN_SIDE
    for _ in range(_BITRATE_TRIES):
        if bitrate < _MIN_VIDEO_BPS or (bitrate < floor and not smallest):
            return None  # go smaller
        data = _encode_mp4(result, frames, size, bitrate)
        if len(data) <= max_bytes:
            return _with(result, data, size)
        # Missed: aim lower in proportion to the overshoot.
        bitrate = int(bitrate * max_bytes / len(data) * _SAFETY)
    return None


def _fit_gif(
    result: VideoResult, frames: list[TimedFrame], size: tuple[int, int], max_bytes: int
) -> VideoResult | None:
    # GIF has no bitrate to turn down: only fewer pixels make it smaller.
    with tempfile.TemporaryDirectory(prefix="toonbot-fit-") as tmp:
        path = Path(tmp) / "out.gif"
        writer = GifWriter(path)
        for rgb, t in frames:
            writer.write(_resized(rgb, size), t)
        writer.finish(Fraction(result.fps).limit_denominator(1000) or Fraction(10))
        data = path.read_bytes()
    return _with(result, data, size) if len(data) <= max_bytes else None


def _encode_mp4(
    result: VideoResult, frames: list[TimedFrame], size: tuple[int, int], bitrate: int
) -> bytes:
    fps = Fraction(result.fps).limit_denominator(1000) or Fraction(10)
    with tempfile.TemporaryDirectory(prefix="toonbot-fit-") as tmp:
        path = Path(tmp) / "out.mp4"
        audio = result.data if result.has_audio else None
        writer = Mp4Writer(path, size, fps, audio, bitrate=bitrate)
        try:
            for rgb, t in frames:
                writer.write(_resized(rgb, size), t)
            writer.finish()
        except BaseException:
            writer.abort()
            raise
        return path.read_bytes()


def _decode(data: bytes) -> tuple[list[TimedFrame], int]:
    """Every frame of our own encoded clip with its time, and the audio track's size in bytes."""
    frames: list[TimedFrame] = []
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            t = float(frame.time) if frame.time is not None else float(len(frames))
            frames.append((np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8), t))
    audio_bytes = 0
    with av.open(io.BytesIO(data), mode="r") as container:
        if container.streams.audio:
            audio_bytes = sum(int(p.size) for p in container.demux(container.streams.audio[0]))
    return frames, audio_bytes


def _duration(frames: list[TimedFrame], fps: float) -> float:
    last = frames[-1][1] - frames[0][1]
    step = 1.0 / fps if fps > 0 else 0.1
    return max(step, last + step)


def _resized(rgb: Frame, size: tuple[int, int]) -> Frame:
    if (rgb.shape[1], rgb.shape[0]) == size:
        return rgb
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    small = frame.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray()
    return np.asarray(small, dtype=np.uint8)


def _with(result: VideoResult, data: bytes, size: tuple[int, int]) -> VideoResult:
    return dataclasses.replace(result, data=data, width=size[0], height=size[1])
