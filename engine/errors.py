"""The engine's error tree: every failure a caller can see, carrying the data to explain it."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Literal

__all__ = [
    "MEDIA_PROBLEM_TEXT",
    "BadOptionReason",
    "BadStyleOption",
    "EngineClosed",
    "EngineError",
    "FileTooLarge",
    "ImageTooLarge",
    "ImageTooSmall",
    "ImageTooThin",
    "InferenceFailed",
    "InferenceTimeout",
    "JobTimeout",
    "MediaError",
    "MediaProblem",
    "QueueFull",
    "ToonError",
    "UnknownStyle",
    "UnsupportedMedia",
    "VideoTooLong",
    "VideoTooManyFrames",
]


class ToonError(Exception):
    """Base of every error the engine raises on purpose."""


class MediaError(ToonError):
    """The input file cannot be used."""


class MediaProblem(StrEnum):
    """Why UnsupportedMedia refused a file: a stable code each frontend turns into its own words.

    The values never change (a frontend or a log query may key on them); the English text of
    each is MEDIA_PROBLEM_TEXT, which is what str() of the error says."""

    EMPTY = "empty"
    NOT_A_REGULAR_FILE = "not_a_regular_file"
    NOT_AN_IMAGE = "not_an_image"
    # A known picture or document format we do not decode (HEIC, AVIF, GIF as a photo, TIFF,
    # SVG, PDF...): UnsupportedMedia.format names it.
    FORMAT_NOT_SUPPORTED = "format_not_supported"
    VIDEO_AS_PHOTO = "video_as_photo"
    ARCHIVE = "archive"
    METADATA_TOO_LARGE = "metadata_too_large"
    CORRUPT_IMAGE = "corrupt_image"
    NOT_A_VIDEO = "not_a_video"
    CORRUPT_VIDEO = "corrupt_video"
    NO_VIDEO_TRACK = "no_video_track"
    NO_FRAMES = "no_frames"
    NO_PICTURE_SIZE = "no_picture_size"
    STILL_PICTURE = "still_picture"
    CORRUPT_ANIMATION = "corrupt_animation"
    # An engine caller handed over pixels that are not HxWx3 uint8: a programming error.
    NOT_RGB_PIXELS = "not_rgb_pixels"


# English, for logs and the command line; "{format}" is UnsupportedMedia.format_name.
MEDIA_PROBLEM_TEXT: Mapping[MediaProblem, str] = {
    MediaProblem.EMPTY: "file is empty",
    MediaProblem.NOT_A_REGULAR_FILE: "not a regular file",
    MediaProblem.NOT_AN_IMAGE: "not an image",
    MediaProblem.FORMAT_NOT_SUPPORTED: (
        "{format} is not supported for photos; send a JPEG, PNG or WebP"
    ),
    MediaProblem.VIDEO_AS_PHOTO: "video files are not supported here; send a photo",
    MediaProblem.ARCHIVE: "archives are not supported; send a photo",
    MediaProblem.METADATA_TOO_LARGE: "its embedded metadata is too large",
    MediaProblem.CORRUPT_IMAGE: "image data is corrupt or truncated",
    MediaProblem.NOT_A_VIDEO: (
        "not a video; send an MP4, MOV, WebM, GIF, or an animated WebP or PNG"
    ),
    MediaProblem.CORRUPT_VIDEO: "video data is corrupt or truncated",
    MediaProblem.NO_VIDEO_TRACK: "the file has no video track",
    MediaProblem.NO_FRAMES: "the video has no frames",
    MediaProblem.NO_PICTURE_SIZE: "the video track has no picture size",
    MediaProblem.STILL_PICTURE: "a still picture, not an animation; send it as a photo",
    MediaProblem.CORRUPT_ANIMATION: "animation data is corrupt or truncated",
    MediaProblem.NOT_RGB_PIXELS: "engine jobs take HxWx3 uint8 RGB images",
}


class UnsupportedMedia(MediaError):
    """The bytes are not an image (or video) format we accept, or are corrupt.

    problem: why, as a code; format_name: the refused format ("HEIC", "SVG"...) for
    FORMAT_NOT_SUPPORTED, else "". str() is the English reason (MEDIA_PROBLEM_TEXT), for logs
    and the command line; frontends word it themselves from problem and format_name."""

    def __init__(self, problem: MediaProblem, *, format_name: str = "") -> None:
        self.problem = MediaProblem(problem)
        self.format_name = format_name
        super().__init__(MEDIA_PROBLEM_TEXT[self.problem].format(format=format_name))


class ImageTooLarge(MediaError):
    """The image has more pixels than the decoder is allowed to allocate."""

    def __init__(self, pixels: int, limit: int) -> None:
        super().__init__(f"image has {pixels} pixels, limit is {limit}")
        self.pixels = pixels
        self.limit = limit


class ImageTooSmall(MediaError):
    """A side of the image (width x height as decoded, pixels) is under min_side pixels."""

    def __init__(self, width: int, height: int, min_side: int) -> None:
        super().__init__(f"image is {width}x{height}, each side must be at least {min_side} px")
        self.width = width
        self.height = height
        self.min_side = min_side


class ImageTooThin(ImageTooSmall):
    """Each side reaches min_side, but the image is so long and thin that fitting its longer
    side to the size cap would leave the shorter under min_side: its longer side may be at most
    max_ratio times its shorter. width x height are as decoded (the user's own numbers)."""

    def __init__(self, width: int, height: int, min_side: int, max_ratio: int) -> None:
        super().__init__(width, height, min_side)
        self.args = (
            f"image is {width}x{height}, too long and thin: the longer side may be at most "
            f"{max_ratio} times the shorter",
        )
        self.max_ratio = max_ratio


class FileTooLarge(MediaError):
    """The file is bigger than we are willing to read."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"file is {size} bytes, limit is {limit}")
        self.size = size
        self.limit = limit


class VideoTooLong(MediaError):
    """The video (or GIF) plays for longer than we are willing to stylize."""

    def __init__(self, duration_s: float, limit_s: float) -> None:
        super().__init__(f"video is {duration_s:.1f} s long, limit is {limit_s:g} s")
        self.duration_s = duration_s
        self.limit_s = limit_s


class VideoTooManyFrames(MediaError):
    """The video (or GIF) has more frames than we are willing to stylize."""

    def __init__(self, frames: int, limit: int) -> None:
        super().__init__(f"video has {frames} frames, limit is {limit}")
        self.frames = frames
        self.limit = limit


class UnknownStyle(ToonError):
    """The requested style does not exist."""

    def __init__(self, name: str, available: tuple[str, ...]) -> None:
        super().__init__(f"unknown style {name!r}; available: {', '.join(available)}")
        self.name = name
        self.available = available


# Why a style option was refused: stable codes (English words, also what str() says).
BadOptionReason = Literal["unknown option", "not a number", "out of range"]


class BadStyleOption(ToonError):
    """A style option (texture, color) is unknown or its value is unusable.

    name and value are as the user typed them; reason is a BadOptionReason ("out of range":
    values lie in [0, 1]). Frontends word each reason themselves.
    """

    def __init__(self, name: str, value: str, reason: BadOptionReason) -> None:
        super().__init__(f"style option {name}={value!r}: {reason}")
        self.name = name
        self.value = value
        self.reason: BadOptionReason = reason


class EngineError(ToonError):
    """The engine could not run the job."""


class QueueFull(EngineError):
    """Too many jobs are waiting; try again later."""

    def __init__(self, capacity: int) -> None:
        super().__init__(f"queue is full ({capacity} jobs waiting)")
        self.capacity = capacity


class JobTimeout(EngineError):
    """The job waited longer than its timeout before reaching the model."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(f"job timed out after {timeout_s:g} s")
        self.timeout_s = timeout_s


class EngineClosed(EngineError):
    """The engine is shutting down and accepts no more work."""


class InferenceFailed(EngineError):
    """The model raised while running the batch this job was in."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"inference failed: {type(cause).__name__}: {cause}")
        self.cause = cause


class InferenceTimeout(InferenceFailed):
    """The batch this job was in ran longer than the engine's batch timeout."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(TimeoutError(f"batch ran longer than {timeout_s:g} s"))
        self.timeout_s = timeout_s
