"""How a decoded video frame is meant to be shown: display-matrix rotation/mirroring, non-square
pixels (sample aspect ratio) and transparency, applied so that output frames need no tags at all.

Phones store portrait video landscape with a display matrix saying how to turn it; anamorphic
footage stores non-square pixels. Players honour both, so the frames handed to the styles (and
the re-encoded output, which carries neither tag) are made upright and square-pixelled here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from av.sidedata.sidedata import Type as SideDataType

from engine.errors import MediaProblem, UnsupportedMedia

__all__ = [
    "Geometry",
    "decoded_frames",
    "first_frame",
    "flatten_on_white",
    "frame_pixel_format",
    "orientation_from_matrix",
    "sample_aspect_ratio",
]

Frame = npt.NDArray[np.uint8]
# A sample aspect ratio outside this range is a damaged header, not a real camera: ignored.
_SAR_RANGE = (Fraction(1, 8), Fraction(8))
# FFmpeg's own VP8/VP9 decoders drop the alpha plane WebM carries beside the picture (Matroska
# BlockAdditional); libvpx's decoders return it (yuva420p). Used only for streams marked alpha.
_ALPHA_DECODERS = {"vp8": "libvpx", "vp9": "libvpx-vp9"}


@dataclass(frozen=True, slots=True)
class Orientation:
    """A display matrix snapped to the eight right-angle turns and mirrorings.

    Applied to an HxWxC array as: transpose the two picture axes when `swap`, then reverse the
    rows when `flip_rows` and the columns when `flip_cols`.
    """

    swap: bool = False
    flip_rows: bool = False
    flip_cols: bool = False

    def apply(self, rgb: Frame) -> Frame:
        """The array turned/mirrored as displayed (a view when nothing changes)."""
        out = np.swapaxes(rgb, 0, 1) if self.swap else rgb
        if self.flip_rows:
            out = out[::-1]
        if self.flip_cols:
            out = out[:, ::-1]
        return out


def orientation_from_matrix(matrix: npt.ArrayLike) -> Orientation:
    """The upright orientation for FFmpeg's 3x3 display matrix (9 int32s, 16.16 fixed point).

    FFmpeg maps a source pixel (x, y) to the displayed (x', y') = (a*x + c*y, b*x + d*y) with
    (a, b, c, d) = matrix[0, 1, 3, 4] (y pointing down the picture). A rotation of 90/180/270
    degrees, with or without a mirror (negative determinant), is exact; any other angle snaps
    to the nearest quarter turn; an all-zero (invalid) matrix means "as stored".
    """
    m = np.asarray(matrix, dtype=np.int64).reshape(-1)
    if m.size != 9:
        raise ValueError(f"a display matrix has 9 entries, got {m.size}")
    a, b, c, d = (int(v) for v in m[[0, 1, 3, 4]])
    if abs(b) + abs(c) > abs(a) + abs(d):
        # Axes swapped: x' = c*y and y' = b*x, i.e. the transpose, then signs.
        return Orientation(swap=True, flip_rows=b < 0, flip_cols=c < 0)
    return Orientation(swap=False, flip_rows=d < 0, flip_cols=a < 0)


def frame_orientation(frame: Any) -> Orientation:
    """The orientation a decoded PyAV frame's display-matrix side data asks for."""
    try:
        side = frame.side_data.get(SideDataType.DISPLAYMATRIX)
    except (AttributeError, KeyError, ValueError):
        return Orientation()
    if side is None:
        return Orientation()
    raw = bytes(side)
    if len(raw) != 36:
        return Orientation()
    return orientation_from_matrix(np.frombuffer(raw, dtype=np.int32))


def sample_aspect_ratio(stream: Any) -> Fraction:
    """The pixel shape (width/height of one pixel) a video stream declares; 1 when square.

    The container's value wins over the codec's, as in FFmpeg's av_guess_sample_aspect_ratio.
    Missing, zero or absurd values (outside 1/8..8) count as square.
    """
    for sar in (stream.sample_aspect_ratio, stream.codec_context.sample_aspect_ratio):
        if sar is not None and sar > 0:
            sar = Fraction(sar)
            return sar if _SAR_RANGE[0] <= sar <= _SAR_RANGE[1] else Fraction(1)
    return Fraction(1)


def displayed_size(width: int, height: int, sar: Fraction, swap: bool) -> tuple[int, int]:
    """The (width, height) in square pixels of a width x height picture shown upright."""
    shown_w = max(1, round(width * sar))
    return (height, shown_w) if swap else (shown_w, height)


@dataclass(frozen=True, slots=True)
class Geometry:
    """A stream's decoded picture size, pixel shape and orientation, and how to show it."""

    width: int  # decoded (coded) picture, pixels
    height: int
    sar: Fraction = Fraction(1)
    orientation: Orientation = Orientation()

    @classmethod
    def of(cls, frame: Any, stream: Any) -> Geometry:
        """The geometry of a stream, read from its first decoded frame and its headers."""
        orientation = frame_orientation(frame)
        return cls(int(frame.width), int(frame.height), sample_aspect_ratio(stream), orientation)

    @property
    def displayed(self) -> tuple[int, int]:
        """(width, height) as players show it, in square pixels."""
        return displayed_size(self.width, self.height, self.sar, self.orientation.swap)

    def decode_size(self, shown: tuple[int, int]) -> tuple[int, int]:
        """The (width, height) to scale a decoded frame to so that it comes out `shown` upright."""
        return (shown[1], shown[0]) if self.orientation.swap else shown

    def finish(self, pixels: Frame) -> Frame:
        """An HxWx3 RGB (or HxWx4 RGBA, composited on white) frame scaled to decode_size(),
        turned upright: a contiguous HxWx3 uint8 array of the displayed size."""
        if pixels.ndim == 3 and pixels.shape[2] == 4:
            pixels = flatten_on_white(pixels)
        return np.ascontiguousarray(self.orientation.apply(pixels))


def flatten_on_white(rgba: Frame) -> Frame:
    """HxWx4 RGBA (straight alpha) composited on white: HxWx3 uint8, like transparent photos."""
    alpha = rgba[..., 3:4].astype(np.uint16)
    rgb = rgba[..., :3].astype(np.uint16)
    return ((rgb * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)


def frame_pixel_format(frame: Any) -> str:
    """ "rgba" for a decoded frame that carries an alpha plane, else "rgb24"."""
    return "rgba" if any(c.is_alpha for c in frame.format.components) else "rgb24"


def decoded_frames(container: Any, stream: Any) -> Iterator[Any]:
    """The stream's decoded frames; WebM VP8/VP9 marked as transparent keep their alpha plane."""
    codec = stream.codec_context.name
    alpha = str(stream.metadata.get("alpha_mode", "")) == "1"
    name = _ALPHA_DECODERS.get(codec)
    if not alpha or name is None or name not in av.codecs_available:
        return iter(container.decode(stream))
    decoder: Any = av.CodecContext.create(name, "r")
    decoder.thread_type = "AUTO"
    # demux() ends with an empty packet, which flushes the decoder's delayed frames.
    return (frame for packet in container.demux(stream) for frame in decoder.decode(packet))


def first_frame(frames: Iterator[Any]) -> Any:
    """The next decoded frame; UnsupportedMedia if the stream has none or it does not decode."""
    try:
        return next(frames)
    except StopIteration:
        raise UnsupportedMedia(MediaProblem.NO_FRAMES) from None
    except (av.FFmpegError, ValueError) as exc:
        raise UnsupportedMedia(MediaProblem.CORRUPT_VIDEO) from exc
