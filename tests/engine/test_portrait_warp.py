"""The face proportion warp: identity at 0, local, fold-free, bigger eyes, slimmer jaw, invertible."""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np
import pytest
import torch
from matplotlib.cbook import get_sample_data
from skimage import data

from engine.analysis import build_analyzer
from engine.styles.portrait.warp import (
    jacobian_determinant,
    proportion_field,
    warp_images,
    warp_points,
)

# Eye corners and mid-lid points (right eye, left eye), jaw corners, nose wings.
CORNERS = ((33, 133), (263, 362))
LIDS = ((159, 145), (386, 374))
JAW = (172, 397)
WINGS = (129, 358)


def _grace_hopper() -> np.ndarray:
    bgr = cv2.imread(str(get_sample_data("grace_hopper.jpg", asfileobj=False)))
    assert bgr is not None
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


@pytest.fixture(scope="module")
def photos() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (RGB uint8 image, (478, 2) landmarks of its one face)."""
    analyzer = build_analyzer()
    if analyzer is None:
        pytest.skip("the face models are unavailable")
    out = {}
    astronaut: np.ndarray = data.astronaut()  # type: ignore[no-untyped-call]
    for name, image in (("astronaut", astronaut), ("grace_hopper", _grace_hopper())):
        faces = [f.landmarks for f in analyzer.analyze(image).faces if f.landmarks is not None]
        assert len(faces) == 1, name
        out[name] = (np.ascontiguousarray(image), faces[0])
    return out


def _dist(p: np.ndarray, a: int, b: int) -> float:
    return float(np.hypot(*(p[a] - p[b])))


def _ratios(lm: np.ndarray, field: np.ndarray | None) -> dict[str, float]:
    """Warped / original distances of the eye corners, lids, jaw corners and nose wings."""
    w = warp_points(lm, field)
    return {
        "corners": min(_dist(w, a, b) / _dist(lm, a, b) for a, b in CORNERS),
        "lids": min(_dist(w, a, b) / _dist(lm, a, b) for a, b in LIDS),
        "jaw": _dist(w, *JAW) / _dist(lm, *JAW),
        "nose": _dist(w, *WINGS) / _dist(lm, *WINGS),
    }


def _tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255


def _rotated(lm: np.ndarray, degrees: float, centre: tuple[float, float]) -> np.ndarray:
    a = math.radians(degrees)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    c = lm.mean(0)
    out: np.ndarray = ((lm - c) @ rot.T + centre).astype(np.float32)
    return out


def test_strength_zero_is_identity(photos: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    image, lm = photos["astronaut"]
    h, w = image.shape[:2]
    assert proportion_field([lm], h, w, 0.0) is None
    assert proportion_field([], h, w, 1.0) is None
    np.testing.assert_array_equal(warp_points(lm, None), lm)
    x = _tensor(image)
    assert torch.equal(warp_images(x, torch.zeros(1, 2, h, w)), x)


@pytest.mark.parametrize("strength", [-0.01, 1.01, float("nan")])
def test_strength_outside_unit_interval_is_refused(
    photos: dict[str, tuple[np.ndarray, np.ndarray]], strength: float
) -> None:
    _, lm = photos["astronaut"]
    with pytest.raises(ValueError):
        proportion_field([lm], 512, 512, strength)


def test_field_is_exactly_zero_away_from_the_face(
    photos: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    image, lm = photos["grace_hopper"]
    h, w = image.shape[:2]
    field = proportion_field([lm], h, w, 1.0)
    assert field is not None and field.shape == (2, h, w) and field.dtype == np.float32
    ys, xs = np.nonzero((field != 0).any(0))
    face_w, face_h = np.ptp(lm[:, 0]), np.ptp(lm[:, 1])
    cx, cy = lm[:, 0].mean(), lm[:, 1].mean()
    # The zone reaches a little past the face (to fade smoothly) but no further.
    assert xs.min() > cx - 1.2 * face_w and xs.max() < cx + 1.2 * face_w
    assert ys.min() > cy - 1.2 * face_h and ys.max() < cy + 1.5 * face_h
    assert np.abs(field).max() > 2.0  # and it does move something
    # A face entirely off the image moves nothing.
    assert proportion_field([lm + np.float32(5 * max(h, w))], h, w, 1.0) is None


def test_fold_free_at_full_strength(
    photos: dict[str, tuple[np.ndarray, np.ndarray]], record_property: Callable[[str, object], None]
) -> None:
    cases = {}
    for name, (image, lm) in photos.items():
        cases[name] = ([lm], *image.shape[:2])
        cases[name + "_tilted"] = ([_rotated(lm, 35, (400, 400))], 800, 800)
        cases[name + "_upside_down"] = ([_rotated(lm, 180, (400, 400))], 800, 800)
    # Zones of several faces piled on each other: the overlap guard must keep them fold-free.
    _, lm = photos["grace_hopper"]
    for n, shift in ((5, 0), (8, 6)):
        cases[f"pile_{n}"] = ([lm + np.float32(shift * k) for k in range(n)], 700, 600)
    for name, (faces, h, w) in cases.items():
        field = proportion_field(faces, h, w, 1.0)
        assert field is not None, name
        assert np.isfinite(field).all()
        det = jacobian_determinant(field)
        record_property(f"min_det_{name}", float(det.min()))
        # One face stays far from folding; a pile-up is held to the guard's bound: the
        # symmetric gradient's eigenvalues >= -0.75 give det >= 0.25 ** 2.
        assert det.min() > (0.06 if name.startswith("pile") else 0.4), (name, det.min())


def test_eyes_grow_and_jaw_and_nose_narrow(
    photos: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    for name, (image, lm) in photos.items():
        h, w = image.shape[:2]
        full = _ratios(lm, proportion_field([lm], h, w, 1.0))
        half = _ratios(lm, proportion_field([lm], h, w, 0.5))
        assert full["corners"] > 1.10 and full["lids"] > 1.10, (name, full)
        assert full["jaw"] < 0.96 and full["nose"] < 0.92, (name, full)
        # The default is milder than full strength, but still does something.
        assert 1.03 < half["corners"] < full["corners"], (name, half)
        assert full["jaw"] < half["jaw"] < 0.99, (name, half)


def test_tilted_and_scaled_faces_get_the_same_warp(
    photos: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    image, lm = photos["grace_hopper"]
    h, w = image.shape[:2]
    base = _ratios(lm, proportion_field([lm], h, w, 1.0))
    tilted = _rotated(lm, -40, (500, 500))
    big = (lm * 2.5).astype(np.float32)
    for face, (fh, fw) in ((tilted, (1000, 1000)), (big, (h * 3, w * 3))):
        got = _ratios(face, proportion_field([face], fh, fw, 1.0))
        for key, value in base.items():
            assert got[key] == pytest.approx(value, abs=0.01), key


def test_warp_points_finds_where_a_dot_lands(
    photos: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    image, lm = photos["grace_hopper"]
    h, w = image.shape[:2]
    field = proportion_field([lm], h, w, 1.0)
    assert field is not None
    # Dots on an eye corner, a lid, a jaw corner and a nose wing, where the warp moves them.
    points = lm[[33, 159, 172, 358]].astype(np.float64) + 0.3
    landed = warp_points(points, field)
    assert np.hypot(*(landed - points).T).max() > 2.0
    yy, xx = np.mgrid[0:h, 0:w]
    for (px, py), (qx, qy) in zip(points, landed, strict=True):
        dot = np.exp(-((xx - px) ** 2 + (yy - py) ** 2) / (2 * 1.5**2)).astype(np.float32)
        out = warp_images(torch.from_numpy(dot)[None, None], torch.from_numpy(field)[None])
        img = out[0, 0].numpy().astype(np.float64)
        img[img < 1e-3] = 0
        cx, cy = (img * xx).sum() / img.sum(), (img * yy).sum() / img.sum()
        assert math.hypot(cx - qx, cy - qy) < 0.5, ((cx, cy), (qx, qy))


def test_batch_gives_each_image_its_own_result(
    photos: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    image, lm = photos["astronaut"]
    h, w = image.shape[:2]
    x = _tensor(image)
    flipped = torch.flip(x, dims=[3])
    field = torch.from_numpy(proportion_field([lm], h, w, 1.0))
    other = torch.from_numpy(proportion_field([lm], h, w, 0.3))
    batch = warp_images(
        torch.cat([x, flipped, x]), torch.stack([field, other, torch.zeros_like(field)])
    )
    assert torch.equal(batch[0:1], warp_images(x, field[None]))
    assert torch.equal(batch[1:2], warp_images(flipped, other[None]))
    assert torch.equal(batch[2:3], x)
    # Pixels with zero displacement are copied bit for bit; the face itself changes.
    still = (field == 0).all(0)
    assert torch.equal(batch[0][:, still], x[0][:, still])
    assert (batch[0] - x[0]).abs().amax() > 0.1


def test_jacobian_determinant_of_an_affine_field() -> None:
    yy, xx = np.mgrid[0:20, 0:30].astype(np.float32)
    a = np.array([[0.2, -0.1], [0.3, -0.4]], np.float32)
    field = np.stack([a[0, 0] * xx + a[0, 1] * yy, a[1, 0] * xx + a[1, 1] * yy])
    det = jacobian_determinant(field)
    assert det.shape == (20, 30) and det.dtype == np.float32
    np.testing.assert_allclose(det, np.linalg.det(np.eye(2) + a), rtol=1e-5)
    # A fold: the x displacement falling faster than 1 px per px.
    assert jacobian_determinant(np.stack([-1.5 * xx, 0 * yy])).max() < 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_warp_images_on_cuda_matches_cpu(
    photos: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    image, lm = photos["astronaut"]
    x = _tensor(image)
    field = torch.from_numpy(proportion_field([lm], 512, 512, 1.0))[None]
    got = warp_images(x.cuda(), field.cuda())
    assert got.device.type == "cuda"
    torch.testing.assert_close(got.cpu(), warp_images(x, field), atol=1e-4, rtol=0)
