"""Video throughput (frames/s) at 540p and 720p, and warping error naive vs stabilized.

Run: .venv/bin/python bench/video.py [--frames 24] [--styles webtoon sketch] [--json PATH]
The clip is a slow pan across a scikit-image photo (camera motion, no scene cut), encoded to
H.264 in memory; timings are end to end: decode, stylize through the engine, stabilize, encode.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.config import EngineConfig
from engine.engine import Engine
from engine.job import Job
from engine.video import VideoLimits, toon_video

SIZES = {"540p": (960, 540), "720p": (1280, 720)}


def panned_clip(width: int, height: int, frames: int, fps: int = 24) -> bytes:
    """An H.264 mp4 panning 3 px per frame across the coffee photo."""
    from skimage import data

    src = cv2.resize(data.coffee(), (int(width * 1.3), int(height * 1.3)), cv2.INTER_CUBIC)
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            x, y = 3 * i, height // 10 + i
            crop = np.ascontiguousarray(src[y : y + height, x : x + width])
            out.mux(stream.encode(av.VideoFrame.from_ndarray(crop, format="rgb24")))
        out.mux(stream.encode(None))
    return buf.getvalue()


async def _run(
    style: str, clip: bytes, frames: int, cfg: EngineConfig, width: int
) -> dict[str, Any]:
    limits = VideoLimits(max_side=width)
    async with Engine(cfg) as engine:
        # Warm up (first-call allocations) so neither timed run pays for it.
        h, w = limits.max_side * 9 // 16, limits.max_side
        await engine.submit(Job(np.zeros((h, w, 3), np.uint8), style, user_id="warm"))
        started = time.perf_counter()
        naive = await toon_video(engine, clip, style, "bench", limits, stabilize=False)
        naive_s = time.perf_counter() - started
        started = time.perf_counter()
        stable = await toon_video(engine, clip, style, "bench", limits)
        stable_s = time.perf_counter() - started
    assert naive.frames == stable.frames == frames
    return {
        "fps_naive": frames / naive_s,
        "fps_stabilized": frames / stable_s,
        "warping_error_naive": stable.warping_error_naive,
        "warping_error_stabilized": stable.warping_error,
    }


def main() -> None:
    """Print a table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--styles", nargs="+", default=["webtoon", "sketch"])
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--json", type=Path, default=Path(__file__).parent / "results/video-cpu.json"
    )
    args = parser.parse_args()
    cfg = EngineConfig(device=args.device, person_aware=False)
    rows = []
    for label, (w, h) in SIZES.items():
        clip = panned_clip(w, h, args.frames)
        for style in args.styles:
            row = {
                "size": label,
                "style": style,
                **asyncio.run(_run(style, clip, args.frames, cfg, w)),
            }
            rows.append(row)
            print(
                f"{label:>5} {style:<8} {row['fps_naive']:6.2f} fps naive "
                f"{row['fps_stabilized']:6.2f} fps stabilized   warping error "
                f"{row['warping_error_naive']:.4f} naive -> {row['warping_error_stabilized']:.4f}",
                flush=True,
            )
    report = {
        "host": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "frames": args.frames,
        "person_aware": False,
        "rows": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
