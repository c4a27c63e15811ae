"""Speed measures of the portrait looks: today vs webtoon side by side, cost per extra face.

Used by `bench/look.py --ab` and `bench/look.py --faces`; see that file for the command line.
"""

from __future__ import annotations

import math
import statistics
from functools import partial
from typing import Any

import cv2
import numpy as np
import torch

from bench.look import (
    analyzer_or_exit,
    astronaut,
    build_looks,
    face_counts,
    fmt,
    grace_hopper,
    has_portrait_keyword,
    mesh_faces,
    render,
    timed,
)
from bench.look_metrics import least_squares_slope
from engine.analysis import PersonAnalyzer
from engine.styles import Style

__all__ = ["CANVAS", "GRID", "GROUPS", "face_crop", "group_canvas", "run_ab", "run_faces"]

GROUPS = (1, 4, 8, 16, 32)
CANVAS = 2048
GRID = 6  # cells per side of the group canvas: every face keeps one size at every count


def run_ab(rgb: np.ndarray, repeat: int, device: torch.device) -> dict[str, Any]:
    """today and webtoon alternated on one image; min/median ms of each and new/today ratios."""
    looks = build_looks(["today", "webtoon"])
    for style in looks.values():
        render(style, rgb, device)
    times: dict[str, list[float]] = {name: [] for name in looks}
    for _ in range(max(5, repeat)):
        for name, style in looks.items():
            times[name].append(timed(partial(render, style, rgb, device), device)[1])
    summary: dict[str, Any] = {
        name: {
            "ms_min": min(t),
            "ms_median": statistics.median(t),
            "ms_all": [round(v, 1) for v in t],
        }
        for name, t in times.items()
    }
    summary["ratio_median"] = summary["webtoon"]["ms_median"] / summary["today"]["ms_median"]
    summary["ratio_min"] = summary["webtoon"]["ms_min"] / summary["today"]["ms_min"]
    summary["same_style"] = not has_portrait_keyword()
    for name in looks:
        print(
            f"{name:<8} min {summary[name]['ms_min']:7.0f} ms  median {summary[name]['ms_median']:7.0f} ms"
        )
    print(
        f"new/today: median {summary['ratio_median']:.2f}x  min {summary['ratio_min']:.2f}x "
        f"(target <= 1.5x){'  [webtoon == today: no portrait= yet]' if summary['same_style'] else ''}"
    )
    return summary


def group_canvas(face: np.ndarray, n: int) -> np.ndarray:
    """n copies of a square face crop in a GRID x GRID layout on a CANVAS px grey gradient."""
    ramp = np.linspace(150, 210, CANVAS, dtype=np.float32)
    canvas = np.repeat(np.repeat(ramp[:, None, None], CANVAS, 1), 3, 2).astype(np.uint8)
    cell = CANVAS // GRID
    tile = cv2.resize(face, (cell - 8, cell - 8), interpolation=cv2.INTER_AREA)
    for i in range(n):
        r, c = divmod(i, GRID)
        canvas[r * cell + 4 : r * cell + cell - 4, c * cell + 4 : c * cell + cell - 4] = tile
    return canvas


def face_crop(analyzer: PersonAnalyzer) -> np.ndarray:
    """A square crop, 1.8x the face, around the largest face of astronaut (else grace_hopper)."""
    for rgb in (astronaut(), grace_hopper()):
        faces = analyzer.analyze(rgb).faces
        if faces:
            x0, y0, x1, y1 = max(faces, key=lambda f: f.size).bbox
            cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, 0.9 * max(x1 - x0, y1 - y0)
            top, left = int(max(0, cy - half)), int(max(0, cx - half))
            side = int(min(2 * half, rgb.shape[0] - top, rgb.shape[1] - left))
            return np.ascontiguousarray(rgb[top : top + side, left : left + side])
    raise SystemExit("no face found in astronaut or grace_hopper")


def run_faces(looks: dict[str, Style], repeat: int, device: torch.device) -> dict[str, Any]:
    """ms per image (analysis alone, and each style) on groups of GROUPS faces; slope per face."""
    analyzer = analyzer_or_exit()
    crop = face_crop(analyzer)
    rows = []
    print(
        f"{'faces':>5} {'found':>5} {'meshed':>6} {'analysis ms':>11} "
        + " ".join(f"{n + ' ms':>12} {'drawn':>5}" for n in looks)
    )
    for n in GROUPS:
        canvas = group_canvas(crop, n)
        found, meshed = mesh_faces(analyzer, canvas)
        analysis = [timed(partial(analyzer.analyze, canvas), device)[1] for _ in range(repeat)]
        row: dict[str, Any] = {
            "faces": n,
            "found": found,
            "meshed": len(meshed),
            "analysis_ms": statistics.median(analysis),
        }
        for name, style in looks.items():
            render(style, canvas, device)
            t = [timed(partial(render, style, canvas, device), device)[1] for _ in range(repeat)]
            counts = face_counts(style, canvas)
            row[name] = {
                "ms_median": statistics.median(t),
                "ms_min": min(t),
                "drawn": counts[1] if counts else None,
            }
        rows.append(row)
        print(
            f"{n:>5} {found:>5} {len(meshed):>6} {row['analysis_ms']:>11.0f} "
            + " ".join(
                f"{row[k]['ms_median']:>12.0f} {row[k]['drawn'] if row[k]['drawn'] is not None else '-':>5}"
                for k in looks
            ),
            flush=True,
        )
    # A group the analyzer misses costs nothing per face: fit only where every face was meshed.
    full = [r for r in rows if r["meshed"] == r["faces"]]
    missed = [r["faces"] for r in rows if r["meshed"] != r["faces"]]
    if missed:
        print(
            f"warning: not every face meshed in the groups of {missed}; they are left out of the fit"
        )
    counts_x = [float(r["faces"]) for r in full]
    slopes = {"analysis": math.nan, **{name: math.nan for name in looks}}
    if len(full) >= 2:
        slopes["analysis"] = least_squares_slope(counts_x, [r["analysis_ms"] for r in full])[0]
        for name in looks:
            slopes[name] = least_squares_slope(counts_x, [r[name]["ms_median"] for r in full])[0]
    print(
        f"ms per extra face (least-squares slope over {[r['faces'] for r in full]} faces): "
        + ", ".join(f"{k} {fmt(v, '.1f')}" for k, v in slopes.items())
    )
    return {
        "canvas_px": CANVAS,
        "cell_px": CANVAS // GRID,
        "crop_px": crop.shape[0],
        "rows": rows,
        "ms_per_face": slopes,
        "fit_groups": [r["faces"] for r in full],
    }
