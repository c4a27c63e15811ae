"""`toonbot discord-sync`: publish the Discord slash commands, then exit."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.commands.base import Command

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["COMMAND"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--guild", type=int, metavar="ID", help="only on this server (shows up at once)"
    )


def _discord_sync(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    import aiohttp
    import discord

    from bot.config import DISCORD_TOKEN_ENV
    from bot.discord import sync_commands
    from bot.messages import DC_BAD_TOKEN, DC_START_FAILED, DC_SYNCED
    from engine.styles import describe_styles

    guild: int | None = args.guild
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


COMMAND = Command(
    "discord-sync", "publish the Discord slash commands, then exit", _discord_sync, _arguments
)
