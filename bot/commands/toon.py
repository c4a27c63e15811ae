"""`toonbot toon`: stylize an image, video or GIF file, or every one in a folder."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.commands.base import Command

# Nothing heavy at import: Ctrl+C while torch and PyAV load must not end in a traceback.
if TYPE_CHECKING:
    from bot.config import Config
    from engine.imageio import ImageLimits
    from engine.styles.options import StyleOptions

__all__ = ["COMMAND"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input",
        type=Path,
        help="image (PNG, JPEG, WebP), video (MP4, MOV, WebM), GIF, animated WebP/PNG, "
        "or a folder of them",
    )
    parser.add_argument(
        "-o", "--output", help="output file, or folder ending in / (default: beside the input)"
    )
    parser.add_argument(
        "-s", "--style", help="style name (see `toonbot styles`; default from config)"
    )
    parser.add_argument(
        "--max-side", type=int, metavar="N", help="downscale so the longest side is at most N px"
    )
    parser.add_argument(
        "--format", choices=("png", "jpeg"), help="output format (default from config)"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace output files that already exist (default: refuse, drawing nothing)",
    )
    parser.add_argument(
        "--texture",
        type=_unit("texture"),
        metavar="X",
        help="painted texture and interior lines, 0 (flat) to 1 (busy), or a percentage; "
        "default: the style's own",
    )
    parser.add_argument(
        "--color",
        type=_unit("color"),
        metavar="X",
        help="colour vividness, 0 (muted) to 1 (vivid), or a percentage; default: the style's own",
    )


def _unit(name: str) -> Callable[[str], float]:
    """An argparse type for a style option: a number in [0, 1] or a percentage ("40%")."""

    def parse(raw: str) -> float:
        from engine.errors import BadStyleOption
        from engine.styles.options import StyleOptions

        try:
            value = getattr(StyleOptions.from_mapping({name: raw}), name)
        except BadStyleOption:
            raise argparse.ArgumentTypeError(
                f"must be a number from 0 to 1 or a percentage (e.g. 0.2 or 20%), not {raw!r}"
            ) from None
        return float(value)

    parse.__name__ = name  # argparse names the type in some messages
    return parse


def _toon(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from bot.config import ConfigError, check_device
    from bot.files import OutputExists, plan_outputs
    from bot.messages import CLI_OUTPUTS_EXIST, CLI_OUTPUTS_EXIST_MORE
    from engine.neural.cards import CardError
    from engine.styles import describe_styles

    try:
        check_device(config)
    except ConfigError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 2
    style = args.style or config.styles.default
    try:
        known = describe_styles(config.models)
    except CardError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 2
    if style not in known:
        print(f"toonbot: unknown style {style!r}; try: {', '.join(known)}", file=sys.stderr)
        return 2
    if not args.input.exists():
        print(f"toonbot: {args.input} does not exist", file=sys.stderr)
        return 2
    images = config.images
    if args.max_side is not None:
        if not images.min_side <= args.max_side <= 16384:
            print(
                f"toonbot: --max-side must be between {images.min_side} and 16384", file=sys.stderr
            )
            return 2
        images = dataclasses.replace(images, max_side=args.max_side)
    from engine.styles.options import StyleOptions

    options = StyleOptions(texture=args.texture, color=args.color)
    fmt = args.format or config.output.format
    try:
        pairs = plan_outputs(args.input, args.output, style, fmt, overwrite=args.overwrite)
    except OutputExists as exc:
        more = len(exc.paths) - 1
        extra = CLI_OUTPUTS_EXIST_MORE.format(count=more) if more else ""
        print(
            "toonbot: " + CLI_OUTPUTS_EXIST.format(path=exc.paths[0], more=extra), file=sys.stderr
        )
        return 2
    if not pairs:
        print(
            f"toonbot: no PNG, JPEG, WebP, MP4, MOV, WebM or GIF files in {args.input}",
            file=sys.stderr,
        )
        return 1
    return asyncio.run(
        _toon_async(config, pairs, style, images, fmt, options, overwrite=args.overwrite)
    )


async def _toon_async(
    config: Config,
    pairs: list[tuple[Path, Path]],
    style: str,
    images: ImageLimits,
    fmt: str,
    options: StyleOptions,
    *,
    overwrite: bool = False,
) -> int:
    from tqdm import tqdm

    from bot.files import FileResult, is_moving, toon_files
    from bot.messages import options_note
    from engine.engine import Engine
    from engine.errors import ToonError
    from engine.video import probe_video

    # The bar counts frames: a photo is one, a video as many as its header declares.
    sizes: dict[Path, int] = {}
    moving = {source for source, _ in pairs if is_moving(source)}
    for source, _ in pairs:
        sizes[source] = 1
        if source in moving:
            try:
                data = source.read_bytes()
                sizes[source] = max(1, probe_video(data, config.video).frames)
            except (OSError, ToonError):
                pass  # toon_files reports the problem for this file
    counted: dict[Path, int] = dict.fromkeys(sizes, 0)
    failures: list[FileResult] = []
    has_video = bool(moving)
    with tqdm(
        total=sum(sizes.values()),
        unit="frame" if has_video else "img",
        disable=len(pairs) < 2 and not has_video,
        file=sys.stderr,
    ) as bar:

        def advance(source: Path, frames: int) -> None:
            frames = min(frames, sizes[source])
            bar.update(frames - counted[source])
            counted[source] = frames

        def progress(source: Path, fraction: float) -> None:
            advance(source, round(fraction * sizes[source]))

        def done(result: FileResult) -> None:
            advance(result.source, sizes[result.source])
            if result.error is not None:
                failures.append(result)

        async with Engine(config.engine, models=config.models) as engine:
            honoured = engine.option_names(style)
            unused = {k: v for k, v in options.as_dict().items() if k not in honoured}
            if unused:  # said once, up front: the pictures are still drawn
                print("toonbot: " + options_note(style, unused, honoured).strip(), file=sys.stderr)
            results = await toon_files(
                engine,
                pairs,
                style=style,
                limits=images,
                fmt="jpeg" if fmt == "jpeg" else "png",
                jpeg_quality=config.output.jpeg_quality,
                on_done=done,
                video_limits=config.video,
                on_progress=progress,
                options=options,
                overwrite=overwrite,
            )
    for result in results:
        if result.error is None:
            print(result.target)
        else:
            print(f"{result.source}: {result.error}", file=sys.stderr)
    return 1 if failures else 0


COMMAND = Command(
    "toon", "stylize an image, video or GIF file, or every one in a folder", _toon, _arguments
)
