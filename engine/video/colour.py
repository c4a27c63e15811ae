"""Video colour: decode with the stream's declared matrix and range, map HDR and wide gamut to SDR
BT.709, and encode tagged BT.709 limited range.

Every frame the styles see is 8-bit sRGB-like RGB (BT.709 primaries, D65), like a photo:

* SDR BT.709-family video (BT.709, BT.601/SMPTE 170M, BT.470BG primaries, which are treated as
  BT.709, as players do) is converted by libswscale with the frame's declared YUV matrix
  (BT.601, BT.709, BT.2020, SMPTE 240M, FCC) and range (limited or full). An untagged matrix is
  guessed the way players guess it (mpv, Chromium): BT.709 for HD (wider than 1024 or taller
  than 576 px), BT.601 for SD; an untagged range is limited.
* HDR video (ITU-R BT.2100: PQ / SMPTE ST 2084, or HLG / ARIB STD-B67; BT.2020 primaries) and
  wide-gamut SDR (BT.2020 or Display P3 primaries) go through linear light in numpy:
  EOTF -> linear RGB relative to SDR reference white -> BT.709 primaries (the 3x3 matrix of
  ITU-R BT.2087) -> highlight roll-off -> sRGB encoding (IEC 61966-2-1).

  Light is counted relative to HDR reference white (203 cd/m², ITU-R BT.2408), which is SDR's
  1.0. The EETF of ITU-R BT.2390 (section 5.4) compresses, in the PQ domain, the source range
  [0, peak] (peak: MaxCLL, else the mastering display's peak, else 1000 cd/m²) into
  [0, 203 cd/m²]: unchanged below its knee (~95 cd/m² for a 1000 cd/m² peak), rolled off above
  (reference white itself lands at ~159 cd/m²). The curve is applied to max(R, G, B) and all
  three channels are scaled alike, which keeps hue and saturation and never overflows (the
  maxRGB approach of SMPTE ST 2094-40). HLG is turned into display light with the BT.2100 OOTF
  for a nominal 1000 cd/m² display (system gamma 1.2, so its 75 % signal is 203 cd/m²).
  Colours outside BT.709 are clipped per channel at 0.

  Tolerance (measured through toon_video with an identity style, flat BT.709 patches encoded as
  10-bit BT.2020 PQ or HLG, limited range, 4:2:0, then H.264 out): colours whose brightest
  channel stays below the knee (~95 cd/m², sRGB up to ~180) come back within 3 levels of 255;
  brighter ones are rolled off (for a 1000 cd/m² source, sRGB 240 -> 220, SDR white -> 229) and a
  1000 cd/m² highlight becomes 254-255. SDR colours decode within 3 levels whatever the declared
  matrix and range.

The FFmpeg bundled with PyAV has no zscale (and its tonemap filter needs zscale's linear input).
libswscale in FFmpeg 8 tone-maps when reformat() is given a destination transfer, but PyAV
documents that as tagging only, and in trials its result depended on the output pixel format and
tinted neutral greys; so the transfer functions are evaluated here, through 65536-entry lookup
tables (16-bit R'G'B' code -> linear light, linear light -> 8-bit sRGB): ~70 ms a 1280x720 frame
on one CPU core, against ~1 ms for SDR.
"""

from __future__ import annotations

import functools
import struct
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from av.video.reformatter import ColorPrimaries, ColorRange, Colorspace, ColorTrc

__all__ = [
    "SDR_WHITE_NITS",
    "bt709_frame",
    "frame_to_rgb",
    "pq_eotf",
    "pq_inverse_eotf",
    "primaries_matrix",
    "tag_bt709",
    "tone_map_nits",
]

SDR_WHITE_NITS = 203.0  # HDR reference white (ITU-R BT.2408) shown as SDR white
_DEFAULT_PEAK_NITS = 1000.0  # HDR10 content with no light-level metadata; HLG's nominal display

# CIE 1931 xy of the red, green and blue primaries and the D65 white point.
_XY: dict[int, tuple[tuple[float, float], ...]] = {
    ColorPrimaries.BT709: ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060)),
    ColorPrimaries.BT2020: ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)),
    ColorPrimaries.SMPTE432: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)),  # Display P3
}
_D65 = (0.3127, 0.3290)

# The frame's AVColorSpace id -> the swscale matrix that decodes it.
_MATRIX: dict[int, Colorspace] = {
    1: Colorspace.ITU709,  # BT.709
    4: Colorspace.FCC,
    5: Colorspace.ITU601,  # BT.470BG
    6: Colorspace.ITU601,  # SMPTE 170M
    7: Colorspace.SMPTE240M,
    9: Colorspace.BT2020,  # BT.2020 non-constant luminance
    10: Colorspace.BT2020,  # constant luminance: decoded as NCL (no player does better)
}

Rgb = npt.NDArray[np.uint8]


