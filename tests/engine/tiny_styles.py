"""Tiny real torch styles for tests: an identity, and seeded convolutions for engines built
somewhere else (a Ray replica)."""

from __future__ import annotations

import torch

from engine.config import EngineConfig
from engine.engine import Engine

__all__ = ["Identity", "TinyConv", "identity_engine", "tiny_styles"]


class Identity:
    """A style that returns its input: what comes out is what the reader decoded."""

    name = "identity"
    description = "test double"
    needs_exact_size = False

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return images


def identity_engine() -> Engine:
    """A CPU engine (batches of up to 4) whose one style, "identity", changes nothing."""
    config = EngineConfig(device="cpu", max_batch_size=4, max_wait_ms=2.0)
    return Engine(config, {"identity": Identity()})


class TinyConv:
    """A 3x3 convolution with fixed seeded weights: a real model, no weights to download."""

    description = "tiny seeded convolution (tests only)"
    needs_exact_size = False

    def __init__(self, name: str = "tiny", seed: int = 7) -> None:
        self.name = name
        generator = torch.Generator().manual_seed(seed)
        self._conv = torch.nn.Conv2d(3, 3, 3, padding=1)
        with torch.no_grad():
            self._conv.weight.copy_(torch.randn(self._conv.weight.shape, generator=generator) * 0.2)
            self._conv.bias.copy_(torch.full((3,), 0.1))

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Convolve and squash back into [0, 1]."""
        return torch.sigmoid(self._conv(images.float()))


def tiny_styles() -> dict[str, TinyConv]:
    """The styles factory a test deployment names as "tests.engine.tiny_styles:tiny_styles"."""
    return {"tiny": TinyConv("tiny", seed=7), "other": TinyConv("other", seed=8)}
