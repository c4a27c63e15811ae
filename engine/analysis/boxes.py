"""Box and mask geometry shared by the face analyzers: overlap, one-face tests, clipping, the
face oval in the person mask, and the work-size shrink.

Boxes are (x0, y0, x1, y1) floats, in pixels or relative units alike (the functions never mix
the two). Plain numpy and OpenCV; nothing here runs a model.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.analysis.landmarks import FACE_OVAL

__all__ = [
    "SAME_FACE_COVER",
    "SAME_FACE_IOU",
    "Box",
    "box_iou",
    "clip_box",
    "fill_face_oval",
    "fit_side",
    "same_face",
]

Box = tuple[float, float, float, float]

# Two boxes are one face when their IoU or their overlap relative to the smaller box is above
# these (a tile's half face next to the full pass's whole face shows as high overlap only).
SAME_FACE_IOU = 0.3
SAME_FACE_COVER = 0.6

_OVAL = np.array(FACE_OVAL, np.intp)


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _intersection(a: Box, b: Box) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes, in [0, 1] (0 when both are empty)."""
    inter = _intersection(a, b)
    union = _area(a) + _area(b) - inter
    return float(inter / union) if union > 0 else 0.0


def same_face(a: Box, b: Box) -> bool:
    """Whether two detections (boxes in pixels) are one face: IoU above SAME_FACE_IOU, or the
    smaller box covered above SAME_FACE_COVER."""
    inter = _intersection(a, b)
    smaller = min(_area(a), _area(b))
    return box_iou(a, b) > SAME_FACE_IOU or (smaller > 0 and inter / smaller > SAME_FACE_COVER)


def clip_box(box: tuple[float, ...], h: int, w: int) -> Box:
    """(x0, y0, x1, y1) in pixels clipped to an h x w image."""
    x0, y0, x1, y1 = (float(np.clip(v, 0, lim)) for v, lim in zip(box, (w, h, w, h), strict=True))
    return x0, y0, x1, y1


def fill_face_oval(mask: np.ndarray, pts: np.ndarray) -> None:
    """Max the filled face oval of `pts` ((478, 2) face-mesh landmarks, pixels) into `mask`
    (H, W float32 in [0, 1], changed in place), touching only the oval's own box."""
    h, w = mask.shape
    hull = cv2.convexHull(pts[_OVAL].round().astype(np.int32))
    x0, y0 = np.maximum(hull.reshape(-1, 2).min(axis=0), 0)
    x1, y1 = np.minimum(hull.reshape(-1, 2).max(axis=0) + 1, [w, h])
    if x0 >= x1 or y0 >= y1:
        return
    oval = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillConvexPoly(oval, hull - np.array([x0, y0], np.int32), 1.0)
    region = mask[y0:y1, x0:x1]
    np.maximum(region, oval, out=region)


def fit_side(image: np.ndarray, side: int) -> np.ndarray:
    """The image shrunk (area filter) so its longer side is at most `side` pixels; the input
    itself when it already fits."""
    h, w = image.shape[:2]
    scale = min(1.0, side / max(h, w))
    if scale >= 1.0:
        return image
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    fitted: np.ndarray = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return fitted
