"""Portrait look measures: strokes in the skin, skin tone, stroke fragments, speed, blinks.

Run: .venv/bin/python bench/look.py [--images ...] [--side 1024] [--repeat 5] [--json PATH]
     [--styles today webtoon manhwa] [--ab | --faces | --ear]
Default mode, per image and style: % of face-skin pixels that are ink, CIELAB ΔE and ΔL of the
mean skin colour (input vs output), small ink fragments per megapixel, ms per image (analysis
included). --ab: "today" vs "webtoon" alternated on one 1024 px portrait. --faces: cost per extra
face on synthetic groups. --ear: eye aspect ratio of input vs output frames of the talking-head
clip through the real video path. "today" is the person-aware webtoon before the portrait
renderer (WebtoonStyle(portrait=False)). Numbers, not timed tests: they vary with the host.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.look_metrics import (  # noqa: E402
    face_size,
    ink_in_skin,
    ink_in_skin_moved,
    skin_colour_shift,
    skin_colour_shift_moved,
    skin_region,
    small_fragments_per_mp,
)
from bench.look_video import run_ear  # noqa: E402
from engine.analysis import Face, PersonAnalyzer, build_analyzer  # noqa: E402
from engine.styles import Style, build_styles  # noqa: E402
from engine.styles.webtoon import WebtoonStyle  # noqa: E402

__all__ = [
    "AB_PORTRAIT",
    "PORTRAITS",
    "analyzer_or_exit",
    "astronaut",
    "bench_images",
    "build_looks",
    "default_look_names",
    "face_counts",
    "fmt",
    "grace_hopper",
    "has_portrait_keyword",
    "host_info",
    "load_rgb",
    "main",
    "mesh_faces",
    "render",
    "resize_long",
    "timed",
    "write_json",
]

PORTRAITS = ROOT.parent / "shared" / "portraits"
AB_PORTRAIT = "unsplash_woman_long_hair.jpg"


# ---------------------------------------------------------------- images and styles


def load_rgb(source: str | Path | bytes) -> np.ndarray:
    """Decode a file path or encoded bytes to HxWx3 uint8 RGB (EXIF orientation applied)."""
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    bgr = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot decode {source if not isinstance(source, bytes) else 'bytes'}")
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def grace_hopper() -> np.ndarray:
    """matplotlib's grace_hopper.jpg (get_sample_data gives a file object or a path by version)."""
    from matplotlib import cbook

    got: Any = cbook.get_sample_data("grace_hopper.jpg")
    if hasattr(got, "read"):
        with got:
            return load_rgb(bytes(got.read()))
    return load_rgb(Path(got))


def astronaut() -> np.ndarray:
    """scikit-image's astronaut photo, 512x512 RGB."""
    from skimage import data

    load: Callable[[], Any] = data.astronaut  # skimage is untyped
    return np.ascontiguousarray(np.asarray(load())[..., :3])


def resize_long(rgb: np.ndarray, side: int) -> np.ndarray:
    """Resize so the longer side is `side` px (area down, cubic up), keeping the aspect."""
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    if scale == 1.0:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=interp))


def bench_images(paths: Sequence[Path] | None, side: int) -> list[tuple[str, np.ndarray]]:
    """(name, image) pairs resized to `side`: the given files, or ../shared/portraits/*.jpg (if
    present), grace_hopper and astronaut."""
    if paths:
        found = [(p.stem, load_rgb(p)) for p in paths]
    else:
        found = [(p.stem, load_rgb(p)) for p in sorted(PORTRAITS.glob("*.jpg"))]
        found += [("grace_hopper", grace_hopper()), ("astronaut", astronaut())]
    return [(name, resize_long(rgb[..., :3], side)) for name, rgb in found]


def has_portrait_keyword() -> bool:
    """Whether WebtoonStyle takes portrait= (the portrait renderer has landed)."""
    return "portrait" in inspect.signature(WebtoonStyle).parameters


def _today() -> Style:
    if has_portrait_keyword():
        return WebtoonStyle(portrait=False)  # type: ignore[call-arg,unused-ignore]
    return WebtoonStyle()


def default_look_names() -> list[str]:
    """today, webtoon and manhwa where they exist (webtoon only once it differs from today)."""
    names = ["today"]
    registry = build_styles(torch.device("cpu"))
    if has_portrait_keyword():
        names.append("webtoon")
    else:
        print("note: WebtoonStyle has no portrait= yet, so webtoon == today; measuring today only")
    names += [n for n in ("manhwa",) if n in registry]
    return names


def build_looks(names: Sequence[str]) -> dict[str, Style]:
    """Styles by name: "today" is the pre-portrait webtoon, the rest come from build_styles()."""
    registry = build_styles(torch.device("cpu"))
    looks: dict[str, Style] = {}
    for name in names:
        if name == "today":
            looks[name] = _today()
        elif name in registry:
            looks[name] = registry[name]
        else:
            raise SystemExit(f"unknown style {name!r}; have today, {', '.join(registry)}")
    return looks


