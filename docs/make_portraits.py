"""Portrait pictures for docs/portraits/: input | today | new (| manhwa) grids, face close-ups and
talking-head frames.

Run from the repository root: ``.venv/bin/python docs/make_portraits.py [--out docs/portraits]``.
Reads ../shared/portraits/*.jpg and pexels_talking_head.mp4 next to the repository (skipped with
a message when absent). Per portrait it writes <name>.jpg (tiles up to --side px) and
<name>_faces.jpg (a FACE_TILE px crop around each detected face, largest first); then
talking_head.jpg: evenly spaced frames (one of them the most closed-eyed frame, by eye aspect
ratio) of the clip, input row over output row, the output made through engine.video.toon_video
so temporal smoothing is included. "today" is the person-aware webtoon before the portrait
renderer; "new" is the registered webtoon.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.look import (  # noqa: E402
    PORTRAITS,
    analyzer_or_exit,
    build_looks,
    has_portrait_keyword,
    load_rgb,
    render,
    resize_long,
)
from bench.look_video import ear_series, toon_clip  # noqa: E402
from engine.analysis import PersonAnalyzer  # noqa: E402
from engine.styles import build_styles  # noqa: E402

__all__ = ["closeups", "label", "main", "pick_frames", "portrait_grid", "talking_head"]

JPEG_QUALITY = 90
FACE_TILE = 512
MAX_CLOSEUPS = 12
MIN_FACE_PX = 24  # smaller faces are unreadable even as close-ups
CLIP = "pexels_talking_head.mp4"
TITLES = {"today": "today", "webtoon": "new", "manhwa": "manhwa"}


def label(rgb: np.ndarray, text: str) -> np.ndarray:
    """A copy with a small white-on-black caption in the top-left corner."""
    out = rgb.copy()
    scale = max(0.45, min(out.shape[:2]) / 900)
    thick = max(1, round(scale * 2))
    org = (round(8 * scale) + 4, round(24 * scale) + 4)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(out, text, org, font, scale, (0, 0, 0), thick + 3, cv2.LINE_AA)
    cv2.putText(out, text, org, font, scale, (255, 255, 255), thick, cv2.LINE_AA)
    return out


def _save(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(path), bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
        raise OSError(f"could not write {path}")
    h, w = rgb.shape[:2]
    print(f"{path}  {w}x{h}  {path.stat().st_size // 1024} KB", flush=True)


def _title(name: str) -> str:
    if name == "webtoon" and not has_portrait_keyword():
        return "new (= today: no portrait renderer yet)"
    return TITLES.get(name, name)


def portrait_grid(rgb: np.ndarray, outputs: dict[str, np.ndarray]) -> np.ndarray:
    """input | each output, side by side, each tile captioned."""
    tiles = [label(rgb, "input")] + [label(out, _title(n)) for n, out in outputs.items()]
    return np.concatenate(tiles, axis=1)


def _square_crop(rgb: np.ndarray, cx: float, cy: float, half: float) -> np.ndarray:
    """A 2*half square around (cx, cy), padded with grey where it leaves the image."""
    h, w = rgb.shape[:2]
    x0, y0, side = round(cx - half), round(cy - half), max(1, round(2 * half))
    out = np.full((side, side, 3), 128, np.uint8)
    sx0, sy0 = max(0, x0), max(0, y0)
    sx1, sy1 = min(w, x0 + side), min(h, y0 + side)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = rgb[sy0:sy1, sx0:sx1]
    return out


def closeups(
    analyzer: PersonAnalyzer, rgb: np.ndarray, outputs: dict[str, np.ndarray]
) -> np.ndarray | None:
    """One row per detected face (largest first): input | outputs, FACE_TILE px each; None if
    no face is at least MIN_FACE_PX."""
    faces = [f for f in analyzer.analyze(rgb).faces if f.size >= MIN_FACE_PX]
    faces.sort(key=lambda f: -f.size)
    rows = []
    for face in faces[:MAX_CLOSEUPS]:
        x0, y0, x1, y1 = face.bbox
        cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, 0.9 * face.size
        up = cv2.INTER_CUBIC if 2 * half < FACE_TILE else cv2.INTER_AREA
        tiles = []
        mesh = "mesh" if face.landmarks is not None else "no mesh"
        for name, img in {"input": rgb, **outputs}.items():
            crop = cv2.resize(
                _square_crop(img, cx, cy, half), (FACE_TILE, FACE_TILE), interpolation=up
            )
            text = f"input, face {face.size:.0f} px, {mesh}" if name == "input" else _title(name)
            tiles.append(label(crop, text))
        rows.append(np.concatenate(tiles, axis=1))
    return np.concatenate(rows, axis=0) if rows else None


def pick_frames(ear: Sequence[float], count: int = 4) -> list[int]:
    """count evenly spaced frame indices; the most closed-eyed frame replaces the nearest one
    when it is a blink (EAR below 0.8 x the median)."""
    n = len(ear)
    picks = sorted({round(v) for v in np.linspace(0, n - 1, min(count, n))})
    finite = [(v, i) for i, v in enumerate(ear) if math.isfinite(v)]
    if finite:
        low, blink = min(finite)
        if low < 0.8 * float(np.median([v for v, _ in finite])) and blink not in picks:
            nearest = min(range(len(picks)), key=lambda k: abs(picks[k] - blink))
            picks[nearest] = blink
    return sorted(picks)


def talking_head(analyzer: PersonAnalyzer, clip: Path, out: Path) -> None:
    """talking_head.jpg: picked frames, input row over the video path's output row."""
    run = toon_clip(clip, "webtoon")
    n = min(len(run.inputs), len(run.outputs))
    ear = ear_series(analyzer, run.inputs[:n])
    ear_out = ear_series(analyzer, run.outputs[:n])
    picks = pick_frames(ear)
    top = [label(run.inputs[i], f"input, frame {i}, EAR {ear[i]:.2f}") for i in picks]
    bottom = [label(run.outputs[i], f"{_title('webtoon')}, EAR {ear_out[i]:.2f}") for i in picks]
    grid = np.concatenate([np.concatenate(top, axis=1), np.concatenate(bottom, axis=1)], axis=0)
    _save(out / "talking_head.jpg", grid)


