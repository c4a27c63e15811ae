"""PersonAnalyzer on mediapipe's face detection, face mesh and selfie segmentation models, run
as ONNX by onnxruntime (no mediapipe package).

The models are mediapipe 0.10.14's Apache-2.0 .tflite files converted once by
tools/convert_mediapipe_models.py and shipped in engine/analysis/models/ (see its NOTICE). The
graphs' pre- and post-processing is reimplemented in engine.analysis.ssd (anchors, decoding,
weighted non-maximum suppression) and engine.analysis.face_mesh (region of interest, crop,
landmark assembly and projection); this module runs the models and keeps the analyzer's
behaviour: full-range detection with a tiled second pass for groups, max_faces, the mesh on a
crop per face, each face's oval filled into the person mask, and no person without a face.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort

from engine.analysis import face_mesh, ssd
from engine.analysis import models as bundled
from engine.analysis.boxes import (
    Box,
    box_iou,
    clip_box,
    detect_in_tiles,
    fill_face_oval,
    fit_side,
    same_face,
)
from engine.analysis.models import MODEL_FILES
from engine.analysis.types import MAX_FACES, Face, PersonAnalysis, check_max_faces

__all__ = ["OnnxAnalyzer", "OnnxModels", "default_providers"]

# The selfie segmenter's square input side (selfie_segmentation_cpu.pbtxt, general model).
SEGMENTER_INPUT = 256

# Below this side the models see nothing useful.
MIN_SIDE = 32
# Work size for detection and segmentation: their models run at 192-256 px; this keeps resizes
# cheap. The mesh crops from the full-size image.
WORK_SIDE = 512
# The full-range detector (192 px input) misses most faces of a crowd once they are smaller
# than about a quarter of the picture (measured: 1 of 6 astronaut copies at a third of the
# height, 2 of 36 at a sixth; known upstream, google-ai-edge/mediapipe#5814), though it finds
# each of them alone. A second pass over TILES x TILES overlapping tiles finds them. It runs
# when the first pass suggests a group: several faces, or a face smaller than CROWD_FACE of the
# picture's shorter side.
TILES = 2
TILE_OVERLAP = 0.25
CROWD_FACE = 0.12
# Pictures at least this long (pixels) get the tiled pass even when the first finds nothing.
CROWD_SIDE = 1024
_ANCHORS = ssd.ssd_anchors(ssd.FULL_RANGE)
_MESH_OUTPUTS = [
    "output_mesh_identity",
    "output_lips",
    "output_left_eye",
    "output_right_eye",
    "output_left_iris",
    "output_right_iris",
    "conv_faceflag",
]

# A detection: box (x0, y0, x1, y1) and keypoints (6, 2), relative to the whole picture, score.
_Detection = tuple[Box, np.ndarray, float]


def default_providers() -> list[str]:
    """CUDA when this onnxruntime build has it, CPU always (as engine.neural picks)."""
    providers = ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    return providers


class OnnxModels:
    """The three onnxruntime sessions, built on first use (or load()) and shared by threads:
    InferenceSession.run is thread-safe.

    model_dir: where the .onnx files are (default engine.analysis.models.MODEL_DIR);
    providers: onnxruntime execution providers (default CUDA when available, then CPU);
    threads: intra-op threads per session (default 1: the models are small, the engine runs one
    analysis per worker thread next to torch, and 1 measured faster than 2 on a 2-core host).
    load() raises FileNotFoundError for a missing file and onnxruntime's errors for a corrupt one.
    """

    def __init__(
        self,
        model_dir: Path | None = None,
        providers: Sequence[str] | None = None,
        threads: int = 1,
    ) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else bundled.MODEL_DIR
        self.providers = list(providers) if providers is not None else default_providers()
        self.threads = threads
        self._lock = threading.Lock()
        self._sessions: dict[str, Any] | None = None

    def load(self) -> dict[str, Any]:
        """The sessions by role ("detector", "mesh", "segmenter"), built once."""
        with self._lock:
            if self._sessions is None:
                self._sessions = {role: self._session(name) for role, name in MODEL_FILES.items()}
            return self._sessions

    def _session(self, name: str) -> Any:
        path = self.model_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"face analysis model missing: {path}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # errors only: no native warnings on the console
        return ort.InferenceSession(str(path), sess_options=opts, providers=self.providers)


class OnnxAnalyzer:
    """Person mask from selfie segmentation, faces from the full-range face detector (with a
    tiled second pass for groups) and 478 landmarks per face from the attention face mesh.

    max_faces: how many faces an image keeps, the most confident first (1..256; ValueError
    otherwise). tile_groups: run the tiled second detection pass on group pictures. models:
    the sessions (built on the first analyze() or models.load()); several analyzers and
    threads may share one.
    """

    def __init__(
        self,
        max_faces: int = MAX_FACES,
        *,
        tile_groups: bool = True,
        models: OnnxModels | None = None,
    ) -> None:
        self.max_faces = check_max_faces(max_faces)
        self.tile_groups = tile_groups
        self.models = models if models is not None else OnnxModels()

    def analyze(self, image: np.ndarray) -> PersonAnalysis:
        """Analyze an HxWx3 uint8 RGB image (a 4th channel is ignored).

        Returns the person mask (HxW float32 in [0, 1]) and up to max_faces faces, the most
        confident first: bbox in image pixels, detector score in [0, 1], landmarks (478, 2)
        float32 (x, y) in image pixels (None when the mesh finds no face in the crop). Pictures
        under MIN_SIDE pixels, and pictures where no face is found, give an empty analysis.
        The first call loads the models: FileNotFoundError or onnxruntime's error when a model
        is missing or corrupt (build_analyzer() checks that up front).
        """
        h, w = image.shape[:2]
        if min(h, w) < MIN_SIDE:
            return PersonAnalysis.empty(h, w)
        sessions = self.models.load()
        rgb = np.ascontiguousarray(image[..., :3])
        work = fit_side(rgb, WORK_SIDE)
        found = _detect(sessions["detector"], work, (0.0, 0.0, 1.0, 1.0))
        if not found and self.tile_groups and max(h, w) >= CROWD_SIDE:
            # A dense crowd can hide every face from the whole-picture pass (a 6 x 6 grid of
            # faces: 0 found); only big pictures can hold one, so only they pay.
            found = _detect_tiles(sessions["detector"], work)
        if not found:
            # The selfie segmenter also flags cups and cats as people (measured: 23% of
            # skimage's coffee, 91% of its cat), so no face means no person.
            return PersonAnalysis.empty(h, w)
        if self.tile_groups and _looks_like_a_group(found, h, w):
            found += _detect_tiles(sessions["detector"], work)
        detections = _merge(found, h, w)[: self.max_faces]
        mask = _segment(sessions["segmenter"], work, h, w)
        scale = np.array([w, h], np.float32)
        faces = []
        for rel, rel_kps, score in detections:
            bbox = (rel[0] * w, rel[1] * h, rel[2] * w, rel[3] * h)
            pts = _landmarks(sessions["mesh"], rgb, bbox, rel_kps * scale)
            if pts is None:
                faces.append(Face(clip_box(bbox, h, w), None, score, 0.0))
                continue
            box = clip_box((*pts.min(axis=0), *pts.max(axis=0)), h, w)
            faces.append(Face(box, pts, score, box_iou(box, clip_box(bbox, h, w))))
            # A face is a person even where the segmenter hesitates (hats, odd light).
            fill_face_oval(mask, pts)
        return PersonAnalysis(np.clip(mask, 0.0, 1.0, out=mask), tuple(faces))


def _detector_input(image: np.ndarray) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """(1, 192, 192, 3) float32 in [-1, 1]: the image letterboxed (zero border), and the pads
    (left, top, right, bottom) relative to the input.

    As ImageToTensorCalculator's OpenCV path does it (keep_aspect_ratio, BORDER_ZERO): one
    bilinear warp mapping the image's corners, not its pixel centres, onto the square's (no
    area filter), so the detector sees what it saw under mediapipe.
    """
    h, w = image.shape[:2]
    side = ssd.FULL_RANGE.input_size
    scale = side / max(h, w)
    x0, y0 = (side - w * scale) / 2, (side - h * scale) / 2
    matrix = np.array([[scale, 0.0, x0], [0.0, scale, y0]])
    canvas = cv2.warpAffine(
        image, matrix, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    pads = (x0 / side, y0 / side, x0 / side, y0 / side)
    tensor = canvas.astype(np.float32) * (2.0 / 255.0) - 1.0
    return tensor[None], pads


def _detect(session: Any, image: np.ndarray, window: Box) -> list[_Detection]:
    """Detections in `image`, which shows `window` (relative box) of the whole picture."""
    tensor, pads = _detector_input(image)
    raw_boxes, raw_scores = session.run(None, {"input_1": tensor})
    found = ssd.decode(raw_boxes[0], raw_scores[0], _ANCHORS, ssd.FULL_RANGE)
    found = ssd.remove_letterbox(ssd.weighted_nms(found), pads)
    wx0, wy0, wx1, wy1 = window
    span = np.array([wx1 - wx0, wy1 - wy0], np.float32)
    origin = np.array([wx0, wy0], np.float32)
    out = []
    for box, kps, score in zip(found.boxes, found.keypoints, found.scores, strict=True):
        b = box.reshape(2, 2) * span + origin
        k = kps * span + origin
        out.append(
            ((float(b[0, 0]), float(b[0, 1]), float(b[1, 0]), float(b[1, 1])), k, float(score))
        )
    return out


def _segment(session: Any, work: np.ndarray, h: int, w: int) -> np.ndarray:
    """The selfie segmenter's person probability, HxW float32 (bilinear up from 256 x 256)."""
    side = SEGMENTER_INPUT
    small = cv2.resize(work, (side, side), interpolation=cv2.INTER_LINEAR)
    (prob,) = session.run(None, {"input_1": (small.astype(np.float32) / 255.0)[None]})
    mask: np.ndarray = cv2.resize(prob[0, :, :, 0], (w, h), interpolation=cv2.INTER_LINEAR)
    return mask