def render(style: Style, rgb: np.ndarray, device: torch.device | None = None) -> np.ndarray:
    """One style on one HxWx3 uint8 image (as a (1, 3, H, W) tensor); the same layout back."""
    dev = device or torch.device("cpu")
    with torch.inference_mode():
        batch = torch.from_numpy(rgb).to(dev).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)
        out = style(batch)[0].clamp(0.0, 1.0).mul(255.0).round_().to(torch.uint8)
        res = np.ascontiguousarray(out.permute(1, 2, 0).cpu().numpy())
    return res


def timed(fn: Callable[[], Any], device: torch.device) -> tuple[Any, float]:
    """fn() and its wall time in ms (CUDA synchronized)."""
    started = time.perf_counter()
    value = fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return value, (time.perf_counter() - started) * 1000.0


def face_counts(style: Style, rgb: np.ndarray) -> tuple[int, int] | None:
    """(faces found, faces drawn) as the style reports them, else None.

    A style reports through face_counts(image) -> (found, drawn). Until the portrait
    renderer has that method, a WebtoonStyle with portrait=True is asked the renderer's own
    question: its analyzer's faces, and how many of them engine.styles.portrait.plan.drawable()
    accepts. Not timed.
    """
    report = getattr(style, "face_counts", None)
    if callable(report):
        found, drawn = report(rgb)
        return int(found), int(drawn)
    if not getattr(style, "portrait", False) or not isinstance(style, WebtoonStyle):
        return None
    try:
        from engine.styles.portrait.plan import drawable
    except ImportError:
        return None
    analyzer = style.analyzer()
    if analyzer is None:
        return None
    faces = analyzer.analyze(rgb).faces
    return len(faces), sum(drawable(f, rgb) is not None for f in faces)


def analyzer_or_exit() -> PersonAnalyzer:
    """The face analyzer; exits with a message when it is unavailable."""
    analyzer = build_analyzer()
    if analyzer is None:
        raise SystemExit(
            "these measures need the face mesh: the bundled face models failed to load (see README)"
        )
    return analyzer


def mesh_faces(analyzer: PersonAnalyzer, rgb: np.ndarray) -> tuple[int, list[Face]]:
    """(faces found, faces with a 478-point mesh) of an image, largest first."""
    faces = analyzer.analyze(rgb).faces
    meshed = [f for f in faces if f.landmarks is not None and len(f.landmarks) >= 468]
    return len(faces), sorted(meshed, key=lambda f: -f.size)


# ---------------------------------------------------------------- host and output


def host_info(device: torch.device) -> dict[str, Any]:
    """Platform, CPU/GPU, torch threads, LD_PRELOAD and the current load average."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "ld_preload": os.environ.get("LD_PRELOAD", ""),
        "loadavg_before": list(os.getloadavg()),
    }


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write_json(path: Path, report: dict[str, Any]) -> None:
    """Write the report (NaN/inf as null), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_finite(report), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


def fmt(value: float, spec: str) -> str:
    """format(value, spec), or "-" for NaN / inf."""
    return "-" if not math.isfinite(value) else format(value, spec)


# ---------------------------------------------------------------- modes


