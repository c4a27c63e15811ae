"""Every engine error maps to its friendly constant, with the data filled in."""

from __future__ import annotations

import pytest

from bot import messages
from engine.errors import (
    EngineClosed,
    FileTooLarge,
    ImageTooLarge,
    ImageTooSmall,
    ImageTooThin,
    InferenceFailed,
    InferenceTimeout,
    JobTimeout,
    MediaProblem,
    QueueFull,
    ToonError,
    UnknownStyle,
    UnsupportedMedia,
)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (QueueFull(256), messages.BUSY),
        (JobTimeout(120), messages.TIMED_OUT),
        (EngineClosed("bye"), messages.SHUTTING_DOWN),
        (InferenceFailed(RuntimeError("CUDA out of memory")), messages.FAILED),
        (InferenceTimeout(120), messages.TIMED_OUT),
        (ToonError("anything else"), messages.FAILED),
        (
            UnsupportedMedia(MediaProblem.NOT_AN_IMAGE),
            "I can't read that file (not an image). Please send a JPEG, PNG or WebP photo, "
            "or an MP4, MOV, WebM or GIF clip (animated WebP and PNG work too).",
        ),
        (
            UnsupportedMedia(MediaProblem.FORMAT_NOT_SUPPORTED, format_name="HEIC"),
            "I can't read that file (HEIC is not supported for photos; send a JPEG, PNG or "
            "WebP). Please send a JPEG, PNG or WebP photo, or an MP4, MOV, WebM or GIF clip "
            "(animated WebP and PNG work too).",
        ),
        (
            ImageTooLarge(100_000 * 100_000, 40_000_000),
            "That image is too big (10000 megapixels). Please send one under 40 megapixels.",
        ),
        (
            ImageTooSmall(1, 1, 16),
            "That image is too small (1x1). Each side needs at least 16 pixels.",
        ),
        (
            ImageTooThin(4000, 40, 16, 96),
            "That image is too long and thin to draw (4000x40). "
            "Its longer side can be at most 96 times its shorter side.",
        ),
        (
            FileTooLarge(25 * 1024 * 1024, 20 * 1024 * 1024),
            "That file is too big (25.0 MB). The limit is 20 MB.",
        ),
        (
            UnknownStyle("anime", ("webtoon", "sketch")),
            "I don't know the style \u201canime\u201d. Try one of: webtoon, sketch.",
        ),
    ],
)
def test_error_message(error: ToonError, expected: str) -> None:
    text = messages.error_message(error)
    assert text == expected
    assert "Traceback" not in text and "CUDA" not in text
