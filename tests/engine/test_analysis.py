"""Person and face analysis on scikit-image's bundled photos (the bundled ONNX face models)."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest
from skimage import data

from engine.analysis import (
    PersonAnalysis,
    PersonAnalyzer,
    build_analyzer,
    draw_part_masks,
    eye_aspect_ratio,
)
from engine.analysis.onnx_backend import OnnxAnalyzer

# Hand-picked on the 512 px astronaut: (x0, y0, x1, y1) around the face.
FACE_BOX = (170, 60, 280, 190)


@pytest.fixture(scope="module")
def analyzer() -> PersonAnalyzer:
    built = build_analyzer()
    assert built is not None
    return built


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut())


@pytest.fixture(scope="module")
def astronaut_analysis(analyzer: PersonAnalyzer, astronaut: np.ndarray) -> PersonAnalysis:
    return analyzer.analyze(astronaut)


def test_finds_the_astronaut(astronaut_analysis: PersonAnalysis) -> None:
    mask = astronaut_analysis.person_mask
    assert mask.shape == (512, 512) and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    x0, y0, x1, y1 = FACE_BOX
    # Measured: ~0.97 on the face, ~0 in the flag corner.
    assert mask[y0 + 20 : y1 - 20, x0 + 20 : x1 - 20].mean() > 0.9
    assert mask[:60, :60].mean() < 0.05
    assert mask[350:, 200:260].mean() > 0.8, "the suit is part of the person"


def test_finds_one_face_with_landmarks(astronaut_analysis: PersonAnalysis) -> None:
    (face,) = astronaut_analysis.faces
    x0, y0, x1, y1 = FACE_BOX
    assert x0 <= face.bbox[0] < face.bbox[2] <= x1
    assert y0 <= face.bbox[1] < face.bbox[3] <= y1
    assert face.landmarks is not None
    assert face.landmarks.shape == (478, 2) and face.landmarks.dtype == np.float32
    assert (face.landmarks[:, 0] >= x0).all() and (face.landmarks[:, 0] <= x1).all()
    assert (face.landmarks[:, 1] >= y0).all() and (face.landmarks[:, 1] <= y1).all()
    # Measured: score 0.91, mesh fit 0.83 (the detector's box is squarer than the mesh's).
    assert 0.7 < face.score <= 1.0
    assert 0.6 < face.mesh_fit <= 1.0


def test_part_masks_sit_on_the_face(astronaut_analysis: PersonAnalysis) -> None:
    (face,) = astronaut_analysis.faces
    eyes = draw_part_masks(astronaut_analysis.faces, 512, 512, parts=("eyes",))
    mouth = draw_part_masks(astronaut_analysis.faces, 512, 512, parts=("mouth",))
    both = draw_part_masks(astronaut_analysis.faces, 512, 512)
    assert both.dtype == np.float32 and both.shape == (512, 512)
    assert both.min() >= 0.0 and both.max() <= 1.0
    # The eyes sit in the upper half of the face, the mouth in the lower half.
    ys, _ = np.nonzero(eyes > 0.5)
    my, _ = np.nonzero(mouth > 0.5)
    assert ys.size and my.size
    assert ys.mean() < (face.bbox[1] + face.bbox[3]) / 2 < my.mean()
    assert np.array_equal(both, np.maximum(both, np.maximum(eyes, mouth)))
    # Feathered around the face only: nothing beyond a face size away from it.
    outside = np.ones((512, 512), bool)
    x0, y0, x1, y1 = (int(v) for v in face.bbox)
    outside[max(0, y0 - 60) : y1 + 60, max(0, x0 - 60) : x1 + 60] = False
    assert both[outside].max() == 0.0


def test_finds_more_than_eight_faces_with_landmarks(
    analyzer: PersonAnalyzer, astronaut: np.ndarray
) -> None:
    face = cv2.resize(astronaut[20:260, 110:330], (128, 128), interpolation=cv2.INTER_AREA)
    group = np.ascontiguousarray(np.tile(face, (3, 4, 1)))
    result = analyzer.analyze(group)
    assert len(result.faces) == 12
    assert all(f.landmarks is not None and f.mesh_fit > 0.6 for f in result.faces)
    # One face per cell, each meshed on its own copy (not a neighbour's).
    cells = {(int(f.centre[1] // 128), int(f.centre[0] // 128)) for f in result.faces}
    assert cells == {(r, c) for r in range(3) for c in range(4)}
    scores = [f.score for f in result.faces]
    assert scores == sorted(scores, reverse=True)


def test_a_crowd_of_small_faces_is_found_by_the_tiled_pass(astronaut: np.ndarray) -> None:
    # The full-range detector alone finds 1 of these 36 (measured); max_faces caps the rest.
    face = cv2.resize(astronaut[20:260, 110:330], (96, 96), interpolation=cv2.INTER_AREA)
    crowd = np.ascontiguousarray(np.tile(face, (6, 6, 1)))
    assert len(OnnxAnalyzer(tile_groups=False).analyze(crowd).faces) < 8
    result = OnnxAnalyzer(max_faces=20).analyze(crowd)
    assert len(result.faces) == 20
    assert len({(int(f.centre[1] // 96), int(f.centre[0] // 96)) for f in result.faces}) == 20


@pytest.mark.parametrize("bad", [0, 257, -1, True, 2.0])
def test_max_faces_is_validated(bad: object) -> None:
    with pytest.raises(ValueError, match="max_faces"):
        build_analyzer(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_faces"):
        OnnxAnalyzer(bad)  # type: ignore[arg-type]


def test_eye_aspect_ratio_of_real_open_eyes(astronaut_analysis: PersonAnalysis) -> None:
    (face,) = astronaut_analysis.faces
    assert face.landmarks is not None
    right, left = eye_aspect_ratio(face.landmarks)
    # Measured: 0.32 and 0.31 (open eyes); a closed eye reads below 0.15.
    assert 0.2 < right < 0.45 and 0.2 < left < 0.45
    assert abs(right - left) < 0.08


@pytest.mark.parametrize("load", [data.rocket, data.coffee, data.chelsea])
def test_no_person_in_scenes_without_one(analyzer: PersonAnalyzer, load: object) -> None:
    # The selfie segmenter alone flags the cup (23%) and the cat (91%); the face gate drops them.
    image = np.ascontiguousarray(load()[..., :3])  # type: ignore[operator]
    result = analyzer.analyze(image)
    assert result.faces == ()
    assert result.person_mask.shape == image.shape[:2]
    assert result.person_mask.mean() < 0.05


def test_finds_several_people(analyzer: PersonAnalyzer, astronaut: np.ndarray) -> None:
    group = np.concatenate([astronaut, astronaut[:, ::-1], astronaut], axis=1)
    result = analyzer.analyze(group)
    assert len(result.faces) == 3
    centres = sorted((f.bbox[0] + f.bbox[2]) / 2 for f in result.faces)
    assert [int(c // 512) for c in centres] == [0, 1, 2]


@pytest.mark.parametrize("size", [(1, 1), (2, 50), (31, 40), (97, 131)])
def test_tiny_images_give_an_empty_analysis(
    analyzer: PersonAnalyzer, size: tuple[int, int]
) -> None:
    image = cv2.resize(data.astronaut(), size[::-1], interpolation=cv2.INTER_AREA)
    result = analyzer.analyze(image)
    assert result.person_mask.shape == size
    assert all(face.bbox[2] <= size[1] and face.bbox[3] <= size[0] for face in result.faces)


def test_tiny_face_in_a_big_picture_does_not_crash(
    analyzer: PersonAnalyzer, astronaut: np.ndarray
) -> None:
    canvas = np.full((1200, 1600, 3), 180, np.uint8)
    canvas[900:964, 700:764] = cv2.resize(astronaut, (64, 64), interpolation=cv2.INTER_AREA)
    result = analyzer.analyze(canvas)
    assert result.person_mask.shape == (1200, 1600)


def test_is_deterministic_and_works_from_another_thread(
    analyzer: PersonAnalyzer, astronaut: np.ndarray, astronaut_analysis: PersonAnalysis
) -> None:
    results: list[PersonAnalysis] = []
    thread = threading.Thread(target=lambda: results.append(analyzer.analyze(astronaut)))
    thread.start()
    thread.join()
    again = analyzer.analyze(astronaut)
    for other in (results[0], again):
        assert np.array_equal(other.person_mask, astronaut_analysis.person_mask)
        assert len(other.faces) == 1
