"""Eye openness through the real video path: input frames vs frames of the stylized mp4.

Used by `bench/look.py --ear` and docs/make_portraits.py. The clip goes through
engine.video.toon_video with an Engine (person-aware, temporal stabilization on), exactly as
the bots send videos; the output mp4 is decoded back with PyAV and both frame sets are analyzed
with one face-mesh analyzer.
"""

from __future__ import annotations

import asyncio
import io
import math
import statistics
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

from bench.look_metrics import eye_aspect_ratio, pearson
from engine.analysis import PersonAnalyzer, build_analyzer
from engine.config import EngineConfig
from engine.engine import Engine
from engine.video import VideoLimits, toon_video
from engine.video.codec import FrameReader

__all__ = ["ClipRun", "ear_series", "run_ear", "toon_clip"]


class ClipRun:
    """Input frames (as the engine saw them), decoded output frames and the run's figures."""

    def __init__(self, inputs: list[np.ndarray], outputs: list[np.ndarray], info: dict[str, Any]):
        self.inputs = inputs
        self.outputs = outputs
        self.info = info


async def _toon(
    clip: bytes, style: str, device: str, limits: VideoLimits
) -> tuple[bytes, dict[str, Any]]:
    cfg = EngineConfig(device=device, person_aware=True)  # type: ignore[arg-type]
    async with Engine(cfg) as engine:
        started = time.perf_counter()
        result = await toon_video(engine, clip, style, "bench", limits)
        seconds = time.perf_counter() - started
    return result.data, {
        "frames": result.frames,
        "fps_processing": result.frames / seconds,
        "warping_error_naive": result.warping_error_naive,
        "warping_error": result.warping_error,
    }


def _decode(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data), mode="r") as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def toon_clip(path: Path, style: str = "webtoon", device: str = "cpu") -> ClipRun:
    """Stylize a clip through toon_video; return input and output frames (same size, in order)."""
    clip = path.read_bytes()
    limits = VideoLimits()
    reader = FrameReader(clip, limits)
    try:
        inputs = [rgb for rgb, _ in reader.read(limits.max_frames)]
    finally:
        reader.close()
    data, info = asyncio.run(_toon(clip, style, device, limits))
    outputs = _decode(data)
    return ClipRun(inputs, outputs, info)


def ear_series(analyzer: PersonAnalyzer, frames: list[np.ndarray]) -> list[float]:
    """Mean of both eyes' aspect ratio of each frame's largest meshed face; NaN without one."""
    out = []
    for rgb in frames:
        faces = [f for f in analyzer.analyze(rgb).faces if f.landmarks is not None]
        if not faces:
            out.append(math.nan)
            continue
        right, left = eye_aspect_ratio(max(faces, key=lambda f: f.size).landmarks)  # type: ignore[arg-type]
        out.append((right + left) / 2.0)
    return out


def run_ear(path: Path, style: str, device: str) -> dict[str, Any]:
    """EAR per frame on input and output, their Pearson correlation, frames without a face."""
    analyzer = build_analyzer()
    if analyzer is None:
        raise SystemExit(
            "EAR needs the face mesh: the bundled face models failed to load (see README)"
        )
    run = toon_clip(path, style, device)
    n = min(len(run.inputs), len(run.outputs))
    if len(run.inputs) != len(run.outputs):
        print(f"warning: {len(run.inputs)} input frames but {len(run.outputs)} output frames")
    ear_in = ear_series(analyzer, run.inputs[:n])
    ear_out = ear_series(analyzer, run.outputs[:n])
    r = pearson(ear_in, ear_out)
    no_out = sum(math.isnan(v) for v in ear_out)
    no_in = sum(math.isnan(v) for v in ear_in)
    h, w = run.inputs[0].shape[:2]
    print(
        f"clip {path.name} {w}x{h}, {n} frames, style {style}, {run.info['fps_processing']:.2f} fps"
    )
    print(f"{'frame':>5} {'EAR in':>7} {'EAR out':>7}")
    for i, (a, b) in enumerate(zip(ear_in, ear_out, strict=True)):
        print(f"{i:>5} {a:>7.3f} {b:>7.3f}")
    finite_in = [v for v in ear_in if not math.isnan(v)]
    print(
        f"Pearson r = {r:.3f} (target >= 0.9); output frames without a face: {no_out}/{n} "
        f"(input: {no_in}); input EAR range {min(finite_in, default=math.nan):.3f}-"
        f"{max(finite_in, default=math.nan):.3f}, median {statistics.median(finite_in) if finite_in else math.nan:.3f}"
    )
    return {
        "clip": path.name,
        "size": [w, h],
        "style": style,
        "frames": n,
        "pearson": r,
        "no_face_output": no_out,
        "no_face_input": no_in,
        "ear_in": [round(v, 4) for v in ear_in],
        "ear_out": [round(v, 4) for v in ear_out],
        "video": run.info,
    }
