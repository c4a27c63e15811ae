"""Frame-by-frame decoding and encoding (H.264 mp4 with the source audio, or GIF)."""

from __future__ import annotations

import contextlib
import io
import itertools
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from PIL import Image

from engine.errors import (
    ImageTooSmall,
    MediaProblem,
    UnsupportedMedia,
    VideoTooLong,
    VideoTooManyFrames,
)
from engine.video.colour import bt709_frame, frame_to_rgb, tag_bt709
from engine.video.geometry import Geometry, decoded_frames, first_frame, frame_pixel_format
from engine.video.probe import VideoLimits, fitted_even_size, open_video
from engine.video.timeline import shifted_frames, shifted_packets, video_origin

__all__ = ["FrameReader", "GifWriter", "Mp4Writer", "TimedFrame"]

Frame = npt.NDArray[np.uint8]
TimedFrame = tuple[Frame, float]  # RGB frame and its presentation time in seconds

# Audio codecs the mp4 muxer takes as they are; anything else (Vorbis from WebM) becomes AAC.
# The styles' filters need some room; thinner frames are refused like thin photos.
_MIN_SIDE = 16
_MP4_AUDIO = frozenset({"aac", "mp3", "opus", "alac", "ac3", "eac3", "flac"})


class FrameReader:
    """Decodes RGB frames downscaled to the limits, enforcing frame count and duration as it goes."""

    def __init__(self, data: bytes, limits: VideoLimits) -> None:
        self._container = open_video(data)
        self._limits = limits
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        try:  # rotation, pixel shape and alpha are read off the first frame (geometry.py)
            frames = decoded_frames(self._container, stream)
            first = first_frame(frames)
        except BaseException:
            self._container.close()
            raise
        self.geometry = Geometry.of(first, stream)
        self.size = fitted_even_size(*self.geometry.displayed, limits.max_side)  # as displayed
        if min(self.size) < _MIN_SIDE:
            self._container.close()
            raise ImageTooSmall(self.size[0], self.size[1], _MIN_SIDE)
        self._frames: Iterator[Any] = itertools.chain([first], frames)
        self._count = 0
        self._t0 = video_origin(self._container)  # shared with the audio (timeline.py)
        # A cancelled caller can close while a worker thread is still decoding: serialize.
        self._lock = threading.Lock()
        self._closed = False

    def read(self, n: int) -> list[TimedFrame]:
        """Up to n more frames; an empty list at the end of the video."""
        with self._lock:
            return [] if self._closed else self._read(n)

    def _read(self, n: int) -> list[TimedFrame]:
        out: list[TimedFrame] = []
        w, h = self.geometry.decode_size(self.size)
        while len(out) < n:
            try:
                frame = next(self._frames)
            except StopIteration:
                break
            except (av.FFmpegError, ValueError) as exc:
                if self._count == 0:
                    raise UnsupportedMedia(MediaProblem.CORRUPT_VIDEO) from exc
                break  # a damaged tail: keep what played
            self._count += 1
            if self._count > self._limits.max_frames:
                raise VideoTooManyFrames(self._count, self._limits.max_frames)
            t = float(frame.time) if frame.time is not None else self._count - 1
            self._t0 = t if self._t0 is None else self._t0
            if t - self._t0 > self._limits.max_duration_s:
                raise VideoTooLong(t - self._t0, self._limits.max_duration_s)
            rgb = frame_to_rgb(frame, w, h, frame_pixel_format(frame))  # tags honoured, HDR mapped
            out.append((self.geometry.finish(rgb), t - self._t0))  # upright, alpha on white
        return out

    def close(self) -> None:
        """Release the demuxer."""
        with self._lock:
            self._closed = True
            self._container.close()


