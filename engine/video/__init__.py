"""Videos and GIFs: probe and limits, decode, stylize frame by frame, stabilize, encode."""

from engine.video.animated import is_animated_image
from engine.video.fit import fit_video, video_bitrate
from engine.video.probe import VideoInfo, VideoLimits, probe_video
from engine.video.stability import Stabilizer, warping_error
from engine.video.toon import OutputKind, VideoResult, toon_video

__all__ = [
    "OutputKind",
    "Stabilizer",
    "VideoInfo",
    "VideoLimits",
    "VideoResult",
    "fit_video",
    "is_animated_image",
    "probe_video",
    "toon_video",
    "video_bitrate",
    "warping_error",
]
