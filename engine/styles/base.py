"""The contract every stylization pipeline implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

__all__ = ["Style"]


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
