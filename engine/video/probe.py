"""Sniff, open and measure an untrusted video before decoding any frame of it."""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import av

from engine.errors import (
    FileTooLarge,
    ImageTooLarge,
    MediaProblem,
    UnsupportedMedia,
    VideoTooLong,
    VideoTooManyFrames,
)
from engine.limits import VideoLimits
from engine.video.geometry import Geometry, decoded_frames, first_frame

__all__ = [
    "ANIMATED_PICTURES",
    "Container",
    "VideoInfo",
    "VideoLimits",
    "fitted_even_size",
    "open_video",
    "probe_video",
]

Container = Literal["mp4", "webm", "gif", "webp", "apng"]
# Animated pictures, decoded by Pillow (engine/video/animated.py) rather than FFmpeg.
ANIMATED_PICTURES: frozenset[Container] = frozenset({"webp", "apng"})

# The FFmpeg demuxer for each container we accept, picked from the sniffed header; no other
# demuxer ever sees the bytes, so the attack surface stays at three well-trodden ones.
_DEMUXERS: dict[Container, str] = {"mp4": "mov", "webm": "matroska", "gif": "gif"}
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What the container says about the clip, checked against the limits.

    width and height are the picture as players display it, in square pixels: turned by the
    stream's display matrix (a portrait phone clip stored landscape is taller than wide) and
    with non-square pixels (sample aspect ratio) widened, width = coded width x SAR.
    """

    container: Container
    width: int
    height: int
    fps: Fraction  # mean frames per second
    duration_s: float
    frames: int  # declared, or estimated from duration x fps when the container has no count
    has_audio: bool
    audio_codec: str | None


def sniff(data: bytes) -> Container | None:
    """The container the leading bytes announce, or None.

    Any WebP or PNG counts as "webp"/"apng" here; whether it is really animated is decided when
    it is probed (a still one is refused then, pointing to the photo path).
    """
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "apng"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if len(data) >= 8 and data[4:8] in _MP4_BOXES:
        return "mp4"
    return None


def open_video(data: bytes) -> Any:
    """Open an mp4/mov, WebM or GIF with PyAV (the container; the caller closes it).

    Refuses anything else or with no video track (UnsupportedMedia). Animated WebP/APNG are
    Pillow's to decode: they are measured by probe_video and read by animated.AnimatedReader;
    here they get UnsupportedMedia too.
    """
    if not data:
        raise UnsupportedMedia(MediaProblem.EMPTY)
    kind = sniff(data)
    if kind is None or kind not in _DEMUXERS:
        raise UnsupportedMedia(MediaProblem.NOT_A_VIDEO)
    try:
        # Not FFmpeg's own probing: it scores every demuxer it has against the bytes, and data
        # appended to a GIF (a polyglot) could win it.
        container = av.open(io.BytesIO(data), mode="r", format=_DEMUXERS[kind])
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise UnsupportedMedia(MediaProblem.CORRUPT_VIDEO) from exc
    # Decide before close(): PyAV's stream objects must not be touched after it (segfault).
    problem = _stream_problem(container.streams)
    if problem is not None:
        container.close()
        raise UnsupportedMedia(problem)
    return container


def _stream_problem(streams: Any) -> MediaProblem | None:
    if not streams.video:
        # No streams at all means the index (an mp4's moov) is cut off or mangled.
        return MediaProblem.NO_VIDEO_TRACK if streams.audio else MediaProblem.CORRUPT_VIDEO
    if streams.video[0].codec_context is None:  # FFmpeg could not make sense of the track
        return MediaProblem.CORRUPT_VIDEO
    return None


def probe_video(data: bytes, limits: VideoLimits = VideoLimits()) -> VideoInfo:
    """Check size, format, resolution, duration and frame count before decoding the clip.

    Accepts mp4/mov, WebM, GIF and animated WebP/APNG. Every limit is checked from the headers
    (limits.max_input_pixels against the coded width x height); only then is the first frame
    of a video decoded, to read its display matrix. Raises FileTooLarge, ImageTooLarge,
    VideoTooLong, VideoTooManyFrames or UnsupportedMedia (not a video, damaged, no frames).
    """
    if len(data) > limits.max_bytes:
        raise FileTooLarge(len(data), limits.max_bytes)
    if sniff(data) in ANIMATED_PICTURES:
        from engine.video.animated import probe_animated  # it builds on this module

        return probe_animated(data, limits)
    container = open_video(data)
    kind = sniff(data)
    assert kind is not None  # open_video refuses anything else
    try:
        stream = container.streams.video[0]
        width, height = int(stream.codec_context.width), int(stream.codec_context.height)
        if width <= 0 or height <= 0:
            raise UnsupportedMedia(MediaProblem.NO_PICTURE_SIZE)
        if width * height > limits.max_input_pixels:
            raise ImageTooLarge(width * height, limits.max_input_pixels)
        fps = stream.average_rate or stream.guessed_rate or Fraction(10)
        fps = Fraction(fps)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        if duration > limits.max_duration_s:
            raise VideoTooLong(duration, limits.max_duration_s)
        frames = int(stream.frames) or round(duration * float(fps))
        if frames > limits.max_frames:
            raise VideoTooManyFrames(frames, limits.max_frames)
        # A damaged audio track (no codec) is dropped rather than failing the whole clip.
        audio = [a for a in container.streams.audio[:1] if a.codec_context is not None]
        # Every limit passed: now one frame may be decoded, to learn how it is displayed.
        stream.thread_type = "SLICE"
        geometry = Geometry.of(first_frame(decoded_frames(container, stream)), stream)
        return VideoInfo(
            container=kind,
            width=geometry.displayed[0],
            height=geometry.displayed[1],
            fps=fps,
            duration_s=duration,
            frames=frames,
            has_audio=bool(audio),
            audio_codec=audio[0].codec_context.name if audio else None,
        )
    finally:
        container.close()


def fitted_even_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Downscale to fit max_side, keeping the aspect, with even sides (yuv420p needs them)."""
    scale = min(1.0, max_side / max(width, height))
    w = max(2, round(width * scale / 2) * 2)
    h = max(2, round(height * scale / 2) * 2)
    return w, h
