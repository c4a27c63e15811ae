"""The ONNX face analysis: agreement with mediapipe's stored output, the SSD and face-mesh
geometry on synthetic data, and graceful degradation when a model file is missing or corrupt."""

from __future__ import annotations

import logging
import math
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from matplotlib.cbook import get_sample_data
from skimage import data

from engine import analysis
from engine.analysis import build_analyzer, face_mesh, ssd
from engine.analysis import models as bundled
from engine.analysis.onnx_backend import OnnxAnalyzer

# mediapipe 0.10.14's own landmarks and masks (0.5 threshold, packed bits) for these pictures,
# written by bench/face_analysis.py --write-fixture from bench/mediapipe_reference.py.
FIXTURE = Path(__file__).parent / "data" / "mediapipe_faces.npz"
# Agreement promised in the README: per face, mean landmark distance within 1% of the face's
# size and the largest within 3% (measured here: 0.55% / 1.3% and 0.52% / 1.4%).
MEAN_REL, MAX_REL = 0.01, 0.03


def _grace_hopper() -> np.ndarray:
    bgr = cv2.imread(str(get_sample_data("grace_hopper.jpg", asfileobj=False)))
    assert bgr is not None
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


@pytest.fixture(scope="module")
def analyzer() -> OnnxAnalyzer:
    return OnnxAnalyzer()


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
def test_agrees_with_mediapipe(analyzer: OnnxAnalyzer, name: str) -> None:
    stored = np.load(FIXTURE)
    image = data.astronaut() if name == "astronaut" else _grace_hopper()
    result = analyzer.analyze(np.ascontiguousarray(image))
    (want,) = stored[f"{name}_landmarks"]
    (face,) = result.faces
    assert face.landmarks is not None and face.landmarks.shape == (478, 2)
    size = float(np.ptp(want, axis=0).max())
    err = np.hypot(*(face.landmarks - want).T)
    assert err.mean() < MEAN_REL * size
    assert err.max() < MAX_REL * size
    h, w = stored[f"{name}_shape"]
    mask = np.unpackbits(stored[f"{name}_mask"])[: h * w].reshape(h, w).astype(bool)
    ours = result.person_mask > 0.5
    assert (mask & ours).sum() / (mask | ours).sum() > 0.97


# --- SSD anchors, decoding, weighted non-maximum suppression --------------------------------


def test_full_range_anchors_are_a_48_grid_in_row_order() -> None:
    anchors = ssd.ssd_anchors(ssd.FULL_RANGE)
    assert anchors.shape == (2304, 2)
    np.testing.assert_allclose(anchors[0], [0.5 / 48, 0.5 / 48])
    np.testing.assert_allclose(anchors[1], [1.5 / 48, 0.5 / 48])  # x runs fastest
    np.testing.assert_allclose(anchors[48], [0.5 / 48, 1.5 / 48])
    np.testing.assert_allclose(anchors[-1], [47.5 / 48, 47.5 / 48])


def test_layers_sharing_a_stride_share_a_grid() -> None:
    # mediapipe's short-range layout: 16 x 16 x 2 + 8 x 8 x (3 layers x 2) = 896 anchors.
    opts = ssd.AnchorOptions(
        input_size=128, strides=(8, 16, 16, 16), min_score=0.5, anchors_per_layer=2
    )
    anchors = ssd.ssd_anchors(opts)
    assert anchors.shape == (896, 2)
    np.testing.assert_allclose(anchors[512:518], np.tile([[0.5 / 8, 0.5 / 8]], (6, 1)))


def test_decode_places_box_and_keypoints_relative_to_the_anchor() -> None:
    anchors = ssd.ssd_anchors(ssd.FULL_RANGE)
    raw = np.zeros((2304, 16), np.float32)
    logits = np.full(2304, -10.0, np.float32)
    i = 48 * 10 + 20  # anchor centre (20.5 / 48, 10.5 / 48)
    raw[i, :4] = [19.2, -9.6, 38.4, 19.2]  # centre +0.1, -0.05; size 0.2 x 0.1 (192 px input)
    raw[i, 4:6] = [-9.6, 0.0]  # keypoint 0 at centre x - 0.05
    logits[i] = 2.0
    found = ssd.decode(raw, logits, anchors, ssd.FULL_RANGE)
    assert len(found) == 1
    cx, cy = 20.5 / 48 + 0.1, 10.5 / 48 - 0.05
    np.testing.assert_allclose(
        found.boxes[0], [cx - 0.1, cy - 0.05, cx + 0.1, cy + 0.05], atol=1e-6
    )
    np.testing.assert_allclose(found.keypoints[0, 0], [20.5 / 48 - 0.05, 10.5 / 48], atol=1e-6)
    np.testing.assert_allclose(found.keypoints[0, 1], anchors[i], atol=1e-6)
    assert found.scores[0] == pytest.approx(1 / (1 + math.exp(-2.0)))


def test_decode_drops_scores_below_the_threshold_and_survives_huge_logits() -> None:
    anchors = ssd.ssd_anchors(ssd.FULL_RANGE)
    logits = np.full(2304, 1e6, np.float32)  # clipped to 100 first, as mediapipe does
    logits[:2000] = -1e6
    found = ssd.decode(np.zeros((2304, 16), np.float32), logits, anchors, ssd.FULL_RANGE)
    assert len(found) == 304 and np.all(found.scores == 1.0)
    with pytest.raises(ValueError, match="anchors"):
        ssd.decode(np.zeros((10, 16)), np.zeros(10), anchors, ssd.FULL_RANGE)


