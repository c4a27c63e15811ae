"""Speed of a style against the same style at an earlier commit, alternated in one run.

Run: .venv/bin/python bench/look_ref.py [--ref 47b7c5a] [--style webtoon] [--rounds 5]
     [--renders 3] [--side 1024] [--image PATH] [--json PATH]

The earlier commit is checked out into a temporary git worktree; each round runs one fresh
process per side (the earlier build, then this one), which renders the portrait once to warm up
and then --renders more times, timing each call of the style on a (1, 3, H, W) tensor (analysis
included, as the worker runs it). Sides alternate so host load drifts hit both alike. Prints
min and median per side and their ratio, with the load average; writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PORTRAIT = ROOT.parent / "shared" / "portraits" / "unsplash_woman_long_hair.jpg"

# Runs inside the child, with the side's checkout first on sys.path.
CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import cv2, numpy as np, torch
from engine.styles import build_styles
style = build_styles(torch.device("cpu"))[sys.argv[2]]
side, renders = int(sys.argv[3]), int(sys.argv[4])
if sys.argv[5]:
    bgr = cv2.imread(sys.argv[5])
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
else:
    from skimage import data
    rgb = data.astronaut()
s = side / max(rgb.shape[:2])
rgb = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float().div(255)
times = []
with torch.inference_mode():
    style(x)
    for _ in range(renders):
        t = time.perf_counter()
        style(x)
        times.append((time.perf_counter() - t) * 1000)
print("RESULT " + json.dumps(times))
"""


def _run_side(tree: Path, args: argparse.Namespace, image: str) -> list[float]:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(tree),
            args.style,
            str(args.side),
            str(args.renders),
            image,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    times: list[float] = json.loads(line.removeprefix("RESULT "))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ref", default="47b7c5a", help="the earlier commit (default: before issue 11)"
    )
    parser.add_argument("--style", default="webtoon")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--renders", type=int, default=3)
    parser.add_argument("--side", type=int, default=1024)
    parser.add_argument("--image", type=Path, default=PORTRAIT if PORTRAIT.exists() else None)
    parser.add_argument(
        "--json", type=Path, default=ROOT / "bench" / "results" / "look-ref-cpu.json"
    )
    args = parser.parse_args(argv)
    image = str(args.image) if args.image else ""
    load_before = os.getloadavg()
    sides: dict[str, list[float]] = {"ref": [], "this": []}
    with tempfile.TemporaryDirectory(prefix="toonbot-ref-") as tmp:
        tree = Path(tmp) / "ref"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), args.ref],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            for k in range(args.rounds):
                for name, where in (("ref", tree), ("this", ROOT)):
                    times = _run_side(where, args, image)
                    sides[name] += times
                    print(f"round {k + 1}: {name:4} " + " ".join(f"{t:.0f}" for t in times) + " ms")
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
            )
    load_after = os.getloadavg()
    summary = {
        name: {"min_ms": min(v), "median_ms": statistics.median(v), "all_ms": v}
        for name, v in sides.items()
    }
    ratio_min = summary["this"]["min_ms"] / summary["ref"]["min_ms"]
    ratio_median = summary["this"]["median_ms"] / summary["ref"]["median_ms"]
    print(
        f"{args.style} at {args.ref}: min {summary['ref']['min_ms']:.0f} ms, median {summary['ref']['median_ms']:.0f} ms"
    )
    print(
        f"{args.style} now: min {summary['this']['min_ms']:.0f} ms, median {summary['this']['median_ms']:.0f} ms"
    )
    print(f"now / then: min {ratio_min:.2f}x, median {ratio_median:.2f}x")
    print(f"load average before {load_before}, after {load_after}")
    report: dict[str, Any] = {
        "host": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "MALLOC_MMAP_THRESHOLD_": os.environ.get("MALLOC_MMAP_THRESHOLD_"),
            "LD_PRELOAD": os.environ.get("LD_PRELOAD"),
        },
        "ref": args.ref,
        "style": args.style,
        "image": image or "skimage astronaut",
        "side": args.side,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "sides": summary,
        "ratio_min": ratio_min,
        "ratio_median": ratio_median,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
