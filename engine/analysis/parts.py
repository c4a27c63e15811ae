"""Soft masks of the expressive face parts (eyes, brows, mouth), rasterized from landmarks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from engine.analysis.landmarks import (
    BROWS,
    EYES,
    LIPS_INNER_LOWER,
    LIPS_INNER_UPPER,
    LIPS_OUTER_LOWER,
    LIPS_OUTER_UPPER,
    indices,
)
from engine.analysis.types import FACE_PARTS, Face

__all__ = ["draw_part_masks"]

# (landmark indices, x growth, y growth) per hull: eye hulls grow most vertically so lids and
# lashes are kept; growth is about the hull's own centre.
_HULLS: dict[str, tuple[tuple[np.ndarray, float, float], ...]] = {
    "eyes": tuple(
        (indices(eye.loop, eye.iris_ring), 1.5, 2.2) for eye in (EYES["left"], EYES["right"])
    ),
    "brows": tuple((indices(brow.loop), 1.15, 1.8) for brow in (BROWS["left"], BROWS["right"])),
    "mouth": (
        (
            indices(LIPS_OUTER_UPPER, LIPS_OUTER_LOWER, LIPS_INNER_UPPER, LIPS_INNER_LOWER),
            1.2,
            1.4,
        ),
    ),
}
# Feather sigma as a fraction of the face size, so small and large faces blend alike.
FEATHER = 0.02


def draw_part_masks(
    faces: Iterable[Face],
    height: int,
    width: int,
    out: np.ndarray | None = None,
    *,
    parts: Sequence[str] = FACE_PARTS,
) -> np.ndarray:
    """One (height, width) float32 map in [0, 1] covering the named parts of every face.

    Each part is the convex hull of its landmarks grown about its centre, feathered by a
    Gaussian of sigma = 2% of the face size (at least 0.5 px); parts and faces combine by
    maximum. Faces without landmarks add nothing. The work per face is proportional to the
    face's area, not the image's: each part is drawn and blurred in its own window.

    out: an existing (height, width) float32 map to draw into (by maximum), or None for a
    fresh zero map. Raises ValueError for an unknown part name or a mismatched `out`.
    """
    unknown = set(parts) - set(_HULLS)
    if unknown:
        raise ValueError(f"unknown face parts {sorted(unknown)}; known: {FACE_PARTS}")
    if out is None:
        out = np.zeros((height, width), np.float32)
    elif out.shape != (height, width) or out.dtype != np.float32:
        raise ValueError(f"out must be a ({height}, {width}) float32 array")
    for face in faces:
        if face.landmarks is None:
            continue
        pts = np.asarray(face.landmarks, np.float32)
        sigma = max(0.5, FEATHER * max(face.size, 1.0))
        # OpenCV's float kernel reaches about 4 sigma; one more pixel keeps the window's
        # border (reflected) clear of the hull, so the window blurs like the whole image.
        reach = math.ceil(4.0 * sigma) + 1
        for name in parts:
            hulls = [_grown_hull(pts[idx], gx, gy) for idx, gx, gy in _HULLS[name]]
            _stamp(out, hulls, sigma, reach)
    return out


def _grown_hull(sel: np.ndarray, gx: float, gy: float) -> np.ndarray:
    centre = sel.mean(axis=0)
    grown = (sel - centre) * np.array([gx, gy], np.float32) + centre
    hull: np.ndarray = cv2.convexHull(grown.round().astype(np.int32))
    return hull


def _stamp(out: np.ndarray, hulls: list[np.ndarray], sigma: float, reach: int) -> None:
    """Fill the hulls into a window around them, blur it, and max it into `out`."""
    h, w = out.shape
    allpts = np.concatenate(hulls).reshape(-1, 2)
    x0, y0 = allpts.min(axis=0) - reach
    x1, y1 = allpts.max(axis=0) + reach + 1
    x0, y0, x1, y1 = max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))
    if x0 >= x1 or y0 >= y1:
        return
    window = np.zeros((y1 - y0, x1 - x0), np.float32)
    offset = np.array([x0, y0], np.int32)
    for hull in hulls:
        cv2.fillConvexPoly(window, hull - offset, 1.0)
    blurred = cv2.GaussianBlur(window, (0, 0), sigma)
    region = out[y0:y1, x0:x1]
    np.maximum(region, np.clip(blurred, 0.0, 1.0), out=region)
