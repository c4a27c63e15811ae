"""Named landmark index sets of the 478-point face mesh (468 face points + 10 iris points).

The indices follow MediaPipe Face Mesh's canonical topology (Kartynnik et al., "Real-time
Facial Surface Geometry from Monocular Video on Mobile GPUs", 2019; iris points from Ablavatski
et al., 2020). "Right" and "left" are the subject's: on a photo facing the camera the subject's
right eye is on the image's left. Every sequence below is an ordered polyline, so it can be
drawn or filled directly.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "BROWS",
    "CHEEKS",
    "EYES",
    "FACE_OVAL",
    "IRIS_CENTRES",
    "IRIS_RINGS",
    "LIPS_INNER_LOWER",
    "LIPS_INNER_UPPER",
    "LIPS_OUTER_LOWER",
    "LIPS_OUTER_UPPER",
    "MESH_POINTS",
    "NOSE_BRIDGE",
    "NOSE_TIP",
    "NOSE_WINGS",
    "NOSTRILS",
    "Brow",
    "Eye",
]

MESH_POINTS = 478

# Closed loop around the face, clockwise on the image starting at the top of the forehead.
FACE_OVAL: tuple[int, ...] = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip


class Eye:
    """One eye: lid polylines from outer to inner corner, and the six EAR points.

    ear_points are (p1..p6) in Soukupová and Čech's order: outer corner, two upper-lid points,
    inner corner, two lower-lid points (p2 above p6, p3 above p5).
    """

    def __init__(
        self,
        upper: tuple[int, ...],
        lower: tuple[int, ...],
        iris_centre: int,
        iris_ring: tuple[int, ...],
        ear_points: tuple[int, int, int, int, int, int],
    ) -> None:
        self.upper = upper
        self.lower = lower
        self.outer, self.inner = upper[0], upper[-1]
        self.iris_centre = iris_centre
        self.iris_ring = iris_ring
        self.ear_points = ear_points

    @property
    def loop(self) -> tuple[int, ...]:
        """Closed outline: upper lid outer->inner, then lower lid inner->outer."""
        return self.upper + self.lower[-2:0:-1]


EYES: dict[str, Eye] = {
    "right": Eye(
        upper=(33, 246, 161, 160, 159, 158, 157, 173, 133),
        lower=(33, 7, 163, 144, 145, 153, 154, 155, 133),
        iris_centre=468,
        iris_ring=(469, 470, 471, 472),
        ear_points=(33, 160, 158, 133, 153, 144),
    ),
    "left": Eye(
        upper=(263, 466, 388, 387, 386, 385, 384, 398, 362),
        lower=(263, 249, 390, 373, 374, 380, 381, 382, 362),
        iris_centre=473,
        iris_ring=(474, 475, 476, 477),
        ear_points=(263, 387, 385, 362, 380, 373),
    ),
}
IRIS_CENTRES: tuple[int, int] = (468, 473)
IRIS_RINGS: tuple[tuple[int, ...], tuple[int, ...]] = ((469, 470, 471, 472), (474, 475, 476, 477))


class Brow:
    """One eyebrow: upper and lower edges, both from the outer (temple) end to the inner end."""

    def __init__(self, upper: tuple[int, ...], lower: tuple[int, ...]) -> None:
        self.upper = upper
        self.lower = lower

    @property
    def loop(self) -> tuple[int, ...]:
        """Closed outline: upper edge outer->inner, lower edge inner->outer."""
        return self.upper + self.lower[::-1]


BROWS: dict[str, Brow] = {
    "right": Brow(upper=(70, 63, 105, 66, 107), lower=(46, 53, 52, 65, 55)),
    "left": Brow(upper=(300, 293, 334, 296, 336), lower=(276, 283, 282, 295, 285)),
}

# Lips, each from the right mouth corner (61 / 78) to the left one (291 / 308).
LIPS_OUTER_UPPER: tuple[int, ...] = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER: tuple[int, ...] = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_INNER_UPPER: tuple[int, ...] = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER: tuple[int, ...] = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)

NOSE_TIP = 4
NOSE_BRIDGE: tuple[int, ...] = (168, 6, 197, 195, 5, 4)
# Alar wings (outer edges of the nostrils), right then left, and the nostril openings.
NOSE_WINGS: tuple[int, int] = (129, 358)
NOSTRILS: tuple[int, int] = (98, 327)
# Cheek centres (right, left): where blush goes.
CHEEKS: tuple[int, int] = (205, 425)


def indices(*groups: tuple[int, ...]) -> np.ndarray:
    """The sorted union of index groups as an intp array (for fancy indexing (478, 2) arrays)."""
    return np.array(sorted({i for g in groups for i in g}), np.intp)
