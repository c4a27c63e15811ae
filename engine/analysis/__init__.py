"""Person and face analysis (offline, CPU, numpy in and out) for person-aware styling."""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Callable

import numpy as np

from engine.analysis.eyes import eye_aspect_ratio, mean_eye_aspect_ratio
from engine.analysis.parts import draw_part_masks
from engine.analysis.temporal import FaceTracker, OneEuroFilter, smooth_analyses
from engine.analysis.types import (
    FACE_PARTS,
    MAX_FACES,
    Face,
    PersonAnalysis,
    PersonAnalyzer,
    check_max_faces,
)

__all__ = [
    "FACE_PARTS",
    "MAX_FACES",
    "Face",
    "FaceTracker",
    "OneEuroFilter",
    "PersonAnalysis",
    "PersonAnalyzer",
    "build_analyzer",
    "draw_part_masks",
    "eye_aspect_ratio",
    "mean_eye_aspect_ratio",
    "mediapipe_available",
    "person_masker",
    "smooth_analyses",
]

log = logging.getLogger(__name__)

_warned = False


def mediapipe_available() -> bool:
    """Whether the optional mediapipe package can be imported."""
    return importlib.util.find_spec("mediapipe") is not None


def build_analyzer(max_faces: int = MAX_FACES) -> PersonAnalyzer | None:
    """A mediapipe-backed analyzer, or None (warning once per process) when it is unavailable.

    max_faces: faces kept per image, the most confident first; ValueError unless 1..256 (raised
    even when mediapipe is missing, so a bad setting shows on every machine).
    """
    global _warned
    check_max_faces(max_faces)
    try:
        if not mediapipe_available():
            raise ImportError("mediapipe is not installed")
        from engine.analysis.mediapipe_backend import MediapipeAnalyzer

        return MediapipeAnalyzer(max_faces)
    except Exception as exc:  # any import-time failure of the native wheel means "unavailable"
        if not _warned:
            _warned = True
            log.warning(
                "person analysis unavailable (%s); styling whole images instead. "
                "See README, 'Person-aware webtoon', to install mediapipe.",
                exc,
            )
        return None


def person_masker() -> Callable[[list[np.ndarray]], list[np.ndarray]]:
    """Images -> soft person masks; the analyzer is built on first use, all-zero if unavailable."""
    lock = threading.Lock()
    state: dict[str, PersonAnalyzer | None] = {}

    def masks(images: list[np.ndarray]) -> list[np.ndarray]:
        with lock:
            if "analyzer" not in state:
                state["analyzer"] = build_analyzer()
        analyzer = state["analyzer"]
        if analyzer is None:  # degrade: the background style everywhere, as warned once
            return [np.zeros(im.shape[:2], np.float32) for im in images]
        return [analyzer.analyze(im).person_mask for im in images]

    return masks