def test_weighted_nms_averages_overlaps_by_score_and_keeps_the_rest() -> None:
    boxes = np.array([[0.0, 0, 1, 1], [0.1, 0, 1.1, 1], [3, 3, 4, 4]], np.float32)
    kps = np.zeros((3, 6, 2), np.float32)
    kps[1] += 1.0
    dets = ssd.Detections(boxes, kps, np.array([0.6, 0.9, 0.7], np.float32))
    out = ssd.weighted_nms(dets, 0.3)
    assert out.scores.tolist() == pytest.approx([0.9, 0.7])  # the top score, most confident first
    np.testing.assert_allclose(out.boxes[0], [0.06, 0, 1.06, 1], atol=1e-6)  # (0.9*0.1)/1.5
    np.testing.assert_allclose(out.keypoints[0], np.full((6, 2), 0.6), atol=1e-6)
    np.testing.assert_allclose(out.boxes[1], boxes[2])
    assert len(ssd.weighted_nms(dets.take(np.zeros(0, np.intp)))) == 0


def test_remove_letterbox_maps_the_padded_square_back_to_the_image() -> None:
    dets = ssd.Detections(
        np.array([[0.25, 0.25, 0.75, 0.75]], np.float32),
        np.full((1, 6, 2), 0.25, np.float32),
        np.ones(1, np.float32),
    )
    out = ssd.remove_letterbox(dets, (0.0, 0.25, 0.0, 0.25))  # a 2:1 landscape picture
    np.testing.assert_allclose(out.boxes[0], [0.25, 0.0, 0.75, 1.0])
    np.testing.assert_allclose(out.keypoints[0, 0], [0.25, 0.0])


# --- face-mesh region of interest, crop and landmarks ----------------------------------------


def test_roi_from_a_tilted_detection_is_level_and_scaled() -> None:
    kps = np.array([[100.0, 100.0], [140.0, 140.0]])
    centre, side, angle = face_mesh.detection_roi(kps, (80.0, 90.0, 160.0, 150.0))
    assert centre == (120.0, 120.0)
    assert side == pytest.approx(1.5 * 80)
    assert angle == pytest.approx(math.pi / 4)
    m = face_mesh.roi_matrix((centre, side, angle))
    # The crop's centre is the region's centre; its x axis runs along the eye line.
    np.testing.assert_allclose(face_mesh.project(np.array([[96.0, 96.0]]), m)[0], centre, atol=1e-4)
    step = face_mesh.project(np.array([[97.0, 96.0]]), m)[0] - np.array(centre)
    np.testing.assert_allclose(step / np.linalg.norm(step), [math.sqrt(0.5)] * 2, atol=1e-6)
    assert np.linalg.norm(step) == pytest.approx(side / 192, rel=1e-5)  # float32 points


@pytest.mark.parametrize("side", [150.0, 900.0])  # plain warp, and area-shrunk first
def test_crop_and_project_agree(side: float) -> None:
    image = np.zeros((1000, 1200, 3), np.uint8)
    cv2.circle(image, (700, 420), 12, (255, 255, 255), -1)
    m = face_mesh.roi_matrix(((650.0, 450.0), side, 0.3))
    crop = face_mesh.crop_roi(image, m)
    assert crop.shape == (192, 192, 3)
    ys, xs = np.nonzero(crop[..., 0] > 127)
    spot = face_mesh.project(np.array([[xs.mean() + 0.5, ys.mean() + 0.5]]), m)[0]
    assert np.hypot(*(spot - [700.5, 420.5])) < side / 192 + 1.0


def test_assemble_landmarks_refines_the_mesh_and_appends_the_irises() -> None:
    mesh = np.zeros((468, 3), np.float32)
    lips = np.full((80, 2), 1.0)
    left, right = np.full((71, 2), 2.0), np.full((71, 2), 3.0)
    out = face_mesh.assemble_landmarks(mesh, lips, left, right, np.full(10, 4.0), np.full(10, 5.0))
    assert out.shape == (478, 2)
    assert out[61].tolist() == [1, 1] and out[33].tolist() == [2, 2] and out[263].tolist() == [3, 3]
    assert out[1].tolist() == [0, 0]  # nose tip: not refined
    assert np.all(out[468:473] == 4) and np.all(out[473:] == 5)
    with pytest.raises(ValueError, match="expected"):
        face_mesh.assemble_landmarks(mesh, lips[:79], left, right, np.zeros(10), np.zeros(10))


# --- degradation -------------------------------------------------------------------------------


@pytest.mark.parametrize("broken", ["missing", "corrupt"])
def test_a_broken_model_file_degrades_with_one_warning(
    broken: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in bundled.MODEL_FILES.values():
        shutil.copy(bundled.MODEL_DIR / name, tmp_path / name)
    mesh = tmp_path / bundled.MODEL_FILES["mesh"]
    if broken == "missing":
        mesh.unlink()
    else:
        mesh.write_bytes(b"not an onnx model")
    monkeypatch.setattr(bundled, "MODEL_DIR", tmp_path)
    monkeypatch.setattr(analysis, "_warned", False)
    with caplog.at_level(logging.WARNING, logger="engine.analysis"):
        assert build_analyzer() is None
        assert build_analyzer() is None
    warnings = [r for r in caplog.records if "person analysis unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert analysis.analysis_available() is (broken == "corrupt")
    masks = analysis.person_masker()([np.zeros((40, 50, 3), np.uint8)])
    assert masks[0].shape == (40, 50) and not masks[0].any()


def test_models_are_not_loaded_until_used() -> None:
    fresh = OnnxAnalyzer()
    assert fresh.models._sessions is None
    fresh.analyze(np.zeros((20, 20, 3), np.uint8))  # under MIN_SIDE: no model needed
    assert fresh.models._sessions is None
    fresh.analyze(np.zeros((64, 64, 3), np.uint8))
    assert fresh.models._sessions is not None
