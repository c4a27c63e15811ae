"""`toon_video`: stylize every frame through the shared engine, fairly, and re-encode."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from engine.analysis.temporal import FaceTracker
from engine.analysis.types import PersonAnalysis, PersonAnalyzer
from engine.job import Job
from engine.styles.options import StyleOptions
from engine.video.animated import AnimatedReader
from engine.video.codec import FrameReader, GifWriter, Mp4Writer
from engine.video.probe import ANIMATED_PICTURES, VideoLimits, probe_video
from engine.video.stability import Stabilizer

if TYPE_CHECKING:
    from engine.api import EngineSurface

__all__ = ["FrameAnalysis", "OutputKind", "VideoResult", "toon_video"]

log = logging.getLogger(__name__)

OutputKind = Literal["auto", "mp4", "gif"]
# Inputs that "auto" output keeps as GIF: looping pictures rather than clips.
_GIF_LIKE = frozenset({"gif", "webp", "apng"})


@dataclass(frozen=True, slots=True)
class VideoResult:
    """The encoded stylized clip and what it contains.

    width/height are the output picture in pixels, as displayed: upright (the output carries
    no rotation tag) and with square pixels; fps is the input's mean frame rate.
    """

    data: bytes
    mime: str
    kind: Literal["mp4", "gif"]
    frames: int
    fps: float
    has_audio: bool
    width: int
    height: int
    # Mean warping error (0-1) of the per-frame output and of what was sent; None if not measured.
    warping_error_naive: float | None = None
    warping_error: float | None = None


class FrameAnalysis:
    """Analyzes one video's frames in order on a thread of its own and smooths their landmarks.

    One thread, because the tracker needs the frames in order; the executor runs calls in
    submission order. An analysis that fails leaves that frame to analyze itself (None).
    """

    def __init__(self, analyzer: PersonAnalyzer, tracker: FaceTracker | None = None) -> None:
        self._analyzer = analyzer
        self._tracker = tracker if tracker is not None else FaceTracker()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="toonbot-video-analysis")
        self._failed = False

    def submit(self, rgb: np.ndarray, t: float) -> asyncio.Future[PersonAnalysis | None]:
        """Queue the frame shown at t seconds; call in frame order."""
        return asyncio.get_running_loop().run_in_executor(self._pool, self._step, rgb, t)

    def _step(self, rgb: np.ndarray, t: float) -> PersonAnalysis | None:
        try:
            return self._tracker.update(self._analyzer.analyze(rgb), t)
        except Exception:
            if not self._failed:
                self._failed = True
                log.exception("video frame analysis failed; those frames analyze themselves")
            return None

    def close(self) -> None:
        """Drop queued frames and let the thread end after the one it is on."""
        self._pool.shutdown(wait=False, cancel_futures=True)


async def _frame_analysis(engine: EngineSurface, style: str) -> FrameAnalysis | None:
    # Only a local engine lends its style's analyzer; a remote one (RayEngine) has none to
    # lend, and then each frame is analyzed on its own where it is stylized.
    lend = getattr(engine, "analyzer_for", None)
    if lend is None:
        return None
    analyzer = await asyncio.to_thread(lend, style)  # may load the face models: off the loop
    return FrameAnalysis(analyzer) if analyzer is not None else None


async def _submit_analyzed(
    engine: EngineSurface, job: Job, analysis: Awaitable[PersonAnalysis | None]
) -> np.ndarray:
    job.analysis = await analysis
    return await engine.submit(job)


async def toon_video(
    engine: EngineSurface,
    data: bytes,
    style: str,
    user_id: str,
    limits: VideoLimits | None = None,
    *,
    progress: Callable[[float], None] | None = None,
    stabilize: bool = True,
    output: OutputKind = "auto",
    options: StyleOptions | None = None,
) -> VideoResult:
    """Stylize a video, GIF or animated WebP/APNG; "auto" output makes GIF of GIFs and animated
    pictures, mp4 of everything else.

    Frames are stylized as players show them: turned upright by the stream's display matrix
    (90/180/270 degrees, mirrored too), resampled to square pixels, and transparency (WebM
    VP8/VP9 alpha, animated pictures) composited on white. Limits are checked before any
    decoding; bad input raises the errors probe_video names.

    options: the StyleOptions every frame's job carries (the style's defaults when None).

    When the style is person-aware and the engine is local, each frame is analyzed here, in
    order, and its face landmarks are smoothed over time (FaceTracker) before the frame is
    submitted with its analysis, so drawn outlines hold still from frame to frame.
    """
    limits = limits or VideoLimits()
    options = options if options is not None else StyleOptions()
    info = await asyncio.to_thread(probe_video, data, limits)
    kind: Literal["mp4", "gif"] = (
        ("gif" if info.container in _GIF_LIKE else "mp4") if output == "auto" else output
    )
    # Enough frames in flight to fill two batches; no more, so a long clip never floods the
    # fair queue and other users' photos are served between its frames.
    window = max(2, 2 * engine.config.max_batch_size)
    total = max(1, info.frames)
    stabilizer = Stabilizer() if stabilize else None
    opener = AnimatedReader if info.container in ANIMATED_PICTURES else FrameReader
    reader: FrameReader | AnimatedReader = await asyncio.to_thread(opener, data, limits)
    pending: deque[tuple[asyncio.Task[np.ndarray], np.ndarray, float]] = deque()
    analyzing: FrameAnalysis | None = None
    try:
        analyzing = await _frame_analysis(engine, style)
        with tempfile.TemporaryDirectory(prefix="toonbot-video-") as tmp:
            path = Path(tmp) / f"out.{kind}"
            writer: Mp4Writer | GifWriter = (
                GifWriter(path)
                if kind == "gif"
                else Mp4Writer(path, reader.size, info.fps, data if info.has_audio else None)
            )
            try:
                done = 0
                exhausted = False
                while True:
                    if not exhausted and len(pending) < window:
                        batch = await asyncio.to_thread(reader.read, window - len(pending))
                        exhausted = not batch
                        for rgb, t in batch:
                            job = Job(rgb, style, user_id=user_id, options=options)
                            if analyzing is None:
                                submit = engine.submit(job)
                            else:
                                # Queued now, so the frames reach the tracker in order.
                                submit = _submit_analyzed(engine, job, analyzing.submit(rgb, t))
                            pending.append((asyncio.create_task(submit), rgb, t))
                    if not pending:
                        break
                    task, rgb, t = pending.popleft()
                    styled = await task
                    if stabilizer is not None:
                        styled = await asyncio.to_thread(stabilizer.step, rgb, styled)
                    await asyncio.to_thread(writer.write, styled, t)
                    done += 1
                    if progress is not None:
                        progress(min(1.0, done / total))
                if isinstance(writer, GifWriter):
                    # Animated pictures know when their last frame ends; videos repeat a delay.
                    end = reader.end_s if isinstance(reader, AnimatedReader) else None
                    await asyncio.to_thread(writer.finish, info.fps, end)
                else:
                    await asyncio.to_thread(writer.finish)
                encoded = await asyncio.to_thread(path.read_bytes)
            except BaseException:
                for task, _, _ in pending:
                    task.cancel()
                with contextlib.suppress(BaseException):
                    await asyncio.gather(*(p[0] for p in pending), return_exceptions=True)
                await asyncio.to_thread(writer.abort)
                raise
    finally:
        if analyzing is not None:
            analyzing.close()
        await asyncio.to_thread(reader.close)
    naive, stable = stabilizer.warping_errors if stabilizer is not None else (None, None)
    return VideoResult(
        data=encoded,
        mime="image/gif" if kind == "gif" else "video/mp4",
        kind=kind,
        frames=writer.frames,
        fps=float(info.fps),
        has_audio=isinstance(writer, Mp4Writer) and writer.has_audio,
        width=reader.size[0],
        height=reader.size[1],
        warping_error_naive=naive,
        warping_error=stable,
    )
