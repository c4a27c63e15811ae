"""PersonAnalyzer on mediapipe's bundled face-detection, face-mesh and selfie-segmentation graphs.

mediapipe is imported here only, and only when build_analyzer() asks for it. Its legacy
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
    face_mesh_connections,
    selfie_segmentation,
)

from engine.analysis.types import Face, PersonAnalysis

__all__ = ["MediapipeAnalyzer"]

# Below this side the models see nothing useful (and mediapipe rejects some tiny inputs).
MIN_SIDE = 32
# Work size for the models: they run at 256 px internally anyway; this keeps resizes cheap.
WORK_SIDE = 512
MAX_FACES = 8
# Crop side the face mesh sees (its detector and landmark models run at 128-256 px).
MESH_SIDE = 384


def _indices(*connections: frozenset[tuple[int, int]]) -> np.ndarray:
    return np.array(sorted({i for conn in connections for pair in conn for i in pair}), np.intp)


_C = face_mesh_connections
# (indices, x growth, y growth): eye hulls grow most vertically so lids and lashes are kept.
_PARTS: dict[str, list[tuple[np.ndarray, float, float]]] = {
    "eyes": [
        (_indices(_C.FACEMESH_LEFT_EYE, _C.FACEMESH_LEFT_IRIS), 1.5, 2.2),
        (_indices(_C.FACEMESH_RIGHT_EYE, _C.FACEMESH_RIGHT_IRIS), 1.5, 2.2),
    ],
    "brows": [
        (_indices(_C.FACEMESH_LEFT_EYEBROW), 1.15, 1.8),
        (_indices(_C.FACEMESH_RIGHT_EYEBROW), 1.15, 1.8),
    ],
    "mouth": [(_indices(_C.FACEMESH_LIPS), 1.2, 1.4)],
}
_OVAL = _indices(_C.FACEMESH_FACE_OVAL)


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
    """Person mask from selfie segmentation, faces and part masks from the 478-point face mesh.

    The mediapipe graphs are not thread-safe: each thread that calls analyze() gets its own,
    built on its first call.
    """

    def __init__(self) -> None:
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
        scale = min(1.0, WORK_SIDE / max(h, w))
        work = np.ascontiguousarray(image[..., :3])
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            work = cv2.resize(work, size, interpolation=cv2.INTER_AREA)
        graphs = self._graphs()
        detections = graphs.detector.process(work).detections or []
        if not detections:
            # The selfie segmenter also flags cups and cats as people (measured: 23% of
            # skimage's coffee, 91% of its cat), so no face means no person. People seen from
            # behind or with faces too small to detect count as background.
            return PersonAnalysis.empty(h, w)
        seg = graphs.segmenter.process(work).segmentation_mask
        mask = cv2.resize(np.asarray(seg, np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        faces = []
        for det in detections[:MAX_FACES]:
            box = det.location_data.relative_bounding_box
            bbox = (
                box.xmin * w,
                box.ymin * h,
                (box.xmin + box.width) * w,
                (box.ymin + box.height) * h,
            )
            pts = self._landmarks(graphs, image, bbox)
            if pts is None:
                x0, y0, x1, y1 = (
                    float(np.clip(v, 0, lim)) for v, lim in zip(bbox, (w, h, w, h), strict=True)
                )
                faces.append(Face((x0, y0, x1, y1)))
                continue
            faces.append(_face(pts, h, w))
            # A face is a person even where the segmenter hesitates (hats, odd light).
            oval = np.zeros((h, w), np.float32)
            cv2.fillConvexPoly(oval, cv2.convexHull(pts[_OVAL].round().astype(np.int32)), 1.0)
            np.maximum(mask, oval, out=mask)
        return PersonAnalysis(np.clip(mask, 0.0, 1.0), tuple(faces))

    @staticmethod
    def _landmarks(
        graphs: _Graphs, image: np.ndarray, bbox: tuple[float, float, float, float]
    ) -> np.ndarray | None:
        """Face-mesh landmarks (478, 2) in image pixels from a crop around one detection."""
        h, w = image.shape[:2]
        cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
        half = max(bbox[2] - bbox[0], bbox[3] - bbox[1])
        x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
        x1, y1 = int(min(w, cx + half)), int(min(h, cy + half))
        if min(x1 - x0, y1 - y0) < MIN_SIDE // 2:
            return None
        crop = np.ascontiguousarray(image[y0:y1, x0:x1, :3])
        scale = min(1.0, MESH_SIDE / max(crop.shape[:2]))
        if scale < 1.0:
            size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        found = graphs.mesh.process(crop).multi_face_landmarks
        if not found:
            return None
        rel = np.array([(p.x, p.y) for p in found[0].landmark], np.float32)
        return rel * np.array([x1 - x0, y1 - y0], np.float32) + np.array([x0, y0], np.float32)


def _face(pts: np.ndarray, h: int, w: int) -> Face:
    x0, y0 = np.clip(pts.min(axis=0), 0, [w, h])
    x1, y1 = np.clip(pts.max(axis=0), 0, [w, h])
    size = max(x1 - x0, y1 - y0, 1.0)
    # Feather in proportion to the face so small and large faces blend alike; blur only
    # around the face, the rest of each mask stays zero.
    sigma = max(0.5, 0.02 * size)
    pad = size * 0.5 + 3.0 * sigma
    rows = slice(int(max(0, y0 - pad)), int(min(h, y1 + pad + 1)))
    cols = slice(int(max(0, x0 - pad)), int(min(w, x1 + pad + 1)))
    parts = {}
    for name, shapes in _PARTS.items():
        part = np.zeros((h, w), np.float32)
        for idx, gx, gy in shapes:
            sel = pts[idx]
            centre = sel.mean(axis=0)
            grown = (sel - centre) * np.array([gx, gy], np.float32) + centre
            hull = cv2.convexHull(grown.round().astype(np.int32))
            cv2.fillConvexPoly(part, hull, 1.0)
        part[rows, cols] = cv2.GaussianBlur(part[rows, cols], (0, 0), sigma)
        parts[name] = part
    return Face((float(x0), float(y0), float(x1), float(y1)), pts, parts)
