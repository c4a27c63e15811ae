"""A corpus of hostile, broken and odd uploads, all generated in code (nothing binary is committed).

Each sample says what the photo decoder (decode_image) and the video probe (probe_video) must make
of it: None for "works", else the exact ToonError subclass.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from engine.errors import ImageTooLarge, ImageTooSmall, ToonError, UnsupportedMedia
from engine.errors import VideoTooManyFrames as TooManyFrames
from tests.fakes.clips import make_clip, make_gif

__all__ = ["SAMPLES", "Sample", "png_bytes", "sample"]

Outcome = type[ToonError] | None


@dataclass(frozen=True, slots=True)
class Sample:
    """One upload: its bytes (built lazily, cached), how a user would name it, what must happen."""

    name: str
    build: Callable[[], bytes]
    file_name: str
    mime: str
    image: Outcome  # what decode_image must do
    video: Outcome  # what probe_video must do

    @property
    def data(self) -> bytes:
        """The file's bytes."""
        return _built(self.name)


# --- builders -------------------------------------------------------------------------------------


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def _solid_png(width: int, height: int, *, bit_depth: int = 1, color_type: int = 0) -> bytes:
    """A valid all-black PNG of any size, deflated row by row so it never exists in memory."""
    row = b"\x00" + bytes((width * bit_depth + 7) // 8)  # filter byte + zero samples
    rows, rest = divmod(height, 1000)
    # Raw deflate, fully flushed after each 1000 rows: the flush resets the compressor, so one
    # block's bytes serve for all of them and 200 MB of rows are compressed only once.
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(row * 1000) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.compress(row * rest) + packer.flush()
    checksum = 1
    for _ in range(rows):
        checksum = zlib.adler32(row * 1000, checksum)
    checksum = zlib.adler32(row * rest, checksum)
    parts = [b"\x78\xda", block * rows, tail, struct.pack(">I", checksum)]
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def png_bytes(width: int = 64, height: int = 48, mode: str = "RGB", **save: object) -> bytes:
    """A small gradient picture in `mode`, saved as PNG."""
    rgb = np.zeros((height, width, 3), dtype=np.uint8)
    rgb[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    rgb[..., 1] = np.linspace(0, 255, height, dtype=np.uint8)[:, None]
    im = Image.fromarray(rgb)
    if mode != "RGB":
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, format="PNG", **save)  # type: ignore[arg-type]
    return buf.getvalue()


def _jpeg(width: int = 64, height: int = 48, mode: str = "RGB", **save: object) -> bytes:
    im = Image.open(io.BytesIO(png_bytes(width, height))).convert(mode)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=90, **save)  # type: ignore[arg-type]
    return buf.getvalue()


def _noise(width: int = 128, height: int = 96) -> Image.Image:
    return Image.fromarray(np.random.default_rng(5).integers(0, 256, (height, width, 3), np.uint8))


def _noise_png() -> bytes:
    buf = io.BytesIO()
    _noise().save(buf, format="PNG")
    return buf.getvalue()


