"""Person and face analysis (offline, CPU, numpy in and out) for person-aware styling."""

from __future__ import annotations

import importlib.util
import logging

from engine.analysis.types import FACE_PARTS, Face, PersonAnalysis, PersonAnalyzer

__all__ = [
    "FACE_PARTS",
    "Face",
    "PersonAnalysis",
    "PersonAnalyzer",
    "build_analyzer",
    "mediapipe_available",
]

log = logging.getLogger(__name__)

_warned = False


def mediapipe_available() -> bool:
    """Whether the optional mediapipe package can be imported."""
    return importlib.util.find_spec("mediapipe") is not None


def build_analyzer() -> PersonAnalyzer | None:
    """A mediapipe-backed analyzer, or None (warning once per process) when it is unavailable."""
    global _warned
    try:
        if not mediapipe_available():
            raise ImportError("mediapipe is not installed")
        from engine.analysis.mediapipe_backend import MediapipeAnalyzer

        return MediapipeAnalyzer()
    except Exception as exc:  # any import-time failure of the native wheel means "unavailable"
        if not _warned:
            _warned = True
            log.warning(
                "person analysis unavailable (%s); styling whole images instead. "
                "See README, 'Person-aware webtoon', to install mediapipe.",
                exc,
            )
        return None
