"""The ONNX face analysis (engine.analysis.onnx_backend) against mediapipe's own graphs.

Needs mediapipe 0.10.14 importable (installed by hand, `pip install --no-deps mediapipe==0.10.14
absl-py matplotlib`: it is no longer a dependency); bench/mediapipe_reference.py drives it the
way the engine did before issue 16. On every picture (skimage's astronaut, matplotlib's
grace_hopper, /work/shared/portraits/*.jpg and every --frame-step'th frame of its talking-head
clip when present), each mediapipe face is paired with the nearest ONNX face and reported:
mean and max landmark distance in pixels and relative to the face's size (its bbox's longer
side), detector scores, faces found by each, and the person mask's IoU (both thresholded at 0.5).
Speed: both analyzers on each picture, alternating old/new for --rounds rounds (>= 5); min and
median ms per picture, and their ratio. Prints tables, writes bench/results/face-analysis-cpu.json.

--write-fixture also stores mediapipe's landmarks and masks for astronaut and grace_hopper in
tests/engine/data/mediapipe_faces.npz (the agreement test's reference; needs no mediapipe later).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after ROOT: bench/engine.py must not shadow engine

from report import write_report  # noqa: E402

from engine.analysis.onnx_backend import OnnxAnalyzer  # noqa: E402
from engine.analysis.types import PersonAnalysis  # noqa: E402

PORTRAITS = Path("/work/shared/portraits")
FIXTURE = ROOT / "tests" / "engine" / "data" / "mediapipe_faces.npz"


def samples() -> list[tuple[str, np.ndarray]]:
    """(name, RGB uint8) for the two library pictures the tests use."""
    from matplotlib import cbook
    from skimage import data

    bgr = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    return [("astronaut", data.astronaut()), ("grace_hopper", cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))]


def pictures(frame_step: int) -> list[tuple[str, np.ndarray]]:
    """The samples, the shared portraits and some frames of the shared clip, when present."""
    out = samples()
    for path in sorted(PORTRAITS.glob("*.jpg")):
        out.append((path.name, cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)))
    clip = PORTRAITS / "pexels_talking_head.mp4"
    if clip.is_file() and frame_step > 0:
        cap = cv2.VideoCapture(str(clip))
        index = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if index % frame_step == 0:
                out.append((f"{clip.stem}#{index}", cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
            index += 1
        cap.release()
    return out


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two soft masks thresholded at 0.5 (1.0 when both are empty)."""
    x, y = a > 0.5, b > 0.5
    union = np.logical_or(x, y).sum()
    return float(np.logical_and(x, y).sum() / union) if union else 1.0


def compare(name: str, old: PersonAnalysis, new: PersonAnalysis) -> list[dict[str, Any]]:
    """One row per mediapipe face: its nearest ONNX face's landmark error, or unmatched."""
    rows = []
    iou = round(mask_iou(old.person_mask, new.person_mask), 4)
    for face in old.faces:
        row: dict[str, Any] = {"picture": name, "mask_iou": iou, "size_px": round(face.size, 1)}
        row.update(
            old_faces=len(old.faces), new_faces=len(new.faces), old_score=round(face.score, 3)
        )
        near = [f for f in new.faces if f.landmarks is not None]
        if face.landmarks is None or not near:
            rows.append({**row, "matched": False})
            continue
        other = min(near, key=lambda f: float(np.hypot(*np.subtract(f.centre, face.centre))))
        assert other.landmarks is not None
        d = np.hypot(*(face.landmarks - other.landmarks).T)
        row.update(matched=True, new_score=round(other.score, 3))
        row.update(mean_px=round(float(d.mean()), 2), max_px=round(float(d.max()), 2))
        row.update(
            mean_rel=round(float(d.mean()) / face.size, 5),
            max_rel=round(float(d.max()) / face.size, 5),
        )
        rows.append(row)
    if not old.faces:
        rows.append(
            {
                "picture": name,
                "mask_iou": iou,
                "old_faces": 0,
                "new_faces": len(new.faces),
                "matched": None,
            }
        )
    return rows


