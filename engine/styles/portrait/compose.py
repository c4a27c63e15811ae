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
# Sampling step when looking for the box the portrait maps touch.
STRIDE = 4


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
    moves = bool(field.any())
    # The guides and the portrait's moving maps are one channel range of the worker's stack
    # (SKIN_REGION..HAIR follow the photo-based channels), warped without copying them out.
    both = _joined(guides, portrait[:, SKIN_REGION : HAIR + 1])
    xw = warp_images(x, field) if moves else x
    moved = warp_images(both, field) if moves else both
    out = base(xw, moved[:, :g].contiguous())
    maps = moved[:, g:]
    skin = torch.zeros_like(out[:, :1])
    for i in range(x.shape[0]):
        # Everything below happens around the faces and their hair only.
        box = _content_box(maps[i], portrait[i, DRAWING.start + 3])
        if box is None:
            continue
        y0, y1, x0, x1 = box
        window = (slice(i, i + 1), slice(None), slice(y0, y1), slice(x0, x1))
        done, painted = _overlay(xw[window], out[window], maps[window], portrait[window], ink)
        out[window] = done
        skin[window] = painted
    return out.clamp_(0.0, 1.0), skin


def _near(mask: torch.Tensor) -> torch.Tensor:
    """Max of a (1, 1, h, w) mask over about SKIN_GAP px around each pixel, same shape.

    Taken on a 4x coarser grid (torch's CPU max pooling with stride 1 is slow at full size);
    the reach is 4-8 px, as the gap wants.
    """
    h, w = mask.shape[-2:]
    small = F.max_pool2d(mask, 4, ceil_mode=True)
    small = F.max_pool2d(small, 3, stride=1, padding=1)
    return F.interpolate(small, scale_factor=4.0, mode="nearest")[..., :h, :w]


def _joined(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """first and second side by side on the channel axis: a view when they already are."""
    n, c = first.shape[:2]
    if (
        second.shape[0] == n
        and first.stride() == second.stride()
        and second.data_ptr() == first.data_ptr() + c * first.stride(1) * first.element_size()
    ):
        return first.as_strided(
            (n, c + second.shape[1], *first.shape[2:]), first.stride(), first.storage_offset()
        )
    return torch.cat([first, second], dim=1)


def _content_box(maps: torch.Tensor, alpha: torch.Tensor) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) around whatever the portrait maps (C, H, W) and drawing alpha touch."""
    # Every map here is feathered or drawn over many pixels, so a look at every STRIDE-th one
    # finds the box; a margin of STRIDE covers what falls between, and SKIN_GAP the hair
    # outline, drawn just outside the hair mask.
    hit = (maps[:, ::STRIDE, ::STRIDE] > 0).any(dim=0) | (alpha[::STRIDE, ::STRIDE] > 0)
    rows = torch.nonzero(hit.any(dim=1)).flatten()
    if rows.numel() == 0:
        return None
    cols = torch.nonzero(hit.any(dim=0)).flatten()
    pad = SKIN_GAP + STRIDE
    h, w = alpha.shape
    return (
        max(0, int(rows[0]) * STRIDE - pad),
        min(h, (int(rows[-1]) + 1) * STRIDE + pad),
        max(0, int(cols[0]) * STRIDE - pad),
        min(w, (int(cols[-1]) + 1) * STRIDE + pad),
    )


def _overlay(
    xw: torch.Tensor,
    out: torch.Tensor,
    maps: torch.Tensor,
    portrait: torch.Tensor,
    ink: tuple[float, float, float],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Painted hair and skin, the hair outline and the drawing over one window of one image."""

    # maps holds the portrait's moving channels, SKIN_REGION..HAIR, in that order.
    def channel(c: int) -> torch.Tensor:
        return maps[:, c - SKIN_REGION : c - SKIN_REGION + 1]

    region = channel(SKIN_REGION).clamp(0.0, 1.0)
    weight, scale = channel(SKIN_WEIGHT), channel(SKIN_SCALE)
    hair = channel(HAIR).clamp(0.0, 1.0)
    out = out.clone()
    has_hair = bool(hair.any())
    if has_hair:
        painted = paint_hair(xw, hair)
        out.addcmul_(hair, painted.sub_(out))
    if bool(region.any()):
        painted = paint_skin(xw, region, weight, scale)
        out.addcmul_(region, painted.sub_(out))
    if has_hair:
        width = portrait[:, LINE_WIDTH].amax(dim=(-2, -1)).flatten()
        # Hair is outlined against the background, not where it falls over the skin: the
        # painted tones separate them, and a line there would be ink inside the face.
        near_skin = _near(region)
        line = silhouette_ink(hair, width).mul_(near_skin.mul_(-3.0).add_(1.0).clamp_(0.0, 1.0))
        colour = torch.tensor(ink, device=out.device, dtype=out.dtype).view(1, 3, 1, 1)
        out.addcmul_(line, colour - out)
    drawing = portrait[:, DRAWING]
    alpha = drawing[:, 3:4]
    out.mul_(1.0 - alpha).add_(drawing[:, :3])
    # The drawn features are not skin: finishing steps treat them as drawn.
    return out, region * (1.0 - alpha)
