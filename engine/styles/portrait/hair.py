"""Hair painting of the drawn-portrait look (torch, batched) and outline ink.

paint_hair paints the hair as smooth strands in a few soft tones with a sheen band: a structure
tensor gives the strand direction (Kang, Lee and Chui 2007), line integral convolution smooths
along it (Cabral and Leedom 1993), lightness is softly quantized (Winnemöller, Olsen and Gooch
2006). silhouette_ink draws an anti-aliased line along a soft mask's 0.5 contour. hair_mask
(from hair_mask.py) is re-exported here.
"""

import itertools
import math

import torch
import torch.nn.functional as F

from engine.styles.filters import (
    binomial_blur,
    box_filter,
    downsample,
    rgb_to_luma,
    smoothstep,
    upsample,
)
from engine.styles.portrait.hair_mask import hair_mask

__all__ = ["hair_mask", "paint_hair", "silhouette_ink"]

# paint_hair works on the hair's bounding box shrunk to about this many pixels on its longer side:
# strand smoothing is a hair-sized operation, so the look does not depend on the photo's size.
_WORK_SIDE = 256
_LIC_TAPS = 4  # bilinear taps each way along the strand direction
_LIC_LENGTH = 16.0  # reach of the strand smoothing each way, in work pixels


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian-like blur of (N, C, H, W): binomial passes when small, two box passes when wide.

    Both avoid torch's CPU conv2d, which is ~50x slower than these on one-channel images.
    """
    if sigma < 1.6:
        return binomial_blur(x, max(1, round(2 * sigma * sigma)))
    r = max(1, round(math.sqrt(1.5 * sigma * sigma + 0.25) - 0.5))  # two boxes: var 2r(r+1)/3
    return box_filter(box_filter(x, r), r)


def _gradient(y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences (per pixel) of (N, 1, H, W), zero on the border rows / columns."""
    gx = torch.zeros_like(y)
    gy = torch.zeros_like(y)
    torch.sub(y[..., 2:], y[..., :-2], out=gx[..., 1:-1]).mul_(0.5)
    torch.sub(y[..., 2:, :], y[..., :-2, :], out=gy[..., 1:-1, :]).mul_(0.5)
    return gx, gy


