"""Animated WebP and APNG: recognised cheaply, measured from headers, decoded with Pillow.

FFmpeg is not used for these: Pillow's two openers (the ones photos already go through) apply
each frame's disposal and blending. Frames are composited on white like transparent photos.
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

from engine.errors import (
    FileTooLarge,
    ImageTooLarge,
    ImageTooSmall,
    MediaProblem,
    UnsupportedMedia,
    VideoTooLong,
    VideoTooManyFrames,
)
from engine.imageio import PILLOW_DECODE_ERRORS
from engine.video.probe import VideoInfo, VideoLimits, fitted_even_size

__all__ = [
    "AnimatedReader",
    "AnimationHeader",
    "is_animated_image",
    "probe_animated",
    "read_header",
]

# Only these two Pillow plugins ever see the bytes here (the same two photos already use).
_ANIMATED_FORMATS = ("PNG", "WEBP")
_MIN_SIDE = 16  # as for videos: the styles' filters need some room
# What Pillow's parsers raise on hostile or damaged input (a bug elsewhere still surfaces).
_DECODE_ERRORS: tuple[type[Exception], ...] = (
    *PILLOW_DECODE_ERRORS,
    Image.DecompressionBombError,
)


def _animated_magic(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n") or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def is_animated_image(data: bytes) -> bool:
    """Whether data is an animated WebP or APNG (more than one frame), judged from headers only.

    Cheap: no frame is decoded; the chunk headers are walked first (a canvas over Pillow's
    decompression-bomb cap is not opened at all), then only Pillow's PNG and WebP openers parse
    the bytes. Anything else (a still picture, a GIF, a video, damaged or hostile bytes) is
    False, so the caller's usual photo path then explains any problem.
    """
    header = read_header(data, max_frames=1)
    if header is None or header.width * header.height > _bomb_cap():
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_ANIMATED_FORMATS) as im:
                return bool(getattr(im, "is_animated", False))
    except _DECODE_ERRORS:
        return False


# Browsers show frames of 10 ms or less (and APNG's "as fast as possible" 0) for 100 ms.
_MIN_DELAY_MS = 10.0
_DEFAULT_DELAY_MS = 100.0


@dataclass(frozen=True, slots=True)
class AnimationHeader:
    """What an animated picture's chunk headers declare, read without decoding any frame."""

    kind: Literal["webp", "apng"]
    width: int  # canvas, pixels
    height: int
    delays_ms: tuple[float, ...]  # one per declared frame, normalized (see _delay)

    @property
    def duration_s(self) -> float:
        """Total playing time of one loop, seconds."""
        return sum(self.delays_ms) / 1000.0


def _delay(ms: float) -> float:
    return _DEFAULT_DELAY_MS if ms <= _MIN_DELAY_MS else ms


def read_header(data: bytes, max_frames: int | None = None) -> AnimationHeader | None:
    """Canvas size and per-frame delays of an animated WebP (VP8X + ANMF chunks) or APNG (IHDR
    + fcTL chunks), by walking the chunk headers only; None if the bytes are neither or carry
    no animation. Stops counting past max_frames + 1 frames (enough to refuse the file)."""
    cap = None if max_frames is None else max_frames + 1
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_header(data, cap)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _apng_header(data, cap)
    return None


def _webp_header(data: bytes, cap: int | None) -> AnimationHeader | None:
    end = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    pos, size, delays = 12, (0, 0), list[float]()
    while pos + 8 <= end and (cap is None or len(delays) < cap):
        fourcc = data[pos : pos + 4]
        length = struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if body + length > len(data):
            break  # truncated: what was declared so far stands
        if fourcc == b"VP8X" and length >= 10:
            size = (1 + _u24(data, body + 4), 1 + _u24(data, body + 7))
        elif fourcc == b"ANMF" and length >= 16:
            delays.append(_delay(_u24(data, body + 12)))
        pos = body + length + (length & 1)
    if not delays or min(size) <= 0:
        return None
    return AnimationHeader("webp", size[0], size[1], tuple(delays))


def _apng_header(data: bytes, cap: int | None) -> AnimationHeader | None:
    pos, size, delays, animated = 8, (0, 0), list[float](), False
    while pos + 12 <= len(data) and (cap is None or len(delays) < cap):
        length = struct.unpack_from(">I", data, pos)[0]
        kind = data[pos + 4 : pos + 8]
        body = pos + 8
        if body + length > len(data) or kind == b"IEND":
            break
        if kind == b"IHDR" and length >= 8:
            size = struct.unpack_from(">II", data, body)
        elif kind == b"acTL":
            animated = True
        elif kind == b"fcTL" and length >= 26:
            num, den = struct.unpack_from(">HH", data, body + 20)
            delays.append(_delay(num * 1000.0 / (den or 100)))
        pos = body + length + 4  # + CRC
    if not animated or len(delays) < 2 or min(size) <= 0:
        return None
    return AnimationHeader("apng", int(size[0]), int(size[1]), tuple(delays))


def _n_frames(im: Image.Image) -> int:
    return int(getattr(im, "n_frames", 1))


def _u24(data: bytes, pos: int) -> int:
    return int.from_bytes(data[pos : pos + 3], "little")


def _bomb_cap() -> int:
    return 2 * (Image.MAX_IMAGE_PIXELS or 89_478_485)


