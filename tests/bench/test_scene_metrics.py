"""The scene-look measures (bench/scene_metrics.py) and targets (bench/scenes.py) on inputs whose
answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.scene_metrics import (
    ink_fraction,
    ink_kernel_px,
    ink_mask,
    mean_saturation,
    saturation_ratio,
    small_fragments_per_mp,
)
from bench.scenes import load_scenes, measure, scene_image, verdicts

GREY = 200


def _canvas(h: int = 512, w: int = 1024, level: int = GREY) -> np.ndarray:
    return np.full((h, w, 3), level, np.uint8)


def test_kernel_is_odd_and_scales_with_the_long_side() -> None:
    assert ink_kernel_px((768, 1024, 3)) == 11
    assert ink_kernel_px((2048, 1000)) in (21, 23)
    assert ink_kernel_px((40, 30)) == 3
    assert all(ink_kernel_px((s, s)) % 2 == 1 for s in range(16, 3000, 37))


def test_one_thin_dark_line_is_ink_in_one_piece() -> None:
    img = _canvas()
    img[250:253, 100:900] = 10  # 3 px x 800 px stroke
    mask = ink_mask(img)
    assert int(mask.sum()) == 3 * 800
    assert ink_fraction(img) == pytest.approx(3 * 800 / img[..., 0].size)
    assert small_fragments_per_mp(img) == 0.0


def test_flat_gradients_and_wide_dark_regions_are_not_ink() -> None:
    ramp = np.linspace(0, 255, 1024, dtype=np.float32)
    gradient = np.repeat(np.repeat(ramp[None, :, None], 512, axis=0), 3, axis=2).astype(np.uint8)
    assert ink_fraction(gradient) == 0.0
    half = _canvas()
    half[:, :512] = 0  # a dark region with a hard step edge
    assert ink_fraction(half) == 0.0
    bar = _canvas()
    bar[200:240, 100:900] = 0  # 40 px wide: much wider than the 11 px kernel
    # Closing rounds the bar's four square corners: a few pixels each, nothing along its sides.
    assert int(ink_mask(bar).sum()) <= 4 * 11
    assert not ink_mask(bar)[205:235, 110:890].any()


def test_faint_or_light_strokes_are_not_ink() -> None:
    faint = _canvas()
    faint[250:253, 100:900] = GREY - 30  # only 0.12 darker than around it
    assert ink_fraction(faint) == 0.0
    mid = _canvas(level=255)
    mid[250:253, 100:900] = 120  # much darker than around it, but not dark (luma 0.47)
    assert ink_fraction(mid) == 0.0


def test_pepper_noise_is_many_small_fragments() -> None:
    rng = np.random.default_rng(0)
    img = _canvas()
    ys = rng.integers(0, 512, 3000)
    xs = rng.integers(0, 1024, 3000)
    img[ys, xs] = 0
    per_mp = small_fragments_per_mp(img)
    assert per_mp > 4000  # ~3000 specks in half a megapixel, a few touching
    assert small_fragments_per_mp(ink_mask(img)) == per_mp  # a mask works as well


def test_components_of_thirty_pixels_or_more_are_not_fragments() -> None:
    img = _canvas()
    img[100, 100:129] = 0  # 29 px: a fragment
    img[300, 100:130] = 0  # 30 px: a stroke
    assert small_fragments_per_mp(img) == pytest.approx(1 / (512 * 1024 / 1e6))


def test_saturation_of_known_colours_and_ratios() -> None:
    red = _canvas(level=0)
    red[..., 0] = 255
    assert mean_saturation(red) == pytest.approx(1.0)
    assert mean_saturation(_canvas(level=0)) == 0.0  # black: max == 0, no division
    half = red.copy()
    half[:, :512] = GREY
    assert mean_saturation(half) == pytest.approx(0.5)
    assert saturation_ratio(red, red) == 1.0
    assert saturation_ratio(half, red) == pytest.approx(0.5)
    assert math.isnan(saturation_ratio(red, _canvas()))  # grey input: no ratio


def test_identical_photo_has_saturation_ratio_one() -> None:
    photo = load_scenes(["coffee"], 256)["coffee"]
    assert max(photo.shape[:2]) == 256
    assert saturation_ratio(photo, photo.copy()) == 1.0


def test_textures_load_as_rgb() -> None:
    grass = scene_image("grass")
    assert grass.ndim == 3 and grass.shape[2] == 3 and grass.dtype == np.uint8
    assert (grass[..., 0] == grass[..., 2]).all()


def test_verdicts_follow_the_targets() -> None:
    inp = _canvas()
    inp[..., 0] = 255
    clean = inp.copy()
    specks = inp.copy()
    specks[::4, ::4] = 0  # 6 % ink, all single-pixel specks
    row = {"today": measure(specks, inp), "new": measure(clean, inp)}
    got = verdicts(row, {"whole_ratio_median": 1.2})
    assert got == {"ink": True, "fragments": True, "saturation": True, "speed": True}
    row = {"today": measure(clean, inp), "new": measure(specks, inp)}
    got = verdicts(row, {"whole_ratio_median": 1.6})
    assert got["fragments"] is False and got["speed"] is False and got["ink"] is False
    grey = _canvas()
    row = {"today": measure(grey, grey), "new": measure(grey, grey)}
    assert verdicts(row, None) == {
        "ink": True,
        "fragments": True,
        "saturation": None,
        "speed": None,
    }
