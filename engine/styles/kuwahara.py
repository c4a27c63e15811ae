"""Anisotropic Kuwahara filtering: painterly, structure-following flat fills."""

from __future__ import annotations

import functools
import math

import torch

from engine.styles import filters as flt
from engine.styles.flow import EdgeFlow, sample_offsets

__all__ = ["anisotropic_kuwahara", "sector_weights"]

SECTORS = 8


@functools.lru_cache(maxsize=8)
def sector_weights(grid: int, sectors: int = SECTORS) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample offsets on the unit disk (S, 2) and each sector's weights over them (K, S).

    The offsets are a grid x grid lattice clipped to the disk. Sector k's weight is a raised
    cosine in angle around k * 2 pi / K (neighbouring sectors overlap and sum to 1, as in
    Papari et al.'s smooth sectors) times a Gaussian in radius; the centre sample belongs to
    every sector alike. Each row sums to 1.
    """
    ticks = torch.linspace(-1.0, 1.0, grid, dtype=torch.float64)
    vv, uu = torch.meshgrid(ticks, ticks, indexing="ij")
    inside = uu.square() + vv.square() <= 1.0 + 1e-9
    u, v = uu[inside], vv[inside]
    radius = torch.hypot(u, v)
    angle = torch.atan2(v, u)
    centres = torch.arange(sectors, dtype=torch.float64) * (2.0 * math.pi / sectors)
    diff = torch.remainder(angle[None] - centres[:, None] + math.pi, 2.0 * math.pi) - math.pi
    half = math.pi / sectors * 2.0  # lobes reach the neighbouring sectors' centres
    ang = torch.where(
        diff.abs() < half, 0.5 * (1.0 + torch.cos(diff * (math.pi / half))), torch.zeros(())
    )
    ang = torch.where(radius[None] < 1e-9, torch.full_like(ang, 1.0 / sectors), ang)
    weights = ang * torch.exp(-0.5 * (radius / 0.5) ** 2)[None]
    weights = weights / weights.sum(dim=1, keepdim=True)
    return torch.stack([u, v], dim=1).float(), weights.float()


def anisotropic_kuwahara(
    x: torch.Tensor,
    flow: EdgeFlow,
    radius: float,
    *,
    grid: int = 7,
    sharpness: float = 8.0,
    alpha: float = 1.0,
) -> torch.Tensor:
    """Anisotropic Kuwahara filter of x (N, C, H, W) in [0, 1], same shape.

    After Kyprianidis, Kang and Doellner, "Image and Video Abstraction by Anisotropic Kuwahara
    Filtering" (Pacific Graphics 2009): each pixel looks at an ellipse aligned with the edge
    tangent flow (long axis radius * (alpha + A) / alpha along the flow, short axis
    radius * alpha / (alpha + A) across it, A = flow.anisotropy), split into 8 smooth
    sectors; the output is the sectors' means weighted by 1 / std^sharpness, so the calmest
    sector wins and edges stay sharp while texture becomes flat, brush-like patches. The std
    is luma's for RGB input (the paper sums the channels'; luma costs a third and changed
    the test scenes by under half a level on average), else summed over the channels.

    The ellipse is sampled at a fixed grid x grid lattice in its own frame (one grid_sample
    for all samples), which makes every sector mean a fixed linear combination of the
    samples: two matrix products. radius is in pixels of x; flow must be on x's grid (a
    shape mismatch raises RuntimeError from torch).
    """
    offsets, weights = sector_weights(grid)
    # The centre sample is x itself, shared by every sector: only the others are sampled.
    # (Even grids have no centre sample: then its weight is zero.)
    centre = offsets.abs().sum(dim=1) < 1e-6
    centre_w = weights[:, centre].sum(dim=1).to(x).view(1, -1, 1)  # (1, K, 1)
    weights = weights[:, ~centre].to(x)
    tangent = flow.tangent
    normal = torch.stack([-tangent[:, 1], tangent[:, 0]], dim=1)
    stretch = flow.anisotropy.add(alpha).div_(alpha)
    samples = sample_offsets(
        x, (tangent * stretch * radius, normal * (radius / stretch)), offsets[~centre].to(x)
    )
    n, c, s, h, w = samples.shape
    flat = samples.view(n * c, s, h * w)
    here = x.reshape(n * c, 1, h * w)
    means = torch.matmul(weights, flat).addcmul_(centre_w, here)  # (N*C, K, HW)
    # mul, not square/pow: the generic pow kernel is ~2x slower on CPU.
    if c == 3:  # the variance of luma: a third of the products of the channels' sum
        lum = flt.rgb_to_luma(samples.view(n, c, s * h, w)).view(n, s, h * w)
        lum_here = flt.rgb_to_luma(x).view(n, 1, h * w)
        lum_means = flt.rgb_to_luma(means.view(n, c, -1, h * w)).view(n, -1, h * w)
        power = torch.matmul(weights, torch.mul(lum, lum))
        power.addcmul_(centre_w, torch.mul(lum_here, lum_here))
        var = power.sub_(torch.mul(lum_means, lum_means))
    else:
        power = torch.matmul(weights, torch.mul(flat, flat)).addcmul_(centre_w, here * here)
        var = power.sub_(torch.mul(means, means)).view(n, c, -1, h * w).sum(dim=1)
    var = var.clamp_(min=0.0)
    # 1 / std^q, computed in logs against each pixel's calmest sector so it never overflows.
    log_std = var.add_(1e-6).log_().mul_(0.5 * sharpness)
    # Clamped so that losing sectors get ~1e-13, never denormals (slow on CPU).
    alpha_k = torch.exp((log_std.amin(dim=1, keepdim=True) - log_std).clamp_(min=-30.0))
    alpha_k = alpha_k.div_(alpha_k.sum(dim=1, keepdim=True))
    # One fused multiply-add per sector: a broadcast product and sum over K is ~5x slower.
    means = means.view(n, c, -1, h * w)
    out = means[:, :, 0] * alpha_k[:, 0:1]
    for k in range(1, means.shape[2]):
        out.addcmul_(means[:, :, k], alpha_k[:, k : k + 1])
    return out.view(n, c, h, w)
