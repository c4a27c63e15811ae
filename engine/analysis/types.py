"""What person analysis returns, and the contract an analyzer implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

__all__ = ["FACE_PARTS", "Face", "PersonAnalysis", "PersonAnalyzer"]

# Names of the optional per-face part masks.
FACE_PARTS: tuple[str, ...] = ("eyes", "brows", "mouth")


@dataclass(frozen=True)
class Face:
    """One face: pixel bbox (x0, y0, x1, y1), optional (K, 2) landmarks and part masks.

    parts maps a name from FACE_PARTS to an HxW float32 mask in [0, 1] of that image.
    """

    bbox: tuple[float, float, float, float]
    landmarks: np.ndarray | None = None
    parts: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def size(self) -> float:
        """Longer side of the bbox in pixels."""
        return max(self.bbox[2] - self.bbox[0], self.bbox[3] - self.bbox[1])


@dataclass(frozen=True)
class PersonAnalysis:
    """Soft person mask (HxW float32 in [0, 1]) and the faces found in one image."""

    person_mask: np.ndarray
    faces: tuple[Face, ...] = ()

    @classmethod
    def empty(cls, height: int, width: int) -> PersonAnalysis:
        """No person and no face in an image of this size."""
        return cls(np.zeros((height, width), np.float32), ())


class PersonAnalyzer(Protocol):
    """Finds people and faces; instances are used from one thread only."""

    def analyze(self, image: np.ndarray) -> PersonAnalysis:
        """Analyze an HxWx3 uint8 RGB image."""
        ...
