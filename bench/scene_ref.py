"""Render and time the webtoon looks of two checkouts side by side, one worker process each.

Used by bench/scenes.py and docs/make_scenes.py. The earlier commit is checked out into a
temporary git worktree (as bench/look_ref.py does); each checkout gets one long-lived child
process with that checkout first on sys.path, which builds its styles once and then answers
render requests on stdin, so calls to the two builds can alternate image by image. The child
times only the style call on a (1, 3, H, W) float tensor (person analysis included, as the
worker runs it), not the conversions around it.

Looks a child offers: "default" (build_styles()["webtoon"], person-aware) and "whole"
(WebtoonStyle(person_aware=False)). --texture / --color are passed through
style.with_options(StyleOptions(...)) where the checkout has engine/styles/options.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = ["LOOKS", "ROOT", "StyleWorker", "ref_worktree", "write_scenes"]

ROOT = Path(__file__).resolve().parents[1]
LOOKS = ("default", "whole")

# Runs inside the child: argv = tree, scenes .npz, texture, color ("" = unset).
CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np, torch
from engine.styles import build_styles
from engine.styles.webtoon import WebtoonStyle
scenes = dict(np.load(sys.argv[2]))
styles = {"default": build_styles(torch.device("cpu"))["webtoon"],
          "whole": WebtoonStyle(person_aware=False)}
opts = {k: float(v) for k, v in (("texture", sys.argv[3]), ("color", sys.argv[4])) if v}
applied = False
if opts:
    try:
        from engine.styles.options import StyleOptions
    except ImportError:
        StyleOptions = None
    if StyleOptions is not None and all(hasattr(s, "with_options") for s in styles.values()):
        o = StyleOptions(**opts)
        styles = {k: s.with_options(o) for k, s in styles.items()}
        applied = True
print("READY " + json.dumps({"options_applied": applied}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    x = torch.from_numpy(np.ascontiguousarray(scenes[cmd["scene"]])).permute(2, 0, 1)[None]
    x = x.float().div(255)
    with torch.inference_mode():
        t = time.perf_counter()
        y = styles[cmd["look"]](x)
        ms = (time.perf_counter() - t) * 1000
    if cmd.get("save"):
        out = y[0].clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
        np.save(cmd["save"], np.ascontiguousarray(out))
    print("RESULT " + json.dumps({"ms": ms}), flush=True)
"""


@contextmanager
def ref_worktree(ref: str) -> Iterator[Path]:
    """A detached git worktree of `ref` in a temporary folder, removed on exit."""
    with tempfile.TemporaryDirectory(prefix="toonbot-ref-") as tmp:
        tree = Path(tmp) / "ref"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), ref],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            yield tree
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)],
                cwd=ROOT,
                check=False,
                capture_output=True,
            )


def write_scenes(path: Path, scenes: Mapping[str, np.ndarray]) -> Path:
    """Save name -> HxWx3 uint8 RGB images as an uncompressed .npz for the workers."""
    arrays: dict[str, Any] = {name: np.ascontiguousarray(rgb) for name, rgb in scenes.items()}
    np.savez(path, **arrays)
    return path


class StyleWorker:
    """One checkout's styles in a child process; render() is one call of one look."""

    def __init__(
        self,
        tree: Path,
        scenes_npz: Path,
        *,
        texture: float | None = None,
        color: float | None = None,
        log: Path | None = None,
    ) -> None:
        self.tree = tree
        self.log = log or scenes_npz.with_name(f"worker-{tree.name}.log")
        self._log_file: IO[str] = self.log.open("w")
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                str(tree),
                str(scenes_npz),
                "" if texture is None else str(texture),
                "" if color is None else str(color),
            ],
            cwd=tree,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
        )
        ready = self._reply("READY ")
        self.options_applied = bool(ready["options_applied"])

    def _reply(self, prefix: str) -> dict[str, Any]:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            if line.startswith(prefix):
                answer: dict[str, Any] = json.loads(line.removeprefix(prefix))
                return answer
        self._log_file.flush()
        tail = self.log.read_text()[-3000:]
        raise RuntimeError(f"style worker for {self.tree} stopped:\n{tail}")

    def render(self, scene: str, look: str, save: Path | None = None) -> float:
        """Run look ("default" or "whole") on the named scene; ms of the style call. With
        save, the HxWx3 uint8 output is written there as .npy."""
        assert self._proc.stdin is not None
        cmd = {"scene": scene, "look": look, "save": str(save) if save else None}
        self._proc.stdin.write(json.dumps(cmd) + "\n")
        self._proc.stdin.flush()
        return float(self._reply("RESULT ")["ms"])

    def output(self, scene: str, look: str, folder: Path) -> np.ndarray:
        """Render look on scene (untimed use) and return the HxWx3 uint8 output."""
        path = folder / f"{self.tree.name}-{look}-{scene}.npy"
        self.render(scene, look, save=path)
        out: np.ndarray = np.load(path)
        return out

    def close(self) -> None:
        """End the child (closing its stdin ends its loop) and wait for it."""
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log_file.close()

    def __enter__(self) -> StyleWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
