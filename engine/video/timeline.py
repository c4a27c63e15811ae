"""One timeline for picture and sound: both tracks move to 0 by the same amount.

Clips cut out of a longer recording (lossless trims, forwarded stream captures, phone edits)
keep their original timestamps: the picture may start at 2.0 s and the sound at 1.976 s, or the
sound a second after the picture. The output keeps their relative timing exactly:

* The origin is the picture's first presentation time (the video stream's start time, which
  FFmpeg derives from the first packets and the container's edit list). Every video frame and
  every audio packet is moved back by that same amount, so the first picture is shown at 0.
* Sound that starts *after* the first picture keeps its delay (silence until it starts).
* Sound that starts *before* the first picture is trimmed there: nothing is shown then, and an
  mp4 whose picture started late plays a black or frozen lead-in in some players. Copied packets
  that end before 0 are dropped except the last one, kept as decoder pre-roll with a negative
  timestamp (the mp4 muxer turns it into an edit list, the way AAC priming is carried), so the
  first audible sample is exact; re-encoded audio is cut at 0 to the sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import Any

import av
import numpy as np

__all__ = ["shifted_frames", "shifted_packets", "video_origin"]


def video_origin(container: Any) -> float | None:
    """The first video presentation time in seconds (the shared origin), None if unknown."""
    if not container.streams.video:
        return None
    stream = container.streams.video[0]
    if stream.start_time is None or stream.time_base is None:
        return None
    return float(stream.start_time * stream.time_base)


def shifted_packets(packets: Iterable[Any], origin_s: float) -> Iterator[Any]:
    """Demuxed packets moved origin_s seconds earlier; those ending before 0 are dropped, all
    but the last of them, which stays as pre-roll (negative timestamp) for the decoder."""
    preroll: Any = None
    for packet in packets:
        if packet.dts is None or packet.pts is None or packet.time_base is None:
            continue  # FFmpeg's flush packets carry no data
        offset = round(origin_s / packet.time_base)
        packet.pts -= offset
        packet.dts -= offset
        if packet.pts + (packet.duration or 0) <= 0:
            preroll = packet
            continue
        if preroll is not None:
            yield preroll
            preroll = None
        yield packet


def shifted_frames(frames: Iterable[Any], origin_s: float) -> Iterator[Any]:
    """Decoded audio frames moved origin_s seconds earlier, cut at 0 to the sample.

    Frames get timestamps in 1/sample_rate units; frames with no timestamp follow on from the
    previous one (a first one without starts at 0).
    """
    next_pts = 0  # in samples, on the output timeline
    for frame in frames:
        rate = int(frame.sample_rate)
        if frame.pts is not None and frame.time_base is not None:
            start = round((frame.pts * frame.time_base - Fraction(origin_s)) * rate)
        else:
            start = next_pts
        count = int(frame.samples)
        next_pts = start + count
        if start + count <= 0:
            continue
        if start < 0:
            frame = _tail(frame, -start)
            start = 0
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        yield frame


def _tail(frame: Any, skip: int) -> Any:
    """The frame without its first `skip` samples."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    # Planar: a row per channel; packed: one row of interleaved samples.
    data = data[:, skip:] if frame.format.is_planar else data[:, skip * channels :]
    out = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(data), format=frame.format.name, layout=frame.layout.name
    )
    out.sample_rate = frame.sample_rate
    return out
