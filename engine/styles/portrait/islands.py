"""Separate boxes of a sparse mask, so per-face work scales with the faces, not the picture."""

from __future__ import annotations

import torch

__all__ = ["islands"]


def _runs(flags: torch.Tensor) -> list[tuple[int, int]]:
    """[start, stop) runs of True in a 1-D bool tensor."""
    idx = torch.nonzero(flags).flatten().tolist()
    runs: list[tuple[int, int]] = []
    for i in idx:
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def islands(mask: torch.Tensor) -> list[tuple[int, int, int, int]]:
    """Boxes (y0, y1, x0, x1) that together hold every True pixel of an (H, W) bool mask.

    The mask's row and column projections are cut where they are empty; each cell of that grid
    that holds pixels gives its own tight box. A group photo's faces thus come out as separate
    boxes instead of one box spanning the picture. Boxes never overlap.
    """
    boxes: list[tuple[int, int, int, int]] = []
    for r0, r1 in _runs(mask.any(dim=1)):
        band = mask[r0:r1]
        for c0, c1 in _runs(band.any(dim=0)):
            cell = band[:, c0:c1]
            rows = torch.nonzero(cell.any(dim=1)).flatten()
            boxes.append((r0 + int(rows[0]), r0 + int(rows[-1]) + 1, c0, c1))
    return boxes
