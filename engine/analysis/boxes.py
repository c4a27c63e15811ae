"""Box and mask geometry shared by the face analyzers: overlap, one-face tests, clipping, the
face oval in the person mask, and the work-size shrink.

Boxes are (x0, y0, x1, y1) floats, in pixels or relative units alike (the functions never mix
the two). Plain numpy and OpenCV; nothing here runs a model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import cv2
import numpy as np

from engine.analysis.landmarks import FACE_OVAL

__all__ = [
    "SAME_FACE_COVER",
    "SAME_FACE_IOU",
    "Box",
    "box_iou",
    "clip_box",
    "detect_in_tiles",
    "fill_face_oval",
    "fit_side",
    "same_face",
]

T = TypeVar("T")

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


def detect_in_tiles(
    image: np.ndarray,
    detect: Callable[[np.ndarray, Box], list[T]],
    box_of: Callable[[T], Box],
    *,
    tiles: int = 2,
    overlap: float = 0.25,
) -> list[T]:
    """Detections over tiles x tiles overlapping tiles of `image` (H, W, 3), minus those cut by
    an inner tile edge (such a face is whole in the neighbouring tile).

    detect(tile, window) finds what a tile shows, given the window (relative box) of the whole
    image it covers, and returns detections whose box_of() is relative to the whole image.
    overlap is the share of a tile's side that its neighbour also covers (0 <= overlap < 1).
    """
    h, w = image.shape[:2]
    span = 1.0 / (tiles - overlap * (tiles - 1))
    step = span * (1.0 - overlap)
    margin = 0.01 * span
    out = []
    for i in range(tiles):
        for j in range(tiles):
            x0 = min(j * step, 1.0 - span)
            y0 = min(i * step, 1.0 - span)
            win = (x0, y0, x0 + span, y0 + span)
            tile = image[
                round(win[1] * h) : round(win[3] * h), round(win[0] * w) : round(win[2] * w)
            ]
            for found in detect(np.ascontiguousarray(tile), win):
                box = box_of(found)
                cut = (
                    (j > 0 and box[0] < win[0] + margin)
                    or (i > 0 and box[1] < win[1] + margin)
                    or (j < tiles - 1 and box[2] > win[2] - margin)
                    or (i < tiles - 1 and box[3] > win[3] - margin)
                )
                if not cut:
                    out.append(found)
    return out
