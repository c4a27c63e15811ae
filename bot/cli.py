"""The `toonbot` command: toon files, list styles and models, run the bots, upgrade the database."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# Nothing heavy at import: Ctrl+C while torch and PyAV load must not end in a traceback.
if TYPE_CHECKING:
    from bot.config import Config
    from engine.imageio import ImageLimits
    from engine.styles.options import StyleOptions

__all__ = ["build_parser", "main"]

log = logging.getLogger("toonbot")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="toonbot", description="Turn photos into webtoon art.")
    parser.add_argument(
        "--config",
        type=Path,
        help="path to config.toml (default: $TOONBOT_CONFIG or ./config.toml)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    toon = sub.add_parser(
        "toon", help="stylize an image, video or GIF file, or every one in a folder"
    )
    toon.add_argument(
        "input",
        type=Path,
        help="image (PNG, JPEG, WebP), video (MP4, MOV, WebM), GIF, animated WebP/PNG, "
        "or a folder of them",
    )
    toon.add_argument(
        "-o", "--output", help="output file, or folder ending in / (default: beside the input)"
    )
    toon.add_argument(
        "-s", "--style", help="style name (see `toonbot styles`; default from config)"
    )
    toon.add_argument(
        "--max-side", type=int, metavar="N", help="downscale so the longest side is at most N px"
    )
    toon.add_argument(
        "--format", choices=("png", "jpeg"), help="output format (default from config)"
    )
    toon.add_argument(
        "--overwrite",
        action="store_true",
        help="replace output files that already exist (default: refuse, drawing nothing)",
    )
    toon.add_argument(
        "--texture",
        type=_unit("texture"),
        metavar="X",
        help="painted texture and interior lines, 0 (flat) to 1 (busy), or a percentage; "
        "default: the style's own",
    )
    toon.add_argument(
        "--color",
        type=_unit("color"),
        metavar="X",
        help="colour vividness, 0 (muted) to 1 (vivid), or a percentage; default: the style's own",
    )

    sub.add_parser("styles", help="list the available styles")
    sub.add_parser("run", help="run the configured Telegram/Discord bots")
    doctor = sub.add_parser(
        "doctor", help="check device, models, database and tokens; exit 1 if something is wrong"
    )
    doctor.add_argument(
        "--offline", action="store_true", help="skip the checks that go over the network"
    )
    sub.add_parser(
        "engine-serve",
        help="deploy the engine as a Ray Serve app on the cluster at engine.ray_address, then exit",
    )
    sync = sub.add_parser("discord-sync", help="publish the Discord slash commands, then exit")
    sync.add_argument(
        "--guild", type=int, metavar="ID", help="only on this server (shows up at once)"
    )

    models = sub.add_parser("models", help="list or download neural style models")
    models_sub = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    models_sub.add_parser("list", help="show the model cards, their licences and what is installed")
    pull = models_sub.add_parser("pull", help="download a model's weights into the cache")
    pull.add_argument("name", help="model name (see `toonbot models list`)")
    pull.add_argument(
        "--allow-unverified",
        action="store_true",
        help="install even when the card pins no sha256 (the measured one is printed)",
    )
    pull.add_argument(
        "--base-url", metavar="URL", help="download from this mirror folder instead of the card URL"
    )

    db = sub.add_parser("db", help="manage the quota database")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply the schema migrations up to the newest")
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code.

    Ctrl+C before `toonbot run` is up (or a second one, to stop at once) exits 130 with one line.
    """
    args = build_parser().parse_args(argv)
    try:
        return _main(args)
    except KeyboardInterrupt:
        from bot.messages import CLI_INTERRUPTED

        print(f"toonbot: {CLI_INTERRUPTED}", file=sys.stderr)
        return 130


