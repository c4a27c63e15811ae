"""The command-line frontend's job: stylize files on disk through the engine, batched."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.messages import error_message
from engine.engine import Engine
from engine.errors import ToonError
from engine.imageio import ImageLimits, OutputFormat, encode_image, read_image_file
from engine.job import Job
from engine.styles.options import StyleOptions
from engine.video import OutputKind, VideoLimits, toon_video

__all__ = [
    "IMAGE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "FileResult",
    "is_video",
    "plan_outputs",
    "toon_files",
]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".webm", ".gif"})


def is_video(path: Path) -> bool:
    """Whether the CLI treats this file as a video (GIFs included) rather than a photo."""
    return path.suffix.lower() in VIDEO_SUFFIXES


def _ext(source: Path, image_ext: str) -> str:
    # A GIF stays a GIF; every other video becomes H.264 mp4.
    if not is_video(source):
        return image_ext
    return ".gif" if source.suffix.lower() == ".gif" else ".mp4"


@dataclass(frozen=True, slots=True)
class FileResult:
    """What happened to one input file."""

    source: Path
    target: Path
    error: str | None = None


def plan_outputs(
    source: Path, output_arg: str | None, style: str, fmt: OutputFormat
) -> list[tuple[Path, Path]]:
    """Pair each input file with its output path; an output ending in "/" is a folder."""
    output = None if output_arg is None else Path(output_arg)
    ext = ".jpg" if fmt == "jpeg" else ".png"
    if source.is_dir():
        files = sorted(
            p
            for p in source.iterdir()
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES
        )
        folder = output if output is not None else source.with_name(f"{source.name}_{style}")
        return [(p, folder / f"{p.stem}{_ext(p, ext)}") for p in files]
    if output_arg is None or output is None:
        target = source.with_name(f"{source.stem}_{style}{_ext(source, ext)}")
    elif output.is_dir() or output_arg.endswith(("/", os.sep)):
        target = output / f"{source.stem}_{style}{_ext(source, ext)}"
    else:
        target = output
    return [(source, target)]


async def toon_files(
    engine: Engine,
    pairs: Sequence[tuple[Path, Path]],
    *,
    style: str,
    limits: ImageLimits,
    fmt: OutputFormat,
    jpeg_quality: int,
    on_done: Callable[[FileResult], None] | None = None,
    video_limits: VideoLimits | None = None,
    on_progress: Callable[[Path, float], None] | None = None,
    options: StyleOptions | None = None,
) -> list[FileResult]:
    """Stylize every pair concurrently (the engine batches them); never leaves partial files.

    options: texture / color for every picture and frame (the style's defaults when None).
    """
    options = options or StyleOptions()
    # Enough in flight to fill batches, few enough that decoded images don't all sit in memory.
    gate = asyncio.Semaphore(max(2, engine.config.max_batch_size * 2))

    async def _toon_video_file(source: Path, target: Path) -> bytes:
        raw = await asyncio.to_thread(source.read_bytes)

        def report(fraction: float) -> None:
            if on_progress is not None:
                on_progress(source, fraction)

        out: OutputKind = "gif" if target.suffix.lower() == ".gif" else "mp4"
        video = await toon_video(
            engine, raw, style, "cli", video_limits, progress=report, output=out, options=options
        )
        return video.data

    async def one(source: Path, target: Path) -> FileResult:
        async with gate:
            try:
                if is_video(source):
                    data = await _toon_video_file(source, target)
                else:
                    image = await asyncio.to_thread(read_image_file, source, limits)
                    job = Job(image, style, user_id="cli", options=options)
                    result = await engine.submit(job)
                    data = await asyncio.to_thread(
                        encode_image, result, fmt, jpeg_quality=jpeg_quality
                    )
                await asyncio.to_thread(_write_atomically, target, data)
                outcome = FileResult(source, target)
            except ToonError as exc:
                outcome = FileResult(source, target, error_message(exc))
            except OSError as exc:
                outcome = FileResult(
                    source, target, f"cannot write {target}: {exc.strerror or exc}"
                )
        if on_done is not None:
            on_done(outcome)
        return outcome

    return list(await asyncio.gather(*(one(s, t) for s, t in pairs)))


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp makes the file private (0600); a picture should get the usual umask mode.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@functools.cache
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
