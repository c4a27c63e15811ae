"""The webtoon finish: a gentle luma S-curve with warm highlights and cool shadows."""

from __future__ import annotations

import torch

from engine.styles import filters as flt

__all__ = ["grade"]


def grade(rgb: torch.Tensor, strength: torch.Tensor | float) -> torch.Tensor:
    """Grade rgb (N, 3, H, W) in [0, 1] in place and return it (unclamped).

    strength: 0..1, a float or a (N, 1, H, W) map. The S-curve is smoothstep(luma) mixed in at
    0.2 * strength as one luma delta on all three channels (brightness moves, hue does not);
    the split tone adds +-0.015 * strength of warm (R up, B down) above mid-grey and cool
    below it.
    """
    lum = flt.rgb_to_luma(rgb).clamp_(0.0, 1.0)
    curve = lum * lum * (3.0 - 2.0 * lum)
    rgb.add_(curve.sub_(lum).mul_(strength).mul_(0.2))
    tint = lum.sub_(0.5).mul_(strength).mul_(0.03)
    tone = torch.tensor([1.0, 0.2, -1.0], device=rgb.device, dtype=rgb.dtype).view(1, 3, 1, 1)
    return rgb.addcmul_(tint, tone)
