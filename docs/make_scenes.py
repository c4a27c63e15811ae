"""Scene pictures for docs/scenes/: input | today | new grids of the background look.

Run from the repository root: ``.venv/bin/python docs/make_scenes.py [--out docs/scenes]
[--side 1024] [--panel 512] [--ref 6b73c5b] [--texture T] [--color C] [--names ...]``.

Per scene (bench/scenes.py's scikit-learn / scikit-image scenes and textures, then the real
photos with the most background in ../shared/portraits/, skipped when that folder is absent)
it writes <name>.jpg: a header row naming the columns over input | today | new. Each image is
resized so its long side is --side px (the size bench/scenes.py measures at) and rendered
there; the panels are then scaled to --panel px wide. "today" is the default (person-aware)
webtoon at --ref, rendered from a temporary git worktree; "new" is this checkout's default
webtoon (with --texture / --color where it takes options).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.look import PORTRAITS, load_rgb, resize_long  # noqa: E402
from bench.scene_ref import StyleWorker, ref_worktree, write_scenes  # noqa: E402
from bench.scenes import DEFAULT_REF, SCENES, scene_image  # noqa: E402

__all__ = ["PHOTO_SCENES", "header", "main", "scene_grid"]

JPEG_QUALITY = 90
# Real photos whose backgrounds matter most: foliage, a crowd with flags, bright water.
PHOTO_SCENES = ("pexels_woman_outdoors", "usgov_group_waving", "unsplash_woman_curly_hair")
HEADER_BG = (32, 32, 32)


def header(titles: list[str], panel: int) -> np.ndarray:
    """A dark strip with one white title centred over each panel-wide column."""
    scale = panel / 512 * 0.7
    thick = max(1, round(scale * 2))
    height = round(40 * panel / 512)
    strip = np.full((height, panel * len(titles), 3), HEADER_BG, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for i, text in enumerate(titles):
        (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
        org = (i * panel + max(4, (panel - tw) // 2), (height + th) // 2)
        cv2.putText(strip, text, org, font, scale, (255, 255, 255), thick, cv2.LINE_AA)
    return strip


def scene_grid(titles: list[str], images: list[np.ndarray], panel: int) -> np.ndarray:
    """Header row over the images side by side, each scaled to `panel` px wide."""
    tiles = []
    for img in images:
        h, w = img.shape[:2]
        size = (panel, max(1, round(h * panel / w)))
        interp = cv2.INTER_AREA if panel < w else cv2.INTER_CUBIC
        tiles.append(cv2.resize(img, size, interpolation=interp))
    return np.concatenate([header(titles, panel), np.concatenate(tiles, axis=1)], axis=0)


def _save(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(path), bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
        raise OSError(f"could not write {path}")
    h, w = rgb.shape[:2]
    print(f"{path}  {w}x{h}  {path.stat().st_size // 1024} KB", flush=True)


def _inputs(names: list[str] | None, side: int) -> dict[str, np.ndarray]:
    photos = {n: PORTRAITS / f"{n}.jpg" for n in PHOTO_SCENES}
    wanted = names or [*SCENES, *photos]
    found: dict[str, np.ndarray] = {}
    for name in wanted:
        if name in photos:
            if not photos[name].exists():
                print(f"skip {name}: {photos[name]} is absent")
                continue
            found[name] = resize_long(load_rgb(photos[name]), side)
        else:
            found[name] = resize_long(scene_image(name), side)
    return found


def main(argv: list[str] | None = None) -> int:
    """Render every scene with both checkouts and write the grids."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "scenes")
    parser.add_argument("--side", type=int, default=1024, help="render size (long side), px")
    parser.add_argument("--panel", type=int, default=512, help="panel width in the grid, px")
    parser.add_argument("--ref", default=DEFAULT_REF, help="today's commit")
    parser.add_argument("--texture", type=float, default=None)
    parser.add_argument("--color", type=float, default=None)
    parser.add_argument("--names", nargs="+", default=None, help="scenes (default: all)")
    args = parser.parse_args(argv)
    scenes = _inputs(args.names, args.side)
    new_title = "new"
    if args.texture is not None or args.color is not None:
        set_ = {
            k: v for k, v in (("texture", args.texture), ("color", args.color)) if v is not None
        }
        new_title += " (" + ", ".join(f"{k} {v:g}" for k, v in set_.items()) + ")"
    with (
        tempfile.TemporaryDirectory(prefix="toonbot-scenes-") as tmp_name,
        ref_worktree(args.ref) as tree,
    ):
        tmp = Path(tmp_name)
        npz = write_scenes(tmp / "scenes.npz", scenes)
        with (
            StyleWorker(tree, npz) as ref,
            StyleWorker(ROOT, npz, texture=args.texture, color=args.color) as this,
        ):
            if new_title != "new" and not this.options_applied:
                new_title = "new (options not supported)"
            for name, rgb in scenes.items():
                today = ref.output(name, "default", tmp)
                new = this.output(name, "default", tmp)
                titles = [f"{name}: input", f"today ({args.ref})", new_title]
                _save(args.out / f"{name}.jpg", scene_grid(titles, [rgb, today, new], args.panel))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
