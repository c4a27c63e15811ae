"""Render the before/after pictures in docs/ for every style.

Run from the repository root: ``python docs/make_pictures.py``. Uses scikit-image's bundled
sample photos, so it works offline.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch
from skimage import data

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.styles import build_styles  # noqa: E402
from engine.styles.webtoon import WebtoonStyle  # noqa: E402

__all__ = ["main", "person_aware", "render"]

DOCS = ROOT / "docs"
JPEG_QUALITY = 88
GRID_TILE = 384
SAMPLES: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": data.astronaut,  # portrait
    "rocket": data.rocket,  # outdoor scene at dusk
}
# Person-aware before/after: a portrait and a scene with nobody in it.
PERSON_SAMPLES: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": data.astronaut,
    "coffee": data.coffee,
}


def render(style: Callable[[torch.Tensor], torch.Tensor], rgb: np.ndarray) -> np.ndarray:
    """Run one style on one HxWx3 uint8 RGB image and return the same layout."""
    with torch.inference_mode():
        batch = torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)
        out = style(batch)[0].clamp(0.0, 1.0).mul(255.0).round_().to(torch.uint8)
    return np.ascontiguousarray(out.permute(1, 2, 0).numpy())


def _save(path: Path, rgb: np.ndarray) -> None:
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(path), bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
        raise OSError(f"could not write {path}")
    print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


def _label(rgb: np.ndarray, text: str) -> np.ndarray:
    out = rgb.copy()
    cv2.putText(out, text, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(out, text, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2, cv2.LINE_AA)
    return out


def _tile(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = GRID_TILE / max(h, w)
    size = (round(w * scale), round(h * scale))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def person_aware(sample: str, rgb: np.ndarray) -> None:
    """Write person_<sample>.jpg: photo | whole-image webtoon | person-aware webtoon."""
    whole = render(WebtoonStyle(person_aware=False), rgb)
    aware = render(WebtoonStyle(), rgb)
    tiles = [
        _label(rgb, "original"),
        _label(whole, "webtoon, whole image"),
        _label(aware, "webtoon, person-aware"),
    ]
    _save(DOCS / f"person_{sample}.jpg", np.concatenate(tiles, axis=1))


def main() -> None:
    """Write <sample>_<style>.jpg (before | after), styles_<sample>.jpg and person_<sample>.jpg."""
    styles = build_styles(torch.device("cpu"))
    for sample, load in SAMPLES.items():
        rgb = np.ascontiguousarray(load()[..., :3])
        tiles = [_label(_tile(rgb), "original")]
        for name, style in styles.items():
            out = render(style, rgb)
            _save(DOCS / f"{sample}_{name}.jpg", np.concatenate([rgb, out], axis=1))
            tiles.append(_label(_tile(out), name))
        if len(tiles) % 2:
            tiles.append(np.full_like(tiles[0], 255))
        rows = [np.concatenate(tiles[i : i + 2], axis=1) for i in range(0, len(tiles), 2)]
        _save(DOCS / f"styles_{sample}.jpg", np.concatenate(rows, axis=0))
    for sample, load in PERSON_SAMPLES.items():
        person_aware(sample, np.ascontiguousarray(load()[..., :3]))


if __name__ == "__main__":
    main()