def measure_looks(
    images: list[tuple[str, np.ndarray]], looks: dict[str, Style], repeat: int, device: torch.device
) -> list[dict[str, Any]]:
    """Per image and style: skin ink, skin colour shift, fragments and timings."""
    analyzer = analyzer_or_exit()
    print(
        f"{'image':<28} {'style':<8} {'faces':>5} {'drawn':>5} {'ink%skin':>8} {'added%':>7} "
        f"{'ΔE':>6} {'ΔL':>6} {'frag/MP':>8} {'ms med':>8} {'ms min':>8}"
    )
    rows = []
    for name, rgb in images:
        found, faces = mesh_faces(analyzer, rgb)
        regions = [skin_region(f.landmarks, rgb.shape) for f in faces if f.landmarks is not None]
        union = np.zeros(rgb.shape[:2], bool)
        for r in regions:
            union |= r
        for style_name, style in looks.items():
            out = render(style, rgb, device)  # warm-up (analyzer graphs) and the measured output
            times = [timed(partial(render, style, rgb, device), device)[1] for _ in range(repeat)]
            plans = getattr(style, "face_plans", None)
            drawn_plans = plans(rgb)[1] if callable(plans) else []
            if drawn_plans:
                # A warped face is measured where it is drawn: the skin region from the drawn
                # (target) landmarks in the output, from the photo's (source) ones in the input.
                per_face = [
                    ink_in_skin_moved(
                        out, skin_region(p.target, rgb.shape), rgb, skin_region(p.source, rgb.shape)
                    )
                    for p in drawn_plans
                ]
                out_union = np.zeros(rgb.shape[:2], bool)
                in_union = np.zeros(rgb.shape[:2], bool)
                for p in drawn_plans:
                    out_union |= skin_region(p.target, rgb.shape)
                    in_union |= skin_region(p.source, rgb.shape)
                shift = skin_colour_shift_moved(rgb, in_union, out, out_union)
            else:
                per_face = [ink_in_skin(out, r, rgb) for r in regions]
                shift = skin_colour_shift(rgb, out, union)
            skin_px = sum(p["skin_px"] for p in per_face)
            ink = 100.0 * sum(p["ink_px"] for p in per_face) / skin_px if skin_px else math.nan
            added = (
                100.0 * sum(p["added_ink_px"] for p in per_face) / skin_px if skin_px else math.nan
            )
            counts = face_counts(style, rgb)
            row = {
                "image": name,
                "size": [rgb.shape[1], rgb.shape[0]],
                "style": style_name,
                "faces_found": found,
                "faces_meshed": len(faces),
                "faces_drawn": counts[1] if counts else None,
                "face_px": [
                    round(face_size(f.landmarks), 1) for f in faces if f.landmarks is not None
                ],
                "skin_px": skin_px,
                "ink_in_skin_pct": ink,
                "added_ink_in_skin_pct": added,
                "ink_in_skin_pct_per_face": [p["ink_pct"] for p in per_face],
                "skin_delta_e": shift["delta_e"],
                "skin_delta_l": shift["delta_l"],
                "skin_lab_in": shift["lab_in"],
                "skin_lab_out": shift["lab_out"],
                "fragments_per_mp": small_fragments_per_mp(out),
                "ms_median": statistics.median(times),
                "ms_min": min(times),
                "ms_all": [round(t, 1) for t in times],
            }
            rows.append(row)
            drawn = "-" if counts is None else str(counts[1])
            print(
                f"{name[:28]:<28} {style_name:<8} {found:>5} {drawn:>5} {fmt(ink, '.2f'):>8} "
                f"{fmt(added, '.2f'):>7} {fmt(shift['delta_e'], '.2f'):>6} "
                f"{fmt(shift['delta_l'], '+.2f'):>6} {row['fragments_per_mp']:>8.0f} "
                f"{row['ms_median']:>8.0f} {row['ms_min']:>8.0f}",
                flush=True,
            )
    return rows


# ---------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run one mode, print, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, nargs="+", default=None)
    parser.add_argument(
        "--side", type=int, default=1024, help="long side the images are resized to"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--styles", nargs="+", default=None, help="default: today webtoon manhwa")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--json", type=Path, default=None)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--ab", action="store_true", help="today vs webtoon on one portrait")
    mode.add_argument("--faces", action="store_true", help="cost per extra face")
    mode.add_argument("--ear", action="store_true", help="eye aspect ratio through the video path")
    parser.add_argument("--clip", type=Path, default=PORTRAITS / "pexels_talking_head.mp4")
    parser.add_argument("--ear-style", default="webtoon")
    args = parser.parse_args(argv)
    from bench.look_speed import run_ab, run_faces  # it imports this module

    device = torch.device(args.device)
    host = host_info(device)
    print(
        f"host {host['platform']} cpus={host['cpus']} device={host['device']} torch={host['torch']} "
        f"threads={host['threads']} LD_PRELOAD={host['ld_preload'] or '-'} "
        f"load={' '.join(f'{v:.2f}' for v in host['loadavg_before'])}"
    )
    report: dict[str, Any] = {"host": host, "side": args.side, "repeat": args.repeat}
    if args.ab:
        suffix = "-ab"
        paths = args.images or (
            [PORTRAITS / AB_PORTRAIT] if (PORTRAITS / AB_PORTRAIT).exists() else None
        )
        if paths:
            name, rgb = bench_images(paths[:1], args.side)[0]
        else:
            name, rgb = "astronaut", resize_long(astronaut(), args.side)
        print(f"A/B on {name} {rgb.shape[1]}x{rgb.shape[0]}")
        report |= {"image": name, "ab": run_ab(rgb, args.repeat, device)}
    elif args.faces:
        suffix = "-faces"
        looks = build_looks(args.styles or default_look_names())
        report |= {"styles": list(looks), **run_faces(looks, args.repeat, device)}
    elif args.ear:
        suffix = "-ear"
        if not args.clip.exists():
            raise SystemExit(f"no clip at {args.clip}")
        report |= run_ear(args.clip, args.ear_style, args.device)
    else:
        suffix = ""
        looks = build_looks(args.styles or default_look_names())
        images = bench_images(args.images, args.side)
        report |= {"styles": list(looks), "rows": measure_looks(images, looks, args.repeat, device)}
    host["loadavg_after"] = list(os.getloadavg())
    print(
        "load average before "
        + " ".join(f"{v:.2f}" for v in host["loadavg_before"])
        + ", after "
        + " ".join(f"{v:.2f}" for v in host["loadavg_after"])
    )
    write_json(args.json or ROOT / "bench" / "results" / f"look{suffix}-{args.device}.json", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
