"""The previous PersonAnalyzer, on mediapipe's own graphs: the reference bench/face_analysis.py
compares engine.analysis.onnx_backend with (mediapipe is no longer a dependency; install it by
hand to run the comparison: pip install --no-deps mediapipe==0.10.14 absl-py matplotlib).

Its legacy
``solutions`` wrappers break on protobuf >= 5 (FieldDescriptor.label and
SymbolDatabase.GetPrototype are gone), and onnx needs protobuf >= 6, so the face mesh is driven
through SolutionBase directly with no calculator options to patch, and proto lists are parsed
from their serialized bytes. Both touch private mediapipe API, hence the exact version pin.
"""

from __future__ import annotations

import threading
from typing import Any

import cv2
import numpy as np
from google.protobuf import message_factory, symbol_database
from mediapipe.python._framework_bindings import _packet_getter
from mediapipe.python.solution_base import (
    PacketDataType,
    SolutionBase,
)
from mediapipe.python.solutions import (
    face_detection,
    face_mesh,
    selfie_segmentation,
)

from engine.analysis.boxes import (
    Box,
    box_iou,
    clip_box,
    detect_in_tiles,
    fill_face_oval,
    fit_side,
    same_face,
)
from engine.analysis.types import MAX_FACES, Face, PersonAnalysis, check_max_faces

__all__ = ["MediapipeAnalyzer"]

# Below this side the models see nothing useful (and mediapipe rejects some tiny inputs).
MIN_SIDE = 32
# Work size for the models: they run at 256 px internally anyway; this keeps resizes cheap.
WORK_SIDE = 512
# Crop side the face mesh sees (its detector and landmark models run at 128-256 px).
MESH_SIDE = 384
# The full-range detector (192 px input) misses most faces of a crowd once they are smaller
# than about a quarter of the picture (measured: 1 of 6 astronaut copies at a third of the
# height, 2 of 36 at a sixth; known upstream, google-ai-edge/mediapipe#5814), though it finds
# each of them alone. A second pass over TILES x TILES overlapping tiles finds them (36 of 36,
# and the child at the edge of usgov_group_waving.jpg). It runs when the first pass suggests a
# group: several faces, or a face smaller than CROWD_FACE of the picture's shorter side.
TILES = 2
TILE_OVERLAP = 0.25
CROWD_FACE = 0.12
# Pictures at least this long (pixels) get the tiled pass even when the first finds nothing.
CROWD_SIDE = 1024


class _ProtoLists:
    """Parses proto-list outputs without SymbolDatabase.GetPrototype (gone in protobuf >= 5)."""

    def _get_packet_content(self, packet_data_type: Any, output_packet: Any) -> Any:
        if packet_data_type == PacketDataType.PROTO_LIST and not output_packet.is_empty():
            name = _packet_getter._get_proto_vector_element_type_name(output_packet)
            pool = symbol_database.Default().pool
            cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
            raw = _packet_getter._get_serialized_proto_list(output_packet)
            return [cls.FromString(s) for s in raw]
        return super()._get_packet_content(packet_data_type, output_packet)  # type: ignore[misc]


class _FaceMesh(_ProtoLists, SolutionBase):  # type: ignore[misc]
    pass


class _FaceDetection(_ProtoLists, face_detection.FaceDetection):  # type: ignore[misc]
    pass


class _Graphs:
    def __init__(self) -> None:
        # Full range (model 1): finds several people and faces down to ~5% of the image side;
        # the mesh's own short-range detector only sees selfie-sized faces.
        self.detector = _FaceDetection(model_selection=1, min_detection_confidence=0.5)
        self.segmenter = SolutionBase(
            binary_graph_path=selfie_segmentation._BINARYPB_FILE_PATH,
            side_inputs={"model_selection": 0},
            outputs=["segmentation_mask"],
        )
        self.mesh = _FaceMesh(
            binary_graph_path=face_mesh._BINARYPB_FILE_PATH,
            side_inputs={"num_faces": 1, "with_attention": True, "use_prev_landmarks": False},
            outputs=["multi_face_landmarks"],
        )