def timing(
    analyzers: dict[str, Any], images: list[np.ndarray], rounds: int
) -> dict[str, dict[str, float]]:
    """Mean ms per picture in each round for each analyzer (min and median over the rounds),
    the analyzers alternating picture by picture so load changes hit both alike."""
    for image in images:  # warm-up: sessions and graphs built, caches filled
        for analyzer in analyzers.values():
            analyzer.analyze(image)
    per_round: dict[str, list[float]] = {k: [] for k in analyzers}
    for _ in range(rounds):
        spent = dict.fromkeys(analyzers, 0.0)
        for image in images:
            for key, analyzer in analyzers.items():
                t = time.perf_counter()
                analyzer.analyze(image)
                spent[key] += time.perf_counter() - t
        for key in analyzers:
            per_round[key].append(spent[key] * 1000 / len(images))
    return {
        k: {"min_ms": round(min(v), 2), "median_ms": round(statistics.median(v), 2)}
        for k, v in per_round.items()
    }


def write_fixture(reference: Any) -> None:
    """mediapipe's landmarks (478, 2) and packed 0.5-thresholded mask per sample picture."""
    arrays: dict[str, np.ndarray] = {}
    for name, image in samples():
        result = reference.analyze(image)
        faces = [f for f in result.faces if f.landmarks is not None]
        arrays[f"{name}_landmarks"] = np.stack([f.landmarks for f in faces]).astype(np.float32)
        arrays[f"{name}_mask"] = np.packbits(result.person_mask > 0.5)
        arrays[f"{name}_shape"] = np.array(result.person_mask.shape, np.int32)
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(FIXTURE, **arrays)
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size} bytes)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--frame-step", type=int, default=30, help="every Nth clip frame; 0: none")
    ap.add_argument("--write-fixture", action="store_true")
    ap.add_argument(
        "--json", type=Path, default=ROOT / "bench" / "results" / "face-analysis-cpu.json"
    )
    args = ap.parse_args()
    if args.rounds < 5:
        ap.error("--rounds must be at least 5")
    from mediapipe_reference import MediapipeAnalyzer

    old, new = MediapipeAnalyzer(), OnnxAnalyzer()
    if args.write_fixture:
        write_fixture(old)
    pics = pictures(args.frame_step)
    rows: list[dict[str, Any]] = []
    for name, image in pics:
        rows += compare(name, old.analyze(image), new.analyze(image))
    print(
        f"{'picture':34} {'size':>6} {'mean px':>8} {'max px':>7} {'mean %':>7} {'max %':>6} {'IoU':>6} faces"
    )
    for r in rows:
        if r.get("matched"):
            print(
                f"{r['picture']:34} {r['size_px']:6.0f} {r['mean_px']:8.2f} {r['max_px']:7.2f} "
                f"{100 * r['mean_rel']:7.2f} {100 * r['max_rel']:6.2f} {r['mask_iou']:6.3f} "
                f"{r['old_faces']}/{r['new_faces']}"
            )
        else:
            print(
                f"{r['picture']:34} unmatched face (faces {r['old_faces']}/{r['new_faces']}), IoU {r['mask_iou']:.3f}"
            )
    matched = [r for r in rows if r.get("matched")]
    summary = {
        "faces": len([r for r in rows if r.get("matched") is not None]),
        "matched": len(matched),
        "mean_px_median": round(statistics.median(r["mean_px"] for r in matched), 2),
        "mean_rel_max": round(max(r["mean_rel"] for r in matched), 5),
        "max_rel_max": round(max(r["max_rel"] for r in matched), 5),
        "max_rel_median": round(statistics.median(r["max_rel"] for r in matched), 5),
        "mask_iou_min": round(min(r["mask_iou"] for r in rows), 4),
        "mask_iou_median": round(statistics.median(r["mask_iou"] for r in rows), 4),
    }
    print("agreement:", summary)
    stills = [image for name, image in pics if "#" not in name]
    speed = timing({"mediapipe": old, "onnx": new}, stills, args.rounds)
    ratio = speed["mediapipe"]["median_ms"] / speed["onnx"]["median_ms"]
    print(f"speed, ms per picture over {len(stills)} stills x {args.rounds} alternating rounds:")
    for key, s in speed.items():
        print(f"  {key:10} min {s['min_ms']:7.2f}  median {s['median_ms']:7.2f}")
    print(f"  mediapipe / onnx (medians): {ratio:.2f}x")
    write_report(
        args.json,
        "face_analysis",
        rows,
        rounds=args.rounds,
        frame_step=args.frame_step,
        agreement=summary,
        speed=speed,
        speed_ratio=round(ratio, 3),
    )


if __name__ == "__main__":
    main()
