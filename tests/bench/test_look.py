"""The portrait-look measures (bench/look_metrics.py) on inputs whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.look import resize_long
from bench.look_metrics import (
    FRAGMENT_MAX_PX,
    _ear_local,
    eye_aspect_ratio,
    face_size,
    ink_in_skin,
    least_squares_slope,
    luma,
    pearson,
    skin_colour_shift,
    skin_region,
    small_fragments_per_mp,
)
from bench.look_speed import group_canvas
from engine.analysis.landmarks import CHEEKS, EYES, IRIS_CENTRES, LIPS_OUTER_UPPER, NOSE_TIP

SKIN = (205, 160, 135)


def _patch(h: int = 200, w: int = 200, colour: tuple[int, int, int] = SKIN) -> np.ndarray:
    return np.full((h, w, 3), colour, np.uint8)


def test_luma_is_bt601_in_unit_range() -> None:
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]], np.uint8)
    assert luma(rgb)[0] == pytest.approx([0.299, 0.587, 0.114, 1.0], abs=1e-6)


def test_ink_in_skin_counts_a_drawn_line_of_known_area() -> None:
    img = _patch()
    img[50:52, 20:120] = (20, 15, 10)  # 2 x 100 = 200 px of ink in 40000 skin px
    img[100:110, 20:120] = (120, 95, 80)  # shading: darker, but not below 0.45 x median
    region = np.ones(img.shape[:2], bool)
    got = ink_in_skin(img, region, _patch())
    assert got["skin_px"] == 40000
    assert got["ink_px"] == 200
    assert got["ink_pct"] == pytest.approx(0.5)
    assert got["added_ink_pct"] == pytest.approx(0.5)


def test_ink_in_skin_ignores_ink_outside_the_region_and_ink_the_input_had() -> None:
    img = _patch()
    img[:, :10] = 0  # outside the region
    img[150:160, 50:60] = 0  # 100 px inside; the input already had 50 of them dark
    before = _patch()
    before[150:155, 50:60] = 0
    region = np.zeros(img.shape[:2], bool)
    region[:, 20:] = True
    got = ink_in_skin(img, region, before)
    assert got["ink_px"] == 100
    assert got["added_ink_px"] == 50
    assert got["ink_pct"] == pytest.approx(100 * 100 / region.sum())


def test_ink_threshold_is_relative_on_dark_skin_and_absolute_on_light() -> None:
    dark = _patch(colour=(70, 50, 40))  # median luma ~0.21: ink must be below ~0.096
    dark[0:10, :] = (40, 30, 25)  # luma ~0.12: shading, not ink
    dark[10:20, :] = (15, 10, 8)  # luma ~0.04: ink
    region = np.ones(dark.shape[:2], bool)
    assert ink_in_skin(dark, region)["ink_px"] == 2000
    light = _patch(colour=(250, 245, 240))
    light[0:10, :] = (100, 100, 100)  # < 0.45 x median but luma 0.39 > 0.35: not ink
    assert ink_in_skin(light, region)["ink_px"] == 0


def test_empty_region_gives_nan_not_an_error() -> None:
    got = ink_in_skin(_patch(), np.zeros((200, 200), bool))
    assert got["skin_px"] == 0 and math.isnan(got["ink_pct"])
    assert math.isnan(skin_colour_shift(_patch(), _patch(), np.zeros((200, 200), bool))["delta_e"])


def test_skin_colour_shift_of_known_colours() -> None:
    region = np.zeros((50, 50), bool)
    region[10:40, 10:40] = True
    black, white = _patch(50, 50, (0, 0, 0)), _patch(50, 50, (255, 255, 255))
    shift = skin_colour_shift(black, white, region)
    assert shift["delta_e"] == pytest.approx(100.0, abs=1e-3)
    assert shift["delta_l"] == pytest.approx(100.0, abs=1e-3)
    # sRGB red is L*a*b* (53.24, 80.09, 67.20) under D65; only the region counts.
    red = _patch(50, 50, (255, 0, 0))
    red[~region] = (0, 255, 0)
    shift = skin_colour_shift(black, red, region)
    assert shift["lab_out"] == pytest.approx([53.24, 80.09, 67.20], abs=0.02)
    assert shift["delta_e"] == pytest.approx(math.hypot(53.24, 80.09, 67.20), abs=0.03)
    # sRGB 128 grey is L* 53.585: white -> grey is a pure darkening by 46.415.
    darker = skin_colour_shift(white, _patch(50, 50, (128, 128, 128)), region)
    assert darker["delta_l"] == pytest.approx(-46.415, abs=0.01)
    assert darker["delta_e"] == pytest.approx(46.415, abs=0.01)


def test_small_fragments_counts_specks_under_30_px_per_megapixel() -> None:
    img = np.full((1000, 1000, 3), 255, np.uint8)
    for i in range(10):  # ten 3x3 specks: fragments
        img[20 + 50 * i : 23 + 50 * i, 20:23] = 0
    img[100:110, 200:210] = 0  # 100 px blob: not a fragment
    img[300:305, 200:206] = 0  # exactly FRAGMENT_MAX_PX: not a fragment
    assert FRAGMENT_MAX_PX == 30
    for k in range(40):  # one-pixel diagonal line: one 8-connected component of 40 px
        img[500 + k, 500 + k] = 0
    img[700:703, 700:703] = 90  # luma 0.35 > 0.25: not ink for the whole image
    assert small_fragments_per_mp(img) == pytest.approx(10.0)
    # Per megapixel: the top half holds all ten specks in half the pixels.
    assert small_fragments_per_mp(img[:500]) == pytest.approx(20.0)


def test_pearson_of_known_series() -> None:
    assert pearson([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert pearson([1, 2, 3, 4], [9, 7, 5, 3]) == pytest.approx(-1.0)
    # NaN frames (no face) are dropped pairwise.
    assert pearson([1, 2, math.nan, 3, 4], [1, 3, 100, 2, 4]) == pytest.approx(0.8)
    assert math.isnan(pearson([1, 2, 3], [5, 5, 5]))
    assert math.isnan(pearson([1, math.nan], [1, 2]))


def test_least_squares_slope_of_a_line() -> None:
    slope, intercept = least_squares_slope(
        [1, 4, 8, 16, 32], [3 * n + 2 for n in (1, 4, 8, 16, 32)]
    )
    assert slope == pytest.approx(3.0)
    assert intercept == pytest.approx(2.0)


def _eye_landmarks(open_right: float, open_left: float) -> np.ndarray:
    pts = np.zeros((478, 2), np.float32)
    for side, dx, half in (("right", 0.0, open_right), ("left", 40.0, open_left)):
        p1, p2, p3, p4, p5, p6 = EYES[side].ear_points
        pts[p1], pts[p4] = (dx, 0), (dx + 10, 0)
        pts[p2], pts[p6] = (dx + 3, -half), (dx + 3, half)
        pts[p3], pts[p5] = (dx + 7, -half), (dx + 7, half)
    return pts


def test_eye_aspect_ratio_of_an_open_and_a_closed_eye() -> None:
    pts = _eye_landmarks(2.0, 0.0)
    assert _ear_local(pts) == pytest.approx((0.4, 0.0))
    assert eye_aspect_ratio(pts) == pytest.approx((0.4, 0.0), abs=1e-6)


def test_group_canvas_places_n_faces() -> None:
    face = np.zeros((100, 100, 3), np.uint8)
    for n in (1, 4, 32):
        canvas = group_canvas(face, n)
        assert canvas.shape == (2048, 2048, 3)
        cell = 2048 // 6
        dark = [
            (canvas[r * cell + cell // 2, c * cell + cell // 2] == 0).all()
            for r in range(6)
            for c in range(6)
        ]
        assert sum(dark) == n


def test_resize_long_keeps_the_aspect() -> None:
    assert resize_long(np.zeros((512, 256, 3), np.uint8), 1024).shape == (1024, 512, 3)
    assert resize_long(np.zeros((300, 600, 3), np.uint8), 150).shape == (75, 150, 3)


def test_skin_region_of_a_real_face_is_on_the_cheeks_not_the_features() -> None:
    from bench.look import astronaut, mesh_faces
    from engine.analysis import build_analyzer

    analyzer = build_analyzer()
    if analyzer is None:
        pytest.skip("the face models are unavailable")
    rgb = astronaut()
    _, faces = mesh_faces(analyzer, rgb)
    assert faces, "the analyzer finds the astronaut's face"
    pts = faces[0].landmarks
    assert pts is not None
    region = skin_region(pts, rgb.shape)

    def inside(i: int) -> bool:
        x, y = pts[i].round().astype(int)
        return bool(region[y, x])

    assert all(inside(i) for i in CHEEKS)
    features = [*IRIS_CENTRES, NOSE_TIP, *LIPS_OUTER_UPPER, *EYES["right"].loop, *EYES["left"].loop]
    assert not any(inside(i) for i in features)
    # The holes are grown beyond the features: lashes just above and beside an eye are out.
    size = face_size(pts)
    for side, eye in EYES.items():
        outwards = -1.0 if side == "right" else 1.0  # the subject's right eye is on image left
        for i, offset in ((eye.lower[4], (0.0, 0.06)), (eye.outer, (0.07 * outwards, 0.0))):
            x, y = (pts[i] + np.array(offset) * size).round().astype(int)
            assert not region[y, x], (side, i)
    # Eroding more only shrinks it; the region is a sizeable part of the face box.
    tighter = skin_region(pts, rgb.shape, erode=0.08)
    assert (tighter <= region).all() and tighter.sum() < region.sum()
    x0, y0, x1, y1 = faces[0].bbox
    assert 0.15 < region.sum() / ((x1 - x0) * (y1 - y0)) < 0.7
