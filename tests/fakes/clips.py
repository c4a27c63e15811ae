"""Tiny real clips made with PyAV, and a reader for what the bots send back."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import av
import numpy as np
from PIL import Image

__all__ = ["clip_frames", "make_clip", "make_gif", "read_clip"]


def clip_frames(n: int = 8, w: int = 64, h: int = 48) -> list[np.ndarray]:
    """A gradient with a square moving across it."""
    base = np.zeros((h, w, 3), dtype=np.uint8)
    base[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    base[..., 1] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]
    out = []
    for i in range(n):
        f = base.copy()
        x = 4 + i * 4
        f[10:26, x : x + 16] = (230, 40, 40)
        out.append(f)
    return out


def make_clip(
    n: int = 8,
    fps: int = 10,
    *,
    audio: bool = True,
    video: bool = True,
    w: int = 64,
    h: int = 48,
    frames: Sequence[np.ndarray] | None = None,
) -> bytes:
    """An mp4: H.264 of `frames` (default: clip_frames) plus an AAC sine when `audio`."""
    pictures = list(frames) if frames is not None else clip_frames(n, w, h)
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as out:
        if video:
            vs = out.add_stream("libx264", rate=fps)
            vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        if audio:
            aus = out.add_stream("aac", rate=44100)
            aus.layout = "mono"
        if video:
            for f in pictures:
                out.mux(vs.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
            out.mux(vs.encode(None))
        if audio:
            total = int(44100 * n / fps)
            t = np.arange(total) / 44100
            pcm = (0.3 * np.sin(2 * math.pi * 440 * t)).astype(np.float32)
            for start in range(0, total, 1024):
                af = av.AudioFrame.from_ndarray(
                    pcm[None, start : start + 1024], format="flt", layout="mono"
                )
                af.sample_rate = 44100
                af.pts = start
                out.mux(aus.encode(af))
            out.mux(aus.encode(None))
    return buf.getvalue()


def make_gif(n: int = 8, *, frames: Sequence[np.ndarray] | None = None) -> bytes:
    """An animated GIF of `frames` (default: clip_frames), 100 ms a frame."""
    pictures = list(frames) if frames is not None else clip_frames(n)
    buf = io.BytesIO()
    ims = [Image.fromarray(f) for f in pictures]
    ims[0].save(buf, format="GIF", save_all=True, append_images=ims[1:], duration=100, loop=0)
    return buf.getvalue()


def read_clip(data: bytes) -> tuple[int, bool, tuple[int, int]]:
    """(frames, has audio, (width, height)) of an encoded clip."""
    with av.open(io.BytesIO(data)) as c:
        vs = c.streams.video[0]
        count = sum(1 for _ in c.decode(vs))
        return count, bool(c.streams.audio), (vs.width, vs.height)
