"""Colour profiles: ICC-tagged photos (Display P3, Adobe RGB) decode to sRGB; output is tagged sRGB.

The profiles are built here, byte by byte, from their published primaries (ICC v2 matrix/TRC
profiles, D50-adapted like the real ones), and the expected sRGB values come from the colour
science directly (numpy), not from littleCMS, so the test checks the conversion, not itself.
"""

from __future__ import annotations

import io
import logging
import struct
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageCms

from engine.icc import srgb_profile
from engine.imageio import decode_image, encode_image

# D50-adapted primaries (the rXYZ/gXYZ/bXYZ tags) of Apple's Display P3 and of Adobe RGB (1998).
P3_PRIMARIES = ((0.5151, 0.2412, -0.0011), (0.2919, 0.6922, 0.0419), (0.1571, 0.0666, 0.7841))
ADOBE_PRIMARIES = ((0.6097, 0.3111, 0.0195), (0.2053, 0.6257, 0.0609), (0.1492, 0.0632, 0.7446))
D50 = (0.9642, 1.0, 0.8249)

# Linear-light RGB to linear sRGB (both D65), from the spaces' definitions.
P3_TO_SRGB = np.array([[1.2249, -0.2247, 0.0], [-0.0420, 1.0419, 0.0], [-0.0197, -0.0786, 1.0979]])
ADOBE_TO_SRGB = np.array([[1.3982, -0.3982, 0.0], [0.0, 1.0, 0.0], [0.0, -0.0429, 1.0429]])
ADOBE_GAMMA = 563 / 256  # 2.19921875, as its profile stores it

PATCHES = [(230, 40, 40), (40, 200, 60), (40, 70, 220), (230, 160, 120), (250, 200, 30), (128,) * 3]
TOLERANCE = 3  # 8-bit levels: littleCMS's interpolation and rounding vs exact maths


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz(v: tuple[float, float, float]) -> bytes:
    return b"XYZ " + bytes(4) + b"".join(_s15(c) for c in v)


def _srgb_curve() -> bytes:
    t = np.linspace(0, 1, 1024)
    lin = np.where(t <= 0.04045, t / 12.92, ((t + 0.055) / 1.055) ** 2.4)
    table = np.round(lin * 65535).astype(">u2").tobytes()
    return b"curv" + bytes(4) + struct.pack(">I", 1024) + table


def _gamma_curve(gamma: float) -> bytes:
    return b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)


def _desc(text: str) -> bytes:
    ascii_ = text.encode() + b"\0"
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_)) + ascii_ + bytes(4 + 4 + 2 + 1 + 67)


