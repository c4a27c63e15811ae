"""Guide maps: PersonAnalysis turned into the float channels a person-aware style reads."""

from __future__ import annotations

import cv2
import numpy as np

from engine.analysis import PersonAnalysis, draw_part_masks

__all__ = ["GUIDE_CHANNELS", "blur", "guide_maps"]

# 0: feathered person mask, 1: face-part detail mask (eyes, brows, mouth).
GUIDE_CHANNELS = 2
# Feather of the person/background seam, as a fraction of the image's longer side.
FEATHER = 0.006


def guide_maps(
    analysis: PersonAnalysis, height: int, width: int, out: np.ndarray | None = None
) -> np.ndarray:
    """A (GUIDE_CHANNELS, height, width) float32 stack in [0, 1] for one image.

    out: a zeroed array of that shape to fill instead of allocating one.
    """
    maps = out if out is not None else np.zeros((GUIDE_CHANNELS, height, width), np.float32)
    mask = analysis.person_mask
    if mask.shape != (height, width):
        mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
    if mask.any():
        sigma = max(0.5, FEATHER * max(height, width))
        maps[0] = blur(mask.astype(np.float32), sigma)
    if analysis.person_mask.shape == (height, width):  # landmarks are in these pixels
        draw_part_masks(analysis.faces, height, width, out=maps[1])
    return np.clip(maps, 0.0, 1.0, out=maps)


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of an (h, w[, c]) array, same shape; wide ones on a smaller grid.

    Beyond a few pixels of sigma the result is smooth enough to compute at 1/f size and
    enlarge bilinearly (f = sigma / 2.5): a 60 px blur then costs what a 2.5 px one does.
    """
    f = int(sigma / 2.5)
    if f < 2:
        return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma))
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / f)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR))
