"""Size limits for untrusted uploads: plain settings, cheap to import (no OpenCV, PyAV or torch),
so configuration can name them without loading the decoders."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ImageLimits", "VideoLimits"]


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """Size limits applied while decoding untrusted images."""

    max_bytes: int = 20 * 1024 * 1024  # raw file size
    max_pixels: int = 40_000_000  # width*height as declared in the header, before decoding
    max_side: int = 1536  # longest side of the decoded image is downscaled to this
    min_side: int = 16  # shortest side after downscaling must be >= this

    def __post_init__(self) -> None:
        if min(self.max_bytes, self.max_pixels, self.max_side, self.min_side) < 1:
            raise ValueError(f"all image limits must be positive: {self!r}")
        if self.min_side > self.max_side:
            raise ValueError(f"min_side {self.min_side} exceeds max_side {self.max_side}")


@dataclass(frozen=True, slots=True)
class VideoLimits:
    """Size limits applied to untrusted videos and GIFs before and while decoding."""

    max_bytes: int = 20 * 1024 * 1024  # raw file size (Telegram's download limit)
    max_duration_s: float = 60.0
    max_frames: int = 1800
    max_side: int = 720  # frames are downscaled so their longest side fits this
    max_input_pixels: int = 8_294_400  # width*height declared by the stream (4K UHD)

    def __post_init__(self) -> None:
        if min(self.max_bytes, self.max_duration_s, self.max_frames, self.max_input_pixels) <= 0:
            raise ValueError(f"all video limits must be positive: {self!r}")
        if not 16 <= self.max_side <= 4096:
            raise ValueError("video.max_side must be between 16 and 4096")
