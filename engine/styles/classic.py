"""The common OpenCV cartoonify recipe, kept as a baseline for looks and speed."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from engine.styles.catalog import DESCRIPTIONS

__all__ = ["ClassicStyle", "cartoonify_opencv"]


def cartoonify_opencv(rgb: np.ndarray) -> np.ndarray:
    """Median-blurred adaptive-threshold edges over a bilateral-filtered image (HxWx3 uint8 RGB)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    gray = cv2.medianBlur(gray, 5)
    edges = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 9, 9)
    color = cv2.bilateralFilter(rgb, 9, 250, 250)
    out: np.ndarray = cv2.bitwise_and(color, color, mask=edges)
    return out


class ClassicStyle:
    """Runs cartoonify_opencv on each image of the batch (on the CPU, whatever the device)."""

    name = "classic"
    description = DESCRIPTIONS["classic"]
    needs_exact_size = False

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Stylize a batch (N, 3, H, W) in [0, 1]."""
        batch = images.detach().float().clamp(0.0, 1.0).mul(255.0).round_().to(torch.uint8)
        arrays = batch.permute(0, 2, 3, 1).cpu().numpy()
        outs = [torch.from_numpy(cartoonify_opencv(np.ascontiguousarray(a))) for a in arrays]
        out = torch.stack(outs).permute(0, 3, 1, 2).float().div_(255.0)
        return out.to(images.device).contiguous()
