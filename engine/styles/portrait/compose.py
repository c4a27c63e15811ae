"""Device side of the portrait renderer: warp, paint skin and hair, lay the drawing on top.

Every step is batched torch and exact where its maps are zero (warp by a zero displacement,
blend by a zero mask, composite a transparent drawing), so an image without drawn faces, or
a region away from them, is untouched and batching never changes a result.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from engine.styles.portrait.hair import paint_hair, silhouette_ink
from engine.styles.portrait.plan import (
    DRAWING,
    HAIR,
    LINE_WIDTH,
    SKIN_REGION,
    SKIN_SCALE,
    SKIN_WEIGHT,
    WARP,
)
from engine.styles.portrait.skin import paint_skin
from engine.styles.portrait.warp import warp_images

__all__ = ["render_portrait"]

# Pixels within this window of painted skin get no hair outline.
SKIN_GAP = 9


def render_portrait(
    x: torch.Tensor,
    guides: torch.Tensor,
    portrait: torch.Tensor,
    base: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    ink: tuple[float, float, float],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw the planned faces of a batch.

    x: photos (N, 3, H, W) in [0, 1]; guides: the photo-based guide maps (N, G, H, W) in source
    coordinates; portrait: the portrait block (N, PORTRAIT_CHANNELS, H, W) from portrait_maps;
    base(x, guides): the photo-based look of the warped photo and guides; ink: line colour RGB.
    Returns the picture (N, 3, H, W) in [0, 1] and the painted-skin mask (N, 1, H, W) in [0, 1]
    where it lies in the picture (for finishing steps that must keep the skin tone).
    """
    g = guides.shape[1]
    field = portrait[:, WARP]
    carried = torch.cat([x, guides, portrait[:, SKIN_REGION : HAIR + 1]], dim=1)
    moved = warp_images(carried, field) if bool(field.any()) else carried
    xw = moved[:, :3].contiguous()
    out = base(xw, moved[:, 3 : 3 + g].contiguous())
    skin = moved[:, 3 + g :]
    region = skin[:, SKIN_REGION - SKIN_REGION : SKIN_REGION - SKIN_REGION + 1]
    weight = skin[:, SKIN_WEIGHT - SKIN_REGION : SKIN_WEIGHT - SKIN_REGION + 1]
    scale = skin[:, SKIN_SCALE - SKIN_REGION : SKIN_SCALE - SKIN_REGION + 1]
    hair = skin[:, HAIR - SKIN_REGION : HAIR - SKIN_REGION + 1].clamp(0.0, 1.0)
    if bool(hair.any()):
        painted = paint_hair(xw, hair)
        out = out.addcmul_(hair, painted.sub_(out))
    region = region.clamp(0.0, 1.0)
    if bool(region.any()):
        painted = paint_skin(xw, region, weight, scale)
        out = out.addcmul_(region, painted.sub_(out))
    if bool(hair.any()):
        width = portrait[:, LINE_WIDTH].amax(dim=(-2, -1)).flatten()
        # Hair is outlined against the background, not where it falls over the skin: the
        # painted tones separate them, and a line there would be ink inside the face.
        near_skin = F.max_pool2d(region, SKIN_GAP, stride=1, padding=SKIN_GAP // 2)
        line = silhouette_ink(hair, width).mul_(near_skin.mul_(-1.0).add_(1.0))
        colour = torch.tensor(ink, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        out = out.addcmul_(line, colour - out)
    drawing = portrait[:, DRAWING]
    out = out.mul_(1.0 - drawing[:, 3:4]).add_(drawing[:, :3])
    # The drawn features are not skin: finishing steps treat them as drawn.
    return out.clamp_(0.0, 1.0), region * (1.0 - drawing[:, 3:4])
