"""The contract every stylization pipeline implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import torch

__all__ = ["GuidedStyle", "Style"]


@runtime_checkable
class Style(Protocol):
    """A batched image-to-image stylization.

    Input and output are float32 tensors of shape (N, 3, H, W), RGB, values in [0, 1],
    on the engine's device. Implementations must not depend on other images in the batch
    (batching is an optimisation, never a change of result) and must be pure functions
    of their input: no state carried between calls.
    """

    name: str
    description: str

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Stylize a batch."""
        ...


@runtime_checkable
class GuidedStyle(Style, Protocol):
    """A Style that wants per-image guide maps computed on the CPU before batching.

    The worker calls prepare() on the original HxWx3 uint8 images, pads and stacks what it
    returns (one float32 (C, H, W) array per image) like the images, and passes the stack as
    guides. prepare() returning None means "no guides": the style is then called without them.
    """

    def prepare(self, images: Sequence[np.ndarray]) -> list[np.ndarray] | None:
        """Per-image (C, H, W) float32 guide maps, or None."""
        ...

    def __call__(self, images: torch.Tensor, guides: torch.Tensor | None = None) -> torch.Tensor:
        """Stylize a batch, with guides (N, C, H, W) on the same device when prepared."""
        ...
