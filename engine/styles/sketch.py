"""Pencil-sketch stylization: colour-dodge line art on white paper, pure torch."""

from __future__ import annotations

import torch

from engine.styles import filters as flt
from engine.styles.catalog import DESCRIPTIONS

__all__ = ["SketchStyle"]


class SketchStyle:
    """Gray pencil drawing by dividing luma by its blur (the "colour dodge" blend)."""

    name = "sketch"
    description = DESCRIPTIONS["sketch"]
    needs_exact_size = False

    def __init__(
        self,
        *,
        blur_side: int = 256,
        blur_passes: int = 6,
        darkness: float = 2.2,
        floor: float = 0.04,
        shading: float = 0.3,
        paper: tuple[float, float, float] = (0.98, 0.97, 0.94),
    ) -> None:
        self.blur_side = blur_side
        self.blur_passes = blur_passes
        self.darkness = darkness
        self.floor = floor
        self.shading = shading
        self.paper = paper

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Stylize a batch (N, 3, H, W) in [0, 1]."""
        with torch.autocast(images.device.type, enabled=False):
            return self._stylize(images.float().contiguous())

    def _stylize(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        # One light pass takes the sensor grain off before the dodge amplifies it.
        gray = flt.binomial_blur(flt.rgb_to_luma(x), 1)
        # The wide blur is smooth by construction, so it is computed small and resized up; the
        # blur width is then a fixed share of the picture whatever its pixel count.
        k = flt.pool_factor(h, w, self.blur_side)
        wide = flt.binomial_blur(flt.downsample(gray, k), self.blur_passes)
        wide = flt.upsample(wide, k, (h, w))
        # gray / blur(gray) is the colour dodge of gray by its blurred negative. The floor keeps
        # near-black areas, where both are tiny, from dodging into salt-and-pepper noise.
        sketch = (gray + self.floor).div_(wide + self.floor).clamp_(0.0, 1.0)
        sketch.pow_(self.darkness)
        # A little of the soft tone back in, like graphite rubbed into the shadows.
        sketch.mul_(wide.mul_(self.shading).add_(1.0 - self.shading))
        paper = torch.tensor(self.paper, device=x.device).view(1, 3, 1, 1)
        return sketch * paper