def probe_animated(data: bytes, limits: VideoLimits) -> VideoInfo:
    """Measure an animated WebP/APNG from its headers alone and check it against the limits.

    Returns the canvas size in pixels, frames, one loop's duration in seconds and the mean
    frame rate (frames / duration). Raises FileTooLarge, ImageTooLarge (canvas over
    limits.max_input_pixels), VideoTooManyFrames, VideoTooLong (one loop over
    limits.max_duration_s) or UnsupportedMedia (damaged, or a still picture), all before any
    frame is decoded.
    """
    im, first, header = _open(data, limits)
    try:
        frames = max(len(header.delays_ms), _n_frames(im) - first)
        width, height = im.size
    finally:
        im.close()
    duration = header.duration_s
    fps = Fraction(frames / duration).limit_denominator(1000) if duration > 0 else Fraction(10)
    return VideoInfo(header.kind, width, height, fps, duration, frames, False, None)


def _check_limits(w: int, h: int, frames: int, duration_s: float, limits: VideoLimits) -> None:
    if w * h > limits.max_input_pixels:
        raise ImageTooLarge(w * h, limits.max_input_pixels)
    if frames > limits.max_frames:
        raise VideoTooManyFrames(frames, limits.max_frames)
    if duration_s > limits.max_duration_s:
        raise VideoTooLong(duration_s, limits.max_duration_s)


def _open(data: bytes, limits: VideoLimits) -> tuple[Image.Image, int, AnimationHeader]:
    """The Pillow image (nothing decoded yet; the caller closes it), the index of its first
    animation frame, and the header, with every limit checked before Pillow sees the bytes."""
    if len(data) > limits.max_bytes:
        raise FileTooLarge(len(data), limits.max_bytes)
    header = read_header(data, limits.max_frames)
    if header is None:
        still = _animated_magic(data)
        raise UnsupportedMedia(
            MediaProblem.STILL_PICTURE if still else MediaProblem.CORRUPT_ANIMATION
        )
    # Pillow's WebP opener sets up a whole canvas before it reports the size: check first.
    _check_limits(header.width, header.height, len(header.delays_ms), header.duration_s, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=_ANIMATED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(header.width * header.height, limits.max_input_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise UnsupportedMedia(MediaProblem.CORRUPT_ANIMATION) from exc
    try:
        if not getattr(im, "is_animated", False):
            raise UnsupportedMedia(MediaProblem.STILL_PICTURE)
        if im.format == "WEBP" and getattr(im, "rawmode", None) == "RGBX":
            # libwebp's animation decoder hands out RGBA canvases whose uncovered areas are
            # transparent, as browsers show them; Pillow drops that alpha when no frame
            # declares any (a sticker whose frames were cropped to their opaque part).
            setattr(im, "rawmode", "RGBA")  # noqa: B010 (not in the stubs)
            im._mode = "RGBA"
        # An APNG whose plain PNG picture is not part of the animation: players skip it.
        first = 1 if im.info.get("default_image") else 0
        _check_limits(im.width, im.height, _n_frames(im) - first, header.duration_s, limits)
    except BaseException:
        im.close()
        raise
    return im, first, header


class AnimatedReader:
    """FrameReader's interface over an animated WebP/APNG decoded by Pillow.

    Frames come out as contiguous HxWx3 uint8 RGB of `size` (even sides, the longest fitted to
    limits.max_side), transparency composited on white, with Pillow applying each frame's
    disposal and blending; times are the frames' start in seconds from 0. Frame count and
    duration are checked from the headers on opening and again while decoding.
    """

    def __init__(self, data: bytes, limits: VideoLimits) -> None:
        self._limits = limits
        self._im, self._index, _ = _open(data, limits)
        try:
            self._end = _n_frames(self._im)
            self.size = fitted_even_size(self._im.width, self._im.height, limits.max_side)
            if min(self.size) < _MIN_SIDE:
                raise ImageTooSmall(self.size[0], self.size[1], _MIN_SIDE)
        except BaseException:
            self._im.close()
            raise
        self._count = 0
        self._t = 0.0
        self._lock = threading.Lock()
        self._closed = False

    @property
    def end_s(self) -> float:
        """When the last frame read so far stops showing, seconds from the first frame."""
        return self._t

    def read(self, n: int) -> list[tuple[npt.NDArray[np.uint8], float]]:
        """Up to n more (frame, start time in s) pairs; an empty list at the end."""
        with self._lock:
            out: list[tuple[npt.NDArray[np.uint8], float]] = []
            while not self._closed and len(out) < n and self._index < self._end:
                try:
                    self._im.seek(self._index)
                    self._im.load()
                    rgba = self._im.convert("RGBA")
                except _DECODE_ERRORS as exc:
                    if self._count == 0:
                        raise UnsupportedMedia(MediaProblem.CORRUPT_ANIMATION) from exc
                    self._end = self._index  # a damaged tail: keep what played
                    break
                self._index += 1
                self._count += 1
                if self._count > self._limits.max_frames:
                    raise VideoTooManyFrames(self._count, self._limits.max_frames)
                if self._t > self._limits.max_duration_s:
                    raise VideoTooLong(self._t, self._limits.max_duration_s)
                out.append((self._flatten(rgba), self._t))
                self._t += _delay(float(self._im.info.get("duration") or 0)) / 1000.0
            return out

    def _flatten(self, rgba: Image.Image) -> npt.NDArray[np.uint8]:
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba)
        if flat.size != self.size:
            flat = flat.resize(self.size, Image.Resampling.LANCZOS, reducing_gap=2.0)
        return np.array(flat, dtype=np.uint8)  # a writable copy: torch borrows it

    def close(self) -> None:
        """Release the decoder."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._im.close()
