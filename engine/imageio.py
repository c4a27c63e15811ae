"""Safe decoding and metadata-free encoding of user photos (PNG, JPEG, WebP only).

Colour: an embedded ICC profile (Display P3, Adobe RGB, CMYK...) is honoured on input, so the
decoded pixels are always sRGB (engine.icc); output carries an sRGB profile and nothing else."""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, NoReturn

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from engine.errors import (
    FileTooLarge,
    ImageTooLarge,
    ImageTooSmall,
    ImageTooThin,
    MediaProblem,
    UnsupportedMedia,
)
from engine.icc import cmyk_to_srgb, rgb_to_srgb, srgb_profile
from engine.limits import ImageLimits

__all__ = [
    "ACCEPTED_FORMATS",
    "PILLOW_DECODE_ERRORS",
    "PNG_COMPRESS_LEVEL",
    "ImageLimits",
    "OutputFormat",
    "decode_image",
    "encode_image",
    "fit_within",
    "read_image_file",
]

ACCEPTED_FORMATS: frozenset[str] = frozenset({"PNG", "JPEG", "WEBP"})
OutputFormat = Literal["png", "jpeg"]

# Pillow's JPEG opener turns multi-picture JPEGs (many phone cameras) into "MPO"; frame 0 is
# the ordinary JPEG, so they count as JPEG rather than being refused.
_FORMAT_ALIASES = {"MPO": "JPEG"}
# A tuple, not the frozenset: Image.open only takes list/tuple, and a fixed order keeps
# identification deterministic.
_PILLOW_FORMATS = ("PNG", "JPEG", "WEBP")

_METADATA_BOMB = re.compile(r"decompressed data too large|too much memory used in text", re.I)

# Errors Pillow's parsers and decoders raise on hostile or damaged input. Kept explicit so a
# bug in this module (say an AttributeError) still surfaces instead of reading as "corrupt".
PILLOW_DECODE_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
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
)