def frame_to_rgb(frame: Any, width: int, height: int, pixel_format: str = "rgb24") -> Rgb:
    """An (height, width, 3) uint8 sRGB array of a decoded frame, scaled to width x height.

    pixel_format "rgba" gives (height, width, 4) with the frame's alpha as well. Raises nothing
    of its own; av.FFmpegError from libswscale when the frame cannot be converted.
    """
    trc = int(frame.color_trc)
    primaries = int(frame.color_primaries)
    yuv = not frame.format.name.startswith(("rgb", "bgr", "gbr", "argb", "abgr", "pal", "gray"))
    kwargs: dict[str, Any] = {"width": width, "height": height}
    if yuv:
        kwargs["src_colorspace"] = _matrix(frame)
        kwargs["src_color_range"] = (
            ColorRange.JPEG if int(frame.color_range) == ColorRange.JPEG else ColorRange.MPEG
        )
    # Float out of libswscale: its 8- and 16-bit RGB output can be 2 levels off when unscaled.
    deep = "gbrapf32le" if pixel_format == "rgba" else "gbrpf32le"
    values = frame.reformat(format=deep, **kwargs).to_ndarray()
    hdr = trc in (ColorTrc.SMPTE2084, ColorTrc.ARIB_STD_B67)
    if not hdr and primaries not in (ColorPrimaries.BT2020, ColorPrimaries.SMPTE432):
        return _quantize(values)
    codes = np.clip(values[..., :3] * 65535 + 0.5, 0, 65535).astype(np.uint16)
    if trc == ColorTrc.SMPTE2084:
        linear = _pq_table()[codes]
        peak = _peak_nits(frame) / SDR_WHITE_NITS
    elif trc == ColorTrc.ARIB_STD_B67:
        linear = _hlg_display(_hlg_table()[codes])
        peak = _DEFAULT_PEAK_NITS / SDR_WHITE_NITS
    else:
        linear = _srgb_table()[codes]
        peak = 1.0
    src = primaries if primaries in _XY else ColorPrimaries.BT2020
    matrix = primaries_matrix(src, ColorPrimaries.BT709).T.astype(np.float32)
    linear = (linear.reshape(-1, 3) @ matrix).reshape(linear.shape)
    np.maximum(linear, 0, out=linear)
    _roll_off(linear, peak)
    rgb: Rgb = _srgb_encode(linear)
    if values.shape[-1] == 4:
        rgb = np.concatenate([rgb, _quantize(values[..., 3:])], axis=2)
    return rgb


def _quantize(values: npt.NDArray[np.float32]) -> Rgb:
    scaled = values * 255
    scaled += 0.5
    np.clip(scaled, 0, 255, out=scaled)
    return scaled.astype(np.uint8)


def tag_bt709(codec_context: Any) -> None:
    """Declare BT.709 primaries, transfer and matrix, limited range, on an encoder."""
    codec_context.color_primaries = ColorPrimaries.BT709
    codec_context.color_trc = ColorTrc.BT709
    codec_context.colorspace = 1  # AVCOL_SPC_BT709
    codec_context.color_range = ColorRange.MPEG


def bt709_frame(rgb: Rgb) -> Any:
    """A yuv420p VideoFrame of an (h, w, 3) uint8 RGB array: BT.709 matrix, limited range."""
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    return frame.reformat(
        format="yuv420p", dst_colorspace=Colorspace.ITU709, dst_color_range=ColorRange.MPEG
    )


def _matrix(frame: Any) -> Colorspace:
    declared = _MATRIX.get(int(frame.colorspace))
    if declared is not None:
        return declared
    hd = frame.width > 1024 or frame.height > 576
    return Colorspace.ITU709 if hd else Colorspace.ITU601


# --- Transfer functions (ITU-R BT.2100, IEC 61966-2-1) -------------------------------------

_M1, _M2 = 2610 / 16384, 2523 / 4096 * 128
_C1, _C2, _C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32


