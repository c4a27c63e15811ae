"""Pure numpy measures of a portrait look, used by bench/look.py and docs/make_portraits.py.

Every function takes HxWx3 uint8 RGB images (or (478, 2) float landmark arrays in image pixels)
and returns plain numbers, so the measures can be tested on synthetic inputs. Index sets come
from engine/analysis/landmarks.py (MediaPipe face-mesh topology).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
from skimage.color import rgb2lab

from engine.analysis.landmarks import (
    BROWS,
    EYES,
    FACE_OVAL,
    LIPS_OUTER_LOWER,
    LIPS_OUTER_UPPER,
    NOSE_BRIDGE,
    NOSE_TIP,
    NOSE_WINGS,
    NOSTRILS,
)

__all__ = [
    "FRAGMENT_MAX_PX",
    "IMAGE_INK_LUMA",
    "SKIN_INK_ABS",
    "SKIN_INK_REL",
    "eye_aspect_ratio",
    "face_size",
    "ink_in_skin",
    "ink_in_skin_moved",
    "least_squares_slope",
    "luma",
    "pearson",
    "skin_colour_shift",
    "skin_colour_shift_moved",
    "skin_region",
    "small_fragments_per_mp",
]

# Inside the skin an ink pixel is darker than 0.45 x the region's median output luma and
# darker than 0.35 absolute (issue 11, "Measures"); elsewhere ink is luma < 0.25.
SKIN_INK_REL = 0.45
SKIN_INK_ABS = 0.35
IMAGE_INK_LUMA = 0.25
# Connected ink components smaller than this (in pixels) count as stroke fragments.
FRAGMENT_MAX_PX = 30

# Holes cut out of the face oval: (index loop, x scale, y scale about its centroid), then all
# holes are dilated by HOLE_GROW x face size. Eyes grow most, upwards and sideways, because the
# new look draws enlarged eyes with lashes; a closed eye's loop is a line, so the dilation is
# what keeps a blink's lashes out of the skin.
_NOSE = (*NOSE_WINGS, *NOSTRILS, NOSE_TIP, *NOSE_BRIDGE[-2:])
_HOLES: list[tuple[tuple[int, ...], float, float]] = [
    *((eye.loop, 1.6, 2.2) for eye in EYES.values()),
    *((eye.iris_ring, 1.3, 1.3) for eye in EYES.values()),
    *((brow.loop, 1.25, 1.8) for brow in BROWS.values()),
    (LIPS_OUTER_UPPER + LIPS_OUTER_LOWER[-2:0:-1], 1.2, 1.35),
    (_NOSE, 1.35, 1.35),
]
HOLE_GROW = 0.045


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of an HxWx3 uint8 RGB image, HxW float32 in [0, 1]."""
    f = rgb[..., :3].astype(np.float32)
    y: np.ndarray = f @ np.array([0.299 / 255.0, 0.587 / 255.0, 0.114 / 255.0], np.float32)
    return y


def face_size(landmarks: np.ndarray) -> float:
    """Longer side in pixels of the face oval's bounding box."""
    oval = landmarks[list(FACE_OVAL), :2]
    return float(np.ptp(oval, axis=0).max())


def _disc(radius: int) -> np.ndarray:
    d = 2 * radius + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d))


def skin_region(
    landmarks: np.ndarray, shape: tuple[int, ...], *, erode: float = 0.03
) -> np.ndarray:
    """Face-skin mask (HxW bool) from one face's (478, 2) landmarks in image pixels.

    The face-oval polygon minus grown eye loops, irises, brows, outer lips and the nostril
    area, eroded by `erode` x face size so a slight warp of the face in the output (the new
    look moves the outline and features by a few % of the face) keeps the region on skin.
    shape is the image's (H, W, ...). The mask may be empty for a tiny or off-image face.
    """
    h, w = shape[:2]
    pts = np.asarray(landmarks, np.float64)[:, :2]
    size = max(face_size(pts), 1.0)
    face = np.zeros((h, w), np.uint8)
    cv2.fillPoly(face, [pts[list(FACE_OVAL)].round().astype(np.int32)], 1)
    holes = np.zeros((h, w), np.uint8)
    for loop, sx, sy in _HOLES:
        sel = pts[list(loop)]
        centre = sel.mean(axis=0)
        grown = (sel - centre) * np.array([sx, sy]) + centre
        cv2.fillPoly(holes, [cv2.convexHull(grown.round().astype(np.int32))], 1)
    grow = round(HOLE_GROW * size)
    if grow > 0:
        holes = np.asarray(cv2.dilate(holes, _disc(grow)), np.uint8)
    shrink = round(erode * size)
    if shrink > 0:
        face = np.asarray(cv2.erode(face, _disc(shrink)), np.uint8)
    region: np.ndarray = (face > 0) & (holes == 0)
    return region