class Mp4Writer:
    """H.264 yuv420p mp4 with +faststart; the source's audio is copied (or re-encoded to AAC).

    Quality-targeted (CRF) by default; `bitrate` (bits/s) targets a size instead.
    """

    def __init__(
        self,
        path: Path,
        size: tuple[int, int],
        fps: Fraction,
        audio_from: bytes | None = None,
        *,
        bitrate: int | None = None,
    ) -> None:
        self._out = av.open(str(path), mode="w", options={"movflags": "+faststart"})
        self._stream = self._out.add_stream("libx264", rate=fps)
        self._stream.width, self._stream.height = size
        self._stream.pix_fmt = "yuv420p"
        tag_bt709(self._stream.codec_context)  # and frames converted so (colour.py)
        if bitrate is None:
            self._stream.options = {"crf": "20", "preset": "veryfast"}
        else:
            # A target size: average bitrate, capped over one-second windows so short clips
            # don't overshoot it.
            rate = str(bitrate)
            self._stream.bit_rate = bitrate
            self._stream.options = {"preset": "veryfast", "maxrate": rate, "bufsize": rate}
        # Millisecond timestamps keep variable frame rates (GIFs) without rounding collisions.
        self._stream.codec_context.time_base = Fraction(1, 1000)
        self._last_pts = -1
        self.frames = 0
        self._lock = threading.Lock()  # abort() may race a write still running in a thread
        # Every stream must exist before the first packet is written, so the audio is set up
        # now and copied at the end.
        self._src: Any = None
        self._a_in: Any = None
        self._a_out: Any = None
        self._copy_audio = False
        if audio_from is not None:
            self._src = av.open(io.BytesIO(audio_from), mode="r")
            self._origin = video_origin(self._src) or 0.0
            if self._src.streams.audio:
                self._a_in = self._src.streams.audio[0]
                cc = self._a_in.codec_context
                self._copy_audio = cc.name in _MP4_AUDIO
                if self._copy_audio:
                    self._a_out = self._out.add_stream_from_template(self._a_in)
                else:
                    self._a_out = self._out.add_stream("aac", rate=cc.sample_rate or 48000)

    @property
    def has_audio(self) -> bool:
        """Whether the output carries an audio track."""
        return self._a_out is not None

    def write(self, rgb: Frame, t: float) -> None:
        """Encode one frame shown at t seconds."""
        with self._lock:
            self._write(rgb, t)

    def _write(self, rgb: Frame, t: float) -> None:
        frame = bt709_frame(rgb)
        frame.pts = max(round(t * 1000), self._last_pts + 1)
        frame.time_base = Fraction(1, 1000)
        self._last_pts = frame.pts
        self._out.mux(self._stream.encode(frame))
        self.frames += 1

    def finish(self) -> None:
        """Flush the encoder, add the source audio, and write the index."""
        if self.frames == 0:
            # Every frame failed to decode: FFmpeg would write no file at all.
            self.abort()
            raise UnsupportedMedia(MediaProblem.NO_FRAMES)
        self._out.mux(self._stream.encode(None))
        if self._a_out is not None:
            self._add_audio()
        self._out.close()
        self._close_src()

    def abort(self) -> None:
        """Close without caring about the result (the caller deletes the file)."""
        with self._lock, contextlib.suppress(Exception):
            self._out.close()
        self._close_src()

    def _close_src(self) -> None:
        if self._src is not None:
            with contextlib.suppress(Exception):
                self._src.close()
            self._src = None

    def _add_audio(self) -> None:
        if self._copy_audio:
            # Moved back by the picture's start like the frames were (timeline.py).
            for packet in shifted_packets(self._src.demux(self._a_in), self._origin):
                packet.stream = self._a_out
                self._out.mux(packet)
            return
        for frame in shifted_frames(self._src.decode(self._a_in), self._origin):
            self._out.mux(self._a_out.encode(frame))
        self._out.mux(self._a_out.encode(None))


class GifWriter:
    """An animated GIF with per-frame durations, one adaptive palette per frame."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._frames: list[Image.Image] = []
        self._times: list[float] = []
        self.frames = 0

    def write(self, rgb: Frame, t: float) -> None:
        """Quantize and keep one frame shown at t seconds."""
        # GIFs are small by limit, so holding their palette images until the end is cheap.
        self._frames.append(Image.fromarray(rgb).quantize(colors=256, dither=Image.Dither.NONE))
        self._times.append(t)
        self.frames += 1

    def finish(self, fps: Fraction, end: float | None = None) -> None:
        """Write the GIF, looping forever; `end` (s), when known, is when the last frame ends."""
        if not self._frames:
            raise UnsupportedMedia(MediaProblem.NO_FRAMES)
        default_ms = 1000.0 / float(fps)
        durations = [
            max(20, round((b - a) * 1000))
            for a, b in zip(self._times, self._times[1:], strict=False)
        ]
        last = durations[-1] if durations else round(default_ms)
        if end is not None and end > self._times[-1]:
            last = max(20, round((end - self._times[-1]) * 1000))
        durations.append(last)
        self._frames[0].save(
            self._path,
            format="GIF",
            save_all=True,
            append_images=self._frames[1:],
            duration=durations,
            loop=0,
            optimize=False,
            disposal=1,
        )

    def abort(self) -> None:
        """Drop the buffered frames."""
        self._frames.clear()
