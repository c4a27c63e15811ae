"""Videos as players show them: display-matrix rotation and mirroring, non-square pixels, alpha."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np
import pytest

from engine.engine import Engine
from engine.errors import ImageTooLarge
from engine.video import VideoLimits, probe_video, toon_video
from engine.video.geometry import Geometry, Orientation, orientation_from_matrix
from tests.engine.tiny_styles import identity_engine

W, H = 96, 64  # coded (stored) picture
ONE = 1 << 16  # 1.0 in the display matrix's 16.16 fixed point
W1 = 1 << 30  # its last entry, 1.0 in 2.30


def engine() -> Engine:
    return identity_engine()


def marked_frame(w: int = W, h: int = H) -> np.ndarray:
    """Grey with a red block at the top left and a green one at the top right: any turn or
    mirror of it looks different."""
    f = np.full((h, w, 3), 128, np.uint8)
    f[: h // 3, : w // 3] = (230, 30, 30)
    f[: h // 3, -(w // 3) :] = (30, 200, 30)
    return f


def clip(
    frames: list[np.ndarray],
    *,
    matrix: list[int] | None = None,
    sar: Fraction | None = None,
    fps: int = 10,
) -> bytes:
    h, w = frames[0].shape[:2]
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        if matrix is not None:
            vs.set_display_matrix(matrix)
        if sar is not None:
            vs.codec_context.sample_aspect_ratio = sar
        for f in frames:
            out.mux(vs.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        out.mux(vs.encode(None))
    return buf.getvalue()


def first_output_frame(data: bytes) -> tuple[np.ndarray, int]:
    """The first frame of an encoded mp4 as stored, and the rotation it is tagged with."""
    with av.open(io.BytesIO(data)) as c:
        frame = next(c.decode(c.streams.video[0]))
        return frame.to_ndarray(format="rgb24"), int(frame.rotation)


# Display matrices (FFmpeg: shown x' = a*x + c*y, y' = b*x + d*y, y down) and the picture a
# player shows for them, written as plain numpy turns and flips.
CASES = {
    # How phones store portrait video: rotation -90 (shown turned clockwise).
    "portrait -90": ([0, ONE, 0, -ONE, 0, 0, 0, 0, W1], lambda f: np.rot90(f, -1)),
    "portrait +90": ([0, -ONE, 0, ONE, 0, 0, 0, 0, W1], lambda f: np.rot90(f, 1)),
    "upside down": ([-ONE, 0, 0, 0, -ONE, 0, 0, 0, W1], lambda f: np.rot90(f, 2)),
    "mirrored": ([-ONE, 0, 0, 0, ONE, 0, 0, 0, W1], lambda f: f[:, ::-1]),
    "mirrored upside down": ([ONE, 0, 0, 0, -ONE, 0, 0, 0, W1], lambda f: f[::-1]),
    # A front camera's portrait clip: turned and mirrored (negative determinant).
    "transposed": ([0, ONE, 0, ONE, 0, 0, 0, 0, W1], lambda f: np.swapaxes(f, 0, 1)),
    "anti-transposed": (
        [0, -ONE, 0, -ONE, 0, 0, 0, 0, W1],
        lambda f: np.rot90(f, 2).swapaxes(0, 1),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_rotated_and_mirrored_clips_come_out_upright_with_displayed_size(case: str) -> None:
    matrix, shown = CASES[case]
    source = marked_frame()
    expected = np.ascontiguousarray(shown(source))
    data = clip([source] * 4, matrix=matrix)
    info = probe_video(data)
    assert (info.width, info.height) == (expected.shape[1], expected.shape[0])
    async with engine() as e:
        result = await toon_video(e, data, "identity", "u1", stabilize=False)
    assert (result.width, result.height) == (expected.shape[1], expected.shape[0])
    stored, rotation = first_output_frame(result.data)
    assert rotation == 0  # upright pixels, no tag left for players to apply a second time
    assert stored.shape == expected.shape
    assert np.abs(stored.astype(int) - expected).mean() < 6


def test_phone_rotation_is_recognised_from_ffmpegs_own_rotation_setter() -> None:
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=10)
        vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
        vs.set_display_rotation(-90)
        for f in [marked_frame()] * 2:
            out.mux(vs.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        out.mux(vs.encode(None))
    info = probe_video(buf.getvalue())
    assert (info.width, info.height) == (H, W)


def test_orientation_snaps_odd_angles_and_ignores_an_empty_matrix() -> None:
    assert orientation_from_matrix([0] * 9) == Orientation()
    # 80 degrees is shown as the nearest quarter turn.
    c, s = np.cos(np.radians(-80)), np.sin(np.radians(-80))
    m = [round(c * ONE), round(-s * ONE), 0, round(s * ONE), round(c * ONE), 0, 0, 0, W1]
    assert orientation_from_matrix(m) == orientation_from_matrix(CASES["portrait -90"][0])
    with pytest.raises(ValueError):
        orientation_from_matrix([1, 2, 3])


def test_geometry_combines_pixel_shape_and_rotation() -> None:
    turned = orientation_from_matrix(CASES["portrait -90"][0])
    g = Geometry(100, 50, Fraction(2), turned)
    assert g.displayed == (50, 200)  # 100 px of width 2 each, then stood up
    assert g.decode_size((50, 200)) == (200, 50)
    rgba = np.zeros((50, 200, 4), np.uint8)
    out = g.finish(rgba)
    assert out.shape == (200, 50, 3) and out.flags.c_contiguous and (out == 255).all()


def disc_frames(w: int, h: int, sar: Fraction, n: int = 3) -> list[np.ndarray]:
    """A disc that is round only when the pixels are shown sar times as wide as tall."""
    yy, xx = np.mgrid[:h, :w]
    f = np.full((h, w, 3), 200, np.uint8)
    r = min(h, w * float(sar)) * 0.35
    f[((xx - w / 2) * float(sar)) ** 2 + (yy - h / 2) ** 2 < r**2] = (30, 30, 200)
    return [f] * n


def blob_extent(rgb: np.ndarray) -> tuple[int, int]:
    ys, xs = np.nonzero((rgb[..., 2] > 120) & (rgb[..., 0] < 110))
    return int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1


@pytest.mark.parametrize(("sar", "shown"), [(Fraction(2), (160, 60)), (Fraction(3, 4), (60, 60))])
async def test_non_square_pixels_keep_the_displayed_shape(
    sar: Fraction, shown: tuple[int, int]
) -> None:
    data = clip(disc_frames(80, 60, sar), sar=sar)
    info = probe_video(data)
    assert (info.width, info.height) == shown
    async with engine() as e:
        result = await toon_video(e, data, "identity", "u1", stabilize=False)
    assert (result.width, result.height) == shown
    stored, _ = first_output_frame(result.data)
    w, h = blob_extent(stored)
    assert abs(w - h) <= 3, (w, h)  # a circle again, not an ellipse


def test_pixel_limit_is_on_the_stored_picture_and_checked_before_decoding() -> None:
    data = clip(disc_frames(80, 60, Fraction(2)), sar=Fraction(2))
    with pytest.raises(ImageTooLarge):
        probe_video(data, VideoLimits(max_input_pixels=80 * 60 - 1))


def transparent_webm(codec: str, n: int = 4) -> bytes:
    """A WebM sticker: a red disc on a fully transparent background (alpha as BlockAdditional)."""
    buf = io.BytesIO()
    yy, xx = np.mgrid[:64, :64]
    with av.open(buf, "w", format="webm") as out:
        vs = out.add_stream(codec, rate=10)
        vs.width, vs.height, vs.pix_fmt = 64, 64, "yuva420p"
        vs.options = {"auto-alt-ref": "0"}  # libvpx's VP8 encoder refuses alpha otherwise
        for i in range(n):
            rgba = np.zeros((64, 64, 4), np.uint8)
            rgba[(xx - 24 - 2 * i) ** 2 + (yy - 32) ** 2 < 14**2] = (220, 40, 40, 255)
            out.mux(vs.encode(av.VideoFrame.from_ndarray(rgba, format="rgba")))
        out.mux(vs.encode(None))
    return buf.getvalue()


@pytest.mark.parametrize("codec", ["libvpx-vp9", "libvpx"])
async def test_transparent_webm_sticker_is_composited_on_white(codec: str) -> None:
    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg has no {codec}")
    data = transparent_webm(codec)
    async with engine() as e:
        result = await toon_video(e, data, "identity", "u1", stabilize=False)
    stored, _ = first_output_frame(result.data)
    assert result.frames == 4
    assert stored[4, 60].min() > 240 and stored[60, 4].min() > 240  # transparent: white page
    r, g, b = (int(v) for v in stored[32, 24])
    assert r > 180 and g < 90 and b < 90  # the opaque disc keeps its colour
