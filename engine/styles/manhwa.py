"""The manhwa style: the webtoon portrait renderer in black ink on white with screentone shading.

Print manhwa and manga shade with screentone, a halftone dot pattern whose dot size follows the
tone. Here the colour render (faces drawn from the mesh, painted skin and hair, flat
backgrounds) is turned into three zones by luma: paper white in the lights, a 45-degree dot
screen in the mid-tones whose dots grow with darkness (an amplitude-modulated halftone, as a
print screen makes it), and solid ink in the darks. Dots are anti-aliased by a smoothstep over
one pixel, and their pitch scales with the image so a phone photo and a scan look alike.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from engine.styles import filters as flt
from engine.styles.catalog import DESCRIPTIONS
from engine.styles.portrait.drawing import Look
from engine.styles.webtoon import WebtoonStyle

__all__ = ["MANHWA_LOOK", "ManhwaStyle", "screentone"]

MANHWA_LOOK = Look(ink=(0.03, 0.03, 0.03), blush=0.0, iris_saturation=1.0, lip_saturation=0.8)
# Luma above PAPER is white paper, below SOLID is solid ink; between them the dot screen.
PAPER = 0.74
SOLID = 0.16
# Where the painted skin's mean luma lands: just above PAPER, so only its shadows get dots.
SKIN_PAPER = 0.8
# Dot pitch as a fraction of the image's longer side (at least MIN_PITCH pixels).
PITCH = 1.0 / 170.0
MIN_PITCH = 4.0


def screentone(rgb: torch.Tensor, skin: torch.Tensor | None = None) -> torch.Tensor:
    """Black-and-white screentone rendering of a batch (N, 3, H, W) in [0, 1], same shape.

    Grey levels map to paper, dots of growing size, or solid ink; the result is grey-scale
    (all channels equal) and every image is toned on its own. skin (N, 1, H, W) in [0, 1]:
    painted skin, whose mean tone becomes paper (as manhwa leaves faces white and tones only
    their shadows), whatever the person's skin tone.
    """
    n, _, h, w = rgb.shape
    lum = flt.rgb_to_luma(rgb).clamp_(0.0, 1.0)
    if skin is not None:
        weight = skin.sum(dim=(-2, -1), keepdim=True)
        mean = (lum * skin).sum(dim=(-2, -1), keepdim=True) / weight.clamp_min(1.0)
        lifted = (lum * (SKIN_PAPER / mean.clamp_min(0.05))).clamp_(0.0, 1.0)
        lum = torch.where(weight > 0, lum + skin * (lifted - lum), lum)
    pitch = max(MIN_PITCH, PITCH * max(h, w))
    ys = torch.arange(h, device=rgb.device, dtype=rgb.dtype).view(1, 1, h, 1)
    xs = torch.arange(w, device=rgb.device, dtype=rgb.dtype).view(1, 1, 1, w)
    k = 2.0 * math.pi / (pitch * math.sqrt(2.0))
    # A 45-degree screen: the dot function peaks at the centre of each cell.
    dots = 0.5 + 0.25 * (torch.cos((xs + ys) * k) + torch.cos((xs - ys) * k))
    # Darkness 0..1 across the screened band sets the dot threshold: bigger dots when darker.
    dark = ((PAPER - lum) / (PAPER - SOLID)).clamp_(0.0, 1.0)
    # The dot function's value falls ~1/pitch per pixel: one-pixel anti-aliasing.
    edge = 1.5 / pitch
    ink = flt.smoothstep(-edge, edge, dots - (1.0 - dark))
    ink = torch.where(dark >= 1.0, torch.ones_like(ink), ink)
    ink = torch.where(dark <= 0.0, torch.zeros_like(ink), ink)
    paper = 1.0 - 0.97 * ink
    return paper.expand(n, 3, h, w).contiguous()


class ManhwaStyle(WebtoonStyle):
    """Ink-and-screentone portrait look on the webtoon renderer (same faces, same warp).

    Takes WebtoonStyle's keyword parameters; the default look draws in black ink without blush.
    """

    name = "manhwa"
    option_names: tuple[str, ...] = ("texture",)  # black and white: no colour to tune
    description = DESCRIPTIONS["manhwa"]

    def __init__(self, **params: Any) -> None:
        params.setdefault("look", MANHWA_LOOK)
        params.setdefault("grade", 0.0)
        super().__init__(**params)

    def _finish(self, rgb: torch.Tensor, protect: torch.Tensor | None = None) -> torch.Tensor:
        return screentone(super()._finish(rgb, protect), protect)
