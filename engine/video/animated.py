"""Animated WebP and APNG: recognised cheaply, measured from headers, decoded with Pillow."""

from __future__ import annotations

import io
import struct
import warnings
import zlib

from PIL import Image

__all__ = ["is_animated_image"]

# Only these two Pillow plugins ever see the bytes here (the same two photos already use).
_ANIMATED_FORMATS = ("PNG", "WEBP")
# What Pillow's parsers raise on hostile or damaged input (a bug elsewhere still surfaces).
_DECODE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
    OverflowError,
    ZeroDivisionError,
    Image.DecompressionBombError,
)


def _animated_magic(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n") or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def is_animated_image(data: bytes) -> bool:
    """Whether data is an animated WebP or APNG (more than one frame), judged from headers only.

    Cheap: no frame is decoded; only Pillow's PNG and WebP openers parse the bytes, under
    Pillow's decompression-bomb cap. Anything else (a still picture, a GIF, a video, damaged
    or hostile bytes) is False, so the caller's usual photo path then explains any problem.
    """
    if not _animated_magic(data):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_ANIMATED_FORMATS) as im:
                return bool(getattr(im, "is_animated", False))
    except _DECODE_ERRORS:
        return False
