"""The portrait renderer: faces drawn from the mesh, skin tone kept, ink out of the skin."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from matplotlib import cbook
from skimage import data

from engine.analysis import Face, PersonAnalysis, build_analyzer
from engine.analysis.landmarks import EYES, FACE_OVAL
from engine.config import EngineConfig
from engine.styles import build_styles
from engine.styles.manhwa import ManhwaStyle
from engine.styles.portrait.canvas import Layer
from engine.styles.portrait.drawing import Look, draw_face, interocular
from engine.styles.portrait.plan import (
    DRAWING,
    PORTRAIT_CHANNELS,
    drawable,
    plan_faces,
    portrait_maps,
)
from engine.styles.webtoon import WebtoonStyle
from engine.worker import InferenceWorker


def _analyzer_or_skip() -> object:
    analyzer = build_analyzer()
    if analyzer is None:
        pytest.skip("face analysis unavailable")
    return analyzer


def _sized(rgb: np.ndarray, side: int) -> np.ndarray:
    s = side / max(rgb.shape[:2])
    return cv2.resize(rgb[..., :3], None, fx=s, fy=s, interpolation=cv2.INTER_AREA)


def _grace_hopper() -> np.ndarray:
    src = cbook.get_sample_data("grace_hopper.jpg")
    path = src if isinstance(src, (str, Path)) else getattr(src, "name", None)
    bgr = cv2.imread(str(path))
    assert bgr is not None
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def _darker_skin(rgb: np.ndarray) -> np.ndarray:
    """The same photo with its lightness scaled down in CIELAB: a dark-skinned stand-in."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 0.55
    lab[..., 1:] = 128 + (lab[..., 1:] - 128) * 1.15
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def _run(style: WebtoonStyle, rgb: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float().div(255.0)
        out = style(x)[0].clamp(0, 1).mul(255).round().to(torch.uint8)
    return np.ascontiguousarray(out.permute(1, 2, 0).numpy())


def _skin(points: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Cheeks, forehead and chin of a face: its oval, minus grown eyes, brows, nose and mouth."""
    h, w = shape[:2]
    iod = interocular(points)
    oval = np.zeros((h, w), np.uint8)
    cv2.fillPoly(oval, [points[list(FACE_OVAL)].round().astype(np.int32)], 1)
    oval = cv2.erode(oval, np.ones((3, 3), np.uint8), iterations=max(1, int(0.08 * iod)))
    holes = np.zeros((h, w), np.uint8)
    for loop in (*(e.loop for e in EYES.values()), (70, 63, 105, 66, 107, 336, 296, 334, 293, 300)):
        cv2.fillPoly(holes, [cv2.convexHull(points[list(loop)].round().astype(np.int32))], 1)
    for c in (4, 13):  # nose tip and mouth centre
        cv2.circle(holes, tuple(int(v) for v in points[c]), int(0.35 * iod), 1, -1)
    holes = cv2.dilate(holes, np.ones((3, 3), np.uint8), iterations=max(1, int(0.12 * iod)))
    return (oval > 0) & (holes == 0)


def _lab_mean(rgb: np.ndarray, region: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)[region]
    return np.asarray(lab.mean(axis=0) * [100 / 255, 1, 1], np.float64)


@pytest.fixture(scope="module")
def hopper() -> np.ndarray:
    return _sized(_grace_hopper(), 512)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_skin_tone_is_kept_and_strokes_stay_out_of_the_skin(hopper: np.ndarray, dark: bool) -> None:
    analyzer = _analyzer_or_skip()
    photo = _darker_skin(hopper) if dark else hopper
    analysis = analyzer.analyze(photo)  # type: ignore[attr-defined]
    faces = [f for f in analysis.faces if f.landmarks is not None]
    assert faces, "the mesh should fit Grace Hopper's face"
    out = _run(WebtoonStyle(warp=0.0), photo)
    region = _skin(faces[0].landmarks, photo.shape)
    assert region.sum() > 2000
    delta_e = np.linalg.norm(_lab_mean(out, region) - _lab_mean(photo, region))
    assert delta_e <= 6.0
    # Ink: far darker than the skin around it. The old filter look put ~3% of skin pixels there.
    luma = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(np.float32)[region]
    ink = luma < 0.45 * float(np.median(luma))
    assert ink.mean() <= 0.005


def test_skin_texture_is_removed(hopper: np.ndarray) -> None:
    analyzer = _analyzer_or_skip()
    face = next(f for f in analyzer.analyze(hopper).faces if f.landmarks is not None)  # type: ignore[attr-defined]
    region = _skin(face.landmarks, hopper.shape)
    out = _run(WebtoonStyle(warp=0.0), hopper)

    def texture(rgb: np.ndarray) -> float:
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return float(np.abs(cv2.Laplacian(gray, cv2.CV_32F))[region].mean())

    assert texture(out) < 0.35 * texture(hopper)


def _dark_centroid(layer: Layer) -> np.ndarray:
    rgba = layer.rgba
    luma = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    pupil = (rgba[..., 3] > 0.9) & (luma < 0.08)
    ys, xs = np.nonzero(pupil)
    return np.array([xs.mean() + layer.box[0], ys.mean() + layer.box[1]])


def test_the_drawn_iris_follows_the_iris_landmarks(hopper: np.ndarray) -> None:
    analyzer = _analyzer_or_skip()
    face = next(f for f in analyzer.analyze(hopper).faces if f.landmarks is not None)  # type: ignore[attr-defined]
    p = face.landmarks.astype(np.float32)
    eye = EYES["right"]
    box = tuple(int(v) for v in (*p[list(eye.loop)].min(0) - 20, *p[list(eye.loop)].max(0) + 20))
    moved = p.copy()
    shift = np.array([0.18 * np.linalg.norm(p[eye.outer] - p[eye.inner]), 0.0], np.float32)
    moved[[eye.iris_centre, *eye.iris_ring]] += shift
    before, after = Layer(box), Layer(box)  # type: ignore[arg-type]
    draw_face(before, hopper, p, p, Look(), eyes=(True, False))
    draw_face(after, hopper, p, moved, Look(), eyes=(True, False))
    travel = _dark_centroid(after) - _dark_centroid(before)
    assert abs(travel[0] - shift[0]) < 0.35 * shift[0]
    assert abs(travel[1]) < 0.25 * shift[0]


def test_a_closed_eye_shows_no_iris(hopper: np.ndarray) -> None:
    analyzer = _analyzer_or_skip()
    face = next(f for f in analyzer.analyze(hopper).faces if f.landmarks is not None)  # type: ignore[attr-defined]
    p = face.landmarks.astype(np.float32)
    eye = EYES["right"]
    closed = p.copy()
    # A blink: the upper lid comes down onto the lower one.
    closed[list(eye.upper)] = p[list(eye.lower)]
    box = tuple(int(v) for v in (*p[list(eye.loop)].min(0) - 20, *p[list(eye.loop)].max(0) + 20))
    layer = Layer(box)  # type: ignore[arg-type]
    draw_face(layer, hopper, p, closed, Look(), eyes=(True, False))
    rgba = layer.rgba
    luma = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    white = (rgba[..., 3] > 0.9) & (luma > 0.9)  # no eye white, no catch-light
    assert white.sum() <= 2


def test_faces_without_a_mesh_or_too_small_fall_back(hopper: np.ndarray) -> None:
    analyzer = _analyzer_or_skip()
    analysis = analyzer.analyze(hopper)  # type: ignore[attr-defined]
    face = next(f for f in analysis.faces if f.landmarks is not None)
    no_mesh = PersonAnalysis(analysis.person_mask, (Face(face.bbox),))
    out = np.zeros((PORTRAIT_CHANNELS, *hopper.shape[:2]), np.float32)
    assert portrait_maps(hopper, no_mesh, Look(), 0.5, out=out) is None
    c = face.landmarks.mean(axis=0)
    tiny = PersonAnalysis(analysis.person_mask, (Face(face.bbox, (face.landmarks - c) * 0.08 + c),))
    assert portrait_maps(hopper, tiny, Look(), 0.5, out=out) is None
    assert not out.any()
    # Falling back means the photo-based person look, exactly.
    style = WebtoonStyle()
    maps = style._maps(hopper, no_mesh)
    assert maps.shape[0] == 2
    drawn = style._maps(hopper, analysis)
    assert drawn.shape[0] > 2 and drawn[2 + DRAWING.start + 3].max() > 0.9


def test_a_group_of_more_than_eight_faces_is_fully_drawn() -> None:
    analyzer = _analyzer_or_skip()
    face = _sized(data.astronaut(), 512)[20:260, 120:330]
    tile = cv2.resize(face, (150, 170), interpolation=cv2.INTER_AREA)
    group = np.full((3 * 200, 4 * 180, 3), 235, np.uint8)
    for k in range(12):
        r, c = divmod(k, 4)
        group[r * 200 + 15 : r * 200 + 185, c * 180 + 15 : c * 180 + 165] = tile
    analysis = analyzer.analyze(group)  # type: ignore[attr-defined]
    assert len(analysis.faces) == 12
    plans = plan_faces(group, analysis.faces, None)
    assert len(plans) == 12
    maps = WebtoonStyle()._maps(group, analysis)
    alpha = maps[2 + DRAWING.start + 3]
    for k in range(12):
        r, c = divmod(k, 4)
        assert alpha[r * 200 : (r + 1) * 200, c * 180 : (c + 1) * 180].max() > 0.9


def test_batch_and_single_results_are_identical(hopper: np.ndarray) -> None:
    _analyzer_or_skip()
    scene = cv2.resize(data.coffee(), (hopper.shape[1], hopper.shape[0]))
    styles = build_styles(torch.device("cpu"))
    worker = InferenceWorker(EngineConfig(device="cpu", split_cpu_batches=False), styles)
    for name in ("webtoon", "manhwa"):
        both = worker.run(name, [hopper, scene], hopper.shape[:2])
        for image, out in zip([hopper, scene], both, strict=True):
            alone = worker.run(name, [image], image.shape[:2])[0]
            assert np.array_equal(out, alone)


def test_manhwa_is_ink_and_screentone(hopper: np.ndarray) -> None:
    _analyzer_or_skip()
    out = _run(ManhwaStyle(), hopper)
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
    grey = out[..., 0]
    paper, ink = (grey > 240).mean(), (grey < 20).mean()
    assert paper > 0.15 and ink > 0.05
    # Screentone: the mid-tones are dots, so a mid-grey area alternates paper and ink.
    assert ((grey > 40) & (grey < 215)).mean() < 0.35


def test_profiles_and_hidden_eyes_are_not_drawn(hopper: np.ndarray) -> None:
    analyzer = _analyzer_or_skip()
    face = next(f for f in analyzer.analyze(hopper).faces if f.landmarks is not None)  # type: ignore[attr-defined]
    assert drawable(face, hopper) is not None
    # A profile: the far eye foreshortened to a sliver.
    turned = face.landmarks.copy()
    eye = EYES["left"]
    centre = turned[list(eye.loop)].mean(axis=0)
    turned[list(eye.loop)] = (turned[list(eye.loop)] - centre) * [0.3, 1.0] + centre
    assert drawable(Face(face.bbox, turned), hopper) is None
    # A hand over the right eye: flat skin colour where the eye was.
    covered = hopper.copy()
    pts = face.landmarks[list(EYES["right"].loop)]
    x0, y0 = (pts.min(axis=0) - 12).astype(int)
    x1, y1 = (pts.max(axis=0) + 12).astype(int)
    covered[y0:y1, x0:x1] = np.median(hopper[y1 : y1 + 10, x0:x1].reshape(-1, 3), axis=0)
    seen = drawable(face, covered)
    assert seen is not None and seen[:2] == (False, True)
    # Both eyes covered: the face is left to the photo-based look.
    pts = face.landmarks[list(EYES["left"].loop)]
    x0, y0 = (pts.min(axis=0) - 12).astype(int)
    x1, y1 = (pts.max(axis=0) + 12).astype(int)
    covered[y0:y1, x0:x1] = np.median(hopper[y1 : y1 + 10, x0:x1].reshape(-1, 3), axis=0)
    assert drawable(face, covered) is None


def test_a_stroke_fading_to_zero_width_leaves_nothing_behind() -> None:
    layer = Layer((0, 0, 100, 40))
    xs = np.linspace(10, 90, 9, dtype=np.float32)
    pts = np.stack([xs, np.full_like(xs, 20.0)], axis=1)
    widths = np.array([4, 4, 4, 0, 0, 0, 0, 0, 0], np.float32)
    layer.stroke(pts, widths, np.zeros(3, np.float32))
    alpha = layer.rgba[..., 3]
    assert alpha[:, 10:40].max() > 0.9  # the drawn run
    assert alpha[:, 55:].max() == 0.0  # no anti-aliased hairline where the width is zero


def test_a_black_and_white_photo_is_drawn_without_tints(hopper: np.ndarray) -> None:
    _analyzer_or_skip()
    grey = np.repeat(cv2.cvtColor(hopper, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    out = _run(WebtoonStyle(), grey).astype(np.int16)
    face = WebtoonStyle().face_plans(grey)[1][0].target
    x0, y0 = face.min(axis=0).astype(int)
    x1, y1 = face.max(axis=0).astype(int)
    box = out[y0:y1, x0:x1]
    # Drawn eyes, lips, blush and nose stay grey: no channel strays from the others.
    assert np.abs(box - box.mean(axis=2, keepdims=True)).max() <= 12
