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
    "analysis_available",
    "build_analyzer",
    "draw_part_masks",
    "eye_aspect_ratio",
    "mean_eye_aspect_ratio",
    "person_masker",
    "smooth_analyses",
]

log = logging.getLogger(__name__)

_warned = False


def analysis_available() -> bool:
    """Whether onnxruntime can be imported and the bundled face models are present (cheap: no
    session is built; a corrupt model shows only when build_analyzer() loads it)."""
    if importlib.util.find_spec("onnxruntime") is None:
        return False
    from engine.analysis.models import model_files_present

    return model_files_present()


def build_analyzer(max_faces: int = MAX_FACES) -> PersonAnalyzer | None:
    """An analyzer on the bundled ONNX face models (engine.analysis.onnx_backend), its sessions
    loaded, or None (warning once per process) when they cannot be: onnxruntime missing, a
    model file missing or corrupt.

    max_faces: faces kept per image, the most confident first; ValueError unless 1..256 (raised
    even when the models are unavailable, so a bad setting shows on every machine).
    """
    global _warned
    check_max_faces(max_faces)
    try:
        if not analysis_available():
            raise FileNotFoundError("onnxruntime or the bundled face models are missing")
        from engine.analysis.onnx_backend import OnnxAnalyzer

        analyzer = OnnxAnalyzer(max_faces)
        analyzer.models.load()
        return analyzer
    except Exception as exc:  # a broken install means "unavailable", never a failed job
        if not _warned:
            _warned = True
            log.warning(
                "person analysis unavailable (%s); styling whole images instead. "
                "See README, 'Person-aware webtoon'.",
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
