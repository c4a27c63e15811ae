"""The composition root: opens every shared resource once and hands it to the frontends."""

from __future__ import annotations

import logging
import sys

from bot.config import DISCORD_TOKEN_ENV, TELEGRAM_TOKEN_ENV, Config
from bot.messages import NO_TOKEN

__all__ = ["configured_frontends", "run_bots"]

log = logging.getLogger(__name__)


def configured_frontends(config: Config) -> list[str]:
    """Frontends that are enabled in config.toml and have a token in the environment."""
    wanted = []
    if config.telegram.enabled and config.secrets.telegram_token:
        wanted.append("telegram")
    if config.discord.enabled and config.secrets.discord_token:
        wanted.append("discord")
    return wanted


async def run_bots(config: Config) -> int:
    """Start every configured frontend on one shared engine; return the exit code."""
    frontends = configured_frontends(config)
    if not frontends:
        print(
            "toonbot: "
            + NO_TOKEN.format(telegram_env=TELEGRAM_TOKEN_ENV, discord_env=DISCORD_TOKEN_ENV),
            file=sys.stderr,
        )
        return 2
    # The Telegram (issue 3) and Discord (issue 4) frontends plug in here, sharing one engine.
    print(
        f"toonbot: the {' and '.join(frontends)} frontend is not part of this release yet; "
        "use `toonbot toon` meanwhile.",
        file=sys.stderr,
    )
    return 2
