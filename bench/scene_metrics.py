"""Pure numpy measures of a background (scene) look, used by bench/scenes.py and docs/make_scenes.py.

Every function takes HxWx3 uint8 RGB images and returns plain numbers or masks, measured on
output pixels alone, the same way for every image (input, today's output, the new output), so
the input's own value is the baseline.

Ink (dark stroke pixels): a pixel is ink when it is both
- part of a thin dark feature: the black top-hat of luma (morphological closing with an
  elliptical kernel minus luma) exceeds INK_TOPHAT, i.e. the pixel is at least 0.15 (of the
  0..1 luma range) darker than what closing leaves there. Closing fills only dark features
  narrower than the kernel, so wide dark regions (shadows, night sky, dark hair) are not ink.
  The kernel is INK_KERNEL_AT_1024 px across at a 1024 px long side, scaled with the image;
  11 px because today's strokes are up to ~9 px wide at 1024 and a narrower kernel misses the
  fattest specks;
- dark in absolute terms: luma below INK_LUMA.
Closing rounds the square corners of a dark region, so such corners count a few pixels each.
Luma is BT.601 in [0, 1] (bench/look_metrics.luma).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from bench.look_metrics import FRAGMENT_MAX_PX, luma

__all__ = [
    "FRAGMENT_MAX_PX",
    "GREY_SATURATION",
    "INK_KERNEL_AT_1024",
    "INK_LUMA",
    "INK_TOPHAT",
    "ink_fraction",
    "ink_kernel_px",
    "ink_mask",
    "mean_saturation",
    "saturation_ratio",
    "small_fragments_per_mp",
]

INK_KERNEL_AT_1024 = 11  # px, elliptical closing kernel at a 1024 px long side
INK_TOPHAT = 0.15  # luma units: how much darker than its closed surroundings ink must be
INK_LUMA = 0.35  # luma units: ink is darker than this
# Inputs with a mean HSV saturation below this are grey: a saturation ratio is not defined.
GREY_SATURATION = 0.02


def ink_kernel_px(shape: tuple[int, ...]) -> int:
    """Diameter (odd, >= 3 px) of the closing kernel for an image of this HxW(x3) shape."""
    long_side = max(shape[0], shape[1])
    k = round(INK_KERNEL_AT_1024 * long_side / 1024)
    return max(3, k | 1)


def ink_mask(rgb: np.ndarray) -> np.ndarray:
    """HxW bool: the dark stroke pixels of an image (see the module docstring)."""
    y = luma(rgb)
    k = ink_kernel_px(rgb.shape)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    closed = cv2.morphologyEx(y, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    mask: np.ndarray = ((closed - y) > INK_TOPHAT) & (y < INK_LUMA)
    return mask


def ink_fraction(rgb: np.ndarray) -> float:
    """Share (0..1) of the image's pixels that are ink."""
    return float(ink_mask(rgb).mean())


def small_fragments_per_mp(rgb_or_mask: np.ndarray, *, max_px: int = FRAGMENT_MAX_PX) -> float:
    """8-connected components of the ink mask smaller than max_px pixels, per megapixel.

    Takes an HxWx3 image (its ink_mask is used) or an HxW bool mask.
    """
    mask = ink_mask(rgb_or_mask) if rgb_or_mask.ndim == 3 else rgb_or_mask.astype(bool)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    small = int((stats[1:n, cv2.CC_STAT_AREA] < max_px).sum())
    return small / (float(mask.size) / 1e6)


def mean_saturation(rgb: np.ndarray) -> float:
    """Mean over pixels of HSV saturation S = (max - min) / max of R, G, B (0 where max is 0), 0..1."""
    f = rgb[..., :3].astype(np.float32)
    hi = f.max(axis=-1)
    lo = f.min(axis=-1)
    s = np.divide(hi - lo, hi, out=np.zeros_like(hi), where=hi > 0)
    return float(s.mean())


def saturation_ratio(out: np.ndarray, inp: np.ndarray) -> float:
    """mean_saturation(out) / mean_saturation(inp); NaN when the input is grey
    (mean saturation below GREY_SATURATION), where the ratio says nothing."""
    base = mean_saturation(inp)
    if base < GREY_SATURATION:
        return math.nan
    return mean_saturation(out) / base