def pq_eotf(signal: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """PQ (SMPTE ST 2084, BT.2100) non-linear signal in [0, 1] -> luminance in cd/m² [0, 10000]."""
    e = np.clip(np.asarray(signal, np.float64), 0, 1) ** (1 / _M2)
    return 10000 * (np.maximum(e - _C1, 0) / (_C2 - _C3 * e)) ** (1 / _M1)


def pq_inverse_eotf(nits: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Luminance in cd/m² [0, 10000] -> PQ non-linear signal in [0, 1]."""
    y = (np.clip(np.asarray(nits, np.float64), 0, 10000) / 10000) ** _M1
    return ((_C1 + _C2 * y) / (1 + _C3 * y)) ** _M2


@functools.cache
def _pq_table() -> npt.NDArray[np.float32]:
    """16-bit PQ code -> linear light relative to SDR white."""
    return (pq_eotf(np.arange(65536) / 65535) / SDR_WHITE_NITS).astype(np.float32)


@functools.cache
def _hlg_table() -> npt.NDArray[np.float32]:
    """16-bit HLG code -> normalized scene light [0, 1] (BT.2100 HLG inverse OETF)."""
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    e = np.arange(65536) / 65535
    scene = np.where(e <= 0.5, e**2 / 3, (np.exp((np.maximum(e, 0.5) - c) / a) + b) / 12)
    return scene.astype(np.float32)


def _hlg_display(scene: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """BT.2100 HLG OOTF for a 1000 cd/m² display (gamma 1.2), relative to SDR white."""
    ys = scene @ np.array([0.2627, 0.6780, 0.0593], np.float32)
    gain = _DEFAULT_PEAK_NITS / SDR_WHITE_NITS * np.power(np.maximum(ys, 1e-12), 0.2)
    return scene * gain[..., None].astype(np.float32)


@functools.cache
def _srgb_table() -> npt.NDArray[np.float32]:
    """16-bit sRGB-encoded code -> linear light (IEC 61966-2-1 EOTF)."""
    x = np.arange(65536) / 65535
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


@functools.cache
def _srgb_encode_table() -> npt.NDArray[np.uint8]:
    """Linear light in 65536 steps of [0, 1] -> 8-bit sRGB code (IEC 61966-2-1 inverse EOTF)."""
    x = np.arange(65536) / 65535
    v = np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)
    return np.round(v * 255).astype(np.uint8)


def _srgb_encode(linear: npt.NDArray[np.float32]) -> Rgb:
    index = np.clip(linear * 65535 + 0.5, 0, 65535).astype(np.uint16)
    encoded: Rgb = _srgb_encode_table()[index]
    return encoded


# --- Gamut and tone mapping -------------------------------------------------------------------


@functools.cache
def primaries_matrix(src: int, dst: int) -> npt.NDArray[np.float64]:
    """3x3 matrix taking linear RGB in `src` primaries to `dst` (both D65; AVColorPrimaries ids).

    BT.2020 -> BT.709 gives the matrix of ITU-R BT.2087 (1.6605, -0.5876, -0.0728; ...).
    Raises KeyError for primaries without known chromaticities.
    """
    return np.linalg.inv(_rgb_to_xyz(_XY[dst])) @ _rgb_to_xyz(_XY[src])


def _rgb_to_xyz(xy: tuple[tuple[float, float], ...]) -> npt.NDArray[np.float64]:
    cols = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in xy]).T
    wx, wy = _D65
    white = np.array([wx / wy, 1.0, (1 - wx - wy) / wy])
    return cols * np.linalg.solve(cols, white)


def tone_map_nits(nits: npt.ArrayLike, source_peak: float, target_peak: float) -> np.ndarray:
    """BT.2390 EETF (section 5.4, black level 0): luminance in cd/m², mastered up to
    source_peak, mapped into [0, target_peak]. Identity below the knee and wherever
    source_peak <= target_peak; monotonic, and source_peak maps to target_peak."""
    e = np.asarray(pq_inverse_eotf(nits))
    top = float(pq_inverse_eotf(source_peak))
    max_lum = float(pq_inverse_eotf(target_peak)) / top
    knee = 1.5 * max_lum - 0.5
    e1 = np.minimum(e / top, 1.0)
    if knee >= 1:
        return np.asarray(nits, np.float64)
    t = np.clip((e1 - knee) / (1 - knee), 0, 1)
    spline = (
        (2 * t**3 - 3 * t**2 + 1) * knee
        + (t**3 - 2 * t**2 + t) * (1 - knee)
        + (-2 * t**3 + 3 * t**2) * max_lum
    )
    return pq_eotf(np.where(e1 < knee, e1, spline) * top)


@functools.cache
def _gain_table(peak: float) -> npt.NDArray[np.float32]:
    """EETF(m) / m for m = peak * (i / 65535)² (relative to SDR white): fine steps near black."""
    m = peak * (np.arange(65536) / 65535) ** 2
    mapped = tone_map_nits(m * SDR_WHITE_NITS, peak * SDR_WHITE_NITS, SDR_WHITE_NITS)
    gain = np.divide(mapped / SDR_WHITE_NITS, m, out=np.ones_like(m), where=m > 0)
    return gain.astype(np.float32)


def _roll_off(linear: npt.NDArray[np.float32], peak: float) -> None:
    """Scale each pixel so max(R, G, B) follows the EETF into [0, 1], in place."""
    m = np.maximum(np.maximum(linear[..., 0], linear[..., 1]), linear[..., 2])  # fast max
    if peak <= 1.0:  # SDR: only out-of-gamut overshoot, scaled back to 1
        linear /= np.maximum(m, 1.0)[..., None]
        return
    index = np.sqrt(np.minimum(m, peak) * (1 / peak)) * 65535 + 0.5
    linear *= _gain_table(round(peak, 3))[index.astype(np.uint16)][..., None]


def _peak_nits(frame: Any) -> float:
    """The source peak: MaxCLL, else the mastering display's peak, else 1000 cd/m²."""
    cll = mastering = 0.0
    for side in frame.side_data:
        raw = bytes(side)
        if side.type.name == "CONTENT_LIGHT_LEVEL" and len(raw) >= 8:
            cll = float(struct.unpack_from("=I", raw)[0])
        elif side.type.name == "MASTERING_DISPLAY_METADATA" and len(raw) >= 88:
            num, den, _, has_luminance = struct.unpack_from("=iiii", raw, 72)
            if has_luminance and den > 0:
                mastering = num / den
    peak = cll or mastering or _DEFAULT_PEAK_NITS
    return float(min(max(peak, SDR_WHITE_NITS), 10000.0))
