"""Engine throughput: images/s per style and size, batched vs one at a time, OpenCV beside it.

Run: .venv/bin/python bench/engine.py [--sizes 512 1024] [--users 16] [--json PATH]
On CPU, preload jemalloc/tcmalloc (see README): glibc malloc makes eager torch ~2x slower here.
All figures are ratios within one run on one machine; absolute numbers vary with the host.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.config import EngineConfig
from engine.engine import Engine
from engine.job import Job
from engine.styles import STYLE_NAMES
from engine.styles.classic import cartoonify_opencv


def test_images(size: int, count: int) -> list[np.ndarray]:
    """Distinct photos of one size: crops, flips and rotations of scikit-image's samples."""
    from skimage import data

    sources = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]
    out = []
    for i in range(count):
        src = sources[i % len(sources)]
        if i // len(sources) % 2:
            src = src[:, ::-1]
        img = cv2.resize(np.ascontiguousarray(src), (size, size), interpolation=cv2.INTER_AREA)
        out.append(np.ascontiguousarray(np.rot90(img, i // (2 * len(sources)))))
    return out


async def _throughput(
    cfg: EngineConfig, style: str, images: list[np.ndarray], rounds: int
) -> float:
    async with Engine(cfg) as engine:
        await asyncio.gather(
            *(engine.submit(Job(im, style, user_id=f"u{i}")) for i, im in enumerate(images))
        )
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            await asyncio.gather(
                *(engine.submit(Job(im, style, user_id=f"u{i}")) for i, im in enumerate(images))
            )
            times.append(time.perf_counter() - started)
    return len(images) / statistics.median(times)


def _opencv_rate(images: list[np.ndarray], rounds: int) -> float:
    cartoonify_opencv(images[0])
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for im in images:
            cartoonify_opencv(im)
        times.append(time.perf_counter() - started)
    return len(images) / statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Measure, print a table, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--styles", nargs="+", default=list(STYLE_NAMES), choices=STYLE_NAMES)
    parser.add_argument("--users", type=int, default=16, help="concurrent submits")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--max-wait-ms", type=float, default=15.0)
    parser.add_argument(
        "--whole-image", action="store_true", help="webtoon without the person-aware pass"
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    rows: list[dict[str, Any]] = []
    for size in args.sizes:
        images = test_images(size, args.users)
        opencv = _opencv_rate(images, args.rounds)
        rows.append(
            {"size": size, "style": "opencv-recipe", "mode": "direct", "images_per_s": opencv}
        )
        for style in args.styles:
            common = {
                "device": args.device,
                "max_wait_ms": args.max_wait_ms,
                "bucket_px": 128,
                "person_aware": not args.whole_image,
            }
            single = asyncio.run(
                _throughput(EngineConfig(max_batch_size=1, **common), style, images, args.rounds)  # type: ignore[arg-type]
            )
            batched = asyncio.run(
                _throughput(
                    EngineConfig(max_batch_size=args.users, **common), style, images, args.rounds
                )  # type: ignore[arg-type]
            )
            rows.append(
                {
                    "size": size,
                    "style": style,
                    "mode": "one-at-a-time",
                    "images_per_s": single,
                    "vs_opencv_time": opencv / single,
                }
            )
            rows.append(
                {
                    "size": size,
                    "style": style,
                    "mode": "batched",
                    "images_per_s": batched,
                    "vs_opencv_time": opencv / batched,
                    "batched_speedup": batched / single,
                }
            )

    device = "cuda" if (args.device != "cpu" and torch.cuda.is_available()) else "cpu"
    meta = {
        "device": torch.cuda.get_device_name(0)
        if device == "cuda"
        else platform.processor() or "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "users": args.users,
        "ld_preload": os.environ.get("LD_PRELOAD", ""),
        "person_aware": not args.whole_image,
    }
    print(
        f"device={meta['device']} torch={meta['torch']} threads={meta['threads']} "
        f"users={args.users} LD_PRELOAD={meta['ld_preload'] or '-'}"
    )
    print(
        f"{'size':>5} {'style':<14} {'mode':<14} {'img/s':>8} {'time/opencv':>12} {'batch gain':>11}"
    )
    for r in rows:
        ratio = f"{r['vs_opencv_time']:.2f}x" if "vs_opencv_time" in r else ""
        gain = f"{r['batched_speedup']:.2f}x" if "batched_speedup" in r else ""
        print(
            f"{r['size']:>5} {r['style']:<14} {r['mode']:<14} {r['images_per_s']:>8.2f} {ratio:>12} {gain:>11}"
        )
    suffix = "-whole-image" if args.whole_image else ""
    target = args.json or Path(__file__).with_name("results") / f"engine-{device}{suffix}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
