"""Tests for engine.imageio: safe decoding of untrusted photos and metadata-free encoding."""

from __future__ import annotations

import contextlib
import io
import struct
import time
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import ExifTags, Image, ImageFile, JpegImagePlugin
from skimage import data as skdata

from engine import imageio
from engine.errors import (
    FileTooLarge,
    ImageTooLarge,
    ImageTooSmall,
    ImageTooThin,
    MediaProblem,
    UnsupportedMedia,
)
from engine.icc import srgb_profile
from engine.imageio import (
    ACCEPTED_FORMATS,
    ImageLimits,
    decode_image,
    encode_image,
    fit_within,
    read_image_file,
)

RED = (255, 0, 0)
BLUE = (0, 0, 255)
GREEN = (0, 255, 0)


# ---------------------------------------------------------------- helpers


def save(im: Image.Image, fmt: str, **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def astronaut() -> npt.NDArray[np.uint8]:
    return np.ascontiguousarray(skdata.astronaut())  # type: ignore[no-untyped-call]


def patch_png_size(png: bytes, width: int, height: int) -> bytes:
    """Rewrite the IHDR dimensions of a PNG and fix up the chunk CRC."""
    assert png[12:16] == b"IHDR"
    ihdr = bytearray(png[12:29])  # type + 13 data bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    return png[:12] + bytes(ihdr) + crc + png[33:]


def patch_jpeg_size(jpeg: bytes, width: int, height: int) -> bytes:
    """Rewrite the SOF0 dimensions of a baseline JPEG."""
    sof = jpeg.index(b"\xff\xc0")
    # marker(2) length(2) precision(1) height(2) width(2)
    return jpeg[: sof + 5] + struct.pack(">HH", height, width) + jpeg[sof + 9 :]


def png_chunk_types(png: bytes) -> list[bytes]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, types = 8, []
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        types.append(png[pos + 4 : pos + 8])
        pos += 12 + length
    return types


def jpeg_header_markers(jpeg: bytes) -> list[tuple[int, bytes]]:
    """(marker, first bytes of payload) for every segment before the scan data."""
    assert jpeg[:2] == b"\xff\xd8"
    pos, markers = 2, []
    while True:
        assert jpeg[pos] == 0xFF
        marker = jpeg[pos + 1]
        (length,) = struct.unpack(">H", jpeg[pos + 2 : pos + 4])
        markers.append((marker, jpeg[pos + 4 : pos + 4 + min(length - 2, 14)]))
        if marker == 0xDA:  # SOS: entropy-coded data follows
            return markers
        pos += 2 + length


def mean_abs_diff(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def assert_rgb_array(arr: npt.NDArray[np.uint8]) -> None:
    assert isinstance(arr, np.ndarray)
    assert arr.dtype == np.uint8
    assert arr.ndim == 3 and arr.shape[2] == 3
    assert arr.flags.c_contiguous
    assert arr.flags.writeable


# ---------------------------------------------------------------- valid input


def test_accepted_formats() -> None:
    assert frozenset({"PNG", "JPEG", "WEBP"}) == ACCEPTED_FORMATS


@pytest.mark.parametrize(
    ("fmt", "kwargs", "tolerance"),
    [
        ("PNG", {}, 0.0),
        ("JPEG", {"quality": 95}, 3.0),
        ("WEBP", {"quality": 95}, 4.0),
        ("WEBP", {"lossless": True}, 0.0),
    ],
)
def test_round_trip_accepted_formats(fmt: str, kwargs: dict[str, Any], tolerance: float) -> None:
    src = astronaut()
    out = decode_image(save(Image.fromarray(src), fmt, **kwargs))
    assert_rgb_array(out)
    assert out.shape == src.shape
    assert mean_abs_diff(out, src) <= tolerance


def test_encode_decode_round_trip() -> None:
    src = astronaut()
    png = encode_image(src, "png")
    assert png.startswith(b"\x89PNG")
    np.testing.assert_array_equal(decode_image(png), src)
    jpeg = encode_image(src, "jpeg", jpeg_quality=90)
    assert jpeg.startswith(b"\xff\xd8\xff")
    assert mean_abs_diff(decode_image(jpeg), src) < 4.0
    # quality is actually passed through
    assert len(encode_image(src, "jpeg", jpeg_quality=30)) < len(jpeg)


def test_encode_accepts_non_contiguous_views() -> None:
    src = astronaut()
    view = src[::2, ::-1]
    np.testing.assert_array_equal(decode_image(encode_image(view)), view)


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "payload",
    [
        b"hello",
        b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>",
        b"\x00" * 64,
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
    ],
)
def test_non_images_are_unsupported(payload: bytes) -> None:
    with pytest.raises(UnsupportedMedia) as info:
        decode_image(payload)
    assert info.value.problem is MediaProblem.NOT_AN_IMAGE
    assert str(info.value) == "not an image"


def test_empty_data() -> None:
    with pytest.raises(UnsupportedMedia) as info:
        decode_image(b"")
    assert info.value.problem is MediaProblem.EMPTY
    assert str(info.value) == "file is empty"


def test_zip_archive_is_unsupported() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("photo.jpg", save(Image.new("RGB", (32, 32)), "JPEG"))
    with pytest.raises(UnsupportedMedia, match="archive"):
        decode_image(buf.getvalue())


@pytest.mark.parametrize(
    ("fmt", "mode", "name"),
    [("GIF", "P", "GIF"), ("BMP", "RGB", "BMP"), ("TIFF", "RGB", "TIFF"), ("ICO", "RGBA", "ICO")],
)
def test_other_image_formats_are_refused(fmt: str, mode: str, name: str) -> None:
    payload = save(Image.new(mode, (32, 32)), fmt)
    with pytest.raises(UnsupportedMedia) as info:
        decode_image(payload)
    assert info.value.problem is MediaProblem.FORMAT_NOT_SUPPORTED
    assert info.value.format_name == name
    assert str(info.value) == f"{name} is not supported for photos; send a JPEG, PNG or WebP"


def test_gif_jpeg_polyglot_is_judged_by_content_not_trailing_data() -> None:
    gif = save(Image.new("P", (32, 32)), "GIF")
    jpeg = save(Image.new("RGB", (32, 32), RED), "JPEG")
    with pytest.raises(UnsupportedMedia, match="GIF"):
        decode_image(gif + jpeg)


def test_heic_brand_is_named() -> None:
    payload = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(UnsupportedMedia, match="HEIC") as info:
        decode_image(payload)
    assert info.value.problem is MediaProblem.FORMAT_NOT_SUPPORTED
    assert info.value.format_name == "HEIC"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_data_is_corrupt(fmt: str) -> None:
    full = save(Image.fromarray(astronaut()), fmt)
    for cut in (len(full) // 2, 40):
        with pytest.raises(UnsupportedMedia) as info:
            decode_image(full[:cut])
        assert info.value.problem is MediaProblem.CORRUPT_IMAGE
        assert str(info.value) == "image data is corrupt or truncated"


def test_garbage_after_png_signature_is_corrupt() -> None:
    payload = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    with pytest.raises(UnsupportedMedia, match="corrupt"):
        decode_image(payload)


def test_png_with_bad_idat_is_corrupt() -> None:
    png = bytearray(save(Image.fromarray(astronaut()), "PNG"))
    idat = png.index(b"IDAT")
    png[idat + 200 : idat + 400] = b"\xaa" * 200  # mangle the compressed stream
    with pytest.raises(UnsupportedMedia):
        decode_image(bytes(png))


def test_no_raw_pillow_exception_on_fuzzed_headers() -> None:
    rng = np.random.default_rng(0)
    seeds = [save(Image.fromarray(astronaut()[:64, :64]), fmt) for fmt in ("PNG", "JPEG", "WEBP")]
    for seed in seeds:
        for _ in range(40):
            mutated = bytearray(seed)
            for pos in rng.integers(4, min(len(seed), 200), size=4):
                mutated[pos] = int(rng.integers(0, 256))
            # Any other exception type escaping (a raw Pillow error) fails the test.
            with contextlib.suppress(UnsupportedMedia, ImageTooLarge, ImageTooSmall):
                decode_image(bytes(mutated))


# ---------------------------------------------------------------- decompression bombs


def test_png_bomb_header_is_refused_quickly() -> None:
    bomb = patch_png_size(save(Image.new("L", (16, 16)), "PNG"), 100_000, 100_000)
    assert len(bomb) < 200
    start = time.perf_counter()
    with pytest.raises(ImageTooLarge) as info:
        decode_image(bomb)
    assert time.perf_counter() - start < 1.0
    assert info.value.pixels == 100_000 * 100_000
    assert info.value.limit == ImageLimits().max_pixels


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_bomb_under_pillow_cap_is_refused_before_load(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 8000x6000 = 48 MP: over our 40 MP limit, under Pillow's own warning threshold,
    # so only our header check can stop it.
    small = save(Image.new("RGB", (16, 16)), fmt)
    patch = patch_png_size if fmt == "PNG" else patch_jpeg_size
    bomb = patch(small, 8000, 6000)
    assert Image.open(io.BytesIO(bomb)).size == (8000, 6000)

    def forbidden_load(self: ImageFile.ImageFile) -> None:
        raise AssertionError("load() called before the size check")

    monkeypatch.setattr(ImageFile.ImageFile, "load", forbidden_load)
    with pytest.raises(ImageTooLarge) as info:
        decode_image(bomb)
    assert (info.value.pixels, info.value.limit) == (48_000_000, 40_000_000)


def test_bomb_warning_turned_error_is_mapped() -> None:
    # 10000x10000 lies between Pillow's warning and error thresholds.
    bomb = patch_png_size(save(Image.new("L", (16, 16)), "PNG"), 10_000, 10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ImageTooLarge) as info:
            decode_image(bomb)
    assert info.value.pixels == 100_000_000


def test_custom_pixel_limit() -> None:
    png = save(Image.new("RGB", (20, 20)), "PNG")
    with pytest.raises(ImageTooLarge) as info:
        decode_image(png, ImageLimits(max_pixels=399))
    assert (info.value.pixels, info.value.limit) == (400, 399)
    assert decode_image(png, ImageLimits(max_pixels=400)).shape == (20, 20, 3)


def test_pillow_globals_and_warning_filters_untouched() -> None:
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    bomb = patch_png_size(save(Image.new("L", (16, 16)), "PNG"), 100_000, 100_000)
    truncated = save(Image.fromarray(astronaut()), "JPEG")[:5000]
    for payload in (bomb, truncated):
        with pytest.raises((ImageTooLarge, UnsupportedMedia)):
            decode_image(payload)
    decode_image(save(Image.fromarray(astronaut()), "JPEG"))
    after = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    assert after == before


def test_data_over_max_bytes() -> None:
    png = save(Image.fromarray(astronaut()), "PNG")
    with pytest.raises(FileTooLarge) as info:
        decode_image(png, ImageLimits(max_bytes=len(png) - 1))
    assert (info.value.size, info.value.limit) == (len(png), len(png) - 1)


# ---------------------------------------------------------------- sizes


def test_one_pixel_image_is_too_small() -> None:
    with pytest.raises(ImageTooSmall) as info:
        decode_image(save(Image.new("RGB", (1, 1)), "PNG"))
    assert (info.value.width, info.value.height, info.value.min_side) == (1, 1, 16)


def test_thin_strip_is_too_thin_after_fitting_and_named_by_its_own_size() -> None:
    strip = save(Image.new("RGB", (20_000, 20), RED), "PNG")
    with pytest.raises(ImageTooThin) as info:
        decode_image(strip)
    # The user's numbers, not the fitted 1536x2 that no one uploaded.
    assert (info.value.width, info.value.height) == (20_000, 20)
    assert (info.value.min_side, info.value.max_ratio) == (16, 96)
    assert isinstance(info.value, ImageTooSmall)  # frontends that only know the parent still cope
    # A strip short of the ratio still fits: 96 x 16 px long, 16 px after fitting.
    assert decode_image(save(Image.new("RGB", (1536 * 2, 32), RED), "PNG")).shape == (16, 1536, 3)


def test_a_small_side_is_named_before_fitting() -> None:
    with pytest.raises(ImageTooSmall) as info:
        decode_image(save(Image.new("RGB", (4000, 10), RED), "PNG"))
    assert type(info.value) is ImageTooSmall
    assert (info.value.width, info.value.height) == (4000, 10)


def test_min_side_boundary() -> None:
    assert decode_image(save(Image.new("RGB", (16, 40)), "PNG")).shape == (40, 16, 3)
    with pytest.raises(ImageTooSmall):
        decode_image(save(Image.new("RGB", (15, 40)), "PNG"))


def test_large_jpeg_is_drafted_and_fitted(monkeypatch: pytest.MonkeyPatch) -> None:
    arr = np.zeros((3000, 5000, 3), np.uint8)
    arr[:, :2500] = RED
    arr[:, 2500:] = BLUE
    jpeg = save(Image.fromarray(arr), "JPEG", quality=85)

    drafted: list[tuple[int, int]] = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: Any) -> Any:
        result = real_draft(self, mode, size)
        drafted.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    out = decode_image(jpeg)
    assert drafted == [(2500, 1500)]  # libjpeg decoded at 1/2 scale, never at 5000x3000
    assert_rgb_array(out)
    assert out.shape == (922, 1536, 3)
    assert np.abs(out[461, 300].astype(int) - RED).max() < 20
    assert np.abs(out[461, 1200].astype(int) - BLUE).max() < 20


def test_large_png_is_fitted_with_aspect() -> None:
    out = decode_image(save(Image.new("RGB", (2000, 4000), GREEN), "PNG"))
    assert out.shape == (1536, 768, 3)
    assert (out == GREEN).all()


def test_custom_max_side() -> None:
    out = decode_image(save(Image.fromarray(astronaut()), "PNG"), ImageLimits(max_side=100))
    assert out.shape == (100, 100, 3)


def test_fit_within() -> None:
    src = astronaut()
    assert fit_within(src, 512) is src
    assert fit_within(src, 4096) is src  # never upscales
    wide = np.zeros((100, 300, 3), np.uint8)
    assert fit_within(wide, 150).shape == (50, 150, 3)
    tall = np.full((300, 100, 3), 77, np.uint8)
    small = fit_within(tall, 30)
    assert small.shape == (30, 10, 3) and small.dtype == np.uint8
    assert (small == 77).all()  # area interpolation preserves flat colour
    with pytest.raises(ValueError):
        fit_within(src, 0)


def test_image_limits_validation() -> None:
    with pytest.raises(ValueError):
        ImageLimits(max_side=0)
    with pytest.raises(ValueError):
        ImageLimits(max_side=10, min_side=20)
    limits = ImageLimits()
    with pytest.raises(AttributeError):
        limits.max_side = 10  # type: ignore[misc]


# ---------------------------------------------------------------- modes


def test_cmyk_jpeg_to_rgb() -> None:
    im = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # pure red ink
    im.paste((0, 0, 0, 0), (16, 0, 32, 32))  # no ink: white paper
    jpeg = save(im, "JPEG", quality=95)
    assert Image.open(io.BytesIO(jpeg)).mode == "CMYK"
    out = decode_image(jpeg)
    r, g, b = (int(v) for v in out[16, 4])
    assert r > 200 and g < 60 and b < 60
    assert out[16, 28].min() > 230


def test_rgba_composited_on_white() -> None:
    arr = np.zeros((32, 32, 4), np.uint8)
    arr[:, :8] = (0, 0, 0, 0)  # transparent black
    arr[:, 8:16] = (0, 0, 255, 255)  # opaque blue
    arr[:, 16:24] = (0, 0, 0, 128)  # half-transparent black
    arr[:, 24:] = (255, 0, 0, 255)
    for fmt in ("PNG", "WEBP"):
        kwargs = {"lossless": True} if fmt == "WEBP" else {}
        out = decode_image(save(Image.fromarray(arr), fmt, **kwargs))
        assert (out[:, :8] == 255).all()
        assert (out[:, 8:16] == BLUE).all()
        assert np.abs(out[:, 16:24].astype(int) - 127).max() <= 1
        assert (out[:, 24:] == RED).all()


def test_palette_png_with_and_without_transparency() -> None:
    im = Image.new("P", (32, 32), 0)
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * (254 * 3))
    im.paste(1, (16, 0, 32, 32))
    opaque = decode_image(save(im, "PNG"))
    assert (opaque[:, :16] == RED).all() and (opaque[:, 16:] == BLUE).all()
    transparent = decode_image(save(im, "PNG", transparency=0))
    assert (transparent[:, :16] == 255).all()  # the transparent red index becomes white
    assert (transparent[:, 16:] == BLUE).all()


def test_sixteen_bit_grayscale_png_is_scaled_not_clipped() -> None:
    arr = np.array([[65535, 32768, 0, 257, 1000]] * 20, np.uint16).repeat(4, axis=1)
    png = save(Image.fromarray(arr), "PNG")
    assert png[24] == 16  # IHDR bit depth: really a 16-bit file
    out = decode_image(png)
    assert out.shape == (20, 20, 3)
    row = out[0, ::4]
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    assert row[0].tolist() == [255, 255, 255]
    assert row[1].tolist() == [128, 128, 128]
    assert row[2].tolist() == [0, 0, 0]
    assert row[3].tolist() == [1, 1, 1]
    assert row[4].tolist() == [4, 4, 4]


def test_sixteen_bit_grayscale_with_transparency_key() -> None:
    arr = np.full((20, 20), 1000, np.uint16)
    arr[:, 10:] = 40000
    out = decode_image(save(Image.fromarray(arr), "PNG", transparency=40000))
    assert (out[:, 10:] == 255).all()
    assert (out[:, :10] == 4).all()


@pytest.mark.parametrize(("mode", "fmt"), [("L", "JPEG"), ("L", "PNG"), ("1", "PNG")])
def test_gray_and_bilevel(mode: str, fmt: str) -> None:
    im = Image.new(mode, (32, 32), 0)
    im.paste(255 if mode == "L" else 1, (0, 0, 16, 32))
    out = decode_image(save(im, fmt))
    assert out[:, :12].min() > 240 and out[:, 20:].max() < 15


# ---------------------------------------------------------------- frames


def test_apng_and_animated_webp_use_first_frame() -> None:
    frames = [Image.new("RGB", (32, 32), c) for c in (RED, BLUE, GREEN)]
    for fmt, kwargs in (("PNG", {}), ("WEBP", {"lossless": True})):
        payload = save(frames[0], fmt, save_all=True, append_images=frames[1:], **kwargs)
        assert getattr(Image.open(io.BytesIO(payload)), "n_frames", 1) == 3
        assert (decode_image(payload) == RED).all()


def test_mpo_is_accepted_as_jpeg() -> None:
    frames = [Image.new("RGB", (32, 32), c) for c in (RED, BLUE)]
    mpo = save(frames[0], "MPO", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(mpo)).format == "MPO"
    out = decode_image(mpo)
    assert np.abs(out.astype(int) - RED).max() < 10


# ---------------------------------------------------------------- EXIF orientation


def oriented_source() -> npt.NDArray[np.uint8]:
    stored = np.zeros((64, 128, 3), np.uint8)  # HxW: landscape as stored
    stored[:] = BLUE
    stored[:32, :64] = RED  # marks the stored top-left quadrant
    return stored


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_exif_orientation_6_rotates_clockwise(fmt: str) -> None:
    stored = oriented_source()
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    kwargs: dict[str, Any] = {"exif": exif}
    if fmt != "PNG":
        kwargs["quality"] = 95
    out = decode_image(save(Image.fromarray(stored), fmt, **kwargs))
    assert out.shape == (128, 64, 3)
    expected = np.rot90(stored, k=-1)  # 90 degrees clockwise: top-left goes to top-right
    assert mean_abs_diff(out, expected) < 6
    assert mean_abs_diff(out, np.rot90(stored, k=1)) > 60
    assert out[10, 50, 0] > 200 and out[10, 10, 2] > 200


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_broken_exif_falls_back_to_no_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = oriented_source()
    garbage = save(Image.fromarray(stored), "JPEG", exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f")
    assert decode_image(garbage).shape == stored.shape

    def broken_getexif(self: Image.Image) -> Image.Exif:
        raise SyntaxError("bad EXIF")

    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    jpeg = save(Image.fromarray(stored), "JPEG", exif=exif)
    monkeypatch.setattr(Image.Image, "getexif", broken_getexif)
    out = decode_image(jpeg)
    assert out.shape == stored.shape
    assert mean_abs_diff(out, stored) < 6


def test_nonsense_orientation_value_is_ignored() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 42
    stored = oriented_source()
    out = decode_image(save(Image.fromarray(stored), "JPEG", exif=exif, quality=95))
    assert out.shape == stored.shape


# ---------------------------------------------------------------- metadata stripping


def metadata_rich_jpeg() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    icc = b"\x00" * 128  # opaque blob; Pillow only carries it along
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><secret>home</secret></x:xmpmeta>'
    return save(
        Image.fromarray(astronaut()),
        "JPEG",
        exif=exif,
        icc_profile=icc,
        xmp=xmp,
        comment=b"shot at home",
    )


def test_input_metadata_is_present_in_fixture() -> None:
    src = Image.open(io.BytesIO(metadata_rich_jpeg()))
    assert src.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "icc_profile" in src.info and "xmp" in src.info and "comment" in src.info


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_encoded_output_carries_no_metadata(fmt: imageio.OutputFormat) -> None:
    out = encode_image(decode_image(metadata_rich_jpeg()), fmt)
    assert b"PhoneCo" not in out and b"secret" not in out and b"shot at home" not in out
    im = Image.open(io.BytesIO(out))
    assert len(im.getexif()) == 0
    assert not im.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "dpi"):
        assert key not in im.info
    # The one thing besides pixels: our own sRGB profile, never the upload's.
    assert im.info["icc_profile"] == srgb_profile()
    if fmt == "png":
        im.load()
        assert not getattr(im, "text", {})
        types = png_chunk_types(out)
        # No tEXt/zTXt/iTXt/eXIf/pHYs/tIME: the sRGB iCCP and the pixels.
        assert types[0] == b"IHDR" and types[-1] == b"IEND"
        assert types[1] == b"iCCP" and set(types[2:-1]) == {b"IDAT"}
    else:
        markers = jpeg_header_markers(out)
        app_or_com = [(m, p) for m, p in markers if 0xE0 <= m <= 0xEF or m == 0xFE]
        # JFIF APP0 and the sRGB profile's APP2 only: no APP1 (EXIF/XMP), COM.
        assert [m for m, _ in app_or_com] == [0xE0, 0xE2]
        assert app_or_com[0][1].startswith(b"JFIF\x00")
        assert app_or_com[1][1].startswith(b"ICC_PROFILE\x00")
        # 4:2:0 subsampling: luma sampling factors 2x2 in the frame header
        sof = next(p for m, p in markers if m in (0xC0, 0xC1, 0xC2))
        assert sof[7] == 0x22


# ---------------------------------------------------------------- encode validation


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((16, 16), np.uint8),
        np.zeros((16, 16, 4), np.uint8),
        np.zeros((16, 16, 1), np.uint8),
        np.zeros((16, 16, 3), np.float32),
        np.zeros((16, 16, 3), np.uint16),
        np.zeros((0, 16, 3), np.uint8),
        np.zeros((2, 16, 16, 3), np.uint8),
        [[[0, 0, 0]]],
    ],
)
def test_encode_rejects_bad_arrays(bad: Any) -> None:
    with pytest.raises(ValueError):
        encode_image(bad)


