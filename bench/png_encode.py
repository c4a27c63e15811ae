"""PNG encoding speed and size of real webtoon outputs: Pillow zlib levels vs OpenCV (issue 16).

Each candidate encodes the same rendered pictures, alternating candidate by candidate within a
round (rounds >= 5), so the ratios to the current encoder ("pillow-6") are same-run ratios.
Prints a table and writes JSON to bench/results/png-encode-cpu.json. Times in ms, sizes in KiB.
Run with MALLOC_MMAP_THRESHOLD_=1073741824 on a shared host; note `uptime` beside the result.
"""

from __future__ import annotations

import argparse
import io
import statistics
import struct
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import write_report  # noqa: E402
from engine.icc import srgb_profile  # noqa: E402

Encoder = Callable[[np.ndarray], bytes]


def pillow(level: int) -> Encoder:
    def encode(rgb: np.ndarray) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(rgb).save(
            buf, format="PNG", compress_level=level, icc_profile=srgb_profile()
        )
        return buf.getvalue()

    return encode


def _iccp_chunk(icc: bytes) -> bytes:
    body = b"sRGB\x00\x00" + zlib.compress(icc)
    return (
        struct.pack(">I", len(body))
        + b"iCCP"
        + body
        + struct.pack(">I", zlib.crc32(b"iCCP" + body))
    )


def opencv(level: int) -> Encoder:
    chunk = _iccp_chunk(srgb_profile())

    def encode(rgb: np.ndarray) -> bytes:
        ok, png = cv2.imencode(
            ".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, level]
        )
        assert ok
        data = png.tobytes()
        return data[:33] + chunk + data[33:]  # iCCP right after IHDR (8 + 25 bytes)

    return encode


CANDIDATES: dict[str, Encoder] = {
    **{f"pillow-{n}": pillow(n) for n in (1, 2, 3, 4, 6, 9)},
    **{f"opencv-{n}": opencv(n) for n in (1, 3)},
}
BASELINE = "pillow-6"


def render(size: int) -> dict[str, tuple[np.ndarray, float]]:
    """The default webtoon of skimage's astronaut and coffee fitted to `size` px, and the
    fastest of 3 draws (ms) through the engine."""
    import asyncio

    from skimage import data

    from engine.config import EngineConfig
    from engine.engine import Engine
    from engine.imageio import fit_within
    from engine.job import Job

    async def go() -> dict[str, tuple[np.ndarray, float]]:
        out = {}
        async with Engine(EngineConfig(device="cpu")) as engine:
            for name in ("astronaut", "coffee"):
                src = getattr(data, name)()
                h, w = src.shape[:2]
                scale = size / max(h, w)
                big = cv2.resize(
                    src, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC
                )
                img = fit_within(big, size)
                times = []
                for _ in range(3):
                    t = time.perf_counter()
                    res = await engine.submit(Job(img, "webtoon"))
                    times.append((time.perf_counter() - t) * 1000)
                out[f"{name}-{size}"] = (res, min(times))
        return out

    return asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternations, >= 5")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 1536])
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/png-encode-cpu.json")
    args = parser.parse_args(argv)
    pictures: dict[str, tuple[np.ndarray, float]] = {}
    for size in args.sizes:
        pictures.update(render(size))
    rows = []
    for pic, (rgb, draw_ms) in pictures.items():
        times: dict[str, list[float]] = {c: [] for c in CANDIDATES}
        sizes: dict[str, int] = {}
        for name, enc in CANDIDATES.items():  # lossless check, and a warm-up
            data = enc(rgb)
            back = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
            assert np.array_equal(back, rgb), name
            assert Image.open(io.BytesIO(data)).info.get("icc_profile") == srgb_profile(), name
            sizes[name] = len(data)
        for _ in range(args.rounds):
            for name, enc in CANDIDATES.items():
                t = time.perf_counter()
                enc(rgb)
                times[name].append((time.perf_counter() - t) * 1000)
        base = times[BASELINE]
        for name in CANDIDATES:
            ratios = [b / t for b, t in zip(base, times[name], strict=True)]
            rows.append(
                {
                    "picture": pic,
                    "draw_ms": round(draw_ms, 1),
                    "encoder": name,
                    "min_ms": round(min(times[name]), 1),
                    "median_ms": round(statistics.median(times[name]), 1),
                    "kib": round(sizes[name] / 1024, 1),
                    "size_vs_baseline": round(sizes[name] / sizes[BASELINE], 3),
                    "speedup_vs_baseline_median": round(statistics.median(ratios), 2),
                    "speedup_vs_baseline_min": round(min(ratios), 2),
                }
            )
    print(
        f"{'picture':16} {'draw':>6} {'encoder':10} {'min':>7} {'median':>7} {'KiB':>7} {'size':>6} {'x faster':>8}"
    )
    for r in rows:
        print(
            f"{r['picture']:16} {r['draw_ms']:6.0f} {r['encoder']:10} {r['min_ms']:7.1f} "
            f"{r['median_ms']:7.1f} {r['kib']:7.0f} {r['size_vs_baseline']:6.2f} "
            f"{r['speedup_vs_baseline_median']:8.2f}"
        )
    write_report(args.out, "png_encode", rows, baseline=BASELINE, rounds=args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
