"""The hair mask of the drawn-portrait look (CPU, numpy/OpenCV).

hair_mask finds hair around each face from the face-mesh landmarks, the person mask and colour
models of hair, skin, clothes and background sampled around the face, with position priors;
the edge is snapped to the photo with a fast guided filter (He and Sun 2015).
"""

from collections.abc import Sequence
from typing import NamedTuple

import cv2
import numpy as np

from engine.analysis.landmarks import BROWS, FACE_OVAL, indices

__all__ = ["hair_mask"]

# Face width in pixels of the normalised crop the mask is computed in (speed vs detail).
_CROP_FACE = 48
# Search zone in face heights above the oval top / below the chin, face widths beside the oval.
_ABOVE, _BELOW, _BESIDE = 0.95, 1.5, 1.15
_OVAL = np.array(FACE_OVAL, np.intp)
_BROW_PTS = indices(BROWS["right"].upper, BROWS["left"].upper)
# Cheeks, cheekbones, nose bridge and tip, brow centre and forehead: where skin is sampled.
_SKIN_PTS = np.array([205, 425, 50, 280, 6, 197, 5, 9, 151, 108, 337], np.intp)
# CIELAB variance floors (L, a, b): hair lightness swings from root shadow to sheen.
_HAIR_FLOOR = np.diag([36.0, 4.0, 4.0])
_FLOOR = np.diag([16.0, 4.0, 4.0])
_SKIN_FLOOR = np.diag([36.0, 4.0, 4.0])  # lit and shaded skin

_Gmm = list[tuple[np.ndarray, np.ndarray, float]]  # (mean, whitening matrix, log det) per part