def main(argv: list[str] | None = None) -> int:
    """Write the grids, close-ups and talking-head frames."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "portraits")
    parser.add_argument(
        "--images", type=Path, nargs="+", default=None, help="default: all portraits"
    )
    parser.add_argument("--side", type=int, default=1024, help="largest tile side in px")
    parser.add_argument("--styles", nargs="+", default=None, help="default: today webtoon manhwa")
    parser.add_argument("--no-video", action="store_true", help="skip talking_head.jpg")
    args = parser.parse_args(argv)
    paths = args.images or sorted(PORTRAITS.glob("*.jpg"))
    if not paths:
        print(f"no portraits: {PORTRAITS} is absent or empty; nothing to draw")
        return 0
    names = args.styles or ["today", "webtoon"] + [n for n in ("manhwa",) if n in build_styles()]
    looks = build_looks(names)
    analyzer = analyzer_or_exit()
    for path in paths:
        rgb = load_rgb(path)
        if max(rgb.shape[:2]) > args.side:
            rgb = resize_long(rgb, args.side)
        outputs = {name: render(style, rgb) for name, style in looks.items()}
        _save(args.out / f"{path.stem}.jpg", portrait_grid(rgb, outputs))
        faces = closeups(analyzer, rgb, outputs)
        if faces is None:
            print(f"{path.name}: no face of {MIN_FACE_PX} px or more, no close-ups")
        else:
            _save(args.out / f"{path.stem}_faces.jpg", faces)
    clip = PORTRAITS / CLIP
    if args.no_video:
        pass
    elif clip.exists():
        talking_head(analyzer, clip, args.out)
    else:
        print(f"no clip at {clip}: skipping talking_head.jpg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
