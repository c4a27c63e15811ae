"""The engine's error tree: every failure a caller can see, carrying the data to explain it."""

from __future__ import annotations

__all__ = [
    "BadStyleOption",
    "EngineClosed",
    "EngineError",
    "FileTooLarge",
    "ImageTooLarge",
    "ImageTooSmall",
    "InferenceFailed",
    "InferenceTimeout",
    "JobTimeout",
    "MediaError",
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


class UnsupportedMedia(MediaError):
    """The bytes are not an image (or video) format we accept, or are corrupt."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ImageTooLarge(MediaError):
    """The image has more pixels than the decoder is allowed to allocate."""

    def __init__(self, pixels: int, limit: int) -> None:
        super().__init__(f"image has {pixels} pixels, limit is {limit}")
        self.pixels = pixels
        self.limit = limit


class ImageTooSmall(MediaError):
    """The image (after fitting to the size cap) is too small or too thin to stylize."""

    def __init__(self, width: int, height: int, min_side: int) -> None:
        super().__init__(f"image is {width}x{height}, each side must be at least {min_side} px")
        self.width = width
        self.height = height
        self.min_side = min_side


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


class BadStyleOption(ToonError):
    """A style option (texture, color) is unknown or its value is unusable.

    reason: "unknown option", "not a number" or "out of range" (values lie in [0, 1]).
    """

    def __init__(self, name: str, value: str, reason: str) -> None:
        super().__init__(f"style option {name}={value!r}: {reason}")
        self.name = name
        self.value = value
        self.reason = reason


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
