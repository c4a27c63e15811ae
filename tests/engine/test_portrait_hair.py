"""Hair for the drawn portrait: mask on a synthetic head, painted strands, silhouette ink."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch

from engine.analysis.landmarks import FACE_OVAL, MESH_POINTS
from engine.styles.portrait.hair import hair_mask, paint_hair, silhouette_ink

SKIN = (224, 172, 140)
CAP = (58, 40, 30)
SHIRT = (40, 70, 170)
BACKDROP = (150, 200, 225)


def _head(*, cap: bool = True, size: int = 512, seed: int = 0) -> dict[str, np.ndarray]:
    """A synthetic head: skin face ellipse, a dark cap over the top, neck, shirt, landmarks.

    The landmarks place the face oval on the ellipse (clockwise from the top, as FACE_OVAL runs),
    the iris centres, brows and the cheek / nose / forehead points; every other point sits at
    the face centre. Returns image, person mask, landmarks and region masks to check against.
    """
    rng = np.random.default_rng(seed)
    cx, cy, a, b = size * 0.5, size * 0.42, size * 0.13, size * 0.17
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    face = ((xs - cx) / a) ** 2 + ((ys - cy) / b) ** 2 <= 1.0
    skull = ((xs - cx) / (1.22 * a)) ** 2 + ((ys - (cy - 0.12 * b)) / (1.25 * b)) ** 2 <= 1.0
    top = skull & ~face & (ys < cy - 0.2 * b)
    neck = (np.abs(xs - cx) < 0.55 * a) & (ys > cy) & (ys < cy + 1.5 * b) & ~face
    shirt = (ys >= cy + 1.5 * b) & (np.abs(xs - cx) < 3.0 * a + (ys - cy - 1.5 * b) * 0.6)
    paint = np.empty((size, size, 3), np.float32)
    paint[:] = BACKDROP
    paint[face | neck | top] = SKIN
    if cap:
        paint[top] = CAP
    paint[shirt] = SHIRT
    noise = rng.normal(0, 6, paint.shape).astype(np.float32)
    image = cv2.GaussianBlur(paint + noise, (0, 0), 1.0)
    person = cv2.GaussianBlur((face | top | neck | shirt).astype(np.float32), (0, 0), 1.5)

    lm = np.tile(np.array([cx, cy], np.float32), (MESH_POINTS, 1))
    for k, idx in enumerate(FACE_OVAL):
        t = math.radians(-90 + 10 * k)
        lm[idx] = (cx + a * math.cos(t), cy + b * math.sin(t))
    eye_y = cy - 0.12 * b
    lm[468], lm[473] = (cx - 0.42 * a, eye_y), (cx + 0.42 * a, eye_y)
    for idx, dx in zip((70, 63, 105, 66, 107), (-0.75, -0.6, -0.45, -0.3, -0.15), strict=True):
        lm[idx] = (cx + dx * a, eye_y - 0.22 * b)
    for idx, dx in zip((300, 293, 334, 296, 336), (0.75, 0.6, 0.45, 0.3, 0.15), strict=True):
        lm[idx] = (cx + dx * a, eye_y - 0.22 * b)
    points = {205: (-0.45, 0.3), 425: (0.45, 0.3), 50: (-0.55, 0.1), 280: (0.55, 0.1)}
    points |= {6: (0, -0.05), 197: (0, 0.05), 5: (0, 0.25), 9: (0, -0.35), 151: (0, -0.7)}
    points |= {108: (-0.3, -0.7), 337: (0.3, -0.7)}
    for idx, (dx, dy) in points.items():
        lm[idx] = (cx + dx * a, cy + dy * b)
    inner = cv2.erode(face.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    cap_core = cv2.erode(top.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    return {
        "image": np.clip(image, 0, 255).astype(np.uint8),
        "person": person,
        "landmarks": lm,
        "face": inner,
        "top": cap_core,
        "neck": cv2.erode(neck.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0,
        "shirt": cv2.erode(shirt.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0,
        "backdrop": person < 0.01,
    }


def test_hair_mask_covers_the_cap_not_face_neck_or_shirt() -> None:
    head = _head()
    mask = hair_mask(head["image"], head["person"], [head["landmarks"]])
    assert mask.shape == head["person"].shape and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    assert mask[head["top"]].mean() > 0.85
    assert mask[head["face"]].mean() < 0.02
    assert mask[head["neck"]].mean() < 0.05
    assert mask[head["shirt"]].mean() < 0.02
    assert mask[head["backdrop"]].max() < 0.02
    assert (mask <= head["person"] + 1e-6).all()


def test_hair_mask_gives_a_bald_head_nothing() -> None:
    head = _head(cap=False)
    mask = hair_mask(head["image"], head["person"], [head["landmarks"]])
    assert mask[head["top"]].mean() < 0.1
    assert mask.sum() < 0.02 * head["person"].sum()


def test_hair_mask_without_faces_and_bad_input() -> None:
    head = _head()
    assert not hair_mask(head["image"], head["person"], []).any()
    with pytest.raises(ValueError):
        hair_mask(head["image"], head["person"][:-1], [])
    with pytest.raises(ValueError):
        hair_mask(head["image"], head["person"], [head["landmarks"][:10]])


def _strands(colour: tuple[float, float, float], size: int = 192, seed: int = 1) -> torch.Tensor:
    """(1, 3, size, size) hair-like texture: diagonal strands, shading and pixel noise."""
    g = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    ys, xs = ys.float(), xs.float()
    stripes = 0.25 * torch.sin((xs + 0.6 * ys) * (2 * math.pi / 5.0))
    shade = 0.35 * torch.sin(ys * (2 * math.pi / size)) + 0.25 * torch.cos(xs * (math.pi / size))
    lum = 1.0 + stripes + shade + 0.15 * torch.randn(size, size, generator=g)
    rgb = torch.tensor(colour).view(3, 1, 1) * lum
    return rgb.clamp(0, 1)[None]


def _disc(size: int, radius: float, soft: float = 1.5) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    r = torch.sqrt((xs - size / 2 + 0.5) ** 2 + (ys - size / 2 + 0.5) ** 2)
    return torch.sigmoid((radius - r) / soft)[None, None]


def _lab(rgb: torch.Tensor) -> np.ndarray:
    """(N, 3) RGB in [0, 1] to CIELAB."""
    lab: np.ndarray = cv2.cvtColor(rgb.numpy().astype(np.float32)[None], cv2.COLOR_RGB2Lab)[0]
    return lab


def _laplacian_var(luma: torch.Tensor, inside: torch.Tensor) -> float:
    lap = cv2.Laplacian(luma.numpy().astype(np.float32), cv2.CV_32F)
    return float(lap[inside.numpy()].var())


HAIR_COLOURS = {
    "brown": (0.42, 0.27, 0.16),
    "blonde": (0.86, 0.70, 0.42),
    "black": (0.09, 0.08, 0.1),
}


@pytest.mark.parametrize("name", list(HAIR_COLOURS))
def test_paint_hair_smooths_strands_keeps_colour_and_hue(name: str) -> None:
    x = _strands(HAIR_COLOURS[name])
    mask = _disc(192, 80)
    inside = (_disc(192, 70) > 0.99)[0, 0]
    out = paint_hair(x, mask, sheen=0.0)
    assert out.shape == x.shape and torch.isfinite(out).all()
    assert out.min() >= 0 and out.max() <= 1
    luma_in = x[0].mul(torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)).sum(0)
    luma_out = out[0].mul(torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)).sum(0)
    # Strand noise goes: the Laplacian (pixel-scale detail) inside the hair drops a lot.
    assert _laplacian_var(luma_out, inside) < 0.1 * _laplacian_var(luma_in, inside)
    lab_in = _lab(x[0][:, inside].T.mean(0, keepdim=True))[0]
    lab_out = _lab(out[0][:, inside].T.mean(0, keepdim=True))[0]
    assert np.linalg.norm(lab_in - lab_out) < 3.0  # mean colour: small CIELAB Delta E
    chroma_in = math.hypot(lab_in[1], lab_in[2])
    if chroma_in > 5:  # hue angle is meaningless for the near-grey black hair
        hue_in = math.degrees(math.atan2(lab_in[2], lab_in[1]))
        hue_out = math.degrees(math.atan2(lab_out[2], lab_out[1]))
        assert abs(hue_in - hue_out) < 5.0
    # Black hair stays very dark but is not painted pure black.
    if name == "black":
        assert 0.02 < float(luma_out[inside].mean()) < 0.15
        assert float(luma_out[inside].min()) > 0.01


@pytest.mark.parametrize("tones", [2, 3])
def test_paint_hair_gives_few_flat_tones(tones: int) -> None:
    x = _strands(HAIR_COLOURS["brown"])
    inside = (_disc(192, 70) > 0.99)[0, 0]
    weights = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)

    def busy_levels(img: torch.Tensor) -> int:
        luma = img[0].mul(weights).sum(0)[inside]
        hist = torch.histc(luma, bins=64, min=0.0, max=1.0) / luma.numel()
        return int((hist > 0.03).sum())

    out = paint_hair(x, _disc(192, 80), tones=tones, sheen=0.0)
    assert busy_levels(x) > 8  # the photo-like texture spreads over many levels
    assert busy_levels(out) <= tones + 1  # the painted hair sits on a few flat tones


def test_paint_hair_sheen_brightens_a_band_only() -> None:
    x = _strands(HAIR_COLOURS["brown"])
    mask = _disc(192, 80)
    plain = paint_hair(x, mask, sheen=0.0)
    shiny = paint_hair(x, mask, sheen=0.8)
    lift = (shiny - plain).mean(1)[0]
    inside = (_disc(192, 70) > 0.99)[0, 0]
    lifted = (lift > 0.03) & inside
    assert 0.01 < float(lifted.float()[inside].mean()) < 0.3  # a band, not everything
    assert float(lift[inside].min()) > -1e-6  # sheen only ever brightens


def test_paint_hair_batch_equals_single_and_empty_mask() -> None:
    xs = torch.cat([_strands(HAIR_COLOURS["brown"]), _strands(HAIR_COLOURS["blonde"], seed=2)])
    masks = torch.cat([_disc(192, 80), _disc(192, 50)])
    masks[1, :, :, :60] = 0.0
    batch = paint_hair(xs, masks)
    for i in range(2):
        assert torch.equal(batch[i : i + 1], paint_hair(xs[i : i + 1], masks[i : i + 1]))
    empty = torch.zeros_like(masks[:1])
    assert torch.equal(paint_hair(xs[:1], empty), xs[:1])
    with pytest.raises(ValueError):
        paint_hair(xs, masks[:1])
    with pytest.raises(ValueError):
        paint_hair(xs, masks, tones=1)


def _ray_profiles(ink: torch.Tensor, centre: float, radius: float) -> np.ndarray:
    """Coverage sampled along 180 rays from the centre, from radius - 12 to radius + 12 px."""
    img = ink[0, 0].numpy()
    angles = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    rs = np.arange(radius - 12, radius + 12, 0.25)
    px = (centre + np.cos(angles)[:, None] * rs[None]).astype(np.float32)
    py = (centre + np.sin(angles)[:, None] * rs[None]).astype(np.float32)
    return cv2.remap(img, px, py, cv2.INTER_LINEAR)


@pytest.mark.parametrize(("width", "soft"), [(2.0, 0.3), (3.0, 1.5), (6.0, 3.0)])
def test_silhouette_ink_is_a_continuous_line_of_the_right_width(width: float, soft: float) -> None:
    size, radius = 200, 60.0
    mask = _disc(size, radius, soft)
    ink = silhouette_ink(mask, width)
    assert ink.shape == mask.shape and ink.min() >= 0 and ink.max() <= 1
    prof = _ray_profiles(ink, size / 2 - 0.5, radius)
    assert prof.max(1).min() > 0.8  # no gaps anywhere around the disc
    widths = prof.sum(1) * 0.25  # integrated coverage across the line = its width
    assert abs(np.median(widths) - width) < 0.35
    assert widths.max() - widths.min() < 0.5
    rs = np.arange(radius - 12, radius + 12, 0.25)
    centres = (prof * rs).sum(1) / prof.sum(1)
    assert np.abs(centres - radius).max() < 0.5  # centred on the 0.5 level
    assert float(ink[0, 0, 100, 100]) == 0.0 and float(ink[0, 0, 2, 2]) == 0.0


def test_silhouette_ink_per_image_width_batch_and_no_false_lines() -> None:
    masks = torch.cat([_disc(200, 60), _disc(200, 40), 0.48 * _disc(200, 50, 1.0)])
    widths = torch.tensor([2.0, 6.0, 8.0])
    ink = silhouette_ink(masks, widths)
    for i in range(3):
        assert torch.equal(ink[i : i + 1], silhouette_ink(masks[i : i + 1], float(widths[i])))
    w0 = np.median(_ray_profiles(ink[0:1], 99.5, 60).sum(1) * 0.25)
    w1 = np.median(_ray_profiles(ink[1:2], 99.5, 40).sum(1) * 0.25)
    assert abs(w0 - 2.0) < 0.35 and abs(w1 - 6.0) < 0.35
    assert float(ink[2].max()) < 0.05  # a bump that never reaches 0.5 has no contour
    with pytest.raises(ValueError):
        silhouette_ink(masks, torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError):
        silhouette_ink(masks, -1.0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu() -> None:
    x = _strands(HAIR_COLOURS["brown"])
    mask = _disc(192, 80)
    cpu = paint_hair(x, mask)
    gpu = paint_hair(x.cuda(), mask.cuda())
    assert gpu.device.type == "cuda"
    assert float((gpu.cpu() - cpu).abs().mean()) < 0.01
    ink_cpu = silhouette_ink(mask, 3.0)
    ink_gpu = silhouette_ink(mask.cuda(), torch.tensor([3.0]).cuda())
    assert ink_gpu.device.type == "cuda"
    assert float((ink_gpu.cpu() - ink_cpu).abs().max()) < 0.05
