"""Eye openness from face-mesh landmarks."""

from __future__ import annotations

import numpy as np

from engine.analysis.landmarks import EYES, MESH_POINTS

__all__ = ["eye_aspect_ratio", "mean_eye_aspect_ratio"]


def eye_aspect_ratio(landmarks: np.ndarray) -> tuple[float, float]:
    """Eye aspect ratio (right, left) of one face (the subject's right eye first).

    Soukupová and Čech, "Real-Time Eye Blink Detection using Facial Landmarks" (CVWW 2016):
    EAR = (|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|) over the six points in EYES[...].ear_points.
    It is scale- and rotation-free: about 0.25-0.35 for an open eye on the face mesh, falling
    toward 0 as the lids close; 0.0 for a degenerate eye (coinciding corners).

    landmarks: (478, 2) (or (478, 3); only x and y are used) points in any unit.
    Raises ValueError for another shape.
    """
    pts = np.asarray(landmarks, np.float64)
    if pts.ndim != 2 or pts.shape[0] != MESH_POINTS or pts.shape[1] < 2:
        raise ValueError(f"landmarks must be ({MESH_POINTS}, 2), not {pts.shape}")
    right, left = (_ear(pts[list(EYES[side].ear_points), :2]) for side in ("right", "left"))
    return right, left


def mean_eye_aspect_ratio(landmarks: np.ndarray) -> float:
    """The mean of both eyes' aspect ratios (see eye_aspect_ratio)."""
    right, left = eye_aspect_ratio(landmarks)
    return (right + left) / 2.0


def _ear(p: np.ndarray) -> float:
    p1, p2, p3, p4, p5, p6 = p
    width = float(np.linalg.norm(p1 - p4))
    if width <= 1e-9:
        return 0.0
    return float((np.linalg.norm(p2 - p6) + np.linalg.norm(p3 - p5)) / (2.0 * width))
