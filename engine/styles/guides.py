"""Guide maps: PersonAnalysis turned into the float channels a person-aware style reads."""

from __future__ import annotations

import cv2
import numpy as np

from engine.analysis import PersonAnalysis, draw_part_masks

__all__ = ["GUIDE_CHANNELS", "guide_maps"]

# 0: feathered person mask, 1: face-part detail mask (eyes, brows, mouth).
GUIDE_CHANNELS = 2
# Feather of the person/background seam, as a fraction of the image's longer side.
FEATHER = 0.006


def guide_maps(analysis: PersonAnalysis, height: int, width: int) -> np.ndarray:
    """A (GUIDE_CHANNELS, height, width) float32 stack in [0, 1] for one image."""
    maps = np.zeros((GUIDE_CHANNELS, height, width), np.float32)
    mask = analysis.person_mask
    if mask.shape != (height, width):
        mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
    if mask.any():
        sigma = max(0.5, FEATHER * max(height, width))
        maps[0] = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)
    if analysis.person_mask.shape == (height, width):  # landmarks are in these pixels
        draw_part_masks(analysis.faces, height, width, out=maps[1])
    return np.clip(maps, 0.0, 1.0, out=maps)
