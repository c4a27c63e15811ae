"""The contract every stylization pipeline implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from engine.analysis.types import PersonAnalysis, PersonAnalyzer

__all__ = ["AnalyzingStyle", "GuidedStyle", "Style"]


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
    # True for generators that normalise over the whole picture: they would see the bucket
    # padding, so the engine batches their jobs only with images of exactly the same size.
    needs_exact_size: bool

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Stylize a batch."""
        ...


@runtime_checkable
class GuidedStyle(Style, Protocol):
    """A Style that wants per-image guide maps computed on the CPU before batching.

    The worker calls prepare() on the original HxWx3 uint8 images, pads and stacks what it
    returns (one float32 (C, H, W) array per image) like the images, and passes the stack as
    guides. prepare() returning None means "no guides": the style is then called without them.
    When jobs carry a PersonAnalysis (Job.analysis), the worker passes them as `analyses`, one
    per image (None where a job has none), and prepare() uses them instead of analysing those
    images; without any, the worker calls prepare(images) alone.
    """

    def prepare(
        self,
        images: Sequence[np.ndarray],
        analyses: Sequence[PersonAnalysis | None] | None = None,
    ) -> list[np.ndarray] | None:
        """Per-image (C, H, W) float32 guide maps, or None."""
        ...

    def __call__(self, images: torch.Tensor, guides: torch.Tensor | None = None) -> torch.Tensor:
        """Stylize a batch, with guides (N, C, H, W) on the same device when prepared."""
        ...


@runtime_checkable
class AnalyzingStyle(GuidedStyle, Protocol):
    """A GuidedStyle whose guides come from a PersonAnalyzer it can hand out.

    Callers that see an image sequence (the video path) analyze the frames themselves with it,
    smooth the landmarks over time and pass the results to prepare() through Job.analysis.
    """

    def analyzer(self) -> PersonAnalyzer | None:
        """The analyzer prepare() would use, or None when the style analyzes nothing."""
        ...