def test_encode_rejects_bad_options() -> None:
    rgb = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ValueError):
        encode_image(rgb, "gif")  # type: ignore[arg-type]
    for quality in (0, 101):
        with pytest.raises(ValueError):
            encode_image(rgb, "jpeg", jpeg_quality=quality)


# ---------------------------------------------------------------- files


def test_read_image_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.upload"  # extension is irrelevant
    payload = save(Image.fromarray(astronaut()), "PNG")
    path.write_bytes(payload)
    np.testing.assert_array_equal(read_image_file(path), decode_image(payload))
    np.testing.assert_array_equal(read_image_file(str(path)), decode_image(payload))


def test_read_image_file_refuses_oversize_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.jpg"
    limit = ImageLimits().max_bytes
    with path.open("wb") as f:
        f.truncate(limit + 1)  # sparse: costs no disk

    def no_open(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("file was opened despite its size")

    monkeypatch.setattr(imageio, "open", no_open, raising=False)
    with pytest.raises(FileTooLarge) as info:
        read_image_file(path)
    assert (info.value.size, info.value.limit) == (limit + 1, limit)


def test_read_image_file_custom_limit_and_non_regular(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(save(Image.new("RGB", (32, 32)), "PNG"))
    with pytest.raises(FileTooLarge):
        read_image_file(path, ImageLimits(max_bytes=10))
    with pytest.raises(UnsupportedMedia, match="regular file"):
        read_image_file(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_image_file(tmp_path / "missing.png")