def _gauss(s: np.ndarray, floor: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(mean, whitening matrix, log det) of a Gaussian fitted to (K, 3) samples."""
    cov = np.cov(s, rowvar=False) + floor
    whiten = np.linalg.cholesky(np.linalg.inv(cov))
    return s.mean(0), whiten, float(np.linalg.slogdet(cov)[1])


def _gmm(samples: np.ndarray, parts: int, floor: np.ndarray) -> _Gmm | None:
    """Equal-weight Gaussian mixture of (K, 3) Lab samples by k-means, None when too few.

    k-means starts from lightness quantiles (not random centres), so the fit is deterministic.
    """
    if len(samples) < 8 * parts:
        return None
    x = np.ascontiguousarray(samples[:: max(1, len(samples) // 600)], np.float32)
    labels = np.empty(len(x), np.int32)
    labels[np.argsort(x[:, 0], kind="stable")] = np.arange(len(x)) * parts // len(x)
    if parts > 1:
        crit = (cv2.TERM_CRITERIA_MAX_ITER + cv2.TERM_CRITERIA_EPS, 5, 0.1)
        _, found, _ = cv2.kmeans(x, parts, labels[:, None], crit, 1, cv2.KMEANS_USE_INITIAL_LABELS)
        labels = np.asarray(found, np.int32).ravel()
    x64 = x.astype(np.float64)
    out = [_gauss(x64[labels == j], floor) for j in range(parts) if (labels == j).sum() >= 4]
    return out or None


def _robust(samples: np.ndarray, floor: np.ndarray) -> _Gmm | None:
    """One Gaussian fitted to the samples within 3 robust sigmas of their median."""
    if len(samples) < 8:
        return None
    x = samples.astype(np.float64)
    med = np.median(x, 0)
    mad = 1.4826 * np.median(np.abs(x - med), 0) + np.sqrt(np.diag(floor))
    x = x[(np.abs(x - med) < 3 * mad).all(1)]
    return [_gauss(x, floor)] if len(x) >= 8 else None


def _nll(lab: np.ndarray, model: _Gmm | None) -> np.ndarray:
    """Per-pixel negative log likelihood (up to a constant) of (H, W, 3) Lab under a mixture."""
    if model is None:
        return np.full(lab.shape[:2], np.inf, np.float32)
    best: np.ndarray | None = None
    for mu, whiten, logdet in model:
        # z = W^T (x - mu) per pixel; cv2.transform is ~30x faster than a numpy matmul here.
        aff = np.hstack([whiten.T, -(whiten.T @ mu)[:, None]]).astype(np.float32)
        z = cv2.transform(lab, aff)
        d = cv2.transform(z * z, np.full((1, 3), 0.5, np.float32)) + np.float32(0.5 * logdet)
        best = d if best is None else np.minimum(best, d)
    assert best is not None
    return best


class _Crop(NamedTuple):
    """One face's search zone, resampled upright with the face _CROP_FACE pixels wide."""

    lab: np.ndarray  # (h, w, 3) CIELAB
    person: np.ndarray  # (h, w) person mask
    pts: np.ndarray  # (478, 2) landmarks in crop pixels
    u: np.ndarray  # (h, w) face widths right of the face's centre line
    v: np.ndarray  # (h, w) face heights below the oval's top (the chin is at 1)
    fwd: np.ndarray  # (2, 3) image -> crop affine map
    box: tuple[int, int, int, int]  # image box (x0, y0, x1, y1) the crop covers


def _crop(image: np.ndarray, person: np.ndarray, lm: np.ndarray) -> _Crop | None:
    """The face's zone, rotated upright (eye line horizontal) and scaled, or None if off-image."""
    ex = lm[473] - lm[468]  # iris centres: subject's right eye to left eye
    n = float(np.hypot(*ex))
    ex = ex / n if n > 1e-6 else np.array([1.0, 0.0])
    rot = np.array([ex, [-ex[1], ex[0]]])  # rows: across the face, down the face
    uv = lm[_OVAL] @ rot.T
    (u0, v0), (u1, v1) = uv.min(0), uv.max(0)
    fw, fh = u1 - u0, v1 - v0
    if fw < 4 or fh < 4:
        return None
    k = _CROP_FACE / fw
    cw, ch = round(_CROP_FACE * (1 + 2 * _BESIDE)), round(fh * k * (_ABOVE + 1 + _BELOW))
    t = np.array([cw / 2 - k * (u0 + u1) / 2, _ABOVE * fh * k - k * v0])
    fwd = np.hstack([k * rot, t[:, None]])
    corners = np.array([[0, 0, 1], [cw, 0, 1], [0, ch, 1], [cw, ch, 1]], np.float64)
    corners = corners @ cv2.invertAffineTransform(fwd).T
    h, w = person.shape
    x0, y0 = np.maximum(np.floor(corners.min(0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(corners.max(0)).astype(int), (w, h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    # Shrink by an integer factor first (area averaging, OpenCV's fast path), so the rotating
    # warp, which does the rest, never shrinks by 2x or more and does not alias.
    f = max(1, int(1 / k))
    sw, sh = max(2, (x1 - x0) // f), max(2, (y1 - y0) // f)
    c0 = (f - 1) / 2  # the centre of a block of f pixels
    small = fwd @ np.array([[f, 0, x0 + c0], [0, f, y0 + c0], [0, 0, 1]])
    planes = []
    for src in (image, person):
        shrunk = cv2.resize(
            src[y0 : y0 + sh * f, x0 : x0 + sw * f], (sw, sh), interpolation=cv2.INTER_AREA
        )
        planes.append(
            cv2.warpAffine(
                shrunk,
                small,
                (cw, ch),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REPLICATE if src is image else cv2.BORDER_CONSTANT,
            )
        )
    lab = cv2.cvtColor(planes[0].astype(np.float32) * (1 / 255), cv2.COLOR_RGB2Lab)
    ys, xs = np.mgrid[0:ch, 0:cw].astype(np.float32)
    u, v = (xs - cw / 2) / _CROP_FACE, (ys / (fh * k)) - _ABOVE
    pts = np.hstack([lm, np.ones((len(lm), 1))]) @ fwd.T
    return _Crop(lab, planes[1], pts, u, v, fwd, (int(x0), int(y0), int(x1), int(y1)))


def _hair_logit(c: _Crop, others: list[tuple[np.ndarray, float]]) -> np.ndarray | None:
    """Smoothed hair log-odds over the crop, -8 where hair cannot be; None for a bald head."""
    lab, per, pts, u, v = c.lab, c.person, c.pts, c.u, c.v
    ch, cw = per.shape
    oval = np.zeros((ch, cw), np.uint8)
    cv2.fillPoly(oval, [np.round(pts[_OVAL] * 4).astype(np.int32)], 1, cv2.LINE_8, shift=2)

    def v_of(row: float) -> float:
        return float(v[0, 0] + row * (v[1, 0] - v[0, 0]))

    brow_v, eye_v = v_of(pts[_BROW_PTS, 1].min()), v_of(pts[[468, 473], 1].mean())
    u_top, u_chin = (pts[[10, 152], 0] - cw / 2) / _CROP_FACE
    # Pixels nearer (in face sizes) to another face than to this one are that face's business.
    ys, xs = np.mgrid[0:ch, 0:cw].astype(np.float32)
    centre = pts[_OVAL].mean(0)
    own = np.hypot(xs - centre[0], ys - centre[1]) / _CROP_FACE
    theirs = np.zeros((ch, cw), bool)
    k = float(np.hypot(*c.fwd[0, :2]))  # crop pixels per image pixel
    for other, size in others:
        oc = c.fwd @ np.append(other, 1.0)
        theirs |= np.hypot(xs - oc[0], ys - oc[1]) / (size * k) < own
    inside = per > 0.6
    # Skin from the cheeks, nose and brow; hair seeds on the top of the head where it is not
    # skin-coloured (a band above the forehead and a ring hugging the oval above the eyes).
    zone = np.zeros((ch, cw), np.uint8)
    for p in pts[_SKIN_PTS]:
        cv2.circle(zone, (round(p[0]), round(p[1])), round(0.07 * _CROP_FACE), 1, -1)
    skin = _robust(lab[(zone > 0) & inside], _SKIN_FLOOR)
    if skin is None:
        return None
    nll_skin = _nll(lab, skin)
    ring = cv2.distanceTransform(1 - oval, cv2.DIST_L2, 3) / _CROP_FACE
    band = (v > -0.35) & (v < -0.1) & (np.abs(u - u_top) < 0.4)
    head = (band | ((v < eye_v) & (ring > 0.05) & (ring < 0.3))) & inside & ~theirs
    seeds = head & (nll_skin > 0.5 * (skin[0][2] + 16.0))  # 4 sigmas from the skin colour
    if seeds.sum() < max(16, 0.15 * head.sum()):
        return None  # bald or shaved (or the head runs out of the picture): no hair to paint
    hair = _gmm(lab[seeds], 3, _HAIR_FLOOR)
    if hair is None:
        return None
    # Clothes from the chest column below the chin, less what looks like the crown (long hair).
    nll_hair = _nll(lab, hair)
    like_hair = nll_hair < min(m[2] for m in hair) * 0.5 + 4.5  # 3 sigmas of a part
    chest = (v > 1.25) & (np.abs(u - u_chin) < 0.35) & ~like_hair & inside
    cloth = _gmm(lab[chest], 2, _FLOOR)
    # Background colours matter where the person mask is unsure (between people, at its edge).
    back = _gmm(lab[(per < 0.15) & ~theirs], 3, _FLOOR)
    # Log priors: hair is likely above the eyes outside the face, possible beside it, needs
    # clear evidence on the forehead (fringes), ever less likely below the chin; clothes only
    # start at the chin; backdrop where the person is not.
    prior_hair = np.where(oval > 0, -1.5, np.where(v < eye_v, 2.0, 0.0))
    prior_hair[(v > -0.25) & (np.abs(u - u_top) < 0.3) & (oval == 0)] = 0.0  # a high forehead?
    prior_hair -= np.clip((v - 1) / _BELOW, 0, 1) * 2.0
    other = np.minimum(nll_skin, _nll(lab, cloth) + np.where(v > 0.95, 0.0, 4.0))
    other = np.minimum(other, _nll(lab, back) - np.log(np.clip(1.0 - per, 0.05, 1.0)))
    # The mesh's oval runs a little inside the cheeks and jaw: widen it there, not at the brow.
    face = ((oval > 0) & (v > brow_v - 0.06)).astype(np.uint8)
    wide, narrow = (
        cv2.dilate(face, np.ones((5, 5), np.uint8)),
        cv2.erode(face, np.ones((3, 3), np.uint8)),
    )
    never = np.where(v > eye_v, wide, narrow) > 0  # the face below the brows
    never |= ((v > 1) & (np.abs(u - u_chin) < 0.28)) | (per < 0.3) | theirs  # neck, backdrop
    for refit in (True, False):
        logit = np.clip(other - nll_hair + prior_hair, -8.0, 8.0)
        logit[never] = -8.0
        logit = cv2.GaussianBlur(logit, (0, 0), 1.2)
        # Only hair connected to the seeds counts, and not through threads (an opening).
        fg = cv2.morphologyEx(
            (logit > 0).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)
        )
        n, comp = cv2.connectedComponents(fg, connectivity=8)
        keep = np.zeros(n, bool)
        keep[comp[seeds & (fg > 0)]] = True
        keep[0] = False
        logit[~keep[comp]] = -8.0
        sure = logit > 2.0
        if refit and sure.sum() > seeds.sum():
            # Refit on the confident hair so far, as GrabCut does: lengths of hair lighter or
            # redder than the crown join the model.
            hair = _gmm(lab[sure], 3, _HAIR_FLOOR) or hair
            nll_hair = _nll(lab, hair)
    # Fade towards the zone's sides and top so that big hair ends softly, not along a ruler.
    edge = np.clip(np.minimum((0.5 + _BESIDE - np.abs(u)) / 0.2, (v + _ABOVE) / 0.12), 1e-3, 1)
    faded: np.ndarray = np.maximum(logit + np.log(edge), -8.0)
    return faded


def _one_face(
    image: np.ndarray, person: np.ndarray, lm: np.ndarray, others: list[tuple[np.ndarray, float]]
) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """Soft hair mask of one face over an image box (x0, y0, x1, y1), or None."""
    c = _crop(image, person, lm.astype(np.float64))
    logit = None if c is None else _hair_logit(c, others)
    if c is None or logit is None:
        return None
    prob = cv2.GaussianBlur((1.0 / (1.0 + np.exp(-2.0 * logit))).astype(np.float32), (0, 0), 0.8)
    # The crop is ~5x coarser than the photo: the edge is snapped to the photo's own edges
    # (hairline, hair against skin) by a fast guided filter (He and Sun, 2015): coefficients on
    # a grid s times coarser than the photo, applied to the full-resolution grey image.
    x0, y0, x1, y1 = c.box
    r = max(2, round(_CROP_FACE / float(np.hypot(*c.fwd[0, :2])) / 30))  # face width / 30
    s = max(1, r // 2)
    hs, ws = max(1, (y1 - y0) // s), max(1, (x1 - x0) // s)
    c0 = (s - 1) / 2  # the centre of a block of s pixels
    # Grid -> crop: crop = fwd @ p, so fwd with WARP_INVERSE_MAP samples the crop.
    to_crop = c.fwd @ np.array([[s, 0, x0 + c0], [0, s, y0 + c0], [0, 0, 1]], np.float64)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    coarse = cv2.warpAffine(prob, to_crop, (ws, hs), flags=flags)
    grey = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY).astype(np.float32) * (1 / 255)
    g = cv2.resize(grey[: hs * s, : ws * s], (ws, hs), interpolation=cv2.INTER_AREA)
    k = (2 * max(1, r // s) + 1,) * 2

    def box(a: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(a, -1, k, borderType=cv2.BORDER_REFLECT)

    mean_g, mean_p = box(g), box(coarse)
    a = (box(g * coarse) - mean_g * mean_p) / (box(g * g) - mean_g * mean_g + 2e-3)
    b = mean_p - a * mean_g
    size = (x1 - x0, y1 - y0)
    a = cv2.resize(box(a), size, interpolation=cv2.INTER_LINEAR)
    b = cv2.resize(box(b), size, interpolation=cv2.INTER_LINEAR)
    out: np.ndarray = np.clip(a * grey + b, 0.0, 1.0)
    return out, c.box


def hair_mask(
    image: np.ndarray, person_mask: np.ndarray, faces: Sequence[np.ndarray]
) -> np.ndarray:
    """Soft hair mask (H, W) float32 in [0, 1] of an HxWx3 uint8 RGB image.

    person_mask is (H, W) float32 in [0, 1]; faces holds each face's (478, 2) face-mesh landmarks
    in image pixels (x, y). Per face, the zone from ~0.95 face heights above the oval to 1.5
    below the chin and 1.15 face widths to each side is resampled upright with the face 48 px
    wide. There, CIELAB Gaussian mixtures are fitted to hair seeds (non-skin pixels just above
    the forehead and in a ring around the crown), skin (cheeks, nose, brow), clothes (chest below
    the chin) and backdrop (outside the person), and log-likelihood ratios plus spatial priors
    give hair log-odds; the face below the brows, the neck, the backdrop and pixels nearer another
    face are excluded, only regions connected to the seeds are kept, and the hair model is refit
    once on the confident hair (as GrabCut iterates, Rother et al., SIGGRAPH 2004). The edge is
    snapped to the photo with a fast guided filter (He and Sun, 2015). A face whose crown shows
    little non-skin colour (bald, shaved) gives nothing; a hat is taken for hair. The result
    never exceeds person_mask. Raises ValueError on mismatched shapes or malformed landmarks.
    """
    if image.ndim != 3 or image.shape[2] != 3 or person_mask.shape != image.shape[:2]:
        raise ValueError(f"image {image.shape} and person mask {person_mask.shape} do not match")
    h, w = person_mask.shape
    out = np.zeros((h, w), np.float32)
    person = np.ascontiguousarray(person_mask, np.float32)
    for lm in faces:
        if lm.shape != (478, 2) or not np.isfinite(lm).all():
            raise ValueError(f"landmarks must be a finite (478, 2) array, got {lm.shape}")
    frames = [(f[_OVAL].mean(0), float(np.ptp(f[_OVAL, 0]))) for f in faces]
    for i, lm in enumerate(faces):
        got = _one_face(image, person, lm, frames[:i] + frames[i + 1 :])
        if got is not None:
            m, (x0, y0, x1, y1) = got
            np.maximum(out[y0:y1, x0:x1], m, out=out[y0:y1, x0:x1])
    np.minimum(out, person, out=out)
    return out