def _landmarks(
    session: Any, image: np.ndarray, bbox: Box, keypoints: np.ndarray
) -> np.ndarray | None:
    """Face-mesh landmarks (478, 2) in image pixels, or None when the crop shows no face."""
    if min(bbox[2] - bbox[0], bbox[3] - bbox[1]) < MIN_SIDE // 4:
        return None
    matrix = face_mesh.roi_matrix(face_mesh.detection_roi(keypoints, bbox))
    crop = face_mesh.crop_roi(image, matrix)
    outputs = session.run(_MESH_OUTPUTS, {"input_1": (crop.astype(np.float32) / 255.0)[None]})
    presence = 1.0 / (1.0 + np.exp(-float(np.asarray(outputs[6]).reshape(-1)[0])))
    if presence < face_mesh.PRESENCE_THRESHOLD:
        return None
    return face_mesh.project(face_mesh.assemble_landmarks(*outputs[:6]), matrix)


def _looks_like_a_group(found: list[_Detection], h: int, w: int) -> bool:
    smallest = min(max((b[2] - b[0]) * w, (b[3] - b[1]) * h) for b, _, _ in found)
    return len(found) > 1 or smallest < CROWD_FACE * min(h, w)


def _detect_tiles(session: Any, work: np.ndarray) -> list[_Detection]:
    """Detections over TILES x TILES overlapping tiles (engine.analysis.boxes.detect_in_tiles).

    The tiles are cut from the work image: the detector shrinks its input to 192 px anyway, so
    a tile of a sharper copy would find no smaller face, only cost a resize.
    """
    return detect_in_tiles(
        work,
        lambda tile, win: _detect(session, tile, win),
        lambda det: det[0],
        tiles=TILES,
        overlap=TILE_OVERLAP,
    )


def _merge(found: list[_Detection], h: int, w: int) -> list[_Detection]:
    """One detection per face, the most confident first (greedy non-maximum suppression)."""
    kept: list[_Detection] = []
    for det in sorted(found, key=lambda d: -d[2]):
        box = det[0]
        px = (box[0] * w, box[1] * h, box[2] * w, box[3] * h)
        if all(not same_face(px, (k[0] * w, k[1] * h, k[2] * w, k[3] * h)) for k, _, _ in kept):
            kept.append(det)
    return kept
