"""Start-up wall time of the `toonbot` commands that draw nothing, a git ref against the tree.

Run: .venv/bin/python bench/startup.py [--ref 1516535] [--rounds 7] [--json PATH]
Each run is a fresh interpreter doing what the console script does (`from bot.cli import main`,
`sys.exit(main(argv))`) with the checkout first on sys.path, from an empty folder with an empty
config.toml (`styles` lists the built-ins; no model weights installed). The --ref tree is
exported with `git archive` into a temporary folder. Rounds alternate which tree runs first; the
ratio is ref / tree over the same rounds. Each run also reports whether torch got imported.
Host load (`uptime`) is recorded before and after: this 2-core host is shared.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COMMANDS: dict[str, list[str]] = {
    "--help": ["--help"],
    "--version": ["--version"],
    "styles": ["--config", "{config}", "styles"],
}

# The console script's body, plus a line on stderr saying whether torch was imported.
_PROBE = """
import sys
sys.path.insert(0, sys.argv[1])
from bot.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as stop:
    code = stop.code
print("TORCH=" + str("torch" in sys.modules), file=sys.stderr)
sys.exit(code)
"""


def _export(ref: str, into: Path) -> Path:
    """The files of commit `ref` under `into` (git archive: no worktree, no change to .git)."""
    tar = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    return into


def _once(tree: Path, argv: list[str], workdir: Path) -> tuple[float, int, bool]:
    """(seconds, exit code, torch imported) of one fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOONBOT_")}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tree), *argv],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    seconds = time.perf_counter() - start
    return seconds, done.returncode, "TORCH=True" in done.stderr


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="HEAD", help="git ref to compare against the tree")
    parser.add_argument("--rounds", type=int, default=7, help="runs per command and tree (>= 5)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/startup-cpu.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp) / "work"
        workdir.mkdir()
        config = workdir / "config.toml"
        config.write_text("")
        trees = {"ref": _export(args.ref, Path(tmp) / "ref"), "tree": ROOT}
        load_before = _uptime()
        runs: dict[str, dict[str, list[tuple[float, int, bool]]]] = {
            name: {which: [] for which in trees} for name in COMMANDS
        }
        for _ in range(2):  # warm the page cache for both trees; not counted
            for tree in trees.values():
                _once(tree, ["--help"], workdir)
        for round_ in range(args.rounds):
            order = ["ref", "tree"] if round_ % 2 == 0 else ["tree", "ref"]
            for name, argv in COMMANDS.items():
                filled = [a.replace("{config}", str(config)) for a in argv]
                for which in order:
                    runs[name][which].append(_once(trees[which], filled, workdir))
        load_after = _uptime()

    rows: list[dict[str, Any]] = []
    for name, by_tree in runs.items():
        row: dict[str, Any] = {"command": f"toonbot {name}"}
        for which, samples in by_tree.items():
            seconds = [s for s, _, _ in samples]
            row[which] = {
                "median_s": round(statistics.median(seconds), 3),
                "min_s": round(min(seconds), 3),
                "max_s": round(max(seconds), 3),
                "runs_s": [round(s, 3) for s in seconds],
                "exit_codes": sorted({c for _, c, _ in samples}),
                "torch_imported": any(t for _, _, t in samples),
            }
        pairs = zip(by_tree["ref"], by_tree["tree"], strict=True)
        ratios = [r[0] / t[0] for r, t in pairs]
        row["ratio_ref_over_tree_median"] = round(statistics.median(ratios), 2)
        rows.append(row)

    print(f"ref {args.ref} vs working tree, {args.rounds} alternating rounds")
    print(f"load before: {load_before}\nload after:  {load_after}")
    print(f"{'command':<18} {'ref median':>11} {'tree median':>12} {'ratio':>6}  torch ref/tree")
    for row in rows:
        ref, tree = row["ref"], row["tree"]
        print(
            f"{row['command']:<18} {ref['median_s']:>10.3f}s {tree['median_s']:>11.3f}s "
            f"{row['ratio_ref_over_tree_median']:>6.2f}  {ref['torch_imported']}/"
            f"{tree['torch_imported']}  (exit {ref['exit_codes']}/{tree['exit_codes']})"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "bench": "startup",
        "ref": args.ref,
        "ref_commit": subprocess.run(
            ["git", "rev-parse", args.ref], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "rounds": args.rounds,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "uptime_before": load_before,
        "uptime_after": load_after,
        "rows": rows,
    }
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
