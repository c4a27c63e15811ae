"""`toonbot run`: run the configured Telegram/Discord bots until stopped."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.commands.base import Command

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["COMMAND"]


def _run(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from bot.app import run_bots
    from bot.logsetup import configure_logging

    # The bot logs per request (job ids, outcomes); the one-shot commands keep the quiet default.
    configure_logging(
        "debug" if args.verbose else config.logging.level,
        config.logging.format,
        secrets=config.secrets.values(),
    )
    return asyncio.run(run_bots(config))


COMMAND = Command("run", "run the configured Telegram/Discord bots", _run)
