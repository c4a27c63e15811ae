"""CPU side of the portrait renderer: which faces to draw, and the guide maps that draw them.

`portrait_maps` turns one photo and its PersonAnalysis into the PORTRAIT_CHANNELS float32 maps
the torch side reads (see the channel constants). Faces that cannot be drawn well (too small,
a mesh that does not fit, a profile, both eyes hidden) are left out and keep the photo-based
person look, as the issue's fallback asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from engine.analysis import Face, PersonAnalysis
from engine.analysis.landmarks import EYES, FACE_OVAL, LIPS_OUTER_LOWER, LIPS_OUTER_UPPER
from engine.styles.portrait.canvas import Layer
from engine.styles.portrait.drawing import Look, draw_face, interocular
from engine.styles.portrait.hair_mask import hair_mask
from engine.styles.portrait.skin import skin_maps
from engine.styles.portrait.warp import proportion_field, warp_points

__all__ = [
    "DRAWING",
    "HAIR",
    "LINE_WIDTH",
    "PORTRAIT_CHANNELS",
    "SKIN_REGION",
    "SKIN_SCALE",
    "SKIN_WEIGHT",
    "WARP",
    "FacePlan",
    "drawable",
    "plan_faces",
    "plan_image",
    "portrait_maps",
]

# Channel offsets inside the portrait block of the guide stack.
# The maps that move with the warp come first, right after the photo-based guide channels, so
# the device side warps one contiguous channel range.
SKIN_REGION, SKIN_WEIGHT, SKIN_SCALE, HAIR = 0, 1, 2, 3
WARP = slice(4, 6)  # backward displacement (dx, dy) in pixels
LINE_WIDTH = 6
DRAWING = slice(7, 11)  # premultiplied RGBA of the drawn features, in output coordinates
PORTRAIT_CHANNELS = 11

# Below this inter-ocular distance (pixels) a drawn eye would be a few pixels of mush.
MIN_INTEROCULAR = 22.0
# A mesh whose bbox overlaps the detector's box less than this did not fit the face.
MIN_MESH_FIT = 0.35
# An eye narrower than this fraction of the other is turned away or hidden: a profile.
MIN_EYE_RATIO = 0.5
# An eye region whose luma varies less than this (relative) shows no eye: a hand, hair.
MIN_EYE_CONTRAST = 0.07


@dataclass(frozen=True)
class FacePlan:
    """One face to draw: landmarks in the photo and where they land after the warp."""

    source: np.ndarray
    target: np.ndarray
    eyes: tuple[bool, bool]
    mouth: bool


def _eye_visible(image: np.ndarray, p: np.ndarray, side: str) -> bool:
    eye = EYES[side]
    pts = p[list(eye.loop)]
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    pad = max(2, int(0.35 * (y1 - y0 + 1)))
    h, w = image.shape[:2]
    crop = image[max(0, y0 - pad) : min(h, y1 + pad), max(0, x0) : min(w, x1)]
    if crop.size == 0:
        return False
    luma = crop.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return float(luma.std()) / max(float(luma.mean()), 8.0) >= MIN_EYE_CONTRAST


def _mouth_visible(image: np.ndarray, p: np.ndarray) -> bool:
    """Whether lips show: they differ from the chin's skin below them, or have structure."""
    h, w = image.shape[:2]

    def pixels(poly: np.ndarray) -> np.ndarray:
        x0, y0 = np.clip(np.floor(poly.min(axis=0)).astype(int), 0, [w, h])
        x1, y1 = np.clip(np.ceil(poly.max(axis=0)).astype(int) + 1, 0, [w, h])
        if x1 <= x0 or y1 <= y0:
            return np.zeros((0, 3), np.float32)
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(mask, [np.round(poly - [x0, y0]).astype(np.int32)], 1)
        return image[y0:y1, x0:x1][mask > 0].astype(np.float32)

    lips = pixels(p[list(LIPS_OUTER_UPPER + LIPS_OUTER_LOWER[::-1])])
    below = p[list(LIPS_OUTER_LOWER)] + (p[152] - p[17]) * 0.5
    chin = pixels(
        np.concatenate([p[list(LIPS_OUTER_LOWER)] + (p[152] - p[17]) * 0.25, below[::-1]])
    )
    if len(lips) < 4 or len(chin) < 4:
        return False
    lab = cv2.cvtColor(
        np.stack([np.median(lips, axis=0), np.median(chin, axis=0)])[None].astype(np.uint8),
        cv2.COLOR_RGB2LAB,
    )[0].astype(np.float32) * np.array([100 / 255, 1, 1], np.float32)
    luma = lips @ np.array([0.299, 0.587, 0.114], np.float32)
    # A hand or a mask over the mouth is as flat as skin and of its colour; grey lips of a
    # black-and-white photo still differ in lightness.
    return float(np.linalg.norm(lab[0] - lab[1])) > 6.0 or float(luma.std()) > 0.1 * max(
        float(luma.mean()), 8.0
    )


def drawable(face: Face, image: np.ndarray) -> tuple[bool, bool, bool] | None:
    """(right eye, left eye, mouth) visibility of a face worth drawing, or None to fall back."""
    p = face.landmarks
    if p is None or not np.isfinite(p).all():
        return None
    if interocular(p) < MIN_INTEROCULAR:
        return None
    if getattr(face, "mesh_fit", 1.0) < MIN_MESH_FIT:
        return None
    # A turned head foreshortens the far eye; in profile the mesh guesses the hidden half.
    # (The nose's place between the cheek points says little: at three-quarters the far
    # cheek point already slides behind the nose.)
    widths = [float(np.linalg.norm(p[e.outer] - p[e.inner])) for e in EYES.values()]
    if min(widths) < MIN_EYE_RATIO * max(widths):
        return None
    eyes = (_eye_visible(image, p, "right"), _eye_visible(image, p, "left"))
    if not any(eyes):
        return None
    return eyes[0], eyes[1], _mouth_visible(image, p)


