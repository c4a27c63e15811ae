"""Picture and sound stay in sync when the tracks don't start at 0 (trimmed, forwarded clips).

Each clip has one white frame (the flash) and a 1 kHz tone (the beep) starting at the same
moment; after `toon_video` they must still coincide, and the picture must start at 0.
"""

from __future__ import annotations

import io
import math
from fractions import Fraction

import av
import numpy as np
import pytest

from engine.config import EngineConfig
from engine.engine import Engine
from engine.video import toon_video
from tests.engine.tiny_styles import TinyConv

W, H, FPS = 64, 48, 20
SECONDS = 2.0
# Flash and beep land within this of each other (a frame is 50 ms; measured: under 1 ms).
SYNC_TOLERANCE_S = 0.03


def make_clip(v0: float, a0: float, fmt: str, vcodec: str, acodec: str, rate: int) -> bytes:
    """Video from v0 s and audio from a0 s (2 s each), flash and beep at max(v0, a0) + 0.5 s."""
    flash = max(v0, a0) + 0.5
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=fmt) as out:
        vs = out.add_stream(vcodec, rate=FPS)
        vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
        vs.codec_context.time_base = Fraction(1, FPS)
        aus = out.add_stream(acodec, rate=rate)
        aus.layout = "mono"
        first = round(v0 * FPS)
        for i in range(first, first + round(SECONDS * FPS)):
            level = 255 if i == round(flash * FPS) else 40
            frame = av.VideoFrame.from_ndarray(np.full((H, W, 3), level, np.uint8), "rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        total = round(SECONDS * rate)
        t = a0 + np.arange(total) / rate
        beep = (t >= flash) & (t < flash + 0.1)
        pcm = np.where(beep, 0.5 * np.sin(2 * math.pi * 1000 * t), 0.0)
        pcm16 = acodec.startswith("pcm")
        samples = (pcm * 16000).astype(np.int16) if pcm16 else pcm.astype(np.float32)
        size = aus.codec_context.frame_size or 1024
        for start in range(0, total, size):
            chunk = np.ascontiguousarray(samples[None, start : start + size])
            af = av.AudioFrame.from_ndarray(chunk, "s16" if pcm16 else "flt", "mono")
            af.sample_rate, af.pts, af.time_base = rate, round(a0 * rate) + start, Fraction(1, rate)
            out.mux(aus.encode(af))
        out.mux(aus.encode(None))
    return buf.getvalue()


def flash_and_beep(data: bytes) -> tuple[float, float, float]:
    """(first picture, flash, beep onset) in seconds on the file's own timeline."""
    with av.open(io.BytesIO(data)) as c:
        times, means = [], []
        for frame in c.decode(video=0):
            times.append(float(frame.time))
            means.append(float(frame.to_ndarray(format="rgb24").mean()))
    deviation = np.abs(np.asarray(means) - np.median(means))
    flash = times[int(np.argmax(deviation))]
    with av.open(io.BytesIO(data)) as c:
        for frame in c.decode(audio=0):
            pcm = frame.to_ndarray().astype(np.float64)
            if frame.format.name.startswith("s16"):
                pcm /= 32768
            loud = np.nonzero(np.abs(pcm[0]) > 0.1)[0]
            if loud.size:
                return times[0], flash, float(frame.time) + loud[0] / frame.sample_rate
    raise AssertionError("no beep in the audio")


CONTAINERS = {
    "mp4-aac": ("mp4", "libx264", "aac", 44100),  # audio packets copied
    "webm-opus": ("webm", "libvpx-vp9", "libopus", 48000),  # copied
    "mov-pcm": ("mov", "libx264", "pcm_s16le", 44100),  # re-encoded to AAC
}


@pytest.mark.parametrize(
    ("container", "v0", "a0"),
    [
        ("mp4-aac", 0.0, 0.0),
        ("mp4-aac", 2.0, 2.0),  # both offset alike (a trimmed clip)
        ("mp4-aac", 1.0, 0.0),  # picture starts late: sound before it is trimmed
        ("mp4-aac", 0.0, 1.0),  # sound starts late: it keeps its delay
        ("mp4-aac", 0.5, 1.3),
        ("webm-opus", 2.0, 2.0),
        ("webm-opus", 1.0, 0.0),
        ("mov-pcm", 2.0, 2.0),
        ("mov-pcm", 1.0, 0.0),
        ("mov-pcm", 0.0, 1.0),
    ],
)
async def test_flash_and_beep_stay_together(container: str, v0: float, a0: float) -> None:
    clip = make_clip(v0, a0, *CONTAINERS[container])
    start, flash, beep = flash_and_beep(clip)
    assert (start, flash) == pytest.approx((v0, max(v0, a0) + 0.5), abs=1e-3)
    assert beep == pytest.approx(flash, abs=SYNC_TOLERANCE_S)
    config = EngineConfig(device="cpu", max_batch_size=4, max_wait_ms=2.0)
    async with Engine(config, {"tiny": TinyConv()}) as engine:
        result = await toon_video(engine, clip, "tiny", "u1")
    assert result.has_audio
    start, flash, beep = flash_and_beep(result.data)
    # The output starts at 0: both tracks moved back by the picture's start.
    assert (start, flash) == pytest.approx((0.0, max(v0, a0) + 0.5 - v0), abs=2e-3)
    assert beep == pytest.approx(flash, abs=SYNC_TOLERANCE_S)
