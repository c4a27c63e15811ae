"""Skies: found by colour, position and smoothness; painted as a clean gradient with cel clouds."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from engine.styles import filters as flt

__all__ = ["paint_sky", "sky_mask"]

# Sky candidates: smoother than this luma gradient (per px of a ~256 px grid) ...
SMOOTH_GRADIENT = 0.035
# ... bluish (Cb above this and above Cr), or bright and nearly colourless (overcast, haze).
BLUE_CB = 0.015
BRIGHT_LUMA = 0.62
GREY_CHROMA = 0.07
# A sky region must reach the top rows (this share of the height) and cover this share of
# the image; smaller or lower patches are walls, water or shirts.
TOP_BAND = 0.06
MIN_AREA = 0.02


def sky_mask(x: torch.Tensor) -> torch.Tensor:
    """Soft sky mask (N, 1, H, W) in [0, 1] of a small RGB image (N, 3, H, W) in [0, 1].

    A pixel is a candidate when the luma around it is smooth and its colour is sky-like
    (bluish, or bright and grey); candidates connected (8-neighbours) to the top band of the
    image, covering at least MIN_AREA of it, form the sky. The mask is feathered by ~1 px.
    Meant for the style's colour grid (~256 px): the connectivity runs on the CPU (OpenCV).
    """
    ycc = flt.rgb_to_ycbcr(x)
    y, cb, cr = ycc[:, 0:1], ycc[:, 1:2], ycc[:, 2:3]
    grad = flt.box_filter(flt.gradient_magnitude(flt.binomial_blur(y, 1)), 2, inplace=True)
    chroma = torch.hypot(cb, cr)
    bluish = (cb > BLUE_CB) & (cb > cr)
    grey = (y > BRIGHT_LUMA) & (chroma < GREY_CHROMA)
    candidate = (grad < SMOOTH_GRADIENT) & (bluish | grey)
    h, w = x.shape[-2:]
    band = max(1, round(TOP_BAND * h))
    masks = []
    for plane in candidate[:, 0].cpu().numpy():
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            plane.astype(np.uint8), connectivity=8
        )
        top = np.unique(labels[:band])
        keep = np.zeros(count, bool)
        keep[top] = True
        keep &= stats[:, cv2.CC_STAT_AREA] >= MIN_AREA * h * w
        keep[0] = False
        masks.append(keep[labels])
    hard = torch.from_numpy(np.stack(masks)[:, None]).to(x.device, x.dtype)
    return flt.binomial_blur(hard, 2)


def paint_sky(
    painted: torch.Tensor, mask: torch.Tensor, *, cloud_step: float = 0.09, sharpness: float = 4.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Repaint the sky of painted (N, 3, H, W) in [0, 1] where mask (N, 1, H, W) is set.

    The sky becomes a clean gradient (a normalized convolution of the sky's own colours over
    a coarse grid, so trees and roofs do not bleed in) plus cel-shaded clouds: the brightness
    of the painting above that gradient, softly quantized in steps of cloud_step luma
    (Winnemoeller et al.'s soft quantization; sharpness is its tanh gain), added as grey so
    clouds stay white and their shadows cool. Anything clearly darker than the gradient
    (masts, wires, branches against a dusk sky) is not sky and is left as painted.

    Returns (the picture, the mask actually repainted).
    """
    if not bool((mask > 1e-3).any()):
        return painted, mask
    h, w = painted.shape[-2:]
    factor = max(1, round(max(h, w) / 16))
    weight = flt.downsample(mask, factor).clamp_(min=1e-4)
    coarse = flt.downsample(painted * mask, factor).div_(weight)
    coarse = flt.binomial_blur(coarse, 2)
    gradient = flt.upsample(coarse, float(factor), (h, w)) if factor > 1 else coarse
    lum_gap = flt.rgb_to_luma(painted).sub_(flt.rgb_to_luma(gradient))
    # Slightly darker than the gradient is haze or noise, flattened away; much darker is an
    # object in front of the sky, kept (a thin tower passes the smoothness test at dusk).
    mask = mask * flt.smoothstep(-0.03, -0.01, lum_gap)
    # Clouds only lighten.
    lum_gap.clamp_(min=0.0)
    step = cloud_step
    nearest = (lum_gap / step).floor_().mul_(step)
    frac = lum_gap.sub(nearest).div_(step).sub_(0.5).mul_(sharpness).tanh_()
    clouds = nearest.add_(frac.add_(1.0).mul_(0.5 * step))
    sky = gradient.add_(clouds)
    return torch.lerp(painted, sky.clamp_(0.0, 1.0), mask), mask