def plan_faces(
    image: np.ndarray, faces: Sequence[Face], field: np.ndarray | None
) -> list[FacePlan]:
    """The drawable faces of an image, with their landmarks moved by the warp field."""
    return _plans(image, [(f, drawable(f, image)) for f in faces], field)


def _plans(
    image: np.ndarray,
    judged: Sequence[tuple[Face, tuple[bool, bool, bool] | None]],
    field: np.ndarray | None,
) -> list[FacePlan]:
    plans = []
    for face, seen in judged:
        if seen is None or face.landmarks is None:
            continue
        target = warp_points(face.landmarks, field)
        plans.append(FacePlan(face.landmarks, target, (seen[0], seen[1]), seen[2]))
    return plans


def plan_image(
    image: np.ndarray, faces: Sequence[Face], warp_strength: float
) -> tuple[np.ndarray | None, list[FacePlan], list[Face]]:
    """(warp field or None, the faces to draw, the faces left undrawn) for one image.

    Each face is judged once (drawable); the proportion field is built from the drawn faces.
    """
    h, w = image.shape[:2]
    judged = [(f, drawable(f, image)) for f in faces]
    drawn = [f for f, seen in judged if seen is not None and f.landmarks is not None]
    undrawn = [f for f, seen in judged if seen is None or f.landmarks is None]
    marks = [f.landmarks for f in drawn if f.landmarks is not None]
    field = proportion_field(marks, h, w, warp_strength) if marks else None
    return field, _plans(image, judged, field), undrawn


def _shade_beard(
    rgba: np.ndarray, image: np.ndarray, beard: np.ndarray, field: np.ndarray | None
) -> None:
    """Lay facial hair over the painted skin as a soft shade in its own median colour.

    rgba: the (4, H, W) premultiplied drawing, in output coordinates.
    """
    rows = np.flatnonzero(beard.any(axis=1))
    cols = np.flatnonzero(beard.any(axis=0))
    if rows.size == 0:
        return
    dense = beard > 0.5
    colour = (
        np.median(image[dense], axis=0).astype(np.float32) / 255.0
        if dense.any()
        else np.zeros(3, np.float32)
    )
    h, w = beard.shape
    pad = 0 if field is None else int(np.ceil(np.abs(field).max())) + 1
    r0, r1 = max(0, rows[0] - pad), min(h, rows[-1] + pad + 1)
    c0, c1 = max(0, cols[0] - pad), min(w, cols[-1] + pad + 1)
    density = beard[r0:r1, c0:c1]
    if field is not None:
        # The drawing is in warped (output) coordinates: sample the density through the
        # backward field, as the photo itself is sampled.
        ys, xs = np.mgrid[r0:r1, c0:c1].astype(np.float32)
        density = cv2.remap(
            beard, xs + field[0, r0:r1, c0:c1], ys + field[1, r0:r1, c0:c1], cv2.INTER_LINEAR
        )
    # Half strength: stubble reads as a shade on the skin, not as a painted-on patch.
    a = 0.5 * density
    dst = rgba[:, r0:r1, c0:c1]
    dst[:3] = dst[:3] * (1.0 - a) + a * colour[:, None, None]
    dst[3] = dst[3] * (1.0 - a) + a


def portrait_maps(
    image: np.ndarray,
    analysis: PersonAnalysis,
    look: Look,
    warp_strength: float,
    *,
    out: np.ndarray,
) -> list[Face] | None:
    """Fill the portrait guide maps `out` (PORTRAIT_CHANNELS, H, W) float32, zeroed by the
    caller, and return the faces left undrawn.

    image: HxWx3 uint8 RGB. Returns None, leaving `out` untouched, when no face can be drawn
    (the caller falls back to the photo-based look for the whole image).
    """
    h, w = image.shape[:2]
    field, plans, undrawn = plan_image(image, analysis.faces, warp_strength)
    if not plans:
        return None
    maps = out
    if field is not None:
        maps[WARP] = field
    sources = [pl.source for pl in plans]
    beard = np.zeros((h, w), np.float32)
    skin_maps(
        image,
        analysis.person_mask,
        sources,
        maps[SKIN_REGION],
        maps[SKIN_WEIGHT],
        maps[SKIN_SCALE],
        beard,
    )
    maps[HAIR] = hair_mask(image, analysis.person_mask, sources)
    layers = []
    for pl in plans:
        pts = pl.target[list(FACE_OVAL)]
        iod = interocular(pl.target)
        x0, y0 = pts.min(axis=0) - 0.5 * iod
        x1, y1 = pts.max(axis=0) + 0.5 * iod
        layer = Layer((int(max(0, x0)), int(max(0, y0)), int(min(w, x1 + 1)), int(min(h, y1 + 1))))
        draw_face(layer, image, pl.source, pl.target, look, eyes=pl.eyes, mouth=pl.mouth)
        layers.append(layer)
    # The line width is read over the faces' region only (as its maximum): fill just that.
    bx0, by0 = min(la.box[0] for la in layers), min(la.box[1] for la in layers)
    bx1, by1 = max(la.box[2] for la in layers), max(la.box[3] for la in layers)
    maps[LINE_WIDTH, by0:by1, bx0:bx1] = max(1.0, look.line * max(interocular(p) for p in sources))
    drawing = maps[DRAWING]
    _shade_beard(drawing, image, beard, field)
    for layer in layers:
        layer.blit(drawing)
    return undrawn
