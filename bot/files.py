"""The command-line frontend's job: stylize files on disk through the engine, batched."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.messages import CLI_CANNOT_WRITE, CLI_OUTPUT_EXISTS, error_message
from engine.api import EngineSurface
from engine.errors import ToonError
from engine.imageio import ImageLimits, OutputFormat, encode_image, read_image_file
from engine.job import Job
from engine.styles.options import StyleOptions
from engine.video import OutputKind, VideoLimits, is_animated_image, toon_video

__all__ = [
    "IMAGE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "FileResult",
    "OutputExists",
    "is_moving",
    "is_video",
    "plan_outputs",
    "toon_files",
]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".webm", ".gif"})


# Picture formats that may hold an animation (animated WebP, APNG).
_ANIMATABLE = frozenset({".png", ".webp"})
# Bigger files are never animations we would draw (the limits refuse them later, by name).
_SNIFF_LIMIT = 64 * 1024 * 1024


def is_video(path: Path) -> bool:
    """Whether the CLI treats this file as a video (GIFs included) by its name."""
    return path.suffix.lower() in VIDEO_SUFFIXES


def is_animated_file(path: Path) -> bool:
    """Whether a PNG/WebP file is animated (APNG, animated WebP): read, judged from headers."""
    if path.suffix.lower() not in _ANIMATABLE:
        return False
    try:
        with open(path, "rb") as fh:
            data = fh.read(_SNIFF_LIMIT + 1)
    except OSError:
        return False  # reported when the file is drawn
    return len(data) <= _SNIFF_LIMIT and is_animated_image(data)


def is_moving(path: Path) -> bool:
    """Drawn frame by frame: a video, a GIF, or an animated picture."""
    return is_video(path) or is_animated_file(path)


def _ext(source: Path, image_ext: str, moving: bool) -> str:
    # A GIF or an animated picture becomes a GIF; every other video becomes H.264 mp4.
    if not moving:
        return image_ext
    return ".mp4" if is_video(source) and source.suffix.lower() != ".gif" else ".gif"


def _output_kind(target: Path) -> OutputKind:
    return "gif" if target.suffix.lower() == ".gif" else "mp4"


class OutputExists(Exception):
    """A planned output file is already there and overwriting was not asked for."""

    def __init__(self, paths: Sequence[Path]) -> None:
        super().__init__(", ".join(str(p) for p in paths))
        self.paths = tuple(paths)


@dataclass(frozen=True, slots=True)
class FileResult:
    """What happened to one input file."""

    source: Path
    target: Path
    error: str | None = None


def plan_outputs(
    source: Path,
    output_arg: str | None,
    style: str,
    fmt: OutputFormat,
    *,
    overwrite: bool = False,
) -> list[tuple[Path, Path]]:
    """Pair each input file with its own output path; an output ending in "/" is a folder.

    In a folder, inputs whose outputs would share a name (photo.jpg and photo.png both making
    photo.png) keep their extension in it instead (photo_jpg.png, photo_png.png); a name still
    taken gets _2, _3... Names are compared ignoring case, as macOS and Windows do. Raises
    OutputExists, before anything is drawn, if an output file exists and not `overwrite`.
    """
    pairs = _plan(source, output_arg, style, ".jpg" if fmt == "jpeg" else ".png")
    existing = [target for _, target in pairs if target.exists() or target.is_symlink()]
    if existing and not overwrite:
        raise OutputExists(existing)
    return pairs


def _plan(source: Path, output_arg: str | None, style: str, ext: str) -> list[tuple[Path, Path]]:
    output = None if output_arg is None else Path(output_arg)
    if source.is_dir():
        files = sorted(
            p
            for p in source.iterdir()
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES
        )
        folder = output if output is not None else source.with_name(f"{source.name}_{style}")
        return list(zip(files, _distinct_names(folder, files, ext), strict=True))
    name = f"{source.stem}_{style}{_ext(source, ext, is_moving(source))}"
    if output_arg is None or output is None:
        target = source.with_name(name)
    elif output.is_dir() or output_arg.endswith(("/", os.sep)):
        target = output / name
    else:
        target = output
    return [(source, target)]


def _distinct_names(folder: Path, files: Sequence[Path], ext: str) -> list[Path]:
    wanted = [(p.stem, _ext(p, ext, is_moving(p))) for p in files]
    clashes = Counter((stem + suffix).casefold() for stem, suffix in wanted)
    taken: set[str] = set()
    targets = []
    for path, (stem, suffix) in zip(files, wanted, strict=True):
        if clashes[(stem + suffix).casefold()] > 1:
            stem = f"{stem}_{path.suffix[1:].lower()}"
        name, n = stem + suffix, 2
        while name.casefold() in taken:
            name, n = f"{stem}_{n}{suffix}", n + 1
        taken.add(name.casefold())
        targets.append(folder / name)
    return targets


async def toon_files(
    engine: EngineSurface,
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
    overwrite: bool = False,
) -> list[FileResult]:
    """Stylize every pair concurrently (the engine batches them); never leaves partial files,
    and replaces an existing output file only when `overwrite`.

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

        out = _output_kind(target)
        video = await toon_video(
            engine, raw, style, "cli", video_limits, progress=report, output=out, options=options
        )
        return video.data

    async def one(source: Path, target: Path) -> FileResult:
        async with gate:
            try:
                if await asyncio.to_thread(is_moving, source):
                    data = await _toon_video_file(source, target)
                else:
                    image = await asyncio.to_thread(read_image_file, source, limits)
                    job = Job(image, style, user_id="cli", options=options)
                    result = await engine.submit(job)
                    data = await asyncio.to_thread(
                        encode_image, result, fmt, jpeg_quality=jpeg_quality
                    )
                await asyncio.to_thread(_write_atomically, target, data, overwrite)
                outcome = FileResult(source, target)
            except ToonError as exc:
                outcome = FileResult(source, target, error_message(exc))
            except FileExistsError:  # appeared since planning: still never replaced
                outcome = FileResult(source, target, CLI_OUTPUT_EXISTS.format(path=target))
            except OSError as exc:
                reason = exc.strerror or str(exc)
                outcome = FileResult(
                    source, target, CLI_CANNOT_WRITE.format(path=target, reason=reason)
                )
        if on_done is not None:
            on_done(outcome)
        return outcome

    return list(await asyncio.gather(*(one(s, t) for s, t in pairs)))


def _write_atomically(target: Path, data: bytes, overwrite: bool = False) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp makes the file private (0600); a picture should get the usual umask mode.
        os.chmod(tmp, 0o666 & ~_umask())
        if overwrite:
            os.replace(tmp, target)
        else:
            _publish_new(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # left by _publish_new's link


def _publish_new(tmp: str, target: Path) -> None:
    """Give the finished file its name only if that name is free (FileExistsError if not)."""
    try:
        os.link(tmp, target)  # atomic, and refuses an existing name
    except FileExistsError:
        raise
    except OSError as exc:
        # A filesystem without hard links: check, then rename (a tiny race remains there).
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if target.exists() or target.is_symlink():
            raise FileExistsError(errno.EEXIST, "file exists", str(target)) from exc
        os.replace(tmp, target)


@functools.cache
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