def _main(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_config
    from bot.logsetup import make_handler

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 2
    # Only where nothing is set up yet (as logging.basicConfig); tokens are masked either way.
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        handlers=[make_handler("text", secrets=config.secrets.values())],
    )
    if args.command == "styles":
        return _styles(config)
    if args.command == "models":
        from bot.models_cli import models_list, models_pull

        if args.models_command == "list":
            return models_list(config.models)
        return models_pull(config.models, args.name, args.allow_unverified, args.base_url)
    if args.command == "toon":
        return _toon(args, config)
    if args.command == "db":
        return _db_upgrade(config)
    if args.command == "discord-sync":
        return _discord_sync(config, args.guild)
    if args.command == "engine-serve":
        return _engine_serve(config)
    if args.command == "doctor":
        from bot.doctor import run_doctor

        return run_doctor(config, offline=args.offline)
    from bot.app import run_bots
    from bot.logsetup import configure_logging

    # The bot logs per request (job ids, outcomes); the one-shot commands keep the quiet default.
    configure_logging(
        "debug" if args.verbose else config.logging.level,
        config.logging.format,
        secrets=config.secrets.values(),
    )
    return asyncio.run(run_bots(config))


def _styles(config: Config) -> int:
    from engine.neural.cards import CardError
    from engine.styles import describe_styles

    try:
        described = describe_styles(config.models)
    except CardError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 2
    for name, description in described.items():
        print(f"{name:<10} {description}")
    return 0


def _discord_sync(config: Config, guild: int | None) -> int:
    import aiohttp
    import discord

    from bot.config import DISCORD_TOKEN_ENV
    from bot.discord import sync_commands
    from bot.messages import DC_BAD_TOKEN, DC_START_FAILED, DC_SYNCED
    from engine.styles import describe_styles

    token = config.secrets.discord_token
    if not token:
        print(f"toonbot: set {DISCORD_TOKEN_ENV} to the Discord bot token first", file=sys.stderr)
        return 2
    try:
        count = asyncio.run(sync_commands(token, tuple(describe_styles()), guild))
    except discord.LoginFailure:
        print("toonbot: " + DC_BAD_TOKEN.format(env=DISCORD_TOKEN_ENV), file=sys.stderr)
        return 2
    except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
        print("toonbot: " + DC_START_FAILED.format(reason=exc), file=sys.stderr)
        return 1
    where = "globally (may take up to an hour to show)" if guild is None else f"to server {guild}"
    print(DC_SYNCED.format(count=count, where=where))
    return 0


def _engine_serve(config: Config) -> int:
    try:
        import ray
        from ray import serve
    except ImportError:
        print("toonbot: engine-serve needs Ray: pip install 'ray[serve]'", file=sys.stderr)
        return 2
    from bot.messages import CLI_NO_RAY_CLUSTER
    from engine.remote import build_app

    engine = config.engine
    try:
        ray.init(address=engine.ray_address, logging_level=logging.WARNING)
    except (ConnectionError, TimeoutError, RuntimeError) as exc:  # what Ray raises for "no one"
        reason = str(exc).split(". ")[0].rstrip(".")
        print(
            "toonbot: " + CLI_NO_RAY_CLUSTER.format(address=engine.ray_address, reason=reason),
            file=sys.stderr,
        )
        return 1
    try:
        # Serve keeps the app on the cluster after this driver exits; rerunning updates it.
        serve.run(build_app(engine, models=config.models), name=engine.ray_app, route_prefix=None)
    finally:
        ray.shutdown()
    print(
        f"engine deployed as Ray Serve app {engine.ray_app!r}: {engine.ray_replicas} replica(s), "
        f"{engine.ray_gpus_per_replica:g} GPU(s) each"
    )
    return 0


def _db_upgrade(config: Config) -> int:
    from bot.db import Database, DatabaseError

    async def upgrade() -> tuple[str, str | None]:
        # Opening the database migrates it to head.
        async with Database(config.database, config.secrets.database_url) as db:
            return db.url, await db.revision()

    try:
        url, revision = asyncio.run(upgrade())
    except DatabaseError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 1
    print(f"{url} is at revision {revision} (head)")
    return 0


def _toon(args: argparse.Namespace, config: Config) -> int:
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
