"""Rank-order filters on batched planes: max, min, median, and sampled quantiles.

Every function takes float tensors (N, C, H, W) and treats each image independently. On CPU
float32 the neighbourhood filters run in OpenCV (several times faster than torch's pooling
there); elsewhere in torch.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["max_filter", "median_blur", "min_filter", "sampled_quantile"]


def max_filter(x: torch.Tensor, r: int) -> torch.Tensor:
    """Grey dilation of (N, C, H, W) by a (2r+1)-square (borders ignored, as in max pooling).

    OpenCV's dilate on CPU float32 (~50x faster than torch's pooling there), else two 1-D
    max pools (the square is separable).
    """
    if x.device.type == "cpu" and x.dtype == torch.float32:
        n, c, h, w = x.shape
        planes = x.detach().reshape(n * c, h, w).contiguous().numpy()
        out = torch.empty(n * c, h, w)
        kernel = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
        for src, dst in zip(planes, out.numpy(), strict=True):
            cv2.dilate(src, kernel, dst=dst)
        return out.view(n, c, h, w)
    x = F.max_pool2d(x, (1, 2 * r + 1), stride=1, padding=(0, r))
    return F.max_pool2d(x, (2 * r + 1, 1), stride=1, padding=(r, 0))


def min_filter(x: torch.Tensor, r: int) -> torch.Tensor:
    """Grey erosion of (N, C, H, W) by a (2r+1)-square (see max_filter)."""
    return max_filter(x.neg(), r).neg_()


def median_blur(x: torch.Tensor, size: int = 3) -> torch.Tensor:
    """size x size median (size 3 or 5) of every plane of x (N, C, H, W), borders replicated.

    Removes dots and threads narrower than size // 2 + 1 px and keeps edges. OpenCV's
    medianBlur on CPU float32, else the median of the shifted copies (unfold).
    """
    if size not in (3, 5):
        raise ValueError("size must be 3 or 5")
    n, c, h, w = x.shape
    if x.device.type == "cpu" and x.dtype == torch.float32:
        planes = x.detach().reshape(n * c, h, w).contiguous().numpy()
        out = torch.empty(n * c, h, w)
        for src, dst in zip(planes, out.numpy(), strict=True):
            cv2.medianBlur(src, size, dst=dst)
        return out.view(n, c, h, w)
    r = size // 2
    padded = F.pad(x.reshape(n * c, 1, h, w), (r, r, r, r), mode="replicate")
    taps = F.unfold(padded, size).view(n * c, size * size, h, w)
    return taps.median(dim=1).values.view(n, c, h, w)


def sampled_quantile(x: torch.Tensor, q: float | list[float], samples: int = 8192) -> torch.Tensor:
    """Per-image quantiles of x (N, ...) from a strided subset of at most ~`samples` values.

    Shape (N,) for one q, (len(q), N) for a list. A regular stride over the flattened image
    is deterministic and, on photos, within a fraction of a percentile of the exact value at
    a fraction of torch.quantile's full sort.
    """
    flat = x.reshape(x.shape[0], -1)
    step = max(1, flat.shape[1] // samples)
    sub = flat[:, ::step]
    n = sub.shape[1]
    # torch.quantile's linear interpolation between order statistics, from two selections
    # (k-th value) per quantile instead of a full sort: ~5x faster on 8192 values.
    out = []
    for p in [q] if isinstance(q, float) else q:
        pos = p * (n - 1)
        lo = int(pos)
        below = torch.kthvalue(sub, lo + 1, dim=1).values
        if pos > lo:
            above = torch.kthvalue(sub, min(n, lo + 2), dim=1).values
            below = torch.lerp(below, above, pos - lo)
        out.append(below)
    return out[0] if isinstance(q, float) else torch.stack(out)
