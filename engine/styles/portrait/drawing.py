"""Line art and painted features of one face, drawn from its face-mesh landmarks.

An artist inking over a photo draws a few confident shapes, not the photo's edges: a bold
tapered upper lid with lashes, a thin lower lid, an iris with a darker rim, pupil and
catch-lights, brows as filled tapered shapes, a small nose shadow, coloured lips with a parting
line and a highlight, a light blush, and the jaw line only where it is a real silhouette.
Colours are sampled from the photo (so the person keeps their iris, brow and lip colour);
positions come from the (warped) landmarks, so gaze, blinks and speech follow the photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.analysis.landmarks import (
    BROWS,
    CHEEKS,
    EYES,
    FACE_OVAL,
    LIPS_INNER_LOWER,
    LIPS_INNER_UPPER,
    LIPS_OUTER_LOWER,
    LIPS_OUTER_UPPER,
    NOSE_WINGS,
    NOSTRILS,
    Eye,
)
from engine.styles.portrait.canvas import Layer, smooth_polyline

__all__ = ["FaceColours", "Look", "draw_face", "face_colours", "interocular"]

# The jaw, from below one ear to below the other through the chin (part of FACE_OVAL).
JAW: tuple[int, ...] = FACE_OVAL[FACE_OVAL.index(361) : FACE_OVAL.index(132) + 1]


@dataclass(frozen=True)
class Look:
    """Drawing parameters of a portrait look; widths are fractions of the inter-ocular distance.

    ink: line colour, RGB in [0, 1]. lid / line / fine: widths of the upper lid, outlines and
    thin lines. blush: blush opacity 0..1. iris_saturation: chroma gain of the drawn iris.
    """

    ink: tuple[float, float, float] = (0.17, 0.10, 0.10)
    lid: float = 0.040
    line: float = 0.020
    fine: float = 0.012
    blush: float = 0.22
    iris_saturation: float = 1.8
    lip_saturation: float = 1.2


@dataclass(frozen=True)
class FaceColours:
    """Colours sampled from the photo for one face, RGB float32 (3,) in [0, 1]."""

    skin: np.ndarray
    iris: np.ndarray
    brow: np.ndarray
    lips: np.ndarray
    teeth: bool = False

    @property
    def colourful(self) -> bool:
        """False for a black-and-white (or nearly colourless) photo: draw it without tints."""
        return float(np.ptp(self.skin)) > 0.03


def interocular(points: np.ndarray) -> float:
    """Distance in pixels between the outer eye corners of (478, 2) landmarks."""
    return float(np.linalg.norm(points[EYES["right"].outer] - points[EYES["left"].outer]))


def _region_pixels(image: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """(K, 3) float32 RGB in [0, 1] of the pixels whose centres fall inside a polygon."""
    h, w = image.shape[:2]
    x0, y0 = np.floor(polygon.min(axis=0)).astype(int)
    x1, y1 = np.ceil(polygon.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 3), np.float32)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    pts = np.round((polygon - [x0 + 0.5, y0 + 0.5]) * 16).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1, shift=4)
    return image[y0:y1, x0:x1][mask > 0].astype(np.float32) / 255.0


def _disc(centre: np.ndarray, radius: float, n: int = 16) -> np.ndarray:
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return (centre + radius * np.stack([np.cos(t), np.sin(t)], axis=1)).astype(np.float32)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb @ np.array([0.299, 0.587, 0.114], np.float32), np.float32)


def _median_dark(px: np.ndarray, fraction: float, fallback: np.ndarray) -> np.ndarray:
    """Median colour of the darkest `fraction` of pixels (K, 3), or fallback when empty."""
    if len(px) == 0:
        return fallback
    order = np.argsort(_luma(px))
    keep = px[order[: max(1, int(len(px) * fraction))]]
    return np.asarray(np.median(keep, axis=0), np.float32)


def _saturate(rgb: np.ndarray, gain: float, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """Scale chroma about the luma by gain and clamp the luma into [lo, hi]."""
    y = float(_luma(rgb))
    out = y + (rgb - y) * gain
    target = min(max(y, lo), hi)
    return np.asarray(np.clip(out + (target - y), 0.0, 1.0), np.float32)


def face_colours(image: np.ndarray, points: np.ndarray) -> FaceColours:
    """Sample skin, iris, brow and lip colours of one face from an HxWx3 uint8 RGB photo.

    points: (478, 2) landmarks in the photo's pixels (before any warp).
    """
    iod = max(interocular(points), 1.0)
    cheeks = np.concatenate([_region_pixels(image, _disc(points[c], 0.12 * iod)) for c in CHEEKS])
    skin = (
        np.asarray(np.median(cheeks, axis=0), np.float32)
        if len(cheeks)
        else np.array([0.8, 0.6, 0.5], np.float32)
    )
    iris_px = []
    for eye in EYES.values():
        ring = points[list(eye.iris_ring)]
        c = points[eye.iris_centre]
        radius = float(np.linalg.norm(ring - c, axis=1).mean())
        # The lower half of the iris, pupil left out: the upper half is lid shadow and lashes.
        half = np.array(
            [c + radius * np.array([np.cos(t), np.sin(t)]) * 0.85 for t in np.linspace(0, np.pi, 9)]
            + [
                c + np.array([-0.45 * radius, 0.0]),
                c + np.array([0.0, 0.45 * radius]),
                c + np.array([0.45 * radius, 0.0]),
            ],
            np.float32,
        )
        iris_px.append(_region_pixels(image, half))
    found = np.concatenate(iris_px)
    iris = (
        np.asarray(np.median(found, axis=0), np.float32)
        if len(found)
        else np.array([0.3, 0.2, 0.15], np.float32)
    )
    # Brows: the pixels that differ most from the skin, darker or lighter (white brows too).
    brow_px = np.concatenate([_region_pixels(image, points[list(b.loop)]) for b in BROWS.values()])
    if len(brow_px):
        far = np.linalg.norm(brow_px - skin, axis=1)
        brow = np.asarray(np.median(brow_px[far >= np.percentile(far, 60)], axis=0), np.float32)
    else:
        brow = skin * 0.35
    outer = points[list(LIPS_OUTER_UPPER + LIPS_OUTER_LOWER[::-1])]
    lip_px = _region_pixels(image, outer)
    lips = np.asarray(
        np.median(lip_px, axis=0) if len(lip_px) else skin * np.array([1.0, 0.7, 0.7]),
        np.float32,
    )
    inner = _region_pixels(image, points[list(LIPS_INNER_UPPER + LIPS_INNER_LOWER[::-1])])
    # Teeth: a good part of the open mouth bright and nearly colourless.
    bright = (_luma(inner) > 0.8 * float(_luma(skin))) & (np.ptp(inner, axis=1) < 0.25)
    teeth = bool(len(inner) and float(bright.mean()) > 0.3)
    return FaceColours(skin=skin, iris=iris, brow=brow, lips=lips, teeth=teeth)


def _eye(
    layer: Layer, p: np.ndarray, eye: Eye, colours: FaceColours, look: Look, iod: float
) -> None:
    upper = smooth_polyline(p[list(eye.upper)])
    lower = smooth_polyline(p[list(eye.lower)])
    opening = np.concatenate([upper, lower[-2:0:-1]])
    ink = np.array(look.ink, np.float32)
    eye_w = float(np.linalg.norm(p[eye.outer] - p[eye.inner]))
    # Whites: a faint warm white, so the eye reads as open and bright, never grey.
    open_cov = layer.coverage([opening])
    layer.paint(open_cov, np.array([0.97, 0.96, 0.95], np.float32))
    # Iris from its own landmarks (gaze), clipped to the opening (blinks cover it).
    c = p[eye.iris_centre]
    r = 1.05 * float(np.linalg.norm(p[list(eye.iris_ring)] - c, axis=1).mean())
    r = min(r, 0.33 * eye_w)
    iris = colours.iris
    chroma = float(np.ptp(iris))
    if chroma < 0.08 and float(_luma(iris)) < 0.2 and colours.colourful:
        # A dark brown iris photographs as near-black grey; drawn grey it reads as blue.
        iris = np.asarray(iris + (0.08 - chroma) * np.array([1.2, 0.3, -0.6]), np.float32)
    base = _saturate(iris, look.iris_saturation, 0.22, 0.5)
    _xs, ys = layer.grid()
    t = np.clip((ys - (c[1] - r)) / (2.0 * r), 0.0, 1.0)
    dark, light = base * 0.45, np.clip(base * 1.35 + 0.05, 0.0, 1.0)
    shade = dark[None, None, :] * (1.0 - t[..., None]) + light[None, None, :] * t[..., None]
    shade = np.broadcast_to(shade, (*layer.rgba.shape[:2], 3))
    layer.paint_map(layer.disc_coverage(c, r) * open_cov, shade)
    rim = np.clip(layer.disc_coverage(c, r) - layer.disc_coverage(c, 0.8 * r), 0.0, 1.0)
    layer.paint(rim * open_cov, base * 0.3, 0.9)
    layer.paint(layer.disc_coverage(c, 0.42 * r) * open_cov, np.array([0.05, 0.04, 0.05]))
    white = np.ones(3, np.float32)
    layer.paint(layer.disc_coverage(c + r * np.array([0.32, -0.34]), 0.26 * r) * open_cov, white)
    layer.paint(
        layer.disc_coverage(c + r * np.array([-0.36, 0.3]), 0.11 * r) * open_cov, white, 0.9
    )
    # Upper lid: bold at the outer third, tapering to the inner corner, with a small flick.
    n = len(upper)
    s = np.linspace(0.0, 1.0, n, dtype=np.float32)
    lid = look.lid * iod
    widths = lid * np.clip(np.minimum(s / 0.08 + 0.35, 1.0) * (1.0 - 0.65 * s), 0.0, None)
    layer.stroke(upper, widths, ink)
    out_dir = upper[0] - upper[min(3, n - 1)]
    out_dir = out_dir / max(float(np.linalg.norm(out_dir)), 1e-6)
    up = np.array([0.0, -1.0], np.float32)
    flick = np.stack([upper[0], upper[0] + (out_dir * 0.9 + up * 0.35) * 0.12 * eye_w])
    layer.stroke(flick, np.array([0.7 * lid, 0.0]), ink)
    # Lashes: three short strokes off the outer part of the lid.
    for k, frac in enumerate((0.02, 0.12, 0.24)):
        i = min(int(frac * (n - 1)), n - 2)
        base_pt = upper[i]
        tangent = upper[i + 1] - upper[i]
        tangent = tangent / max(float(np.linalg.norm(tangent)), 1e-6)
        normal = np.array([tangent[1], -tangent[0]], np.float32)
        if normal[1] > 0:
            normal = -normal
        direction = normal * 0.7 + out_dir * (0.75 - 0.2 * k)
        direction = direction / max(float(np.linalg.norm(direction)), 1e-6)
        tip = base_pt + direction * (0.2 - 0.03 * k) * eye_w
        layer.stroke(np.stack([base_pt, tip]), np.array([0.55 * lid, 0.0]), ink)
    # Lower lid: thin, outer two thirds only, half strength.
    cut = max(2, int(0.7 * len(lower)))
    m = np.linspace(0.0, 1.0, cut, dtype=np.float32)
    layer.stroke(
        lower[:cut], look.fine * iod * np.clip(np.sin(np.pi * m), 0.0, 1.0) ** 0.7, ink, 0.55
    )


def _brow(layer: Layer, p: np.ndarray, side: str, colours: FaceColours, iod: float) -> None:
    brow = BROWS[side]
    up = smooth_polyline(p[list(brow.upper)])
    lo = smooth_polyline(p[list(brow.lower)])
    centre = 0.5 * (up + lo)
    thick = np.linalg.norm(up - lo, axis=1)
    s = np.linspace(0.0, 1.0, len(centre), dtype=np.float32)  # outer end -> inner end
    # Tapered to a point at the temple, full and blunt towards the nose.
    profile = np.clip(s / 0.55, 0.0, 1.0) ** 0.7 * np.clip((1.0 - s) / 0.12, 0.35, 1.0)
    widths = np.minimum(0.7 * thick, 0.075 * iod) * profile
    # Brows in the hair's colour, a touch lighter than their darkest hairs so they never read
    # as black bars.
    colour = np.clip(0.8 * colours.brow + 0.2 * colours.skin * 0.5, 0.0, 1.0)
    layer.stroke(centre, widths, colour, 0.9)


def _nose(
    layer: Layer,
    image: np.ndarray,
    p_src: np.ndarray,
    p: np.ndarray,
    colours: FaceColours,
    look: Look,
    iod: float,
) -> None:
    # The shadow goes on the darker side of the nose, as the photo's light falls.
    right, left = NOSE_WINGS

    def luma_near(i: int) -> float:
        px = _region_pixels(image, _disc(p_src[i], 0.05 * iod))
        return float(_luma(np.median(px, axis=0))) if len(px) else 0.5

    wing = right if luma_near(right) <= luma_near(left) else left
    tip, base = p[4], p[2]
    pts = smooth_polyline(
        np.stack([0.55 * p[wing] + 0.45 * tip, 0.6 * p[wing] + 0.4 * base, base]), 1
    )
    widths = look.line * iod * np.linspace(0.2, 1.0, len(pts)) * np.linspace(1.0, 0.3, len(pts))
    tint = np.array([0.72, 0.55, 0.5] if colours.colourful else [0.6, 0.6, 0.6], np.float32)
    shadow = np.clip(colours.skin * tint, 0.0, 1.0)
    layer.stroke(pts, widths, shadow, 0.7)
    # Faint arcs round both nostril wings keep the nose's own width, part of the likeness.
    for w_i, n_i in zip(NOSE_WINGS, NOSTRILS, strict=True):
        arc = smooth_polyline(np.stack([0.7 * p[w_i] + 0.3 * tip, p[w_i], p[n_i]]), 2)
        s = np.linspace(0.0, 1.0, len(arc), dtype=np.float32)
        layer.stroke(arc, 0.6 * look.line * iod * np.sin(np.pi * s), shadow, 0.35)


def _lips(layer: Layer, p: np.ndarray, colours: FaceColours, look: Look, iod: float) -> None:
    outer_up = smooth_polyline(p[list(LIPS_OUTER_UPPER)])
    outer_lo = smooth_polyline(p[list(LIPS_OUTER_LOWER)])
    inner_up = smooth_polyline(p[list(LIPS_INNER_UPPER)])
    inner_lo = smooth_polyline(p[list(LIPS_INNER_LOWER)])
    lip = _saturate(colours.lips, look.lip_saturation)
    layer.fill(np.concatenate([outer_up, outer_lo[::-1]]), lip, 0.85)
    # The upper lip faces down, away from the light: a shade darker.
    layer.fill(np.concatenate([outer_up, inner_up[::-1]]), lip * 0.82, 0.85)
    gap = float(
        np.mean(np.linalg.norm(p[list(LIPS_INNER_UPPER)] - p[list(LIPS_INNER_LOWER)], axis=1))
    )
    width = float(np.linalg.norm(p[61] - p[291]))
    # The mouth opens gradually (no switch from lips to a hole between two video frames).
    opening = float(np.clip((gap / max(width, 1.0) - 0.04) / 0.04, 0.0, 1.0))
    if opening > 0:
        mouth = np.concatenate([inner_up, inner_lo[::-1]])
        if colours.teeth:
            # A smile shows teeth: warm white, shaded under the upper lip.
            cov = layer.fill(mouth, np.array([0.95, 0.93, 0.9], np.float32), opening)
            xs, ys = layer.grid()
            top = float(inner_up[:, 1].min())
            shade = np.clip(1.0 - (ys - top) / max(0.35 * gap, 1.0), 0.0, 1.0)
            layer.paint((cov * shade).astype(np.float32), np.clip(lip * 0.8, 0, 1), 0.5)
        else:
            layer.fill(mouth, np.clip(lip * 0.3, 0.0, 1.0), 0.95 * opening)
    mid = (1.0 - opening) * 0.5 * (inner_up + inner_lo) + opening * inner_up
    s = np.linspace(0.0, 1.0, len(mid), dtype=np.float32)
    layer.stroke(
        mid,
        look.line * iod * np.clip(np.sin(np.pi * s), 0.0, 1.0) ** 0.8,
        np.clip(lip * 0.4, 0.0, 1.0),
        0.9,
    )
    # A soft highlight on the lower lip.
    centre = 0.35 * p[14] + 0.65 * p[17]
    xs, ys = layer.grid()
    rx, ry = 0.16 * width, 0.3 * max(float(np.linalg.norm(p[17] - p[14])), 1.0)
    glow = np.exp(-(((xs - centre[0]) / rx) ** 2 + ((ys - centre[1]) / ry) ** 2) * 2.0)
    lower = layer.coverage([np.concatenate([inner_lo, outer_lo[::-1]])])
    layer.paint((glow * lower).astype(np.float32), np.ones(3, np.float32), 0.35)


def _blush(layer: Layer, p: np.ndarray, colours: FaceColours, look: Look, iod: float) -> None:
    if look.blush <= 0 or not colours.colourful:
        return
    xs, ys = layer.grid()
    pink = np.clip(0.6 * colours.skin + 0.4 * np.array([0.95, 0.45, 0.5], np.float32), 0.0, 1.0)
    for c in CHEEKS:
        centre = p[c] + np.array([0.0, -0.05 * iod], np.float32)
        g = np.exp(
            -(((xs - centre[0]) / (0.2 * iod)) ** 2 + ((ys - centre[1]) / (0.11 * iod)) ** 2)
        )
        layer.paint(g.astype(np.float32), pink, look.blush)


def _jaw(
    layer: Layer,
    image: np.ndarray,
    p_src: np.ndarray,
    p: np.ndarray,
    skin: np.ndarray,
    look: Look,
    iod: float,
) -> None:
    """The jaw line, drawn only where the photo shows a silhouette across it."""
    pts_src = p_src[list(JAW)]
    tangent = np.gradient(pts_src, axis=0)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-6)
    normal = np.stack([tangent[:, 1], -tangent[:, 0]], axis=1)
    centre = p_src[list(FACE_OVAL)].mean(axis=0)
    flip = np.sign(np.sum((pts_src - centre) * normal, axis=1, keepdims=True))
    normal *= np.where(flip == 0, 1.0, flip)
    d = 0.08 * iod
    h, w = image.shape[:2]

    def sample(q: np.ndarray) -> np.ndarray:
        xi = np.clip(q[:, 0].round().astype(int), 0, w - 1)
        yi = np.clip(q[:, 1].round().astype(int), 0, h - 1)
        lab = cv2.cvtColor(image[yi, xi][None], cv2.COLOR_RGB2LAB)[0].astype(np.float32)
        return np.asarray(lab * np.array([100 / 255, 1, 1], np.float32), np.float32)

    inside = sample(pts_src - normal * d)
    outside = sample(pts_src + normal * d)
    contrast = np.linalg.norm(outside - inside, axis=1)
    strength = np.clip((contrast - 8.0) / 12.0, 0.0, 1.0)
    # A silhouette has skin on its inner side; hair falling over the cheek is not one.
    skin_lab = cv2.cvtColor((skin[None, None] * 255).astype(np.uint8), cv2.COLOR_RGB2LAB)[0, 0]
    skin_lab = skin_lab.astype(np.float32) * np.array([100 / 255, 1, 1], np.float32)
    strength *= np.clip((25.0 - np.linalg.norm(inside - skin_lab, axis=1)) / 10.0, 0.0, 1.0)
    # ... and something else outside, in colour more than in lightness: a shaded cheek is
    # still skin.
    other = (outside - skin_lab) * np.array([0.5, 1.0, 1.0], np.float32)
    strength *= np.clip((np.linalg.norm(other, axis=1) - 10.0) / 8.0, 0.0, 1.0)
    # At three-quarters the mesh's far jaw lies on the cheek, not on the silhouette: only the
    # near side (the wider eye's) and the chin are drawn there.
    widths = [float(np.linalg.norm(p_src[e.outer] - p_src[e.inner])) for e in EYES.values()]
    if min(widths) < 0.85 * max(widths):
        far, near = (
            (EYES["right"], EYES["left"])
            if widths[0] < widths[1]
            else (EYES["left"], EYES["right"])
        )
        # Sideways, along the eye line toward the far eye, from the chin.
        axis = p_src[far.outer] - p_src[near.outer]
        axis = axis / max(float(np.linalg.norm(axis)), 1e-6)
        beyond = (pts_src - p_src[152]) @ axis / iod
        strength *= np.clip(1.0 - beyond / 0.1, 0.0, 1.0)
    # Smooth along the jaw so the line fades in and out instead of blinking per point.
    strength = np.convolve(np.pad(strength, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    pts = smooth_polyline(p[list(JAW)])
    s = np.interp(np.linspace(0, 1, len(pts)), np.linspace(0, 1, len(strength)), strength)
    layer.stroke(pts, look.fine * iod * s, np.array(look.ink, np.float32), 0.8)


def draw_face(
    layer: Layer,
    image: np.ndarray,
    p_src: np.ndarray,
    p: np.ndarray,
    look: Look,
    *,
    eyes: tuple[bool, bool] = (True, True),
    mouth: bool = True,
) -> FaceColours:
    """Draw one face into a layer covering it.

    image: HxWx3 uint8 RGB photo; p_src: (478, 2) landmarks on it; p: the same landmarks where
    the face is drawn (after the proportion warp), in pixels. eyes (right, left) and mouth say
    which features are visible (occluded ones are left to the photo's own look).
    """
    iod = max(interocular(p), 1.0)
    colours = face_colours(image, p_src)
    # Each feature is drawn on a layer just its size: a lash then costs a lash, not a face.
    cheeks = layer.part(p[list(CHEEKS)], 0.45 * iod)
    _blush(cheeks, p, colours, look, iod)
    layer.merge(cheeks)
    _jaw(layer, image, p_src, p, colours.skin, look, iod)
    nose = layer.part(p[[4, 2, *NOSE_WINGS, *NOSTRILS]], 0.1 * iod)
    _nose(nose, image, p_src, p, colours, look, iod)
    layer.merge(nose)
    if mouth:
        lips = layer.part(p[list(LIPS_OUTER_UPPER + LIPS_OUTER_LOWER)], 0.1 * iod)
        _lips(lips, p, colours, look, iod)
        layer.merge(lips)
    for visible, (side, eye) in zip(eyes, EYES.items(), strict=True):
        if visible:
            brow = layer.part(p[list(BROWS[side].loop)], 0.1 * iod)
            _brow(brow, p, side, colours, iod)
            layer.merge(brow)
            part = layer.part(p[list(eye.loop)], 0.3 * iod)
            _eye(part, p, eye, colours, look, iod)
            layer.merge(part)
    return colours
