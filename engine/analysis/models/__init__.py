"""The bundled ONNX face models (mediapipe 0.10.14's, converted; see NOTICE here).

Kept importable without onnxruntime so availability checks stay cheap.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["MODEL_DIR", "MODEL_FILES", "model_files_present"]

MODEL_DIR = Path(__file__).resolve().parent
# Role -> file name; tools/convert_mediapipe_models.py writes them.
MODEL_FILES = {
    "detector": "face_detection_full_range.onnx",
    "mesh": "face_landmark_with_attention.onnx",
    "segmenter": "selfie_segmentation.onnx",
}


def model_files_present(model_dir: Path | None = None) -> bool:
    """Whether every model file is in model_dir (default MODEL_DIR, looked up at call time so
    tests can point it elsewhere); no onnxruntime session is built."""
    folder = Path(model_dir) if model_dir is not None else MODEL_DIR
    return all((folder / name).is_file() for name in MODEL_FILES.values())
