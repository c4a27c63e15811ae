"""Background look on scenes and textures: ink, small stroke fragments, saturation and speed,
today (an earlier commit) against the working tree, with the targets of issue 12.

Run: MALLOC_MMAP_THRESHOLD_=1073741824 .venv/bin/python bench/scenes.py [--side 1024]
     [--rounds 5] [--scenes china flower ...] [--texture T] [--color C] [--ref 6b73c5b]
     [--no-speed] [--json PATH]

Scenes: scikit-learn's china.jpg and flower.jpg, scikit-image's coffee, rocket and chelsea, and
its greyscale textures grass, gravel and brick (stacked to RGB); each resized so its long side is
--side px. Looks: "today" / "today_whole" are the webtoon (person-aware default / whole-image)
at --ref, run from a temporary git worktree; "new" / "new_whole" the same from this checkout
(with --texture / --color where it supports options). Measures (bench/scene_metrics.py), per
scene for the input, today and new: ink % (thin dark stroke pixels), small ink fragments
(< 30 px, 8-connected) per megapixel, mean HSV saturation and its ratio output / input. Speed:
each round times one call of every look on every scene, looks alternating (order rotated per
round); min and median ms per look, new_whole / today_whole (the look's own cost, like for
like) and new / today (the default, person-aware paths: both add the same face search), with
the load average.

Targets (issue 12): new ink <= 3 %; new fragments <= 25 % of today's; saturation ratio >= 1.0
(not defined on grey textures); the new whole-image webtoon's median time <= 1.5x today's
whole-image webtoon on every scene.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.look import fmt, resize_long, write_json  # noqa: E402
from bench.scene_metrics import (  # noqa: E402
    INK_KERNEL_AT_1024,
    INK_LUMA,
    INK_TOPHAT,
    ink_fraction,
    mean_saturation,
    saturation_ratio,
    small_fragments_per_mp,
)
from bench.scene_ref import StyleWorker, ref_worktree, write_scenes  # noqa: E402

__all__ = [
    "DEFAULT_REF",
    "LOOK_SOURCES",
    "SCENES",
    "TARGETS",
    "TEXTURES",
    "load_scenes",
    "main",
    "measure",
    "scene_image",
    "scene_row",
    "speed_runs",
    "verdicts",
]

DEFAULT_REF = "6b73c5b"  # before issue 12
SCENES: tuple[str, ...] = (
    "china",
    "flower",
    "coffee",
    "rocket",
    "chelsea",
    "grass",
    "gravel",
    "brick",
)
TEXTURES: tuple[str, ...] = ("grass", "gravel", "brick")
TARGETS = {"ink_max": 0.03, "fragments_max_share": 0.25, "saturation_min": 1.0, "speed_max": 1.5}
# look -> (checkout, the worker's look): "ref" is the --ref worktree, "this" the working tree.
LOOK_SOURCES: dict[str, tuple[str, str]] = {
    "today_whole": ("ref", "whole"),
    "today": ("ref", "default"),
    "new": ("this", "default"),
    "new_whole": ("this", "whole"),
}


def scene_image(name: str) -> np.ndarray:
    """One scene at its native size, HxWx3 uint8 RGB (greyscale textures stacked to RGB)."""
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image  # type: ignore[import-untyped,unused-ignore]

        rgb = np.asarray(load_sample_image(f"{name}.jpg"))
    else:
        from skimage import data

        if name not in (*SCENES, "astronaut"):
            raise SystemExit(f"unknown scene {name!r}; have {', '.join(SCENES)}")
        rgb = np.asarray(getattr(data, name)())
    if rgb.ndim == 2:
        rgb = np.stack([rgb] * 3, axis=-1)
    return np.ascontiguousarray(rgb[..., :3].astype(np.uint8))


def load_scenes(names: Sequence[str], side: int) -> dict[str, np.ndarray]:
    """name -> scene resized so its long side is `side` px."""
    return {name: resize_long(scene_image(name), side) for name in names}


def measure(rgb: np.ndarray, inp: np.ndarray | None = None) -> dict[str, float]:
    """ink (0..1), fragments_per_mp, saturation (0..1) and, given the input, saturation_ratio."""
    got = {
        "ink": ink_fraction(rgb),
        "fragments_per_mp": small_fragments_per_mp(rgb),
        "saturation": mean_saturation(rgb),
    }
    if inp is not None:
        got["saturation_ratio"] = saturation_ratio(rgb, inp)
    return got


def scene_row(name: str, inp: np.ndarray, outputs: dict[str, np.ndarray]) -> dict[str, Any]:
    """The measures of one scene: the input's and every look's."""
    h, w = inp.shape[:2]
    return {
        "scene": name,
        "size": [w, h],
        "texture": name in TEXTURES,
        "input": measure(inp),
        **{look: measure(out, inp) for look, out in outputs.items()},
    }


def verdicts(row: dict[str, Any], speed: dict[str, Any] | None) -> dict[str, bool | None]:
    """PASS (True) / FAIL (False) / not applicable (None) per target for one scene."""
    new, today = row["new"], row["today"]
    if today["fragments_per_mp"] > 0:
        frag_ok = (
            new["fragments_per_mp"] <= TARGETS["fragments_max_share"] * today["fragments_per_mp"]
        )
    else:
        frag_ok = new["fragments_per_mp"] == 0
    sat = new["saturation_ratio"]
    return {
        "ink": new["ink"] <= TARGETS["ink_max"],
        "fragments": frag_ok,
        "saturation": None if math.isnan(sat) else sat >= TARGETS["saturation_min"],
        "speed": None if speed is None else speed["whole_ratio_median"] <= TARGETS["speed_max"],
    }


def speed_runs(
    workers: dict[str, StyleWorker], names: Sequence[str], rounds: int
) -> dict[str, dict[str, Any]]:
    """Per scene: per look min / median / all ms, and new / today_whole (min and median)."""
    looks = list(LOOK_SOURCES)
    times: dict[str, dict[str, list[float]]] = {n: {lk: [] for lk in looks} for n in names}
    for k in range(rounds):
        order = looks[k % len(looks) :] + looks[: k % len(looks)]
        for name in names:
            for look in order:
                tree, which = LOOK_SOURCES[look]
                times[name][look].append(workers[tree].render(name, which))
        print(f"speed round {k + 1}/{rounds} done", flush=True)
    out: dict[str, dict[str, Any]] = {}
    for name, per_look in times.items():
        summary: dict[str, Any] = {
            lk: {"min_ms": min(v), "median_ms": statistics.median(v), "all_ms": v}
            for lk, v in per_look.items()
        }
        summary["whole_ratio_min"] = (
            summary["new_whole"]["min_ms"] / summary["today_whole"]["min_ms"]
        )
        summary["whole_ratio_median"] = (
            summary["new_whole"]["median_ms"] / summary["today_whole"]["median_ms"]
        )
        summary["default_ratio_median"] = (
            summary["new"]["median_ms"] / summary["today"]["median_ms"]
        )
        out[name] = summary
    return out


def _mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def _print_table(rows: list[dict[str, Any]], speed: dict[str, Any] | None) -> None:
    print()
    print(
        f"{'scene':8} | {'ink % in':>8} {'today':>6} {'new':>6} | {'frag/MP today':>13} {'new':>6} "
        f"{'new/today':>9} | {'sat ratio today':>15} {'new':>5} | {'ms today-whole':>14} "
        f"{'whole':>6} {'ratio':>5} | ink  frag sat  speed"
    )
    for row in rows:
        name, inp, today, new = row["scene"], row["input"], row["today"], row["new"]
        share = (
            new["fragments_per_mp"] / today["fragments_per_mp"]
            if today["fragments_per_mp"] > 0
            else math.nan
        )
        sp = speed[name] if speed else None
        ms = (
            f"{sp['today_whole']['median_ms']:14.0f} {sp['new_whole']['median_ms']:6.0f} "
            f"{sp['whole_ratio_median']:5.2f}"
            if sp
            else f"{'-':>14} {'-':>6} {'-':>5}"
        )
        v = row["verdict"]
        print(
            f"{name:8} | {100 * inp['ink']:8.2f} {100 * today['ink']:6.2f} {100 * new['ink']:6.2f} | "
            f"{today['fragments_per_mp']:13.0f} {new['fragments_per_mp']:6.0f} "
            f"{fmt(100 * share, '.0f'):>8}% | {fmt(today['saturation_ratio'], '.3f'):>15} "
            f"{fmt(new['saturation_ratio'], '.3f'):>5} | {ms} | "
            + " ".join(f"{_mark(v[t]):4}" for t in ("ink", "fragments", "saturation", "speed"))
        )


def _print_speed(speed: dict[str, Any]) -> None:
    print()
    print(
        f"{'ms (min / median)':18} "
        + " ".join(f"{lk:>15}" for lk in LOOK_SOURCES)
        + "  new_whole/today_whole (min / median)  new/today (median)"
    )
    for name, sp in speed.items():
        cells = " ".join(
            f"{sp[lk]['min_ms']:7.0f}/{sp[lk]['median_ms']:<7.0f}" for lk in LOOK_SOURCES
        )
        print(
            f"{name:18} {cells}  {sp['whole_ratio_min']:19.2f} / {sp['whole_ratio_median']:<15.2f} "
            f"{sp['default_ratio_median']:.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=1024, help="long side of every scene, px")
    parser.add_argument("--rounds", type=int, default=5, help="speed rounds (>= 5 for a claim)")
    parser.add_argument("--scenes", nargs="+", default=list(SCENES), choices=SCENES)
    parser.add_argument("--texture", type=float, default=None, help="new look's texture, 0..1")
    parser.add_argument("--color", type=float, default=None, help="new look's color, 0..1")
    parser.add_argument(
        "--ref", default=DEFAULT_REF, help="today's commit (default: before issue 12)"
    )
    parser.add_argument("--no-speed", action="store_true", help="measures only, no timing")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "scenes-cpu.json")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    started = time.perf_counter()
    scenes = load_scenes(args.scenes, args.side)
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
            if (args.texture is not None or args.color is not None) and not this.options_applied:
                print("note: this checkout's webtoon takes no options; --texture/--color ignored")
            workers = {"ref": ref, "this": this}
            rows = []
            for name, rgb in scenes.items():
                outputs = {
                    look: workers[t].output(name, which, tmp)
                    for look, (t, which) in LOOK_SOURCES.items()
                }
                rows.append(scene_row(name, rgb, outputs))
                print(f"measured {name}", flush=True)
            speed = None if args.no_speed else speed_runs(workers, args.scenes, args.rounds)
            options_applied = this.options_applied
    load_after = os.getloadavg()
    for row in rows:
        row["verdict"] = verdicts(row, speed[row["scene"]] if speed else None)
    _print_table(rows, speed)
    if speed:
        _print_speed(speed)
    totals = {
        target: [row["verdict"][target] for row in rows if row["verdict"][target] is not None]
        for target in ("ink", "fragments", "saturation", "speed")
    }
    overall = all(all(v) for v in totals.values())
    print()
    for target, got in totals.items():
        print(f"{target:10} {sum(got)}/{len(got)} scenes pass" if got else f"{target:10} n/a")
    if speed:
        today_sum = sum(sp["today_whole"]["median_ms"] for sp in speed.values())
        new_sum = sum(sp["new_whole"]["median_ms"] for sp in speed.values())
        print(
            f"speed, all scenes: new_whole / today_whole = {new_sum / today_sum:.2f}x "
            "(sum of medians)"
        )
    print(f"OVERALL {'PASS' if overall else 'FAIL'}")
    print(f"load average before {load_before}, after {load_after}")
    report: dict[str, Any] = {
        "host": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "MALLOC_MMAP_THRESHOLD_": os.environ.get("MALLOC_MMAP_THRESHOLD_"),
            "LD_PRELOAD": os.environ.get("LD_PRELOAD"),
        },
        "ref": args.ref,
        "side": args.side,
        "rounds": 0 if speed is None else args.rounds,
        "options": {"texture": args.texture, "color": args.color, "applied": options_applied},
        "definitions": {
            "ink": f"luma < {INK_LUMA} and black top-hat of luma > {INK_TOPHAT} "
            f"(elliptical closing, {INK_KERNEL_AT_1024} px at a 1024 px long side)",
            "fragments_per_mp": "8-connected ink components < 30 px, per megapixel",
            "saturation": "mean HSV S = (max - min) / max (0 where max = 0)",
            "speed": "ms of one style call on a (1, 3, H, W) CPU tensor, analysis included",
        },
        "targets": TARGETS,
        "loadavg_before": list(load_before),
        "loadavg_after": list(load_after),
        "seconds": time.perf_counter() - started,
        "scenes": rows,
        "speed": speed,
        "overall_pass": overall,
    }
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
