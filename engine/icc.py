"""Colour management of photos: embedded ICC profiles to sRGB on input, an sRGB tag on output.

Conversions run through Pillow's ImageCms (littleCMS) with the *perceptual* rendering intent.
Phone and camera profiles (Display P3, Adobe RGB) are matrix/TRC profiles, which define no
perceptual table: for them littleCMS uses relative colorimetric, so colours inside sRGB keep
their exact appearance and the few outside it are clipped channel-wise, as colour-managed
browsers and photo viewers show them. LUT-based profiles (some cameras, CMYK print profiles)
get their own gamut mapping.

A profile littleCMS cannot read, or one that does not fit the picture (a CMYK profile on an
RGB picture), never fails the photo: its pixels are taken as sRGB, the web's default.
"""

from __future__ import annotations

import functools
import io
import logging

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageCms

__all__ = ["MAX_PROFILE_BYTES", "RENDERING_INTENT", "cmyk_to_srgb", "rgb_to_srgb", "srgb_profile"]

log = logging.getLogger(__name__)

RENDERING_INTENT = ImageCms.Intent.PERCEPTUAL
# Real profiles are a few KB (phones) to a few hundred KB (print LUTs); bigger blobs are treated
# as no profile rather than handed to the parser.
MAX_PROFILE_BYTES = 4 * 1024 * 1024

# Bytes 24-35 of an ICC header hold its creation time; zeroed so every output is byte-identical.
_DATE = slice(24, 36)


@functools.cache
def srgb_profile() -> bytes:
    """The ICC bytes of littleCMS's built-in sRGB profile (588 bytes), with no creation date."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    data[_DATE] = bytes(12)
    return bytes(data)


def _undated(icc: bytes) -> bytes:
    return icc[: _DATE.start] + bytes(12) + icc[_DATE.stop :]


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(io.BytesIO(srgb_profile()))


@functools.lru_cache(maxsize=16)
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached transform from `icc` (pixels in Pillow `mode`) to sRGB RGB; None if unusable."""
    space = "RGB " if mode == "RGB" else "CMYK"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if source.profile.xcolor_space != space:
            log.debug(
                "ignoring a %r ICC profile on a %s picture", source.profile.xcolor_space, mode
            )
            return None
        return ImageCms.buildTransform(source, _srgb(), mode, "RGB", RENDERING_INTENT)
    # littleCMS reports unreadable or inconsistent profiles as OSError/PyCMSError; a profile is
    # attacker-controlled, so whatever it raises only means "no usable profile".
    except Exception as exc:
        log.debug("ignoring an unusable ICC profile (%d bytes): %s", len(icc), exc)
        return None


def _usable(icc: object) -> bytes | None:
    if not isinstance(icc, bytes) or not icc:
        return None
    if len(icc) == len(srgb_profile()) and _undated(icc) == srgb_profile():
        return None  # our own output's tag: already sRGB, and a round trip stays exact
    if len(icc) > MAX_PROFILE_BYTES:
        log.debug("ignoring an ICC profile of %d bytes", len(icc))
        return None
    return icc


def rgb_to_srgb(rgb: npt.NDArray[np.uint8], icc: object) -> npt.NDArray[np.uint8]:
    """`rgb` (HxWx3 uint8) converted from the colour space `icc` describes to sRGB.

    Returns `rgb` itself when there is no usable profile (it is then taken to be sRGB).
    """
    usable = _usable(icc)
    transform = None if usable is None else _transform(usable, "RGB")
    if transform is None:
        return rgb
    converted = transform.apply(Image.fromarray(np.ascontiguousarray(rgb), "RGB"))
    return np.array(converted, dtype=np.uint8)  # writable: the engine hands it to torch


def cmyk_to_srgb(im: Image.Image, icc: object) -> Image.Image | None:
    """A CMYK picture converted to sRGB with its own profile; None when it has no usable one."""
    usable = _usable(icc)
    transform = None if usable is None else _transform(usable, "CMYK")
    if transform is None:
        return None
    return transform.apply(im)
