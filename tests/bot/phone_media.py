"""Phone-style inputs built in code (stickers, animated pictures, rotated and trimmed clips) and
readers for what the bots send back: displayed size, first timestamps, flash and beep times."""

from __future__ import annotations

import io
import math
from fractions import Fraction
from typing import Any, cast

import av
import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    "ANIMATED_COLOURS",
    "animated_picture",
    "bar_edge",
    "displayed_size",
    "first_times",
    "flash_and_beep",
    "gif_frames",
    "offset_clip",
    "rotated_clip",
    "sticker_webp",
    "webm_sticker",
]

ANIMATED_COLOURS = ((220, 30, 30), (30, 200, 30), (30, 30, 220))
_RATE = 44100


def sticker_webp(side: int = 128) -> bytes:
    """A static Telegram sticker: a red disc on a transparent square, as WebP with alpha."""
    im = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(im).ellipse((side // 4, side // 4, 3 * side // 4, 3 * side // 4), (220, 40, 40))
    buf = io.BytesIO()
    im.save(buf, format="WEBP", lossless=True)
    return buf.getvalue()


def animated_picture(fmt: str, w: int = 96, h: int = 64) -> bytes:
    """An animated WebP ("WEBP") or APNG ("PNG"): red, green, blue, 200 ms each, looping."""
    frames = [Image.new("RGB", (w, h), c) for c in ANIMATED_COLOURS]
    buf = io.BytesIO()
    extra = {"lossless": True} if fmt == "WEBP" else {}
    frames[0].save(
        buf, format=fmt, save_all=True, append_images=frames[1:], duration=200, loop=0, **extra
    )
    return buf.getvalue()


def gif_frames(data: bytes) -> list[np.ndarray]:
    """Every frame of a GIF the bot sent, as RGB."""
    out = []
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "GIF"
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            out.append(np.asarray(im.convert("RGB")))
    return out


def webm_sticker(n: int = 6, side: int = 64, fps: int = 10, *, alpha: bool = False) -> bytes:
    """A Telegram video sticker: VP9 in WebM, square, silent, a red square sliding across a
    grey background, or (`alpha`) a transparent one, as real video stickers have."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="webm") as c:
        vs = c.add_stream("libvpx-vp9", rate=fps)
        vs.width, vs.height = side, side
        vs.pix_fmt = "yuva420p" if alpha else "yuv420p"
        for i in range(n):
            f = np.zeros((side, side, 4), np.uint8)  # transparent
            if not alpha:
                f[:] = (200, 200, 200, 255)
            f[8:24, 4 + 6 * i : 20 + 6 * i] = (220, 40, 40, 255)
            if alpha:
                frame = av.VideoFrame.from_ndarray(f, format="rgba")
            else:
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(f[..., :3]), format="rgb24")
            c.mux(vs.encode(frame))
        c.mux(vs.encode(None))
    return buf.getvalue()


def rotated_clip(rotation: int = -90, w: int = 96, h: int = 48, n: int = 8, fps: int = 10) -> bytes:
    """A phone video: landscape-coded H.264 (w x h) with AAC, carrying a display matrix that
    rotates it by `rotation` degrees (-90: shown upright as h x w, portrait). A red bar runs
    along the coded left edge; shown upright it is at the top for -90 (turned clockwise, as
    FFmpeg's players do), at the bottom for 90 and on the right for 180."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as c:
        vs = c.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.set_display_rotation(rotation)
        frames = []
        for i in range(n):
            f = np.full((h, w, 3), 90, np.uint8)
            f[:, : w // 8] = (230, 30, 30)  # a bar along the coded left edge
            f[h // 3 : h // 3 + 12, 20 + 4 * i : 32 + 4 * i] = (30, 200, 30)
            frames.append(f)
        # Video first, then audio: the encoder needs every stream added before muxing starts.
        a = c.add_stream("aac", rate=_RATE)
        a.layout = "mono"
        for f in frames:
            c.mux(vs.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        c.mux(vs.encode(None))
        total = int(_RATE * n / fps)
        pcm = (0.3 * np.sin(2 * math.pi * 440 * np.arange(total) / _RATE)).astype(np.float32)
        for s in range(0, total, 1024):
            af = av.AudioFrame.from_ndarray(pcm[None, s : s + 1024], format="flt", layout="mono")
            af.sample_rate, af.pts = _RATE, s
            c.mux(a.encode(af))
        c.mux(a.encode(None))
    return buf.getvalue()


def offset_clip(
    video_start: float = 2.0, audio_start: float = 1.5, event: float = 2.5, fps: int = 20
) -> bytes:
    """A trimmed/forwarded clip: tracks starting at `video_start` and `audio_start` seconds
    (not 0), in sync: one white frame (the rest dark) and a 1 kHz beep, both at `event` s."""
    w, h, n = 64, 48, 30
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as c:
        vs = c.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.codec_context.time_base = Fraction(1, fps)
        a = c.add_stream("aac", rate=_RATE)
        a.layout = "mono"
        first = round(video_start * fps)
        for i in range(first, first + n):
            f = np.full((h, w, 3), 255 if i == round(event * fps) else 40, np.uint8)
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, fps)
            c.mux(vs.encode(vf))
        c.mux(vs.encode(None))
        end = video_start + n / fps
        total = int((end - audio_start) * _RATE)
        t = audio_start + np.arange(total) / _RATE
        beep = (t >= event) & (t < event + 0.2)
        pcm = np.where(beep, 0.5 * np.sin(2 * math.pi * 1000 * t), 0).astype(np.float32)
        for s in range(0, total, 1024):
            af = av.AudioFrame.from_ndarray(pcm[None, s : s + 1024], format="flt", layout="mono")
            af.sample_rate = _RATE
            af.pts, af.time_base = round(audio_start * _RATE) + s, Fraction(1, _RATE)
            c.mux(a.encode(af))
        c.mux(a.encode(None))
    return buf.getvalue()


def _input(data: bytes) -> av.container.InputContainer:
    return cast(av.container.InputContainer, av.open(io.BytesIO(data)))


def _seconds(frame: Any) -> float:
    return float(frame.pts * frame.time_base)


def displayed_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a clip as players show it: coded size turned by its display matrix."""
    with _input(data) as c:
        frame = next(c.decode(c.streams.video[0]))
        w, h = frame.width, frame.height
        return (h, w) if round(frame.rotation) % 180 == 90 else (w, h)


def bar_edge(data: bytes) -> str:
    """Which edge of the first frame, as displayed, holds rotated_clip's bar: "top", "bottom",
    "left" or "right" (the bar is the reddest strip of the source, the least red once inverted
    by the stand-in style, so the edge is the one whose red differs most from the middle)."""
    with _input(data) as c:
        frame = next(c.decode(c.streams.video[0]))
        # FFmpeg's display matrix angle is counter-clockwise; np.rot90 turns counter-clockwise.
        rgb = np.rot90(frame.to_ndarray(format="rgb24"), k=round(frame.rotation / 90) % 4)
    red = rgb[..., 0].astype(np.float64)
    h, w = red.shape
    strips = {
        "top": red[: h // 10],
        "bottom": red[-(h // 10) :],
        "left": red[:, : w // 10],
        "right": red[:, -(w // 10) :],
    }
    middle = red[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3].mean()
    return max(strips, key=lambda edge: abs(strips[edge].mean() - middle))


def first_times(data: bytes) -> tuple[float, float]:
    """Presentation times (s) of the first decoded video frame and the first audio frame."""
    with _input(data) as c:
        video = next(c.decode(c.streams.video[0]))
        video_t = _seconds(video)
    with _input(data) as c:
        audio = next(c.decode(c.streams.audio[0]))
        audio_t = _seconds(audio)
    return video_t, audio_t


def flash_and_beep(data: bytes) -> tuple[float, float]:
    """When the odd-one-out frame shows and when the beep starts, in seconds of the clip."""
    with _input(data) as c:
        means = [
            (_seconds(f), float(f.to_ndarray(format="rgb24").mean()))
            for f in c.decode(c.streams.video[0])
        ]
    typical = float(np.median([m for _, m in means]))
    flash = max(means, key=lambda tm: abs(tm[1] - typical))[0]
    with _input(data) as c:
        for f in c.decode(c.streams.audio[0]):
            pcm = f.to_ndarray().astype(np.float64)
            loud = np.flatnonzero(np.abs(pcm).max(axis=0) > 0.1)
            if loud.size:
                return flash, _seconds(f) + loud[0] / f.sample_rate
    raise AssertionError("the clip has no beep")
