"""Every user-facing string, and the one place errors become words."""

from __future__ import annotations

from engine.errors import (
    EngineClosed,
    FileTooLarge,
    ImageTooLarge,
    ImageTooSmall,
    InferenceFailed,
    JobTimeout,
    QueueFull,
    ToonError,
    UnknownStyle,
    UnsupportedMedia,
)

__all__ = [
    "BUSY",
    "FAILED",
    "FILE_TOO_LARGE",
    "IMAGE_TOO_LARGE",
    "IMAGE_TOO_SMALL",
    "NO_TOKEN",
    "SHUTTING_DOWN",
    "TIMED_OUT",
    "UNKNOWN_STYLE",
    "UNSUPPORTED",
    "error_message",
]

BUSY = "I'm very busy right now. Please try again in a minute."
TIMED_OUT = "That took too long, sorry. Please try again in a few minutes."
FAILED = "Something went wrong while drawing your picture. Please try again."
SHUTTING_DOWN = "I'm restarting. Please send it again in a moment."
UNSUPPORTED = "I can't read that file ({reason}). Please send a JPEG, PNG or WebP photo."
IMAGE_TOO_LARGE = (
    "That image is too big ({megapixels:.0f} megapixels). "
    "Please send one under {limit_megapixels:.0f} megapixels."
)
IMAGE_TOO_SMALL = (
    "That image is too small or too thin ({width}x{height}). "
    "Each side needs at least {min_side} pixels."
)
FILE_TOO_LARGE = "That file is too big ({size_mb:.1f} MB). The limit is {limit_mb:.0f} MB."
UNKNOWN_STYLE = "I don't know the style \u201c{name}\u201d. Try one of: {available}."
NO_TOKEN = (
    "No bot token is set, so there is nothing to run. Set {telegram_env} for Telegram "
    "and/or {discord_env} for Discord in the environment, then run `toonbot run` again."
)

_MB = 1024 * 1024


def error_message(exc: ToonError) -> str:
    """A friendly, stack-trace-free sentence for any engine error."""
    match exc:
        case QueueFull():
            return BUSY
        case JobTimeout():
            return TIMED_OUT
        case EngineClosed():
            return SHUTTING_DOWN
        case ImageTooLarge(pixels=pixels, limit=limit):
            return IMAGE_TOO_LARGE.format(megapixels=pixels / 1e6, limit_megapixels=limit / 1e6)
        case ImageTooSmall(width=width, height=height, min_side=min_side):
            return IMAGE_TOO_SMALL.format(width=width, height=height, min_side=min_side)
        case FileTooLarge(size=size, limit=limit):
            return FILE_TOO_LARGE.format(size_mb=size / _MB, limit_mb=limit / _MB)
        case UnsupportedMedia(reason=reason):
            return UNSUPPORTED.format(reason=reason)
        case UnknownStyle(name=name, available=available):
            return UNKNOWN_STYLE.format(name=name, available=", ".join(available))
        case InferenceFailed():
            return FAILED
    return FAILED
