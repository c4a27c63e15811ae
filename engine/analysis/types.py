"""What person analysis returns, and the contract an analyzer implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = [
    "FACE_PARTS",
    "MAX_FACES",
    "MAX_FACES_LIMIT",
    "Face",
    "PersonAnalysis",
    "PersonAnalyzer",
    "check_max_faces",
]

# Names of the face parts engine.analysis.parts.draw_part_masks can rasterize.
FACE_PARTS: tuple[str, ...] = ("eyes", "brows", "mouth")
# Faces an analyzer keeps per image by default, and the most it may be asked to keep.
MAX_FACES = 32
MAX_FACES_LIMIT = 256


def check_max_faces(value: int) -> int:
    """`value` if it is an int in 1..MAX_FACES_LIMIT; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_FACES_LIMIT:
        raise ValueError(
            f"max_faces must be an integer between 1 and {MAX_FACES_LIMIT}, not {value!r}"
        )
    return value


@dataclass(frozen=True)
class Face:
    """One face found in an image.

    bbox: (x0, y0, x1, y1) in image pixels; the landmarks' extent when the mesh fitted, else
    the detector's box (both clipped to the image).
    landmarks: (478, 2) float32 face-mesh points in image pixels (x, y), or None when the mesh
    found no face in the detection's crop.
    score: the face detector's confidence in [0, 1] (1.0 for faces built by hand).
    mesh_fit: intersection over union in [0, 1] of the landmarks' bounding box and the
    detector's box; low means the mesh locked onto something else (a neighbour in a crowd, a
    profile). 1.0 for faces built by hand, 0.0 when there are no landmarks.
    """

    bbox: tuple[float, float, float, float]
    landmarks: np.ndarray | None = None
    score: float = 1.0
    mesh_fit: float = 1.0

    @property
    def size(self) -> float:
        """Longer side of the bbox in pixels."""
        return max(self.bbox[2] - self.bbox[0], self.bbox[3] - self.bbox[1])

    @property
    def centre(self) -> tuple[float, float]:
        """Centre (x, y) of the bbox in pixels."""
        return (self.bbox[0] + self.bbox[2]) / 2, (self.bbox[1] + self.bbox[3]) / 2


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
