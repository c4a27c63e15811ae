"""Video throughput (frames/s) and warping error naive vs stabilized, whole-image and person-aware
paths, today (an earlier commit) against the working tree.

Run: .venv/bin/python bench/video.py [--frames 24] [--styles webtoon sketch]
     [--paths whole person] [--ref 6b73c5b | --ref ""] [--clip PATH ...] [--texture T]
     [--color C] [--json PATH]
Clips: a slow pan across a scikit-image photo at 540p and 720p (camera motion, no scene cut, no
person), encoded to H.264 in memory, plus each --clip (default: ../shared/portraits/
pexels_talking_head.mp4 when present). Timings are end to end: decode, stylize through the
engine, stabilize, encode. Paths: "whole" is an engine with person_aware=False, "person" the
default person-aware engine (person analysis per frame; only for person-aware styles). Warping
error (engine/video/stability.py): mean |out_t - warp(out_t-1)| in 0..1 over pixels whose input
motion is consistent, for the naive and the stabilized output.
With --ref, the same runs are made with the engine of that commit, checked out into a temporary
git worktree and run in a child process (this script with --engine-root); both sets of rows are
printed and written, "today" and "new". fps of the two checkouts come from runs minutes apart,
not alternated: compare them loosely; the warping errors do not depend on host load.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _engine_root() -> Path:
    """--engine-root from the command line (a child run for another checkout), else ROOT."""
    argv = sys.argv
    if "--engine-root" in argv[:-1]:
        return Path(argv[argv.index("--engine-root") + 1]).resolve()
    return ROOT


sys.path.insert(0, str(_engine_root()))

from engine.config import EngineConfig  # noqa: E402
from engine.engine import Engine  # noqa: E402
from engine.job import Job  # noqa: E402
from engine.video import VideoLimits, toon_video  # noqa: E402

__all__ = ["PERSON_STYLES", "SIZES", "clip_size", "main", "panned_clip"]

SIZES = {"540p": (960, 540), "720p": (1280, 720)}
PERSON_STYLES = ("webtoon", "manhwa")  # styles whose output depends on person_aware
TALKING_HEAD = ROOT.parent / "shared" / "portraits" / "pexels_talking_head.mp4"
DEFAULT_REF = "6b73c5b"  # before issue 12


def panned_clip(width: int, height: int, frames: int, fps: int = 24) -> bytes:
    """An H.264 mp4 panning 3 px per frame across the coffee photo."""
    from skimage import data

    coffee: Any = data.coffee  # skimage is untyped
    # Bilinear: the clip as it has always been made (INTER_CUBIC used to land in `dst`).
    size = (int(width * 1.3), int(height * 1.3))
    src = np.asarray(
        cv2.resize(np.asarray(coffee()), size, interpolation=cv2.INTER_LINEAR), np.uint8
    )
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


def clip_size(clip: bytes) -> tuple[int, int]:
    """(width, height) of a clip's first video stream."""
    with av.open(io.BytesIO(clip), mode="r") as container:
        stream = container.streams.video[0]
        return int(stream.width), int(stream.height)


def _options(texture: float | None, color: float | None) -> dict[str, Any]:
    """toon_video keyword options=StyleOptions(...) where this checkout takes them, else {}."""
    if texture is None and color is None:
        return {}
    if "options" not in inspect.signature(toon_video).parameters:
        print("note: this checkout's toon_video takes no options; --texture/--color ignored")
        return {}
    from engine.styles.options import StyleOptions

    return {"options": StyleOptions(texture=texture, color=color)}


async def _run(
    style: str, clip: bytes, cfg: EngineConfig, limits: VideoLimits, options: dict[str, Any]
) -> dict[str, Any]:
    w, h = clip_size(clip)
    scale = min(1.0, limits.max_side / max(w, h))
    async with Engine(cfg) as engine:
        # Warm up (first-call allocations, the person analyzer) so neither timed run pays for it.
        warm = np.zeros((round(h * scale), round(w * scale), 3), np.uint8)
        await engine.submit(Job(warm, style, user_id="warm"))
        started = time.perf_counter()
        naive = await toon_video(engine, clip, style, "bench", limits, stabilize=False, **options)
        naive_s = time.perf_counter() - started
        started = time.perf_counter()
        stable = await toon_video(engine, clip, style, "bench", limits, **options)
        stable_s = time.perf_counter() - started
    assert naive.frames == stable.frames
    return {
        "frames": stable.frames,
        "fps_naive": stable.frames / naive_s,
        "fps_stabilized": stable.frames / stable_s,
        "warping_error_naive": stable.warping_error_naive,
        "warping_error_stabilized": stable.warping_error,
    }


def _clips(frames: int, extra: list[Path]) -> list[tuple[str, str, bytes, VideoLimits]]:
    """(label, size, clip, limits): the two pans, then the extra clips at their own size."""
    clips = [
        (f"pan {label}", label, panned_clip(w, h, frames), VideoLimits(max_side=w))
        for label, (w, h) in SIZES.items()
    ]
    for p in extra:
        data = p.read_bytes()
        w, h = clip_size(data)
        clips.append((p.stem, f"{w}x{h}", data, VideoLimits()))
    return clips


