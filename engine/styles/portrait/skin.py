"""Skin: where it is (CPU, from the mesh and a colour model) and how it is painted (torch).

Painting follows the retoucher's frequency separation: a low-pass of the skin alone (a
normalized convolution, Knutsson and Westin 1993, weighted by skin likelihood, so eyes, brows,
hair and background never bleed into it) is the "colour and shading" layer; the residual
(pores, wrinkles, blemishes, sensor noise) is dropped. The shading that is left is then softly
quantized into three cel tones around the face's own mean colour (after Winnemöller, Olsen and
Gooch's soft luminance quantization, 2006), so skin tone is kept: no whitening, no greying.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from engine.analysis.landmarks import (
    CHEEKS,
    EYES,
    FACE_OVAL,
    LIPS_OUTER_LOWER,
    LIPS_OUTER_UPPER,
    NOSE_WINGS,
    NOSTRILS,
)
from engine.styles.guides import blur
from engine.styles.portrait.drawing import interocular
from engine.styles.portrait.islands import islands

__all__ = ["SKIN_LEVELS", "paint_skin", "skin_maps"]

# Pyramid levels of the normalized convolution: level k is a blur of about 2^k pixels.
SKIN_LEVELS = 9
# Texture is removed below this fraction of the inter-ocular distance; the face's mean colour
# is taken over MEAN_SCALE of it.
DETAIL_SCALE = 0.16
MEAN_SCALE = 1.0
# Relative luma of the shadow / mid / highlight cels and the thresholds between them.
TONES = (0.85, 1.0, 1.11)
EDGES = (0.93, 1.055)
SOFTNESS = 0.012
# Skin maps of a larger face are made at this inter-ocular distance (pixels) and enlarged.
WORK_IOD = 72.0
# Redrawn features painted over with skin: (landmark loop, x growth, y growth).
_FEATURES: tuple[tuple[tuple[int, ...], float, float], ...] = (
    *((eye.loop, 1.4, 2.4) for eye in EYES.values()),
    ((*NOSE_WINGS, *NOSTRILS, 2, 4, 94, 19), 1.15, 1.3),
    (LIPS_OUTER_UPPER + LIPS_OUTER_LOWER, 1.1, 1.2),
)
# Where skin colour is sampled: forehead, upper cheeks (clear of beards), nose bridge, chin.
SKIN_SAMPLES: tuple[int, ...] = (151, 108, 337, 116, 345, 117, 346, 6, 197, *CHEEKS)


def _lab(rgb: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    return lab


def skin_maps(
    image: np.ndarray,
    person_mask: np.ndarray,
    faces: Sequence[np.ndarray],
    region: np.ndarray,
    weight: np.ndarray,
    scale: np.ndarray,
    beard: np.ndarray,
) -> None:
    """Fill skin maps (H, W) float32 in place for the faces drawn in an HxWx3 uint8 RGB photo.

    region: where painted skin replaces the photo's look (face oval, ears, neck), soft 0..1.
    weight: skin likelihood 0..1 from a per-face CIELAB colour model sampled on the forehead,
    upper cheeks and nose (hair, glasses, beard and background get ~0). scale: the face's
    inter-ocular distance in pixels over its region (0 elsewhere). beard: density 0..1 of
    facial hair below the nose (textured and darker than the skin), drawn as a soft shade
    over the painted skin; it is left out of the skin's colour.
    faces: (478, 2) landmarks in pixels.
    """
    h, w = image.shape[:2]
    for p in faces:
        iod = max(interocular(p), 1.0)
        x0, y0 = p.min(axis=0)
        x1, y1 = p.max(axis=0)
        fh = y1 - y0
        margin = 0.5 * iod
        bx0, bx1 = int(max(0, x0 - margin)), int(min(w, x1 + margin + 1))
        by0, by1 = int(max(0, y0 - margin)), int(min(h, y1 + 0.9 * fh + 1))
        if bx1 - bx0 < 4 or by1 - by0 < 4:
            continue
        crop = image[by0:by1, bx0:bx1]
        person = person_mask[by0:by1, bx0:bx1]
        local = (p - (bx0, by0)).astype(np.float32)
        # Every map here is smooth at a fraction of the face: a big face is worked on at
        # WORK_IOD pixels between the eyes and the maps enlarged.
        g = min(1.0, WORK_IOD / iod)
        if g < 1.0:
            size = (max(4, round((bx1 - bx0) * g)), max(4, round((by1 - by0) * g)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
            person = cv2.resize(person, size, interpolation=cv2.INTER_AREA)
            local = local * np.array([size[0] / (bx1 - bx0), size[1] / (by1 - by0)], np.float32)
        found = _face_skin(np.ascontiguousarray(crop), person, local, iod * g)
        if found is None:
            continue
        soft, sure, facial = found
        if g < 1.0:
            full = (bx1 - bx0, by1 - by0)
            soft, sure, facial = (
                np.asarray(cv2.resize(m, full, interpolation=cv2.INTER_LINEAR), np.float32)
                for m in (soft, sure, facial)
            )
        box = (slice(by0, by1), slice(bx0, bx1))
        np.maximum(beard[box], facial, out=beard[box])
        np.maximum(region[box], soft, out=region[box])
        np.maximum(weight[box], sure, out=weight[box])
        sc = scale[box]
        hit = soft > 0
        sc[hit] = np.where(sc[hit] > 0, np.minimum(sc[hit], iod), iod)


def _face_skin(
    crop: np.ndarray, person: np.ndarray, p: np.ndarray, iod: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(region, weight, beard) (h, w) float32 of one face in its crop; p: landmarks there."""
    y0, y1 = float(p[:, 1].min()), float(p[:, 1].max())
    fh = y1 - y0
    # Skin is told by its colour over an area, not per pixel: pores, wrinkles and stubble
    # must not punch holes into it.
    lab = _lab(blur(crop, max(0.5, 0.05 * iod)))
    pix = np.concatenate([_patch(lab, p[c], 0.06 * iod) for c in SKIN_SAMPLES])
    if len(pix) < 8:
        return None
    # Median and a robust spread: stubble, freckles or a shadow on one sample point must not
    # pull the model off the skin.
    mu = np.median(pix, axis=0).astype(np.float32)
    dev = np.median(np.abs(pix - mu), axis=0) * 1.4826
    # Lightness is forgiven more than chroma: folds and shadows on skin are darker skin,
    # while hair, beards and glasses differ in chroma too.
    var = (np.maximum(dev, [6.0, 3.0, 3.0]) ** 2 + np.array([160.0, 6.0, 6.0])).astype(np.float32)
    sq = (lab - mu) ** 2
    like = np.clip((12.0 - (sq / var).sum(axis=-1)) / 6.0, 0.0, 1.0)
    strict = var - np.array([120.0, 0.0, 0.0], np.float32)
    sure = np.clip((12.0 - (sq / strict).sum(axis=-1)) / 6.0, 0.0, 1.0)
    oval = np.zeros(crop.shape[:2], np.float32)
    poly = np.round((p[list(FACE_OVAL)] - 0.5) * 16).astype(np.int32)
    cv2.fillPoly(oval, [poly], 1.0, lineType=cv2.LINE_AA, shift=4)
    # Skin reaches a little past the mesh (forehead to the hairline, ears) and down the neck;
    # not a hand or an arm further away. (A distance transform: a dilation by a disc this
    # wide costs ten times more.)
    outside = cv2.distanceTransform((oval < 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    near = np.clip((0.35 * iod - outside) / (0.05 * iod), 0.0, 1.0)
    rows = np.arange(crop.shape[0], dtype=np.float32)
    neck = np.clip((y1 + 0.8 * fh - rows) / (0.2 * fh), 0.0, 1.0)
    neck *= (rows > p[152, 1] - 0.2 * fh).astype(np.float32)
    cols = np.arange(crop.shape[1], dtype=np.float32)
    neck_cols = np.clip(1.0 - np.abs(cols - p[152, 0]) / (0.9 * iod), 0.0, 1.0)
    zone = np.maximum(near, neck[:, None] * np.minimum(neck_cols[None, :] * 2.0, 1.0))
    reach = np.maximum(oval, person * zone)
    # Eyes, nostrils and lips are redrawn on top: paint skin under them too (their own
    # colours carry no weight, so the skin around them fills in).
    features = np.zeros_like(oval)
    for loop, gx, gy in _FEATURES:
        sel = p[list(loop)]
        c = sel.mean(axis=0)
        grown = (sel - c) * np.array([gx, gy], np.float32) + c - 0.5
        hull = cv2.convexHull(np.round(grown * 16).astype(np.int32))
        cv2.fillConvexPoly(features, hull, 1.0, lineType=cv2.LINE_AA, shift=4)
    # Taper to zero at the crop's edge so no straight seam is left where it ends.
    edge = _edge_taper(reach.shape, max(2, int(0.2 * iod)))
    # Inside the oval, small enclosed gaps (folds, lash shadows, a squint) are skin too: a
    # closing fills what is narrower than a fifth of the eye distance.
    closed = _close(like.astype(np.float32), 0.2 * iod)
    skin = np.maximum(np.maximum(like, closed * np.maximum(oval, near)), features * oval)
    facial = _facial_hair(crop, lab, p, iod, sure * oval, oval)
    soft = blur((reach * skin * edge).astype(np.float32), max(0.6, 0.02 * iod))
    # The colour average takes only what is surely skin: shadows and stubble would grey it.
    weight = sure * (1.0 - facial) * np.maximum(oval, person)
    return (
        np.asarray(soft, np.float32),
        np.asarray(weight, np.float32),
        np.asarray(facial, np.float32),
    )


def _facial_hair(
    crop: np.ndarray,
    lab: np.ndarray,
    p: np.ndarray,
    iod: float,
    sure: np.ndarray,
    oval: np.ndarray,
) -> np.ndarray:
    """Beard and moustache (h, w) float32 0..1 in a face crop: below the nose, textured, dark.

    Texture is the local RMS of luma's high-pass residual over ~0.04 inter-ocular distances
    relative to the local brightness, compared with the skin's own on the forehead and cheeks
    (stubble is several times busier; smile folds are lines, which the area test drops).
    "Dark" is against the skin nearby (sure: skin weights), so a beard in shadow still counts.
    """
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
    s = max(0.7, 0.04 * iod)
    # Local RMS of the high-pass residual: shading gradients are not texture, hairs are.
    residual = gray - cv2.GaussianBlur(gray, (0, 0), s)
    bright = blur(gray, 2.0 * s) + 12.0
    texture = np.sqrt(blur(residual * residual, s)) / bright
    samples = [_patch(texture[..., None], p[c], 0.06 * iod) for c in (151, 10, *CHEEKS)]
    ref = max(0.01, float(np.median(np.concatenate(samples))))
    busy = np.clip((texture - 3.0 * ref) / (2.0 * ref), 0.0, 1.0)
    wide = max(1.0, 0.4 * iod)
    near_l = blur(lab[..., 0] * sure, wide) / np.maximum(blur(sure, wide), 1e-3)
    darker = np.clip((near_l - lab[..., 0] - 3.0) / 8.0, 0.0, 1.0)
    rows = np.arange(crop.shape[0], dtype=np.float32)[:, None]
    below = np.clip((rows - (p[4, 1] + 0.02 * iod)) / (0.08 * iod), 0.0, 1.0)
    # Inside the face outline only: curls or a collar at the jaw are textured and dark too.
    zone = below * oval
    lips = np.zeros_like(gray)
    hull = cv2.convexHull(
        np.round(p[list(LIPS_OUTER_UPPER + LIPS_OUTER_LOWER)] - 0.5).astype(np.int32)
    )
    cv2.fillConvexPoly(lips, hull, 1.0)
    raw = zone * busy * darker * (1.0 - lips)
    # A beard covers much of the lower face; busy dark spots (folds, shadows, JPEG noise on a
    # small face, hair falling over the jaw) are no beard at all.
    # (Measured: a full stubble beard 0.50; clean-shaven faces 0-0.27, from folds and shadow.)
    if float(raw.sum()) < 0.35 * float(zone.sum()):
        return np.zeros_like(raw)
    # A beard is an area, not scattered pores or a fold: its density, smoothed, fading in.
    smooth = blur(raw, max(1.0, 0.08 * iod))
    return np.asarray(np.clip((smooth - 0.15) / 0.35, 0.0, 1.0), np.float32)


def _close(mask: np.ndarray, width: float) -> np.ndarray:
    """Morphological closing of a soft (h, w) mask by a disc `width` px wide, same shape.

    Wide discs run on a grid reduced so the disc is ~9 px (a closing that fills gaps of tens
    of pixels does not need pixel accuracy; the caller blurs the result anyway).
    """
    f = max(1, int(width / 9.0))
    h, w = mask.shape
    small = (
        mask
        if f == 1
        else cv2.resize(mask, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    )
    k = max(3, int(width / f) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, disc)
    if f > 1:
        closed = cv2.resize(closed, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(closed, np.float32)


def _patch(lab: np.ndarray, centre: np.ndarray, radius: float) -> np.ndarray:
    """(K, C) pixels of the square patch of a radius around a point (clipped)."""
    r = max(1, int(radius))
    cx, cy = round(float(centre[0])), round(float(centre[1]))
    block = lab[max(0, cy - r) : cy + r + 1, max(0, cx - r) : cx + r + 1]
    return block.reshape(-1, block.shape[-1])


def _edge_taper(shape: tuple[int, ...], width: int) -> np.ndarray:
    """(h, w) float32 ramp from 0 at a rectangle's border to 1 at `width` pixels inside."""
    h, w = shape[:2]
    ry = np.minimum(np.arange(h), np.arange(h)[::-1]).astype(np.float32) / width
    rx = np.minimum(np.arange(w), np.arange(w)[::-1]).astype(np.float32) / width
    return np.minimum(np.clip(ry, 0, 1)[:, None], np.clip(rx, 0, 1)[None, :])


def _pyramid_blur(
    num: torch.Tensor, den: torch.Tensor, wanted: set[int]
) -> dict[int, torch.Tensor]:
    """Normalized-convolution colour (N, 3, H, W) at blur sizes 2^k for the wanted levels k.

    Each level is a 2x2 mean pyramid step, lightly blurred so its bilinear enlargement shows no
    block grid; where the level has almost no skin weight the colour is still finite.
    """
    h, w = num.shape[-2:]
    out: dict[int, torch.Tensor] = {}
    n_k, d_k = num, den
    for k in range(max(wanted) + 1):
        if k > 0:
            n_k = F.avg_pool2d(n_k, 2, ceil_mode=True)
            d_k = F.avg_pool2d(d_k, 2, ceil_mode=True)
        if k not in wanted:
            continue
        nb, db = n_k, d_k
        if k > 0:
            nb = F.interpolate(_soften(n_k), size=(h, w), mode="bilinear", align_corners=False)
            db = F.interpolate(_soften(d_k), size=(h, w), mode="bilinear", align_corners=False)
        out[k] = nb / db.clamp_min(1e-3)
    return out


def _soften(x: torch.Tensor) -> torch.Tensor:
    """A [1 2 1] binomial blur per axis, edges replicated."""
    k = torch.tensor([0.25, 0.5, 0.25], device=x.device, dtype=x.dtype)
    n, c, h, w = x.shape
    y = x.reshape(n * c, 1, h, w)
    y = F.conv2d(F.pad(y, (1, 1, 0, 0), mode="replicate"), k.view(1, 1, 1, 3))
    y = F.conv2d(F.pad(y, (0, 0, 1, 1), mode="replicate"), k.view(1, 1, 3, 1))
    return y.reshape(n, c, h, w)


def _levels_for(sigma: torch.Tensor, inside: torch.Tensor) -> tuple[torch.Tensor, set[int]]:
    """Fractional pyramid position log2(sigma) and the integer levels it needs."""
    pos = torch.log2(sigma.clamp_min(1.0)).clamp_(0.0, SKIN_LEVELS - 1.0)
    used = pos[inside]
    if used.numel() == 0:
        return pos, {0}
    lo, hi = int(used.min().floor()), int(used.max().ceil())
    return pos, set(range(lo, hi + 1))


def _at_scale(levels: dict[int, torch.Tensor], pos: torch.Tensor) -> torch.Tensor:
    """Per-pixel interpolation between pyramid levels at fractional position pos (N, 1, H, W)."""
    ks = sorted(levels)
    pos = pos.clamp(float(ks[0]), float(ks[-1]))
    lo = pos.floor()
    frac = pos - lo
    out = torch.zeros_like(levels[ks[0]])
    for k in ks:
        wk = (1.0 - frac) * (lo == k) + frac * (lo == k - 1)
        out.addcmul_(wk, levels[k])
    return out


def paint_skin(
    x: torch.Tensor, region: torch.Tensor, weight: torch.Tensor, scale: torch.Tensor
) -> torch.Tensor:
    """Painted skin colour (N, 3, H, W) in [0, 1] from photos x (N, 3, H, W) in [0, 1].

    region, weight, scale: (N, 1, H, W) maps from skin_maps (scale in pixels). Only pixels
    with region > 0 are meaningful (the caller blends through region). Each image is painted
    over the bounding box of its own region, so batching never changes a result.
    """
    out = x.clone()
    for i in range(x.shape[0]):
        # Face by face (each island of skin), so a group photo costs its faces, not its size.
        for r0, r1, c0, c1 in islands(region[i, 0] > 0):
            _paint_box(x, region, weight, scale, out, (i, r0, r1, c0, c1))
    return out


def _paint_box(
    x: torch.Tensor,
    region: torch.Tensor,
    weight: torch.Tensor,
    scale: torch.Tensor,
    out: torch.Tensor,
    where: tuple[int, int, int, int, int],
) -> None:
    """paint_skin over one box (image i, rows r0:r1, columns c0:c1), written into out."""
    i, r0, r1, c0, c1 = where
    box = (slice(i, i + 1), slice(None), slice(r0, r1), slice(c0, c1))
    xi, wi, si = x[box], weight[box], scale[box]
    inside = region[box] > 0
    # The painting is smooth at the detail scale (~0.16 eye distances), so it is made on
    # a grid up to 4x coarser and enlarged; the region's own edge stays sharp at the blend.
    # The scale map was warped bilinearly, so its edge ramps down to 0: the face's own scale
    # is the island's largest value, and pixels far below it are only the ramp.
    top = float(si[inside].max())
    si = si.clamp(min=0.5 * top)
    f = max(1, min(4, int(top * DETAIL_SCALE / 3.0)))
    num, den = xi * wi, wi
    if f > 1:
        num = F.avg_pool2d(num, f, ceil_mode=True)
        den = F.avg_pool2d(den, f, ceil_mode=True)
        si = F.max_pool2d(si, f, ceil_mode=True) / f
        inside = F.max_pool2d(inside.float(), f, ceil_mode=True) > 0
    pos_detail, want_detail = _levels_for(si * DETAIL_SCALE, inside)
    pos_mean, want_mean = _levels_for(si * MEAN_SCALE, inside)
    levels = _pyramid_blur(num, den, want_detail | want_mean)
    detail = _at_scale({k: levels[k] for k in want_detail}, pos_detail)
    mean = _at_scale({k: levels[k] for k in want_mean}, pos_mean)
    lum_w = torch.tensor([0.299, 0.587, 0.114], device=x.device).view(1, 3, 1, 1)
    rel = (detail * lum_w).sum(1, keepdim=True) / (mean * lum_w).sum(1, keepdim=True).clamp_min(
        1e-3
    )
    # Soft three-tone quantization: two smooth steps between the cels.
    lo_step = torch.sigmoid((rel - EDGES[0]) / SOFTNESS)
    hi_step = torch.sigmoid((rel - EDGES[1]) / SOFTNESS)
    tone = TONES[0] + (TONES[1] - TONES[0]) * lo_step + (TONES[2] - TONES[1]) * hi_step
    cel = mean * tone
    # Keep a little of the smooth shading so forms stay round, not cut out.
    painted = 0.65 * cel + 0.35 * detail
    if f > 1:
        painted = F.interpolate(
            painted, size=(r1 - r0, c1 - c0), mode="bilinear", align_corners=False
        )
    out[box] = painted.clamp_(0.0, 1.0)