def ink_in_skin(
    out_rgb: np.ndarray, region: np.ndarray, in_rgb: np.ndarray | None = None
) -> dict[str, float]:
    """Ink pixels of out_rgb inside one face's skin region (HxW bool).

    Ink: luma < SKIN_INK_REL x the region's median output luma and < SKIN_INK_ABS. Returns
    skin_px, ink_px and ink_pct (0-100); with in_rgb also added_ink_px / added_ink_pct, the ink
    where the input was not ink by the same rule (so a dark beard or fringe the photo already
    had is not blamed on the look). An empty region gives zero counts and NaN percentages.
    """
    n = int(region.sum())
    if n == 0:
        nan = float("nan")
        return {"skin_px": 0, "ink_px": 0, "ink_pct": nan, "added_ink_px": 0, "added_ink_pct": nan}
    y = luma(out_rgb)[region]
    ink = (y < SKIN_INK_REL * float(np.median(y))) & (y < SKIN_INK_ABS)
    res: dict[str, float] = {"skin_px": n, "ink_px": int(ink.sum()), "ink_pct": 100.0 * ink.mean()}
    if in_rgb is not None:
        y0 = luma(in_rgb)[region]
        was = (y0 < SKIN_INK_REL * float(np.median(y0))) & (y0 < SKIN_INK_ABS)
        added = ink & ~was
        res["added_ink_px"] = int(added.sum())
        res["added_ink_pct"] = 100.0 * added.mean()
    return res


def skin_colour_shift(
    in_rgb: np.ndarray, out_rgb: np.ndarray, region: np.ndarray
) -> dict[str, Any]:
    """CIELAB mean colour of the region in input and output, ΔE76 and ΔL (> 0: output lighter).

    Means are taken over the pixels' Lab values (skimage.color.rgb2lab, D65). An empty region
    gives NaN.
    """
    return skin_colour_shift_moved(in_rgb, region, out_rgb, region)


def ink_in_skin_moved(
    out_rgb: np.ndarray, out_region: np.ndarray, in_rgb: np.ndarray, in_region: np.ndarray
) -> dict[str, float]:
    """ink_in_skin for a face drawn somewhere else than in the photo (a warped face).

    The output's ink is counted in out_region; "added" is the output's ink fraction minus the
    input's (same rule, in in_region), as pixels of out_region, never below zero: the two
    geometries differ, so there is no pixel-to-pixel match to subtract.
    """
    res = ink_in_skin(out_rgb, out_region)
    before = ink_in_skin(in_rgb, in_region)
    if res["skin_px"] == 0 or before["skin_px"] == 0:
        res["added_ink_px"], res["added_ink_pct"] = 0, float("nan")
        return res
    pct = max(0.0, res["ink_pct"] - before["ink_pct"])
    res["added_ink_pct"] = pct
    res["added_ink_px"] = round(pct / 100.0 * res["skin_px"])
    return res


def skin_colour_shift_moved(
    in_rgb: np.ndarray, in_region: np.ndarray, out_rgb: np.ndarray, out_region: np.ndarray
) -> dict[str, Any]:
    """skin_colour_shift with the input's and output's skin taken from their own regions."""
    if not in_region.any() or not out_region.any():
        nan = float("nan")
        return {"delta_e": nan, "delta_l": nan, "lab_in": [nan] * 3, "lab_out": [nan] * 3}
    lab_in = rgb2lab(in_rgb[in_region][None, :, :3]).reshape(-1, 3).mean(axis=0)
    lab_out = rgb2lab(out_rgb[out_region][None, :, :3]).reshape(-1, 3).mean(axis=0)
    return {
        "delta_e": float(np.linalg.norm(lab_out - lab_in)),
        "delta_l": float(lab_out[0] - lab_in[0]),
        "lab_in": [round(float(v), 3) for v in lab_in],
        "lab_out": [round(float(v), 3) for v in lab_out],
    }


def small_fragments_per_mp(
    rgb: np.ndarray, *, max_px: int = FRAGMENT_MAX_PX, threshold: float = IMAGE_INK_LUMA
) -> float:
    """8-connected components of the ink mask (luma < threshold) smaller than max_px, per MP."""
    mask = (luma(rgb) < threshold).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    small = int((stats[1:n, cv2.CC_STAT_AREA] < max_px).sum())
    return small / (float(mask.size) / 1e6)


def _ear_local(landmarks: np.ndarray) -> tuple[float, float]:
    out = []
    for side in ("right", "left"):
        p = np.asarray(landmarks, np.float64)[list(EYES[side].ear_points), :2]
        vertical = float(np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4]))
        out.append(vertical / max(2.0 * float(np.linalg.norm(p[0] - p[3])), 1e-9))
    return out[0], out[1]


def eye_aspect_ratio(landmarks: np.ndarray) -> tuple[float, float]:
    """(right, left) eye aspect ratio (Soukupová and Čech 2016): (|p2-p6|+|p3-p5|)/(2|p1-p4|).

    Uses engine.analysis.eyes.eye_aspect_ratio when the engine has it, so the bench measures
    what the renderer uses; otherwise the same formula on EYES[...].ear_points.
    """
    try:
        from engine.analysis.eyes import (  # type: ignore[import-not-found,unused-ignore]
            eye_aspect_ratio as engine_ear,
        )
    except ImportError:
        return _ear_local(landmarks)
    right, left = engine_ear(landmarks)
    return float(right), float(left)


def pearson(a: Sequence[float], b: Sequence[float]) -> float:
    """Pearson correlation over the pairs where both are finite; NaN with < 3 pairs or no spread."""
    x, y = np.asarray(a, np.float64), np.asarray(b, np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def least_squares_slope(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line y = slope * x + intercept."""
    slope, intercept = np.polyfit(np.asarray(x, np.float64), np.asarray(y, np.float64), 1)
    return float(slope), float(intercept)