# Magic numbers of formats we refuse, so the user learns *why*, without letting every Pillow
# plugin (some with a long CVE history) parse untrusted bytes just to name the format.
_REFUSED_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),
    (b"MM\x00+", "TIFF"),
    (b"8BPS", "PSD"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
    (b"\xff\x0a", "JPEG XL"),
    (b"%PDF", "PDF"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07")

_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")

# zlib level of PNG output (0-9). Measured on webtoon outputs at 1024 and 1536 px
# (bench/png_encode.py, bench/results/png-encode-cpu.json): 4 encodes 2.0-2.3x faster than the
# former 6 for files 5-6 % larger, under the drawing time; 1-2 are ~3x faster but 16-26 % larger,
# 9 is ~9x slower for 5-8 % smaller. The pixels are identical at every level (PNG is lossless).
PNG_COMPRESS_LEVEL = 4

# Orientation values exif_transpose acts on; checking first skips its defensive full copy.
_ROTATING_ORIENTATIONS = frozenset(range(2, 9))
_EXIF_ORIENTATION_TAG = 0x0112


def decode_image(data: bytes, limits: ImageLimits = ImageLimits()) -> npt.NDArray[np.uint8]:
    """Decode untrusted PNG/JPEG/WebP bytes into an upright HxWx3 uint8 sRGB array.

    An embedded ICC profile is converted to sRGB (perceptual intent, engine.icc); a missing or
    unusable one means the pixels are taken as sRGB."""
    if len(data) == 0:
        raise UnsupportedMedia(MediaProblem.EMPTY)
    if len(data) > limits.max_bytes:
        raise FileTooLarge(len(data), limits.max_bytes)
    refusal = _refusal(data)
    if refusal is not None:
        raise refusal

    decoded, icc = _decode_rgb(data, limits)
    # Checked on the decoded size, so the reply names the user's own numbers.
    height, width = decoded.shape[:2]
    if min(width, height) < limits.min_side:
        raise ImageTooSmall(width, height, limits.min_side)
    # Converted after fitting: the same colours, on at most max_side^2 pixels.
    rgb = rgb_to_srgb(fit_within(decoded, limits.max_side), icc)
    if min(rgb.shape[:2]) < limits.min_side:
        raise ImageTooThin(width, height, limits.min_side, limits.max_side // limits.min_side)
    return np.ascontiguousarray(rgb)


def read_image_file(
    path: str | os.PathLike[str], limits: ImageLimits = ImageLimits()
) -> npt.NDArray[np.uint8]:
    """Read and decode an image file, refusing over-size files before reading them."""
    st = os.stat(path)
    # A FIFO or device would block or stream forever; st_size means nothing for them.
    if not stat.S_ISREG(st.st_mode):
        raise UnsupportedMedia(MediaProblem.NOT_A_REGULAR_FILE)
    if st.st_size > limits.max_bytes:
        raise FileTooLarge(st.st_size, limits.max_bytes)
    with open(path, "rb") as f:
        # The file may grow between stat() and read(); never read more than the limit allows.
        data = f.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise FileTooLarge(len(data), limits.max_bytes)
    return decode_image(data, limits)


def encode_image(
    rgb: npt.NDArray[np.uint8], fmt: OutputFormat = "png", *, jpeg_quality: int = 92
) -> bytes:
    """Encode an HxWx3 uint8 sRGB array as PNG or JPEG tagged sRGB, with no other metadata.

    PNG: lossless at zlib level PNG_COMPRESS_LEVEL. JPEG: jpeg_quality in 1..100, 4:2:0."""
    _check_rgb(rgb)
    if fmt not in ("png", "jpeg"):
        raise ValueError(f"unsupported output format {fmt!r}; expected 'png' or 'jpeg'")
    if not 1 <= jpeg_quality <= 100:
        raise ValueError(f"jpeg_quality must be in 1..100, got {jpeg_quality}")
    # A fresh image from raw pixels has an empty info dict, so no EXIF/GPS/XMP/text or the
    # upload's own profile can leak; the only thing written besides pixels is our sRGB profile
    # (PNG iCCP, JPEG APP2), so colour-managed viewers show exactly what the engine drew.
    image = Image.fromarray(np.ascontiguousarray(rgb))
    buf = io.BytesIO()
    icc = srgb_profile()
    if fmt == "png":
        image.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL, icc_profile=icc)
    else:
        image.save(
            buf,
            format="JPEG",
            quality=jpeg_quality,
            optimize=True,
            subsampling="4:2:0",
            icc_profile=icc,
        )
    return buf.getvalue()


def fit_within(rgb: npt.NDArray[np.uint8], max_side: int) -> npt.NDArray[np.uint8]:
    """Downscale (never upscale) so the longest side is <= max_side; may return the input."""
    if max_side < 1:
        raise ValueError(f"max_side must be positive, got {max_side}")
    if rgb.ndim < 2 or 0 in rgb.shape[:2]:
        raise ValueError(f"expected a non-empty HxW[xC] image array, got shape {rgb.shape}")
    height, width = rgb.shape[:2]
    target = _fitted_size(width, height, max_side)
    if target == (width, height):
        return rgb
    # INTER_AREA averages source pixels, the moiré-free choice for shrinking photos.
    return np.asarray(cv2.resize(rgb, target, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _fitted_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _check_rgb(rgb: object) -> None:
    if not isinstance(rgb, np.ndarray):
        raise ValueError(f"expected a numpy array, got {type(rgb).__name__}")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"expected an HxWx3 RGB array, got shape {rgb.shape}")
    if rgb.dtype != np.uint8:
        raise ValueError(f"expected dtype uint8, got {rgb.dtype}")


def _refusal(data: bytes) -> UnsupportedMedia | None:
    """Why these bytes are no photo we decode, judged by their first bytes; None: try them."""
    head = data[:32]
    if head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff"):
        return None
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return None
    for magic, name in _REFUSED_MAGIC:
        if head.startswith(magic):
            return _format_refused(name)
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return _format_refused("HEIC")
        if brand in _AVIF_BRANDS:
            return _format_refused("AVIF")
        return UnsupportedMedia(MediaProblem.VIDEO_AS_PHOTO)
    if head.startswith(_ARCHIVE_MAGIC):
        return UnsupportedMedia(MediaProblem.ARCHIVE)
    if _is_svg(data):
        return _format_refused("SVG")
    return UnsupportedMedia(MediaProblem.NOT_AN_IMAGE)


def _format_refused(name: str) -> UnsupportedMedia:
    return UnsupportedMedia(MediaProblem.FORMAT_NOT_SUPPORTED, format_name=name)


def _is_svg(data: bytes) -> bool:
    # Drawings saved from design tools: an XML prolog or comments may come before <svg.
    start = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(b"<svg") or (start.startswith(b"<?xml") and b"<svg" in start)


@contextmanager
def _pillow_errors(limits: ImageLimits) -> Iterator[None]:
    try:
        yield
    # Image.open applies Pillow's own global cap (2 * MAX_IMAGE_PIXELS) before we can see the
    # size; the warning class only arrives here if someone turned warnings into errors.
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        _raise_bomb(exc, limits)
    except ValueError as exc:
        # Pillow's own caps on compressed metadata (iCCP, zTXt, iTXt): a zip bomb in a chunk.
        bomb = _METADATA_BOMB.search(str(exc))
        problem = MediaProblem.METADATA_TOO_LARGE if bomb else MediaProblem.CORRUPT_IMAGE
        raise UnsupportedMedia(problem) from exc
    except PILLOW_DECODE_ERRORS as exc:
        raise UnsupportedMedia(MediaProblem.CORRUPT_IMAGE) from exc


def _raise_bomb(exc: Exception, limits: ImageLimits) -> NoReturn:
    pillow_cap = Image.MAX_IMAGE_PIXELS or limits.max_pixels
    match = _BOMB_PIXELS.search(str(exc))
    # Pillow's message has carried the pixel count for years; if that ever changes, report
    # the smallest count that could have tripped its cap rather than a made-up exact one.
    pixels = int(match.group(1)) if match else pillow_cap + 1
    limit = limits.max_pixels if pixels > limits.max_pixels else pillow_cap
    raise ImageTooLarge(pixels, limit) from exc


def _decode_rgb(data: bytes, limits: ImageLimits) -> tuple[npt.NDArray[np.uint8], object]:
    """The upright RGB pixels, and the ICC profile they are still in (None: already sRGB)."""
    with _pillow_errors(limits), Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as im:
        fmt = _FORMAT_ALIASES.get(im.format or "", im.format)
        if fmt not in ACCEPTED_FORMATS:
            if not im.format:
                raise UnsupportedMedia(MediaProblem.NOT_AN_IMAGE)
            raise UnsupportedMedia(MediaProblem.FORMAT_NOT_SUPPORTED, format_name=im.format)
        width, height = im.size
        if width * height > limits.max_pixels:
            raise ImageTooLarge(width * height, limits.max_pixels)
        if fmt == "JPEG":
            # libjpeg can decode at 1/2, 1/4 or 1/8 scale directly; ask for the smallest that
            # still covers the final size so a 24 MP photo never exists at full resolution.
            im.draft("RGB", _fitted_size(width, height, limits.max_side))
        # Animated WebP/APNG: a freshly opened file sits on frame 0, which is what we want.
        im.load()
        _apply_exif_orientation(im)
        icc = im.info.get("icc_profile")
        if im.mode == "CMYK":
            # A print profile maps inks to colours far better than Pillow's naive formula.
            managed = cmyk_to_srgb(im, icc)
            if managed is not None:
                return np.array(managed, dtype=np.uint8), None
            return _to_rgb(im), None
        return _to_rgb(im), icc


def _apply_exif_orientation(im: Image.Image) -> None:
    try:
        orientation = im.getexif().get(_EXIF_ORIENTATION_TAG, 1)
        if orientation in _ROTATING_ORIENTATIONS:
            ImageOps.exif_transpose(im, in_place=True)
    # EXIF is attacker-controlled and parsed lazily by many code paths; a photo the wrong
    # way up beats refusing it, so any failure here just means "no rotation".
    except Exception:
        return


def _to_rgb(im: Image.Image) -> npt.NDArray[np.uint8]:
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        return _wide_gray_to_rgb(im)
    if im.has_transparency_data:
        rgba = im.convert("RGBA")
        # Transparent areas of stickers/logos are meant as "page"; white reads as that, while
        # a plain convert("RGB") drops alpha and exposes whatever colour hides underneath.
        # Pillow's masked paste blends in C, far lighter than numpy temporaries on 40 MP.
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba)
        return np.array(flat, dtype=np.uint8)
    # Covers 1, L, P, RGB, YCbCr, LAB, HSV and CMYK (Pillow already un-inverts Adobe CMYK).
    return np.array(im.convert("RGB"), dtype=np.uint8)


def _wide_gray_to_rgb(im: Image.Image) -> npt.NDArray[np.uint8]:
    # PNG's 16-bit grey lands in I;16 (or I). Rescale 0..65535 to 0..255 with rounding;
    # convert("L") would clip everything above 255 to white.
    wide = np.asarray(im)
    gray = ((np.clip(wide, 0, 65535).astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    key = im.info.get("transparency")
    if isinstance(key, int):
        # A tRNS key makes matching pixels fully transparent: the white page shows through.
        gray[wide == key] = 255
    return np.repeat(gray[:, :, np.newaxis], 3, axis=2)