def _flow_grid(luma: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Sampling grid (1, K * h, w, 2) of straight lines along the strand flow through each pixel.

    The flow is the minor eigenvector of the luma structure tensor, i.e. the edge tangent flow
    of Kang, Lee and Chui (NPAR 2007), with gradients weighted by `weight` so that the mask's own
    edge does not steer it; the taps sit at +-_LIC_LENGTH pixels along it (K = 2 * _LIC_TAPS + 1).
    """
    _, _, h, w = luma.shape
    gx, gy = _gradient(_blur(luma, 1.0))
    st = _blur(torch.cat([gx * gx, gx * gy, gy * gy]) * weight, 3.0)
    theta = 0.5 * torch.atan2(2 * st[1, 0], st[0, 0] - st[2, 0])  # across the strands
    offs = torch.linspace(-_LIC_LENGTH, _LIC_LENGTH, 2 * _LIC_TAPS + 1, device=luma.device)
    base_x = (2 * torch.arange(w, device=luma.device, dtype=luma.dtype) + 1) / w - 1
    base_y = (2 * torch.arange(h, device=luma.device, dtype=luma.dtype) + 1) / h - 1
    grid = torch.empty(len(offs), h, w, 2, device=luma.device, dtype=luma.dtype)
    step_x, step_y = -torch.sin(theta) * (2 / w), torch.cos(theta) * (2 / h)
    torch.add(base_x, offs.view(-1, 1, 1) * step_x, out=grid[..., 0])
    torch.add(base_y.view(-1, 1), offs.view(-1, 1, 1) * step_y, out=grid[..., 1])
    return grid.view(1, -1, w, 2)


def _lic(x: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Line integral convolution (Cabral and Leedom, SIGGRAPH 1993) of (1, C, h, w) on a grid."""
    _, c, h, w = x.shape
    k = grid.shape[1] // h
    taps = torch.exp(-0.5 * torch.linspace(-2.0, 2.0, k, device=x.device, dtype=x.dtype) ** 2)
    samples = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return torch.matmul(taps / taps.sum(), samples.view(c, k, h * w)).view(1, c, h, w)


def _levels(
    luma: torch.Tensor, sorted_l: torch.Tensor, tones: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Equal-area thresholds (tones - 1,) of the hair's sorted luma, and each tone's mean luma."""
    n = len(sorted_l)
    cuts = [round(n * j / tones) for j in range(tones + 1)]
    thr = torch.stack([sorted_l[min(c, n - 1)] for c in cuts[1:-1]])
    means = torch.stack(
        [
            sorted_l[a:b].mean() if b > a else sorted_l[min(a, n - 1)]
            for a, b in itertools.pairwise(cuts)
        ]
    )
    return thr, means


def _paint_one(x: torch.Tensor, m: torch.Tensor, tones: int, sheen: float) -> torch.Tensor:
    """paint_hair for one (1, 3, H, W) crop and its (1, 1, H, W) mask."""
    _, _, h, w = x.shape
    f = _work_factor(h, w)
    # Colour comes from confident hair only: the feathered rim (often skin or backdrop) takes
    # the colour of the hair next to it instead of tinting the paint.
    sure = smoothstep(0.45, 0.9, m)
    xs = torch.cat([downsample(x * sure, f), downsample(sure, f)], 1)
    ws, ms = xs[:, 3:4], downsample(m, f)
    grid = _flow_grid(rgb_to_luma(xs[:, :3] / ws.clamp_min(1e-3)), ws * ws)
    # Normalised convolution along the strands, with a wide isotropic average as the fallback
    # where a strand line holds little confident hair; then a touch of blur across strands.
    wide = _blur(xs[:, :4], 6.0)
    flow = _blur(_lic(xs[:, :4], grid) + 0.05 * wide, 1.5)
    rgb = flow[:, :3] / flow[:, 3:].clamp_min(1e-4)
    ls = rgb_to_luma(rgb).clamp_min(1e-3)
    inside = ms > 0.5
    sorted_l = ls[inside].sort().values if bool(inside.any()) else ls.flatten().sort().values
    thr, means = _levels(ls, sorted_l, tones)
    spread = (means[-1] - means[0]).clamp_min(0.02)
    # The sheen: the brightest tenth of the strand-smoothed hair, smeared along the flow again
    # into long streaks that the full-resolution smoothstep below cuts clean.
    top_level = sorted_l[int(0.9 * (len(sorted_l) - 1))]
    # Eroded confidence: a thin strip of skin or backdrop inside the mask is often the
    # brightest thing there, and must not become a sheen.
    core = -_window_max(-ws, 2)
    top = torch.sigmoid((ls - top_level) / (0.04 * spread)) * smoothstep(0.5, 0.9, core)
    streak = _lic(top, grid)
    # Soft luminance quantisation (Winnemoeller, Olsen, Gooch, SIGGRAPH 2006) as a sum of
    # sigmoids whose width follows the local gradient (measured here, per full-res pixel), so
    # every tone or sheen border is ~1.5 px wide: flat tones, anti-aliased borders, no
    # stair-steps and no wide ramps.
    widths = []
    for field, most in ((ls, float(0.05 * spread)), (streak, 0.1)):
        gx, gy = _gradient(field)
        widths.append(gx.mul_(gx).add_(gy.mul_(gy)).sqrt_().mul_(0.6 / f).clamp_(1e-4, most))
    small = torch.cat([ls, rgb / ls, streak, *widths], 1)  # rgb / luma: hue and saturation
    up = upsample(small, f, (h, w))
    lf, out, sf, soft, soft_s = up[:, :1], up[:, 1:4], up[:, 4:5], up[:, 5:6], up[:, 6:]
    tone = torch.full_like(lf, float(means[0]))
    for j in range(tones - 1):
        step = torch.sigmoid((lf - thr[j]) / soft)
        tone.add_(step.mul_(means[j + 1] - means[j]))
    out.mul_(tone)
    band = torch.sigmoid(sf.sub_(0.4).div_(soft_s)).mul_(sheen)
    # The sheen lifts the colour (more light on the same hue) and adds a little white.
    out.mul_(band * 0.8 + 1.0).add_(band.mul_(0.25 * float(spread.sqrt())))
    return out.clamp_(0.0, 1.0)


def paint_hair(
    x: torch.Tensor, mask: torch.Tensor, *, tones: int = 3, sheen: float = 0.6
) -> torch.Tensor:
    """Painted hair colour (N, 3, H, W) in [0, 1] from photos x (N, 3, H, W) in [0, 1].

    mask (N, 1, H, W) in [0, 1] is the soft hair mask (hair_mask). Inside the mask's bounding box,
    shrunk to ~256 px, colour is smoothed along the strand flow (_flow_grid, _lic), luma is softly
    quantised into `tones` levels at equal-area thresholds, each level taking its pixels' mean
    luma, and the chromaticity (RGB / luma) of the smoothed photo carries hue and saturation back
    on top; the brightest strand-aligned streaks become a sheen band, brightened by `sheen` (0..1).
    The caller composites the result through the mask: values outside it are finite but
    unspecified (the photo where the mask is empty). Images are painted one by one, so a batch
    gives each image exactly its own result. Raises ValueError on bad shapes or parameters.
    """
    if x.ndim != 4 or x.shape[1] != 3 or mask.shape != (x.shape[0], 1, *x.shape[2:]):
        raise ValueError(f"x {tuple(x.shape)} and mask {tuple(mask.shape)} do not match")
    if not 2 <= tones <= 8 or not 0.0 <= sheen <= 1.0:
        raise ValueError("tones must lie in 2..8 and sheen in [0, 1]")
    out = x.clone()
    with torch.autocast(x.device.type, enabled=False):  # fp16 would band the soft tones
        for i in range(x.shape[0]):
            box = _bbox(mask[i, 0] > 0.02, pad=4)
            if box is not None:
                y0, y1, x0, x1 = _divisible(box, x.shape[2], x.shape[3])
                crop = (slice(i, i + 1), slice(None), slice(y0, y1), slice(x0, x1))
                painted = _paint_one(x[crop].float(), mask[crop].float(), tones, sheen)
                out[crop] = painted.to(x.dtype)
    return out


def _divisible(box: tuple[int, int, int, int], h: int, w: int) -> tuple[int, int, int, int]:
    """The box grown (inside h x w where it can) to sides that the work-size shrink divides."""
    y0, y1, x0, x1 = box
    f = _work_factor(y1 - y0, x1 - x0)
    y1, x1 = y0 + -(-(y1 - y0) // f) * f, x0 + -(-(x1 - x0) // f) * f
    y0, x0 = max(0, y0 - max(0, y1 - h)), max(0, x0 - max(0, x1 - w))
    return y0, min(y1, h), x0, min(x1, w)


def _work_factor(h: int, w: int) -> int:
    """Integer shrink that brings the longer side of an h x w box to _WORK_SIDE or under."""
    return max(1, math.ceil(max(h, w) / _WORK_SIDE))


def _bbox(present: torch.Tensor, pad: int) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) around the set pixels of an (H, W) bool map, grown by pad; None if none."""
    rows = torch.nonzero(present.any(1)).flatten()
    if rows.numel() == 0:
        return None
    cols = torch.nonzero(present.any(0)).flatten()
    h, w = present.shape
    y0, y1 = max(0, int(rows[0]) - pad), min(h, int(rows[-1]) + 1 + pad)
    return y0, y1, max(0, int(cols[0]) - pad), min(w, int(cols[-1]) + 1 + pad)


def _window_max(x: torch.Tensor, r: int) -> torch.Tensor:
    """Maximum over a (2r+1)^2 window (edge-clamped) of (N, C, H, W), by shifted maxima.

    torch's CPU max_pool2d is several times slower than these few elementwise maxima.
    """
    for dim in (-1, -2):
        y = x.clone()
        n = x.shape[dim]
        for s in range(1, min(r, n - 1) + 1):
            torch.maximum(
                y.narrow(dim, 0, n - s), x.narrow(dim, s, n - s), out=y.narrow(dim, 0, n - s)
            )
            torch.maximum(
                y.narrow(dim, s, n - s), x.narrow(dim, 0, n - s), out=y.narrow(dim, s, n - s)
            )
        x = y
    return x


def silhouette_ink(mask: torch.Tensor, width: torch.Tensor | float) -> torch.Tensor:
    """Anti-aliased line coverage (N, 1, H, W) in [0, 1] along a soft mask's 0.5 iso-contour.

    mask is (N, 1, H, W) in [0, 1]; width is the line width in pixels, a float or an (N,) tensor
    (one per image). The mask is blurred (sigma grows with the width so that its ramp spans the
    line) and the distance to the contour is read off the ramp as if it were a Gaussian-blurred
    step m = Phi(d / s): with u = Phi^-1(m), d = |u| phi(u) / |grad m|, exact for such a step
    whatever its softness s, and |m - 0.5| / |grad m| to first order. Coverage is 1 within width / 2 and
    falls off linearly over one pixel (lines under a pixel wide fade instead). Raises
    ValueError on bad shapes or a negative width.
    """
    if mask.ndim != 4 or mask.shape[1] != 1:
        raise ValueError(f"mask must be (N, 1, H, W), got {tuple(mask.shape)}")
    n = mask.shape[0]
    widths = torch.as_tensor(width, dtype=torch.float64).flatten().cpu()
    if widths.numel() == 1:
        widths = widths.expand(n)
    if widths.numel() != n or bool((widths < 0).any()) or not bool(torch.isfinite(widths).all()):
        raise ValueError(f"width must be a finite non-negative float or ({n},) tensor")
    out = torch.zeros_like(mask)
    for i in range(n):
        wd = float(widths[i])
        sigma = max(1.2, 0.5 * wd)
        margin = math.ceil(3 * sigma + wd) + 2
        box = _bbox((mask[i, 0] > 0.01) & (mask[i, 0] < 0.99), pad=margin)
        if box is None or wd == 0:
            continue
        y0, y1, x0, x1 = box
        m = _blur(mask[i : i + 1, :, y0:y1, x0:x1].float(), sigma).clamp_(1e-6, 1 - 1e-6)
        gx, gy = _gradient(m)
        grad = gx.mul_(gx).add_(gy.mul_(gy)).sqrt_().clamp_min_(1e-9)
        u = torch.erfinv(m * 2 - 1).mul_(math.sqrt(2.0))  # the probit of m
        dist = u.abs().mul_(torch.exp(u * u * -0.5)).div_(grad * math.sqrt(2 * math.pi))
        cover = dist.neg_().add_(0.5 * wd + 0.5).clamp_(0.0, 1.0).mul_(min(1.0, wd))
        # The distance is local guesswork: draw only where the 0.5 level is really within reach
        # (a bump that never reaches 0.5 would otherwise get a line around it).
        hi, lo = _window_max(torch.cat([m, -m], 1), math.ceil(0.5 * wd + 1)).unbind(1)
        lo = -lo
        cover.mul_(((hi - 0.5) * 20).clamp_(0, 1)).mul_(((0.5 - lo) * 20).clamp_(0, 1))
        out[i : i + 1, :, y0:y1, x0:x1] = cover.to(mask.dtype)
    return out
