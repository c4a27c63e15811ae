"""Animated WebP and APNG: recognised, measured from headers, animated in and animated out."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from engine.video import is_animated_image


def animated(fmt: str, n: int = 4, size: tuple[int, int] = (48, 32), alpha: bool = False) -> bytes:
    """An n-frame animation whose frames differ in colour; half transparent when alpha."""
    mode = "RGBA" if alpha else "RGB"
    frames = []
    for i in range(n):
        im = Image.new(
            mode, size, (40 * i % 256, 200, 30, 255) if alpha else (40 * i % 256, 200, 30)
        )
        if alpha:
            im.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1]))
        frames.append(im)
    buf = io.BytesIO()
    frames[0].save(buf, format=fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def still(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (9, 9, 9)).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_is_animated_image_tells_animations_from_stills(fmt: str) -> None:
    assert is_animated_image(animated(fmt))
    assert not is_animated_image(still(fmt))


@pytest.mark.parametrize(
    "data",
    [b"", b"RIFF\0\0\0\0WEBPjunk", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"GIF89a", b"hello"],
)
def test_is_animated_image_is_false_for_other_or_damaged_bytes(data: bytes) -> None:
    assert not is_animated_image(data)


def test_is_animated_image_is_false_for_gif() -> None:
    # GIFs have their own (FFmpeg) video path; this only names the two Pillow formats.
    assert not is_animated_image(animated("GIF"))
