"""Every file in the bad-inputs corpus gets exactly the refusal (or the success) it should."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from engine.errors import ToonError, UnsupportedMedia
from engine.imageio import decode_image
from engine.video.probe import probe_video
from tests.fakes.corpus import SAMPLES, Outcome, Sample, sample

IDS = [s.name for s in SAMPLES]


def outcome_of(fn: object, data: bytes) -> type[ToonError] | None:
    """The ToonError subclass `fn(data)` raised, or None when it worked; anything else fails."""
    try:
        fn(data)  # type: ignore[operator]
    except ToonError as exc:
        return type(exc)
    return None


def name(outcome: Outcome) -> str:
    return "success" if outcome is None else outcome.__name__


@pytest.mark.parametrize("item", SAMPLES, ids=IDS)
def test_photo_decoder_outcome(item: Sample) -> None:
    assert name(outcome_of(decode_image, item.data)) == name(item.image)


@pytest.mark.parametrize("item", SAMPLES, ids=IDS)
def test_video_probe_outcome(item: Sample) -> None:
    assert name(outcome_of(probe_video, item.data)) == name(item.video)


@pytest.mark.parametrize("item", [s for s in SAMPLES if s.image is None], ids=lambda s: s.name)
def test_benign_oddities_decode_to_ordinary_rgb(item: Sample) -> None:
    rgb = decode_image(item.data)
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert min(rgb.shape[:2]) >= 16
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 1  # real pixels, not a blank fallback


def test_the_bombs_are_real() -> None:
    bomb = sample("png_bomb_1600mp").data
    assert len(bomb) < 300_000  # a few hundred KB on the wire ...
    assert struct.unpack(">II", bomb[16:24]) == (40_000, 40_000)  # ... 1.6 gigapixels declared
    with Image.open(io.BytesIO(sample("png_bomb_64mp").data)) as im:
        assert im.size == (8_000, 8_000)
        im.load()  # a well-formed PNG: only the limit stops it
    small = sample("png_bomb_64mp").data
    idat = small[small.index(b"IDAT") + 4 : small.index(b"IEND") - 8]
    assert len(zlib.decompress(idat)) == 8_000 * (1 + 1_000)  # checksum verified too
    with zipfile.ZipFile(io.BytesIO(sample("zip_bomb_as_jpg").data)) as zf:
        [info] = zf.infolist()
        assert info.file_size == 20_000_000 and info.compress_size < 50_000


def test_the_disguises_are_real() -> None:
    assert sample("png_named_jpg").data.startswith(b"\x89PNG")
    assert sample("mp4_named_png").data[4:8] == b"ftyp"
    assert sample("gif_plus_zip").data.startswith(b"GIF89a")
    assert b"PK\x03\x04" in sample("gif_plus_zip").data
    assert sample("jpeg_plus_html").data.startswith(b"\xff\xd8")
    with Image.open(io.BytesIO(sample("cmyk_jpeg").data)) as im:
        assert im.mode == "CMYK"
    with Image.open(io.BytesIO(sample("palette_png_transparent").data)) as im:
        assert im.mode == "P" and "transparency" in im.info
    assert sample("png_16bit_rgb").data[24:26] == b"\x10\x02"  # bit depth 16, truecolour
    with Image.open(io.BytesIO(sample("jpeg_huge_exif").data)) as im:
        assert len(im.info["exif"]) > 60_000
    with Image.open(io.BytesIO(sample("jpeg_1mb_icc").data)) as im:
        assert len(im.info["icc_profile"]) == 1_000_000


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("svg", "SVG is not supported for photos; send a JPEG, PNG or WebP"),
        ("zip_bomb_as_jpg", "archives are not supported; send a photo"),
        ("mp4_named_png", "video files are not supported here; send a photo"),
        ("html", "not an image"),
        ("png_iccp_bomb", "its embedded metadata is too large"),
        ("png_ztxt_bomb", "its embedded metadata is too large"),
        ("truncated_png", "image data is corrupt or truncated"),
    ],
)
def test_photo_refusals_say_why(item: str, reason: str) -> None:
    with pytest.raises(UnsupportedMedia) as info:
        decode_image(sample(item).data)
    assert str(info.value) == reason  # the English, for logs; frontends word the problem code


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("mp4_truncated_moov", "video data is corrupt or truncated"),
        ("mp4_audio_only", "the file has no video track"),
        # A still PNG reaches the animated-picture check and is pointed to the photo path.
        ("png_named_jpg", "a still picture, not an animation; send it as a photo"),
    ],
)
def test_video_refusals_say_why(item: str, reason: str) -> None:
    with pytest.raises(UnsupportedMedia) as info:
        probe_video(sample(item).data)
    assert str(info.value) == reason


def test_damaged_mp4s_never_escape_as_raw_errors() -> None:
    """Cut or byte-flipped headers used to crash the probe with AttributeError (codec None)."""
    clip = sample("mp4_named_png").data
    rnd = random.Random(3)
    cases = [clip[:cut] for cut in range(8, len(clip), 13)]
    for _ in range(150):
        mutated = bytearray(clip)
        for _ in range(8):
            mutated[rnd.randrange(len(mutated))] = rnd.randrange(256)
        cases.append(bytes(mutated))
    outcomes = {name(outcome_of(probe_video, data)) for data in cases}
    assert outcomes <= {"success", "UnsupportedMedia", "VideoTooManyFrames", "VideoTooLong"}
    assert "UnsupportedMedia" in outcomes and "success" in outcomes
