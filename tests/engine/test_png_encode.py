"""PNG output at the measured zlib level (issue 16): lossless, tagged sRGB, nothing else."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from engine.icc import srgb_profile
from engine.imageio import PNG_COMPRESS_LEVEL, encode_image


def picture() -> np.ndarray:
    # Flat areas, edges and noise, like a drawn picture with texture.
    rng = np.random.default_rng(16)
    rgb = np.zeros((96, 128, 3), dtype=np.uint8)
    rgb[:, :64] = (240, 200, 170)
    rgb[20:70, 30:100] = (30, 40, 90)
    rgb[:, 100:] = rng.integers(0, 256, (96, 28, 3), dtype=np.uint8)
    return rgb


def test_png_is_encoded_at_the_measured_level() -> None:
    rgb = picture()
    expected = io.BytesIO()
    Image.fromarray(rgb).save(
        expected, format="PNG", compress_level=PNG_COMPRESS_LEVEL, icc_profile=srgb_profile()
    )
    assert encode_image(rgb, "png") == expected.getvalue()
    assert PNG_COMPRESS_LEVEL == 4  # bench/png_encode.py: the speed/size balance


def test_png_at_that_level_is_lossless_and_tagged_srgb_only() -> None:
    rgb = picture()
    with Image.open(io.BytesIO(encode_image(rgb, "png"))) as im:
        assert im.format == "PNG"
        assert im.info.get("icc_profile") == srgb_profile()
        assert set(im.info) <= {"icc_profile", "dpi"}
        assert np.array_equal(np.asarray(im.convert("RGB")), rgb)