def _measure(args: argparse.Namespace, checkout: str) -> list[dict[str, Any]]:
    options = _options(args.texture, args.color)
    rows = []
    for label, size, clip, limits in _clips(args.frames, args.clip):
        for style in args.styles:
            for path in args.paths:
                if path == "person" and style not in PERSON_STYLES:
                    continue
                cfg = EngineConfig(device=args.device, person_aware=path == "person")
                row: dict[str, Any] = {
                    "checkout": checkout,
                    "clip": label,
                    "size": size,
                    "style": style,
                    "path": path,
                }
                try:
                    row.update(asyncio.run(_run(style, clip, cfg, limits, options)))
                except Exception as exc:  # a broken look still leaves the other rows
                    row["error"] = f"{type(exc).__name__}: {exc}"
                rows.append(row)
                _print_row(row)
    return rows


def _print_row(row: dict[str, Any]) -> None:
    if "error" in row:
        print(
            f"{row['checkout']:5} {row['clip']:>20} {row['style']:<8} {row['path']:<6} "
            f"FAILED {row['error'][:300]}",
            flush=True,
        )
        return
    print(
        f"{row['checkout']:5} {row['clip']:>20} {row['style']:<8} {row['path']:<6} "
        f"{row['fps_naive']:6.2f} fps naive {row['fps_stabilized']:6.2f} fps stabilized   "
        f"warping error {row['warping_error_naive']:.4f} naive -> "
        f"{row['warping_error_stabilized']:.4f}",
        flush=True,
    )


def _ref_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The same runs with the engine at --ref, in a child process on a temporary worktree."""
    from bench.scene_ref import ref_worktree

    with ref_worktree(args.ref) as tree, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ref.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--engine-root", str(tree)]
        cmd += ["--ref", "", "--label", "today", "--json", str(out), "--frames", str(args.frames)]
        cmd += ["--styles", *args.styles, "--paths", *args.paths, "--device", args.device]
        cmd += ["--clip", *map(str, args.clip)] if args.clip else ["--no-clip"]
        subprocess.run(cmd, cwd=ROOT, check=True)
        rows: list[dict[str, Any]] = json.loads(out.read_text())["rows"]
    return rows


def _compare(rows: list[dict[str, Any]]) -> None:
    """Stabilized warping error, new / today, per clip, style and path."""
    today = {(r["clip"], r["style"], r["path"]): r for r in rows if r["checkout"] == "today"}
    print("\nstabilized warping error, today -> new (target: new <= today)")
    for r in rows:
        then = today.get((r["clip"], r["style"], r["path"]))
        if r["checkout"] != "new" or then is None:
            continue
        where = f"{r['clip']:>20} {r['style']:<8} {r['path']:<6}"
        if "error" in r or "error" in then:
            print(f"{where} no figure (a run failed)  FAIL")
            continue
        a, b = then["warping_error_stabilized"], r["warping_error_stabilized"]
        print(f"{where} {a:.5f} -> {b:.5f}  {'PASS' if b <= a else 'FAIL'}")


def main() -> None:
    """Print a table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=24, help="frames of each panned clip")
    parser.add_argument("--styles", nargs="+", default=["webtoon", "sketch"])
    parser.add_argument(
        "--paths", nargs="+", default=["whole", "person"], choices=["whole", "person"]
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--ref", default=DEFAULT_REF, help='earlier commit ("" = this tree only)')
    parser.add_argument("--clip", type=Path, nargs="*", default=None, help="extra clips")
    parser.add_argument("--no-clip", action="store_true", help="no extra clips (pans only)")
    parser.add_argument("--texture", type=float, default=None, help="this tree's texture, 0..1")
    parser.add_argument("--color", type=float, default=None, help="this tree's color, 0..1")
    parser.add_argument("--engine-root", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--label", default="new", help=argparse.SUPPRESS)  # the rows' checkout
    parser.add_argument(
        "--json", type=Path, default=Path(__file__).parent / "results/video-cpu.json"
    )
    args = parser.parse_args()
    if args.no_clip:
        args.clip = []
    elif args.clip is None:
        args.clip = [TALKING_HEAD] if TALKING_HEAD.exists() else []
    load_before = os.getloadavg()
    rows = _ref_rows(args) if args.ref else []
    rows += _measure(args, args.label)
    if args.ref:
        _compare(rows)
    load_after = os.getloadavg()
    print(f"load average before {load_before}, after {load_after}")
    report = {
        "host": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "frames": args.frames,
        "ref": args.ref or None,
        "paths": args.paths,
        "clips": [f"pan {label}" for label in SIZES] + [p.name for p in args.clip],
        "options": {"texture": args.texture, "color": args.color},
        "loadavg_before": list(load_before),
        "loadavg_after": list(load_after),
        "rows": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