def _noise_jpeg() -> bytes:
    buf = io.BytesIO()
    _noise().save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A real JPEG whose frame header claims another size."""
    data = bytearray(_jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


# A fixed timestamp keeps the bytes (and so the outcome) the same on every run.
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            zipfile.ZipInfo("bomb.bin", _ZIP_DATE), bytes(20_000_000), zipfile.ZIP_DEFLATED
        )  # 20 MB of zeros in ~20 KB
    return buf.getvalue()


def _zip_of(name: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(name, _ZIP_DATE), payload)
    return buf.getvalue()


def _sixteen_bit_rgb_png() -> bytes:
    ramp = np.linspace(0, 65535, 64 * 48 * 3).astype(">u2").reshape(48, 64, 3)
    rows = b"".join(b"\x00" + ramp[y].tobytes() for y in range(48))
    ihdr = struct.pack(">IIBBBBB", 64, 48, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def _palette_png_with_transparency() -> bytes:
    im = Image.open(io.BytesIO(png_bytes())).convert("P", palette=Image.Palette.ADAPTIVE)
    buf = io.BytesIO()
    im.save(buf, format="PNG", transparency=0)
    return buf.getvalue()


def _png_with_huge_icc() -> bytes:
    """A valid PNG whose ICC profile inflates to 20 MB (an iCCP zip bomb)."""
    png = png_bytes()
    iccp = _chunk(b"iCCP", b"bomb\x00\x00" + zlib.compress(bytes(20_000_000), 9))
    return png[:33] + iccp + png[33:]  # right after IHDR, where iCCP belongs


def _png_with_text_bomb() -> bytes:
    """A valid PNG with a compressed text comment inflating to 20 MB."""
    png = png_bytes()
    ztxt = _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"a" * 20_000_000, 9))
    return png[:-12] + ztxt + png[-12:]  # just before IEND


def _jpeg_with_huge_exif() -> bytes:
    # The largest EXIF segment JPEG allows (64 KB), full of one bogus tag's data.
    exif = Image.Exif()
    exif[0x010E] = "x" * 65_000  # ImageDescription
    return _jpeg(exif=exif.tobytes())


def _jpeg_with_big_icc() -> bytes:
    # 1 MB of ICC split over many APP2 segments: Pillow reassembles it.
    return _jpeg(icc_profile=bytes(random.Random(7).randbytes(1_000_000)))


def _truncated_moov() -> bytes:
    clip = make_clip(4, audio=False)
    moov = clip.index(b"moov") - 4
    return clip[: moov + 64]  # the index of every frame is cut off after 60 bytes


def _many_frame_gif(frames: int = 3000) -> bytes:
    """A 64x48 GIF of `frames` one-pixel frames, 20 ms each, assembled by hand (Pillow is slow)."""
    header = b"GIF89a" + struct.pack("<HHBBB", 64, 48, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    delay = b"\x21\xf9\x04\x00" + struct.pack("<H", 2) + b"\x00\x00"
    # A 1x1 picture of colour 0: LZW minimum code size 2, codes clear/0/end.
    pixel = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return header + loop + (delay + pixel) * frames + b"\x3b"


_SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48">'
    b'<rect width="64" height="48" fill="red"/></svg>\n'
)
_HTML = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>\n"

SAMPLES: tuple[Sample, ...] = (
    # Decompression bombs and absurd sizes: refused from the header, before decoding.
    Sample("png_bomb_1600mp", lambda: _solid_png(40_000, 40_000), "bomb.png", "image/png", ImageTooLarge, UnsupportedMedia),
    Sample("png_bomb_64mp", lambda: _solid_png(8_000, 8_000), "big.png", "image/png", ImageTooLarge, UnsupportedMedia),
    Sample("jpeg_claims_65000px", lambda: _jpeg_claiming(65_000, 65_000), "huge.jpg", "image/jpeg", ImageTooLarge, UnsupportedMedia),
    Sample("png_ztxt_bomb", _png_with_text_bomb, "text.png", "image/png", UnsupportedMedia, UnsupportedMedia),
    Sample("png_iccp_bomb", _png_with_huge_icc, "icc.png", "image/png", UnsupportedMedia, UnsupportedMedia),
    # Archives in disguise.
    Sample("zip_bomb_as_jpg", _zip_bomb, "photo.jpg", "image/jpeg", UnsupportedMedia, UnsupportedMedia),
    # Damaged files.
    Sample("truncated_jpeg", lambda: _noise_jpeg()[:2000], "cut.jpg", "image/jpeg", UnsupportedMedia, UnsupportedMedia),
    Sample("truncated_png", lambda: _noise_png()[:3000], "cut.png", "image/png", UnsupportedMedia, UnsupportedMedia),
    Sample("png_header_then_garbage", lambda: b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(4000), "x.png", "image/png", UnsupportedMedia, UnsupportedMedia),
    Sample("mp4_truncated_moov", _truncated_moov, "cut.mp4", "video/mp4", UnsupportedMedia, UnsupportedMedia),
    # Polyglots: judged by what they start as.
    Sample("gif_plus_zip", lambda: make_gif(4) + _zip_of("a.txt", b"hi"), "anim.gif", "image/gif", UnsupportedMedia, None),
    Sample("jpeg_plus_zip", lambda: _jpeg() + _zip_of("payload.exe", b"MZ" * 100), "photo.jpg", "image/jpeg", None, UnsupportedMedia),
    Sample("jpeg_plus_html", lambda: _jpeg() + _HTML, "photo.jpg", "image/jpeg", None, UnsupportedMedia),
    # Wrong names: sniffed by content, the same whichever way the file arrives.
    Sample("png_named_jpg", png_bytes, "photo.jpg", "image/jpeg", None, UnsupportedMedia),
    Sample("mp4_named_png", lambda: make_clip(4, audio=False), "photo.png", "image/png", UnsupportedMedia, None),
    # Not pictures at all.
    Sample("empty", lambda: b"", "empty.jpg", "image/jpeg", UnsupportedMedia, UnsupportedMedia),
    Sample("random_bytes", lambda: random.Random(0).randbytes(37), "noise.png", "image/png", UnsupportedMedia, UnsupportedMedia),
    Sample("text", lambda: b"dear diary, today I sent a text file to a bot\n" * 10, "notes.jpg", "image/jpeg", UnsupportedMedia, UnsupportedMedia),
    Sample("svg", lambda: _SVG, "logo.svg", "image/svg+xml", UnsupportedMedia, UnsupportedMedia),
    Sample("html", lambda: _HTML, "page.png", "image/png", UnsupportedMedia, UnsupportedMedia),
    Sample("mp4_audio_only", lambda: make_clip(4, video=False), "song.mp4", "video/mp4", UnsupportedMedia, UnsupportedMedia),
    # Too thin to draw.
    Sample("png_1x4000", lambda: png_bytes(1, 4000), "tall.png", "image/png", ImageTooSmall, UnsupportedMedia),
    Sample("png_4000x1", lambda: png_bytes(4000, 1), "wide.png", "image/png", ImageTooSmall, UnsupportedMedia),
    # Too many frames for a clip (and GIF is never a photo).
    Sample("gif_3000_frames", _many_frame_gif, "long.gif", "image/gif", UnsupportedMedia, TooManyFrames),
    # Unusual but valid pictures: they work.
    Sample("cmyk_jpeg", lambda: _jpeg(mode="CMYK"), "print.jpg", "image/jpeg", None, UnsupportedMedia),
    Sample("png_16bit_rgb", _sixteen_bit_rgb_png, "deep.png", "image/png", None, UnsupportedMedia),
    Sample("png_16bit_gray", lambda: png_bytes(mode="I;16"), "deep_gray.png", "image/png", None, UnsupportedMedia),
    Sample("palette_png_transparent", _palette_png_with_transparency, "sticker.png", "image/png", None, UnsupportedMedia),
    Sample("jpeg_huge_exif", _jpeg_with_huge_exif, "exif.jpg", "image/jpeg", None, UnsupportedMedia),
    Sample("jpeg_1mb_icc", _jpeg_with_big_icc, "icc.jpg", "image/jpeg", None, UnsupportedMedia),
)  # fmt: skip

_BY_NAME = {s.name: s for s in SAMPLES}


def sample(name: str) -> Sample:
    """The sample called `name`."""
    return _BY_NAME[name]


@functools.cache
def _built(name: str) -> bytes:
    return _BY_NAME[name].build()
