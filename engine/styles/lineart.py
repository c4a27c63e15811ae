"""Coherent line art: flow-based DoG lines kept only where they are long and connected."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from engine.styles import filters as flt
from engine.styles.flow import flow_dog
from engine.styles.rank import max_filter, min_filter, sampled_quantile

__all__ = [
    "LineSettings",
    "coherent_lines",
    "keep_long_strokes",
    "silhouette_strength",
]


class LineSettings:
    """Thresholds of coherent_lines, in contrast-normalised luma units unless noted.

    high / low: hysteresis thresholds of the flow DoG (a stroke must reach `high` somewhere and
    is followed down to `low`); min_length: the shortest stroke kept, as a fraction of the
    line grid's longer side; phi: softness of the ink ramp above `low` (larger = crisper);
    sigma_c / sigma_m: the DoG's width across and its smoothing along the flow, in px;
    relative: a stroke must exceed `relative` times the RMS response of the strokes within
    `window` (a fraction of the longer side) around it, scaled to `high`; budget: at most this
    share of the pixels may seed strokes (the per-image seed threshold rises to that quantile);
    cap: when kept strokes cover more than this share, the thresholds rise and it runs again.
    Raises ValueError unless 0 < low <= high, min_length >= 0 and phi, sigma_c, sigma_m > 0.
    """

    __slots__ = (
        "budget",
        "cap",
        "high",
        "low",
        "min_length",
        "phi",
        "relative",
        "sigma_c",
        "sigma_m",
        "window",
    )

    def __init__(
        self,
        *,
        high: float = 0.03,
        low: float = 0.012,
        min_length: float = 0.03,
        phi: float = 120.0,
        sigma_c: float = 1.0,
        sigma_m: float = 2.0,
        relative: float = 2.0,
        window: float = 0.03,
        budget: float = 0.02,
        cap: float = 0.06,
    ) -> None:
        if not 0.0 < low <= high:
            raise ValueError("need 0 < low <= high")
        if min_length < 0.0 or phi <= 0.0 or sigma_c <= 0.0 or sigma_m <= 0.0:
            raise ValueError("min_length must be >= 0; phi, sigma_c and sigma_m > 0")
        self.high, self.low, self.min_length, self.phi = high, low, min_length, phi
        self.sigma_c, self.sigma_m = sigma_c, sigma_m
        self.relative, self.window, self.budget, self.cap = relative, window, budget, cap

    def key(self) -> tuple[float, ...]:
        """The settings as a tuple (for caching and equality)."""
        return (
            self.high,
            self.low,
            self.min_length,
            self.phi,
            self.sigma_c,
            self.sigma_m,
            self.relative,
            self.window,
            self.budget,
            self.cap,
        )


def keep_long_strokes(
    response: np.ndarray, high: float, low: float, min_length: float, cap: float = 1.0
) -> np.ndarray:
    """Hysteresis and fragment removal on one response map (H, W) float32: a bool mask.

    A stroke is an 8-connected component of response > low; it is kept when some pixel of it
    exceeds `high` (Canny's hysteresis) and its bounding box's longer side is at least
    min_length px (short fragments are texture, not structure). When the kept strokes cover
    more than `cap` of the pixels, both thresholds rise by 1.4x and it runs again (up to 4
    times). Connected components come from OpenCV (connectedComponentsWithStats).
    """
    for _ in range(4):
        weak = (response > low).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8)
        if count <= 1:
            return np.zeros(response.shape, bool)
        keep = np.zeros(count, bool)
        keep[labels[response > high]] = True
        extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
        keep &= extent >= min_length
        keep[0] = False
        if stats[keep, cv2.CC_STAT_AREA].sum() <= cap * response.size:
            break
        high, low = high * 1.4, low * 1.4
    kept: np.ndarray = keep[labels]
    return kept


def coherent_lines(
    luma: torch.Tensor,
    tangent: torch.Tensor,
    settings: LineSettings,
    suppress: torch.Tensor | None = None,
    silhouette: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Ink (N, 1, H, W) in [0, 1] from contrast-normalised luma (N, 1, H, W) and its flow.

    After Kang, Lee and Chui's coherent line drawing: a flow DoG (flow.flow_dog), then
    hysteresis and removal of strokes shorter than settings.min_length * max(H, W) per image
    (keep_long_strokes, on the CPU: a mask of the line grid is small). suppress (N, 1, H, W)
    in [0, 1] raises both thresholds by up to 3x where it is 1 (busy texture draws no ink);
    silhouette (N, 1, H, W) in [0, 1] thickens strokes there by one pixel each side. Returns
    (ink, the raw DoG response).
    """
    response = flow_dog(luma, tangent, settings.sigma_c, settings.sigma_m)
    # A stroke must stand out from the strokes around it: in texture every edge is ordinary.
    side = max(luma.shape[-2:])
    rms = flt.box_filter(response.clamp(min=0.0).square(), max(1, round(settings.window * side)))
    # clamp: box sums from prefix sums can dip a hair below zero.
    scale = rms.clamp_(min=0.0).sqrt_().mul_(settings.relative / settings.high).clamp_(min=1.0)
    if suppress is not None:
        scale.mul_(suppress.mul(2.0).add_(1.0))
    judged = response / scale
    # An ink budget per image: at most `budget` of the pixels may seed a stroke, so a photo
    # full of strong texture gets its strongest structure inked, not all of it.
    seeds = sampled_quantile(judged, 1.0 - settings.budget)
    highs = seeds.clamp(min=settings.high).tolist()
    masks = [
        keep_long_strokes(
            plane[0].detach().float().cpu().numpy(),
            high,
            high * settings.low / settings.high,
            settings.min_length * side,
            settings.cap,
        )
        for plane, high in zip(judged, highs, strict=True)
    ]
    lows = torch.tensor(highs, device=luma.device, dtype=luma.dtype).view(-1, 1, 1, 1)
    lows = lows * (settings.low / settings.high)
    keep = torch.from_numpy(np.stack(masks)[:, None]).to(luma.device, luma.dtype)
    # Ink where the response is above `low` and above half of the stroke's own peak nearby,
    # so strong strokes are not wider than weak ones (the DoG lobe widens with contrast); a
    # soft ramp anti-aliases them. Hysteresis decided which strokes exist at all.
    peak = max_filter(judged, 2).mul_(0.5)
    floor = torch.maximum(peak, lows.expand_as(peak))
    ink = judged.sub(floor).div_(floor.clamp(min=1e-6)).mul_(settings.phi * settings.low)
    ink = ink.tanh_().clamp_(min=0.0).mul_(keep)
    # A grey closing bridges one-pixel dips along a stroke, which would otherwise print as a
    # dotted line of specks; it cannot grow past a kept stroke's own ends by more than a px.
    ink = min_filter(max_filter(ink, 1), 1).mul_(max_filter(keep, 1))
    if silhouette is not None:
        # Blurred, so the thickened stroke's edge is rounded: square dilation of a stroke
        # stepped on the line grid leaves one-pixel teeth that print as specks beside it.
        thick = flt.binomial_blur(max_filter(ink, 1), 1)
        ink = torch.maximum(ink, thick.mul_(silhouette))
    return ink, response


def silhouette_strength(painted: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """(N, 1, H, W) in [0, 1]: how strongly each pixel sits on a boundary between painted
    regions (gradient of the painted luma, smoothstepped from low to high per px)."""
    grad = flt.gradient_magnitude(flt.rgb_to_luma(painted))
    return flt.smoothstep(low, high, flt.box_filter(grad, 1, inplace=True))