class MediapipeAnalyzer:
    """Person mask from selfie segmentation, faces from the full-range face detector (with a
    tiled second pass for groups) and 478 landmarks per face from the face mesh.

    max_faces: how many faces an image keeps, the most confident first (1..256; ValueError
    otherwise). tile_groups: run the tiled second detection pass on group pictures.

    The mediapipe graphs are not thread-safe: each thread that calls analyze() gets its own,
    built on its first call. Per face, the work is the mesh on a crop around it and drawing its
    oval into the person mask over its own box: nothing per face scales with the image.
    """

    def __init__(self, max_faces: int = MAX_FACES, *, tile_groups: bool = True) -> None:
        self.max_faces = check_max_faces(max_faces)
        self.tile_groups = tile_groups
        self._local = threading.local()

    def _graphs(self) -> _Graphs:
        graphs: _Graphs | None = getattr(self._local, "graphs", None)
        if graphs is None:
            graphs = _Graphs()
            self._local.graphs = graphs
        return graphs

    def analyze(self, image: np.ndarray) -> PersonAnalysis:
        """Analyze an HxWx3 uint8 RGB image."""
        h, w = image.shape[:2]
        if min(h, w) < MIN_SIDE:
            return PersonAnalysis.empty(h, w)
        work = fit_side(np.ascontiguousarray(image[..., :3]), WORK_SIDE)
        graphs = self._graphs()
        found = _detect(graphs, work, (0.0, 0.0, 1.0, 1.0))
        if not found and self.tile_groups and max(h, w) >= CROWD_SIDE:
            # A dense crowd can hide every face from the whole-picture pass (a 6 x 6 grid of
            # faces: 0 found); only big pictures can hold one, so only they pay (~20 ms).
            found = _detect_tiles(graphs, work)
        if not found:
            # The selfie segmenter also flags cups and cats as people (measured: 23% of
            # skimage's coffee, 91% of its cat), so no face means no person. People seen from
            # behind or with faces too small to detect count as background.
            return PersonAnalysis.empty(h, w)
        if self.tile_groups and _looks_like_a_group(found, h, w):
            found += _detect_tiles(graphs, work)
        detections = _merge(found, h, w)[: self.max_faces]
        seg = graphs.segmenter.process(work).segmentation_mask
        mask = cv2.resize(np.asarray(seg, np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        faces = []
        for rel, score in detections:
            bbox = (rel[0] * w, rel[1] * h, rel[2] * w, rel[3] * h)
            pts = self._landmarks(graphs, image, bbox)
            if pts is None:
                faces.append(Face(clip_box(bbox, h, w), None, score, 0.0))
                continue
            box = clip_box((*pts.min(axis=0), *pts.max(axis=0)), h, w)
            faces.append(Face(box, pts, score, box_iou(box, clip_box(bbox, h, w))))
            # A face is a person even where the segmenter hesitates (hats, odd light).
            fill_face_oval(mask, pts)
        return PersonAnalysis(np.clip(mask, 0.0, 1.0, out=mask), tuple(faces))

    @staticmethod
    def _landmarks(graphs: _Graphs, image: np.ndarray, bbox: Box) -> np.ndarray | None:
        """Face-mesh landmarks (478, 2) in image pixels from a crop around one detection."""
        h, w = image.shape[:2]
        cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
        half = max(bbox[2] - bbox[0], bbox[3] - bbox[1])
        x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
        x1, y1 = int(min(w, cx + half)), int(min(h, cy + half))
        if min(x1 - x0, y1 - y0) < MIN_SIDE // 2:
            return None
        crop = fit_side(np.ascontiguousarray(image[y0:y1, x0:x1, :3]), MESH_SIDE)
        found = graphs.mesh.process(crop).multi_face_landmarks
        if not found:
            return None
        rel = np.array([(p.x, p.y) for p in found[0].landmark], np.float32)
        return rel * np.array([x1 - x0, y1 - y0], np.float32) + np.array([x0, y0], np.float32)


# A detection: box (x0, y0, x1, y1) relative to the whole image, and the detector's score.
_Detection = tuple[Box, float]


def _detect(graphs: _Graphs, image: np.ndarray, window: Box) -> list[_Detection]:
    """Detections in `image`, which shows `window` (relative box) of the whole picture."""
    wx0, wy0, wx1, wy1 = window
    sx, sy = wx1 - wx0, wy1 - wy0
    out = []
    for det in graphs.detector.process(image).detections or []:
        b = det.location_data.relative_bounding_box
        box = (
            wx0 + b.xmin * sx,
            wy0 + b.ymin * sy,
            wx0 + (b.xmin + b.width) * sx,
            wy0 + (b.ymin + b.height) * sy,
        )
        out.append((box, float(np.clip(det.score[0], 0.0, 1.0))))
    return out


def _looks_like_a_group(found: list[_Detection], h: int, w: int) -> bool:
    smallest = min(max((b[2] - b[0]) * w, (b[3] - b[1]) * h) for b, _ in found)
    return len(found) > 1 or smallest < CROWD_FACE * min(h, w)


def _detect_tiles(graphs: _Graphs, work: np.ndarray) -> list[_Detection]:
    """Detections over TILES x TILES overlapping tiles (engine.analysis.boxes.detect_in_tiles).

    The tiles are cut from the work image: the detector shrinks its input to 192 px anyway, so
    a tile of a sharper copy would find no smaller face, only cost a resize.
    """
    return detect_in_tiles(
        work,
        lambda tile, win: _detect(graphs, tile, win),
        lambda det: det[0],
        tiles=TILES,
        overlap=TILE_OVERLAP,
    )


def _merge(found: list[_Detection], h: int, w: int) -> list[_Detection]:
    """One detection per face, the most confident first (greedy non-maximum suppression)."""
    kept: list[_Detection] = []
    for box, score in sorted(found, key=lambda d: -d[1]):
        px = (box[0] * w, box[1] * h, box[2] * w, box[3] * h)
        if all(not same_face(px, (k[0] * w, k[1] * h, k[2] * w, k[3] * h)) for k, _ in kept):
            kept.append((box, score))
    return kept