def matrix_profile(
    name: str, primaries: tuple[tuple[float, float, float], ...], trc: bytes
) -> bytes:
    """An ICC v2 RGB display profile: primaries as XYZ tags, one tone curve for all channels."""
    tags = [
        (b"desc", _desc(name)),
        (b"wtpt", _xyz(D50)),
        (b"rXYZ", _xyz(primaries[0])),
        (b"gXYZ", _xyz(primaries[1])),
        (b"bXYZ", _xyz(primaries[2])),
        (b"rTRC", trc),
        (b"gTRC", trc),
        (b"bTRC", trc),
        (b"cprt", b"text" + bytes(4) + b"no copyright, test profile\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        body += bytes(-(offset + len(body)) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + b"APPL"
        + bytes(4 + 4 + 4 + 8 + 4)
        + b"".join(_s15(c) for c in D50)
        + bytes(4 + 16 + 28)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def p3_profile() -> bytes:
    return matrix_profile("Display P3 (test)", P3_PRIMARIES, _srgb_curve())


def adobe_profile() -> bytes:
    return matrix_profile("Adobe RGB (test)", ADOBE_PRIMARIES, _gamma_curve(ADOBE_GAMMA))


def _srgb_decode(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _srgb_encode(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def expected_from_p3(rgb: tuple[int, ...]) -> npt.NDArray[np.float64]:
    linear = P3_TO_SRGB @ _srgb_decode(np.array(rgb, float) / 255)
    return _srgb_encode(linear) * 255


def expected_from_adobe(rgb: tuple[int, ...]) -> npt.NDArray[np.float64]:
    linear = ADOBE_TO_SRGB @ ((np.array(rgb, float) / 255) ** ADOBE_GAMMA)
    return _srgb_encode(linear) * 255


def patches(mode: str = "RGB") -> Image.Image:
    a = np.zeros((32, 32 * len(PATCHES), 3), np.uint8)
    for i, p in enumerate(PATCHES):
        a[:, 32 * i : 32 * (i + 1)] = p
    im = Image.fromarray(a)
    return im.convert(mode) if mode != "RGB" else im


def centres(rgb: npt.NDArray[np.uint8]) -> list[npt.NDArray[np.int64]]:
    return [rgb[16, 32 * i + 16].astype(np.int64) for i in range(len(PATCHES))]


def save(im: Image.Image, fmt: str, **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "kwargs"),
    [
        ("PNG", {}),
        ("JPEG", {"quality": 100, "subsampling": 0}),
        ("WEBP", {"lossless": True}),
    ],
)
def test_display_p3_photo_decodes_to_its_srgb_colours(fmt: str, kwargs: dict[str, Any]) -> None:
    out = decode_image(save(patches(), fmt, icc_profile=p3_profile(), **kwargs))
    assert out.flags.writeable  # the engine hands it to torch.from_numpy
    for patch, got in zip(PATCHES, centres(out), strict=True):
        want = expected_from_p3(patch)
        assert np.abs(got - want).max() <= TOLERANCE, (patch, got, want)
    # The saturated P3 red is redder than sRGB can show: it lands on sRGB's edge, far from
    # the "dull" reading of the same numbers as sRGB that ignoring the profile gives.
    red = centres(out)[0]
    assert red[0] >= 250 and red[1] <= 5


def test_adobe_rgb_photo_decodes_to_its_srgb_colours() -> None:
    out = decode_image(
        save(patches(), "JPEG", quality=100, subsampling=0, icc_profile=adobe_profile())
    )
    for patch, got in zip(PATCHES, centres(out), strict=True):
        want = expected_from_adobe(patch)
        assert np.abs(got - want).max() <= TOLERANCE, (patch, got, want)


def test_transparent_p3_picture_keeps_white_paper_and_converts_colours() -> None:
    rgba = patches("RGBA")
    alpha = np.full((32, 32 * len(PATCHES)), 255, np.uint8)
    alpha[:8] = 0  # a transparent top band
    rgba.putalpha(Image.fromarray(alpha))
    out = decode_image(save(rgba, "PNG", icc_profile=p3_profile()))
    assert np.abs(out[2].astype(int) - 255).max() <= 1  # white stays white
    got = centres(out)[1]
    assert np.abs(got - expected_from_p3(PATCHES[1])).max() <= TOLERANCE


def test_profile_survives_exif_rotation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 clockwise to display
    data = save(patches(), "JPEG", quality=100, subsampling=0, icc_profile=p3_profile(), exif=exif)
    out = decode_image(data)
    assert out.shape == (32 * len(PATCHES), 32, 3)
    red = out[16, 16].astype(int)  # the first patch is now on top
    assert np.abs(red - expected_from_p3(PATCHES[0])).max() <= TOLERANCE


@pytest.mark.parametrize(
    "icc",
    [
        b"garbage" * 40,  # not a profile at all
        p3_profile()[:200],  # truncated: the tag table points past the end
        ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes(),  # not RGB
    ],
    ids=["garbage", "truncated", "lab"],
)
def test_unusable_profile_is_taken_as_srgb(icc: bytes, caplog: pytest.LogCaptureFixture) -> None:
    plain = decode_image(save(patches(), "PNG"))
    with caplog.at_level(logging.DEBUG, logger="engine.icc"):
        tagged = decode_image(save(patches(), "PNG", icc_profile=icc))
    np.testing.assert_array_equal(tagged, plain)
    assert [r.levelno for r in caplog.records if r.name == "engine.icc"] == [logging.DEBUG]


def test_srgb_profile_keeps_pixels() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = decode_image(save(patches(), "PNG"))
    tagged = decode_image(save(patches(), "PNG", icc_profile=srgb))
    assert np.abs(tagged.astype(int) - plain).max() <= 1


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_output_is_tagged_srgb(fmt: str) -> None:
    rgb = decode_image(save(patches(), "PNG", icc_profile=p3_profile()))
    out = encode_image(rgb, "png" if fmt == "png" else "jpeg")
    with Image.open(io.BytesIO(out)) as im:
        icc = im.info["icc_profile"]
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    assert profile.profile.xcolor_space == "RGB "
    assert "sRGB" in ImageCms.getProfileDescription(profile)
    assert icc == srgb_profile()  # the same bytes every time: outputs are reproducible


def test_encoded_png_round_trips_exactly() -> None:
    rgb = decode_image(save(patches(), "PNG", icc_profile=p3_profile()))
    np.testing.assert_array_equal(decode_image(encode_image(rgb, "png")), rgb)
