"""Lone-job overhead of the engine before and after issue 16's batcher wait rule, side by side.

"before" is a temporary git worktree of --ref (default HEAD), "after" this working tree; each
round runs one child process per checkout, alternating (rounds >= 5). A child starts an Engine
on the CPU with a near-free identity style (64x64 image, so a job's latency is the engine's
overhead: queue, batcher wait, thread hop) and submits jobs one at a time:
  quiet:      a lone job after 50 ms of nothing (a user sending a photo now and then),
  sequential: the next job as soon as the last returns (one user, one photo at a time).
Times in ms. Prints a table and writes JSON to bench/results/lone-job-cpu.json.
Run with MALLOC_MMAP_THRESHOLD_=1073741824 on a shared host; the load average is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import write_report
from scene_ref import ROOT, ref_worktree

CHILD = r"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np, torch
from engine.config import EngineConfig
from engine.engine import Engine
from engine.job import Job

class Identity:
    name = "id"
    description = "identity"
    needs_exact_size = False
    def __call__(self, images):
        return images

async def main(jobs, max_wait_ms):
    img = np.zeros((64, 64, 3), dtype=np.uint8)
    out = {}
    cfg = EngineConfig(device="cpu", max_wait_ms=max_wait_ms, torch_threads=1)
    async with Engine(cfg, {"id": Identity()}) as engine:
        await engine.submit(Job(img, "id"))  # warm-up (and the first batch's history)
        for scene, gap in (("quiet", 0.05), ("sequential", 0.0)):
            times = []
            for _ in range(jobs):
                if gap:
                    await asyncio.sleep(gap)
                t = time.perf_counter()
                await engine.submit(Job(img, "id"))
                times.append((time.perf_counter() - t) * 1000)
            out[scene] = times
    print(json.dumps(out))

asyncio.run(main(int(sys.argv[2]), float(sys.argv[3])))
"""


def child(tree: Path, jobs: int, max_wait_ms: float) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(jobs), str(max_wait_ms)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tree,
        timeout=600,
    )
    result: dict[str, list[float]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="HEAD", help="the 'before' commit")
    parser.add_argument("--rounds", type=int, default=5, help="alternations, >= 5")
    parser.add_argument("--jobs", type=int, default=30, help="jobs per scene per child")
    parser.add_argument("--max-wait-ms", type=float, default=15.0, help="engine.max_wait_ms")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/lone-job-cpu.json")
    args = parser.parse_args(argv)
    samples: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    ratios: dict[str, list[float]] = {}
    with ref_worktree(args.ref) as before_tree:
        trees = {"before": before_tree, "after": ROOT}
        for _ in range(args.rounds):
            medians: dict[str, dict[str, float]] = {}
            for name, tree in trees.items():
                got = child(tree, args.jobs, args.max_wait_ms)
                medians[name] = {}
                for scene, times in got.items():
                    samples[name].setdefault(scene, []).extend(times)
                    medians[name][scene] = statistics.median(times)
            for scene in medians["after"]:
                ratio = medians["before"][scene] / medians["after"][scene]
                ratios.setdefault(scene, []).append(ratio)
    rows = []
    for scene in ratios:
        row: dict[str, object] = {"scene": scene}
        for name in ("before", "after"):
            row[f"{name}_min_ms"] = round(min(samples[name][scene]), 2)
            row[f"{name}_median_ms"] = round(statistics.median(samples[name][scene]), 2)
        row["before_over_after_median"] = round(statistics.median(ratios[scene]), 1)
        row["before_over_after_min"] = round(min(ratios[scene]), 1)
        rows.append(row)
    print(
        f"{'scene':11} {'before min':>10} {'median':>7} {'after min':>10} {'median':>7} {'ratio':>6}"
    )
    for r in rows:
        print(
            f"{r['scene']:11} {r['before_min_ms']:10.2f} {r['before_median_ms']:7.2f} "
            f"{r['after_min_ms']:10.2f} {r['after_median_ms']:7.2f} "
            f"{r['before_over_after_median']:6.1f}"
        )
    write_report(
        args.out,
        "lone_job",
        rows,
        ref=args.ref,
        rounds=args.rounds,
        jobs=args.jobs,
        max_wait_ms=args.max_wait_ms,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
